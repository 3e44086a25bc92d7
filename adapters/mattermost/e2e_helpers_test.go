package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/e2e/mmtest"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// waitTimeout bounds each wait for an effect that the server or
// Leitstelle produce in the background.
const waitTimeout = 20 * time.Second

// leitstelle is Leitstelle running against a test server.
type leitstelle struct {
	srv      *mmtest.Server
	adapter  *Adapter
	bot      *bot.Bot
	store    *sqlstore.Store
	resolved Resolved
	logs     *logBuffer
}

// startOptions change how startLeitstelle runs Leitstelle.
type startOptions struct {
	// serverURL replaces the server's URL, such as with a proxy.
	serverURL string
	// commandTokens are tokens of commands created by hand.
	commandTokens []string
	// listenAddr replaces a fresh loopback address.
	listenAddr string
	// triageChannel replaces the fixture's triage channel.
	triageChannel string
}

// startLeitstelle runs Setup, creates bot and store, runs the adapter until
// the test ends and waits until its WebSocket has connected once.
func startLeitstelle(t *testing.T, srv *mmtest.Server, opts startOptions) *leitstelle {
	t.Helper()
	a, logs, logger := newE2EAdapter(t, srv, opts)
	addr := a.cfg.ListenAddr
	res, err := a.Setup(t.Context())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	store := openStore(t)
	b := newBot(t, a, store, res, logger)
	a.Attach(b)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	waitFor(t, "http endpoints listening", func() (bool, string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	})
	waitFor(t, "websocket connected", func() (bool, string) {
		return a.connects.Load() >= 1, "no connection yet"
	})
	return &leitstelle{srv: srv, adapter: a, bot: b, store: store, resolved: res, logs: logs}
}

// newE2EAdapter returns an adapter for the school of srv, before Setup.
func newE2EAdapter(t *testing.T, srv *mmtest.Server, opts startOptions) (*Adapter, *logBuffer, *slog.Logger) {
	t.Helper()
	logger, logs := newTestLogger(t)

	addr := opts.listenAddr
	if addr == "" {
		addr = freeAddr(t)
	}
	cfg := DefaultConfig()
	cfg.ServerURL = srv.URL
	if opts.serverURL != "" {
		cfg.ServerURL = opts.serverURL
	}
	cfg.BotToken = srv.BotToken
	cfg.Team = mmtest.TeamName
	cfg.TriageChannel = mmtest.TriageChannel
	if opts.triageChannel != "" {
		cfg.TriageChannel = opts.triageChannel
	}
	cfg.LeadershipChannel = mmtest.LeadershipChannel
	cfg.ListenAddr = addr
	cfg.PublicURL = "http://" + addr
	cfg.CommandTokens = opts.commandTokens
	cfg.ReconnectMin = 50 * time.Millisecond
	cfg.ReconnectMax = 400 * time.Millisecond

	a, err := New(cfg, logger)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	return a, logs, logger
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond until it holds or waitTimeout passes. The string
// that cond returns describes the last state for the failure message.
func waitFor(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s; last state: %s", what, waitTimeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// makeTeamAdmin gives the bot the team admin role, which lets it register
// its slash commands.
func makeTeamAdmin(tb testing.TB, srv *mmtest.Server) {
	tb.Helper()
	if _, err := srv.Admin.UpdateTeamMemberRoles(context.Background(), srv.TeamID, srv.BotUserID, "team_user team_admin"); err != nil {
		tb.Fatalf("make bot team admin: %v", err)
	}
}

// joinTriage adds the named user to the triage channel.
func joinTriage(tb testing.TB, srv *mmtest.Server, name string) {
	tb.Helper()
	if _, _, err := srv.Admin.AddChannelMember(context.Background(), srv.TriageChannelID, srv.UserID(name)); err != nil {
		tb.Fatalf("add %s to the triage channel: %v", name, err)
	}
}

// awaitEvent reads ws until an event matches, and fails after waitTimeout.
func awaitEvent(tb testing.TB, ws *model.WebSocketClient, what string, match func(*model.WebSocketEvent) bool) *model.WebSocketEvent {
	tb.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case event, ok := <-ws.EventChannel:
			if !ok {
				tb.Fatalf("%s: websocket closed: %v", what, ws.ListenError)
			}
			if match(event) {
				return event
			}
		case <-timeout:
			tb.Fatalf("%s: no such event within %s", what, waitTimeout)
		}
	}
}

