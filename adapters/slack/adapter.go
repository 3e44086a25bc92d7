// Package slack connects Leitstelle's bot to Slack. It receives slash
// commands, interactions and reaction events either over Socket Mode (the
// default, no public endpoint needed) or as signed HTTP requests, and it
// implements bot.Platform with the Slack Web API.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// Log keys used by the adapter.
const (
	logChannel  = "channel_id"
	logUser     = "user_id"
	logEvent    = "event_id"
	logEnvelope = "envelope_id"
	logTask     = "task"
)

// DeliveryLog records inbound event IDs so that a redelivered event has no
// second effect. incident.Store implements it.
type DeliveryLog interface {
	// FirstDelivery records key and reports whether it is new.
	FirstDelivery(ctx context.Context, key string) (bool, error)
}

// Deps are the adapter's collaborators. All are optional.
type Deps struct {
	Logger *slog.Logger
	// Deliveries, when set, makes event de-duplication survive a restart.
	// Without it, only the in-memory set of recent event IDs is used.
	Deliveries DeliveryLog
	// HTTPClient makes the Web API calls; a client with a 15-second timeout
	// when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Resolved are the IDs that Setup found for the configured names.
type Resolved struct {
	TriageChannelID     string
	LeadershipChannelID string
	BotUserID           string
	TeamID              string
}

// Adapter is the Slack platform of the bot. Create it with New, call Setup,
// create the bot with the resolved channel IDs, Attach it, then Run.
type Adapter struct {
	cfg        Config
	api        *slackapi.Client
	log        *slog.Logger
	deliveries DeliveryLog

	bot       atomic.Pointer[bot.Bot]
	botUserID atomic.Value // string, set by Setup

	// events de-duplicates Events API event IDs; requests de-duplicates
	// the signatures of HTTP requests, which blocks exact replays.
	events   *recentSet
	requests *recentSet
	// rejected counts HTTP requests with an invalid signature, so that a
	// flood of them logs one line per 100 after the first ten.
	rejected atomic.Int64
	users    *userDirectory
	links    *channelLinks
	dms      sync.Map // user ID to direct message channel ID
	queue    serialQueue

	// work tracks every goroutine the adapter starts, so Wait and Run can
	// let them finish.
	work sync.WaitGroup
}

var _ bot.Platform = (*Adapter)(nil)

// New returns an adapter for cfg. It makes no network call.
func New(cfg Config, deps Deps) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	log := deps.Logger.With("component", "slack")

	opts := []slackapi.Option{
		slackapi.OptionAPIURL(cfg.APIURL),
		slackapi.OptionHTTPClient(deps.HTTPClient),
		// Retry a call that Slack rate-limited (429) up to twice, after the
		// Retry-After delay. It must come after OptionHTTPClient to wrap it.
		slackapi.OptionRetry(2),
		slackapi.OptionLog(libraryLogger{log: log}),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	api := slackapi.New(cfg.BotToken, opts...)

	a := &Adapter{
		cfg:        cfg,
		api:        api,
		log:        log,
		deliveries: deps.Deliveries,
		events:     newRecentSet(eventMemory, maxRecentEvents, deps.Now),
		requests:   newRecentSet(requestMemory, maxRecentRequests, deps.Now),
		users:      newUserDirectory(api, deps.Now),
		links:      &channelLinks{ids: map[string]bool{}},
	}
	a.botUserID.Store("")
	a.queue.adapter = a
	return a, nil
}

// Name returns "slack".
func (a *Adapter) Name() string { return "slack" }

// Attach sets the bot that handles every request. Call it before Run or
// before serving Handler; requests that arrive earlier are acknowledged and
// dropped with an error log.
func (a *Adapter) Attach(b *bot.Bot) { a.bot.Store(b) }

// Setup checks the bot token and resolves the configured channels to IDs,
// joining a public triage channel when the bot is not yet a member. Its
// error names the fix when the token is invalid or a channel is missing or
// private without the bot.
func (a *Adapter) Setup(ctx context.Context) (Resolved, error) {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return Resolved{}, fmt.Errorf("slack setup: auth.test failed: %w; check the bot token", err)
	}
	a.botUserID.Store(auth.UserID)
	res := Resolved{BotUserID: auth.UserID, TeamID: auth.TeamID}

	res.TriageChannelID, err = a.resolveChannel(ctx, a.cfg.TriageChannel)
	if err != nil {
		return Resolved{}, fmt.Errorf("slack setup: triage channel: %w", err)
	}
	if a.cfg.LeadershipChannel != "" {
		res.LeadershipChannelID, err = a.resolveChannel(ctx, a.cfg.LeadershipChannel)
		if err != nil {
			return Resolved{}, fmt.Errorf("slack setup: leadership channel: %w", err)
		}
	}

	a.log.InfoContext(ctx, "slack setup done", "team_id", res.TeamID, "bot_user_id", res.BotUserID,
		"triage_channel_id", res.TriageChannelID, "leadership_channel_id", res.LeadershipChannelID)
	return res, nil
}

