package slackfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startFake starts a fake with the default config and a client for its bot token.
func startFake(t *testing.T) (*slackfake.Server, *slack.Client) {
	t.Helper()
	return startFakeWith(t, slackfake.DefaultConfig())
}

func startFakeWith(t *testing.T, cfg slackfake.Config) (*slackfake.Server, *slack.Client) {
	t.Helper()
	fake := slackfake.MustStart(t, cfg)
	return fake, slack.New(cfg.BotToken, slack.OptionAPIURL(fake.APIURL()))
}

// errorCode returns the Slack error code of err, or "" if err is not a Slack error.
func errorCode(err error) string {
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) {
		return slackErr.Err
	}
	return ""
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := errorCode(err); got != want {
		t.Fatalf("error code = %q (err %v), want %q", got, err, want)
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// createChannel creates a public channel through the client and returns its ID.
func createChannel(t *testing.T, client *slack.Client, name string) string {
	t.Helper()
	ch, err := client.CreateConversation(slack.CreateConversationParams{ChannelName: name})
	mustNoErr(t, err)
	return ch.ID
}

func TestStart_ListensOnLoopback(t *testing.T) {
	fake, _ := startFake(t)

	u, err := url.Parse(fake.APIURL())
	mustNoErr(t, err)
	if u.Hostname() != "127.0.0.1" {
		t.Errorf("host = %q, want 127.0.0.1", u.Hostname())
	}
	if !strings.HasSuffix(fake.APIURL(), "/") {
		t.Errorf("APIURL %q does not end in /", fake.APIURL())
	}
}

func TestConfigValidate_NamesField(t *testing.T) {
	cases := []struct {
		field  string
		change func(*slackfake.Config)
	}{
		{"BotToken", func(c *slackfake.Config) { c.BotToken = "" }},
		{"TeamID", func(c *slackfake.Config) { c.TeamID = "" }},
		{"TriggerTTL", func(c *slackfake.Config) { c.TriggerTTL = 0 }},
		{"Now", func(c *slackfake.Config) { c.Now = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			cfg := slackfake.DefaultConfig()
			tc.change(&cfg)

			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.field)
			}
			if _, err := slackfake.Start(cfg); err == nil {
				t.Errorf("Start accepted a config without %s", tc.field)
			}
		})
	}

	if err := slackfake.DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v, want nil", err)
	}
}

func TestAuthTest_ReturnsBotAndTeam(t *testing.T) {
	fake, client := startFake(t)
	cfg := fake.Config()

	resp, err := client.AuthTest()
	mustNoErr(t, err)
	if resp.UserID != cfg.BotUserID {
		t.Errorf("UserID = %q, want %q", resp.UserID, cfg.BotUserID)
	}
	if resp.TeamID != cfg.TeamID {
		t.Errorf("TeamID = %q, want %q", resp.TeamID, cfg.TeamID)
	}
	if resp.BotID != cfg.BotID {
		t.Errorf("BotID = %q, want %q", resp.BotID, cfg.BotID)
	}
	if resp.Team != cfg.TeamName {
		t.Errorf("Team = %q, want %q", resp.Team, cfg.TeamName)
	}
}

func TestToken_WrongRejected(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-stoerungen")
	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(fake.APIURL()))

	_, err := wrong.AuthTest()
	wantCode(t, err, "invalid_auth")

	_, _, err = wrong.PostMessage(channel, slack.MsgOptionText("Drucker defekt", false))
	wantCode(t, err, "invalid_auth")
	if got := fake.Messages(channel); len(got) != 0 {
		t.Errorf("messages after rejected post = %d, want 0", len(got))
	}

	_, err = wrong.OpenView("trigger-1", testModal("Störung melden"))
	wantCode(t, err, "invalid_auth")
	if got := fake.Views(); len(got) != 0 {
		t.Errorf("views after rejected views.open = %d, want 0", len(got))
	}

	calls := fake.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Error != "invalid_auth" {
		t.Errorf("recorded chat.postMessage calls = %+v, want one with error invalid_auth", calls)
	}
}

func TestToken_MissingRejected(t *testing.T) {
	fake, _ := startFake(t)
	anonymous := slack.New("", slack.OptionAPIURL(fake.APIURL()))

	_, err := anonymous.AuthTest()
	wantCode(t, err, "not_authed")
}

// rawCall posts form to a path of the fake with a bearer token and returns
// the decoded JSON response.
func rawCall(t *testing.T, fake *slackfake.Server, path, token string, form url.Values) map[string]any {
	t.Helper()
	endpoint := strings.TrimSuffix(fake.APIURL(), "/") + path
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	mustNoErr(t, err)
	req.Header.Set("Content-Type", slackfake.ContentTypeForm)
	req.Header.Set("Authorization", "Bearer "+token)

	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err)
	defer resp.Body.Close()

	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode response of %s: %v", path, err)
	}
	return out
}

func TestSlacktestPaths_CheckToken(t *testing.T) {
	fake, _ := startFake(t)
	token := fake.Config().BotToken

	// These paths return fixed answers in slacktest.
	paths := []string{
		"/ws", "/rtm.start", "/rtm.connect", "/bots.info",
		"/conversations.setTopic", "/conversations.rename",
		"/conversations.inviteShared", "/chat.delete",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			if got := rawCall(t, fake, path, "xoxb-wrong", nil)["error"]; got != "invalid_auth" {
				t.Errorf("error with wrong token = %v, want invalid_auth", got)
			}
			if got := rawCall(t, fake, path, token, nil)["error"]; got != "unknown_method" {
				t.Errorf("error with bot token = %v, want unknown_method", got)
			}
		})
	}
}

func TestUnknownMethod_Rejected(t *testing.T) {
	_, client := startFake(t)
	channel := createChannel(t, client, "it-desk")

	_, err := client.SetTopicOfConversation(channel, "Drucker")
	wantCode(t, err, "unknown_method")
}

