package mattermost

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/e2e/mmtest"
	"github.com/leitstelle/leitstelle/incident"
)

// The end-to-end tests run Leitstelle against a real Mattermost server
// started by mmtest and act through its REST API as the school's users.

func TestE2E_SetupRegistersCommandsOnce(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	first := startLeitstelle(t, srv, startOptions{})

	res := first.resolved
	if res.BotUserID != srv.BotUserID || res.TeamID != srv.TeamID {
		t.Errorf("bot, team = %q, %q, want %q, %q", res.BotUserID, res.TeamID, srv.BotUserID, srv.TeamID)
	}
	if res.TriageChannelID != srv.TriageChannelID || res.LeadershipChannelID != srv.LeadershipChannelID {
		t.Errorf("channels = %q, %q, want %q, %q", res.TriageChannelID, res.LeadershipChannelID, srv.TriageChannelID, srv.LeadershipChannelID)
	}
	if res.CommandName != "/störung" {
		t.Errorf("command name = %q, want /störung", res.CommandName)
	}
	before := botCommands(t, srv)
	checkCommands(t, before, first.adapter.publicURL(PathCommand))

	// A restart with another public URL updates the commands in place.
	second := startLeitstelle(t, srv, startOptions{})
	after := botCommands(t, srv)
	checkCommands(t, after, second.adapter.publicURL(PathCommand))
	for trigger, cmd := range before {
		if after[trigger].Id != cmd.Id || after[trigger].Token != cmd.Token {
			t.Errorf("command %s after restart: id %q token %q, want the same as before: %q %q",
				trigger, after[trigger].Id, after[trigger].Token, cmd.Id, cmd.Token)
		}
	}

	// The teacher's command list shows the German hint.
	teacherCommands, _, err := srv.Client(mmtest.TeacherName).ListCommands(t.Context(), srv.TeamID, false)
	if err != nil {
		t.Fatal(err)
	}
	var hint string
	for _, c := range teacherCommands {
		if c.Trigger == "stoerung" {
			hint = c.AutoCompleteHint
		}
	}
	de, err := bot.NewTranslator("de")
	if err != nil {
		t.Fatal(err)
	}
	if want := de.T("command.autocomplete_hint", nil); hint != want {
		t.Errorf("autocomplete hint seen by the teacher = %q, want %q", hint, want)
	}
}

// botCommands returns the team's slash commands that the bot created, by
// trigger.
func botCommands(t *testing.T, srv *mmtest.Server) map[string]*model.Command {
	t.Helper()
	all, _, err := srv.Admin.ListCommands(t.Context(), srv.TeamID, true)
	if err != nil {
		t.Fatalf("list commands: %v", err)
	}
	own := map[string]*model.Command{}
	for _, c := range all {
		if c.CreatorId != srv.BotUserID {
			continue
		}
		if own[c.Trigger] != nil {
			t.Errorf("command %s exists twice", c.Trigger)
		}
		own[c.Trigger] = c
	}
	return own
}

func checkCommands(t *testing.T, commands map[string]*model.Command, wantURL string) {
	t.Helper()
	triggers := make([]string, 0, len(commands))
	for trigger, c := range commands {
		triggers = append(triggers, trigger)
		if c.URL != wantURL || c.Method != model.CommandMethodPost || !c.AutoComplete {
			t.Errorf("command %s: URL %q method %q autocomplete %v, want %q, POST, true", trigger, c.URL, c.Method, c.AutoComplete, wantURL)
		}
		if c.AutoCompleteDesc == "" || c.AutoCompleteHint == "" {
			t.Errorf("command %s has no autocomplete texts", trigger)
		}
	}
	sort.Strings(triggers)
	if want := []string{"stoerung", "störung"}; !slices.Equal(triggers, want) {
		t.Errorf("bot's commands = %v, want %v", triggers, want)
	}
}

