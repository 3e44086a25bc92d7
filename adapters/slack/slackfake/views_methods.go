package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Modal limits from Slack's view reference, in characters.
const (
	maxViewTitle           = 24
	maxViewButtonText      = 24
	maxViewBlocks          = 100
	maxViewPrivateMetadata = 3000
	maxViewCallbackID      = 255
	maxViewExternalID      = 255
)

// viewCall contains the arguments of views.open and views.update,
// sent as JSON (slack-go) or as form fields.
type viewCall struct {
	TriggerID  string          `json:"trigger_id"`
	View       json.RawMessage `json:"view"`
	ViewID     string          `json:"view_id"`
	ExternalID string          `json:"external_id"`
	Hash       string          `json:"hash"`
}

// viewFields contains the parts of a view object that the fake checks.
type viewFields struct {
	Type            string          `json:"type"`
	Title           *textField      `json:"title"`
	Submit          *textField      `json:"submit"`
	Close           *textField      `json:"close"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
	ExternalID      string          `json:"external_id"`
}

type textField struct {
	Text string `json:"text"`
}

func (s *Server) viewsOpen(r *request) (obj, error) {
	call, fields, err := parseViewCall(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkExternalID(fields.ExternalID, ""); err != nil {
		return nil, err
	}
	userID, err := s.useTrigger(call.TriggerID)
	if err != nil {
		return nil, err
	}

	v := s.addView(call, fields, userID)
	return obj{"view": s.wireView(v)}, nil
}

func (s *Server) viewsUpdate(r *request) (obj, error) {
	call, fields, err := parseViewCall(r)
	if err != nil {
		return nil, err
	}
	v, err := s.viewByRef(call.ViewID, call.ExternalID)
	if err != nil {
		return nil, err
	}
	if call.Hash != "" && call.Hash != v.Hash {
		return nil, fail("hash_conflict")
	}
	if err := s.checkExternalID(fields.ExternalID, v.ID); err != nil {
		return nil, err
	}

	v.JSON = call.View
	v.CallbackID = fields.CallbackID
	v.ExternalID = fields.ExternalID
	v.Hash = s.newHash()
	v.Updates++
	return obj{"view": s.wireView(v)}, nil
}

func (s *Server) addView(call viewCall, fields viewFields, userID string) *View {
	v := &View{
		ID:         s.newID("V"),
		ExternalID: fields.ExternalID,
		CallbackID: fields.CallbackID,
		UserID:     userID,
		TriggerID:  call.TriggerID,
		Hash:       s.newHash(),
		JSON:       call.View,
		Opened:     s.cfg.Now(),
	}
	s.views[v.ID] = v
	s.viewOrder = append(s.viewOrder, v.ID)
	return v
}

// checkExternalID rejects an external_id that a view other than selfID uses.
func (s *Server) checkExternalID(externalID, selfID string) error {
	if externalID == "" {
		return nil
	}
	for _, v := range s.views {
		if v.ExternalID == externalID && v.ID != selfID {
			return fail("duplicate_external_id")
		}
	}
	return nil
}

// parseViewCall reads the arguments of a views.* call and checks the view
// against Slack's modal limits.
func parseViewCall(r *request) (viewCall, viewFields, error) {
	var call viewCall
	if r.body != nil {
		if err := json.Unmarshal(r.body, &call); err != nil {
			return call, viewFields{}, fail("invalid_arguments", "[ERROR] "+err.Error())
		}
	} else {
		call = viewCall{
			TriggerID:  r.params.Get("trigger_id"),
			View:       json.RawMessage(r.params.Get("view")),
			ViewID:     r.params.Get("view_id"),
			ExternalID: r.params.Get("external_id"),
			Hash:       r.params.Get("hash"),
		}
	}

	if len(call.View) == 0 {
		return call, viewFields{}, fail("invalid_arguments", "[ERROR] missing required field: view")
	}
	var fields viewFields
	if err := json.Unmarshal(call.View, &fields); err != nil {
		return call, viewFields{}, fail("invalid_arguments", "[ERROR] view is not a JSON object [json-pointer:/view]")
	}
	if messages := fields.problems(); len(messages) > 0 {
		return call, viewFields{}, fail("invalid_arguments", messages...)
	}
	return call, fields, nil
}

// problems returns Slack-style messages for each limit the view breaks.
func (f viewFields) problems() []string {
	var out []string
	add := func(pointer, message string) {
		out = append(out, fmt.Sprintf("[ERROR] %s [json-pointer:/view%s]", message, pointer))
	}

	if f.Type != "modal" {
		add("/type", `must be "modal"`)
	}
	if f.Title == nil || f.Title.Text == "" {
		add("/title", "missing required field: title")
	}
	checkLength := func(pointer, value string, limit int) {
		if utf8.RuneCountInString(value) > limit {
			add(pointer, fmt.Sprintf("must be less than %d characters", limit+1))
		}
	}
	if f.Title != nil {
		checkLength("/title/text", f.Title.Text, maxViewTitle)
	}
	if f.Submit != nil {
		checkLength("/submit/text", f.Submit.Text, maxViewButtonText)
	}
	if f.Close != nil {
		checkLength("/close/text", f.Close.Text, maxViewButtonText)
	}
	checkLength("/private_metadata", f.PrivateMetadata, maxViewPrivateMetadata)
	checkLength("/callback_id", f.CallbackID, maxViewCallbackID)
	checkLength("/external_id", f.ExternalID, maxViewExternalID)

	if f.Blocks == nil {
		add("/blocks", "missing required field: blocks")
	} else {
		out = append(out, checkBlocks("/view/blocks", f.Blocks, maxViewBlocks)...)
	}
	if f.Submit == nil && f.hasInputBlock() {
		add("/submit", "submit is required when an input block is present")
	}
	return out
}

func (f viewFields) hasInputBlock() bool {
	var blocks []struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(f.Blocks, &blocks) // checkBlocks reports invalid JSON.
	for _, b := range blocks {
		if b.Type == "input" {
			return true
		}
	}
	return false
}