func TestPostMessage_StoresBlocksAndAttachments(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")

	section := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Beamer* in Raum 204", false, false), nil, nil)
	gotChannel, ts, err := client.PostMessage(channel,
		slack.MsgOptionText("Neue Störung", false),
		slack.MsgOptionBlocks(section),
		slack.MsgOptionAttachments(slack.Attachment{Color: "danger", Text: "Priorität hoch"}),
	)
	mustNoErr(t, err)
	if gotChannel != channel {
		t.Errorf("channel = %q, want %q", gotChannel, channel)
	}

	messages := fake.Messages(channel)
	if len(messages) != 1 {
		t.Fatalf("messages = %d, want 1", len(messages))
	}
	m := messages[0]
	if m.TS != ts {
		t.Errorf("stored ts = %q, want %q", m.TS, ts)
	}
	if m.Text != "Neue Störung" {
		t.Errorf("text = %q, want %q", m.Text, "Neue Störung")
	}
	if m.User != fake.Config().BotUserID {
		t.Errorf("user = %q, want the bot %q", m.User, fake.Config().BotUserID)
	}

	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	mustNoErr(t, json.Unmarshal(m.Blocks, &blocks))
	if len(blocks) != 1 || blocks[0].Type != "section" || blocks[0].Text.Text != "*Beamer* in Raum 204" {
		t.Errorf("blocks = %s, want one section with the Beamer text", m.Blocks)
	}

	var attachments []slack.Attachment
	mustNoErr(t, json.Unmarshal(m.Attachments, &attachments))
	if len(attachments) != 1 || attachments[0].Color != "danger" {
		t.Errorf("attachments = %s, want one with color danger", m.Attachments)
	}
}

func TestPostMessage_UniqueIncreasingTS(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg := slackfake.DefaultConfig()
	cfg.Now = clock.Now
	fake, client := startFakeWith(t, cfg)
	channel := createChannel(t, client, "it-desk")

	// The clock stands still, so the fake must still make each ts unique.
	var stamps []string
	for i := range 3 {
		_, ts, err := client.PostMessage(channel, slack.MsgOptionText(fmt.Sprintf("Meldung %d", i), false))
		mustNoErr(t, err)
		stamps = append(stamps, ts)
	}

	if stamps[0] != "1772438400.000000" {
		t.Errorf("first ts = %q, want 1772438400.000000 from the clock", stamps[0])
	}
	if !slices.IsSorted(stamps) || len(slices.Compact(slices.Clone(stamps))) != 3 {
		t.Errorf("timestamps %v are not unique and increasing", stamps)
	}
	if got := len(fake.Messages(channel)); got != 3 {
		t.Errorf("messages = %d, want 3", got)
	}
}

func TestPostMessage_Rejections(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")
	private := fake.AddChannel("schulleitung", true)

	_, _, err := client.PostMessage("C404", slack.MsgOptionText("x", false))
	wantCode(t, err, "channel_not_found")

	_, _, err = client.PostMessage(private, slack.MsgOptionText("x", false))
	wantCode(t, err, "channel_not_found")

	_, _, err = client.PostMessage(channel)
	wantCode(t, err, "no_text")

	_, _, err = client.PostMessage(channel, slack.MsgOptionText("x", false), slack.MsgOptionAttachments())
	mustNoErr(t, err)
}

func TestUpdateMessage_KeepsOmittedParts(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")
	section := slack.NewSectionBlock(slack.NewTextBlockObject("plain_text", "Status: offen", false, false), nil, nil)
	_, ts, err := client.PostMessage(channel, slack.MsgOptionText("Störung #1", false), slack.MsgOptionBlocks(section))
	mustNoErr(t, err)

	_, gotTS, text, err := client.UpdateMessage(channel, ts, slack.MsgOptionText("Störung #1 (in Arbeit)", false))
	mustNoErr(t, err)
	if gotTS != ts || text != "Störung #1 (in Arbeit)" {
		t.Errorf("update returned ts %q text %q, want %q and the new text", gotTS, text, ts)
	}

	m := fake.Messages(channel)[0]
	if m.Text != "Störung #1 (in Arbeit)" {
		t.Errorf("stored text = %q, want the updated text", m.Text)
	}
	if !bytes.Contains(m.Blocks, []byte("Status: offen")) {
		t.Errorf("blocks = %s, want the original blocks kept", m.Blocks)
	}
	if m.Updates != 1 {
		t.Errorf("updates = %d, want 1", m.Updates)
	}
}

func TestUpdateMessage_Rejections(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")
	teacher := fake.AddUser(slackfake.User{Name: "mueller"})
	humanTS := fake.AddMessage(channel, teacher, "Beamer geht nicht")

	_, _, _, err := client.UpdateMessage(channel, "1.000001", slack.MsgOptionText("x", false))
	wantCode(t, err, "message_not_found")

	_, _, _, err = client.UpdateMessage(channel, humanTS, slack.MsgOptionText("x", false))
	wantCode(t, err, "cant_update_message")

	if got := fake.Messages(channel)[0].Text; got != "Beamer geht nicht" {
		t.Errorf("human message text = %q, want it unchanged", got)
	}
}

func TestPostEphemeral_StoredForUser(t *testing.T) {
	fake, client := startFake(t)
	teacher := fake.AddUser(slackfake.User{Name: "mueller"})
	outsider := fake.AddUser(slackfake.User{Name: "schmidt"})
	channel := fake.AddChannel("lehrerzimmer", false, fake.Config().BotUserID, teacher)

	ts, err := client.PostEphemeral(channel, teacher, slack.MsgOptionText("Nur für dich", false))
	mustNoErr(t, err)

	ephemerals := fake.Ephemerals(channel)
	if len(ephemerals) != 1 || ephemerals[0].TS != ts || ephemerals[0].EphemeralTo != teacher {
		t.Errorf("ephemerals = %+v, want one for %s with ts %s", ephemerals, teacher, ts)
	}
	if got := fake.Messages(channel); len(got) != 0 {
		t.Errorf("channel messages = %d, want 0 because ephemeral messages are separate", len(got))
	}

	_, err = client.PostEphemeral(channel, outsider, slack.MsgOptionText("x", false))
	wantCode(t, err, "user_not_in_channel")
}

