package contract

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/leitstelle/leitstelle/adapters/console"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// consoleUsers maps the scenario's roles to console user names.
var consoleUsers = map[string]string{Teacher: "lehrkraft", IT: "it", IT2: "it2", Leadership: "schulleitung"}

// consoleDesk types into a real console and reads what it prints.
type consoleDesk struct {
	console *console.Console
	store   *sqlstore.Store
	out     *lockedBuffer
	mu      sync.Mutex // serialises typing
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestConsoleContract(t *testing.T) {
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "contract.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	d := &consoleDesk{store: store, out: &lockedBuffer{}}
	it := []string{consoleUsers[IT], consoleUsers[IT2]}
	lead := []string{consoleUsers[Leadership]}
	d.console, err = console.New(console.Config{School: "contract", ITUsers: it, LeadershipUsers: lead}, d.out, logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.DefaultConfig()
	cfg.School = "contract"
	cfg.TriageChannelID = console.TriageChannel
	cfg.LeadershipChannelID = console.LeadershipChannel
	cfg.Secret = bytes.Repeat([]byte("c"), 32)
	cfg.ITUsers, cfg.LeadershipUsers = it, lead
	b, err := bot.New(cfg, bot.Deps{Store: store, Platform: d.console, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	d.console.Attach(b)

	Run(t, d)
	if t.Failed() {
		t.Logf("console output:\n%s", d.out.String())
	}
}

// typeAs switches to role and types lines.
func (d *consoleDesk) typeAs(role string, lines ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx := context.Background()
	d.console.Line(ctx, "/als "+consoleUsers[role])
	for _, l := range lines {
		d.console.Line(ctx, l)
	}
}

func (d *consoleDesk) Report(t *testing.T, role, text string, a Answers) {
	exam := "nein"
	if a.Exam {
		exam = "ja"
	}
	d.typeAs(role, "/störung "+text, a.Location, a.Category, fmt.Sprint(a.Impact), fmt.Sprint(a.Urgency), exam)
}

func (d *consoleDesk) Command(t *testing.T, role, text string) string {
	before := len(d.out.String())
	d.typeAs(role, "/störung "+text)
	var reply []string
	for _, blk := range blocks(d.out.String()[before:]) {
		if blk.header == "nur für "+consoleUsers[role] {
			reply = append(reply, blk.post.Text)
		}
	}
	return strings.Join(reply, "\n")
}

func (d *consoleDesk) React(t *testing.T, role string, n int64, emoji string, added bool) {
	sign := "+"
	if !added {
		sign = "-"
	}
	d.typeAs(role, fmt.Sprintf("%s:%s: #%d", sign, emoji, n))
}

func (d *consoleDesk) Ticket(t *testing.T, n int64) (Post, bool) {
	var found Post
	var ok bool
	for _, blk := range blocks(d.out.String()) {
		if strings.HasPrefix(blk.header, "~"+console.TriageChannel) && strings.Contains(blk.title, fmt.Sprintf("#%d ", n)) {
			found, ok = blk.post, true
		}
	}
	return found, ok
}

func (d *consoleDesk) DMs(t *testing.T, role string) []Post {
	var dms []Post
	for _, blk := range blocks(d.out.String()) {
		if blk.header == "Direktnachricht an "+consoleUsers[role] {
			dms = append(dms, blk.post)
		}
	}
	return dms
}

func (d *consoleDesk) Press(t *testing.T, role string, b Button) {
	d.typeAs(role, b.Ref)
}

var channelLine = regexp.MustCompile(`(?m)^· Privater Kanal ~(\S+) angelegt\. Mitglieder: (.*)$`)

func (d *consoleDesk) Coordination(t *testing.T, n int64) (string, []string, bool) {
	prefix := fmt.Sprintf("stoerung-%04d-", n)
	for _, m := range channelLine.FindAllStringSubmatch(d.out.String(), -1) {
		if !strings.HasPrefix(m[1], prefix) {
			continue
		}
		var roles []string
		for _, name := range strings.Split(m[2], ", ") {
			roles = append(roles, roleOf(consoleUsers, name))
		}
		return m[1], roles, true
	}
	return "", nil, false
}

func (d *consoleDesk) Incident(t *testing.T, n int64) *incident.Incident {
	t.Helper()
	inc, err := d.store.Get(context.Background(), "contract", n)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// roleOf maps a platform user name back to its role, or returns the name
// itself for a user outside the scenario.
func roleOf(users map[string]string, name string) string {
	for role, n := range users {
		if n == name {
			return role
		}
	}
	return name
}

// block is one message the console printed: its heading in brackets and
// the indented lines below it.
type block struct {
	header string
	title  string
	post   Post
}

var buttonLine = regexp.MustCompile(`^▌ \[([^\]]+)\] (.+)$`)

func blocks(out string) []block {
	var list []block
	var cur *block
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			list = append(list, block{header: strings.Trim(line, "[]")})
			cur = &list[len(list)-1]
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "  ") {
			cur = nil
			continue
		}
		body := strings.TrimPrefix(line, "  ")
		if m := buttonLine.FindStringSubmatch(body); m != nil {
			cur.post.Buttons = append(cur.post.Buttons, Button{Label: m[1], Ref: m[2]})
		}
		if cur.title == "" && strings.HasPrefix(body, "▌ ") {
			cur.title = strings.TrimPrefix(body, "▌ ") + " "
		}
		cur.post.Text += body + "\n"
	}
	return list
}
