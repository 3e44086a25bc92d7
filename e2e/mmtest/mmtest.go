// Package mmtest starts a real Mattermost server for end-to-end tests.
//
// Start (or StartMain from TestMain) builds the server pinned in
// e2e/mattermost/server with e2e/mattermost/build.sh, starts a private
// PostgreSQL cluster and the server on loopback ports, and creates a
// school: team "schule" with an admin, a teacher, two IT staff, the
// school leadership, the bot "leitstelle" and the channels of triage and
// leadership. Every call home of the server is switched off.
//
// Without PostgreSQL 15 or a working server build the tests are skipped,
// unless the environment variable CI is set: then they fail.
package mmtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// Names of the team, users, bot and channels that Start creates.
const (
	TeamName          = "schule"
	AdminName         = "admin"
	TeacherName       = "lehrkraft"
	IT1Name           = "it1"
	IT2Name           = "it2"
	LeadershipName    = "schulleitung"
	BotName           = "leitstelle"
	TriageChannel     = "it-stoerungen"
	LeadershipChannel = "schulleitung"
)

// Password is the password of every user that Start creates.
const Password = "Leitstelle-e2e-2026"

// startTimeout bounds building (cold: about two minutes), starting and
// filling the server.
const startTimeout = 8 * time.Minute

// ErrUnavailable reports that a prerequisite of the server is missing:
// PostgreSQL binaries, the postgres user or a working server build.
var ErrUnavailable = errors.New("mattermost test server unavailable")

// Server is a running Mattermost server with the school fixture.
type Server struct {
	// URL is the base URL of the server, http://127.0.0.1:PORT.
	URL string

	// Dir is the temporary directory with database, files and logs.
	Dir string

	// LocalSocket is the path of the local mode socket.
	LocalSocket string

	// Admin is a client logged in as the system admin.
	Admin *model.Client4

	// Bot is a client that sends the bot's access token.
	Bot *model.Client4

	// BotUserID is the user id of the bot "leitstelle".
	BotUserID string

	// BotToken is the bot's personal access token.
	BotToken string

	// TeamID is the id of team "schule".
	TeamID string

	// TownSquareID is the id of the team's default channel, which every
	// team member has joined.
	TownSquareID string

	// TriageChannelID is the id of the private channel "it-stoerungen"
	// with the bot, it1 and it2.
	TriageChannelID string

	// LeadershipChannelID is the id of the private channel "schulleitung"
	// with the bot and schulleitung.
	LeadershipChannelID string

	users    map[string]account
	pg       *postgres
	mm       *mattermost
	logf     func(format string, args ...any)
	stopOnce sync.Once
	stopErr  error
}

// account is a user or bot of the fixture with its logged-in client.
type account struct {
	id     string
	client *model.Client4
}

// Start starts a server for one test and stops it when the test ends.
// It skips the test when a prerequisite is missing, or fails it when the
// environment variable CI is set.
func Start(tb testing.TB) *Server {
	tb.Helper()

	ctx, cancel := context.WithTimeout(tb.Context(), startTimeout)
	defer cancel()

	logf := func(format string, args ...any) {
		tb.Helper()
		tb.Logf("mmtest: "+format, args...)
	}
	srv, err := start(ctx, logf)
	if Skippable(err) {
		tb.Skipf("mmtest: %v", err)
	}
	if err != nil {
		tb.Fatalf("start mattermost: %v", err)
	}

	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Log(srv.LogTail())
		}

		began := time.Now()
		if err := srv.Stop(); err != nil {
			tb.Errorf("stop mattermost: %v", err)
		}
		tb.Logf("mmtest: stopped in %s", time.Since(began).Round(time.Millisecond))
	})
	return srv
}

// StartMain starts a server for all tests of a package, from TestMain.
// The caller runs stop when the tests are done. When Skippable(err)
// reports true, the caller may skip its tests instead of failing.
func StartMain(ctx context.Context) (srv *Server, stop func(), err error) {
	logger := slog.Default().With("component", "mmtest")
	logf := func(format string, args ...any) {
		logger.Info(fmt.Sprintf(format, args...))
	}

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	srv, err = start(ctx, logf)
	if err != nil {
		return nil, nil, err
	}

	stop = func() {
		if err := srv.Stop(); err != nil {
			logger.Error("stop mattermost", "error", err)
		}
	}
	return srv, stop, nil
}

// Skippable reports whether err means a missing prerequisite outside CI,
// so that the tests may be skipped.
func Skippable(err error) bool {
	return errors.Is(err, ErrUnavailable) && os.Getenv("CI") == ""
}

// Client returns the logged-in client of the named user or bot. It
// panics on a name that Start did not create.
func (s *Server) Client(name string) *model.Client4 {
	return s.account(name).client
}

// UserID returns the user id of the named user or bot. It panics on a
// name that Start did not create.
func (s *Server) UserID(name string) string {
	return s.account(name).id
}

func (s *Server) account(name string) account {
	a, ok := s.users[name]
	if !ok {
		panic(fmt.Sprintf("mmtest: no user %q in the fixture", name))
	}
	return a
}

// Stop stops the server and PostgreSQL and removes the temporary
// directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.mm != nil {
			errs = append(errs, s.mm.stop())
		}
		if s.pg != nil {
			errs = append(errs, s.pg.stop())
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.Dir, err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}