func TestCreateConversation_Names(t *testing.T) {
	_, client := startFake(t)
	createChannel(t, client, "stoerung-0001")

	cases := []struct {
		name, channelName, wantCode string
	}{
		{"lowercase digits dash", "stoerung-0002", ""},
		{"underscore", "it_desk", ""},
		{"80 characters", strings.Repeat("a", 80), ""},
		{"duplicate", "stoerung-0001", "name_taken"},
		{"uppercase", "Stoerung-0003", "invalid_name_specials"},
		{"umlaut", "störung-0004", "invalid_name_specials"},
		{"space", "it desk", "invalid_name_specials"},
		{"hash", "#it-desk", "invalid_name_specials"},
		{"81 characters", strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"empty", "", "invalid_name_required"},
		{"punctuation only", "-_-", "invalid_name_punctuation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := client.CreateConversation(slack.CreateConversationParams{ChannelName: tc.channelName})
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("error code = %q (err %v), want %q", got, err, tc.wantCode)
			}
			if tc.wantCode == "" && ch.Name != tc.channelName {
				t.Errorf("name = %q, want %q", ch.Name, tc.channelName)
			}
		})
	}
}

func TestCreateConversation_PrivateHonoured(t *testing.T) {
	fake, client := startFake(t)

	private, err := client.CreateConversation(slack.CreateConversationParams{ChannelName: "stoerung-0001", IsPrivate: true})
	mustNoErr(t, err)
	public, err := client.CreateConversation(slack.CreateConversationParams{ChannelName: "it-desk"})
	mustNoErr(t, err)

	if !private.IsPrivate || public.IsPrivate {
		t.Errorf("is_private = %v and %v, want true and false", private.IsPrivate, public.IsPrivate)
	}
	info, err := client.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: private.ID})
	mustNoErr(t, err)
	if !info.IsPrivate || info.Name != "stoerung-0001" || !info.IsMember {
		t.Errorf("info = private %v name %q member %v, want true, stoerung-0001, true", info.IsPrivate, info.Name, info.IsMember)
	}

	stored, ok := fake.ChannelByName("stoerung-0001")
	if !ok || !stored.IsPrivate || stored.Creator != fake.Config().BotUserID {
		t.Errorf("stored channel = %+v, want private and created by the bot", stored)
	}
}

func TestInvite_RecordsMembers(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "stoerung-0001")
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	bob := fake.AddUser(slackfake.User{Name: "bob"})

	_, err := client.InviteUsersToConversation(channel, alice, bob)
	mustNoErr(t, err)

	want := []string{fake.Config().BotUserID, alice, bob}
	if got := fake.Members(channel); !slices.Equal(got, want) {
		t.Errorf("Members() = %v, want %v", got, want)
	}
	members, _, err := client.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: channel})
	mustNoErr(t, err)
	if !slices.Equal(members, want) {
		t.Errorf("conversations.members = %v, want %v", members, want)
	}
}

func TestInvite_Rejections(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "stoerung-0001")
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	foreign := fake.AddChannel("kollegium", false, alice)

	_, err := client.InviteUsersToConversation("C404", alice)
	wantCode(t, err, "channel_not_found")

	_, err = client.InviteUsersToConversation(channel, "U404")
	wantCode(t, err, "user_not_found")

	_, err = client.InviteUsersToConversation(channel, fake.Config().BotUserID)
	wantCode(t, err, "cant_invite_self")

	_, err = client.InviteUsersToConversation(foreign, alice)
	wantCode(t, err, "not_in_channel")

	_, err = client.InviteUsersToConversation(channel, alice)
	mustNoErr(t, err)
	_, err = client.InviteUsersToConversation(channel, alice)
	wantCode(t, err, "already_in_channel")
}

func TestJoinConversation_AddsBot(t *testing.T) {
	fake, client := startFake(t)
	public := fake.AddChannel("lehrerzimmer", false)
	private := fake.AddChannel("schulleitung", true)

	ch, _, _, err := client.JoinConversation(public)
	mustNoErr(t, err)
	if !ch.IsMember {
		t.Error("joined channel reports is_member false")
	}
	if got := fake.Members(public); !slices.Contains(got, fake.Config().BotUserID) {
		t.Errorf("members = %v, want the bot", got)
	}

	_, warning, _, err := client.JoinConversation(public)
	mustNoErr(t, err)
	if warning != "already_in_channel" {
		t.Errorf("second join warning = %q, want already_in_channel", warning)
	}

	_, _, _, err = client.JoinConversation(private)
	wantCode(t, err, "method_not_supported_for_channel_type")
}

func TestOpenConversation_OneDMPerUser(t *testing.T) {
	fake, client := startFake(t)
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	bob := fake.AddUser(slackfake.User{Name: "bob"})

	first, _, alreadyOpen, err := client.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice}})
	mustNoErr(t, err)
	if alreadyOpen || !strings.HasPrefix(first.ID, "D") {
		t.Errorf("first open = id %q already_open %v, want a new D… channel", first.ID, alreadyOpen)
	}

	again, _, alreadyOpen, err := client.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice}})
	mustNoErr(t, err)
	if again.ID != first.ID || !alreadyOpen {
		t.Errorf("second open = id %q already_open %v, want %q and true", again.ID, alreadyOpen, first.ID)
	}

	other, _, _, err := client.OpenConversation(&slack.OpenConversationParameters{Users: []string{bob}, ReturnIM: true})
	mustNoErr(t, err)
	if other.ID == first.ID || !other.IsIM || other.User != bob {
		t.Errorf("DM with bob = %+v, want another IM with user %s", other.Conversation, bob)
	}

	// Posting to a user ID writes to the same direct message.
	channel, _, err := client.PostMessage(alice, slack.MsgOptionText("Ticket angenommen", false))
	mustNoErr(t, err)
	if channel != first.ID || len(fake.Messages(first.ID)) != 1 {
		t.Errorf("post to user went to %q, want DM %q with one message", channel, first.ID)
	}

	_, _, _, err = client.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U404"}})
	wantCode(t, err, "user_not_found")
}

