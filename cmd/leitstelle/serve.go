package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/leitstelle/leitstelle/adapters/mattermost"
	"github.com/leitstelle/leitstelle/adapters/slack"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// repostInterval is how often tickets that never reached the triage
// channel are posted again.
const repostInterval = time.Minute

func runServe(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "config file (default ./leitstelle.toml when it exists)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, e)
}

// serve runs Leitstelle in the configured chat platform until ctx is done.
func serve(ctx context.Context, cfg Config, e env) error {
	platform, err := cfg.platform()
	if err != nil {
		return err
	}
	if platform == "" {
		return errors.New("serve: no chat platform configured; set [mattermost] url or [slack] bot_token (see leitstelle.example.toml), or try `leitstelle console`")
	}
	logger := newLogger(e.stderr, slog.LevelInfo).With("platform", platform)
	// Check the configuration before anything on the chat server changes.
	if _, err := cfg.botConfig("unresolved", "", false); err != nil {
		return err
	}

	store, where, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	logger.Info("database opened", "where", where)

	switch platform {
	case "mattermost":
		return serveMattermost(ctx, cfg, store, logger)
	default:
		return serveSlack(ctx, cfg, store, logger)
	}
}

// chatAdapter is the part of a platform adapter that serve uses after its
// Setup.
type chatAdapter interface {
	bot.Platform
	Attach(b *bot.Bot)
	Run(ctx context.Context) error
}

// connected holds the channels, command and users that an adapter's Setup
// found on the chat server.
type connected struct {
	triageChannelID, leadershipChannelID, commandName string
	// itUsers and leadershipUsers are the configured users as ids.
	itUsers, leadershipUsers []string
}

// runBot creates the bot for a set-up adapter and runs both until ctx is
// done.
func runBot(ctx context.Context, cfg Config, store *sqlstore.Store, logger *slog.Logger, adapter chatAdapter, c connected) error {
	bc, err := cfg.botConfig(c.triageChannelID, c.leadershipChannelID, false)
	if err != nil {
		return err
	}
	bc.CommandName = c.commandName
	bc.ITUsers, bc.LeadershipUsers = c.itUsers, c.leadershipUsers
	b, err := bot.New(bc, bot.Deps{Store: store, Platform: adapter, Logger: logger})
	if err != nil {
		return err
	}
	adapter.Attach(b)
	go b.KeepPosted(ctx, repostInterval)
	return adapter.Run(ctx)
}

func serveMattermost(ctx context.Context, cfg Config, store *sqlstore.Store, logger *slog.Logger) error {
	mc := mattermost.DefaultConfig()
	mc.ServerURL = cfg.Mattermost.URL
	mc.BotToken = cfg.Mattermost.BotToken
	mc.Team = cfg.Mattermost.Team
	mc.TriageChannel = cfg.Mattermost.TriageChannel
	mc.LeadershipChannel = cfg.Mattermost.LeadershipChannel
	mc.PublicURL = cfg.Mattermost.PublicURL
	mc.CommandTokens = cfg.Mattermost.CommandTokens
	mc.Language = cfg.Language
	if cfg.Mattermost.ListenAddr != "" {
		mc.ListenAddr = cfg.Mattermost.ListenAddr
	}

	adapter, err := mattermost.New(mc, logger)
	if err != nil {
		return fmt.Errorf("config [mattermost]: %w", err)
	}
	res, err := adapter.Setup(ctx)
	if err != nil {
		return err
	}
	return runBot(ctx, cfg, store, logger, adapter, connected{
		triageChannelID: res.TriageChannelID, leadershipChannelID: res.LeadershipChannelID, commandName: res.CommandName,
		itUsers:         adapter.ResolveUsers(ctx, cfg.ITUsers),
		leadershipUsers: adapter.ResolveUsers(ctx, cfg.LeadershipUsers),
	})
}

func serveSlack(ctx context.Context, cfg Config, store *sqlstore.Store, logger *slog.Logger) error {
	sc := slack.DefaultConfig()
	if cfg.Slack.Mode != "" {
		sc.Mode = cfg.Slack.Mode
	}
	sc.BotToken = cfg.Slack.BotToken
	sc.AppToken = cfg.Slack.AppToken
	sc.SigningSecret = cfg.Slack.SigningSecret
	sc.TriageChannel = cfg.Slack.TriageChannel
	sc.LeadershipChannel = cfg.Slack.LeadershipChannel
	if cfg.Slack.ListenAddr != "" {
		sc.ListenAddr = cfg.Slack.ListenAddr
	}
	if cfg.Slack.APIURL != "" {
		sc.APIURL = cfg.Slack.APIURL
	}

	adapter, err := slack.New(sc, slack.Deps{Logger: logger, Deliveries: store})
	if err != nil {
		return fmt.Errorf("config [slack]: %w", err)
	}
	res, err := adapter.Setup(ctx)
	if err != nil {
		return err
	}
	// Slack app manifests register ASCII command names only.
	c := connected{triageChannelID: res.TriageChannelID, leadershipChannelID: res.LeadershipChannelID, commandName: "/stoerung"}
	if c.itUsers, err = adapter.ResolveUsers(ctx, cfg.ITUsers); err != nil {
		return err
	}
	if c.leadershipUsers, err = adapter.ResolveUsers(ctx, cfg.LeadershipUsers); err != nil {
		return err
	}
	return runBot(ctx, cfg, store, logger, adapter, c)
}
