package mattermost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxTriggerSkew is how far in the future a trigger's timestamp may lie,
// for clocks of server and adapter that differ a little.
const maxTriggerSkew = 10 * time.Second

// Errors of trigger verification.
var (
	errTriggerMalformed = errors.New("trigger id is malformed")
	errTriggerSignature = errors.New("trigger id signature does not verify")
	errTriggerUser      = errors.New("trigger id belongs to another user")
	errTriggerExpired   = errors.New("trigger id is expired")
	errNoSigningKey     = errors.New("signing key of the server is unknown")
)

// signingKey is the public half of the key that the Mattermost server
// signs trigger ids with (ECDSA P-256).
type signingKey struct {
	key *ecdsa.PublicKey
}

// parseSigningKey parses AsymmetricSigningPublicKey of the client config:
// base64 of a PKIX public key.
func parseSigningKey(encoded string) (*signingKey, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, fmt.Errorf("decode server signing key: %w", err)
	}
	parsed, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse server signing key: %w", err)
	}
	key, ok := parsed.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("server signing key is %T, want an ECDSA P-256 key", parsed)
	}
	return &signingKey{key: key}, nil
}

// trigger is the content of a verified trigger id.
type trigger struct {
	UserID string
	Issued time.Time
}

// parseTrigger decodes a trigger id and verifies its signature. A trigger
// id is base64 of "clientTriggerId:userId:unixMillis:" followed by the
// base64 ASN.1 ECDSA signature over SHA-256 of that prefix, as made by
// model.GenerateTriggerId of Mattermost.
func (k *signingKey) parseTrigger(id string) (trigger, error) {
	if k == nil {
		return trigger{}, errNoSigningKey
	}
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil {
		return trigger{}, errTriggerMalformed
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" {
		return trigger{}, errTriggerMalformed
	}
	millis, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return trigger{}, errTriggerMalformed
	}
	signature, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return trigger{}, errTriggerMalformed
	}

	signed := strings.Join(parts[:3], ":") + ":"
	digest := sha256.Sum256([]byte(signed))
	if !ecdsa.VerifyASN1(k.key, digest[:], signature) {
		return trigger{}, errTriggerSignature
	}
	return trigger{UserID: parts[1], Issued: time.UnixMilli(millis)}, nil
}

// verifyTrigger checks that id is signed by the server, belongs to userID
// and is at most maxAge old at now.
func (k *signingKey) verifyTrigger(id, userID string, now time.Time, maxAge time.Duration) error {
	t, err := k.parseTrigger(id)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(t.UserID), []byte(userID)) != 1 {
		return errTriggerUser
	}
	if age := now.Sub(t.Issued); age > maxAge || age < -maxTriggerSkew {
		return fmt.Errorf("%w: issued %s, %s ago", errTriggerExpired, t.Issued.UTC().Format(time.RFC3339), age.Round(time.Millisecond))
	}
	return nil
}

// tokenMatches reports whether got equals one of want. It compares in
// constant time, so the time taken reveals nothing about the tokens.
func tokenMatches(got string, want []string) bool {
	match := 0
	for _, w := range want {
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(w))
	}
	return got != "" && match == 1
}