func TestConversationsList_TypesAndPages(t *testing.T) {
	fake, client := startFake(t)
	for _, name := range []string{"a-1", "a-2", "a-3"} {
		createChannel(t, client, name)
	}
	_, err := client.CreateConversation(slack.CreateConversationParams{ChannelName: "geheim", IsPrivate: true})
	mustNoErr(t, err)
	fake.AddChannel("fremd-privat", true)

	first, cursor, err := client.GetConversations(&slack.GetConversationsParameters{Limit: 2})
	mustNoErr(t, err)
	if len(first) != 2 || cursor == "" {
		t.Fatalf("first page = %d channels, cursor %q; want 2 and a cursor", len(first), cursor)
	}
	second, cursor, err := client.GetConversations(&slack.GetConversationsParameters{Limit: 2, Cursor: cursor})
	mustNoErr(t, err)
	if len(second) != 1 || second[0].Name != "a-3" || cursor != "" {
		t.Errorf("second page = %d channels, cursor %q; want only a-3 and no cursor", len(second), cursor)
	}

	private, _, err := client.GetConversations(&slack.GetConversationsParameters{Types: []string{"private_channel"}})
	mustNoErr(t, err)
	if len(private) != 1 || private[0].Name != "geheim" {
		t.Errorf("private channels = %+v, want only geheim, the one the bot is in", private)
	}
}

func TestUsersInfo_ReturnsProfile(t *testing.T) {
	fake, client := startFake(t)
	id := fake.AddUser(slackfake.User{Name: "mueller", RealName: "Jana Müller", Email: "mueller@schule.example", TZ: "Europe/Berlin"})

	u, err := client.GetUserInfo(id)
	mustNoErr(t, err)
	if u.ID != id || u.Name != "mueller" || u.RealName != "Jana Müller" || u.Profile.Email != "mueller@schule.example" || u.TZ != "Europe/Berlin" {
		t.Errorf("users.info = %+v, want mueller with name, email and time zone", u)
	}

	bot, err := client.GetUserInfo(fake.Config().BotUserID)
	mustNoErr(t, err)
	if !bot.IsBot || bot.Profile.BotID != fake.Config().BotID {
		t.Errorf("bot user = is_bot %v bot_id %q, want true and %q", bot.IsBot, bot.Profile.BotID, fake.Config().BotID)
	}

	_, err = client.GetUserInfo("U404")
	wantCode(t, err, "user_not_found")
}

func TestPinsAdd_Stored(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "stoerung-0001")
	_, ts, err := client.PostMessage(channel, slack.MsgOptionText("Zusammenfassung", false))
	mustNoErr(t, err)

	mustNoErr(t, client.AddPin(channel, slack.NewRefToMessage(channel, ts)))
	if got := fake.Pins(channel); !slices.Equal(got, []string{ts}) {
		t.Errorf("pins = %v, want [%s]", got, ts)
	}

	wantCode(t, client.AddPin(channel, slack.NewRefToMessage(channel, ts)), "already_pinned")
	wantCode(t, client.AddPin(channel, slack.NewRefToMessage(channel, "1.000001")), "message_not_found")
}

func TestReactionsGet_ReturnsHelperReactions(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	bob := fake.AddUser(slackfake.User{Name: "bob"})
	_, ts, err := client.PostMessage(channel, slack.MsgOptionText("Neue Störung", false))
	mustNoErr(t, err)

	fake.AddReaction(channel, ts, alice, "eyes")
	fake.AddReaction(channel, ts, bob, "eyes")
	fake.AddReaction(channel, ts, bob, "white_check_mark")

	item, err := client.GetReactions(slack.NewRefToMessage(channel, ts), slack.NewGetReactionsParameters())
	mustNoErr(t, err)
	if len(item.Reactions) != 2 {
		t.Fatalf("reactions = %+v, want 2", item.Reactions)
	}
	eyes := item.Reactions[0]
	if eyes.Name != "eyes" || eyes.Count != 2 || !slices.Equal(eyes.Users, []string{alice, bob}) {
		t.Errorf("first reaction = %+v, want eyes by alice and bob", eyes)
	}

	fake.RemoveReaction(channel, ts, bob, "white_check_mark")
	item, err = client.GetReactions(slack.NewRefToMessage(channel, ts), slack.NewGetReactionsParameters())
	mustNoErr(t, err)
	if len(item.Reactions) != 1 {
		t.Errorf("reactions after removal = %+v, want only eyes", item.Reactions)
	}

	_, err = client.GetReactions(slack.NewRefToMessage(channel, "1.000001"), slack.NewGetReactionsParameters())
	wantCode(t, err, "message_not_found")
}

// testModal returns a modal with one text input, as the incident form has.
func testModal(title string) slack.ModalViewRequest {
	input := slack.NewInputBlock("beschreibung",
		slack.NewTextBlockObject("plain_text", "Was ist kaputt?", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "text"))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject("plain_text", title, false, false),
		Submit:          slack.NewTextBlockObject("plain_text", "Melden", false, false),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{input}},
		CallbackID:      "stoerung_melden",
		PrivateMetadata: `{"channel":"C1"}`,
	}
}

func TestOpenView_StoresView(t *testing.T) {
	fake, client := startFake(t)
	teacher := fake.AddUser(slackfake.User{Name: "mueller"})

	resp, err := client.OpenView(fake.NewTrigger(teacher), testModal("Störung melden"))
	mustNoErr(t, err)
	if !strings.HasPrefix(resp.View.ID, "V") || resp.View.Hash == "" {
		t.Errorf("response view id %q hash %q, want a V… id and a hash", resp.View.ID, resp.View.Hash)
	}
	if resp.View.CallbackID != "stoerung_melden" || resp.View.Title.Text != "Störung melden" {
		t.Errorf("response view = callback %q title %q, want the sent view", resp.View.CallbackID, resp.View.Title.Text)
	}

	views := fake.Views()
	if len(views) != 1 {
		t.Fatalf("views = %d, want 1", len(views))
	}
	v := views[0]
	if v.ID != resp.View.ID || v.UserID != teacher || v.CallbackID != "stoerung_melden" {
		t.Errorf("stored view = %+v, want the opened view for %s", v, teacher)
	}
	if !bytes.Contains(v.JSON, []byte(`"private_metadata":"{\"channel\":\"C1\"}"`)) {
		t.Errorf("stored JSON = %s, want the private metadata", v.JSON)
	}
}

