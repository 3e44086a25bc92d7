package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/adapters/mattermost"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/e2e/mmtest"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// mattermostUsers maps the scenario's roles to the users of the mmtest
// school.
var mattermostUsers = map[string]string{
	Teacher:    mmtest.TeacherName,
	IT:         mmtest.IT1Name,
	IT2:        mmtest.IT2Name,
	Leadership: mmtest.LeadershipName,
}

// mattermostSchool is the school key of the incidents in the store.
const mattermostSchool = "contract"

// mattermostDesk acts as the school's users through the REST API of a
// real Mattermost server, with Leitstelle's adapter connected to it.
type mattermostDesk struct {
	srv   *mmtest.Server
	store *sqlstore.Store
	// command is the slash command that Setup registered, such as
	// "/störung".
	command string
	// dialogs are the dialogs that the server opens for each role's user.
	dialogs map[string]<-chan model.OpenDialogRequest
	// names are the user names of the fixture's users, by user id.
	names map[string]string
}

func TestMattermostContract(t *testing.T) {
	Run(t, newMattermostDesk(t))
}

// newMattermostDesk starts a Mattermost server with the mmtest school and
// Leitstelle connected to it, both stopped when the test ends.
func newMattermostDesk(t *testing.T) *mattermostDesk {
	t.Helper()
	srv := mmtest.Start(t)
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("leitstelle log:\n%s", logs.String())
		}
	})

	// The bot registers its slash commands only as a team admin.
	if _, err := srv.Admin.UpdateTeamMemberRoles(t.Context(), srv.TeamID, srv.BotUserID, "team_user team_admin"); err != nil {
		t.Fatalf("make the bot team admin: %v", err)
	}
	// The scenario has the teacher react to a ticket, so the teacher must
	// see the private triage channel.
	if _, _, err := srv.Admin.AddChannelMember(t.Context(), srv.TriageChannelID, srv.UserID(mmtest.TeacherName)); err != nil {
		t.Fatalf("add the teacher to the triage channel: %v", err)
	}

	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "contract.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	res := startLeitstelle(t, srv, store, logs)
	d := &mattermostDesk{
		srv:     srv,
		store:   store,
		command: res.CommandName,
		dialogs: make(map[string]<-chan model.OpenDialogRequest),
		names:   map[string]string{srv.UserID(mmtest.AdminName): mmtest.AdminName},
	}
	for role, name := range mattermostUsers {
		d.dialogs[role] = watchDialogs(t, srv, name)
		d.names[srv.UserID(name)] = name
	}
	return d
}

