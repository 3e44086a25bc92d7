package slack

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// Block Kit limits of Slack's block reference, in characters.
const (
	maxHeaderText    = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxSectionFields = 10
	maxButtonText    = 75
)

// actionPrefix starts the action_id of every button the adapter renders, so
// that interactions of other apps' buttons are ignored.
const actionPrefix = "leitstelle:"

// textEscaper escapes the three characters that Slack's mrkdwn treats as
// markup, as Slack's formatting reference requires. Escaped, "<!channel>"
// and "<@U123>" show as text and notify nobody.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapedChannelLink finds a channel reference such as <#C0123> after
// escaping.
var escapedChannelLink = regexp.MustCompile(`&lt;#([CG][A-Z0-9]+)&gt;`)

// channelLinks are the channels the adapter created. Their links in the
// bot's text ("<#C…>", from Channel.Link) are the only Slack markup that
// survives escaping.
type channelLinks struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (l *channelLinks) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = true
}

func (l *channelLinks) known(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[id]
}

// mrkdwn turns text of the bot into Slack mrkdwn. Every "&", "<" and ">" is
// escaped, so user text inside cannot mention anyone or build a link. The
// bot's Markdown bold "**x**" becomes "*x*". Links to channels that the
// adapter created are restored after escaping.
//
// NOTE: a user who types the link of such a channel, "<#C…>", gets a
// working channel reference too. It notifies nobody.
func (a *Adapter) mrkdwn(text string) string {
	out := textEscaper.Replace(text)
	out = strings.ReplaceAll(out, "**", "*")
	return escapedChannelLink.ReplaceAllStringFunc(out, func(match string) string {
		id := escapedChannelLink.FindStringSubmatch(match)[1]
		if a.links.known(id) {
			return "<#" + id + ">"
		}
		return match
	})
}

// messageOptions renders m. A message with a Title becomes a card: a header
// and the text as blocks, then fields, footer and buttons in an attachment
// with the priority colour. A message without Title is its text, with an
// actions block when it has buttons.
func (a *Adapter) messageOptions(m bot.Message) []slackapi.MsgOption {
	fallback := m.Text
	if m.Title != "" {
		fallback = m.Title
	}
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(truncateMrkdwn(a.mrkdwn(fallback), maxSectionText), false),
		slackapi.MsgOptionParse(false),
	}

	switch {
	case m.Title != "":
		opts = append(opts, slackapi.MsgOptionBlocks(a.cardHead(m)...))
		if body, ok := a.cardBody(m); ok {
			opts = append(opts, slackapi.MsgOptionAttachments(body))
		}
	case len(m.Buttons) > 0:
		blocks := a.textSections(m.Text)
		opts = append(opts, slackapi.MsgOptionBlocks(append(blocks, a.buttons(m.Buttons))...))
	}
	return opts
}

// cardHead is the header with the title and the message text.
func (a *Adapter) cardHead(m bot.Message) []slackapi.Block {
	title := plainText(truncateRunes(m.Title, maxHeaderText))
	blocks := []slackapi.Block{slackapi.NewHeaderBlock(title)}
	return append(blocks, a.textSections(m.Text)...)
}

// cardBody is the coloured attachment with fields, footer and buttons. It
// reports false when m has none of them, because an attachment without
// blocks would show only an empty colour bar.
func (a *Adapter) cardBody(m bot.Message) (slackapi.Attachment, bool) {
	var blocks []slackapi.Block
	var short []*slackapi.TextBlockObject
	flush := func() {
		if len(short) > 0 {
			blocks = append(blocks, slackapi.NewSectionBlock(nil, short, nil))
			short = nil
		}
	}

	for _, f := range m.Fields {
		if f.Short {
			short = append(short, a.fieldText(f, maxFieldText))
			if len(short) == maxSectionFields {
				flush()
			}
			continue
		}
		flush()
		blocks = append(blocks, slackapi.NewSectionBlock(a.fieldText(f, maxSectionText), nil, nil))
	}
	flush()

	if m.Footer != "" {
		footer := mrkdwnText(truncateMrkdwn(a.mrkdwn(m.Footer), maxSectionText))
		blocks = append(blocks, slackapi.NewContextBlock("", footer))
	}
	if len(m.Buttons) > 0 {
		blocks = append(blocks, a.buttons(m.Buttons))
	}
	if len(blocks) == 0 {
		return slackapi.Attachment{}, false
	}
	return slackapi.Attachment{
		Color:    m.Color,
		Fallback: truncateRunes(m.Title, maxSectionText),
		Blocks:   slackapi.Blocks{BlockSet: blocks},
	}, true
}

