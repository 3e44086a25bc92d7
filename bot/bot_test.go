package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

const triage = "triage"

var (
	teacher    = User{ID: "u-teacher", Name: "lehrkraft"}
	teacher2   = User{ID: "u-teacher2", Name: "kollegin"}
	itUser     = User{ID: "u-it", Name: "it"}
	itUser2    = User{ID: "u-it2", Name: "it2"}
	leadership = User{ID: "u-lead", Name: "schulleitung"}
)

// fixture is a bot on a real SQLite file with a recording platform and a
// clock the test moves.
type fixture struct {
	t     *testing.T
	bot   *Bot
	store *sqlstore.Store
	chat  *recorder

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, chat: newRecorder(), now: time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)}
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "leitstelle.db"), Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f.store = store
	cfg := DefaultConfig()
	cfg.School = "testschule"
	cfg.TriageChannelID = triage
	cfg.LeadershipChannelID = "leitung"
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	cfg.ITUsers = []string{itUser.Name, itUser2.Name}
	cfg.LeadershipUsers = []string{leadership.Name}
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	f.bot, err = New(cfg, Deps{Store: store, Platform: f.chat, Now: f.clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) command(u User, text string) Reply {
	return f.bot.HandleCommand(context.Background(), Command{User: u, ChannelID: "lehrerzimmer", Command: "/störung", Text: text, TriggerID: "trigger"})
}

// openForm runs /störung text as u and returns the form it opened.
func (f *fixture) openForm(u User, text string) Form {
	f.t.Helper()
	before := len(f.chat.forms)
	if reply := f.command(u, text); reply.Text != "" {
		f.t.Fatalf("/störung %q replied %q, want a form", text, reply.Text)
	}
	if len(f.chat.forms) != before+1 {
		f.t.Fatalf("/störung %q opened %d forms, want 1", text, len(f.chat.forms)-before)
	}
	form, _ := f.chat.lastForm()
	return form.Form
}

func (f *fixture) submit(u User, form Form, values map[string]string) SubmissionResult {
	return f.bot.HandleSubmission(context.Background(), Submission{User: u, ChannelID: "lehrerzimmer", FormID: form.ID, State: form.State, Values: values})
}

func reportValues(description string, impact, urgency string, exam bool) map[string]string {
	v := map[string]string{
		fieldDescription: description, fieldLocation: "Raum 204", fieldCategory: "netzwerk",
		fieldImpact: impact, fieldUrgency: urgency, fieldExam: "false",
	}
	if exam {
		v[fieldExam] = "true"
	}
	return v
}

// report files a complete report as u and returns the stored incident.
func (f *fixture) report(u User, description, impact, urgency string) *incident.Incident {
	f.t.Helper()
	form := f.openForm(u, "")
	if res := f.submit(u, form, reportValues(description, impact, urgency, false)); res.Error != "" || len(res.FieldErrors) > 0 {
		f.t.Fatalf("submit report: %+v", res)
	}
	list, err := f.store.List(context.Background(), incident.Filter{School: "testschule"})
	if err != nil {
		f.t.Fatal(err)
	}
	return list[len(list)-1]
}

func (f *fixture) get(number int64) *incident.Incident {
	f.t.Helper()
	inc, err := f.store.Get(context.Background(), "testschule", number)
	if err != nil {
		f.t.Fatal(err)
	}
	return inc
}

func (f *fixture) count() int {
	f.t.Helper()
	list, err := f.store.List(context.Background(), incident.Filter{School: "testschule"})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(list)
}

func (f *fixture) react(u User, postID string, added bool) {
	f.t.Helper()
	err := f.bot.HandleReaction(context.Background(), Reaction{User: u, ChannelID: triage, PostID: postID, Emoji: ClaimEmoji, Added: added})
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestReportPrefillsFormAndPostsTicket(t *testing.T) {
	f := newFixture(t)
	form := f.openForm(teacher, "Das WLAN im Nordflügel ist komplett weg")
	if form.ID != FormReport {
		t.Fatalf("form id = %q", form.ID)
	}
	var names []string
	for _, fld := range form.Fields {
		names = append(names, fld.Name)
	}
	if got := strings.Join(names, ","); got != "description,location,category,impact,urgency,exam" {
		t.Errorf("form fields = %s", got)
	}
	if form.Fields[0].Default != "Das WLAN im Nordflügel ist komplett weg" {
		t.Errorf("description not prefilled: %q", form.Fields[0].Default)
	}
	if len(form.Fields[2].Options) != len(incident.Categories) || form.Fields[2].Options[0].Label != "WLAN/Netzwerk" {
		t.Errorf("category options = %+v", form.Fields[2].Options)
	}

	res := f.submit(teacher, form, reportValues(form.Fields[0].Default, "2", "2", false))
	if res.Error != "" || len(res.FieldErrors) > 0 {
		t.Fatalf("submit: %+v", res)
	}
	inc := f.get(1)
	if inc.Priority != incident.P2 || inc.Status != incident.StatusReported || inc.ReporterID != teacher.ID || inc.Location != "Raum 204" {
		t.Errorf("stored %+v", inc)
	}
	posts := f.chat.postsIn(triage)
	if len(posts) != 1 {
		t.Fatalf("triage posts = %d, want 1", len(posts))
	}
	ticket := posts[0].Message
	if !strings.Contains(ticket.Title, "#1") || !strings.Contains(ticket.text(), "P2") || ticket.Color == "" {
		t.Errorf("ticket = %+v", ticket)
	}
	if inc.TriagePostID == "" {
		t.Error("triage post id not stored")
	}
	confirm := f.chat.ephemeralsTo(teacher.ID)
	if len(confirm) != 1 || !strings.Contains(confirm[0], "#1") {
		t.Errorf("confirmation = %q", confirm)
	}
}

func TestExamRaisesUrgency(t *testing.T) {
	f := newFixture(t)
	form := f.openForm(teacher, "")
	if res := f.submit(teacher, form, reportValues("Beamer im Prüfungsraum aus", "3", "4", true)); res.Error != "" || len(res.FieldErrors) > 0 {
		t.Fatalf("submit: %+v", res)
	}
	inc := f.get(1)
	if !inc.Exam || inc.Urgency != incident.Urgency(1) || inc.Priority != incident.P2 {
		t.Errorf("exam report stored as exam=%v urgency=%d priority=%s, want exam U1 P2", inc.Exam, inc.Urgency, inc.Priority)
	}
}

func TestReportRejectsBadFields(t *testing.T) {
	tests := []struct {
		name   string
		values func(map[string]string)
		field  string
		want   string
	}{
		{"empty description", func(v map[string]string) { v[fieldDescription] = "   " }, fieldDescription, "Bitte"},
		{"huge description", func(v map[string]string) { v[fieldDescription] = strings.Repeat("x", 10000) }, fieldDescription, "2000"},
		{"invalid utf-8", func(v map[string]string) { v[fieldDescription] = "WLAN \xff\xfe weg" }, fieldDescription, "Zeichen"},
		{"empty location", func(v map[string]string) { v[fieldLocation] = "" }, fieldLocation, "Bitte"},
		{"unknown category", func(v map[string]string) { v[fieldCategory] = "kaffeemaschine" }, fieldCategory, ""},
		{"impact out of range", func(v map[string]string) { v[fieldImpact] = "7" }, fieldImpact, ""},
		{"urgency not a number", func(v map[string]string) { v[fieldUrgency] = "sehr" }, fieldUrgency, ""},
		{"exam not yes or no", func(v map[string]string) { v[fieldExam] = "vielleicht" }, fieldExam, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			form := f.openForm(teacher, "")
			v := reportValues("Drucker im Lehrerzimmer druckt nicht", "3", "3", false)
			tt.values(v)
			res := f.submit(teacher, form, v)
			msg, ok := res.FieldErrors[tt.field]
			if !ok || msg == "" || strings.HasPrefix(msg, "[") {
				t.Fatalf("field errors = %v, want a German message for %s", res.FieldErrors, tt.field)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not mention %q", msg, tt.want)
			}
			if n := f.count(); n != 0 {
				t.Errorf("%d incidents stored after a rejected form", n)
			}
			if posts := f.chat.postsIn(triage); len(posts) != 0 {
				t.Errorf("%d triage posts after a rejected form", len(posts))
			}
		})
	}
}

func TestCommandRejectsBadText(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"invalid utf-8", "WLAN \xc3\x28 kaputt", "Zeichen"},
		{"huge text", strings.Repeat("WLAN weg ", 1200), "2000"},
		{"unknown subcommand", "reparieren", "reparieren"},
		{"unknown subcommand with number", "flicken #3", "flicken"},
		{"claim without number", "übernehmen", "Nummer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			reply := f.command(teacher, tt.text)
			if reply.Text == "" || strings.HasPrefix(reply.Text, "[") {
				t.Fatalf("reply = %q, want a German message", reply.Text)
			}
			if !strings.Contains(reply.Text, tt.want) {
				t.Errorf("reply %q does not mention %q", reply.Text, tt.want)
			}
			if len(f.chat.forms) != 0 || f.count() != 0 {
				t.Errorf("forms=%d incidents=%d after bad command, want none", len(f.chat.forms), f.count())
			}
		})
	}
}

