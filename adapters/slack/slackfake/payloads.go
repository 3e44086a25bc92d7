package slackfake

import (
	"encoding/json"
	"net/url"
)

// SlashCommand is a slash command invocation as Slack posts it to the app.
type SlashCommand struct {
	// Command is the command with its slash, such as "/stoerung".
	Command     string
	Text        string
	TeamID      string
	TeamDomain  string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	TriggerID   string
	ResponseURL string
	APIAppID    string
	// Token is the deprecated verification token. Slack still sends the field.
	Token string
}

// Body returns the form-encoded request body, to send with ContentTypeForm.
func (c SlashCommand) Body() []byte {
	return []byte(c.form().Encode())
}

// Payload returns the JSON payload of a Socket Mode slash_commands
// envelope: the fields of Body as an object of strings.
func (c SlashCommand) Payload() []byte {
	fields := obj{}
	for key, values := range c.form() {
		fields[key] = values[0]
	}
	return mustJSON(fields)
}

func (c SlashCommand) form() url.Values {
	return url.Values{
		"token":                 {c.Token},
		"team_id":               {c.TeamID},
		"team_domain":           {c.TeamDomain},
		"channel_id":            {c.ChannelID},
		"channel_name":          {c.ChannelName},
		"user_id":               {c.UserID},
		"user_name":             {c.UserName},
		"command":               {c.Command},
		"text":                  {c.Text},
		"api_app_id":            {c.APIAppID},
		"is_enterprise_install": {"false"},
		"response_url":          {c.ResponseURL},
		"trigger_id":            {c.TriggerID},
	}
}

// InputValue is the state of one input element in a view, as Slack reports
// it in view.state.values. Build it with TextValue, SelectValue or UserValue.
type InputValue struct {
	Type            string   `json:"type"`
	Value           string   `json:"value,omitempty"`
	SelectedOption  *Option  `json:"selected_option,omitempty"`
	SelectedOptions []Option `json:"selected_options,omitempty"`
	SelectedUser    string   `json:"selected_user,omitempty"`
	SelectedDate    string   `json:"selected_date,omitempty"`
}

// TextValue returns the state of a plain_text_input element.
func TextValue(text string) InputValue {
	return InputValue{Type: "plain_text_input", Value: text}
}

// SelectValue returns the state of a static_select element with one option chosen.
func SelectValue(value, text string) InputValue {
	return InputValue{Type: "static_select", SelectedOption: &Option{Value: value, Text: text}}
}

// CheckboxValue returns the state of a checkboxes element with the given
// options ticked; none means the box is unticked.
func CheckboxValue(ticked ...Option) InputValue {
	return InputValue{Type: "checkboxes", SelectedOptions: append([]Option{}, ticked...)}
}

// MarshalJSON encodes the state as Slack does. A checkboxes element always
// has selected_options, an empty array when nothing is ticked.
func (v InputValue) MarshalJSON() ([]byte, error) {
	type plain InputValue
	if v.Type != "checkboxes" {
		return json.Marshal(plain(v))
	}
	return json.Marshal(struct {
		plain
		SelectedOptions []Option `json:"selected_options"`
	}{plain(v), append([]Option{}, v.SelectedOptions...)})
}

// UserValue returns the state of a users_select element.
func UserValue(userID string) InputValue {
	return InputValue{Type: "users_select", SelectedUser: userID}
}

// Option is an option of a select or checkbox element.
type Option struct {
	Value string
	Text  string
}

// MarshalJSON encodes the option as a Slack option object with a plain_text label.
func (o Option) MarshalJSON() ([]byte, error) {
	return json.Marshal(obj{"text": plainText(o.Text), "value": o.Value})
}

// StateValues are the values of a view's input elements by block_id, then
// by action_id.
type StateValues map[string]map[string]InputValue

// Interaction identifies the workspace, user and trigger of an interaction.
type Interaction struct {
	TeamID     string
	TeamDomain string
	UserID     string
	UserName   string
	APIAppID   string
	TriggerID  string
	// Token is the deprecated verification token.
	Token string
}

// ViewSubmission is a view_submission interaction: the user pressed the
// submit button of a modal.
type ViewSubmission struct {
	Interaction
	ViewID          string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	// Blocks is the view's blocks JSON. Nil sends an empty array.
	Blocks json.RawMessage
	Values StateValues
}