// startLeitstelle runs the adapter with a real bot on store until the test
// ends. It returns what Setup resolved once the adapter's endpoints accept
// connections and its WebSocket is connected.
func startLeitstelle(t *testing.T, srv *mmtest.Server, store *sqlstore.Store, logs *lockedBuffer) mattermost.Resolved {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(logs, nil))

	addr := freeLoopbackAddr(t)
	cfg := mattermost.DefaultConfig()
	cfg.ServerURL = srv.URL
	cfg.BotToken = srv.BotToken
	cfg.Team = mmtest.TeamName
	cfg.TriageChannel = mmtest.TriageChannel
	cfg.LeadershipChannel = mmtest.LeadershipChannel
	cfg.ListenAddr = addr
	cfg.PublicURL = "http://" + addr
	adapter, err := mattermost.New(cfg, logger)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	res, err := adapter.Setup(t.Context())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}

	botCfg := bot.DefaultConfig()
	botCfg.School = mattermostSchool
	botCfg.TriageChannelID = res.TriageChannelID
	botCfg.LeadershipChannelID = res.LeadershipChannelID
	botCfg.CommandName = res.CommandName
	botCfg.Secret = bytes.Repeat([]byte("m"), 32)
	botCfg.ITUsers = []string{mattermostUsers[IT], mattermostUsers[IT2]}
	botCfg.LeadershipUsers = []string{mattermostUsers[Leadership]}
	b, err := bot.New(botCfg, bot.Deps{Store: store, Platform: adapter, Logger: logger})
	if err != nil {
		t.Fatalf("new bot: %v", err)
	}
	adapter.Attach(b)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- adapter.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run adapter: %v", err)
		}
	})

	eventually(t, "the adapter listens on "+addr, func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
	eventually(t, "the adapter's websocket is connected", func() bool {
		return adapter.Connections() >= 1
	})
	return res
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// watchDialogs connects a WebSocket as the named user until the test ends
// and returns the dialogs that the server opens for that user.
func watchDialogs(t *testing.T, srv *mmtest.Server, name string) <-chan model.OpenDialogRequest {
	t.Helper()
	ws := srv.WebSocket(t, name)
	dialogs := make(chan model.OpenDialogRequest, 8)
	done := make(chan struct{})

	// The client's reader blocks once its buffer of 100 events is full
	// (model.WebSocketClient, server/public v0.4.1), so this loop reads
	// every event.
	go func() {
		defer close(done)
		for event := range ws.EventChannel {
			if event.EventType() != model.WebsocketEventOpenDialog {
				continue
			}
			raw, _ := event.GetData()["dialog"].(string)
			var dialog model.OpenDialogRequest
			if err := json.Unmarshal([]byte(raw), &dialog); err != nil {
				t.Errorf("decode open_dialog event of %s %q: %v", name, raw, err)
				continue
			}
			select {
			case dialogs <- dialog:
			default:
				t.Errorf("dialog %s for %s dropped: %d earlier dialogs are still unsubmitted", dialog.Dialog.CallbackId, name, cap(dialogs))
			}
		}
	}()
	t.Cleanup(func() {
		ws.Close()
		<-done
	})
	return dialogs
}

func (d *mattermostDesk) client(role string) *model.Client4 {
	return d.srv.Client(mattermostUsers[role])
}

// execute runs the slash command with text as role in town square, which
// every user of the fixture has joined.
func (d *mattermostDesk) execute(t *testing.T, role, text string) *model.CommandResponse {
	t.Helper()
	line := strings.TrimSpace(d.command + " " + text)
	resp, _, err := d.client(role).ExecuteCommand(t.Context(), d.srv.TownSquareID, line)
	if err != nil {
		t.Fatalf("%s executes %q: %v", role, line, err)
	}
	return resp
}

func (d *mattermostDesk) Report(t *testing.T, role, text string, a Answers) {
	t.Helper()
	dialogs := d.dialogs[role]
	for len(dialogs) > 0 {
		<-dialogs
	}
	d.execute(t, role, text)

	var dialog model.OpenDialogRequest
	select {
	case dialog = <-dialogs:
	case <-time.After(Wait):
		t.Fatalf("%s executed %s: no dialog opened within %s", role, d.command, Wait)
	}
	if dialog.Dialog.CallbackId != bot.FormReport {
		t.Fatalf("%s executed %s: dialog %q opened, want %q", role, d.command, dialog.Dialog.CallbackId, bot.FormReport)
	}

	// The description stays as the command prefilled it.
	values := map[string]any{
		"description": elementDefault(dialog.Dialog, "description"),
		"location":    a.Location,
		"category":    a.Category,
		"impact":      strconv.Itoa(a.Impact),
		"urgency":     strconv.Itoa(a.Urgency),
		"exam":        a.Exam,
	}
	resp, _, err := d.client(role).SubmitInteractiveDialog(t.Context(), model.SubmitDialogRequest{
		URL:        dialog.URL,
		CallbackId: dialog.Dialog.CallbackId,
		State:      dialog.Dialog.State,
		ChannelId:  d.srv.TownSquareID,
		TeamId:     d.srv.TeamID,
		Submission: values,
	})
	if err != nil {
		t.Fatalf("%s submits the report: %v", role, err)
	}
	if resp.Error != "" || len(resp.Errors) > 0 {
		t.Fatalf("%s submits the report: error %q, field errors %v", role, resp.Error, resp.Errors)
	}
}

func elementDefault(dialog model.Dialog, name string) string {
	for _, e := range dialog.Elements {
		if e.Name == name {
			return e.Default
		}
	}
	return ""
}

// Command returns the text of the command response, which Mattermost shows
// only to role.
func (d *mattermostDesk) Command(t *testing.T, role, text string) string {
	t.Helper()
	return d.execute(t, role, text).Text
}

func (d *mattermostDesk) React(t *testing.T, role string, n int64, emoji string, added bool) {
	t.Helper()
	post := d.ticketPost(t, n)
	if post == nil {
		t.Fatalf("%s reacts to #%d: no triage post", role, n)
	}

	reaction := &model.Reaction{UserId: d.srv.UserID(mattermostUsers[role]), PostId: post.Id, EmojiName: emoji}
	var err error
	if added {
		_, _, err = d.client(role).SaveReaction(t.Context(), reaction)
	} else {
		_, err = d.client(role).DeleteReaction(t.Context(), reaction)
	}
	if err != nil {
		t.Fatalf("%s reacts %s (added %v) to #%d: %v", role, emoji, added, n, err)
	}
}

func (d *mattermostDesk) Ticket(t *testing.T, n int64) (Post, bool) {
	t.Helper()
	post := d.ticketPost(t, n)
	if post == nil {
		return Post{}, false
	}
	return visiblePost(post), true
}

// ticketPost returns the bot's post in the triage channel whose card title
// starts with ticket n's reference, read with IT's client, or nil.
func (d *mattermostDesk) ticketPost(t *testing.T, n int64) *model.Post {
	t.Helper()
	prefix := fmt.Sprintf("#%d ", n)
	for _, p := range d.posts(t, d.client(IT), d.srv.TriageChannelID) {
		if p.UserId != d.srv.BotUserID {
			continue
		}
		for _, a := range p.Attachments() {
			if strings.HasPrefix(a.Title, prefix) {
				return p
			}
		}
	}
	return nil
}

// posts returns up to 200 posts of a channel, newest first.
func (d *mattermostDesk) posts(t *testing.T, client *model.Client4, channelID string) []*model.Post {
	t.Helper()
	list, _, err := client.GetPostsForChannel(t.Context(), channelID, 0, 200, "", false, false)
	if err != nil {
		t.Fatalf("get posts of channel %s: %v", channelID, err)
	}
	posts := make([]*model.Post, 0, len(list.Order))
	for _, id := range list.Order {
		posts = append(posts, list.Posts[id])
	}
	return posts
}

// visiblePost returns the text and buttons that a reader sees in p. The
// text has one line for the message and one each for the pretext, title,
// text, fields and footer of every attachment. A button's Ref is
// "postID/actionID".
func visiblePost(p *model.Post) Post {
	var lines []string
	var buttons []Button
	add := func(s string) {
		if s != "" {
			lines = append(lines, s)
		}
	}

	add(p.Message)
	for _, a := range p.Attachments() {
		add(a.Pretext)
		add(a.Title)
		add(a.Text)
		for _, f := range a.Fields {
			add(fmt.Sprintf("%s: %v", f.Title, f.Value))
		}
		add(a.Footer)
		for _, action := range a.Actions {
			buttons = append(buttons, Button{Label: action.Name, Ref: p.Id + "/" + action.Id})
		}
	}
	return Post{Text: strings.Join(lines, "\n"), Buttons: buttons}
}

func (d *mattermostDesk) DMs(t *testing.T, role string) []Post {
	t.Helper()
	client := d.client(role)
	userID := d.srv.UserID(mattermostUsers[role])
	ch, _, err := client.CreateDirectChannel(t.Context(), userID, d.srv.BotUserID)
	if err != nil {
		t.Fatalf("open the direct channel of %s with the bot: %v", role, err)
	}

	posts := d.posts(t, client, ch.Id)
	var dms []Post
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].UserId == d.srv.BotUserID {
			dms = append(dms, visiblePost(posts[i]))
		}
	}
	return dms
}