func TestSubmissionGuards(t *testing.T) {
	values := reportValues("Lernplattform zeigt Fehler 500", "2", "2", false)
	t.Run("forged state", func(t *testing.T) {
		f := newFixture(t)
		form := f.openForm(teacher, "")
		form.State = form.State[:len(form.State)-2] + "xx"
		res := f.submit(teacher, form, values)
		if res.Error == "" || f.count() != 0 {
			t.Fatalf("forged state: result %+v, %d incidents", res, f.count())
		}
	})
	t.Run("state of another user", func(t *testing.T) {
		f := newFixture(t)
		form := f.openForm(teacher, "")
		res := f.submit(teacher2, form, values)
		if res.Error == "" || f.count() != 0 {
			t.Fatalf("foreign state: result %+v, %d incidents", res, f.count())
		}
	})
	t.Run("stale state", func(t *testing.T) {
		f := newFixture(t)
		form := f.openForm(teacher, "")
		f.advance(2 * time.Hour)
		res := f.submit(teacher, form, values)
		if !strings.Contains(res.Error, "/störung") || f.count() != 0 {
			t.Fatalf("stale state: result %+v, %d incidents", res, f.count())
		}
	})
	t.Run("submitted twice", func(t *testing.T) {
		f := newFixture(t)
		form := f.openForm(teacher, "")
		for range 3 {
			if res := f.submit(teacher, form, values); res.Error != "" {
				t.Fatal(res.Error)
			}
		}
		if f.count() != 1 || len(f.chat.postsIn(triage)) != 1 || len(f.chat.ephemeralsTo(teacher.ID)) != 1 {
			t.Fatalf("three submissions: %d incidents, %d posts, %d confirmations, want 1 each",
				f.count(), len(f.chat.postsIn(triage)), len(f.chat.ephemeralsTo(teacher.ID)))
		}
	})
}