// awaitDialog returns the next dialog the server opens on ws.
func awaitDialog(tb testing.TB, ws *model.WebSocketClient) model.OpenDialogRequest {
	tb.Helper()
	event := awaitEvent(tb, ws, "open_dialog", func(e *model.WebSocketEvent) bool {
		return e.EventType() == model.WebsocketEventOpenDialog
	})
	raw, _ := event.GetData()["dialog"].(string)
	var dialog model.OpenDialogRequest
	if err := json.Unmarshal([]byte(raw), &dialog); err != nil {
		tb.Fatalf("decode open_dialog event %q: %v", raw, err)
	}
	return dialog
}

// submitDialog submits dialog with values as the user of client, as the
// web app does.
func submitDialog(t *testing.T, l *leitstelle, client *model.Client4, dialog model.OpenDialogRequest, channelID string, values map[string]any) (*model.SubmitDialogResponse, error) {
	t.Helper()
	resp, _, err := client.SubmitInteractiveDialog(t.Context(), model.SubmitDialogRequest{
		URL:        dialog.URL,
		CallbackId: dialog.Dialog.CallbackId,
		State:      dialog.Dialog.State,
		ChannelId:  channelID,
		TeamId:     l.srv.TeamID,
		Submission: values,
	})
	return resp, err
}

// execute runs a slash command as the named user in channelID.
func execute(t *testing.T, l *leitstelle, name, channelID, command string) *model.CommandResponse {
	t.Helper()
	resp, _, err := l.srv.Client(name).ExecuteCommand(t.Context(), channelID, command)
	if err != nil {
		t.Fatalf("%s executes %q: %v", name, command, err)
	}
	return resp
}

// reportValues returns the values of a complete report form.
func reportValues(description, location, category string, impact, urgency int) map[string]any {
	return map[string]any{
		"description": description, "location": location, "category": category,
		"impact": fmt.Sprint(impact), "urgency": fmt.Sprint(urgency), "exam": false,
	}
}

// report files a report as the teacher through /stoerung and the dialog,
// and returns the stored incident once its triage post exists.
func report(t *testing.T, l *leitstelle, teacherWS *model.WebSocketClient, values map[string]any) *incident.Incident {
	t.Helper()
	before := len(incidents(t, l.store))
	execute(t, l, mmtest.TeacherName, l.srv.TownSquareID, "/stoerung")
	dialog := awaitDialog(t, teacherWS)
	resp, err := submitDialog(t, l, l.srv.Client(mmtest.TeacherName), dialog, l.srv.TownSquareID, values)
	if err != nil {
		t.Fatalf("submit report: %v", err)
	}
	if resp.Error != "" || len(resp.Errors) > 0 {
		t.Fatalf("submit report: error %q, field errors %v", resp.Error, resp.Errors)
	}

	var inc *incident.Incident
	waitFor(t, "ticket in the triage channel", func() (bool, string) {
		list := incidents(t, l.store)
		if len(list) != before+1 {
			return false, fmt.Sprintf("%d incidents", len(list))
		}
		inc = list[0]
		return inc.TriagePostID != "", "no triage post yet"
	})
	return inc
}

// get returns incident number of the test school.
func (l *leitstelle) get(t *testing.T, number int64) *incident.Incident {
	t.Helper()
	inc, err := l.store.Get(context.Background(), testSchool, number)
	if err != nil {
		t.Fatalf("get incident %d: %v", number, err)
	}
	return inc
}