func (d *mattermostDesk) Press(t *testing.T, role string, b Button) {
	t.Helper()
	postID, actionID, ok := strings.Cut(b.Ref, "/")
	if !ok {
		t.Fatalf("button %q has ref %q, want postID/actionID", b.Label, b.Ref)
	}
	if _, err := d.client(role).DoPostAction(t.Context(), postID, actionID); err != nil {
		t.Fatalf("%s presses %q on post %s: %v", role, b.Label, postID, err)
	}
}

// Coordination leaves the bot out of the members, because it is no
// person. Every other member is listed, so a user outside the scenario
// (such as the admin) appears under the user name and an unknown user
// under the id.
func (d *mattermostDesk) Coordination(t *testing.T, n int64) (string, []string, bool) {
	t.Helper()
	ch := d.channelWithPrefix(t, fmt.Sprintf("stoerung-%04d-", n))
	if ch == nil {
		return "", nil, false
	}

	members, _, err := d.srv.Admin.GetChannelMembers(t.Context(), ch.Id, 0, 200, "")
	if err != nil {
		t.Fatalf("get members of channel %s: %v", ch.Name, err)
	}
	var roles []string
	for _, m := range members {
		if m.UserId == d.srv.BotUserID {
			continue
		}
		name, ok := d.names[m.UserId]
		if !ok {
			name = m.UserId
		}
		roles = append(roles, roleOf(mattermostUsers, name))
	}
	return ch.Name, roles, true
}

// channelWithPrefix returns the team's first public or private channel
// whose name starts with prefix, listed with the admin's client, or nil.
func (d *mattermostDesk) channelWithPrefix(t *testing.T, prefix string) *model.Channel {
	t.Helper()
	ctx := t.Context()
	private, _, err := d.srv.Admin.GetPrivateChannelsForTeam(ctx, d.srv.TeamID, 0, 200, "")
	if err != nil {
		t.Fatalf("list private channels: %v", err)
	}
	public, _, err := d.srv.Admin.GetPublicChannelsForTeam(ctx, d.srv.TeamID, 0, 200, "")
	if err != nil {
		t.Fatalf("list public channels: %v", err)
	}
	for _, ch := range append(private, public...) {
		if strings.HasPrefix(ch.Name, prefix) {
			return ch
		}
	}
	return nil
}

func (d *mattermostDesk) Incident(t *testing.T, n int64) *incident.Incident {
	t.Helper()
	inc, err := d.store.Get(context.Background(), mattermostSchool, n)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return inc
}
