package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
)

// DefaultConfigFile is read when it exists in the working directory and no
// --config flag or LEITSTELLE_CONFIG names another file.
const DefaultConfigFile = "leitstelle.toml"

// DefaultDatabase is the SQLite file used when nothing else is configured.
const DefaultDatabase = "leitstelle.db"

// Config is the whole configuration: a TOML file, overridden by
// LEITSTELLE_* environment variables, overridden by command-line flags.
type Config struct {
	School   string `toml:"school"`
	Language string `toml:"language"`
	TimeZone string `toml:"time_zone"`
	// Secret signs forms and buttons (at least 32 bytes). Chat platforms
	// need a fixed one so buttons keep working after a restart.
	Secret          string   `toml:"secret"`
	ITUsers         []string `toml:"it_users"`
	LeadershipUsers []string `toml:"leadership_users"`
	// Matrix overrides the priority matrix: four rows, impact 1 to 4, each
	// with four priorities for urgency 1 to 4.
	Matrix []string `toml:"priority_matrix"`

	Database   Database   `toml:"database"`
	Console    Console    `toml:"console"`
	Mattermost Mattermost `toml:"mattermost"`
	Slack      Slack      `toml:"slack"`

	// path is the file the configuration came from, empty without one.
	path string
}

// Database selects the store.
type Database struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `toml:"driver"`
	// Path is the SQLite file.
	Path string `toml:"path"`
	// URL is the PostgreSQL connection string.
	URL string `toml:"url"`
}

// Console configures the terminal chat.
type Console struct {
	// User is the person at the keyboard at start.
	User string `toml:"user"`
}

// Mattermost connects Leitstelle to a Mattermost server; it is used when
// URL is set.
type Mattermost struct {
	URL               string `toml:"url"`
	BotToken          string `toml:"bot_token"`
	Team              string `toml:"team"`
	TriageChannel     string `toml:"triage_channel"`
	LeadershipChannel string `toml:"leadership_channel"`
	// ListenAddr is the listen address of the endpoints for slash commands,
	// dialogs and buttons. PublicURL is their base URL as the Mattermost
	// server reaches them.
	ListenAddr    string   `toml:"listen_addr"`
	PublicURL     string   `toml:"public_url"`
	CommandTokens []string `toml:"command_tokens"`
}

// Slack connects Leitstelle to a Slack workspace; it is used when
// BotToken is set.
type Slack struct {
	// Mode is "socket" (default, no public URL needed) or "http".
	Mode              string `toml:"mode"`
	BotToken          string `toml:"bot_token"`
	AppToken          string `toml:"app_token"`
	SigningSecret     string `toml:"signing_secret"`
	TriageChannel     string `toml:"triage_channel"`
	LeadershipChannel string `toml:"leadership_channel"`
	ListenAddr        string `toml:"listen_addr"`
	// APIURL replaces Slack's Web API address, for a proxy or a test fake.
	APIURL string `toml:"api_url"`
}

// platform names the configured chat platform, or "" for none. Both at
// once is an error.
func (cfg Config) platform() (string, error) {
	mm, slack := cfg.Mattermost.URL != "", cfg.Slack.BotToken != ""
	switch {
	case mm && slack:
		return "", errors.New("config: both [mattermost] url and [slack] bot_token are set; run one Leitstelle per chat platform")
	case mm:
		return "mattermost", nil
	case slack:
		return "slack", nil
	}
	return "", nil
}

// defaultConfig is the demo school: the console's users and German.
func defaultConfig() Config {
	return Config{
		School:          "demo-schule",
		Language:        "de",
		TimeZone:        "Europe/Berlin",
		ITUsers:         []string{"it"},
		LeadershipUsers: []string{"schulleitung"},
		Database:        Database{Driver: "sqlite", Path: DefaultDatabase},
		Console:         Console{User: "lehrkraft"},
	}
}

// loadConfig reads path (or the default file when path is empty and it
// exists) over the defaults and applies the environment.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		path = getenv("LEITSTELLE_CONFIG")
	}
	explicit := path != ""
	if path == "" {
		path = DefaultConfigFile
	}

	meta, err := toml.DecodeFile(path, &cfg)
	switch {
	case err == nil:
		cfg.path = path
		if undecoded := meta.Undecoded(); len(undecoded) > 0 {
			return cfg, fmt.Errorf("config %s: unknown key %q; see leitstelle.example.toml for the keys", path, undecoded[0].String())
		}
	case errors.Is(err, os.ErrNotExist) && !explicit:
		// No file: defaults and environment only.
	default:
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}

	applyEnv(&cfg, getenv)
	return cfg, nil
}

