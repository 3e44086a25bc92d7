package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// Ids of the users in the captured fixtures.
const (
	fixtureTeacherID = "td3konm4nif5fyr6wq63wzreio"
	fixtureIT1ID     = "cey9bni1r7b48xrz8upkcgdeta"
	fixtureToken     = "qqodfdsiaj8z8y7ncfuccrq7zc"
	testSchool       = "gymnasium-test"
)

// logBuffer collects log output and shows it when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newTestLogger returns a logger whose output appears in the test log
// when the test fails. Register it before anything that logs in the
// background, so that its cleanup runs last.
func newTestLogger(tb testing.TB) (*slog.Logger, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("leitstelle log:\n%s", logs.String())
		}
	})
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), logs
}

// newFakeMattermost serves GET /api/v4/users/{id} for the given users
// (id to user name) and responds 404 to every other request.
func newFakeMattermost(tb testing.TB, users map[string]string) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/api/v4/users/")
		name, known := users[id]
		if r.Method != http.MethodGet || !ok || !known {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(model.NewAppError("fake", "app.user.missing_account.const", nil, "", http.StatusNotFound))
			return
		}
		json.NewEncoder(w).Encode(&model.User{Id: id, Username: name})
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// unitFixture is an adapter with a real bot and store, set up as if Setup
// had run against a fake server that has only the fixture users.
type unitFixture struct {
	adapter *Adapter
	bot     *bot.Bot
	store   *sqlstore.Store
	signer  testSigner
	handler http.Handler
	logs    *logBuffer
}

func newUnitFixture(tb testing.TB) unitFixture {
	tb.Helper()
	logger, logs := newTestLogger(tb)
	fake := newFakeMattermost(tb, map[string]string{fixtureTeacherID: "lehrkraft", fixtureIT1ID: "it1"})

	cfg := DefaultConfig()
	cfg.ServerURL = fake.URL
	cfg.BotToken = "bot-token"
	cfg.Team = "schule"
	cfg.TriageChannel = "it-stoerungen"
	cfg.PublicURL = "http://127.0.0.1:1"
	a, err := New(cfg, logger)
	if err != nil {
		tb.Fatal(err)
	}
	signer := newTestSigner(tb)
	a.resolved = Resolved{BotUserID: model.NewId(), TeamID: model.NewId(), TriageChannelID: model.NewId()}
	a.tokens = []string{fixtureToken}
	a.signingKey = signer.public

	store := openStore(tb)
	b := newBot(tb, a, store, a.resolved, logger)
	a.Attach(b)
	return unitFixture{adapter: a, bot: b, store: store, signer: signer, handler: a.Handler(), logs: logs}
}

func openStore(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(tb.TempDir(), "leitstelle.db")})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// newBot returns a bot of the test school on platform, with it1 and it2
// as IT and schulleitung as leadership.
func newBot(tb testing.TB, platform bot.Platform, store incident.Store, res Resolved, logger *slog.Logger) *bot.Bot {
	tb.Helper()
	cfg := bot.DefaultConfig()
	cfg.School = testSchool
	cfg.TriageChannelID = res.TriageChannelID
	cfg.LeadershipChannelID = res.LeadershipChannelID
	if res.CommandName != "" {
		cfg.CommandName = res.CommandName
	}
	cfg.Secret = bytes.Repeat([]byte("k"), 32)
	cfg.ITUsers = []string{"it1", "it2"}
	cfg.LeadershipUsers = []string{"schulleitung"}
	b, err := bot.New(cfg, bot.Deps{Store: store, Platform: platform, Logger: logger})
	if err != nil {
		tb.Fatalf("new bot: %v", err)
	}
	return b
}

// incidents returns every incident of the test school.
func incidents(tb testing.TB, store incident.Store) []*incident.Incident {
	tb.Helper()
	list, err := store.List(context.Background(), incident.Filter{School: testSchool})
	if err != nil {
		tb.Fatalf("list incidents: %v", err)
	}
	return list
}