func TestE2E_SetupWithoutCommandPermission(t *testing.T) {
	srv := mmtest.Start(t)

	// An admin creates the command by hand, following the fix in the log.
	addr := freeAddr(t)
	manual, _, err := srv.Admin.CreateCommand(t.Context(), &model.Command{
		TeamId: srv.TeamID, Trigger: "leitstelle", Method: model.CommandMethodPost, URL: "http://" + addr + PathCommand,
	})
	if err != nil {
		t.Fatalf("create command by hand: %v", err)
	}
	l := startLeitstelle(t, srv, startOptions{listenAddr: addr, commandTokens: []string{manual.Token}})

	if len(l.resolved.Commands) != 0 || l.resolved.CommandName != "/stoerung" {
		t.Errorf("commands %v, name %q, want none registered and /stoerung", l.resolved.Commands, l.resolved.CommandName)
	}
	if logs := l.logs.String(); !strings.Contains(logs, "may not manage slash commands") || !strings.Contains(logs, "Team Admin") {
		t.Errorf("log does not explain the missing permission and its fix:\n%s", logs)
	}

	resp := execute(t, l, mmtest.TeacherName, srv.TownSquareID, "/leitstelle hilfe")
	want := l.bot.HandleCommand(t.Context(), bot.Command{User: bot.User{ID: srv.UserID(mmtest.TeacherName), Name: mmtest.TeacherName}, Text: "hilfe"}).Text
	if resp.Text != want {
		t.Errorf("reply to the hand-made command = %q, want the help %q", resp.Text, want)
	}
}