func TestUpdateView_HashChecked(t *testing.T) {
	fake, client := startFake(t)
	teacher := fake.AddUser(slackfake.User{Name: "mueller"})
	opened, err := client.OpenView(fake.NewTrigger(teacher), testModal("Störung melden"))
	mustNoErr(t, err)

	updated, err := client.UpdateView(testModal("Schritt 2"), "", opened.View.Hash, opened.View.ID)
	mustNoErr(t, err)
	if updated.View.Title.Text != "Schritt 2" || updated.View.Hash == opened.View.Hash {
		t.Errorf("updated view title %q hash %q, want Schritt 2 and a new hash", updated.View.Title.Text, updated.View.Hash)
	}

	_, err = client.UpdateView(testModal("Schritt 3"), "", opened.View.Hash, opened.View.ID)
	wantCode(t, err, "hash_conflict")
	_, err = client.UpdateView(testModal("Schritt 3"), "", "", "V404")
	wantCode(t, err, "not_found")

	views := fake.Views()
	if len(views) != 1 || views[0].Updates != 1 || !bytes.Contains(views[0].JSON, []byte("Schritt 2")) {
		t.Errorf("views = %+v, want the one view, updated once", views)
	}
}

func TestOpenView_TriggerChecks(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg := slackfake.DefaultConfig()
	cfg.Now = clock.Now
	fake, client := startFakeWith(t, cfg)

	expired := fake.NewTrigger("U1")
	clock.Advance(3*time.Second + time.Millisecond)
	_, err := client.OpenView(expired, testModal("Störung melden"))
	wantCode(t, err, "expired_trigger_id")

	fresh := fake.NewTrigger("U1")
	clock.Advance(3 * time.Second)
	_, err = client.OpenView(fresh, testModal("Störung melden"))
	mustNoErr(t, err)
	_, err = client.OpenView(fresh, testModal("Störung melden"))
	wantCode(t, err, "exchanged_trigger_id")

	// Unregistered triggers pass unless the config is strict.
	_, err = client.OpenView("123.456.unregistered", testModal("Störung melden"))
	mustNoErr(t, err)
}

func TestOpenView_StrictTriggers(t *testing.T) {
	cfg := slackfake.DefaultConfig()
	cfg.StrictTriggers = true
	fake, client := startFakeWith(t, cfg)

	_, err := client.OpenView("123.456.unregistered", testModal("Störung melden"))
	wantCode(t, err, "invalid_trigger_id")

	fake.AddTrigger("123.456.registered", "U1")
	_, err = client.OpenView("123.456.registered", testModal("Störung melden"))
	mustNoErr(t, err)
}

func TestOpenView_LimitsChecked(t *testing.T) {
	fake, client := startFake(t)

	_, err := client.OpenView(fake.NewTrigger("U1"), testModal(strings.Repeat("ü", 25)))
	wantCode(t, err, "invalid_arguments")
	var slackErr slack.SlackErrorResponse
	if !errors.As(err, &slackErr) || len(slackErr.ResponseMetadata.Messages) != 1 ||
		!strings.Contains(slackErr.ResponseMetadata.Messages[0], "/view/title/text") {
		t.Errorf("response messages = %+v, want one naming /view/title/text", slackErr.ResponseMetadata)
	}

	noSubmit := testModal("Störung melden")
	noSubmit.Submit = nil
	_, err = client.OpenView(fake.NewTrigger("U1"), noSubmit)
	wantCode(t, err, "invalid_arguments")

	if _, err := client.OpenView(fake.NewTrigger("U1"), testModal(strings.Repeat("ü", 24))); err != nil {
		t.Errorf("24-character title rejected: %v", err)
	}
}

func TestUploadFile_EndToEnd(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "stoerung-0001")
	content := "Raum;Gerät\n204;Beamer\n"

	file, err := client.UploadFile(slack.UploadFileParameters{
		Filename:       "stoerungen.csv",
		FileSize:       len(content),
		Content:        content,
		Title:          "Störungen März",
		Channel:        channel,
		InitialComment: "Monatsbericht",
	})
	mustNoErr(t, err)
	if !strings.HasPrefix(file.ID, "F") || file.Title != "Störungen März" {
		t.Errorf("file summary = %+v, want an F… id and the title", file)
	}

	uploads := fake.Uploads()
	if len(uploads) != 1 {
		t.Fatalf("uploads = %d, want 1", len(uploads))
	}
	u := uploads[0]
	if u.FileID != file.ID || u.Filename != "stoerungen.csv" || u.Length != len(content) {
		t.Errorf("upload = id %q name %q length %d, want %q, stoerungen.csv, %d", u.FileID, u.Filename, u.Length, file.ID, len(content))
	}
	if string(u.Data) != content {
		t.Errorf("uploaded data = %q, want %q", u.Data, content)
	}
	if !u.Completed || !slices.Equal(u.Channels, []string{channel}) {
		t.Errorf("upload completed %v channels %v, want true and [%s]", u.Completed, u.Channels, channel)
	}

	messages := fake.Messages(channel)
	if len(messages) != 1 || !slices.Equal(messages[0].Files, []string{file.ID}) || messages[0].Text != "Monatsbericht" {
		t.Errorf("channel messages = %+v, want one sharing the file with the comment", messages)
	}
	if calls := fake.Calls(slackfake.MethodUpload); len(calls) != 1 || calls[0].Error != "" {
		t.Errorf("upload calls = %+v, want one successful", calls)
	}
}

func TestUpload_Rejections(t *testing.T) {
	fake, client := startFake(t)

	upload, err := client.GetUploadURLExternalContext(context.Background(), slack.GetUploadURLExternalParameters{FileName: "a.txt", FileSize: 3})
	mustNoErr(t, err)
	if !strings.HasPrefix(upload.UploadURL, strings.TrimSuffix(fake.APIURL(), "/")) {
		t.Fatalf("upload URL %q is not on the fake %q", upload.UploadURL, fake.APIURL())
	}

	req, err := http.NewRequest(http.MethodPost, upload.UploadURL, strings.NewReader("abc"))
	mustNoErr(t, err)
	req.Header.Set("Authorization", "Bearer xoxb-wrong")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("upload with wrong token: status %d, want 401", resp.StatusCode)
	}

	// Completing before the bytes arrived fails.
	_, err = client.CompleteUploadExternalContext(context.Background(), slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: upload.FileID}}})
	wantCode(t, err, "file_not_found")
}