func TestMentionsAreNeutralised(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "@all @channel @here WLAN weg, bitte @it anrufen", "3", "3")
	ticket := f.chat.post(inc.TriagePostID).Message.text()
	for _, mention := range []string{"@all", "@channel", "@here", "@it "} {
		if strings.Contains(ticket, mention) {
			t.Errorf("ticket contains live mention %q:\n%s", mention, ticket)
		}
	}
	if !strings.Contains(ticket, "WLAN weg") {
		t.Errorf("ticket lost the text: %s", ticket)
	}
}

func TestClaimByReaction(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "Beamer in Raum 12 zeigt kein Bild", "3", "2")

	f.react(teacher, inc.TriagePostID, true)
	if got := f.get(inc.Number); got.Status != incident.StatusReported || got.ClaimerID != "" {
		t.Fatalf("teacher's 👀 changed the ticket: %s claimed by %q", got.Status, got.ClaimerID)
	}
	refusal := f.chat.ephemeralsTo(teacher.ID)
	if len(refusal) != 2 || !strings.Contains(refusal[1], "IT") {
		t.Errorf("teacher got %q, want a refusal that names IT", refusal)
	}

	f.react(itUser, inc.TriagePostID, true)
	got := f.get(inc.Number)
	if got.Status != incident.StatusClaimed || got.ClaimerID != itUser.ID {
		t.Fatalf("after IT 👀: %s claimed by %q", got.Status, got.ClaimerID)
	}
	dms := f.chat.dmsTo(teacher.ID)
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "it") {
		t.Errorf("reporter DMs = %+v, want one naming the claimer", dms)
	}
	if post := f.chat.post(inc.TriagePostID); post.Updates == 0 || !strings.Contains(post.Message.text(), "übernommen") {
		t.Errorf("ticket not updated: %+v", post)
	}

	f.react(itUser2, inc.TriagePostID, true)
	if got := f.get(inc.Number); got.ClaimerID != itUser.ID {
		t.Errorf("second IT member took over the claim: %q", got.ClaimerID)
	}
	f.react(itUser2, inc.TriagePostID, false)
	if got := f.get(inc.Number); got.Status != incident.StatusClaimed {
		t.Errorf("another member's removed 👀 released the claim: %s", got.Status)
	}
	f.react(itUser, inc.TriagePostID, false)
	if got := f.get(inc.Number); got.Status != incident.StatusReported || got.ClaimerID != "" {
		t.Errorf("claimer's removed 👀: %s claimed by %q, want released", got.Status, got.ClaimerID)
	}

	if err := f.bot.HandleReaction(context.Background(), Reaction{User: itUser, ChannelID: "elsewhere", PostID: inc.TriagePostID, Emoji: ClaimEmoji, Added: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.Status != incident.StatusReported {
		t.Errorf("reaction outside the triage channel claimed the ticket")
	}
}

func TestFullLifecycleByCommandsAndButtons(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "Drucker Lehrerzimmer: Papierstau-Meldung ohne Papierstau", "3", "3")
	n := "#" + itoa(inc.Number)

	if reply := f.command(teacher, "gelöst "+n+" neu gestartet"); !strings.Contains(reply.Text, "IT") {
		t.Errorf("teacher resolving got %q, want a refusal naming IT", reply.Text)
	}
	if got := f.get(inc.Number); got.Status != incident.StatusReported {
		t.Fatalf("teacher's resolve changed status to %s", got.Status)
	}

	ticket := f.chat.post(inc.TriagePostID).Message
	var claimTok string
	for _, b := range ticket.Buttons {
		if b.Action == "claim" {
			claimTok = b.Token
			if !strings.Contains(b.Command, "übernehmen "+n) {
				t.Errorf("claim button has typed command %q", b.Command)
			}
		}
	}
	if claimTok == "" {
		t.Fatalf("ticket has no claim button: %+v", ticket.Buttons)
	}
	if reply := f.bot.HandleAction(context.Background(), Action{User: itUser, ChannelID: triage, PostID: inc.TriagePostID, Token: claimTok + "x"}); reply.Text == "" {
		t.Error("forged button token accepted silently")
	}
	if got := f.get(inc.Number); got.Status != incident.StatusReported {
		t.Fatalf("forged token changed status to %s", got.Status)
	}
	f.bot.HandleAction(context.Background(), Action{User: itUser, ChannelID: triage, PostID: inc.TriagePostID, Token: claimTok})
	if got := f.get(inc.Number); got.Status != incident.StatusClaimed {
		t.Fatalf("claim button: status %s", got.Status)
	}

	// Resolving without a note opens the note form; an empty note is refused.
	if reply := f.command(itUser, "gelöst "+n); reply.Text != "" {
		t.Fatalf("resolve without note replied %q, want a note form", reply.Text)
	}
	noteForm, _ := f.chat.lastForm()
	if noteForm.Form.ID != FormNote {
		t.Fatalf("form = %q, want note", noteForm.Form.ID)
	}
	if res := f.submit(itUser, noteForm.Form, map[string]string{fieldNote: ""}); res.FieldErrors[fieldNote] == "" {
		t.Fatalf("empty note accepted: %+v", res)
	}
	if res := f.submit(itUser, noteForm.Form, map[string]string{fieldNote: "Treiber neu installiert, Testseite gedruckt"}); res.Error != "" || len(res.FieldErrors) > 0 {
		t.Fatalf("note: %+v", res)
	}
	got := f.get(inc.Number)
	if got.Status != incident.StatusResolved || got.ResolvedAt == nil {
		t.Fatalf("after resolve: %s", got.Status)
	}

	dms := f.chat.dmsTo(teacher.ID)
	last := dms[len(dms)-1]
	if !strings.Contains(last.Text, "Funktioniert es wieder?") || len(last.Buttons) != 2 {
		t.Fatalf("reporter's resolve DM = %+v", last)
	}
	var reopenTok, verifyTok string
	for _, b := range last.Buttons {
		switch b.Action {
		case "verify":
			verifyTok = b.Token
		case "reopen":
			reopenTok = b.Token
		}
	}

	// "Geht noch nicht" returns the ticket to IT; the second fix is verified.
	f.bot.HandleAction(context.Background(), Action{User: teacher, ChannelID: "dm", Token: reopenTok})
	if got := f.get(inc.Number); got.Status != incident.StatusClaimed || got.ClaimerID != itUser.ID {
		t.Fatalf("after reopen: %s claimed by %q", got.Status, got.ClaimerID)
	}
	if reply := f.command(itUser, "gelöst "+n+" Toner getauscht"); strings.HasPrefix(reply.Text, "[") {
		t.Fatal(reply.Text)
	}
	if reply := f.bot.HandleAction(context.Background(), Action{User: teacher2, ChannelID: "dm", Token: verifyTok}); reply.Text == "" {
		t.Error("someone else's confirmation got no answer")
	}
	if got := f.get(inc.Number); got.VerifiedAt != nil {
		t.Fatal("another teacher confirmed the fix")
	}
	f.bot.HandleAction(context.Background(), Action{User: teacher, ChannelID: "dm", Token: verifyTok})
	if got := f.get(inc.Number); got.VerifiedAt == nil {
		t.Fatal("reporter's confirmation not recorded")
	}
	if ticket := f.chat.post(inc.TriagePostID).Message.text(); !strings.Contains(ticket, "Funktionstest") || !strings.Contains(ticket, "Toner getauscht") || strings.Contains(ticket, "Testseite") {
		t.Errorf("ticket after the second fix and its test:\n%s", ticket)
	}

	if reply := f.command(teacher, "abschließen "+n+" erledigt"); !strings.Contains(reply.Text, "IT") {
		t.Errorf("teacher closing got %q", reply.Text)
	}
	f.command(itUser, "abschließen "+n+" Ursache: Treiberupdate; Schritte: neu installiert")
	got = f.get(inc.Number)
	if got.Status != incident.StatusClosed || got.ClosedAt == nil {
		t.Fatalf("after close: %s", got.Status)
	}
	timeline, err := f.store.Timeline(context.Background(), "testschule", inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range timeline {
		kinds = append(kinds, string(ev.Kind))
	}
	want := "reported,claimed,resolved,reopened,resolved,verified,closed"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("timeline = %s, want %s", got, want)
	}
}

