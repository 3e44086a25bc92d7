package mattermost

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// commandForm returns the captured slash command with a fresh trigger id
// signed by f's key and the given text.
func (f unitFixture) commandForm(t *testing.T, text string) url.Values {
	t.Helper()
	_, body := readFixture(t, "slash-command-request.txt")
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	form.Set("trigger_id", f.signer.trigger(t, form.Get("user_id")))
	form.Set("text", text)
	return form
}

func postForm(t *testing.T, h http.Handler, form url.Values, authorization string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, PathCommand, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func postJSON(t *testing.T, h http.Handler, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCommand_ValidRequestRunsBot(t *testing.T) {
	f := newUnitFixture(t)

	rec := postForm(t, f.handler, f.commandForm(t, "hilfe"), "Token "+fixtureToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, http.StatusOK, rec.Body)
	}
	var resp model.CommandResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	want := f.bot.HandleCommand(t.Context(), bot.Command{User: bot.User{ID: fixtureTeacherID, Name: "lehrkraft"}, Text: "hilfe"}).Text
	if resp.Text != want {
		t.Errorf("text = %q, want the help %q", resp.Text, want)
	}
	if resp.ResponseType != model.CommandResponseTypeEphemeral {
		t.Errorf("response type = %q, want %q", resp.ResponseType, model.CommandResponseTypeEphemeral)
	}
}

func TestCommand_BadCredentialsRejected(t *testing.T) {
	f := newUnitFixture(t)
	cases := []struct {
		name          string
		edit          func(url.Values)
		authorization string
		want          int
	}{
		{"wrong token", func(v url.Values) { v.Set("token", "wrongtokenwrongtokenwrongt") }, "", http.StatusUnauthorized},
		{"missing token", func(v url.Values) { v.Del("token") }, "", http.StatusUnauthorized},
		{"header disagrees", func(url.Values) {}, "Token wrongtokenwrongtokenwrongt", http.StatusUnauthorized},
		{"header not a token", func(url.Values) {}, "Bearer " + fixtureToken, http.StatusUnauthorized},
		{"expired trigger", func(v url.Values) {
			_, body := readFixture(t, "slash-command-request.txt")
			orig, _ := url.ParseQuery(body)
			v.Set("trigger_id", orig.Get("trigger_id"))
		}, "", http.StatusForbidden},
		{"trigger of another user", func(v url.Values) { v.Set("user_id", fixtureIT1ID) }, "", http.StatusForbidden},
		{"no trigger", func(v url.Values) { v.Del("trigger_id") }, "", http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := f.commandForm(t, "Beamer in Raum 204 zeigt kein Bild")
			c.edit(form)
			rec := postForm(t, f.handler, form, c.authorization)
			if rec.Code != c.want {
				t.Errorf("status = %d, want %d", rec.Code, c.want)
			}
			if got := incidents(t, f.store); len(got) != 0 {
				t.Errorf("store holds %d incidents, want none", len(got))
			}
		})
	}
}

// dialogRequest returns the captured dialog submission.
func dialogRequest(t *testing.T) model.SubmitDialogRequest {
	t.Helper()
	_, body := readFixture(t, "dialog-submission-request.txt")
	var req model.SubmitDialogRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestDialog_ForgedSubmissionsRejected(t *testing.T) {
	f := newUnitFixture(t)
	cases := []struct {
		name string
		edit func(*model.SubmitDialogRequest)
	}{
		{"opaque state", func(*model.SubmitDialogRequest) {}},
		{"state with forged signature", func(r *model.SubmitDialogRequest) { r.State = "v1.eyJmIjoicmVwb3J0In0.Zm9yZ2Vk" }},
		{"no state", func(r *model.SubmitDialogRequest) { r.State = "" }},
		{"unknown user", func(r *model.SubmitDialogRequest) { r.UserId = model.NewId() }},
		{"invalid user id", func(r *model.SubmitDialogRequest) { r.UserId = "../../users/me" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := dialogRequest(t)
			c.edit(&req)
			rec := postJSON(t, f.handler, PathDialog, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status = %d, want %d; body %s", rec.Code, http.StatusForbidden, rec.Body)
			}
			if got := incidents(t, f.store); len(got) != 0 {
				t.Errorf("store holds %d incidents, want none", len(got))
			}
		})
	}
}

func TestDialog_CancelledChangesNothing(t *testing.T) {
	f := newUnitFixture(t)
	req := dialogRequest(t)
	req.Cancelled = true

	rec := postJSON(t, f.handler, PathDialog, req)
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want %d", rec.Code, http.StatusOK)
	}
	if got := incidents(t, f.store); len(got) != 0 {
		t.Errorf("store holds %d incidents, want none", len(got))
	}
}