// waitStatus waits until incident number has status want.
func (l *leitstelle) waitStatus(t *testing.T, number int64, want incident.Status) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	waitFor(t, fmt.Sprintf("incident #%d %s", number, want), func() (bool, string) {
		inc = l.get(t, number)
		return inc.Status == want, "status " + string(inc.Status)
	})
	return inc
}

// react adds the named user's reaction emoji to postID.
func react(t *testing.T, l *leitstelle, name, postID, emoji string) {
	t.Helper()
	reaction := &model.Reaction{UserId: l.srv.UserID(name), PostId: postID, EmojiName: emoji}
	if _, _, err := l.srv.Client(name).SaveReaction(t.Context(), reaction); err != nil {
		t.Fatalf("%s reacts %s: %v", name, emoji, err)
	}
}

// unreact removes the named user's reaction emoji from postID.
func unreact(t *testing.T, l *leitstelle, name, postID, emoji string) {
	t.Helper()
	reaction := &model.Reaction{UserId: l.srv.UserID(name), PostId: postID, EmojiName: emoji}
	if _, err := l.srv.Client(name).DeleteReaction(t.Context(), reaction); err != nil {
		t.Fatalf("%s removes %s: %v", name, emoji, err)
	}
}

// press presses the button actionID of postID as the named user.
func press(t *testing.T, l *leitstelle, name, postID, actionID string) {
	t.Helper()
	if _, err := l.srv.Client(name).DoPostAction(t.Context(), postID, actionID); err != nil {
		t.Fatalf("%s presses %s on post %s: %v", name, actionID, postID, err)
	}
}

// post fetches a post with the admin's client.
func (l *leitstelle) post(t *testing.T, postID string) *model.Post {
	t.Helper()
	p, _, err := l.srv.Admin.GetPost(t.Context(), postID, "")
	if err != nil {
		t.Fatalf("get post %s: %v", postID, err)
	}
	return p
}

// actionIDs returns the ids of the buttons of a post.
func actionIDs(p *model.Post) []string {
	var ids []string
	for _, a := range p.Attachments() {
		for _, action := range a.Actions {
			ids = append(ids, action.Id)
		}
	}
	return ids
}

// dmPosts returns the posts of the bot's direct channel with the named
// user, newest first.
func dmPosts(t *testing.T, l *leitstelle, name string) []*model.Post {
	t.Helper()
	client := l.srv.Client(name)
	ch, _, err := client.CreateDirectChannel(t.Context(), l.srv.UserID(name), l.srv.BotUserID)
	if err != nil {
		t.Fatalf("open direct channel of %s with the bot: %v", name, err)
	}
	return channelPosts(t, client, ch.Id)
}

// channelPosts returns the posts of a channel, newest first.
func channelPosts(t *testing.T, client *model.Client4, channelID string) []*model.Post {
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

// waitDM waits for a direct message from the bot to the named user that
// contains text, and returns it.
func waitDM(t *testing.T, l *leitstelle, name, text string) *model.Post {
	t.Helper()
	var found *model.Post
	waitFor(t, fmt.Sprintf("direct message to %s containing %q", name, text), func() (bool, string) {
		posts := dmPosts(t, l, name)
		for _, p := range posts {
			if p.UserId == l.srv.BotUserID && strings.Contains(p.Message, text) {
				found = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d posts", len(posts))
	})
	return found
}

// mentionCount returns the unread mentions of the named user in a channel.
func mentionCount(t *testing.T, l *leitstelle, name, channelID string) int64 {
	t.Helper()
	member, _, err := l.srv.Admin.GetChannelMember(t.Context(), channelID, l.srv.UserID(name), "")
	if err != nil {
		t.Fatalf("get membership of %s in %s: %v", name, channelID, err)
	}
	return member.MentionCount
}