func TestE2E_SetupChannelMembership(t *testing.T) {
	srv := mmtest.Start(t)
	admin := srv.Admin

	// The bot joins a public triage channel by itself, and goes on
	// without the leadership channel it was removed from.
	public, _, err := admin.CreateChannel(t.Context(), &model.Channel{
		TeamId: srv.TeamID, Name: "it-oeffentlich", DisplayName: "IT öffentlich", Type: model.ChannelTypeOpen,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RemoveUserFromChannel(t.Context(), srv.LeadershipChannelID, srv.BotUserID); err != nil {
		t.Fatal(err)
	}
	a, logs, _ := newE2EAdapter(t, srv, startOptions{triageChannel: "~it-oeffentlich"})
	res, err := a.Setup(t.Context())
	if err != nil {
		t.Fatalf("setup with a public triage channel: %v", err)
	}
	if res.TriageChannelID != public.Id {
		t.Errorf("triage channel = %q, want %q", res.TriageChannelID, public.Id)
	}
	if _, _, err := admin.GetChannelMember(t.Context(), public.Id, srv.BotUserID, ""); err != nil {
		t.Errorf("bot is no member of the public triage channel: %v", err)
	}
	if res.LeadershipChannelID != "" {
		t.Errorf("leadership channel = %q, want none", res.LeadershipChannelID)
	}
	if !strings.Contains(logs.String(), "/invite @"+mmtest.BotName) {
		t.Errorf("log lacks the /invite step:\n%s", logs.String())
	}

	// A private triage channel without the bot stops Setup.
	if _, err := admin.RemoveUserFromChannel(t.Context(), srv.TriageChannelID, srv.BotUserID); err != nil {
		t.Fatal(err)
	}
	a, _, _ = newE2EAdapter(t, srv, startOptions{})
	_, err = a.Setup(t.Context())
	if err == nil || !strings.Contains(err.Error(), "/invite @"+mmtest.BotName) {
		t.Errorf("setup without the bot in the private triage channel: %v, want an error naming the /invite step", err)
	}
}

func TestE2E_ReportLifecycle(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	joinTriage(t, srv, mmtest.TeacherName)
	l := startLeitstelle(t, srv, startOptions{})
	teacherWS := srv.WebSocket(t, mmtest.TeacherName)
	it1WS := srv.WebSocket(t, mmtest.IT1Name)
	teacher := srv.Client(mmtest.TeacherName)

	// /störung opens an empty form. A missing location keeps it open.
	execute(t, l, mmtest.TeacherName, srv.TownSquareID, "/störung")
	dialog := awaitDialog(t, teacherWS)
	if dialog.URL != l.adapter.publicURL(PathDialog) || dialog.Dialog.Title != "Störung melden" {
		t.Errorf("dialog URL %q title %q, want %q and Störung melden", dialog.URL, dialog.Dialog.Title, l.adapter.publicURL(PathDialog))
	}
	values := reportValues("Drucker im Lehrerzimmer druckt nicht", "", "drucker", 3, 3)
	resp, err := submitDialog(t, l, teacher, dialog, srv.TownSquareID, values)
	if err != nil {
		t.Fatalf("submit without location: %v", err)
	}
	if resp.Errors["location"] == "" {
		t.Errorf("field errors = %v, want one for location", resp.Errors)
	}
	if n := len(incidents(t, l.store)); n != 0 {
		t.Fatalf("store holds %d incidents after the rejected form, want 0", n)
	}

	values["location"] = "Lehrerzimmer"
	if resp, err := submitDialog(t, l, teacher, dialog, srv.TownSquareID, values); err != nil || len(resp.Errors) > 0 || resp.Error != "" {
		t.Fatalf("submit complete form: %v, %+v", err, resp)
	}
	inc := l.waitTriagePost(t, 1)
	waitDM(t, l, mmtest.TeacherName, "Ihre Meldung #1")

	// /stoerung with text prefills the description.
	execute(t, l, mmtest.TeacherName, srv.TownSquareID, "/stoerung Beamer in Raum 204 zeigt kein Bild")
	prefilled := awaitDialog(t, teacherWS)
	if got := elementDefault(prefilled.Dialog, "description"); got != "Beamer in Raum 204 zeigt kein Bild" {
		t.Errorf("description default = %q, want the command text", got)
	}

	// The ticket is a card with the P3 colour, fields and a claim button.
	ticket := l.post(t, inc.TriagePostID)
	checkTicket(t, ticket, srv.TriageChannelID, srv.BotUserID, "#1 · P3", "#f8e71c", "Drucker im Lehrerzimmer druckt nicht", []string{"claim"})

	// A teacher's 👀 claims nothing and gets an explanation.
	react(t, l, mmtest.TeacherName, inc.TriagePostID, bot.ClaimEmoji)
	waitDM(t, l, mmtest.TeacherName, "Nur das IT-Team kann Störungen übernehmen")
	if got := l.get(t, 1); got.Status != incident.StatusReported || got.ClaimerID != "" {
		t.Errorf("after the teacher's reaction: status %q claimer %q, want %q and none", got.Status, got.ClaimerID, incident.StatusReported)
	}

	// it1's 👀 claims it, and the reporter hears of it.
	react(t, l, mmtest.IT1Name, inc.TriagePostID, bot.ClaimEmoji)
	claimed := l.waitStatus(t, 1, incident.StatusClaimed)
	if claimed.ClaimerID != srv.UserID(mmtest.IT1Name) {
		t.Errorf("claimer = %q, want it1 %q", claimed.ClaimerID, srv.UserID(mmtest.IT1Name))
	}
	waitDM(t, l, mmtest.TeacherName, "wird jetzt von it1 bearbeitet")
	waitFor(t, "ticket shows the claim", func() (bool, string) {
		ids := actionIDs(l.post(t, inc.TriagePostID))
		return slices.Equal(ids, []string{"resolve", "escalate", "unclaim"}), fmt.Sprint(ids)
	})

	// it1 presses Gelöst and writes what was done.
	press(t, l, mmtest.IT1Name, inc.TriagePostID, "resolve")
	note := awaitDialog(t, it1WS)
	if note.Dialog.Title != "Lösung zu #1" {
		t.Errorf("note dialog title = %q, want Lösung zu #1", note.Dialog.Title)
	}
	if resp, err := submitDialog(t, l, srv.Client(mmtest.IT1Name), note, srv.TriageChannelID, map[string]any{"note": "Toner getauscht"}); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("submit resolve note: %v, %+v", err, resp)
	}
	resolved := l.waitStatus(t, 1, incident.StatusResolved)
	if resolved.ResolutionNote != "Toner getauscht" {
		t.Errorf("resolution note = %q, want Toner getauscht", resolved.ResolutionNote)
	}

	// The reporter confirms with the button of the direct message.
	question := waitDM(t, l, mmtest.TeacherName, "als gelöst gemeldet")
	if ids := actionIDs(question); !slices.Equal(ids, []string{"verify", "reopen"}) {
		t.Fatalf("buttons of the resolve message = %v, want [verify reopen]", ids)
	}
	press(t, l, mmtest.TeacherName, question.Id, "verify")
	waitDM(t, l, mmtest.IT1Name, "Funktionstest bestanden")
	if got := l.get(t, 1); got.VerifiedAt == nil {
		t.Error("incident not verified after the reporter pressed Funktioniert")
	}

	// it1 closes the ticket with a note.
	press(t, l, mmtest.IT1Name, inc.TriagePostID, "close")
	closeNote := awaitDialog(t, it1WS)
	if resp, err := submitDialog(t, l, srv.Client(mmtest.IT1Name), closeNote, srv.TriageChannelID, map[string]any{"note": "Tonerkartusche war leer"}); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("submit close note: %v, %+v", err, resp)
	}
	l.waitStatus(t, 1, incident.StatusClosed)
	waitDM(t, l, mmtest.TeacherName, "ist abgeschlossen")
	waitFor(t, "closed ticket grey and without buttons", func() (bool, string) {
		p := l.post(t, inc.TriagePostID)
		a := p.Attachments()
		return len(a) == 1 && a[0].Color == "#9b9b9b" && len(actionIDs(p)) == 0, fmt.Sprintf("attachments %+v", a)
	})

	events, err := l.store.Timeline(t.Context(), testSchool, 1)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind))
	}
	want := []string{"reported", "claimed", "resolved", "verified", "closed"}
	if !slices.Equal(kinds, want) {
		t.Errorf("timeline = %v, want %v", kinds, want)
	}
}

