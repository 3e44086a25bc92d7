package bot

import (
	"strings"
	"unicode/utf8"
)

// zeroWidthSpace breaks a mention without changing how the text looks.
const zeroWidthSpace = "\u200b"

// markupBreaker defuses Markdown images and links in user text, because
// "![x](u)" makes every reader's client load u and "[text](u)" hides where
// a link goes, as do "[text][1]" and "[1]: u". A zero-width space after the
// "]" keeps the text as written but breaks the syntax. A bare URL stays a
// plain link.
var markupBreaker = strings.NewReplacer(
	"](", "]"+zeroWidthSpace+"(",
	"][", "]"+zeroWidthSpace+"[",
	"]:", "]"+zeroWidthSpace+":",
)

// neutralize makes user text safe to post: an "@" that could start a mention
// (@all, @channel, @here, @someone) gets a zero-width space after it, so no
// platform notifies anyone, and Markdown images and links lose their
// syntax. Adapters escape their own markup on top, such as Slack's
// <!channel>.
func neutralize(s string) string {
	s = markupBreaker.Replace(s)
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+size])
		i += size
		if r == '@' && i < len(s) && !strings.HasPrefix(s[i:], zeroWidthSpace) {
			b.WriteString(zeroWidthSpace)
		}
	}
	return b.String()
}

// oneLine collapses line breaks so user text cannot break a card's layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
