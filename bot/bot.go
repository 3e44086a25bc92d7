// Package bot is Leitstelle's conversation: commands, forms, reactions,
// buttons and notifications. It is independent of the chat platform and
// talks to chat only through the Platform interface.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// Log keys used by the bot.
const (
	logIncident = "incident"
	logPlatform = "platform"
	logUser     = "user_id"
	logChannel  = "channel_id"
	logPost     = "post_id"
)

// ClaimEmoji is the reaction that claims a ticket.
const ClaimEmoji = "eyes"

// Config is the bot's configuration.
type Config struct {
	// School is the key that numbers incidents, such as "gymnasium-nord".
	School string
	// TriageChannelID is where tickets are posted; required.
	TriageChannelID string
	// LeadershipChannelID, when set, gets a note about every P1.
	LeadershipChannelID string
	// CommandName is the trigger shown in help and button hints.
	CommandName string
	// Language of every message: "de" (default) or "en".
	Language string
	Matrix   incident.Matrix
	// Secret signs form state and button tokens; at least 32 bytes.
	Secret []byte
	// FormMaxAge is how long a form may stay open before its submission is
	// rejected as stale.
	FormMaxAge time.Duration
	// Location is the time zone of every time shown to users.
	Location *time.Location
	// ITUsers and LeadershipUsers are user names or ids with those roles.
	ITUsers         []string
	LeadershipUsers []string
}

// DefaultConfig returns a configuration with the default matrix, German
// messages, a form age of one hour and Europe/Berlin time.
func DefaultConfig() Config {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	return Config{
		School:      "schule",
		CommandName: "/störung",
		Language:    "de",
		Matrix:      incident.DefaultMatrix(),
		FormMaxAge:  time.Hour,
		Location:    loc,
	}
}

// Validate names the first invalid field, its value and the fix.
func (c Config) Validate() error {
	switch {
	case c.School == "":
		return errors.New("bot config: school is empty; set it to a short key such as \"gymnasium-nord\"")
	case c.TriageChannelID == "":
		return errors.New("bot config: triage channel is empty; set the channel where IT sees new tickets")
	case len(c.Secret) < 32:
		return fmt.Errorf("bot config: secret has %d bytes, want at least 32; generate one with `openssl rand -hex 32`", len(c.Secret))
	case !validLanguage(c.Language):
		return fmt.Errorf("bot config: language %q is unknown, want one of %v", c.Language, Languages)
	case c.FormMaxAge <= 0:
		return fmt.Errorf("bot config: form max age %s must be positive", c.FormMaxAge)
	case c.Location == nil:
		return errors.New("bot config: time zone is missing; set it such as Europe/Berlin")
	case len(c.ITUsers) == 0:
		return errors.New("bot config: no IT users configured; list the user names of first-level IT")
	}
	return nil
}

// Deps are the bot's collaborators.
type Deps struct {
	Store    incident.Store
	Platform Platform
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Bot is the conversation engine. Its methods are safe for concurrent use.
type Bot struct {
	cfg      Config
	store    incident.Store
	platform Platform
	dir      *incident.Directory
	tr       *Translator
	sig      signer
	log      *slog.Logger
	now      func() time.Time

	// postLocks serialises posting the triage message of one incident, so a
	// repeated submission cannot post it twice.
	postLocks sync.Map
}

// New returns a bot. It fails when cfg is invalid or a dependency missing.
func New(cfg Config, deps Deps) (*Bot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Platform == nil {
		return nil, errors.New("bot: store and platform are required")
	}
	tr, err := NewTranslator(cfg.Language)
	if err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}

	return &Bot{
		cfg:      cfg,
		store:    deps.Store,
		platform: deps.Platform,
		dir:      incident.NewDirectory(cfg.ITUsers, cfg.LeadershipUsers),
		tr:       tr,
		sig:      signer{key: cfg.Secret},
		log:      deps.Logger.With("component", "bot", logPlatform, deps.Platform.Name()),
		now:      deps.Now,
	}, nil
}

// Config returns the bot's configuration.
func (b *Bot) Config() Config { return b.cfg }

// T renders a message of the bot's language; adapters use it for their own
// user-facing errors so that every text comes from the catalogs.
func (b *Bot) T(id string, data map[string]any) string { return b.tr.T(id, data) }

// SignAction returns the token of a button for action on incident number.
func (b *Bot) SignAction(action string, number int64) string {
	tok, err := b.sig.sign(actionToken{Action: action, School: b.cfg.School, Number: number})
	if err != nil {
		b.log.Error("sign action token", "error", err)
	}
	return tok
}

func (b *Bot) actor(u User) incident.Actor {
	return b.dir.Actor(u.ID, u.Name)
}

func (b *Bot) t(id string, data map[string]any) string { return b.tr.T(id, data) }

func (b *Bot) nonce() string {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(buf)
}

func (b *Bot) lockIncident(number int64) func() {
	v, _ := b.postLocks.LoadOrStore(number, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// errorText turns an error into a German sentence for the user. Domain
// errors map to a catalog entry by reason; anything else is logged and
// shown as a general failure.
func (b *Bot) errorText(ctx context.Context, err error, data map[string]any) string {
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Command"]; !ok {
		data["Command"] = b.cfg.CommandName
	}
	var de *incident.Error
	if errors.As(err, &de) && de.Code != incident.EINTERNAL {
		text := b.t("error."+de.Reason, data)
		if text != "[error."+de.Reason+"]" {
			return text
		}
		return b.t("error.generic_"+de.Code, data)
	}
	b.log.ErrorContext(ctx, "request failed", "error", err)
	return b.t("error.internal", nil)
}