// waitTriagePost waits until incident number has a triage post.
func (l *leitstelle) waitTriagePost(t *testing.T, number int64) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	waitFor(t, fmt.Sprintf("triage post of #%d", number), func() (bool, string) {
		list := incidents(t, l.store)
		for _, i := range list {
			if i.Number == number {
				inc = i
				return i.TriagePostID != "", "no triage post"
			}
		}
		return false, fmt.Sprintf("%d incidents", len(list))
	})
	return inc
}

func elementDefault(d model.Dialog, name string) string {
	for _, e := range d.Elements {
		if e.Name == name {
			return e.Default
		}
	}
	return ""
}

// checkTicket checks a triage post: author, channel, one card with title,
// colour, description and buttons.
func checkTicket(t *testing.T, p *model.Post, channelID, botID, title, color, description string, buttons []string) {
	t.Helper()
	if p.ChannelId != channelID || p.UserId != botID {
		t.Errorf("ticket in channel %q by %q, want %q by the bot %q", p.ChannelId, p.UserId, channelID, botID)
	}
	attachments := p.Attachments()
	if len(attachments) != 1 {
		t.Fatalf("ticket has %d attachments, want 1", len(attachments))
	}
	card := attachments[0]
	if !strings.Contains(card.Title, title) || card.Color != color {
		t.Errorf("card title %q colour %q, want a title with %q and colour %q", card.Title, card.Color, title, color)
	}
	var got string
	for _, f := range card.Fields {
		if f.Title == "Beschreibung" {
			got = fmt.Sprint(f.Value)
		}
	}
	if got != description {
		t.Errorf("description field = %q, want %q", got, description)
	}
	if ids := actionIDs(p); !slices.Equal(ids, buttons) {
		t.Errorf("buttons = %v, want %v", ids, buttons)
	}
}