// actionRequest returns the captured button press with a fresh trigger
// id signed by f's key and token in its context.
func (f unitFixture) actionRequest(t *testing.T, token string) model.PostActionIntegrationRequest {
	t.Helper()
	_, body := readFixture(t, "post-action-request.txt")
	var req model.PostActionIntegrationRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	req.TriggerId = f.signer.trigger(t, req.UserId)
	req.Context = map[string]any{contextToken: token}
	return req
}

func TestAction_ForgedRequestsRejected(t *testing.T) {
	f := newUnitFixture(t)
	validToken := f.bot.SignAction("claim", 1)
	other := newTestSigner(t)
	cases := []struct {
		name string
		edit func(*model.PostActionIntegrationRequest)
	}{
		{"token forged", func(r *model.PostActionIntegrationRequest) {
			r.Context[contextToken] = "v1.eyJhIjoiY2xhaW0ifQ.Zm9yZ2Vk"
		}},
		{"token missing", func(r *model.PostActionIntegrationRequest) { r.Context = nil }},
		{"token not a string", func(r *model.PostActionIntegrationRequest) { r.Context[contextToken] = 7 }},
		{"trigger signed by another key", func(r *model.PostActionIntegrationRequest) { r.TriggerId = other.trigger(t, r.UserId) }},
		{"trigger of another user", func(r *model.PostActionIntegrationRequest) { r.UserId = fixtureTeacherID }},
		{"trigger expired", func(r *model.PostActionIntegrationRequest) {
			_, body := readFixture(t, "post-action-request.txt")
			var orig model.PostActionIntegrationRequest
			json.Unmarshal([]byte(body), &orig)
			r.TriggerId = orig.TriggerId
		}},
		{"unknown user with own trigger", func(r *model.PostActionIntegrationRequest) {
			r.UserId = model.NewId()
			r.TriggerId = f.signer.trigger(t, r.UserId)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := f.actionRequest(t, validToken)
			c.edit(&req)
			rec := postJSON(t, f.handler, PathAction, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status = %d, want %d; body %s", rec.Code, http.StatusForbidden, rec.Body)
			}
		})
	}
}

func TestAction_ValidButtonReachesBot(t *testing.T) {
	f := newUnitFixture(t)

	// Incident 1 does not exist, so a verified press gets the bot's
	// not-found reply instead of a rejection.
	rec := postJSON(t, f.handler, PathAction, f.actionRequest(t, f.bot.SignAction("claim", 1)))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, http.StatusOK, rec.Body)
	}
	var resp model.PostActionIntegrationResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.EphemeralText, "#1") {
		t.Errorf("ephemeral text = %q, want the bot's reply about #1", resp.EphemeralText)
	}
}

func TestHandler_BodyTooLarge(t *testing.T) {
	f := newUnitFixture(t)
	for _, path := range []string{PathCommand, PathDialog, PathAction} {
		body := strings.Repeat("a", maxBodyBytes+1)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status = %d, want %d", path, rec.Code, http.StatusRequestEntityTooLarge)
		}
	}
}

func TestHandler_OnlyPost(t *testing.T) {
	f := newUnitFixture(t)
	req := httptest.NewRequest(http.MethodGet, PathCommand, nil)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want %d", rec.Code, http.StatusMethodNotAllowed)
	}
}

func TestHandler_NotReadyBeforeAttach(t *testing.T) {
	logger, _ := newTestLogger(t)
	cfg := DefaultConfig()
	cfg.ServerURL, cfg.PublicURL = "http://127.0.0.1:1", "http://127.0.0.1:2"
	cfg.BotToken, cfg.Team, cfg.TriageChannel = "t", "schule", "it-stoerungen"
	a, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}

	rec := postJSON(t, a.Handler(), PathDialog, dialogRequest(t))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want %d", rec.Code, http.StatusServiceUnavailable)
	}
}

func TestSubmissionValues(t *testing.T) {
	got := submissionValues(map[string]any{
		"description": "Beamer", "exam": false, "urgent": true, "impact": "3", "count": float64(12), "empty": nil,
	})
	want := map[string]string{
		"description": "Beamer", "exam": "false", "urgent": "true", "impact": "3", "count": "12", "empty": "",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("value %s = %q, want %q", k, got[k], w)
		}
	}
}