// Payload returns the JSON interaction payload.
func (v ViewSubmission) Payload() []byte {
	blocks := v.Blocks
	if blocks == nil {
		blocks = json.RawMessage("[]")
	}
	view := obj{
		"id":               v.ViewID,
		"team_id":          v.TeamID,
		"type":             "modal",
		"blocks":           blocks,
		"private_metadata": v.PrivateMetadata,
		"callback_id":      v.CallbackID,
		"external_id":      v.ExternalID,
		"hash":             v.Hash,
		"root_view_id":     v.ViewID,
		"app_id":           v.APIAppID,
		"state":            obj{"values": v.Values.orEmpty()},
	}

	payload := v.Interaction.fields("view_submission")
	payload["view"] = view
	payload["response_urls"] = []any{}
	return mustJSON(payload)
}

// Body returns the form-encoded request body with the payload field, to send
// with ContentTypeForm.
func (v ViewSubmission) Body() []byte {
	return formPayload(v.Payload())
}

// Action is one element the user clicked or changed in a block_actions
// interaction.
type Action struct {
	ActionID string
	BlockID  string
	// Type is the element type, such as "button" or "static_select".
	Type string
	// Value is a button's value.
	Value string
	// Text is a button's label.
	Text           string
	SelectedOption *Option
	ActionTS       string
}

// BlockActions is a block_actions interaction from a message or a view.
type BlockActions struct {
	Interaction
	ResponseURL string
	// ChannelID, ChannelName and MessageTS identify the message that contains
	// the actions. Leave MessageTS empty for actions in a view.
	ChannelID   string
	ChannelName string
	MessageTS   string
	// ViewID identifies the view that contains the actions.
	ViewID  string
	Actions []Action
	Values  StateValues
}

// Payload returns the JSON interaction payload.
func (b BlockActions) Payload() []byte {
	payload := b.Interaction.fields("block_actions")
	payload["response_url"] = b.ResponseURL
	payload["container"] = b.container()
	payload["actions"] = b.wireActions()
	payload["state"] = obj{"values": b.Values.orEmpty()}

	if b.ChannelID != "" {
		payload["channel"] = obj{"id": b.ChannelID, "name": b.ChannelName}
	}
	if b.MessageTS != "" {
		payload["message"] = obj{"type": "message", "ts": b.MessageTS}
	}
	if b.ViewID != "" {
		payload["view"] = obj{"id": b.ViewID, "type": "modal", "state": obj{"values": b.Values.orEmpty()}}
	}
	return mustJSON(payload)
}

// Body returns the form-encoded request body with the payload field, to send
// with ContentTypeForm.
func (b BlockActions) Body() []byte {
	return formPayload(b.Payload())
}

func (b BlockActions) container() obj {
	if b.MessageTS == "" {
		return obj{"type": "view", "view_id": b.ViewID}
	}
	return obj{"type": "message", "message_ts": b.MessageTS, "channel_id": b.ChannelID, "is_ephemeral": false}
}

func (b BlockActions) wireActions() []obj {
	out := make([]obj, 0, len(b.Actions))
	for _, a := range b.Actions {
		// block_id must be present, even if empty: slack-go reads an action
		// without it as a legacy attachment action.
		action := obj{"action_id": a.ActionID, "block_id": a.BlockID, "type": a.Type, "action_ts": a.ActionTS}
		if a.Value != "" {
			action["value"] = a.Value
		}
		if a.Text != "" {
			action["text"] = plainText(a.Text)
		}
		if a.SelectedOption != nil {
			action["selected_option"] = a.SelectedOption
		}
		out = append(out, action)
	}
	return out
}

// fields returns the top-level fields every interaction payload carries.
func (i Interaction) fields(interactionType string) obj {
	return obj{
		"type":                  interactionType,
		"token":                 i.Token,
		"team":                  obj{"id": i.TeamID, "domain": i.TeamDomain},
		"user":                  obj{"id": i.UserID, "username": i.UserName, "name": i.UserName, "team_id": i.TeamID},
		"api_app_id":            i.APIAppID,
		"trigger_id":            i.TriggerID,
		"is_enterprise_install": false,
	}
}

func (v StateValues) orEmpty() StateValues {
	if v == nil {
		return StateValues{}
	}
	return v
}

func plainText(text string) obj {
	return obj{"type": "plain_text", "text": text, "emoji": true}
}

func formPayload(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// mustJSON encodes values built from maps, strings and raw JSON, which
// cannot fail unless a caller passed invalid raw JSON.
func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		panic("slackfake: encode payload: " + err.Error())
	}
	return out
}