// Run receives requests in the configured mode until ctx ends, then waits
// for work already started. It calls Setup if that has not happened. At
// start, and in socket mode after every reconnection, it posts tickets that
// never reached the triage channel and applies claims whose reaction events
// were missed, in the background. It returns an error when Attach was not
// called, when Slack rejects the tokens or when the listener fails.
func (a *Adapter) Run(ctx context.Context) error {
	if a.bot.Load() == nil {
		return errors.New("slack: Run called before Attach")
	}
	if a.currentBotUserID() == "" {
		if _, err := a.Setup(ctx); err != nil {
			return err
		}
	}

	if a.cfg.Mode == ModeHTTP {
		ln, err := net.Listen("tcp", a.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("slack: listen on %s: %w", a.cfg.ListenAddr, err)
		}
		return a.Serve(ctx, ln)
	}
	return a.runSocketMode(ctx)
}

// Wait blocks until all work that handlers started in the background has
// finished.
func (a *Adapter) Wait() { a.work.Wait() }

func (a *Adapter) currentBotUserID() string {
	id, _ := a.botUserID.Load().(string)
	return id
}

// background runs task in a goroutine with its own context, bounded by
// WorkTimeout and not cancelled when the request that started it ends.
// A panic in task is logged instead of ending the process.
func (a *Adapter) background(ctx context.Context, name string, task func(ctx context.Context)) {
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		a.runTask(queuedTask{name: name, ctx: ctx, run: task})
	}()
}

// runTask runs t with the context rules of background, in the caller's
// goroutine.
func (a *Adapter) runTask(t queuedTask) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), a.cfg.WorkTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			a.log.ErrorContext(ctx, "background task panicked", logTask, t.name, "panic", r)
		}
	}()
	t.run(ctx)
}

// answerWithin runs fn in the background and waits up to AckTimeout for its
// result. When fn is faster, answerWithin returns its result and true.
// Otherwise it returns false at once, and fn's result goes to late when fn
// finishes, so that the caller can acknowledge Slack in time.
func answerWithin[T any](ctx context.Context, a *Adapter, name string, fn func(context.Context) T, late func(context.Context, T)) (T, bool) {
	const (
		running = iota
		answered
		abandoned
	)
	var state atomic.Int32
	result := make(chan T, 1)

	a.background(ctx, name, func(ctx context.Context) {
		v := fn(ctx)
		if state.CompareAndSwap(running, answered) {
			result <- v
			return
		}
		a.log.InfoContext(ctx, "result ready after the acknowledgement, delivering it separately", logTask, name)
		late(ctx, v)
	})

	timer := time.NewTimer(a.cfg.AckTimeout)
	defer timer.Stop()
	select {
	case v := <-result:
		return v, true
	case <-timer.C:
	}
	if state.CompareAndSwap(running, abandoned) {
		var zero T
		return zero, false
	}
	return <-result, true
}

// libraryLogger passes slack-go's debug output to slog at debug level.
type libraryLogger struct{ log *slog.Logger }

func (l libraryLogger) Output(_ int, s string) error {
	l.log.Debug(s, "source", "slack-go")
	return nil
}