func TestCalls_RecordParamsWithoutToken(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg := slackfake.DefaultConfig()
	cfg.Now = clock.Now
	fake, client := startFakeWith(t, cfg)
	channel := createChannel(t, client, "it-desk")

	_, _, err := client.PostMessage(channel, slack.MsgOptionText("Hallo", false))
	mustNoErr(t, err)
	_, err = client.OpenView(fake.NewTrigger("U1"), testModal("Störung melden"))
	mustNoErr(t, err)

	posts := fake.Calls("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage calls = %d, want 1", len(posts))
	}
	if posts[0].Params.Get("channel") != channel || posts[0].Params.Get("text") != "Hallo" {
		t.Errorf("params = %v, want channel and text", posts[0].Params)
	}
	if posts[0].Params.Has("token") {
		t.Error("recorded params contain the token")
	}
	if !posts[0].Time.Equal(clock.Now()) {
		t.Errorf("call time = %v, want %v", posts[0].Time, clock.Now())
	}

	views := fake.Calls("views.open")
	if len(views) != 1 || !bytes.Contains(views[0].JSON, []byte(`"trigger_id"`)) {
		t.Errorf("views.open calls = %+v, want one with the JSON body", views)
	}
	if all := fake.Calls(""); len(all) != 3 {
		t.Errorf("all calls = %d, want 3", len(all))
	}
}

func TestPostMessage_ConcurrentUniqueTS(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")

	const workers, posts = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*posts)
	for w := range workers {
		wg.Go(func() {
			for i := range posts {
				_, _, err := client.PostMessage(channel, slack.MsgOptionText(fmt.Sprintf("%d/%d", w, i), false))
				errs <- err
			}
		})
		// Read while posting, so that the race detector sees both.
		_ = fake.Messages(channel)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNoErr(t, err)
	}

	seen := map[string]bool{}
	for _, m := range fake.Messages(channel) {
		seen[m.TS] = true
	}
	if len(seen) != workers*posts {
		t.Errorf("unique ts = %d, want %d", len(seen), workers*posts)
	}
}

