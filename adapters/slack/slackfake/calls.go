package slackfake

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"time"
)

// MethodUpload is the Call.Method of a request to an upload URL returned by
// files.getUploadURLExternal. Such a request is not a Web API method.
const MethodUpload = "upload"

// Call is one recorded request to the fake, successful or not.
type Call struct {
	// Method is the Web API method, such as "chat.postMessage", or MethodUpload.
	Method string
	// Params contains the query and form fields, without the token.
	Params url.Values
	// JSON is the body of a JSON call such as views.open, nil for form calls.
	JSON json.RawMessage
	// Time is the fake's clock when the call arrived.
	Time time.Time
	// Error is the Slack error code returned, empty on success.
	Error string
}

// Calls returns the recorded calls to method in arrival order, or all calls
// when method is empty.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()

	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c.clone())
		}
	}
	return out
}

// record appends a call. The caller holds s.mu.
func (s *Server) record(req *request, err error) {
	c := Call{Method: req.method, Params: req.params, JSON: req.body, Time: s.cfg.Now()}

	var apiErr *apiError
	if errors.As(err, &apiErr) {
		c.Error = apiErr.code
	} else if err != nil {
		c.Error = "internal_error"
	}
	s.calls = append(s.calls, c)
}

func (c Call) clone() Call {
	c.Params = cloneValues(c.Params)
	c.JSON = slices.Clone(c.JSON)
	return c
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for key, values := range v {
		out[key] = slices.Clone(values)
	}
	return out
}