func TestE2E_P1CoordinationChannel(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	l := startLeitstelle(t, srv, startOptions{})
	teacherWS := srv.WebSocket(t, mmtest.TeacherName)

	// A P1 whose text tries to notify everybody.
	description := "@all @channel @here Lernplattform ist für alle ausgefallen"
	inc := report(t, l, teacherWS, reportValues(description, "@here Schulgebäude", "lernplattform", 1, 1))
	if inc.Priority != incident.P1 {
		t.Fatalf("priority = %s, want P1", inc.Priority)
	}
	var coordID string
	waitFor(t, "coordination channel", func() (bool, string) {
		coordID = l.get(t, 1).CoordinationChannelID
		return coordID != "", "none yet"
	})

	// Exactly reporter, IT, leadership and the bot are members.
	members, _, err := srv.Admin.GetChannelMembers(t.Context(), coordID, 0, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		got = append(got, m.UserId)
	}
	want := []string{srv.UserID(mmtest.TeacherName), srv.UserID(mmtest.IT1Name), srv.UserID(mmtest.IT2Name), srv.UserID(mmtest.LeadershipName), srv.BotUserID}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("members of the coordination channel = %v, want %v", got, want)
	}
	coord, _, err := srv.Admin.GetChannel(t.Context(), coordID)
	if err != nil {
		t.Fatal(err)
	}
	if coord.Type != model.ChannelTypePrivate || !strings.HasPrefix(coord.Name, "stoerung-0001-") {
		t.Errorf("coordination channel type %q name %q, want private and stoerung-0001-…", coord.Type, coord.Name)
	}

	// The summary is pinned there, the leadership channel gets a note.
	waitFor(t, "pinned summary", func() (bool, string) {
		pinned, _, err := srv.Admin.GetPinnedPosts(t.Context(), coordID, "")
		if err != nil {
			return false, err.Error()
		}
		return len(pinned.Order) == 1, fmt.Sprintf("%d pinned posts", len(pinned.Order))
	})
	var leadershipNote *model.Post
	waitFor(t, "note in the leadership channel", func() (bool, string) {
		for _, p := range channelPosts(t, srv.Admin, srv.LeadershipChannelID) {
			if p.UserId == srv.BotUserID && strings.Contains(p.Message, "~"+coord.Name) {
				leadershipNote = p
				return true, ""
			}
		}
		return false, "no note"
	})

	// IT claims and resolves by command, with a note that tries to
	// notify the channel.
	claim := execute(t, l, mmtest.IT1Name, srv.TriageChannelID, "/stoerung übernehmen #1")
	if claim.Text != "Sie haben #1 übernommen." {
		t.Errorf("answer to übernehmen = %q, want Sie haben #1 übernommen.", claim.Text)
	}
	execute(t, l, mmtest.IT1Name, srv.TriageChannelID, "/stoerung gelöst #1 @channel Server neu gestartet")
	l.waitStatus(t, 1, incident.StatusResolved)
	var update *model.Post
	waitFor(t, "resolve note in the coordination channel", func() (bool, string) {
		for _, p := range channelPosts(t, srv.Admin, coordID) {
			if strings.Contains(p.Message, "Server neu gestartet") {
				update = p
				return true, ""
			}
		}
		return false, "no update"
	})

	// No @ in user text survives as a mention.
	ticket := l.post(t, inc.TriagePostID)
	texts := map[string]string{
		"leadership note":     leadershipNote.Message,
		"coordination update": update.Message,
		"ticket title":        ticket.Attachments()[0].Title,
	}
	for what, text := range texts {
		for _, mention := range []string{"@all", "@channel", "@here"} {
			if strings.Contains(text, mention) {
				t.Errorf("%s contains a live %s: %q", what, mention, text)
			}
		}
	}

	// Users got no mention beyond the one for being added to the channel.
	// A control post afterwards shows that @all would count.
	channels := map[string][]string{
		srv.TriageChannelID:     {mmtest.IT1Name, mmtest.IT2Name},
		srv.LeadershipChannelID: {mmtest.LeadershipName},
		coordID:                 {mmtest.TeacherName, mmtest.IT2Name, mmtest.LeadershipName},
	}
	for channelID, names := range channels {
		if _, _, err := srv.Bot.CreatePost(t.Context(), &model.Post{ChannelId: channelID, Message: "@all Kontrolle"}); err != nil {
			t.Fatalf("post control mention: %v", err)
		}
		for _, name := range names {
			want := addedMessages(t, l, channelID, srv.UserID(name)) + 1
			waitFor(t, "control mention of "+name, func() (bool, string) {
				n := mentionCount(t, l, name, channelID)
				return n >= want, fmt.Sprintf("%d mentions", n)
			})
			if n := mentionCount(t, l, name, channelID); n != want {
				t.Errorf("%s has %d mentions in channel %s, want %d: being added and the control", name, n, channelID, want)
			}
		}
	}
}

