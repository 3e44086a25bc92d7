package slack

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
)

func TestHTTP_RejectsBadSignatures(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	now := time.Now()

	cases := []struct {
		name   string
		secret string
		at     time.Time
		change func(*http.Request)
	}{
		{"wrong secret", "another-secret", now, nil},
		{"stale timestamp", testSecret, now.Add(-5*time.Minute - 10*time.Second), nil},
		{"future timestamp", testSecret, now.Add(5*time.Minute + 10*time.Second), nil},
		{"missing signature", testSecret, now, func(r *http.Request) { r.Header.Del(slackfake.HeaderSignature) }},
		{"missing timestamp", testSecret, now, func(r *http.Request) { r.Header.Del(slackfake.HeaderTimestamp) }},
		{"signature of another body", testSecret, now, func(r *http.Request) {
			_, sig := slackfake.Sign(testSecret, now, []byte("command=%2Fstoerung&text=hilfe"))
			r.Header.Set(slackfake.HeaderSignature, sig)
		}},
		{"signature not hex", testSecret, now, func(r *http.Request) { r.Header.Set(slackfake.HeaderSignature, "v0=zz") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := s.command(s.teacher, s.staffRoom, "")
			req := slackfake.NewSignedRequest(tc.secret, s.app.URL+PathCommands, cmd.Body(), slackfake.ContentTypeForm, tc.at)
			if tc.change != nil {
				tc.change(req)
			}
			resp, _ := s.do(req)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", resp.StatusCode)
			}
		})
	}

	s.adapter.Wait()
	if calls := s.fake.Calls("views.open"); len(calls) != 0 {
		t.Errorf("views.open calls = %d, want 0 for rejected requests", len(calls))
	}
}

func TestHTTP_AcceptsSkewWithinFiveMinutes(t *testing.T) {
	s := newSchool(t, ModeHTTP)

	resp, body := s.sendAt(PathCommands, s.command(s.teacher, s.staffRoom, "hilfe").Body(), slackfake.ContentTypeForm,
		time.Now().Add(-4*time.Minute), testSecret)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Leitstelle") {
		t.Errorf("status %d body %s, want 200 with the help text", resp.StatusCode, body)
	}
}

func TestHTTP_ReplayedRequestIgnored(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	body := s.command(s.teacher, s.staffRoom, "").Body()
	at := time.Now()

	resp, _ := s.do(slackfake.NewSignedRequest(testSecret, s.app.URL+PathCommands, body, slackfake.ContentTypeForm, at))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first status = %d, want 200", resp.StatusCode)
	}
	// The same body signed at the same second has the same signature.
	resp, answer := s.do(slackfake.NewSignedRequest(testSecret, s.app.URL+PathCommands, body, slackfake.ContentTypeForm, at))
	if resp.StatusCode != http.StatusOK || len(answer) != 0 {
		t.Errorf("replay: status %d body %q, want 200 and empty", resp.StatusCode, answer)
	}

	s.adapter.Wait()
	if calls := s.fake.Calls("views.open"); len(calls) != 1 {
		t.Errorf("views.open calls = %d, want 1", len(calls))
	}
}

func TestHTTP_BodyOverLimitRejected(t *testing.T) {
	s := newSchool(t, ModeHTTP, func(c *Config, _ *Deps) { c.MaxBodyBytes = 64 << 10 })
	cmd := s.command(s.teacher, s.staffRoom, strings.Repeat("x", 65<<10))

	resp, _ := s.send(PathCommands, cmd.Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
}

func TestHTTP_URLVerificationAnswered(t *testing.T) {
	s := newSchool(t, ModeHTTP)

	resp, body := s.send(PathEvents, slackfake.URLVerificationBody("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), slackfake.ContentTypeJSON)
	if resp.StatusCode != http.StatusOK || string(body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("status %d body %q, want 200 with the challenge", resp.StatusCode, body)
	}
}

func TestHTTP_OnlyPostOnKnownPaths(t *testing.T) {
	s := newSchool(t, ModeHTTP)

	resp, err := http.Get(s.app.URL + PathCommands)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", resp.StatusCode)
	}

	resp, _ = s.send("/slack/other", []byte("{}"), slackfake.ContentTypeJSON)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path status = %d, want 404", resp.StatusCode)
	}
}

func TestHTTP_UnknownCommandIgnored(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	cmd := s.command(s.teacher, s.staffRoom, "")
	cmd.Command = "/kaffee"

	resp, body := s.send(PathCommands, cmd.Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("status %d body %q, want 200 and empty", resp.StatusCode, body)
	}
	s.adapter.Wait()
	if calls := s.fake.Calls("views.open"); len(calls) != 0 {
		t.Errorf("views.open calls = %d, want 0", len(calls))
	}
}

func TestHTTP_UmlautCommandAccepted(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	cmd := s.command(s.teacher, s.staffRoom, "hilfe")
	cmd.Command = "/störung"

	_, body := s.send(PathCommands, cmd.Body(), slackfake.ContentTypeForm)
	if !strings.Contains(string(body), `"response_type":"ephemeral"`) || !strings.Contains(string(body), "*Leitstelle") {
		t.Errorf("body = %s, want the ephemeral help with *bold* mrkdwn", body)
	}
}

func TestSlashCommand_ReplyDeliveredOnce(t *testing.T) {
	// With a 1 ms budget the reply usually misses the acknowledgement and
	// goes to the response URL; either way it must arrive exactly once.
	s := newSchool(t, ModeHTTP, func(c *Config, _ *Deps) { c.AckTimeout = time.Millisecond })

	_, body := s.send(PathCommands, s.command(s.teacher, s.staffRoom, "hilfe").Body(), slackfake.ContentTypeForm)
	s.adapter.Wait()

	inAck := strings.Contains(string(body), "Leitstelle")
	responses := s.fake.Calls(slackfake.MethodResponseURL)
	viaURL := len(responses) == 1 && responses[0].Error == "" && strings.Contains(string(responses[0].JSON), "Leitstelle")
	if inAck == viaURL {
		t.Errorf("reply in acknowledgement %v, response URL calls %+v; want exactly one of them", inAck, responses)
	}
	if viaURL && !strings.Contains(string(responses[0].JSON), `"response_type":"ephemeral"`) {
		t.Errorf("response URL message = %s, want it ephemeral", responses[0].JSON)
	}
}

func TestHTTP_MalformedSignedRequests(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	cases := []struct {
		name, path, contentType, body string
		want                          int
	}{
		{"interaction without payload", PathInteractivity, slackfake.ContentTypeForm, "foo=bar", http.StatusBadRequest},
		{"interaction payload not JSON", PathInteractivity, slackfake.ContentTypeForm, "payload=%7Bnope", http.StatusBadRequest},
		{"event not JSON", PathEvents, slackfake.ContentTypeJSON, "{nope", http.StatusBadRequest},
		{"event of unknown type", PathEvents, slackfake.ContentTypeJSON,
			`{"type":"event_callback","event_id":"Ev9","event":{"type":"something_new"}}`, http.StatusOK},
		{"foreign view submission", PathInteractivity, slackfake.ContentTypeForm,
			"payload=" + `{"type":"view_submission","view":{"callback_id":"other-app"}}`, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.send(tc.path, []byte(tc.body), tc.contentType)
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d (body %q), want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	if n := len(s.incidents()); n != 0 {
		t.Errorf("incidents = %d, want 0", n)
	}
}
