package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

const (
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	testSchool = "gym-test"
	// waitLimit bounds every poll; no check depends on how fast a step is.
	waitLimit = 10 * time.Second
)

// school is a Slack workspace on the fake with a real bot on SQLite behind
// the adapter. Its users are two teachers, an IT member (configured by user
// name) and a head (configured by user ID). Its channels are a triage
// channel the bot must join, a private leadership channel and a staff room
// without the bot.
type school struct {
	t       *testing.T
	fake    *slackfake.Server
	adapter *Adapter
	bot     *bot.Bot
	store   *sqlstore.Store
	// app is the adapter's HTTP handler on loopback, in HTTP mode.
	app *httptest.Server

	teacher, colleague, it, head  string
	triage, leadership, staffRoom string
}

// schoolOption changes the adapter config or dependencies before New.
type schoolOption func(*Config, *Deps)

func newSchool(t *testing.T, mode string, opts ...schoolOption) *school {
	t.Helper()
	s := &school{t: t, fake: slackfake.MustStart(t, slackfake.DefaultConfig())}
	s.addWorkspace()

	var err error
	s.store, err = sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "leitstelle.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.store.Close() })

	cfg := DefaultConfig()
	cfg.Mode = mode
	cfg.BotToken = s.fake.Config().BotToken
	cfg.AppToken = s.fake.Config().AppToken
	cfg.SigningSecret = testSecret
	cfg.TriageChannel = "#it-triage"
	cfg.LeadershipChannel = s.leadership
	cfg.APIURL = s.fake.APIURL()
	logger := testLogger(t)
	deps := Deps{Logger: logger, Deliveries: s.store}
	for _, opt := range opts {
		opt(&cfg, &deps)
	}

	s.adapter, err = New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.adapter.Wait)

	res, err := s.adapter.Setup(context.Background())
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	s.startBot(res, logger)

	if mode == ModeHTTP {
		s.app = httptest.NewServer(s.adapter.Handler())
		t.Cleanup(s.app.Close)
	}
	return s
}

func (s *school) addWorkspace() {
	f := s.fake
	s.teacher = f.AddUser(slackfake.User{Name: "lehrer.schmidt", RealName: "Jonas Schmidt"})
	s.colleague = f.AddUser(slackfake.User{Name: "lehrerin.kaya", RealName: "Elif Kaya"})
	s.it = f.AddUser(slackfake.User{Name: "it.mueller", RealName: "Jana Müller"})
	s.head = f.AddUser(slackfake.User{Name: "sl.meier", RealName: "Petra Meier"})

	s.triage = f.AddChannel("it-triage", false, s.teacher, s.colleague, s.it)
	s.leadership = f.AddChannel("schulleitung", true, f.Config().BotUserID, s.head)
	s.staffRoom = f.AddChannel("lehrerzimmer", false, s.teacher, s.colleague, s.it)
}

func (s *school) startBot(res Resolved, logger *slog.Logger) {
	s.t.Helper()
	cfg := bot.DefaultConfig()
	cfg.School = testSchool
	cfg.CommandName = "/stoerung"
	cfg.TriageChannelID = res.TriageChannelID
	cfg.LeadershipChannelID = res.LeadershipChannelID
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	cfg.ITUsers = []string{"it.mueller"}
	cfg.LeadershipUsers = []string{s.head}

	b, err := bot.New(cfg, bot.Deps{Store: s.store, Platform: s.adapter, Logger: logger})
	if err != nil {
		s.t.Fatal(err)
	}
	s.bot = b
	s.adapter.Attach(b)
}

// testLogger writes to the test output until the test ends. Background
// goroutines may log later; those lines are dropped instead of failing.
func testLogger(t *testing.T) *slog.Logger {
	w := &guardedWriter{out: t.Output()}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type guardedWriter struct {
	mu     sync.Mutex
	out    io.Writer
	closed bool
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(p), nil
	}
	return w.out.Write(p)
}

func (w *guardedWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// send posts body to path of the app, signed now with the test secret.
func (s *school) send(path string, body []byte, contentType string) (*http.Response, []byte) {
	s.t.Helper()
	return s.sendAt(path, body, contentType, time.Now(), testSecret)
}

func (s *school) sendAt(path string, body []byte, contentType string, at time.Time, secret string) (*http.Response, []byte) {
	s.t.Helper()
	req := slackfake.NewSignedRequest(secret, s.app.URL+path, body, contentType, at)
	return s.do(req)
}

func (s *school) do(req *http.Request) (*http.Response, []byte) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, body
}

