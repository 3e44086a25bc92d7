package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	slackadapter "github.com/leitstelle/leitstelle/adapters/slack"
	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

const (
	slackSchool = "contract"
	// slackSigningSecret is the app's signing secret, which the adapter
	// checks on every request the desk sends.
	slackSigningSecret = "contract-signing-secret-0123456789"
)

// slackRoleOrder fixes the order in which the users are added, so that
// their IDs are the same in every run.
var slackRoleOrder = []string{Teacher, IT, IT2, Leadership}

// slackUsers are the workspace members behind the scenario's roles.
var slackUsers = map[string]slackfake.User{
	Teacher:    {Name: "lehrerin.weber", RealName: "Anna Weber"},
	IT:         {Name: "it.yilmaz", RealName: "Deniz Yılmaz"},
	IT2:        {Name: "it.becker", RealName: "Tom Becker"},
	Leadership: {Name: "sl.hoffmann", RealName: "Petra Hoffmann"},
}

// slackDesk drives the Slack adapter in HTTP mode as Slack would, with
// signed requests to the adapter's server on loopback. It reads what users
// see from the Web API fake.
type slackDesk struct {
	fake    *slackfake.Server
	store   *sqlstore.Store
	adapter *slackadapter.Adapter
	client  *http.Client
	appURL  string
	// ids maps each role to its Slack user ID.
	ids map[string]string
	// triage is the triage channel, and staffRoom the channel where every
	// role types the slash command.
	triage, staffRoom string
}

func TestSlackContract(t *testing.T) {
	Run(t, newSlackDesk(t))
}

func TestSlackDesk_BadSignatureChangesNothing(t *testing.T) {
	d := newSlackDesk(t)
	body := d.slashCommand(Teacher, "Beamer in Raum 12 zeigt kein Bild").Body()
	url := d.appURL + slackadapter.PathCommands
	rejected := map[string]*http.Request{
		"wrong secret":    slackfake.NewSignedRequest("not-the-signing-secret", url, body, slackfake.ContentTypeForm, time.Now()),
		"stale timestamp": slackfake.NewSignedRequest(slackSigningSecret, url, body, slackfake.ContentTypeForm, time.Now().Add(-10*time.Minute)),
	}
	for name, req := range rejected {
		if status, _ := d.do(t, req); status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want %d", name, status, http.StatusUnauthorized)
		}
	}
	if n := len(d.fake.Calls("views.open")); n != 0 {
		t.Errorf("rejected requests opened %d forms, want 0", n)
	}

	// The same body signed correctly opens the form, so the requests above
	// failed on their signature alone.
	if status, answer := d.send(t, slackadapter.PathCommands, body, slackfake.ContentTypeForm); status != http.StatusOK {
		t.Fatalf("signed request: status %d body %q, want 200", status, answer)
	}
	eventually(t, "the signed request opens the form", func() bool { return len(d.fake.Calls("views.open")) == 1 })
}

// newSlackDesk starts the fake workspace, a real store and bot, and the
// adapter's HTTP server on 127.0.0.1.
func newSlackDesk(t *testing.T) *slackDesk {
	t.Helper()
	d := &slackDesk{
		fake:   slackfake.MustStart(t, slackfake.DefaultConfig()),
		client: &http.Client{Timeout: 10 * time.Second},
		ids:    map[string]string{},
	}
	d.addWorkspace()

	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "contract.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d.store = store

	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	resolved := d.startAdapter(t, logger)
	d.startBot(t, resolved, logger)
	d.serve(t)
	return d
}

// addWorkspace adds the users and channels. Every role is in the triage
// channel, so that the bot's role check, not the channel, is what rejects
// a teacher's 👀.
func (d *slackDesk) addWorkspace() {
	for _, role := range slackRoleOrder {
		d.ids[role] = d.fake.AddUser(slackUsers[role])
	}
	botID := d.fake.Config().BotUserID

	// The bot is not in the triage channel yet, because Setup joins it.
	d.triage = d.fake.AddChannel("it-triage", false, d.ids[Teacher], d.ids[IT], d.ids[IT2], d.ids[Leadership])
	d.fake.AddChannel("schulleitung", true, botID, d.ids[Leadership])
	d.staffRoom = d.fake.AddChannel("lehrerzimmer", false, botID, d.ids[Teacher], d.ids[IT], d.ids[IT2], d.ids[Leadership])
}

