package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// signer makes and checks HMAC-SHA256 tokens of the form
// "v1.<base64url payload>.<base64url mac>". Chat platforms send dialog state
// and button context back without any credential, so these tokens are what
// proves that the bot itself issued them.
type signer struct {
	key []byte
}

var errBadToken = errors.New("invalid or forged token")

func (s signer) sign(payload any) (string, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("encode token payload: %w", err)
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	return "v1." + body + "." + s.mac(body), nil
}

func (s signer) verify(token string, payload any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return errBadToken
	}
	if !hmac.Equal([]byte(s.mac(parts[1])), []byte(parts[2])) {
		return errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errBadToken
	}
	if err := json.Unmarshal(raw, payload); err != nil {
		return errBadToken
	}
	return nil
}

func (s signer) mac(body string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("leitstelle:" + body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// formState is the signed state of an open form.
type formState struct {
	Form      string `json:"f"`
	UserID    string `json:"u"`
	ChannelID string `json:"c"`
	Nonce     string `json:"n"`
	Issued    int64  `json:"t"`
	// Action and Number are set for note forms (resolve, close, ...).
	Action string `json:"a,omitempty"`
	Number int64  `json:"i,omitempty"`
}

// actionToken is the signed content of a button.
type actionToken struct {
	Action string `json:"a"`
	School string `json:"s"`
	Number int64  `json:"i"`
}

func (st formState) issued() time.Time { return time.Unix(st.Issued, 0) }
