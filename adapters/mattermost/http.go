package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// maxBodyBytes bounds the body of every request. Mattermost's largest
// request, a dialog submission, carries at most a few texts of 2000
// characters.
const maxBodyBytes = 64 << 10

// handlerTimeout bounds the work of one request. The work goes on when
// Mattermost hangs up first (after OutgoingIntegrationRequestsTimeout,
// 30 s by default), so that a stored report still reaches the channel.
const handlerTimeout = 60 * time.Second

// Handler returns the endpoints of slash commands, dialog submissions and
// button presses, under PathCommand, PathDialog and PathAction. Requests
// that fail verification get 401 or 403 and change nothing.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathCommand, a.handleCommand)
	mux.HandleFunc("POST "+PathDialog, a.handleDialog)
	mux.HandleFunc("POST "+PathAction, a.handleAction)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		mux.ServeHTTP(w, r)
	})
}

// handleCommand runs a slash command. The request carries the command's
// token and a server-signed trigger id of the user.
func (a *Adapter) handleCommand(w http.ResponseWriter, r *http.Request) {
	b, ok := a.ready(w)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		a.rejectBody(w, r, err)
		return
	}

	form := r.PostForm
	userID := form.Get("user_id")
	if !a.commandTokenValid(form.Get("token"), r.Header.Get("Authorization")) {
		a.reject(w, r, http.StatusUnauthorized, "invalid slash command token", logUser, userID)
		return
	}
	if err := a.verifyTrigger(form.Get("trigger_id"), userID); err != nil {
		a.reject(w, r, http.StatusForbidden, "invalid trigger id", "error", err, logUser, userID)
		return
	}

	ctx, cancel := a.workContext(r)
	defer cancel()
	reply := b.HandleCommand(ctx, bot.Command{
		User:      bot.User{ID: userID, Name: form.Get("user_name")},
		ChannelID: form.Get("channel_id"),
		Command:   form.Get("command"),
		Text:      form.Get("text"),
		TriggerID: form.Get("trigger_id"),
	})
	writeJSON(w, http.StatusOK, &model.CommandResponse{
		ResponseType:     model.CommandResponseTypeEphemeral,
		Text:             reply.Text,
		SkipSlackParsing: true,
	})
}

// commandTokenValid reports whether the form token, and the token of the
// Authorization header when present, match a known command token.
func (a *Adapter) commandTokenValid(formToken, authorization string) bool {
	a.mu.RLock()
	tokens := a.tokens
	a.mu.RUnlock()

	if !tokenMatches(formToken, tokens) {
		return false
	}
	if authorization == "" {
		return true
	}
	headerToken, found := strings.CutPrefix(authorization, "Token ")
	return found && tokenMatches(headerToken, tokens)
}

// handleDialog passes a dialog submission to the bot. The request carries
// no credential; the bot verifies the signed state, which names form and
// user.
func (a *Adapter) handleDialog(w http.ResponseWriter, r *http.Request) {
	b, ok := a.ready(w)
	if !ok {
		return
	}
	var req model.SubmitDialogRequest
	if err := decodeJSON(r, &req); err != nil {
		a.rejectBody(w, r, err)
		return
	}
	if req.Type != "" && req.Type != "dialog_submission" {
		a.reject(w, r, http.StatusBadRequest, "unsupported dialog request type", "type", req.Type)
		return
	}
	if req.Cancelled {
		w.WriteHeader(http.StatusOK)
		return
	}

	ctx, cancel := a.workContext(r)
	defer cancel()
	user, err := a.users.user(ctx, req.UserId)
	if err != nil {
		a.rejectUser(w, r, err, req.UserId)
		return
	}

	result := b.HandleSubmission(ctx, bot.Submission{
		User:      user,
		ChannelID: req.ChannelId,
		FormID:    req.CallbackId,
		State:     req.State,
		Values:    submissionValues(req.Submission),
	})
	if result.Rejected {
		a.reject(w, r, http.StatusForbidden, "invalid dialog state", logUser, req.UserId, "form", req.CallbackId)
		return
	}
	writeJSON(w, http.StatusOK, &model.SubmitDialogResponse{Error: result.Error, Errors: result.FieldErrors})
}