func TestStatusListsOwnTickets(t *testing.T) {
	f := newFixture(t)
	f.report(teacher, "WLAN im Raum 101 langsam", "4", "3")
	f.report(teacher2, "Smartboard Raum 7 reagiert nicht", "3", "2")
	reply := f.command(teacher, "status")
	if !strings.Contains(reply.Text, "#1") || strings.Contains(reply.Text, "#2") {
		t.Errorf("status of teacher = %q, want #1 only", reply.Text)
	}
	if reply := f.command(teacher, "hilfe"); !strings.Contains(reply.Text, "/störung") {
		t.Errorf("help = %q", reply.Text)
	}
}

func TestP1OpensCoordinationChannel(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "Schulnetz komplett ausgefallen, Verdacht auf Verschlüsselungstrojaner", "1", "1")
	if inc.Priority != incident.P1 {
		t.Fatalf("priority = %s", inc.Priority)
	}
	if len(f.chat.channels) != 1 {
		t.Fatalf("channels created = %d, want 1", len(f.chat.channels))
	}
	spec := f.chat.channels[0]
	if !spec.Private || !strings.HasPrefix(spec.Name, "stoerung-0001-schulnetz") || len(spec.Name) > 64 {
		t.Errorf("channel spec = %+v", spec)
	}
	members := strings.Join(append(append([]string{}, spec.MemberIDs...), spec.MemberNames...), ",")
	for _, want := range []string{teacher.ID, itUser.Name, itUser2.Name, leadership.Name} {
		if !strings.Contains(members, want) {
			t.Errorf("members %s lack %s", members, want)
		}
	}
	if len(f.chat.pins) != 1 {
		t.Errorf("pins = %d, want the summary pinned", len(f.chat.pins))
	}
	if got := f.get(inc.Number); got.CoordinationChannelID == "" {
		t.Error("coordination channel not stored")
	}
	if ticket := f.chat.post(inc.TriagePostID).Message.text(); !strings.Contains(ticket, "~stoerung-0001") {
		t.Errorf("triage post does not link the channel:\n%s", ticket)
	}

	// A change keeps the link on the ticket and refreshes the pinned card.
	f.react(itUser, inc.TriagePostID, true)
	if ticket := f.chat.post(inc.TriagePostID).Message.text(); !strings.Contains(ticket, "~stoerung-0001") || !strings.Contains(ticket, "übernommen") {
		t.Errorf("triage post after the claim:\n%s", ticket)
	}
	pinned := f.chat.post(f.chat.pins[0])
	if pinned.Updates == 0 || !strings.Contains(pinned.Message.text(), "übernommen") || len(pinned.Message.Buttons) != 0 {
		t.Errorf("pinned summary after the claim (%d updates):\n%s", pinned.Updates, pinned.Message.text())
	}
}

