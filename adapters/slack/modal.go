package slack

import (
	"encoding/json"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// Modal limits of Slack's view and block reference, in characters.
const (
	maxViewTitle       = 24
	maxPrivateMetadata = 3000
	maxInputLabel      = 2000
	maxInputHint       = 2000
	maxPlaceholder     = 150
	maxInputLength     = 3000
	maxSelectOptions   = 100
	maxOptionText      = 75
)

// callbackPrefix starts the callback_id of every modal the adapter opens.
const callbackPrefix = "leitstelle:"

// boolValue is the value of the single checkbox of a bool field.
const boolValue = "true"

// formMetadata is the private_metadata of a modal: what the bot needs back
// with the submission. State is signed by the bot, so a forged metadata is
// rejected by HandleSubmission.
type formMetadata struct {
	Form    string `json:"f"`
	State   string `json:"s"`
	Channel string `json:"c"`
}

// modalView renders f as a Slack modal. It fails when the form's state does
// not fit into private_metadata or a select field has more options than
// Slack allows.
func modalView(f bot.Form, channelID string) (slackapi.ModalViewRequest, error) {
	meta, err := json.Marshal(formMetadata{Form: f.ID, State: f.State, Channel: channelID})
	if err != nil {
		return slackapi.ModalViewRequest{}, fmt.Errorf("encode form metadata: %w", err)
	}
	if len(meta) > maxPrivateMetadata {
		return slackapi.ModalViewRequest{}, fmt.Errorf("form %q state is %d bytes, Slack allows %d in private_metadata", f.ID, len(meta), maxPrivateMetadata)
	}

	blocks := make([]slackapi.Block, 0, len(f.Fields))
	for _, field := range f.Fields {
		block, err := inputBlock(field)
		if err != nil {
			return slackapi.ModalViewRequest{}, fmt.Errorf("form %q: %w", f.ID, err)
		}
		blocks = append(blocks, block)
	}

	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plainText(truncateRunes(f.Title, maxViewTitle)),
		Submit:          plainText(truncateRunes(f.SubmitLabel, maxViewTitle)),
		Close:           closeText(f.CancelLabel),
		Blocks:          slackapi.Blocks{BlockSet: blocks},
		PrivateMetadata: string(meta),
		CallbackID:      callbackPrefix + f.ID,
	}, nil
}

// inputBlock renders one form field. Its block_id and action_id are the
// field name, which is also the key of the bot's field errors.
func inputBlock(f bot.FormField) (*slackapi.InputBlock, error) {
	var hint *slackapi.TextBlockObject
	if f.Help != "" {
		hint = plainText(truncateRunes(f.Help, maxInputHint))
	}
	label := plainText(truncateRunes(f.Label, maxInputLabel))

	var element slackapi.BlockElement
	optional := f.Optional
	switch f.Type {
	case bot.FieldText, bot.FieldTextarea:
		element = textInput(f)
	case bot.FieldSelect:
		sel, err := selectInput(f)
		if err != nil {
			return nil, err
		}
		element = sel
	case bot.FieldBool:
		element = checkboxInput(f)
		// An unticked checkbox means "no", so Slack must accept it.
		optional = true
	default:
		return nil, fmt.Errorf("field %q has unknown type %q", f.Name, f.Type)
	}

	block := slackapi.NewInputBlock(f.Name, label, hint, element)
	block.Optional = optional
	return block, nil
}

func textInput(f bot.FormField) *slackapi.PlainTextInputBlockElement {
	var placeholder *slackapi.TextBlockObject
	if f.Placeholder != "" {
		placeholder = plainText(truncateRunes(f.Placeholder, maxPlaceholder))
	}
	el := slackapi.NewPlainTextInputBlockElement(placeholder, f.Name)
	el.Multiline = f.Type == bot.FieldTextarea
	el.InitialValue = truncateRunes(f.Default, maxInputLength)
	if f.MaxLength > 0 {
		el.MaxLength = min(f.MaxLength, maxInputLength)
	} else {
		el.MaxLength = maxInputLength
	}
	return el
}

func selectInput(f bot.FormField) (*slackapi.SelectBlockElement, error) {
	if len(f.Options) == 0 || len(f.Options) > maxSelectOptions {
		return nil, fmt.Errorf("select field %q has %d options, Slack allows 1 to %d", f.Name, len(f.Options), maxSelectOptions)
	}
	options := make([]*slackapi.OptionBlockObject, len(f.Options))
	var initial *slackapi.OptionBlockObject
	for i, o := range f.Options {
		options[i] = slackapi.NewOptionBlockObject(o.Value, plainText(truncateRunes(o.Label, maxOptionText)), nil)
		if f.Default != "" && o.Value == f.Default {
			initial = options[i]
		}
	}

	var placeholder *slackapi.TextBlockObject
	if f.Placeholder != "" {
		placeholder = plainText(truncateRunes(f.Placeholder, maxPlaceholder))
	}
	el := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, placeholder, f.Name, options...)
	el.InitialOption = initial
	return el, nil
}

// closeText is the modal's close button, or nil for Slack's default.
func closeText(label string) *slackapi.TextBlockObject {
	if label == "" {
		return nil
	}
	return plainText(truncateRunes(label, maxViewTitle))
}

// checkboxInput renders a bool field as one checkbox with the field's
// CheckLabel (its label when there is none), ticked when the default is
// true.
func checkboxInput(f bot.FormField) *slackapi.CheckboxGroupsBlockElement {
	text := f.CheckLabel
	if text == "" {
		text = f.Label
	}
	option := slackapi.NewOptionBlockObject(boolValue, plainText(truncateRunes(text, maxOptionText)), nil)
	el := slackapi.NewCheckboxGroupsBlockElement(f.Name, option)
	if strings.EqualFold(f.Default, "true") {
		el.InitialOptions = []*slackapi.OptionBlockObject{option}
	}
	return el
}

// submissionValues returns the values of a submitted modal by field name:
// the text of an input, the value of the selected option, and "true" or
// "false" for a checkbox.
func submissionValues(state *slackapi.ViewState) map[string]string {
	values := map[string]string{}
	if state == nil {
		return values
	}
	for blockID, actions := range state.Values {
		action, ok := actions[blockID]
		if !ok {
			continue
		}
		switch action.Type {
		case slackapi.ActionType(slackapi.METCheckboxGroups):
			values[blockID] = "false"
			for _, o := range action.SelectedOptions {
				if o.Value == boolValue {
					values[blockID] = "true"
				}
			}
		case slackapi.ActionType(slackapi.OptTypeStatic):
			values[blockID] = action.SelectedOption.Value
		default:
			values[blockID] = action.Value
		}
	}
	return values
}

// parseMetadata reads the private_metadata of a modal. Invalid metadata
// yields an empty form state, which the bot rejects.
func parseMetadata(raw string) formMetadata {
	var meta formMetadata
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return formMetadata{}
	}
	return meta
}

// messageView is a modal without inputs that shows text, pushed on top of a
// form to report a failed submission. Closing it returns to the form with
// the entered values kept.
func (a *Adapter) messageView(title, text string) *slackapi.ModalViewRequest {
	if title == "" {
		title = "Leitstelle"
	}
	return &slackapi.ModalViewRequest{
		Type:       slackapi.VTModal,
		Title:      plainText(truncateRunes(title, maxViewTitle)),
		Blocks:     slackapi.Blocks{BlockSet: a.textSections(text)},
		CallbackID: callbackPrefix + "message",
	}
}
