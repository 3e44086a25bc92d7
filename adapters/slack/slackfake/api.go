package slackfake

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack/slacktest"
)

// maxRequestBytes limits the body of one Web API call.
const maxRequestBytes = 8 << 20

// obj is a JSON object in a Web API response.
type obj = map[string]any

// request is one parsed Web API call.
type request struct {
	method string
	// params contains the query and form fields without the token.
	params url.Values
	// body is the raw body of a JSON call, nil for form calls.
	body json.RawMessage
}

// methodFunc runs one Web API method. It is called with Server.mu held and
// returns the response fields besides "ok", or an *apiError.
type methodFunc func(r *request) (obj, error)

// apiError is a Slack error code such as "channel_not_found", with the
// optional messages Slack puts in response_metadata.
type apiError struct {
	code     string
	messages []string
}

func (e *apiError) Error() string { return e.code }

// fail returns the Slack error code as an error.
func fail(code string, messages ...string) error {
	return &apiError{code: code, messages: messages}
}

// methods returns the Web API methods the fake implements, by name.
func (s *Server) methods() map[string]methodFunc {
	return map[string]methodFunc{
		"auth.test":                    s.authTest,
		"chat.postMessage":             s.chatPostMessage,
		"chat.update":                  s.chatUpdate,
		"chat.postEphemeral":           s.chatPostEphemeral,
		"conversations.create":         s.conversationsCreate,
		"conversations.invite":         s.conversationsInvite,
		"conversations.info":           s.conversationsInfo,
		"conversations.members":        s.conversationsMembers,
		"conversations.join":           s.conversationsJoin,
		"conversations.list":           s.conversationsList,
		"conversations.open":           s.conversationsOpen,
		"conversations.setPurpose":     s.conversationsSetPurpose,
		"users.info":                   s.usersInfo,
		"users.list":                   s.usersList,
		"pins.add":                     s.pinsAdd,
		"reactions.get":                s.reactionsGet,
		"views.open":                   s.viewsOpen,
		"views.update":                 s.viewsUpdate,
		"files.getUploadURLExternal":   s.filesGetUploadURLExternal,
		"files.completeUploadExternal": s.filesCompleteUploadExternal,
	}
}

// slacktestPaths are the paths slacktest serves with fixed answers and no
// token check. The fake binds them to "unknown_method" unless it implements
// them, so no call passes without a token check.
var slacktestPaths = []string{
	"/ws", "/rtm.start", "/rtm.connect", "/bots.info",
	"/conversations.setTopic", "/conversations.rename", "/conversations.inviteShared",
}

// bind registers the fake's handlers on slacktest's mux.
func (s *Server) bind(c slacktest.Customize) {
	for name, fn := range s.methods() {
		c.Handle("/"+name, s.api(fn, s.cfg.BotToken))
	}
	c.Handle("/apps.connections.open", s.api(s.appsConnectionsOpen, s.cfg.AppToken))
	for _, path := range slacktestPaths {
		c.Handle(path, s.api(unknownMethod, s.cfg.BotToken))
	}
	c.Handle(uploadPath, s.handleUpload)
	c.Handle(responsePath, s.handleResponse)
	c.Handle(socketPath, s.handleSocket)
	c.Handle("/", s.api(unknownMethod, s.cfg.BotToken))
}

// unknownMethod is the answer for methods the fake does not implement.
func unknownMethod(*request) (obj, error) {
	return nil, fail("unknown_method")
}

// api wraps a method: it parses the call, checks that it carries want as
// token, runs the method, records the call and writes the JSON response.
func (s *Server) api(fn methodFunc, want string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, token, err := readRequest(r)

		s.mu.Lock()
		var out obj
		if err == nil {
			out, err = authorizeAndRun(req, token, want, fn)
		}
		s.record(req, err)
		s.mu.Unlock()

		s.writeResult(w, req.method, out, err)
	}
}

func authorizeAndRun(req *request, token, want string, fn methodFunc) (obj, error) {
	if err := authorize(token, want); err != nil {
		return nil, err
	}
	return fn(req)
}

// authorize checks a token as Slack does: no token is "not_authed", a
// wrong one "invalid_auth".
func authorize(token, want string) error {
	if token == "" {
		return fail("not_authed")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return fail("invalid_auth")
	}
	return nil
}

// readRequest parses a call's query, form or JSON body and takes out the
// token. The request is never nil, so that even a malformed call is recorded.
func readRequest(r *http.Request) (*request, string, error) {
	req := &request{method: strings.TrimPrefix(r.URL.Path, "/"), params: r.URL.Query()}
	token := bearerToken(r.Header)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return req, token, fail("request_timeout")
	}
	if len(body) > maxRequestBytes {
		return req, token, fail("invalid_arguments", "request body exceeds 8 MiB")
	}

	if err := req.parseBody(r.Header.Get("Content-Type"), body); err != nil {
		return req, token, err
	}
	if token == "" {
		token = req.params.Get("token")
	}
	req.params.Del("token")
	return req, token, nil
}

// parseBody stores a JSON body as it is and merges a form body into params.
func (req *request) parseBody(contentType string, body []byte) error {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType == "application/json" {
		if len(body) == 0 {
			return nil
		}
		if !json.Valid(body) {
			return fail("invalid_json")
		}
		req.body = body
		return nil
	}
	if len(body) == 0 {
		return nil
	}

	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fail("invalid_form_data")
	}
	for key, values := range form {
		req.params[key] = append(req.params[key], values...)
	}
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h http.Header) string {
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(token)
}

// writeResult writes {"ok": true, …out} or {"ok": false, "error": …} with
// status 200, as Slack answers Web API errors.
func (s *Server) writeResult(w http.ResponseWriter, method string, out obj, err error) {
	body := obj{"ok": true}
	if err != nil {
		body = errorBody(err)
	}
	for key, value := range out {
		body[key] = value
	}

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := json.NewEncoder(w).Encode(body); err != nil {
		s.log.Warn("write response failed", "method", method, "err", err)
	}
}

func errorBody(err error) obj {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = &apiError{code: "internal_error"}
	}

	body := obj{"ok": false, "error": apiErr.code}
	if len(apiErr.messages) > 0 {
		body["response_metadata"] = obj{"messages": apiErr.messages}
	}
	return body
}
