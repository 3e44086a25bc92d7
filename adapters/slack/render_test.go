package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
)

// newTestAdapter returns an adapter that makes no calls, for rendering.
func newTestAdapter(t *testing.T) *Adapter {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BotToken = "xoxb-test"
	cfg.AppToken = "xapp-test"
	cfg.TriageChannel = "it-triage"
	cfg.APIURL = "http://127.0.0.1:1/"
	a, err := New(cfg, Deps{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMrkdwn_NeutralisesMarkup(t *testing.T) {
	a := newTestAdapter(t)
	a.links.add("C0COORD01")

	cases := []struct {
		name, in, want string
	}{
		{"channel mention", "<!channel> Drucker kaputt", "&lt;!channel&gt; Drucker kaputt"},
		{"here mention", "bitte <!here>", "bitte &lt;!here&gt;"},
		{"everyone mention", "<!everyone>", "&lt;!everyone&gt;"},
		{"user mention", "frag <@U024BE7LH>", "frag &lt;@U024BE7LH&gt;"},
		{"group mention", "<!subteam^S012>", "&lt;!subteam^S012&gt;"},
		{"link", "<https://phish.example|Login>", "&lt;https://phish.example|Login&gt;"},
		{"ampersand", "Ton & Bild", "Ton &amp; Bild"},
		{"escaped entity stays literal", "&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"},
		{"bot placeholder", "/stoerung gelöst #7 <Notiz>", "/stoerung gelöst #7 &lt;Notiz&gt;"},
		{"bold", "**Leitstelle** hilft", "*Leitstelle* hilft"},
		{"created channel link", "Kanal: <#C0COORD01>", "Kanal: <#C0COORD01>"},
		{"other channel link", "Kanal: <#C0OTHER01>", "Kanal: &lt;#C0OTHER01&gt;"},
		{"labelled link of created channel", "<#C0COORD01|x>", "&lt;#C0COORD01|x&gt;"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.mrkdwn(tc.in); got != tc.want {
				t.Errorf("mrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// sentJSON posts the message of opts to a fake Slack, which checks the
// Block Kit limits, and returns the stored text, blocks and attachments.
func sentJSON(t *testing.T, opts []slackapi.MsgOption) (text string, blocks, attachments []map[string]any) {
	t.Helper()
	fake := slackfake.MustStart(t, slackfake.DefaultConfig())
	channel := fake.AddChannel("it-triage", false, fake.Config().BotUserID)
	client := slackapi.New(fake.Config().BotToken, slackapi.OptionAPIURL(fake.APIURL()))
	if _, _, err := client.PostMessage(channel, opts...); err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}

	m := fake.Messages(channel)[0]
	if m.Blocks != nil {
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatalf("blocks %s: %v", m.Blocks, err)
		}
	}
	if m.Attachments != nil {
		if err := json.Unmarshal(m.Attachments, &attachments); err != nil {
			t.Fatalf("attachments %s: %v", m.Attachments, err)
		}
	}
	return m.Text, blocks, attachments
}

func TestMessageOptions_TicketCard(t *testing.T) {
	a := newTestAdapter(t)
	var fields []bot.Field
	for i := range 12 {
		fields = append(fields, bot.Field{Label: "Feld", Value: "Wert " + strings.Repeat("x", i), Short: true})
	}
	fields = append(fields, bot.Field{Label: "Beschreibung", Value: "<!channel> " + strings.Repeat("ä", 2500)})
	fields = append(fields, bot.Field{Label: "Ort", Value: ""})
	m := bot.Message{
		Title:  "#7 · P1 · <!here> Lernplattform",
		Color:  "#d0021b",
		Fields: fields,
		Footer: "Gemeldet 07.12.2026 08:00",
		Buttons: []bot.Button{
			{Label: "Übernehmen", Action: "claim", Style: "primary", Token: "v1.token.claim"},
			{Label: "Übernehmen", Action: "claim", Token: "v1.token.again"},
		},
	}

	text, blocks, attachments := sentJSON(t, a.messageOptions(m))

	if text != "#7 · P1 · &lt;!here&gt; Lernplattform" {
		t.Errorf("fallback text = %q, want the escaped title", text)
	}
	if len(blocks) != 1 || blocks[0]["type"] != "header" {
		t.Fatalf("blocks = %v, want one header", blocks)
	}
	if title := blocks[0]["text"].(map[string]any); title["type"] != "plain_text" || title["text"] != m.Title {
		t.Errorf("header text = %v, want the plain title", title)
	}

	if len(attachments) != 1 || attachments[0]["color"] != "#d0021b" {
		t.Fatalf("attachments = %v, want one with the priority colour", attachments)
	}
	body := attachments[0]["blocks"].([]any)
	// 12 short fields: sections of 10 and 2; two long fields; footer; buttons.
	wantTypes := []string{"section", "section", "section", "section", "context", "actions"}
	if len(body) != len(wantTypes) {
		t.Fatalf("attachment blocks = %d, want %d: %v", len(body), len(wantTypes), body)
	}
	for i, want := range wantTypes {
		if got := body[i].(map[string]any)["type"]; got != want {
			t.Errorf("attachment block %d type = %v, want %s", i, got, want)
		}
	}
	if n := len(body[0].(map[string]any)["fields"].([]any)); n != 10 {
		t.Errorf("first section fields = %d, want 10", n)
	}

	description := body[2].(map[string]any)["text"].(map[string]any)
	descText := description["text"].(string)
	if !strings.HasPrefix(descText, "*Beschreibung*\n&lt;!channel&gt; ") || utf8.RuneCountInString(descText) > maxSectionText {
		t.Errorf("description = %.60q… (%d characters), want escaped and at most %d", descText, utf8.RuneCountInString(descText), maxSectionText)
	}
	if description["verbatim"] != true {
		t.Errorf("description verbatim = %v, want true", description["verbatim"])
	}
	if empty := body[3].(map[string]any)["text"].(map[string]any)["text"]; empty != "*Ort*\n–" {
		t.Errorf("empty field = %q, want a dash", empty)
	}

	buttons := body[5].(map[string]any)["elements"].([]any)
	first, second := buttons[0].(map[string]any), buttons[1].(map[string]any)
	if first["action_id"] != "leitstelle:claim" || first["value"] != "v1.token.claim" || first["style"] != "primary" {
		t.Errorf("first button = %v, want claim with the token and primary style", first)
	}
	if second["action_id"] == first["action_id"] {
		t.Errorf("action ids repeat: %v", second["action_id"])
	}
}

func TestMessageOptions_TextWithButtons(t *testing.T) {
	a := newTestAdapter(t)
	m := bot.Message{
		Text:    "Funktioniert es wieder?",
		Buttons: []bot.Button{{Label: "Funktioniert", Action: "verify", Style: "primary", Token: "v1.t"}},
	}

	text, blocks, attachments := sentJSON(t, a.messageOptions(m))
	if text != "Funktioniert es wieder?" || len(attachments) != 0 {
		t.Errorf("text %q attachments %v, want the text and no attachment", text, attachments)
	}
	if len(blocks) != 2 || blocks[0]["type"] != "section" || blocks[1]["type"] != "actions" {
		t.Errorf("blocks = %v, want a section and the actions", blocks)
	}
}

func TestMessageOptions_PlainText(t *testing.T) {
	a := newTestAdapter(t)

	text, blocks, attachments := sentJSON(t, a.messageOptions(bot.Message{Text: "Danke! <@U1>"}))
	if text != "Danke! &lt;@U1&gt;" || blocks != nil || attachments != nil {
		t.Errorf("text %q blocks %v attachments %v, want only the escaped text", text, blocks, attachments)
	}
}

func TestTruncateMrkdwn_KeepsEntitiesWhole(t *testing.T) {
	s := strings.Repeat("a", 8) + "&amp;" + "bbbb"
	for max := 1; max <= len(s)+1; max++ {
		got := truncateMrkdwn(s, max)
		if utf8.RuneCountInString(got) > max {
			t.Errorf("truncateMrkdwn(max %d) = %q, longer than %d", max, got, max)
		}
		if i := strings.LastIndexByte(got, '&'); i > 0 && !strings.Contains(got[i:], ";") {
			t.Errorf("truncateMrkdwn(max %d) = %q splits an entity", max, got)
		}
	}
}

func TestSplitMrkdwn_AtLineBreaks(t *testing.T) {
	text := strings.Repeat("zeile\n", 1200) // 7200 characters
	chunks := splitMrkdwn(text, maxSectionText)

	if len(chunks) != 3 {
		t.Fatalf("chunks = %d, want 3", len(chunks))
	}
	total := 0
	for i, c := range chunks {
		if utf8.RuneCountInString(c) > maxSectionText {
			t.Errorf("chunk %d has %d characters, want at most %d", i, utf8.RuneCountInString(c), maxSectionText)
		}
		if !strings.HasSuffix(strings.TrimRight(c, "\n"), "zeile") {
			t.Errorf("chunk %d ends in %q, want a whole line", i, c[len(c)-8:])
		}
		total += strings.Count(c, "zeile")
	}
	if total != 1200 {
		t.Errorf("lines in chunks = %d, want 1200", total)
	}
}

func TestMessageOptions_TitleOnly(t *testing.T) {
	a := newTestAdapter(t)

	text, blocks, attachments := sentJSON(t, a.messageOptions(bot.Message{Title: "#3 · P2 · WLAN", Color: "#f5a623"}))
	if text != "#3 · P2 · WLAN" || len(blocks) != 1 || attachments != nil {
		t.Errorf("text %q blocks %v attachments %v, want the header only", text, blocks, attachments)
	}
}