// applyEnv overrides cfg with the LEITSTELLE_* variables that are set.
func applyEnv(cfg *Config, getenv func(string) string) {
	str := map[string]*string{
		"LEITSTELLE_SCHOOL":    &cfg.School,
		"LEITSTELLE_LANGUAGE":  &cfg.Language,
		"LEITSTELLE_TIME_ZONE": &cfg.TimeZone,
		"LEITSTELLE_SECRET":    &cfg.Secret,
		"LEITSTELLE_DB_DRIVER": &cfg.Database.Driver,
		"LEITSTELLE_DB":        &cfg.Database.Path,
		"LEITSTELLE_DB_URL":    &cfg.Database.URL,

		"LEITSTELLE_MATTERMOST_URL":                &cfg.Mattermost.URL,
		"LEITSTELLE_MATTERMOST_BOT_TOKEN":          &cfg.Mattermost.BotToken,
		"LEITSTELLE_MATTERMOST_TEAM":               &cfg.Mattermost.Team,
		"LEITSTELLE_MATTERMOST_TRIAGE_CHANNEL":     &cfg.Mattermost.TriageChannel,
		"LEITSTELLE_MATTERMOST_LEADERSHIP_CHANNEL": &cfg.Mattermost.LeadershipChannel,
		"LEITSTELLE_MATTERMOST_LISTEN_ADDR":        &cfg.Mattermost.ListenAddr,
		"LEITSTELLE_MATTERMOST_PUBLIC_URL":         &cfg.Mattermost.PublicURL,

		"LEITSTELLE_SLACK_MODE":               &cfg.Slack.Mode,
		"LEITSTELLE_SLACK_BOT_TOKEN":          &cfg.Slack.BotToken,
		"LEITSTELLE_SLACK_APP_TOKEN":          &cfg.Slack.AppToken,
		"LEITSTELLE_SLACK_SIGNING_SECRET":     &cfg.Slack.SigningSecret,
		"LEITSTELLE_SLACK_TRIAGE_CHANNEL":     &cfg.Slack.TriageChannel,
		"LEITSTELLE_SLACK_LEADERSHIP_CHANNEL": &cfg.Slack.LeadershipChannel,
		"LEITSTELLE_SLACK_LISTEN_ADDR":        &cfg.Slack.ListenAddr,
		"LEITSTELLE_SLACK_API_URL":            &cfg.Slack.APIURL,
	}
	for name, field := range str {
		if v := getenv(name); v != "" {
			*field = v
		}
	}
	list := map[string]*[]string{
		"LEITSTELLE_IT_USERS":                  &cfg.ITUsers,
		"LEITSTELLE_LEADERSHIP_USERS":          &cfg.LeadershipUsers,
		"LEITSTELLE_MATTERMOST_COMMAND_TOKENS": &cfg.Mattermost.CommandTokens,
	}
	for name, field := range list {
		if v := getenv(name); v != "" {
			*field = splitList(v)
		}
	}
}

// splitList splits a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// botConfig turns cfg into the bot's configuration for the given channels.
// Without a configured secret, ephemeral allows a random one (the console,
// where forms live only as long as the process).
func (cfg Config) botConfig(triage, leadership string, ephemeral bool) (bot.Config, error) {
	bc := bot.DefaultConfig()
	bc.School = cfg.School
	bc.Language = cfg.Language
	bc.TriageChannelID = triage
	bc.LeadershipChannelID = leadership
	bc.ITUsers = cfg.ITUsers
	bc.LeadershipUsers = cfg.LeadershipUsers

	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return bc, fmt.Errorf("config: time zone %q is unknown: %w; use a name such as Europe/Berlin", cfg.TimeZone, err)
	}
	bc.Location = loc

	if len(cfg.Matrix) > 0 {
		m, err := incident.ParseMatrix(cfg.Matrix)
		if err != nil {
			return bc, fmt.Errorf("config: priority_matrix: %w", err)
		}
		bc.Matrix = m
	}

	switch {
	case strings.HasPrefix(cfg.Secret, "replace-with"):
		return bc, errors.New("config: secret is still the placeholder of the example file; generate one with `openssl rand -hex 32`")
	case cfg.Secret != "":
		bc.Secret = []byte(cfg.Secret)
	case ephemeral:
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return bc, fmt.Errorf("generate secret: %w", err)
		}
		bc.Secret = []byte(hex.EncodeToString(buf))
	default:
		return bc, errors.New("config: secret is empty; set secret in the config file or LEITSTELLE_SECRET, for example from `openssl rand -hex 32`")
	}
	return bc, bc.Validate()
}