func TestSign_VerifiedBySlackGo(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	body := []byte("token=x&command=%2Fstoerung&text=Beamer")
	now := time.Now()

	cases := []struct {
		name    string
		secret  string
		ts      time.Time
		body    []byte
		wantErr error
	}{
		{"valid", secret, now, body, nil},
		{"wrong secret", "other-secret", now, body, slack.ErrInvalidSignature},
		{"changed body", secret, now, []byte("token=x&command=%2Fstoerung&text=Drucker"), slack.ErrInvalidSignature},
		{"stale timestamp", secret, now.Add(-6 * time.Minute), body, slack.ErrExpiredTimestamp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stamp, signature := slackfake.Sign(tc.secret, tc.ts, body)
			header := http.Header{}
			header.Set(slackfake.HeaderTimestamp, stamp)
			header.Set(slackfake.HeaderSignature, signature)

			err := verify(header, secret, tc.body)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func verify(header http.Header, secret string, body []byte) error {
	verifier, err := slack.NewSecretsVerifier(header, secret)
	if err != nil {
		return err
	}
	if _, err := verifier.Write(body); err != nil {
		return err
	}
	return verifier.Ensure()
}

// delivery is a request the test app received, with its signature check.
type delivery struct {
	header    http.Header
	body      []byte
	verifyErr error
}

// startApp starts an app endpoint on loopback that checks Slack signatures
// with slack-go and hands each request to the test.
func startApp(t *testing.T, secret string) (string, <-chan delivery) {
	t.Helper()
	deliveries := make(chan delivery, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = verify(r.Header, secret, body)
		}
		deliveries <- delivery{header: r.Header.Clone(), body: body, verifyErr: err}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(app.Close)
	return app.URL, deliveries
}

// deliver sends a signed request to the app and returns what it received
// as a server-side request.
func deliver(t *testing.T, appURL string, deliveries <-chan delivery, secret string, body []byte, contentType string) *http.Request {
	t.Helper()
	resp, err := http.DefaultClient.Do(slackfake.NewSignedRequest(secret, appURL+"/slack", body, contentType, time.Now()))
	mustNoErr(t, err)
	resp.Body.Close()

	got := <-deliveries
	if got.verifyErr != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signature check: %v (status %d), want a valid signature", got.verifyErr, resp.StatusCode)
	}
	if ct := got.header.Get("Content-Type"); ct != contentType {
		t.Errorf("Content-Type = %q, want %q", ct, contentType)
	}
	req := httptest.NewRequest(http.MethodPost, "/slack", bytes.NewReader(got.body))
	req.Header = got.header
	return req
}

func TestSlashCommand_ParsedBySlackGo(t *testing.T) {
	const secret = "slash-secret"
	appURL, deliveries := startApp(t, secret)
	cmd := slackfake.SlashCommand{
		Command: "/störung", Text: "Beamer Raum 204 & Ton fehlt",
		TeamID: "T1", TeamDomain: "schule", ChannelID: "C1", ChannelName: "lehrerzimmer",
		UserID: "U1", UserName: "mueller", TriggerID: "1.2.abc", ResponseURL: "http://127.0.0.1/response", APIAppID: "A1",
	}

	got, err := slack.SlashCommandParse(deliver(t, appURL, deliveries, secret, cmd.Body(), slackfake.ContentTypeForm))
	mustNoErr(t, err)

	want := slack.SlashCommand{
		TeamID: "T1", TeamDomain: "schule", ChannelID: "C1", ChannelName: "lehrerzimmer",
		UserID: "U1", UserName: "mueller", Command: "/störung", Text: "Beamer Raum 204 & Ton fehlt",
		ResponseURL: "http://127.0.0.1/response", TriggerID: "1.2.abc", APIAppID: "A1",
	}
	if got != want {
		t.Errorf("parsed command = %+v, want %+v", got, want)
	}
}

func TestViewSubmission_ParsedBySlackGo(t *testing.T) {
	const secret = "view-secret"
	appURL, deliveries := startApp(t, secret)
	submission := slackfake.ViewSubmission{
		Interaction:     slackfake.Interaction{TeamID: "T1", UserID: "U1", UserName: "mueller", TriggerID: "1.2.abc", APIAppID: "A1"},
		ViewID:          "V1",
		CallbackID:      "stoerung_melden",
		PrivateMetadata: `{"channel":"C1"}`,
		Hash:            "1.1",
		Values: slackfake.StateValues{
			"beschreibung": {"text": slackfake.TextValue("Beamer flackert")},
			"kategorie":    {"auswahl": slackfake.SelectValue("hardware", "Hardware")},
			"melder":       {"person": slackfake.UserValue("U2")},
		},
	}

	ic, err := slack.InteractionCallbackParse(deliver(t, appURL, deliveries, secret, submission.Body(), slackfake.ContentTypeForm))
	mustNoErr(t, err)

	if ic.Type != slack.InteractionTypeViewSubmission || ic.User.ID != "U1" || ic.TriggerID != "1.2.abc" || ic.Team.ID != "T1" {
		t.Errorf("callback = type %q user %q trigger %q team %q", ic.Type, ic.User.ID, ic.TriggerID, ic.Team.ID)
	}
	if ic.View.ID != "V1" || ic.View.CallbackID != "stoerung_melden" || ic.View.PrivateMetadata != `{"channel":"C1"}` {
		t.Errorf("view = id %q callback %q metadata %q", ic.View.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
	}
	values := ic.View.State.Values
	if got := values["beschreibung"]["text"].Value; got != "Beamer flackert" {
		t.Errorf("text value = %q, want Beamer flackert", got)
	}
	if got := values["kategorie"]["auswahl"].SelectedOption.Value; got != "hardware" {
		t.Errorf("selected option = %q, want hardware", got)
	}
	if got := values["melder"]["person"].SelectedUser; got != "U2" {
		t.Errorf("selected user = %q, want U2", got)
	}
}

func TestBlockActions_ParsedBySlackGo(t *testing.T) {
	const secret = "actions-secret"
	appURL, deliveries := startApp(t, secret)
	actions := slackfake.BlockActions{
		Interaction: slackfake.Interaction{TeamID: "T1", UserID: "U3", UserName: "it-admin", TriggerID: "9.9.xyz"},
		ChannelID:   "C7",
		MessageTS:   "1772438400.000100",
		ResponseURL: "http://127.0.0.1/response",
		Actions: []slackfake.Action{
			{ActionID: "claim", BlockID: "ticket-17", Type: "button", Value: "17", Text: "Übernehmen"},
		},
	}

	ic, err := slack.InteractionCallbackParse(deliver(t, appURL, deliveries, secret, actions.Body(), slackfake.ContentTypeForm))
	mustNoErr(t, err)

	if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != "U3" || ic.Channel.ID != "C7" {
		t.Errorf("callback = type %q user %q channel %q", ic.Type, ic.User.ID, ic.Channel.ID)
	}
	if ic.Container.MessageTs != "1772438400.000100" || ic.Message.Timestamp != "1772438400.000100" {
		t.Errorf("container ts %q message ts %q, want the message ts", ic.Container.MessageTs, ic.Message.Timestamp)
	}
	if len(ic.ActionCallback.BlockActions) != 1 || len(ic.ActionCallback.AttachmentActions) != 0 {
		t.Fatalf("actions = %+v, want one block action", ic.ActionCallback)
	}
	a := ic.ActionCallback.BlockActions[0]
	if a.ActionID != "claim" || a.BlockID != "ticket-17" || a.Value != "17" || a.Text.Text != "Übernehmen" {
		t.Errorf("block action = %+v, want claim on ticket-17", a)
	}
}

func TestReactionEvent_ParsedBySlackGo(t *testing.T) {
	const secret = "events-secret"
	appURL, deliveries := startApp(t, secret)
	fake, client := startFake(t)
	channel := createChannel(t, client, "it-desk")
	admin := fake.AddUser(slackfake.User{Name: "it-admin"})
	_, ts, err := client.PostMessage(channel, slack.MsgOptionText("Neue Störung", false))
	mustNoErr(t, err)

	added := fake.AddReaction(channel, ts, admin, "white_check_mark")
	req := deliver(t, appURL, deliveries, secret, added.Body(), slackfake.ContentTypeJSON)
	body, err := io.ReadAll(req.Body)
	mustNoErr(t, err)

	event, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	mustNoErr(t, err)
	callback, ok := event.Data.(*slackevents.EventsAPICallbackEvent)
	if event.Type != slackevents.CallbackEvent || !ok || callback.EventID == "" || callback.EventID != added.EventID {
		t.Fatalf("outer event = type %q data %T, want event_callback with event_id %q", event.Type, event.Data, added.EventID)
	}
	reaction, ok := event.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if !ok {
		t.Fatalf("inner event = %T, want *slackevents.ReactionAddedEvent", event.InnerEvent.Data)
	}
	if reaction.User != admin || reaction.Reaction != "white_check_mark" || reaction.Item.Channel != channel ||
		reaction.Item.Timestamp != ts || reaction.ItemUser != fake.Config().BotUserID {
		t.Errorf("reaction = %+v, want white_check_mark by %s on %s/%s", reaction, admin, channel, ts)
	}

	removed := fake.RemoveReaction(channel, ts, admin, "white_check_mark")
	event, err = slackevents.ParseEvent(json.RawMessage(removed.Body()), slackevents.OptionNoVerifyToken())
	mustNoErr(t, err)
	if _, ok := event.InnerEvent.Data.(*slackevents.ReactionRemovedEvent); !ok {
		t.Errorf("inner event = %T, want *slackevents.ReactionRemovedEvent", event.InnerEvent.Data)
	}
	if removed.EventID == added.EventID {
		t.Errorf("event IDs repeat: %q", removed.EventID)
	}
}

func TestURLVerification_ParsedBySlackGo(t *testing.T) {
	event, err := slackevents.ParseEvent(json.RawMessage(slackfake.URLVerificationBody("challenge-42")), slackevents.OptionNoVerifyToken())
	mustNoErr(t, err)

	verification, ok := event.Data.(*slackevents.EventsAPIURLVerificationEvent)
	if !ok || verification.Challenge != "challenge-42" {
		t.Errorf("event data = %+v, want url_verification with challenge-42", event.Data)
	}
}

func TestUsersList_Pages(t *testing.T) {
	fake, client := startFake(t)
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	bob := fake.AddUser(slackfake.User{Name: "bob"})

	users, err := client.GetUsers(slack.GetUsersOptionLimit(2))
	mustNoErr(t, err)
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	want := []string{fake.Config().BotUserID, alice, bob}
	if !slices.Equal(ids, want) {
		t.Errorf("users.list ids = %v, want %v over two pages", ids, want)
	}
	if calls := fake.Calls("users.list"); len(calls) != 2 {
		t.Errorf("users.list calls = %d, want 2 pages", len(calls))
	}
}

func TestSetPurpose_Stored(t *testing.T) {
	fake, client := startFake(t)
	channel := createChannel(t, client, "stoerung-0001")

	_, err := client.SetPurposeOfConversation(channel, "Koordination #1")
	mustNoErr(t, err)
	if ch, _ := fake.ChannelByName("stoerung-0001"); ch.Purpose != "Koordination #1" {
		t.Errorf("purpose = %q, want Koordination #1", ch.Purpose)
	}

	foreign := fake.AddChannel("kollegium", false)
	_, err = client.SetPurposeOfConversation(foreign, "x")
	wantCode(t, err, "not_in_channel")
}

func TestResponseURL_FiveUses(t *testing.T) {
	fake, _ := startFake(t)
	responseURL := fake.NewResponseURL()
	if !strings.HasPrefix(responseURL, strings.TrimSuffix(fake.APIURL(), "/")) {
		t.Fatalf("response URL %q is not on the fake", responseURL)
	}

	post := func() int {
		resp, err := http.Post(responseURL, "application/json", strings.NewReader(`{"response_type":"ephemeral","text":"Hallo"}`))
		mustNoErr(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if got := post(); got != http.StatusOK {
			t.Fatalf("use %d: status %d, want 200", i+1, got)
		}
	}
	if got := post(); got != http.StatusNotFound {
		t.Errorf("sixth use: status %d, want 404", got)
	}

	calls := fake.Calls(slackfake.MethodResponseURL)
	if len(calls) != 6 || calls[5].Error != "used_url" {
		t.Fatalf("response calls = %+v, want 6 with the last used_url", calls)
	}
	if !bytes.Contains(calls[0].JSON, []byte(`"text":"Hallo"`)) {
		t.Errorf("recorded JSON = %s, want the message", calls[0].JSON)
	}
}

func TestPostMessage_BlockLimitsChecked(t *testing.T) {
	_, client := startFake(t)
	channel := createChannel(t, client, "it-desk")

	cases := []struct {
		name    string
		block   slack.Block
		pointer string
	}{
		{"long header", slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", strings.Repeat("x", 151), false, false)), "/blocks/0/text/text"},
		{"mrkdwn header", slack.NewHeaderBlock(slack.NewTextBlockObject("mrkdwn", "x", false, false)), "/blocks/0/text/type"},
		{"empty section", slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "", false, false), nil, nil), "/blocks/0/text/text"},
		{"long button value", slack.NewActionBlock("a", slack.NewButtonBlockElement("claim", strings.Repeat("v", 2001),
			slack.NewTextBlockObject("plain_text", "Übernehmen", false, false))), "/blocks/0/elements/0/value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := client.PostMessage(channel, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(tc.block))
			wantCode(t, err, "invalid_blocks")
			var slackErr slack.SlackErrorResponse
			if !errors.As(err, &slackErr) || len(slackErr.ResponseMetadata.Messages) == 0 ||
				!strings.Contains(slackErr.ResponseMetadata.Messages[0], tc.pointer) {
				t.Errorf("messages = %+v, want one naming %s", slackErr.ResponseMetadata.Messages, tc.pointer)
			}
		})
	}
}

// dialSocket opens a Socket Mode connection as an app would and returns it
// after the hello message.
func dialSocket(t *testing.T, fake *slackfake.Server) *websocket.Conn {
	t.Helper()
	app := slack.New("", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.Config().AppToken))
	_, wsURL, err := app.StartSocketModeContext(context.Background())
	mustNoErr(t, err)

	ws, resp, err := websocket.DefaultDialer.Dial(wsURL, nil)
	mustNoErr(t, err)
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })

	var hello struct {
		Type string `json:"type"`
	}
	mustNoErr(t, ws.ReadJSON(&hello))
	if hello.Type != "hello" {
		t.Fatalf("first message type = %q, want hello", hello.Type)
	}

	// The ticket in the URL works once.
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same URL: err %v, want 401", err)
	}
	return ws
}