func TestChatOutageLosesNoReport(t *testing.T) {
	f := newFixture(t)
	f.chat.failPost = true
	form := f.openForm(teacher, "")
	res := f.submit(teacher, form, reportValues("Internet in Haus B weg", "2", "3", false))
	if res.Error != "" {
		t.Fatalf("submit during outage: %+v", res)
	}
	if f.count() != 1 || f.get(1).TriagePostID != "" {
		t.Fatalf("outage: %d incidents, post %q", f.count(), f.get(1).TriagePostID)
	}
	f.chat.failPost = false
	if err := f.bot.RepostMissing(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.get(1).TriagePostID == "" || len(f.chat.postsIn(triage)) != 1 {
		t.Fatalf("ticket not reposted after the outage")
	}
	if err := f.bot.RepostMissing(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.chat.postsIn(triage)) != 1 {
		t.Errorf("second repost posted again")
	}
}

func TestReconcileClaims(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "Lernplattform Login schlägt fehl", "2", "2")
	posts, err := f.bot.OpenTicketPosts(context.Background())
	if err != nil || len(posts) != 1 || posts[0].PostID != inc.TriagePostID {
		t.Fatalf("open posts = %+v, %v", posts, err)
	}
	if err := f.bot.ReconcileClaims(context.Background(), inc.TriagePostID, []User{teacher, itUser2, itUser}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.ClaimerID != itUser2.ID {
		t.Fatalf("reconciled claimer = %q, want the first IT reactor", got.ClaimerID)
	}
	if err := f.bot.ReconcileClaims(context.Background(), inc.TriagePostID, []User{itUser, itUser2}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.ClaimerID != itUser2.ID {
		t.Errorf("reconcile replaced the claimer with %q", got.ClaimerID)
	}

	// it2's 👀 is gone: the claim it made is released.
	if err := f.bot.ReconcileClaims(context.Background(), inc.TriagePostID, []User{itUser}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.Status != incident.StatusReported {
		t.Fatalf("claim of a removed 👀 kept: %s by %q", got.Status, got.ClaimerName)
	}

	// The release remains although the IT member's 👀 is still on the post.
	if err := f.bot.ReconcileClaims(context.Background(), inc.TriagePostID, []User{itUser}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.Status != incident.StatusReported {
		t.Fatalf("reconcile undid a release: %s by %q", got.Status, got.ClaimerName)
	}

	// A claim by command stays without any reaction.
	f.command(itUser, "übernehmen #1")
	if err := f.bot.ReconcileClaims(context.Background(), inc.TriagePostID, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.get(inc.Number); got.ClaimerID != itUser.ID {
		t.Errorf("claim by command released by reconcile: %s by %q", got.Status, got.ClaimerName)
	}
}

func TestKeepPostedRetriesAfterOutage(t *testing.T) {
	f := newFixture(t)
	f.chat.mu.Lock()
	f.chat.failPost = true
	f.chat.mu.Unlock()
	form := f.openForm(teacher, "")
	if res := f.submit(teacher, form, reportValues("Telefonanlage Sekretariat tot", "3", "2", false)); res.Error != "" {
		t.Fatalf("submit during outage: %+v", res)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.bot.KeepPosted(ctx, 10*time.Millisecond)
		close(done)
	}()
	f.chat.mu.Lock()
	f.chat.failPost = false
	f.chat.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for len(f.chat.postsIn(triage)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("ticket not posted after the outage ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if f.get(1).TriagePostID == "" {
		t.Error("triage post not recorded")
	}
}

func TestCoordinationChannelName(t *testing.T) {
	tests := []struct {
		number int64
		title  string
		want   string
	}{
		{7, "WLAN im Nordflügel weg", "stoerung-0007-wlan-im-nordfluegel-weg"},
		{12, "Größte Störung: Ärger über ÖPNV-App!", "stoerung-0012-groesste-stoerung-aerger-ueber-oepnv-app"},
		{3, "@@@ ###", "stoerung-0003"},
		{12345, "x", "stoerung-12345-x"},
		{2, "Moodle zeigt für alle nur Fehler 500, Abitur-Klausur online ab 10 Uhr", "stoerung-0002-moodle-zeigt-fuer-alle-nur-fehler-500-abitur"},
	}
	for _, tt := range tests {
		got := CoordinationChannelName(tt.number, tt.title)
		if got != tt.want {
			t.Errorf("CoordinationChannelName(%d, %q) = %q, want %q", tt.number, tt.title, got, tt.want)
		}
		if len(got) > 60 {
			t.Errorf("%q has %d characters, want at most 60", got, len(got))
		}
	}
}

func TestSentenceStartingWithSubcommandIsReport(t *testing.T) {
	tests := []struct {
		text     string
		wantForm bool
	}{
		{"offen steht das Fenster im Serverraum", true},
		{"Gelöst ist gar nichts, der Beamer geht immer noch nicht", true},
		{"status", false},
		{"gelöst #3 Kabel getauscht und getestet", false},
		{"gelöst ohne", false},
	}
	for _, tt := range tests {
		f := newFixture(t)
		reply := f.command(itUser, tt.text)
		form, opened := f.chat.lastForm()
		if opened != tt.wantForm {
			t.Errorf("%q: form opened = %v, reply %q", tt.text, opened, reply.Text)
			continue
		}
		if opened && form.Form.Fields[0].Default != tt.text {
			t.Errorf("%q: description prefilled with %q", tt.text, form.Form.Fields[0].Default)
		}
	}
}

func TestNeutralizeBreaksMentionsImagesAndLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@all bitte", "@\u200ball bitte"},
		{"![x](http://tracker.example/p.png)", "![x]\u200b(http://tracker.example/p.png)"},
		{"[Moodle](http://phish.example)", "[Moodle]\u200b(http://phish.example)"},
		{"siehe https://moodle.schule.example/login", "siehe https://moodle.schule.example/login"},
		{"Raum (204) [Nord]", "Raum (204) [Nord]"},
		{"[Moodle][1] ![x][2]\n[1]: http://phish.example", "[Moodle]\u200b[1] ![x]\u200b[2]\n[1]\u200b: http://phish.example"},
	}
	for _, tt := range tests {
		if got := neutralize(tt.in); got != tt.want {
			t.Errorf("neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDuplicateNeedsAnOpenTarget(t *testing.T) {
	f := newFixture(t)
	f.report(teacher, "WLAN Raum 1 weg", "3", "3")
	f.report(teacher2, "WLAN Raum 1 geht nicht", "3", "3")
	f.command(itUser, "duplikat #2 #1")
	if got := f.get(2); got.Status != incident.StatusDuplicate {
		t.Fatalf("#2 after duplikat: %s", got.Status)
	}
	if dms := f.chat.dmsTo(teacher2.ID); len(dms) == 0 || !strings.Contains(dms[len(dms)-1].Text, "dieselbe Störung wie #1") {
		t.Errorf("reporter of the duplicate not told: %+v", dms)
	}
	reply := f.command(itUser, "duplikat #1 #2")
	if got := f.get(1); got.Status != incident.StatusReported {
		t.Errorf("#1 folded into the duplicate #2: %s", got.Status)
	}
	if !strings.Contains(reply.Text, "nicht mehr offen") {
		t.Errorf("reply = %q", reply.Text)
	}
}

func TestRemovedReactionKeepsClaimByCommand(t *testing.T) {
	f := newFixture(t)
	inc := f.report(teacher, "Drucker Raum 5 offline", "4", "3")
	f.command(itUser, "übernehmen #1")
	f.react(itUser, inc.TriagePostID, true)
	f.react(itUser, inc.TriagePostID, false)
	if got := f.get(1); got.Status != incident.StatusClaimed {
		t.Errorf("removing 👀 released a claim made by command: %s", got.Status)
	}
}

func TestChangeWhilePostingReachesTheTicket(t *testing.T) {
	f := newFixture(t)
	claimed := make(chan struct{})
	f.chat.onPost = func() {
		f.chat.mu.Lock()
		f.chat.onPost = nil
		f.chat.mu.Unlock()
		// IT claims while the ticket is on its way to the triage channel.
		go func() {
			f.command(itUser, "übernehmen #1")
			close(claimed)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for f.get(1).Status != incident.StatusClaimed {
			if time.Now().After(deadline) {
				t.Error("claim not stored")
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	inc := f.report(teacher, "Beamer Raum 3 ohne Bild", "3", "3")
	<-claimed
	ticket := f.chat.post(f.get(inc.Number).TriagePostID).Message.text()
	if !strings.Contains(ticket, "übernommen") || strings.Contains(ticket, "[Übernehmen]") {
		t.Errorf("ticket does not show the claim made while posting:\n%s", ticket)
	}
}

func TestTwoProcessesPostOneTicket(t *testing.T) {
	f := newFixture(t)
	second, err := New(f.bot.Config(), Deps{Store: f.store, Platform: f.chat, Now: f.clock, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	f.chat.failPost = true
	form := f.openForm(teacher, "")
	if res := f.submit(teacher, form, reportValues("Server im Keller piept", "2", "3", false)); res.Error != "" {
		t.Fatal(res.Error)
	}
	f.chat.mu.Lock()
	f.chat.failPost = false
	f.chat.onPost = func() { time.Sleep(30 * time.Millisecond) }
	f.chat.mu.Unlock()

	var wg sync.WaitGroup
	for _, b := range []*Bot{f.bot, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.RepostMissing(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(f.chat.postsIn(triage)); n != 1 {
		t.Errorf("two processes posted %d tickets, want 1", n)
	}
	if !f.get(1).Posted() {
		t.Error("ticket not recorded as posted")
	}
}

func TestLaterChangeIsDrawnLast(t *testing.T) {
	f := newFixture(t)
	f.report(teacher, "Smartboard Raum 9 kalibriert nicht", "3", "3")
	f.command(itUser, "übernehmen #1")

	reopened := make(chan struct{})
	f.chat.mu.Lock()
	f.chat.onUpdate = func() {
		f.chat.mu.Lock()
		f.chat.onUpdate = nil
		f.chat.mu.Unlock()
		// The reporter answers "geht noch nicht" while the resolved ticket
		// is still being drawn.
		go func() {
			f.command(teacher, "geht-nicht #1")
			close(reopened)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for f.get(1).Status != incident.StatusClaimed {
			if time.Now().After(deadline) {
				t.Error("reopen not stored")
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	f.chat.mu.Unlock()

	f.command(itUser, "gelöst #1 neu kalibriert")
	<-reopened
	ticket := f.chat.post(f.get(1).TriagePostID).Message.text()
	if !strings.Contains(ticket, "übernommen") || strings.Contains(ticket, "Abschließen") {
		t.Errorf("ticket shows the older state:\n%s", ticket)
	}
}
