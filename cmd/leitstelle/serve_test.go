package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/e2e/mmtest"
)

type syncBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

// TestServeMattermost starts `leitstelle serve` from a config file, as the
// README describes, against a real Mattermost server and runs a command.
func TestServeMattermost(t *testing.T) {
	srv := mmtest.Start(t)
	// The README's set-up step: the bot is team admin, so it registers
	// its slash commands itself.
	if _, err := srv.Admin.UpdateTeamMemberRoles(t.Context(), srv.TeamID, srv.BotUserID, "team_user team_admin"); err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	config := `school = "gymnasium-test"
secret = "` + strings.Repeat("s", 40) + `"
it_users = ["it1", "it2"]
leadership_users = ["schulleitung"]

[database]
path = "` + filepath.Join(t.TempDir(), "serve.db") + `"

[mattermost]
url = "` + srv.URL + `"
team = "` + mmtest.TeamName + `"
triage_channel = "` + mmtest.TriageChannel + `"
leadership_channel = "` + mmtest.LeadershipChannel + `"
listen_addr = "` + addr + `"
public_url = "http://` + addr + `"
`
	path := writeConfig(t, config)
	// The token comes from the environment, as a school would keep it out
	// of the file.
	environ := map[string]string{"LEITSTELLE_MATTERMOST_BOT_TOKEN": srv.BotToken}
	stderr := &syncBuffer{}
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return environ[k] }}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, e) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
	}()

	var reply string
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, _, err := srv.Client(mmtest.TeacherName).ExecuteCommand(t.Context(), srv.TownSquareID, "/stoerung hilfe")
		if err == nil && resp != nil && resp.Text != "" {
			reply = resp.Text
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer to /stoerung hilfe: %v\n%s", err, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(reply, "IT-Störungen melden") {
		t.Errorf("help answer = %q", reply)
	}
}

// TestServeSlack starts `leitstelle serve` in Socket Mode against the fake
// Slack Web API and requests the help through a slash command envelope.
func TestServeSlack(t *testing.T) {
	fake := slackfake.MustStart(t, slackfake.DefaultConfig())
	teacher := fake.AddUser(slackfake.User{Name: "lehrerin.weber"})
	it := fake.AddUser(slackfake.User{Name: "it.yilmaz"})
	staffRoom := fake.AddChannel("lehrerzimmer", false, fake.Config().BotUserID, teacher, it)
	fake.AddChannel("it-stoerungen", false, it)

	config := `school = "gymnasium-test"
secret = "` + strings.Repeat("s", 40) + `"
it_users = ["it.yilmaz"]

[database]
path = "` + filepath.Join(t.TempDir(), "serve.db") + `"

[slack]
triage_channel = "it-stoerungen"
api_url = "` + fake.APIURL() + `"
`
	environ := map[string]string{
		"LEITSTELLE_SLACK_BOT_TOKEN": fake.Config().BotToken,
		"LEITSTELLE_SLACK_APP_TOKEN": fake.Config().AppToken,
	}
	stderr := &syncBuffer{}
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return environ[k] }}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", writeConfig(t, config)}, e) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
	}()

	waitUntil(t, "socket mode connection", func() bool { return fake.SocketConnections() > 0 })
	cmd := slackfake.SlashCommand{Command: "/stoerung", Text: "hilfe", ChannelID: staffRoom, UserID: teacher, UserName: "lehrerin.weber", TeamID: fake.Config().TeamID}
	id, err := fake.Send(slackfake.Envelope{Type: slackfake.EnvelopeSlashCommands, Payload: cmd.Payload()})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "acknowledgement", func() bool { return len(fake.Acks(id)) > 0 })
	if ack := string(fake.Acks(id)[0]); !strings.Contains(ack, "IT-Störungen melden") || !strings.Contains(ack, "/stoerung") {
		t.Errorf("acknowledgement = %s, want the help for /stoerung", ack)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
