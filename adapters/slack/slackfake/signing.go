package slackfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers of Slack's v0 request signature.
const (
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderSignature = "X-Slack-Signature"
)

// Content types of the requests Slack sends to an app.
const (
	// ContentTypeForm is used for slash commands and interaction payloads.
	ContentTypeForm = "application/x-www-form-urlencoded"
	// ContentTypeJSON is used for Events API callbacks.
	ContentTypeJSON = "application/json"
)

// Sign computes Slack's v0 request signature of body sent at ts with the
// app's signing secret. It returns the values of the X-Slack-Request-Timestamp
// and X-Slack-Signature headers. The signature is
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)).
func Sign(secret string, ts time.Time, body []byte) (timestampHeader, signatureHeader string) {
	timestampHeader = strconv.FormatInt(ts.Unix(), 10)

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestampHeader + ":"))
	mac.Write(body)

	return timestampHeader, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// NewSignedRequest returns a POST request of body to url, signed with secret
// at ts as Slack signs requests to an app. The request can be sent with an
// http.Client or passed to a handler's ServeHTTP. NewSignedRequest panics if
// url is invalid, because that is a mistake in the test.
func NewSignedRequest(secret, url string, body []byte, contentType string, ts time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(fmt.Sprintf("slackfake: NewSignedRequest: invalid url %q: %v", url, err))
	}

	timestamp, signature := Sign(secret, ts, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(HeaderTimestamp, timestamp)
	req.Header.Set(HeaderSignature, signature)
	return req
}