// submissionValues turns the values of a dialog into text. Mattermost
// sends text and selects as strings and checkboxes as booleans.
func submissionValues(submission map[string]any) map[string]string {
	values := make(map[string]string, len(submission))
	for name, v := range submission {
		switch v := v.(type) {
		case nil:
			values[name] = ""
		case string:
			values[name] = v
		case bool:
			values[name] = strconv.FormatBool(v)
		case float64:
			values[name] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			raw, _ := json.Marshal(v)
			values[name] = string(raw)
		}
	}
	return values
}

// handleAction passes a button press to the bot. The request carries no
// credential: the server-signed trigger id proves user and time, and the
// bot verifies the signed token in the button's context.
func (a *Adapter) handleAction(w http.ResponseWriter, r *http.Request) {
	b, ok := a.ready(w)
	if !ok {
		return
	}
	var req model.PostActionIntegrationRequest
	if err := decodeJSON(r, &req); err != nil {
		a.rejectBody(w, r, err)
		return
	}
	token, _ := req.Context[contextToken].(string)
	if token == "" {
		a.reject(w, r, http.StatusForbidden, "button without token", logUser, req.UserId, logPost, req.PostId)
		return
	}
	if err := a.verifyTrigger(req.TriggerId, req.UserId); err != nil {
		a.reject(w, r, http.StatusForbidden, "invalid trigger id", "error", err, logUser, req.UserId, logPost, req.PostId)
		return
	}

	ctx, cancel := a.workContext(r)
	defer cancel()
	user, err := a.users.user(ctx, req.UserId)
	if err != nil {
		a.rejectUser(w, r, err, req.UserId)
		return
	}

	reply := b.HandleAction(ctx, bot.Action{
		User: user, ChannelID: req.ChannelId, PostID: req.PostId, Token: token, TriggerID: req.TriggerId,
	})
	if reply.Rejected {
		a.reject(w, r, http.StatusForbidden, "invalid button token", logUser, req.UserId, logPost, req.PostId)
		return
	}
	writeJSON(w, http.StatusOK, &model.PostActionIntegrationResponse{EphemeralText: reply.Text, SkipSlackParsing: true})
}

// verifyTrigger checks a trigger id against the server's signing key.
func (a *Adapter) verifyTrigger(id, userID string) error {
	a.mu.RLock()
	key := a.signingKey
	a.mu.RUnlock()
	return key.verifyTrigger(id, userID, a.now(), a.cfg.TriggerMaxAge)
}

// ready returns the attached bot. Until Setup and Attach are done, it
// responds with 503 and returns false.
func (a *Adapter) ready(w http.ResponseWriter) (*bot.Bot, bool) {
	b := a.bot.Load()
	if b == nil || a.setupResult().BotUserID == "" {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return nil, false
	}
	return b, true
}

// workContext returns the context of a request's work, which outlives a
// caller that hangs up.
func (a *Adapter) workContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), handlerTimeout)
}

// reject responds with status and its standard text, and logs the reason.
func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, status int, reason string, args ...any) {
	args = append([]any{"path", r.URL.Path, "status", status, "remote_addr", r.RemoteAddr}, args...)
	a.log.Warn("rejected request: "+reason, args...)
	http.Error(w, http.StatusText(status), status)
}

// rejectBody responds to a body that is too large or malformed.
func (a *Adapter) rejectBody(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		a.reject(w, r, http.StatusRequestEntityTooLarge, "body too large", "limit_bytes", tooLarge.Limit)
		return
	}
	a.reject(w, r, http.StatusBadRequest, "malformed body", "error", err)
}

// rejectUser responds to a request whose user cannot be looked up.
func (a *Adapter) rejectUser(w http.ResponseWriter, r *http.Request, err error, userID string) {
	if errors.Is(err, errUnknownUser) {
		a.reject(w, r, http.StatusForbidden, "unknown user", logUser, userID)
		return
	}
	a.log.Error("look up user of request", "error", err, logUser, userID, "path", r.URL.Path)
	http.Error(w, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
}

// decodeJSON reads the whole body before decoding it, so that a body over
// the limit fails as too large even when its start is malformed.
func decodeJSON(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
