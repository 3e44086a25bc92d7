// Package slackfake is a stateful fake of the Slack Web API for tests.
//
// The fake runs on 127.0.0.1 on top of slacktest's HTTP server. It replaces
// slacktest's fixed answers with handlers that keep users, channels, members,
// messages, reactions, pins, views and file uploads in memory. Every call is
// recorded, and its token is checked against the configured bot token. Point
// a slack-go client at it with slack.OptionAPIURL(fake.APIURL()).
//
// The package also builds the requests that Slack sends to an app (slash
// commands, interaction payloads, Events API callbacks) and signs them with
// Slack's v0 request signature.
//
// It is built on slacktest for the loopback server and its routing, but
// replaces every fixed response of slacktest with a handler that checks the
// token and keeps state, because slacktest has no views, files, Events API
// or Socket Mode envelopes.
//
// Socket Mode works through apps.connections.open with the app token: Send
// writes envelopes to the connected app and Acks returns what it answered.
// Response URLs from NewResponseURL record the messages posted to them.
//
// NOTE: RTM and every Web API method not listed in methods() return the
// error "unknown_method".
package slackfake

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// Config is the workspace that a fake server presents.
type Config struct {
	// BotToken is the token that every Web API call must carry.
	BotToken string
	// AppToken is the app-level token (xapp-…) that apps.connections.open
	// requires for Socket Mode.
	AppToken string
	// BotUserID is the user ID of the app's bot user.
	BotUserID string
	// BotID is the bot ID (B…) of the app.
	BotID string
	// BotName is the user name of the bot user.
	BotName string
	// AppID is the ID (A…) of the Slack app.
	AppID string
	// TeamID, TeamName and TeamDomain describe the workspace.
	TeamID     string
	TeamName   string
	TeamDomain string
	// TriggerTTL is how long a registered trigger_id stays valid. Slack
	// documents 3 seconds.
	TriggerTTL time.Duration
	// StrictTriggers makes views.open reject trigger IDs that
	// the test did not register with AddTrigger or NewTrigger.
	StrictTriggers bool
	// Now is the clock for message timestamps, call times and trigger expiry.
	Now func() time.Time
	// Logger receives start, stop and write-failure logs. Nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a complete configuration for one school workspace.
func DefaultConfig() Config {
	return Config{
		BotToken:   "xoxb-leitstelle-fake-token",
		AppToken:   "xapp-1-leitstelle-fake-token",
		BotUserID:  "U0LSBOT01",
		BotID:      "B0LSBOT01",
		BotName:    "leitstelle",
		AppID:      "A0LSAPP01",
		TeamID:     "T0SCHOOL1",
		TeamName:   "Schule",
		TeamDomain: "schule",
		TriggerTTL: 3 * time.Second,
		Now:        time.Now,
	}
}

// Validate returns an error that names the first missing or invalid field.
func (c Config) Validate() error {
	required := []struct{ field, value string }{
		{"BotToken", c.BotToken},
		{"AppToken", c.AppToken},
		{"BotUserID", c.BotUserID},
		{"BotID", c.BotID},
		{"BotName", c.BotName},
		{"AppID", c.AppID},
		{"TeamID", c.TeamID},
		{"TeamName", c.TeamName},
		{"TeamDomain", c.TeamDomain},
	}
	for _, r := range required {
		if r.value == "" {
			return fmt.Errorf("slackfake config: %s is empty: set it or start from DefaultConfig()", r.field)
		}
	}

	if c.TriggerTTL <= 0 {
		return fmt.Errorf("slackfake config: TriggerTTL %v is not positive: use 3s as Slack does", c.TriggerTTL)
	}
	if c.Now == nil {
		return errors.New("slackfake config: Now is nil: pass a clock such as time.Now")
	}
	return nil
}

// Server is a running fake of the Slack Web API. All methods are safe for
// concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	http      *slacktest.Server
	closeOnce sync.Once

	// mu guards calls and every field of state.
	mu    sync.Mutex
	calls []Call
	state
}

// Start validates cfg and starts a fake server on 127.0.0.1.
func Start(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	s := &Server{cfg: cfg, log: cfg.Logger, state: newState()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "slackfake")
	s.addBotUser()

	// slacktest keeps the first handler bound to a path, so the handlers
	// bound here replace its fixed answers.
	s.http = slacktest.NewTestServer(s.bind)

	// Check the address before the server accepts any connection.
	if err := checkLoopback(s.http.ServerAddr); err != nil {
		s.http.Stop()
		return nil, err
	}

	s.http.Start()
	s.log.Info("slack fake started", "addr", s.http.ServerAddr)
	return s, nil
}

// MustStart starts a fake server for a test and stops it when the test ends.
// It fails the test if cfg is invalid or the server cannot start.
func MustStart(tb testing.TB, cfg Config) *Server {
	tb.Helper()

	s, err := Start(cfg)
	if err != nil {
		tb.Fatalf("start slack fake: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server. Calling it again has no effect.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.closeSockets()
		s.http.Stop()
		s.log.Info("slack fake stopped", "addr", s.http.ServerAddr)
	})
}

// APIURL returns the base URL to pass to slack.OptionAPIURL. It ends in "/".
func (s *Server) APIURL() string {
	return s.http.GetAPIURL()
}

// Config returns the configuration the server was started with.
func (s *Server) Config() Config {
	return s.cfg
}

// checkLoopback rejects any listen address other than 127.0.0.1.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("slackfake: invalid listen address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("slackfake: listen address %q is not on 127.0.0.1: run tests without -httptest.serve and with IPv4 loopback", addr)
	}
	return nil
}
