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