func (d *slackDesk) startAdapter(t *testing.T, logger *slog.Logger) slackadapter.Resolved {
	t.Helper()
	cfg := slackadapter.DefaultConfig()
	cfg.Mode = slackadapter.ModeHTTP
	cfg.BotToken = d.fake.Config().BotToken
	cfg.SigningSecret = slackSigningSecret
	cfg.TriageChannel = "#it-triage"
	cfg.LeadershipChannel = "schulleitung"
	cfg.APIURL = d.fake.APIURL()
	// Serve gets its own listener, so ListenAddr only has to pass Validate.
	cfg.ListenAddr = "127.0.0.1:0"

	adapter, err := slackadapter.New(cfg, slackadapter.Deps{Logger: logger, Deliveries: d.store})
	if err != nil {
		t.Fatal(err)
	}
	d.adapter = adapter
	resolved, err := adapter.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

// startBot attaches a bot that is configured with IT by user name and IT2
// by user ID, so that both ways of naming a role are used.
func (d *slackDesk) startBot(t *testing.T, resolved slackadapter.Resolved, logger *slog.Logger) {
	t.Helper()
	cfg := bot.DefaultConfig()
	cfg.School = slackSchool
	cfg.CommandName = "/stoerung"
	cfg.TriageChannelID = resolved.TriageChannelID
	cfg.LeadershipChannelID = resolved.LeadershipChannelID
	cfg.Secret = bytes.Repeat([]byte("s"), 32)
	cfg.ITUsers = []string{slackUsers[IT].Name, d.ids[IT2]}
	cfg.LeadershipUsers = []string{slackUsers[Leadership].Name}

	b, err := bot.New(cfg, bot.Deps{Store: d.store, Platform: d.adapter, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	d.adapter.Attach(b)
}

// serve runs the adapter's HTTP mode on 127.0.0.1 until the test ends,
// then waits until the adapter has shut down and finished its work.
func (d *slackDesk) serve(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.appURL = "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.adapter.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

// send posts body to path of the adapter, signed now with the signing
// secret, and returns the status and the response body.
func (d *slackDesk) send(t *testing.T, path string, body []byte, contentType string) (int, []byte) {
	t.Helper()
	return d.do(t, slackfake.NewSignedRequest(slackSigningSecret, d.appURL+path, body, contentType, time.Now()))
}

func (d *slackDesk) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response of %s: %v", req.URL.Path, err)
	}
	return resp.StatusCode, body
}

// slashCommand returns /stoerung text as role types it in the staff room,
// with a trigger ID and a response URL that the fake issued.
func (d *slackDesk) slashCommand(role, text string) slackfake.SlashCommand {
	cfg := d.fake.Config()
	return slackfake.SlashCommand{
		Command: "/stoerung", Text: text,
		TeamID: cfg.TeamID, TeamDomain: cfg.TeamDomain, APIAppID: cfg.AppID,
		ChannelID: d.staffRoom, ChannelName: "lehrerzimmer",
		UserID: d.ids[role], UserName: slackUsers[role].Name,
		TriggerID: d.fake.NewTrigger(d.ids[role]), ResponseURL: d.fake.NewResponseURL(),
	}
}

// interaction returns the workspace, user and trigger fields of an
// interaction by role.
func (d *slackDesk) interaction(role string) slackfake.Interaction {
	cfg := d.fake.Config()
	return slackfake.Interaction{
		TeamID: cfg.TeamID, TeamDomain: cfg.TeamDomain, APIAppID: cfg.AppID,
		UserID: d.ids[role], UserName: slackUsers[role].Name, TriggerID: d.fake.NewTrigger(d.ids[role]),
	}
}

func (d *slackDesk) Report(t *testing.T, role, text string, a Answers) {
	t.Helper()
	cmd := d.slashCommand(role, text)
	status, body := d.send(t, slackadapter.PathCommands, cmd.Body(), slackfake.ContentTypeForm)
	if status != http.StatusOK || len(body) != 0 {
		t.Fatalf("/stoerung %s: status %d body %q, want 200 and an empty body after opening the form", text, status, body)
	}

	var view slackfake.View
	eventually(t, "views.open with the trigger of /stoerung", func() bool {
		for _, v := range d.fake.Views() {
			if v.TriggerID == cmd.TriggerID {
				view = v
				return true
			}
		}
		return false
	})
	var modal struct {
		PrivateMetadata string          `json:"private_metadata"`
		Blocks          json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(view.JSON, &modal); err != nil {
		t.Fatalf("view %s: %v", view.ID, err)
	}

	sub := slackfake.ViewSubmission{
		Interaction: d.interaction(role),
		ViewID:      view.ID, CallbackID: view.CallbackID, Hash: view.Hash,
		PrivateMetadata: modal.PrivateMetadata,
		Blocks:          modal.Blocks,
		Values:          slackFormValues(t, modal.Blocks, text, a),
	}
	status, body = d.send(t, slackadapter.PathInteractivity, sub.Body(), slackfake.ContentTypeForm)
	if status != http.StatusOK || len(body) != 0 {
		t.Fatalf("report form: status %d body %s, want 200 and an empty body that closes the form", status, body)
	}
}

// slackFormValues fills the input blocks of the report modal with a, by
// their block and action IDs. A text field that a has no value for, such as
// the description, keeps the text the modal was opened with.
func slackFormValues(t *testing.T, raw json.RawMessage, description string, a Answers) slackfake.StateValues {
	t.Helper()
	var blocks slackapi.Blocks
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("modal blocks: %v", err)
	}
	answers := map[string]string{
		"location": a.Location, "category": a.Category,
		"impact": strconv.Itoa(a.Impact), "urgency": strconv.Itoa(a.Urgency), "exam": strconv.FormatBool(a.Exam),
	}

	values := slackfake.StateValues{}
	for _, block := range blocks.BlockSet {
		input, ok := block.(*slackapi.InputBlock)
		if !ok {
			continue
		}
		id, answer := input.BlockID, answers[input.BlockID]
		switch el := input.Element.(type) {
		case *slackapi.PlainTextInputBlockElement:
			if _, ok := answers[id]; !ok {
				answer = el.InitialValue
			}
			if id == "description" && el.InitialValue != description {
				t.Errorf("modal prefills the description with %q, want %q", el.InitialValue, description)
			}
			values[id] = map[string]slackfake.InputValue{el.ActionID: slackfake.TextValue(answer)}
		case *slackapi.SelectBlockElement:
			option := slackOption(t, id, el.Options, answer)
			values[id] = map[string]slackfake.InputValue{el.ActionID: slackfake.SelectValue(option.Value, option.Text)}
		case *slackapi.CheckboxGroupsBlockElement:
			var ticked []slackfake.Option
			if answer == "true" {
				ticked = append(ticked, slackOption(t, id, el.Options, "true"))
			}
			values[id] = map[string]slackfake.InputValue{el.ActionID: slackfake.CheckboxValue(ticked...)}
		default:
			t.Fatalf("modal field %q has element %T, which the desk cannot fill", id, input.Element)
		}
	}
	return values
}

// slackOption returns the option of field whose value is value.
func slackOption(t *testing.T, field string, options []*slackapi.OptionBlockObject, value string) slackfake.Option {
	t.Helper()
	var offered []string
	for _, o := range options {
		if o.Value == value && o.Text != nil {
			return slackfake.Option{Value: o.Value, Text: o.Text.Text}
		}
		offered = append(offered, o.Value)
	}
	t.Fatalf("modal field %q has no option %q, only %v", field, value, offered)
	return slackfake.Option{}
}

func (d *slackDesk) Command(t *testing.T, role, text string) string {
	t.Helper()
	cmd := d.slashCommand(role, text)
	ephemeralsBefore := len(d.ephemeralsTo(cmd.UserID))
	status, body := d.send(t, slackadapter.PathCommands, cmd.Body(), slackfake.ContentTypeForm)
	if status != http.StatusOK {
		t.Fatalf("/stoerung %s: status %d body %q, want 200", text, status, body)
	}

	var answers []string
	if len(body) > 0 {
		var ack struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}
		if err := json.Unmarshal(body, &ack); err != nil {
			t.Fatalf("/stoerung %s: answer %q is not JSON: %v", text, body, err)
		}
		if ack.ResponseType != slackapi.ResponseTypeEphemeral {
			t.Errorf("/stoerung %s: response_type %q, want %q", text, ack.ResponseType, slackapi.ResponseTypeEphemeral)
		}
		answers = append(answers, ack.Text)
	}

	// A reply later than the acknowledgement goes to the response URL, or
	// as an ephemeral message when that fails. Waiting for the adapter's
	// background work makes such a reply visible before it is read.
	d.adapter.Wait()
	responseID := cmd.ResponseURL[strings.LastIndex(cmd.ResponseURL, "/")+1:]
	for _, call := range d.fake.Calls(slackfake.MethodResponseURL) {
		var msg struct {
			Text string `json:"text"`
		}
		if call.Params.Get("response_id") == responseID && json.Unmarshal(call.JSON, &msg) == nil {
			answers = append(answers, msg.Text)
		}
	}
	for _, m := range d.ephemeralsTo(cmd.UserID)[ephemeralsBefore:] {
		answers = append(answers, m.Text)
	}
	return slackMrkdwn(strings.Join(answers, "\n"), d.channelNames())
}

func (d *slackDesk) ephemeralsTo(userID string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range d.fake.Ephemerals(d.staffRoom) {
		if m.EphemeralTo == userID {
			out = append(out, m)
		}
	}
	return out
}

func (d *slackDesk) React(t *testing.T, role string, n int64, emoji string, added bool) {
	t.Helper()
	m, ok := d.ticketMessage(t, n)
	if !ok {
		t.Fatalf("no ticket #%d in the triage channel to react to", n)
	}
	var ev slackfake.ReactionEvent
	if added {
		ev = d.fake.AddReaction(d.triage, m.TS, d.ids[role], emoji)
	} else {
		ev = d.fake.RemoveReaction(d.triage, m.TS, d.ids[role], emoji)
	}
	if status, body := d.send(t, slackadapter.PathEvents, ev.Body(), slackfake.ContentTypeJSON); status != http.StatusOK {
		t.Fatalf("%s event %s: status %d body %q, want 200", ev.Type(), ev.EventID, status, body)
	}

	// The adapter acknowledges the event before the bot handles it. Waiting
	// here lets the suite check the effect of a reaction that must change
	// nothing, instead of checking before the reaction was handled.
	d.adapter.Wait()
}

func (d *slackDesk) Ticket(t *testing.T, n int64) (Post, bool) {
	t.Helper()
	m, ok := d.ticketMessage(t, n)
	if !ok {
		return Post{}, false
	}
	return d.post(t, m), true
}

// ticketMessage returns the bot's post in the triage channel whose header
// starts with ticket n's number, such as "#1 · P3 · …".
func (d *slackDesk) ticketMessage(t *testing.T, n int64) (slackfake.Message, bool) {
	t.Helper()
	ref := fmt.Sprintf("#%d ", n)
	for _, m := range d.fake.Messages(d.triage) {
		if m.User == d.fake.Config().BotUserID && strings.HasPrefix(d.post(t, m).Text, ref) {
			return m, true
		}
	}
	return slackfake.Message{}, false
}

func (d *slackDesk) DMs(t *testing.T, role string) []Post {
	t.Helper()
	var dms []Post
	for _, ch := range d.fake.Channels() {
		if !ch.IsIM || ch.User != d.ids[role] {
			continue
		}
		for _, m := range d.fake.Messages(ch.ID) {
			if m.User == d.fake.Config().BotUserID {
				dms = append(dms, d.post(t, m))
			}
		}
	}
	return dms
}

// slackButtonRef identifies a button for a block_actions interaction. The
// desk stores it as JSON in Button.Ref.
type slackButtonRef struct {
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	BlockID  string `json:"block_id"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

func (d *slackDesk) Press(t *testing.T, role string, b Button) {
	t.Helper()
	var ref slackButtonRef
	if err := json.Unmarshal([]byte(b.Ref), &ref); err != nil {
		t.Fatalf("button %q: invalid ref %q: %v", b.Label, b.Ref, err)
	}
	now := time.Now()
	actions := slackfake.BlockActions{
		Interaction: d.interaction(role),
		ResponseURL: d.fake.NewResponseURL(),
		ChannelID:   ref.Channel,
		MessageTS:   ref.TS,
		Actions: []slackfake.Action{{
			ActionID: ref.ActionID, BlockID: ref.BlockID, Type: "button", Value: ref.Value, Text: b.Label,
			ActionTS: fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		}},
	}
	if status, body := d.send(t, slackadapter.PathInteractivity, actions.Body(), slackfake.ContentTypeForm); status != http.StatusOK {
		t.Fatalf("press %q: status %d body %q, want 200", b.Label, status, body)
	}
}

func (d *slackDesk) Coordination(t *testing.T, n int64) (string, []string, bool) {
	t.Helper()
	prefix := fmt.Sprintf("stoerung-%04d-", n)
	for _, call := range d.fake.Calls("conversations.create") {
		name := call.Params.Get("name")
		if call.Error != "" || !strings.HasPrefix(name, prefix) {
			continue
		}
		ch, ok := d.fake.ChannelByName(name)
		if !ok {
			t.Fatalf("conversations.create made %q, but the workspace has no such channel", name)
		}

		// The bot stores the channel once the adapter has invited everyone,
		// so before that the member list may be incomplete.
		inc := d.Incident(t, n)
		if inc == nil || inc.CoordinationChannelID == "" {
			return "", nil, false
		}
		if inc.CoordinationChannelID != ch.ID {
			t.Errorf("#%d stores coordination channel %s, want %s (%s)", n, inc.CoordinationChannelID, ch.ID, name)
		}
		var roles []string
		for _, id := range d.fake.Members(ch.ID) {
			if id != d.fake.Config().BotUserID {
				roles = append(roles, roleOf(d.ids, id))
			}
		}
		return ch.Name, roles, true
	}
	return "", nil, false
}

func (d *slackDesk) Incident(t *testing.T, n int64) *incident.Incident {
	t.Helper()
	inc, err := d.store.Get(context.Background(), slackSchool, n)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// channelNames maps channel IDs to names, to show channel links as the
// Slack client does.
func (d *slackDesk) channelNames() map[string]string {
	names := map[string]string{}
	for _, ch := range d.fake.Channels() {
		names[ch.ID] = ch.Name
	}
	return names
}

// post renders m as the Slack client shows it: its blocks, or its text when
// it has none, then the blocks of its attachments.
func (d *slackDesk) post(t *testing.T, m slackfake.Message) Post {
	t.Helper()
	r := &slackRenderer{names: d.channelNames(), channel: m.Channel, ts: m.TS}
	var blocks slackapi.Blocks
	if len(m.Blocks) > 0 {
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatalf("blocks of message %s: %v", m.TS, err)
		}
	}
	if len(blocks.BlockSet) == 0 {
		r.line(slackMrkdwn(m.Text, r.names))
	}
	r.blocks(blocks.BlockSet)

	if len(m.Attachments) > 0 {
		var attachments []slackapi.Attachment
		if err := json.Unmarshal(m.Attachments, &attachments); err != nil {
			t.Fatalf("attachments of message %s: %v", m.TS, err)
		}
		for _, a := range attachments {
			r.blocks(a.Blocks.BlockSet)
		}
	}
	return r.post
}

// slackRenderer collects the visible text and the buttons of one message.
type slackRenderer struct {
	names       map[string]string
	channel, ts string
	post        Post
}

func (r *slackRenderer) line(s string) {
	if strings.TrimSpace(s) != "" {
		r.post.Text += s + "\n"
	}
}

func (r *slackRenderer) text(obj *slackapi.TextBlockObject) {
	switch {
	case obj == nil:
	case obj.Type == slackapi.MarkdownType:
		r.line(slackMrkdwn(obj.Text, r.names))
	default:
		r.line(obj.Text)
	}
}

func (r *slackRenderer) blocks(blocks []slackapi.Block) {
	for _, block := range blocks {
		switch b := block.(type) {
		case *slackapi.HeaderBlock:
			r.text(b.Text)
		case *slackapi.SectionBlock:
			r.text(b.Text)
			for _, f := range b.Fields {
				r.text(f)
			}
		case *slackapi.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if text, ok := el.(*slackapi.TextBlockObject); ok {
					r.text(text)
				}
			}
		case *slackapi.ActionBlock:
			r.buttons(b)
		}
	}
}

func (r *slackRenderer) buttons(b *slackapi.ActionBlock) {
	if b.Elements == nil {
		return
	}
	for _, el := range b.Elements.ElementSet {
		button, ok := el.(*slackapi.ButtonBlockElement)
		if !ok || button.Text == nil {
			continue
		}
		// A struct of strings always encodes, so the error is always nil.
		ref, _ := json.Marshal(slackButtonRef{Channel: r.channel, TS: r.ts, BlockID: b.BlockID, ActionID: button.ActionID, Value: button.Value})
		r.post.Buttons = append(r.post.Buttons, Button{Label: button.Text.Text, Ref: string(ref)})
	}
}

var (
	slackChannelLink = regexp.MustCompile(`<#([CG][A-Z0-9]+)(?:\|[^>]*)?>`)
	slackEntities    = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// slackMrkdwn shows mrkdwn as the Slack client does: a channel link as
// "#name" and the escaped characters "&", "<" and ">" as themselves.
// Formatting such as *bold* stays as it is.
func slackMrkdwn(s string, names map[string]string) string {
	s = slackChannelLink.ReplaceAllStringFunc(s, func(link string) string {
		if name := names[slackChannelLink.FindStringSubmatch(link)[1]]; name != "" {
			return "#" + name
		}
		return link
	})
	return slackEntities.Replace(s)
}