// addedMessages counts the system messages of a channel that announce
// userID being added, each of which mentions that user.
func addedMessages(t *testing.T, l *leitstelle, channelID, userID string) int64 {
	t.Helper()
	var n int64
	for _, p := range channelPosts(t, l.srv.Admin, channelID) {
		if p.Type == model.PostTypeAddToChannel && p.GetProp(model.PostPropsAddedUserId) == userID {
			n++
		}
	}
	return n
}

func TestE2E_ForgedRequestsRejected(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	l := startLeitstelle(t, srv, startOptions{})
	teacherID := srv.UserID(mmtest.TeacherName)
	values := reportValues("Gefälschte Meldung", "Raum 1", "sonstiges", 1, 1)

	// A dialog submission with a made-up state, directly and through the
	// server.
	forged := model.SubmitDialogRequest{
		Type: "dialog_submission", CallbackId: bot.FormReport, State: "v1.eyJmIjoicmVwb3J0In0.Zm9yZ2Vk",
		UserId: teacherID, ChannelId: srv.TownSquareID, TeamId: srv.TeamID, Submission: values,
	}
	if status := postToAdapter(t, l, PathDialog, "application/json", mustJSON(t, forged)); status != http.StatusForbidden {
		t.Errorf("forged dialog submission: status %d, want %d", status, http.StatusForbidden)
	}
	forged.URL = l.adapter.publicURL(PathDialog)
	if _, _, err := srv.Client(mmtest.TeacherName).SubmitInteractiveDialog(t.Context(), forged); err == nil {
		t.Error("forged dialog submission through the server succeeded, want an error")
	}

	// A command with a wrong token, directly and as a command of someone
	// else that points at Leitstelle.
	form := url.Values{"token": {"wrongtokenwrongtokenwrongt"}, "user_id": {teacherID}, "command": {"/stoerung"}, "text": {"Gefälschte Meldung"}}
	if status := postToAdapter(t, l, PathCommand, "application/x-www-form-urlencoded", form.Encode()); status != http.StatusUnauthorized {
		t.Errorf("command with wrong token: status %d, want %d", status, http.StatusUnauthorized)
	}
	if _, _, err := srv.Admin.CreateCommand(t.Context(), &model.Command{
		TeamId: srv.TeamID, Trigger: "fremd", Method: model.CommandMethodPost, URL: l.adapter.publicURL(PathCommand),
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Client(mmtest.TeacherName).ExecuteCommand(t.Context(), srv.TownSquareID, "/fremd Gefälschte Meldung"); err == nil {
		t.Error("foreign command pointing at Leitstelle succeeded, want an error")
	}

	// Button presses with a genuine trigger id of the teacher, but for
	// another user or with a made-up token.
	trigger := genuineTrigger(t, srv, mmtest.TeacherName)
	presses := map[string]model.PostActionIntegrationRequest{
		"trigger of another user": {UserId: srv.UserID(mmtest.IT1Name), TriggerId: trigger, Context: map[string]any{contextToken: l.bot.SignAction("claim", 1)}},
		"made-up token":           {UserId: teacherID, TriggerId: trigger, Context: map[string]any{contextToken: "v1.eyJhIjoiY2xvc2UifQ.Zm9yZ2Vk"}},
	}
	for name, req := range presses {
		if status := postToAdapter(t, l, PathAction, "application/json", mustJSON(t, req)); status != http.StatusForbidden {
			t.Errorf("button press with %s: status %d, want %d", name, status, http.StatusForbidden)
		}
	}

	// Nothing was stored or posted.
	if n := len(incidents(t, l.store)); n != 0 {
		t.Errorf("store holds %d incidents, want none", n)
	}
	for _, p := range channelPosts(t, srv.Admin, srv.TriageChannelID) {
		if p.UserId == srv.BotUserID {
			t.Errorf("bot posted %q in the triage channel, want nothing", p.Message)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// postToAdapter posts body to Leitstelle's endpoint at path, as an
// attacker who reaches it directly would, and returns the status.
func postToAdapter(t *testing.T, l *leitstelle, path, contentType, body string) int {
	t.Helper()
	resp, err := http.Post(l.adapter.publicURL(path), contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("post to %s: %v", path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// genuineTrigger returns a trigger id that the server signed for the named
// user. It presses a button whose integration is a local stub and reads
// the trigger id from the response, as any user could.
func genuineTrigger(t *testing.T, srv *mmtest.Server, name string) string {
	t.Helper()
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	}))
	t.Cleanup(stub.Close)

	post := &model.Post{ChannelId: srv.TownSquareID, Message: "Knopf"}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{{
		Id: "stub", Type: model.PostActionTypeButton, Name: "Knopf", Integration: &model.PostActionIntegration{URL: stub.URL},
	}}}})
	created, _, err := srv.Admin.CreatePost(t.Context(), post)
	if err != nil {
		t.Fatalf("create post with stub button: %v", err)
	}

	resp, err := srv.Client(name).DoAPIPost(t.Context(), "/posts/"+created.Id+"/actions/stub", "")
	if err != nil {
		t.Fatalf("press stub button as %s: %v", name, err)
	}
	defer resp.Body.Close()
	var actionResp model.PostActionAPIResponse
	if err := json.NewDecoder(resp.Body).Decode(&actionResp); err != nil || actionResp.TriggerId == "" {
		t.Fatalf("read trigger id from the response: %v, %+v", err, actionResp)
	}
	return actionResp.TriggerId
}

func TestE2E_ReconnectKeepsClaims(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	joinTriage(t, srv, mmtest.TeacherName)
	proxy := startProxy(t, srv.URL)
	l := startLeitstelle(t, srv, startOptions{serverURL: proxy.URL})
	teacherWS := srv.WebSocket(t, mmtest.TeacherName)
	inc := report(t, l, teacherWS, reportValues("WLAN im Nordflügel ausgefallen", "Nordflügel", "netzwerk", 2, 2))

	// Cut Leitstelle off the server; the reactions happen meanwhile.
	connects := l.adapter.connects.Load()
	proxy.Down()
	for _, name := range []string{mmtest.TeacherName, mmtest.IT2Name, mmtest.IT1Name} {
		react(t, l, name, inc.TriagePostID, bot.ClaimEmoji)
	}
	if got := l.get(t, inc.Number); got.Status != incident.StatusReported {
		t.Fatalf("status while cut off = %q, want %q: an event passed the proxy", got.Status, incident.StatusReported)
	}

	// After the reconnect, the earliest IT reaction wins.
	proxy.Up()
	waitFor(t, "reconnect", func() (bool, string) {
		n := l.adapter.connects.Load()
		return n > connects, fmt.Sprintf("%d connections", n)
	})
	claimed := l.waitStatus(t, inc.Number, incident.StatusClaimed)
	if claimed.ClaimerID != srv.UserID(mmtest.IT2Name) {
		t.Errorf("claimer = %q, want it2 %q, who reacted first among IT", claimed.ClaimerID, srv.UserID(mmtest.IT2Name))
	}
	if !strings.Contains(l.logs.String(), "websocket disconnected, reconnecting") {
		t.Error("log shows no reconnect")
	}

	// it2 takes the 👀 back while Leitstelle is cut off again: after the
	// reconnect the claim is released.
	connects = l.adapter.connects.Load()
	proxy.Down()
	unreact(t, l, mmtest.IT2Name, inc.TriagePostID, bot.ClaimEmoji)
	proxy.Up()
	waitFor(t, "second reconnect", func() (bool, string) {
		n := l.adapter.connects.Load()
		return n > connects, fmt.Sprintf("%d connections", n)
	})
	if released := l.waitStatus(t, inc.Number, incident.StatusReported); released.ClaimerID != "" {
		t.Errorf("claimer after the removed 👀 = %q, want none", released.ClaimerID)
	}
}

func TestE2E_DirectMessageGetsHelp(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	l := startLeitstelle(t, srv, startOptions{})

	teacher := srv.Client(mmtest.TeacherName)
	dm, _, err := teacher.CreateDirectChannel(t.Context(), srv.UserID(mmtest.TeacherName), srv.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := teacher.CreatePost(t.Context(), &model.Post{ChannelId: dm.Id, Message: "Hallo, wie melde ich einen kaputten Beamer?"}); err != nil {
		t.Fatal(err)
	}

	help := l.bot.HandleCommand(t.Context(), bot.Command{User: bot.User{ID: srv.UserID(mmtest.TeacherName), Name: mmtest.TeacherName}, Text: "hilfe"}).Text
	answer := waitDM(t, l, mmtest.TeacherName, "Leitstelle")
	if answer.Message != help {
		t.Errorf("answer = %q, want the help %q", answer.Message, help)
	}
	if n := len(dmPosts(t, l, mmtest.TeacherName)); n != 2 {
		t.Errorf("direct channel holds %d posts, want the question and one answer", n)
	}
}

func TestE2E_EphemeralWithPermission(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	if _, err := srv.Admin.UpdateUserRoles(t.Context(), srv.BotUserID, "system_user system_admin"); err != nil {
		t.Fatalf("make bot system admin: %v", err)
	}
	l := startLeitstelle(t, srv, startOptions{})
	teacherWS := srv.WebSocket(t, mmtest.TeacherName)

	execute(t, l, mmtest.TeacherName, srv.TownSquareID, "/stoerung")
	dialog := awaitDialog(t, teacherWS)
	values := reportValues("Smartboard in Raum 12 reagiert nicht", "Raum 12", "beamer", 4, 3)
	if _, err := submitDialog(t, l, srv.Client(mmtest.TeacherName), dialog, srv.TownSquareID, values); err != nil {
		t.Fatal(err)
	}

	event := awaitEvent(t, teacherWS, "ephemeral confirmation", func(e *model.WebSocketEvent) bool {
		raw, _ := e.GetData()["post"].(string)
		return e.EventType() == model.WebsocketEventEphemeralMessage && strings.Contains(raw, "Ihre Meldung #1")
	})
	if got := event.GetBroadcast().ChannelId; got != srv.TownSquareID {
		t.Errorf("ephemeral confirmation in channel %q, want town square %q", got, srv.TownSquareID)
	}
	for _, p := range dmPosts(t, l, mmtest.TeacherName) {
		if strings.Contains(p.Message, "Ihre Meldung #1") {
			t.Errorf("confirmation also sent as direct message: %q", p.Message)
		}
	}
}

func TestE2E_PrivateChannelNotJoined(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	secret, _, err := srv.Admin.CreateChannel(t.Context(), &model.Channel{
		TeamId: srv.TeamID, Name: "it-privat", DisplayName: "IT privat", Type: model.ChannelTypePrivate,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := newE2EAdapter(t, srv, startOptions{triageChannel: "it-privat"})
	if _, err := a.Setup(t.Context()); err == nil || !strings.Contains(err.Error(), "/invite") {
		t.Errorf("setup with a private channel nobody invited the bot to: %v, want an error naming /invite", err)
	}
	if _, _, err := srv.Admin.GetChannelMember(t.Context(), secret.Id, srv.BotUserID, ""); err == nil {
		t.Error("the bot added itself to a private channel")
	}
}

func TestE2E_ResolveUsersToIDs(t *testing.T) {
	srv := mmtest.Start(t)
	a, logs, _ := newE2EAdapter(t, srv, startOptions{})
	if _, err := a.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := a.ResolveUsers(t.Context(), []string{mmtest.IT1Name, "@IT2", srv.UserID(mmtest.LeadershipName), "niemand", mmtest.IT1Name})
	want := []string{srv.UserID(mmtest.IT1Name), srv.UserID(mmtest.IT2Name), srv.UserID(mmtest.LeadershipName)}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("resolved %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "niemand") {
		t.Errorf("unknown name not logged:\n%s", logs.String())
	}
}

func TestE2E_HandMadeCommandKeepsItsTrigger(t *testing.T) {
	srv := mmtest.Start(t)
	makeTeamAdmin(t, srv)
	manual, _, err := srv.Admin.CreateCommand(t.Context(), &model.Command{
		TeamId: srv.TeamID, Trigger: "stoerung", Method: model.CommandMethodPost, URL: "http://127.0.0.1:1" + PathCommand,
	})
	if err != nil {
		t.Fatalf("create command by hand: %v", err)
	}
	a, logs, _ := newE2EAdapter(t, srv, startOptions{})
	if _, err := a.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := logs.String(); !strings.Contains(got, "another slash command uses this trigger") || !strings.Contains(got, manual.Id) {
		t.Errorf("log does not name the hand-made command:\n%s", got)
	}
}