func TestSocketMode_EnvelopeAndAck(t *testing.T) {
	fake, _ := startFake(t)
	ws := dialSocket(t, fake)
	if got := fake.SocketConnections(); got != 1 {
		t.Fatalf("connections = %d, want 1", got)
	}

	cmd := slackfake.SlashCommand{Command: "/stoerung", Text: "Beamer", UserID: "U1", TriggerID: "1.2.abc"}
	id, err := fake.Send(slackfake.Envelope{Type: slackfake.EnvelopeSlashCommands, Payload: cmd.Payload()})
	mustNoErr(t, err)

	var env struct {
		EnvelopeID string            `json:"envelope_id"`
		Type       string            `json:"type"`
		Accepts    bool              `json:"accepts_response_payload"`
		Payload    map[string]string `json:"payload"`
	}
	mustNoErr(t, ws.ReadJSON(&env))
	if env.EnvelopeID != id || env.Type != "slash_commands" || !env.Accepts || env.Payload["text"] != "Beamer" {
		t.Errorf("envelope = %+v, want slash_commands %s with text Beamer", env, id)
	}

	mustNoErr(t, ws.WriteJSON(map[string]any{"envelope_id": id, "payload": map[string]string{"text": "ok"}}))
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.Acks(id)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	acks := fake.Acks(id)
	if len(acks) != 1 || !bytes.Contains(acks[0], []byte(`"text":"ok"`)) {
		t.Errorf("acks = %s, want one with the payload", acks)
	}
}

func TestSocketMode_AppTokenRequired(t *testing.T) {
	fake, client := startFake(t)

	_, _, err := client.StartSocketModeContext(context.Background())
	if err == nil {
		t.Fatal("apps.connections.open with the bot token succeeded, want invalid_auth")
	}
	if _, err := fake.Send(slackfake.Envelope{Type: slackfake.EnvelopeEventsAPI}); err == nil {
		t.Error("Send without a connection succeeded, want an error")
	}
}
