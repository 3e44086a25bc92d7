package slack

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Modes of receiving requests from Slack.
const (
	// ModeSocket connects to Slack over a WebSocket with the app token, so
	// the school needs no public HTTPS endpoint. It is the default.
	ModeSocket = "socket"
	// ModeHTTP serves signed HTTP requests from Slack on ListenAddr.
	ModeHTTP = "http"
)

// maxAckTimeout keeps AckTimeout safely below the 3 seconds in which Slack
// expects every slash command, interaction and event to be acknowledged.
const maxAckTimeout = 2500 * time.Millisecond

// Config is the Slack adapter's configuration.
type Config struct {
	// Mode is ModeSocket or ModeHTTP.
	Mode string
	// BotToken is the Bot User OAuth Token (xoxb-…).
	BotToken string
	// AppToken is the app-level token (xapp-…) with the connections:write
	// scope; required in socket mode.
	AppToken string
	// SigningSecret verifies the signature of every HTTP request from
	// Slack; required in HTTP mode.
	SigningSecret string
	// TriageChannel is the channel for new tickets: a channel ID (C…) or a
	// channel name, with or without "#".
	TriageChannel string
	// LeadershipChannel, when set, receives a note about every P1; an ID or
	// a name as TriageChannel.
	LeadershipChannel string
	// ListenAddr is the address HTTP mode listens on, such as ":8080".
	ListenAddr string
	// Commands are the slash commands the adapter accepts, such as
	// "/stoerung". Requests for other commands are acknowledged and ignored.
	Commands []string
	// APIURL is the base URL of the Slack Web API, ending in "/". Tests
	// point it at a fake on 127.0.0.1.
	APIURL string
	// AckTimeout is how long a handler waits for the bot's reply before it
	// acknowledges Slack without the reply, which then goes out separately.
	AckTimeout time.Duration
	// WorkTimeout bounds the work that continues after an acknowledgement.
	WorkTimeout time.Duration
	// MaxBodyBytes limits the body of an HTTP request from Slack.
	MaxBodyBytes int64
}

// DefaultConfig returns a Socket Mode configuration without tokens and
// channels: the commands /stoerung and /störung, Slack's public API URL,
// a 2-second acknowledgement budget, 2 minutes for work after it and a
// 1 MiB request limit.
func DefaultConfig() Config {
	return Config{
		Mode:         ModeSocket,
		ListenAddr:   ":8080",
		Commands:     []string{"/stoerung", "/störung"},
		APIURL:       slackapi.APIURL,
		AckTimeout:   2 * time.Second,
		WorkTimeout:  2 * time.Minute,
		MaxBodyBytes: 1 << 20,
	}
}

// Validate names the first invalid field, its value and the fix. Token and
// secret values are never part of the message.
func (c Config) Validate() error {
	if err := c.validateMode(); err != nil {
		return err
	}
	if strings.TrimSpace(c.TriageChannel) == "" {
		return errors.New("slack config: triage channel is empty; set it to the channel ID or name where IT sees new tickets")
	}
	if err := c.validateCommands(); err != nil {
		return err
	}

	u, err := url.Parse(c.APIURL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return fmt.Errorf("slack config: API URL %q is invalid; leave it at %s", c.APIURL, slackapi.APIURL)
	case !strings.HasSuffix(c.APIURL, "/"):
		return fmt.Errorf("slack config: API URL %q must end in \"/\"", c.APIURL)
	case c.AckTimeout <= 0 || c.AckTimeout > maxAckTimeout:
		return fmt.Errorf("slack config: ack timeout %s must be positive and at most %s, because Slack waits 3s", c.AckTimeout, maxAckTimeout)
	case c.WorkTimeout <= 0:
		return fmt.Errorf("slack config: work timeout %s must be positive, such as 2m", c.WorkTimeout)
	case c.MaxBodyBytes < 64<<10:
		return fmt.Errorf("slack config: max body %d bytes is too small for a modal submission; use at least 65536", c.MaxBodyBytes)
	}
	return nil
}

func (c Config) validateMode() error {
	if !strings.HasPrefix(c.BotToken, "xoxb-") {
		return errors.New("slack config: bot token is missing or does not start with xoxb-; copy the Bot User OAuth Token from the app's OAuth & Permissions page")
	}

	switch c.Mode {
	case ModeSocket:
		if !strings.HasPrefix(c.AppToken, "xapp-") {
			return errors.New("slack config: app token is missing or does not start with xapp-; socket mode needs an app-level token with connections:write (Basic Information, App-Level Tokens)")
		}
	case ModeHTTP:
		if c.SigningSecret == "" {
			return errors.New("slack config: signing secret is empty; HTTP mode needs it from the app's Basic Information page")
		}
		if c.ListenAddr == "" {
			return errors.New("slack config: listen address is empty; set it such as \":8080\" for HTTP mode")
		}
	default:
		return fmt.Errorf("slack config: mode %q is unknown, want %q or %q", c.Mode, ModeSocket, ModeHTTP)
	}
	return nil
}

func (c Config) validateCommands() error {
	if len(c.Commands) == 0 {
		return errors.New("slack config: no slash commands; set them such as /stoerung")
	}
	for _, cmd := range c.Commands {
		if !strings.HasPrefix(cmd, "/") || len(cmd) < 2 || strings.ContainsAny(cmd, " \t") {
			return fmt.Errorf("slack config: command %q is invalid; write it with a leading slash such as /stoerung", cmd)
		}
	}
	return nil
}
