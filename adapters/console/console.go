// Package console is a chat in the terminal: one person at a time types
// commands, answers forms line by line and reacts to tickets, and every
// message the bot sends is printed with the channel or person it is for. It
// needs no chat server, so anyone can try Leitstelle and a transcript can be
// piped in for tests.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
)

// Channel names of the console's chat.
const (
	StaffRoom         = "lehrerzimmer"
	TriageChannel     = "it-stoerungen"
	LeadershipChannel = "schulleitung"
)

// Demo users of a console without a config file.
const (
	DemoTeacher    = "lehrkraft"
	DemoIT         = "it"
	DemoLeadership = "schulleitung"
)

// MaxLine is the longest input line in bytes; longer lines are discarded
// with a message.
const MaxLine = 64 * 1024

// Config is the console's configuration.
type Config struct {
	// School is shown in the welcome line.
	School string
	// Language of the console's own messages: "de" or "en".
	Language string
	// User is the person at the keyboard at start.
	User string
	// ITUsers and LeadershipUsers are shown as roles after /als.
	ITUsers         []string
	LeadershipUsers []string
}

// Console is the terminal chat. It implements bot.Platform; attach the bot
// with Attach before Run.
type Console struct {
	cfg Config
	tr  *bot.Translator
	dir *incident.Directory
	log *slog.Logger

	// out is guarded by mu, together with the chat state below, because the
	// bot may call the platform from more than one goroutine.
	mu       sync.Mutex
	out      io.Writer
	bot      *bot.Bot
	user     bot.User
	posts    map[string]string // post id → channel
	nextPost int
	// session prefixes post ids; it is random per console.
	session  string
	channels map[string]bool
	form     *pendingForm
}

// pendingForm is a form being answered line by line.
type pendingForm struct {
	form    bot.Form
	trigger bot.Trigger
	values  map[string]string
	// queue holds the indexes of the fields still to ask, in order.
	queue []int
	// retry is the bot's message for the field asked again.
	retry map[string]string
}

var namePattern = regexp.MustCompile(`^[\p{L}0-9._-]{1,64}$`)

// New returns a console writing to out.
func New(cfg Config, out io.Writer, logger *slog.Logger) (*Console, error) {
	if cfg.Language == "" {
		cfg.Language = "de"
	}
	tr, err := bot.NewTranslator(cfg.Language)
	if err != nil {
		return nil, err
	}
	if cfg.User == "" {
		cfg.User = DemoTeacher
	}
	if !namePattern.MatchString(cfg.User) {
		return nil, fmt.Errorf("console: start user %q is not a valid name", cfg.User)
	}
	if logger == nil {
		logger = slog.Default()
	}
	session := make([]byte, 4)
	if _, err := rand.Read(session); err != nil {
		return nil, fmt.Errorf("console: session id: %w", err)
	}
	return &Console{
		session:  hex.EncodeToString(session),
		cfg:      cfg,
		tr:       tr,
		dir:      incident.NewDirectory(cfg.ITUsers, cfg.LeadershipUsers),
		log:      logger.With("component", "console"),
		out:      out,
		user:     bot.User{ID: cfg.User, Name: cfg.User},
		posts:    map[string]string{},
		channels: map[string]bool{StaffRoom: true, TriageChannel: true, LeadershipChannel: true},
	}, nil
}

// Attach connects the bot whose commands the console runs.
func (c *Console) Attach(b *bot.Bot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bot = b
}

// Name implements bot.Platform.
func (c *Console) Name() string { return "console" }

// Welcome prints the greeting with the commands and who has which role.
func (c *Console) Welcome() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.say(c.t("console.welcome", map[string]any{"School": c.cfg.School}))
	c.say(c.t("console.roles", map[string]any{
		"IT": strings.Join(c.dir.ITNames(), ", "), "Leadership": strings.Join(c.dir.LeadershipNames(), ", "),
	}))
	c.say(c.t("console.switched", map[string]any{"User": c.user.Name, "Role": c.role(c.user)}))
}

// Run reads lines from in until EOF, /ende or ctx is done. When echo is
// set, as for piped input, each line is printed after its prompt so the
// output reads like a chat log.
func (c *Console) Run(ctx context.Context, in io.Reader, echo bool) error {
	c.mu.Lock()
	if c.bot == nil {
		c.mu.Unlock()
		return errors.New("console: no bot attached")
	}
	c.mu.Unlock()

	r := bufio.NewReaderSize(in, 4096)
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		c.prompt()
		line, tooLong, err := readLine(r, MaxLine)
		if errors.Is(err, io.EOF) && line == "" {
			if echo {
				fmt.Fprintln(c.out)
			}
			c.finish()
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("console: read input: %w", err)
		}
		if echo {
			c.echo(line, tooLong)
		}
		if tooLong {
			c.notice("console.line_too_long", map[string]any{"Max": MaxLine})
			continue
		}
		if !c.Line(ctx, line) {
			c.finish()
			return nil
		}
	}
}

