package mattermost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// readFixture returns the header line and the body of a captured request.
func readFixture(tb testing.TB, name string) (map[string]string, string) {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	head, body, _ := strings.Cut(string(data), "\n")
	var headers map[string]string
	if err := json.Unmarshal([]byte(head), &headers); err != nil {
		tb.Fatalf("decode headers of %s: %v", name, err)
	}
	return headers, strings.TrimRight(body, "\n")
}

func fixtureKey(tb testing.TB) *signingKey {
	tb.Helper()
	data, err := os.ReadFile("testdata/server-signing-public-key.txt")
	if err != nil {
		tb.Fatal(err)
	}
	key, err := parseSigningKey(string(data))
	if err != nil {
		tb.Fatalf("parse fixture key: %v", err)
	}
	return key
}

// testSigner is a server signing key made up for a test.
type testSigner struct {
	private *ecdsa.PrivateKey
	public  *signingKey
}

func newTestSigner(tb testing.TB) testSigner {
	tb.Helper()
	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return testSigner{private: private, public: &signingKey{key: &private.PublicKey}}
}

// trigger returns a trigger id for userID, signed now the way the
// Mattermost server does it.
func (s testSigner) trigger(tb testing.TB, userID string) string {
	tb.Helper()
	_, id, appErr := model.GenerateTriggerId(userID, s.private)
	if appErr != nil {
		tb.Fatal(appErr)
	}
	return id
}

func TestTrigger_FixturesVerifyWithServerKey(t *testing.T) {
	key := fixtureKey(t)

	_, actionBody := readFixture(t, "post-action-request.txt")
	var action model.PostActionIntegrationRequest
	if err := json.Unmarshal([]byte(actionBody), &action); err != nil {
		t.Fatal(err)
	}
	_, commandBody := readFixture(t, "slash-command-request.txt")
	form, err := url.ParseQuery(commandBody)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct{ name, trigger, userID string }{
		{"button", action.TriggerId, action.UserId},
		{"command", form.Get("trigger_id"), form.Get("user_id")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := key.parseTrigger(c.trigger)
			if err != nil {
				t.Fatalf("parse trigger: %v", err)
			}
			if got.UserID != c.userID {
				t.Errorf("trigger user = %q, want %q", got.UserID, c.userID)
			}
			if err := key.verifyTrigger(c.trigger, c.userID, got.Issued.Add(time.Second), 30*time.Second); err != nil {
				t.Errorf("verify at issue time + 1s: %v, want nil", err)
			}
			if err := key.verifyTrigger(c.trigger, c.userID, time.Now(), 30*time.Second); !errors.Is(err, errTriggerExpired) {
				t.Errorf("verify now: %v, want %v", err, errTriggerExpired)
			}
		})
	}
}

func TestTrigger_Rejections(t *testing.T) {
	signer := newTestSigner(t)
	other := newTestSigner(t)
	userID := model.NewId()
	valid := signer.trigger(t, userID)

	raw, _ := base64.StdEncoding.DecodeString(valid)
	parts := strings.Split(string(raw), ":")
	parts[1] = model.NewId() // another user, with the original signature
	swappedUser := base64.StdEncoding.EncodeToString([]byte(strings.Join(parts, ":")))

	now := time.Now()
	cases := []struct {
		name    string
		key     *signingKey
		trigger string
		userID  string
		now     time.Time
		want    error
	}{
		{"signed by another key", signer.public, other.trigger(t, userID), userID, now, errTriggerSignature},
		{"user swapped in signed data", signer.public, swappedUser, parts[1], now, errTriggerSignature},
		{"other user's trigger", signer.public, valid, model.NewId(), now, errTriggerUser},
		{"older than max age", signer.public, valid, userID, now.Add(31 * time.Second), errTriggerExpired},
		{"from the future", signer.public, valid, userID, now.Add(-time.Minute), errTriggerExpired},
		{"not base64", signer.public, "%%%", userID, now, errTriggerMalformed},
		{"three parts", signer.public, base64.StdEncoding.EncodeToString([]byte("a:b:1")), "b", now, errTriggerMalformed},
		{"timestamp not a number", signer.public, base64.StdEncoding.EncodeToString([]byte("a:b:x:c2ln")), "b", now, errTriggerMalformed},
		{"empty", signer.public, "", userID, now, errTriggerMalformed},
		{"no key", nil, valid, userID, now, errNoSigningKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.key.verifyTrigger(c.trigger, c.userID, c.now, 30*time.Second)
			if !errors.Is(err, c.want) {
				t.Errorf("verifyTrigger = %v, want %v", err, c.want)
			}
		})
	}

	if err := signer.public.verifyTrigger(valid, userID, now, 30*time.Second); err != nil {
		t.Errorf("verifyTrigger of a fresh trigger = %v, want nil", err)
	}
}

func TestParseSigningKey_RejectsOtherKeys(t *testing.T) {
	for _, encoded := range []string{"", "not base64 %%", base64.StdEncoding.EncodeToString([]byte("no key"))} {
		if _, err := parseSigningKey(encoded); err == nil {
			t.Errorf("parseSigningKey(%q) = nil error, want an error", encoded)
		}
	}
}

func TestTokenMatches(t *testing.T) {
	tokens := []string{"qqodfdsiaj8z8y7ncfuccrq7zc", "zdba4rbnz7gutcmt6gjkg9k8ta"}
	cases := []struct {
		got  string
		want bool
	}{
		{"qqodfdsiaj8z8y7ncfuccrq7zc", true},
		{"zdba4rbnz7gutcmt6gjkg9k8ta", true},
		{"qqodfdsiaj8z8y7ncfuccrq7zd", false},
		{"qqodfdsiaj8z8y7ncfuccrq7z", false},
		{"", false},
	}
	for _, c := range cases {
		if got := tokenMatches(c.got, tokens); got != c.want {
			t.Errorf("tokenMatches(%q) = %v, want %v", c.got, got, c.want)
		}
	}
	if tokenMatches("", []string{""}) {
		t.Error("tokenMatches of empty token with an empty known token = true, want false")
	}
}