// fieldText is "*Label*" and the value on the next line. An empty value
// shows as a dash, because Slack rejects empty text.
func (a *Adapter) fieldText(f bot.Field, max int) *slackapi.TextBlockObject {
	value := f.Value
	if strings.TrimSpace(value) == "" {
		value = "–"
	}
	return mrkdwnText(truncateMrkdwn("*"+a.mrkdwn(f.Label)+"*\n"+a.mrkdwn(value), max))
}

// textSections renders text as sections of at most maxSectionText
// characters each, split at line breaks where possible.
func (a *Adapter) textSections(text string) []slackapi.Block {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var blocks []slackapi.Block
	for _, chunk := range splitMrkdwn(a.mrkdwn(text), maxSectionText) {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwnText(chunk), nil, nil))
	}
	return blocks
}

// buttons renders the bot's buttons. The value is the bot's signed token,
// which comes back unchanged in the block_actions interaction.
func (a *Adapter) buttons(buttons []bot.Button) *slackapi.ActionBlock {
	elements := make([]slackapi.BlockElement, 0, len(buttons))
	seen := map[string]bool{}
	for _, b := range buttons {
		id := actionPrefix + b.Action
		for n := 2; seen[id]; n++ {
			id = actionPrefix + b.Action + ":" + strconv.Itoa(n)
		}
		seen[id] = true

		btn := slackapi.NewButtonBlockElement(id, b.Token, plainText(truncateRunes(b.Label, maxButtonText)))
		switch b.Style {
		case "primary":
			btn = btn.WithStyle(slackapi.StylePrimary)
		case "danger":
			btn = btn.WithStyle(slackapi.StyleDanger)
		}
		elements = append(elements, btn)
	}
	return slackapi.NewActionBlock("leitstelle-actions", elements...)
}

func plainText(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

// mrkdwnText is a mrkdwn text object with verbatim set, so that Slack does
// not turn bare URLs, channel names or "@here" into links or mentions.
func mrkdwnText(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, true)
}

// truncateRunes cuts s to at most max characters, ending in "…" when cut.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}

// truncateMrkdwn cuts escaped mrkdwn to at most max characters, ending in
// "…" when cut.
func truncateMrkdwn(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return s[:mrkdwnCut(s, max-1)] + "…"
}

// splitMrkdwn splits escaped mrkdwn into chunks of at most max characters,
// at the last line break inside each chunk when there is one.
func splitMrkdwn(s string, max int) []string {
	var chunks []string
	for utf8.RuneCountInString(s) > max {
		cut := mrkdwnCut(s, max)
		if nl := strings.LastIndexByte(s[:cut], '\n'); nl > 0 {
			cut = nl
		}
		chunks = append(chunks, s[:cut])
		s = strings.TrimLeft(s[cut:], "\n")
	}
	if s != "" {
		chunks = append(chunks, s)
	}
	return chunks
}

// mrkdwnCut returns the byte offset after at most n characters of s that
// does not split an entity such as "&amp;". An entity at the very start
// stays split, so that the offset is never zero for n > 0.
func mrkdwnCut(s string, n int) int {
	cut := len(s)
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	if amp := strings.LastIndexByte(s[:cut], '&'); amp > 0 && !strings.Contains(s[amp:cut], ";") {
		cut = amp
	}
	return cut
}
