package mattermost

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// contextToken is the key of the bot's signed token in a button's context.
const contextToken = "token"

// ellipsis marks text that was cut to fit a limit.
const ellipsis = "…"

// renderDialog turns f into an interactive dialog. Mattermost limits
// title, labels, help texts and defaults in bytes, so an umlaut counts
// twice; longer texts are cut on a rune boundary.
func renderDialog(f bot.Form) model.Dialog {
	elements := make([]model.DialogElement, len(f.Fields))
	for i, field := range f.Fields {
		elements[i] = renderElement(field)
	}
	return model.Dialog{
		CallbackId:  f.ID,
		Title:       truncateBytes(f.Title, model.DialogTitleMaxLength),
		SubmitLabel: f.SubmitLabel,
		State:       f.State,
		Elements:    elements,
	}
}

func renderElement(f bot.FormField) model.DialogElement {
	e := model.DialogElement{
		DisplayName: truncateBytes(f.Label, model.DialogElementDisplayNameMaxLength),
		Name:        f.Name,
		Type:        string(f.Type),
		HelpText:    truncateBytes(f.Help, model.DialogElementHelpTextMaxLength),
		Optional:    f.Optional,
		MaxLength:   f.MaxLength,
	}

	switch f.Type {
	case bot.FieldText:
		e.Default = cutBytes(f.Default, model.DialogElementTextMaxLength)
		e.Placeholder = truncateBytes(f.Placeholder, model.DialogElementTextMaxLength)
	case bot.FieldTextarea:
		e.Default = cutBytes(f.Default, model.DialogElementTextareaMaxLength)
		e.Placeholder = truncateBytes(f.Placeholder, model.DialogElementTextareaMaxLength)
	case bot.FieldSelect:
		e.MaxLength = 0
		e.Options = make([]*model.PostActionOptions, len(f.Options))
		for i, o := range f.Options {
			e.Options[i] = &model.PostActionOptions{Text: o.Label, Value: o.Value}
			if o.Value == f.Default {
				e.Default = f.Default
			}
		}
		e.Placeholder = truncateBytes(f.Placeholder, model.DialogElementSelectMaxLength)
	case bot.FieldBool:
		// A checkbox shows its placeholder beside the box, so the help
		// text goes there instead of below.
		e.MaxLength = 0
		e.HelpText = ""
		e.Placeholder = truncateBytes(f.Help, model.DialogElementBoolMaxLength)
		if f.Default == "true" || f.Default == "false" {
			e.Default = f.Default
		}
	}
	return e
}

// renderPost turns m into the text and attachments of a post. A message
// with a title becomes a card: an attachment with colour, fields, footer
// and buttons. Without a title the post contains only the text, plus an
// attachment for the buttons if there are any.
func renderPost(m bot.Message, actionURL string) (string, []*model.MessageAttachment) {
	actions := renderButtons(m.Buttons, actionURL)
	if m.Title == "" {
		if len(actions) == 0 {
			return m.Text, nil
		}
		return m.Text, []*model.MessageAttachment{{Fallback: m.Text, Actions: actions}}
	}

	fields := make([]*model.MessageAttachmentField, len(m.Fields))
	for i, f := range m.Fields {
		fields[i] = &model.MessageAttachmentField{Title: f.Label, Value: f.Value, Short: model.SlackCompatibleBool(f.Short)}
	}
	card := &model.MessageAttachment{
		Fallback: m.Title,
		Color:    m.Color,
		Title:    m.Title,
		Fields:   fields,
		Footer:   m.Footer,
		Actions:  actions,
	}
	return m.Text, []*model.MessageAttachment{card}
}

// renderButtons turns buttons into attachment actions that call actionURL
// with the bot's token in their context. Action ids end up in the URL
// path of POST /api/v4/posts/{post_id}/actions/{action_id}, which accepts
// only letters and digits.
func renderButtons(buttons []bot.Button, actionURL string) []*model.PostAction {
	actions := make([]*model.PostAction, 0, len(buttons))
	seen := make(map[string]bool)
	for i, b := range buttons {
		id := actionID(b.Action, i, seen)
		actions = append(actions, &model.PostAction{
			Id:    id,
			Type:  model.PostActionTypeButton,
			Name:  b.Label,
			Style: buttonStyle(b.Style),
			Integration: &model.PostActionIntegration{
				URL:     actionURL,
				Context: map[string]any{contextToken: b.Token},
			},
		})
	}
	return actions
}

// actionID returns the letters and digits of action, or "action" and the
// index when that is empty or already used.
func actionID(action string, index int, seen map[string]bool) string {
	id := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, action)
	if id == "" || seen[id] {
		id = "action" + strconv.Itoa(index)
	}
	seen[id] = true
	return id
}

func buttonStyle(style string) string {
	switch style {
	case "primary", "danger":
		return style
	}
	return "default"
}

// newPost returns a post of m in channelID.
func newPost(channelID string, m bot.Message, actionURL string) *model.Post {
	text, attachments := renderPost(m, actionURL)
	post := &model.Post{ChannelId: channelID, Message: text}
	if len(attachments) > 0 {
		post.AddProp(model.PostPropsAttachments, attachments)
	}
	return post
}

// truncateBytes cuts s to at most max bytes on a rune boundary and ends
// a cut text with an ellipsis.
func truncateBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max < len(ellipsis) {
		return cutBytes(s, max)
	}
	return cutBytes(s, max-len(ellipsis)) + ellipsis
}

// cutBytes cuts s to at most max bytes on a rune boundary.
func cutBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