// command builds /stoerung text by user in channel with a registered
// trigger and a response URL on the fake.
func (s *school) command(user, channel, text string) slackfake.SlashCommand {
	names := map[string]string{s.teacher: "lehrer.schmidt", s.colleague: "lehrerin.kaya", s.it: "it.mueller", s.head: "sl.meier"}
	return slackfake.SlashCommand{
		Command: "/stoerung", Text: text,
		TeamID: s.fake.Config().TeamID, ChannelID: channel, UserID: user, UserName: names[user],
		TriggerID: s.fake.NewTrigger(user), ResponseURL: s.fake.NewResponseURL(), APIAppID: s.fake.Config().AppID,
	}
}

// report contains the values entered in a report form.
type report struct {
	description, location, category string
	impact, urgency                 string
	exam                            bool
}

var (
	// beamerReport is a P3: one class, teaching severely restricted.
	beamerReport = report{"Beamer in Raum 204 zeigt kein Bild", "Raum 204", "beamer", "3", "2", false}
	// platformReport is a P1: the whole school, teaching impossible.
	platformReport = report{"Lernplattform für alle ausgefallen", "ganze Schule", "lernplattform", "1", "1", true}
)

// submission returns the view_submission of view v filled with r by user.
func (s *school) submission(v slackfake.View, user string, r report) slackfake.ViewSubmission {
	s.t.Helper()
	var view struct {
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		s.t.Fatal(err)
	}
	exam := slackfake.CheckboxValue()
	if r.exam {
		exam = slackfake.CheckboxValue(slackfake.Option{Value: "true", Text: "Läuft eine Prüfung?"})
	}
	return slackfake.ViewSubmission{
		Interaction:     slackfake.Interaction{TeamID: s.fake.Config().TeamID, UserID: user, UserName: "lehrer.schmidt", TriggerID: s.fake.NewTrigger(user)},
		ViewID:          v.ID,
		CallbackID:      v.CallbackID,
		PrivateMetadata: view.PrivateMetadata,
		Hash:            v.Hash,
		Values: slackfake.StateValues{
			"description": {"description": slackfake.TextValue(r.description)},
			"location":    {"location": slackfake.TextValue(r.location)},
			"category":    {"category": slackfake.SelectValue(r.category, r.category)},
			"impact":      {"impact": slackfake.SelectValue(r.impact, r.impact)},
			"urgency":     {"urgency": slackfake.SelectValue(r.urgency, r.urgency)},
			"exam":        {"exam": exam},
		},
	}
}

// reportOverHTTP runs /stoerung and submits the form with r; it returns the
// stored incident once its ticket is in the triage channel.
func (s *school) reportOverHTTP(user string, r report) *incident.Incident {
	s.t.Helper()
	before := len(s.fake.Views())
	resp, body := s.send(PathCommands, s.command(user, s.staffRoom, "").Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		s.t.Fatalf("/stoerung: status %d body %q, want 200 and an empty body after opening the form", resp.StatusCode, body)
	}
	views := s.fake.Views()
	if len(views) != before+1 {
		s.t.Fatalf("views = %d, want %d: the command opened no modal", len(views), before+1)
	}

	resp, body = s.send(PathInteractivity, s.submission(views[len(views)-1], user, r).Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		s.t.Fatalf("submission: status %d body %s, want 200 and an empty body that closes the modal", resp.StatusCode, body)
	}
	return s.waitForIncident(func(inc *incident.Incident) bool {
		return inc.Description == r.description && inc.TriagePostID != ""
	}, "reported and posted")
}

// incidents returns all stored incidents of the test school.
func (s *school) incidents() []*incident.Incident {
	s.t.Helper()
	list, err := s.store.List(context.Background(), incident.Filter{School: testSchool})
	if err != nil {
		s.t.Fatal(err)
	}
	return list
}

// waitForIncident polls the store until an incident matches.
func (s *school) waitForIncident(match func(*incident.Incident) bool, what string) *incident.Incident {
	s.t.Helper()
	var found *incident.Incident
	waitFor(s.t, what, func() bool {
		for _, inc := range s.incidents() {
			if match(inc) {
				found = inc
				return true
			}
		}
		return false
	})
	return found
}

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", waitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dmTexts returns the texts of the bot's direct messages to user.
func (s *school) dmTexts(user string) []string {
	var out []string
	for _, ch := range s.fake.Channels() {
		if ch.IsIM && ch.User == user {
			for _, m := range s.fake.Messages(ch.ID) {
				out = append(out, m.Text+string(m.Blocks))
			}
		}
	}
	return out
}

// ephemeralTexts returns the texts of ephemeral messages to user in channel.
func (s *school) ephemeralTexts(channel, user string) []string {
	var out []string
	for _, m := range s.fake.Ephemerals(channel) {
		if m.EphemeralTo == user {
			out = append(out, m.Text)
		}
	}
	return out
}

func containsAny(texts []string, part string) bool {
	for _, text := range texts {
		if strings.Contains(text, part) {
			return true
		}
	}
	return false
}

// nowUTC is the signing time of test requests.
func nowUTC() time.Time { return time.Now().UTC() }
