package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MethodResponseURL is the Call.Method of a message posted to a response_url
// from NewResponseURL. Its Params hold the response_id and its JSON the
// message.
const MethodResponseURL = "response_url"

// responsePath is the path prefix of the response URLs the fake hands out.
const responsePath = "/response/"

// maxResponseUses is how many messages Slack accepts on one response_url.
const maxResponseUses = 5

// NewResponseURL returns a new response_url on the fake, as Slack sends one
// with each slash command and block action. Like Slack's, it takes JSON
// messages without a token, at most five times.
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()

	id := s.newID("R")
	s.responseUses[id] = 0
	return strings.TrimSuffix(s.APIURL(), "/") + responsePath + id
}

// handleResponse records a message posted to a response URL.
func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, responsePath)
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))

	s.mu.Lock()
	status, err := s.useResponseURL(id, body, readErr)
	req := &request{method: MethodResponseURL, params: url.Values{"response_id": {id}}}
	if json.Valid(body) {
		req.body = body
	}
	s.record(req, err)
	s.mu.Unlock()

	result := obj{"ok": err == nil}
	if err != nil {
		result = errorBody(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(result); err != nil {
		s.log.Warn("write response URL result failed", "response_id", id, "err", err)
	}
}

// useResponseURL checks a message to response URL id and counts the use.
// The caller holds s.mu.
func (s *Server) useResponseURL(id string, body []byte, readErr error) (int, error) {
	uses, ok := s.responseUses[id]
	switch {
	case !ok:
		return http.StatusNotFound, fail("invalid_url")
	case uses >= maxResponseUses:
		return http.StatusNotFound, fail("used_url")
	case readErr != nil || len(body) > maxRequestBytes:
		return http.StatusBadRequest, fail("invalid_payload")
	case !json.Valid(body):
		return http.StatusBadRequest, fail("invalid_payload", "body is not valid JSON")
	}
	s.responseUses[id] = uses + 1
	return http.StatusOK, nil
}