// readLine reads one line without its line break. A line longer than max
// bytes is read to its end and reported as too long.
func readLine(r *bufio.Reader, max int) (line string, tooLong bool, err error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := r.ReadLine()
		if b.Len()+len(chunk) > max {
			tooLong = true
		} else {
			b.Write(chunk)
		}
		if err != nil {
			return b.String(), tooLong, err
		}
		if !isPrefix {
			return b.String(), tooLong, nil
		}
	}
}

// Line runs one input line, as typed by the current user, and reports
// whether to go on; it is false after /ende. Run calls it for every line.
func (c *Console) Line(ctx context.Context, line string) bool {
	if !utf8.ValidString(line) {
		c.notice("console.line_invalid", nil)
		return true
	}
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))

	c.mu.Lock()
	answering := c.form != nil
	c.mu.Unlock()
	if answering {
		c.answer(ctx, line)
		return true
	}

	if line == "" {
		return true
	}
	if m := reactionPattern.FindStringSubmatch(line); m != nil {
		c.react(ctx, m[1] == "+", m[2], m[3])
		return true
	}
	if !strings.HasPrefix(line, "/") {
		c.notice("console.unknown_input", nil)
		return true
	}

	cmd, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(cmd) {
	case "/störung", "/stoerung":
		c.command(ctx, cmd, rest)
	case "/als":
		c.switchUser(rest)
	case "/ende", "/exit", "/quit":
		return false
	default:
		c.notice("console.unknown_command", map[string]any{"Command": cmd})
	}
	return true
}

var reactionPattern = regexp.MustCompile(`^([+-]):([a-z0-9_+-]+):\s+#?([0-9]{1,12})$`)

func (c *Console) command(ctx context.Context, cmd, text string) {
	c.mu.Lock()
	u, b := c.user, c.bot
	c.mu.Unlock()

	reply := b.HandleCommand(ctx, bot.Command{
		User: u, ChannelID: StaffRoom, Command: cmd, Text: text, TriggerID: "console",
	})
	if reply.Text != "" {
		c.mu.Lock()
		c.printMessage(c.t("console.ephemeral", map[string]any{"User": u.Name}), bot.Message{Text: reply.Text})
		c.mu.Unlock()
	}
	c.askNext(ctx)
}

func (c *Console) switchUser(name string) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	if !namePattern.MatchString(name) {
		c.notice("console.name_invalid", map[string]any{"Name": name})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = bot.User{ID: name, Name: name}
	c.say(c.t("console.switched", map[string]any{"User": name, "Role": c.role(c.user)}))
}

func (c *Console) role(u bot.User) string {
	a := c.dir.Actor(u.ID, u.Name)
	switch {
	case a.IT && a.Leadership:
		return c.t("console.role.it_leadership", nil)
	case a.IT:
		return c.t("console.role.it", nil)
	case a.Leadership:
		return c.t("console.role.leadership", nil)
	}
	return c.t("console.role.teacher", nil)
}

func (c *Console) react(ctx context.Context, added bool, emoji, number string) {
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil {
		c.notice("console.ticket_unknown", map[string]any{"Number": number})
		return
	}
	c.mu.Lock()
	u, b := c.user, c.bot
	c.mu.Unlock()

	post, err := b.TicketPostOf(ctx, n)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		c.notice("console.ticket_unknown", map[string]any{"Number": n})
		return
	}
	if err != nil {
		c.log.ErrorContext(ctx, "look up ticket post", "error", err, "incident", n)
		c.notice("console.ticket_unknown", map[string]any{"Number": n})
		return
	}

	id := "console.reaction"
	if !added {
		id = "console.reaction_removed"
	}
	c.notice(id, map[string]any{"User": u.Name, "Emoji": emoji, "Number": n})
	err = b.HandleReaction(ctx, bot.Reaction{User: u, ChannelID: post.ChannelID, PostID: post.PostID, Emoji: emoji, Added: added})
	if err != nil {
		c.log.ErrorContext(ctx, "handle reaction", "error", err, "incident", n)
	}
}

// finish ends the session, telling the user when a form stays unanswered.
func (c *Console) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.form != nil {
		c.form = nil
		c.say(c.t("console.form_cancelled", nil))
	}
	c.say(c.t("console.bye", nil))
}

func (c *Console) t(id string, data map[string]any) string { return c.tr.T(id, data) }

// notice prints a console message under the lock.
func (c *Console) notice(id string, data map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.say(c.t(id, data))
}

// say prints one line of the console itself; the caller holds mu.
func (c *Console) say(text string) {
	fmt.Fprintf(c.out, "· %s\n", printable(text))
}

func (c *Console) prompt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.form != nil {
		fmt.Fprint(c.out, "  > ")
		return
	}
	fmt.Fprintf(c.out, "%s@%s> ", c.user.Name, StaffRoom)
}

func (c *Console) echo(line string, tooLong bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tooLong || !utf8.ValidString(line) {
		fmt.Fprintln(c.out, "…")
		return
	}
	fmt.Fprintln(c.out, printable(line))
}

// printable replaces control characters, so that escape sequences in
// typed or piped text cannot drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return '�'
		}
		return r
	}, s)
}
