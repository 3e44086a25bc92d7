// Command leitstelle runs the IT incident desk: in a terminal chat
// (console), in the school's chat server, or as a tool that exports the
// stored incidents.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/leitstelle/leitstelle/adapters/console"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `Usage:
  leitstelle                       serve the configured chat platform, or without
                                   one start the terminal chat on ./leitstelle.db
  leitstelle serve [--config FILE] connect to Mattermost or Slack as configured
  leitstelle console [--db PATH] [--config FILE]
                                   terminal chat: report, claim and resolve incidents
  leitstelle export --db PATH [--format json]
                                   print all incidents as JSON
  leitstelle version               print the version

Configuration: leitstelle.toml in the working directory, --config FILE or
LEITSTELLE_CONFIG, and LEITSTELLE_* environment variables; see
leitstelle.example.toml.
`

// env holds the standard streams and environment of one run, so tests can
// run the command in place.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// interactive is true when stdin is a terminal.
	interactive bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, interactive: isTerminal(os.Stdin)}
	os.Exit(run(ctx, os.Args[1:], e))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		return runDefault(ctx, e)
	}
	cmd, args := args[0], args[1:]

	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, args, e)
	case "console":
		err = runConsole(ctx, args, e)
	case "export":
		err = runExport(ctx, args, e)
	case "version", "--version":
		fmt.Fprintln(e.stdout, "leitstelle", buildVersion())
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
	default:
		fmt.Fprintf(e.stderr, "leitstelle: unknown command %q\n\n%s", cmd, usage)
		return 2
	}

	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "leitstelle:", err)
		return 1
	}
	return 0
}

// runDefault serves the configured chat platform, or starts the console
// when none is configured.
func runDefault(ctx context.Context, e env) int {
	cfg, err := loadConfig("", e.getenv)
	if err == nil {
		var platform string
		if platform, err = cfg.platform(); err == nil && platform != "" {
			err = serve(ctx, cfg, e)
		} else if err == nil {
			err = runConsole(ctx, nil, e)
		}
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "leitstelle:", err)
		return 1
	}
	return 0
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}

// newLogger writes structured logs to w. The console logs only warnings,
// so the chat stays readable.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runConsole(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dbPath := fs.String("db", "", "SQLite file (default ./leitstelle.db or database.path from the config)")
	cfgPath := fs.String("config", "", "config file (default ./leitstelle.toml when it exists)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("console: unexpected argument %q", fs.Arg(0))
	}

	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	if *dbPath != "" {
		cfg.Database.Driver, cfg.Database.Path = "sqlite", *dbPath
	}
	logger := newLogger(e.stderr, slog.LevelWarn)

	// Check the configuration before a database file is created.
	bc, err := cfg.botConfig(console.TriageChannel, console.LeadershipChannel, true)
	if err != nil {
		return err
	}
	store, where, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := console.New(console.Config{
		School: cfg.School, Language: cfg.Language, User: cfg.Console.User,
		ITUsers: cfg.ITUsers, LeadershipUsers: cfg.LeadershipUsers,
	}, e.stdout, logger)
	if err != nil {
		return err
	}
	b, err := bot.New(bc, bot.Deps{Store: store, Platform: c, Logger: logger})
	if err != nil {
		return err
	}
	c.Attach(b)

	c.Welcome()
	tr, err := bot.NewTranslator(cfg.Language)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "·", tr.T("console.database", map[string]any{"Path": where}))
	if err := b.RepostMissing(ctx); err != nil {
		logger.Warn("post stored tickets that never reached the triage channel", "error", err)
	}
	return c.Run(ctx, e.stdin, !e.interactive)
}

// openStore opens the configured database and returns a description of
// where it is, for the user.
func openStore(cfg Config) (*sqlstore.Store, string, error) {
	switch cfg.Database.Driver {
	case "", "sqlite":
		path := cfg.Database.Path
		if path == "" {
			path = DefaultDatabase
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, "", fmt.Errorf("database path %q: %w", path, err)
		}
		store, err := sqlstore.Open(sqlstore.Options{Driver: "sqlite", DSN: abs})
		return store, abs, err
	case "postgres":
		if cfg.Database.URL == "" {
			return nil, "", errors.New("config: database.driver is postgres but database.url is empty; set it or LEITSTELLE_DB_URL")
		}
		store, err := sqlstore.Open(sqlstore.Options{Driver: "postgres", DSN: cfg.Database.URL})
		return store, "PostgreSQL", err
	}
	return nil, "", fmt.Errorf("config: database.driver %q is unknown, want sqlite or postgres", cfg.Database.Driver)
}
