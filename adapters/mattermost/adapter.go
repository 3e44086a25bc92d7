// Package mattermost connects Leitstelle's bot to a Mattermost server.
//
// The adapter implements bot.Platform with the bot account's REST client.
// It serves the HTTP endpoints that Mattermost calls for slash commands,
// interactive dialogs and message buttons. On a WebSocket it receives
// reactions in the triage channel and direct messages to the bot.
//
// Mattermost sends dialog submissions and button presses without any
// credential, so the adapter verifies every request itself: the slash
// command token, the server-signed trigger_id of a button press, and (in
// the bot) the signed dialog state and button token.
package mattermost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

var _ bot.Platform = (*Adapter)(nil)

// PlatformName is the adapter's name in logs and in stored incidents.
const PlatformName = "mattermost"

// Paths of the HTTP endpoints, relative to Config.PublicURL.
const (
	PathCommand = "/mattermost/command"
	PathDialog  = "/mattermost/dialog"
	PathAction  = "/mattermost/action"
)

// Log keys used by the adapter.
const (
	logChannel = "channel_id"
	logUser    = "user_id"
	logPost    = "post_id"
	logTeam    = "team_id"
	logTrigger = "trigger"
	logFix     = "fix"
)

// Config is the adapter's configuration.
type Config struct {
	// ServerURL is the base URL of the Mattermost server, such as
	// "https://chat.schule.example".
	ServerURL string
	// BotToken is the access token of the bot account.
	BotToken string
	// Team is the URL name of the team, such as "schule".
	Team string
	// TriageChannel is the URL name of the channel where IT receives tickets.
	TriageChannel string
	// LeadershipChannel is the URL name of the school leadership's
	// channel; empty means none.
	LeadershipChannel string
	// ListenAddr is the address the HTTP endpoints listen on.
	ListenAddr string
	// PublicURL is the base URL under which the Mattermost server reaches
	// the endpoints, such as "http://leitstelle.schule.example:8070".
	PublicURL string
	// CommandTokens are tokens of slash commands that an admin created by
	// hand, for when the bot may not register its own.
	CommandTokens []string
	// Language of the slash command's autocomplete texts: "de" or "en".
	Language string
	// TriggerMaxAge is the maximum age of a server-signed trigger_id.
	// Mattermost itself accepts one for OutgoingIntegrationRequestsTimeout
	// (30 s by default).
	TriggerMaxAge time.Duration
	// ReconnectMin and ReconnectMax bound the wait between attempts to
	// reconnect the WebSocket; the wait doubles from min up to max.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
}

// DefaultConfig returns a configuration with German texts, a trigger age
// of 30 seconds, reconnects between 1 second and 1 minute, and the HTTP
// endpoints on port 8070 of the loopback interface.
func DefaultConfig() Config {
	return Config{
		ListenAddr:    "127.0.0.1:8070",
		Language:      "de",
		TriggerMaxAge: 30 * time.Second,
		ReconnectMin:  time.Second,
		ReconnectMax:  time.Minute,
	}
}

// Validate names the first invalid field, its value and the fix.
func (c Config) Validate() error {
	if err := checkBaseURL("server URL", c.ServerURL); err != nil {
		return err
	}
	if err := checkBaseURL("public URL", c.PublicURL); err != nil {
		return err
	}

	switch {
	case c.BotToken == "":
		return errors.New("mattermost config: bot token is empty; create an access token for the bot account (System Console > Integrations > Bot Accounts)")
	case c.Team == "":
		return errors.New("mattermost config: team is empty; set the team's URL name, such as \"schule\"")
	case c.TriageChannel == "":
		return errors.New("mattermost config: triage channel is empty; set the URL name of the channel where IT sees tickets")
	case c.ListenAddr == "":
		return errors.New("mattermost config: listen address is empty; set it such as \"127.0.0.1:8070\"")
	case !validLanguage(c.Language):
		return fmt.Errorf("mattermost config: language %q is unknown, want one of %v", c.Language, bot.Languages)
	case c.TriggerMaxAge <= 0:
		return fmt.Errorf("mattermost config: trigger max age %s must be positive, such as 30s", c.TriggerMaxAge)
	case c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("mattermost config: reconnect delays %s..%s are invalid; min must be positive and at most max", c.ReconnectMin, c.ReconnectMax)
	}
	return nil
}

func checkBaseURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("mattermost config: %s %q is invalid; want an absolute http or https URL such as \"https://chat.schule.example\"", field, raw)
	}
	return nil
}

func validLanguage(lang string) bool {
	for _, l := range bot.Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Adapter connects the bot to Mattermost. Call Setup, then Attach, then
// Run. Its methods are safe for concurrent use.
type Adapter struct {
	cfg    Config
	client *model.Client4
	log    *slog.Logger
	now    func() time.Time

	// Set by Setup.
	mu         sync.RWMutex
	resolved   Resolved
	tokens     []string
	signingKey *signingKey

	bot   atomic.Pointer[bot.Bot]
	users userCache
	dms   sync.Map // user id -> direct channel id

	// ephemeralDenied is set once the server rejected an ephemeral post
	// for lack of permission; later ones go out as direct messages.
	ephemeralDenied atomic.Bool

	// connects counts WebSocket connections that finished reconciling.
	connects atomic.Int64
}

// New returns an adapter. It fails when cfg is invalid.
func New(cfg Config, logger *slog.Logger) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}

	client := model.NewAPIv4Client(strings.TrimRight(cfg.ServerURL, "/"))
	client.SetToken(cfg.BotToken)
	client.HTTPClient = &http.Client{Timeout: requestTimeout}

	a := &Adapter{
		cfg:    cfg,
		client: client,
		log:    logger.With("component", "mattermost"),
		now:    time.Now,
	}
	a.users.client = client
	a.users.now = func() time.Time { return a.now() }
	return a, nil
}

// requestTimeout bounds each REST call to the Mattermost server.
const requestTimeout = 30 * time.Second

// Name returns "mattermost".
func (a *Adapter) Name() string { return PlatformName }

// Attach connects the bot whose handlers the endpoints and the WebSocket
// call. Requests that arrive before it get status 503.
func (a *Adapter) Attach(b *bot.Bot) { a.bot.Store(b) }

// Run serves the HTTP endpoints on Config.ListenAddr and listens on the
// WebSocket until ctx is done. It needs a successful Setup and Attach. It
// returns nil after ctx is done, or the error of the HTTP server.
func (a *Adapter) Run(ctx context.Context) error {
	if a.bot.Load() == nil || a.setupResult().BotUserID == "" {
		return errors.New("mattermost: run needs Setup and Attach first")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	srv := &http.Server{
		Addr:              a.cfg.ListenAddr,
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      handlerTimeout + 10*time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	a.log.Info("http endpoints starting", "addr", a.cfg.ListenAddr, "public_url", a.cfg.PublicURL)

	listened := make(chan struct{})
	go func() {
		defer close(listened)
		a.listen(ctx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve %s: %w", a.cfg.ListenAddr, err)
		a.log.Error("http endpoints failed, stopping", "error", err)
	}

	// Stop both halves, whichever ended first.
	cancel()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelShutdown()
	if shutdownErr := srv.Shutdown(shutdownCtx); shutdownErr != nil {
		a.log.Warn("stop http endpoints", "error", shutdownErr)
	}
	<-listened
	a.log.Info("stopped")
	return err
}

func (a *Adapter) setupResult() Resolved {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.resolved
}

func (a *Adapter) publicURL(path string) string {
	return strings.TrimRight(a.cfg.PublicURL, "/") + path
}

// Connections returns how many WebSocket connections have been made and
// reconciled since Run started; more than one means it reconnected.
func (a *Adapter) Connections() int64 { return a.connects.Load() }
