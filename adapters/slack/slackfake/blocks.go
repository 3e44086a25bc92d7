package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits from Slack's block and element reference, in characters.
// The fake rejects blocks that break them, as Slack does, so that tests see
// the error instead of a message that would fail in production.
const (
	maxMessageBlocks   = 50
	maxHeaderText      = 150
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxContextElements = 10
	maxActionElements  = 25
	maxButtonText      = 75
	maxButtonValue     = 2000
	maxActionID        = 255
	maxBlockID         = 255
	maxInputLabel      = 2000
	maxInputHint       = 2000
	maxPlaceholder     = 150
	maxInputLength     = 3000
	maxSelectOptions   = 100
	maxCheckboxOptions = 10
	maxOptionText      = 75
	maxOptionValue     = 150
)

// blockChecker collects Slack-style problem messages for a list of blocks.
//
// NOTE: it supports only the block and element types that Leitstelle sends
// and rejects every other type, although Slack accepts many more.
type blockChecker struct {
	// prefix is the JSON pointer of the blocks array, such as "/view/blocks".
	prefix   string
	problems []string
}

// checkBlocks returns a problem message for each limit the blocks break.
// raw is a JSON array of blocks, max the number of blocks allowed.
func checkBlocks(prefix string, raw json.RawMessage, max int) []string {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return []string{fmt.Sprintf("[ERROR] must be an array of objects [json-pointer:%s]", prefix)}
	}

	c := &blockChecker{prefix: prefix}
	if len(blocks) > max {
		c.add("", fmt.Sprintf("no more than %d items allowed", max))
	}
	for i, b := range blocks {
		c.block(fmt.Sprintf("/%d", i), b)
	}
	return c.problems
}

func (c *blockChecker) add(pointer, message string) {
	c.problems = append(c.problems, fmt.Sprintf("[ERROR] %s [json-pointer:%s%s]", message, c.prefix, pointer))
}

func (c *blockChecker) block(at string, b map[string]any) {
	c.length(at+"/block_id", str(b["block_id"]), maxBlockID)

	switch b["type"] {
	case "header":
		c.text(at+"/text", b["text"], maxHeaderText, true)
	case "section":
		c.section(at, b)
	case "context":
		elements := list(b["elements"])
		if len(elements) == 0 || len(elements) > maxContextElements {
			c.add(at+"/elements", fmt.Sprintf("must have 1 to %d items", maxContextElements))
		}
		for i, e := range elements {
			c.text(fmt.Sprintf("%s/elements/%d", at, i), e, maxSectionText, false)
		}
	case "actions":
		c.actions(at, b)
	case "input":
		c.input(at, b)
	case "divider":
	default:
		c.add(at+"/type", fmt.Sprintf("unsupported block type %q in slackfake", b["type"]))
	}
}

func (c *blockChecker) section(at string, b map[string]any) {
	fields := list(b["fields"])
	if b["text"] == nil && len(fields) == 0 {
		c.add(at, "must have text or fields")
	}
	if b["text"] != nil {
		c.text(at+"/text", b["text"], maxSectionText, false)
	}
	if len(fields) > maxSectionFields {
		c.add(at+"/fields", fmt.Sprintf("no more than %d items allowed", maxSectionFields))
	}
	for i, f := range fields {
		c.text(fmt.Sprintf("%s/fields/%d", at, i), f, maxFieldText, false)
	}
}

func (c *blockChecker) actions(at string, b map[string]any) {
	elements := list(b["elements"])
	if len(elements) == 0 || len(elements) > maxActionElements {
		c.add(at+"/elements", fmt.Sprintf("must have 1 to %d items", maxActionElements))
	}
	seen := map[string]bool{}
	for i, e := range elements {
		el, _ := e.(map[string]any)
		pointer := fmt.Sprintf("%s/elements/%d", at, i)
		id := str(el["action_id"])
		if id != "" && seen[id] {
			c.add(pointer+"/action_id", "action_id must be unique in the block")
		}
		seen[id] = true
		c.element(pointer, el)
	}
}

func (c *blockChecker) input(at string, b map[string]any) {
	c.text(at+"/label", b["label"], maxInputLabel, true)
	if b["hint"] != nil {
		c.text(at+"/hint", b["hint"], maxInputHint, true)
	}
	el, ok := b["element"].(map[string]any)
	if !ok {
		c.add(at+"/element", "missing required field: element")
		return
	}
	c.element(at+"/element", el)
}

// element checks the interactive elements the fake supports.
func (c *blockChecker) element(at string, el map[string]any) {
	c.length(at+"/action_id", str(el["action_id"]), maxActionID)
	if el["placeholder"] != nil {
		c.text(at+"/placeholder", el["placeholder"], maxPlaceholder, true)
	}

	switch el["type"] {
	case "button":
		c.text(at+"/text", el["text"], maxButtonText, true)
		c.length(at+"/value", str(el["value"]), maxButtonValue)
		if style := str(el["style"]); style != "" && style != "primary" && style != "danger" {
			c.add(at+"/style", `must be "primary" or "danger"`)
		}
	case "plain_text_input":
		if n, ok := el["max_length"].(float64); ok && (n < 1 || n > maxInputLength) {
			c.add(at+"/max_length", fmt.Sprintf("must be between 1 and %d", maxInputLength))
		}
		c.length(at+"/initial_value", str(el["initial_value"]), maxInputLength)
	case "static_select":
		c.options(at, el, maxSelectOptions, true)
	case "checkboxes", "radio_buttons":
		c.options(at, el, maxCheckboxOptions, false)
	default:
		c.add(at+"/type", fmt.Sprintf("unsupported element type %q in slackfake", el["type"]))
	}
}

func (c *blockChecker) options(at string, el map[string]any, max int, plainOnly bool) {
	options := list(el["options"])
	if len(options) == 0 || len(options) > max {
		c.add(at+"/options", fmt.Sprintf("must have 1 to %d items", max))
	}
	for i, o := range options {
		opt, _ := o.(map[string]any)
		pointer := fmt.Sprintf("%s/options/%d", at, i)
		c.text(pointer+"/text", opt["text"], maxOptionText, plainOnly)
		c.length(pointer+"/value", str(opt["value"]), maxOptionValue)
	}
}

// text checks a text object: a type, non-empty text within max characters,
// and plain_text where the element allows nothing else.
func (c *blockChecker) text(at string, v any, max int, plainOnly bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.add(at, "must be a text object")
		return
	}
	switch typ := t["type"]; {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	default:
		c.add(at+"/type", fmt.Sprintf("text type %v is not allowed here", typ))
	}
	text := str(t["text"])
	if text == "" {
		c.add(at+"/text", "must be at least 1 character")
	}
	c.length(at+"/text", text, max)
}

func (c *blockChecker) length(at, value string, max int) {
	if utf8.RuneCountInString(value) > max {
		c.add(at, fmt.Sprintf("must be less than %d characters", max+1))
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// checkAttachments checks the blocks inside each attachment.
func checkAttachments(raw json.RawMessage) []string {
	var attachments []struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &attachments); err != nil {
		return []string{"[ERROR] must be an array of objects [json-pointer:/attachments]"}
	}
	var out []string
	for i, a := range attachments {
		if a.Blocks != nil {
			out = append(out, checkBlocks(fmt.Sprintf("/attachments/%d/blocks", i), a.Blocks, maxMessageBlocks)...)
		}
	}
	return out
}
