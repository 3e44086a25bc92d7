package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leitstelle/leitstelle/incident"
)

// runCmd runs the command line with stdin as piped input and an empty
// environment, and returns its exit code and output.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(string) string { return "" },
	}
	code = run(context.Background(), args, e)
	return code, out.String(), errOut.String()
}

func readTranscript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "transcript.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func export(t *testing.T, db string) []exportedIncident {
	t.Helper()
	code, stdout, stderr := runCmd(t, "", "export", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("export exited %d: %s", code, stderr)
	}
	var list []exportedIncident
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, stdout)
	}
	return list
}

func TestPipedTranscriptThroughDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	code, stdout, stderr := runCmd(t, readTranscript(t), "console", "--db", db)
	if code != 0 {
		t.Fatalf("console exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, db) {
		t.Errorf("console did not say where the database is")
	}

	list := export(t, db)
	if len(list) != 3 {
		t.Fatalf("exported %d incidents, want 3:\n%s", len(list), stdout)
	}
	want := []struct {
		priority, status, claimer, category string
		urgency                             int
		closed                              bool
	}{
		{"P2", "geschlossen", "it", "netzwerk", 2, true},
		{"P1", "übernommen", "it", "lernplattform", 1, false},
		{"P4", "gemeldet", "", "drucker", 4, false},
	}
	for i, w := range want {
		got := list[i]
		if got.Number != int64(i+1) || got.Priority != w.priority || got.Status != statusOf(w.status) ||
			got.Claimer != w.claimer || string(got.Category) != w.category || got.Urgency != w.urgency {
			t.Errorf("incident %d = %+v, want %+v", i+1, got, w)
		}
		if (got.ClosedAt != nil) != w.closed {
			t.Errorf("incident %d closed_at = %v", i+1, got.ClosedAt)
		}
		if got.Reporter != "lehrkraft" {
			t.Errorf("incident %d reporter = %q", i+1, got.Reporter)
		}
	}
	if list[1].ClaimedAt == nil || list[0].ResolvedAt == nil || list[0].VerifiedAt == nil {
		t.Errorf("missing timestamps: %+v / %+v", list[0], list[1])
	}
	if !list[1].Exam {
		t.Error("exam flag of #2 lost")
	}
	if !strings.Contains(stdout, "~stoerung-0002-moodle") {
		t.Errorf("P1 coordination channel not announced:\n%s", stdout)
	}
	if !strings.Contains(stdout, "Nur das IT-Team kann Störungen übernehmen") {
		t.Errorf("teacher's 👀 was not refused:\n%s", stdout)
	}
}

func TestTranscriptIsInReadme(t *testing.T) {
	for _, name := range []string{"README.md", "README.de.md"} {
		readme, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), readTranscript(t)) {
			t.Errorf("%s does not contain testdata/transcript.txt verbatim", name)
		}
	}
}

func TestConsoleRunTwiceKeepsNumbers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	report := "/störung Beamer Raum 12 flackert\nRaum 12\n3\n3\n3\nnein\n"
	for range 2 {
		if code, stdout, stderr := runCmd(t, report, "console", "--db", db); code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	}
	list := export(t, db)
	if len(list) != 2 || list[1].Number != 2 || list[1].Priority != "P3" {
		t.Fatalf("after two runs: %+v", list)
	}
}

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"export of a missing file", []string{"export", "--db", filepath.Join(t.TempDir(), "missing.db")}, 1, "no such file"},
		{"unknown export format", []string{"export", "--db", "x.db", "--format", "xml"}, 1, "xml"},
		{"export without database", []string{"export", "--config", writeConfig(t, "[database]\npath = \"gone.db\"\n")}, 1, "gone.db"},
		{"export with stray argument", []string{"export", "--db", "x.db", "extra"}, 1, "extra"},
		{"placeholder secret", []string{"console", "--config", writeConfig(t, "secret = \"replace-with-the-output-of-openssl-rand-hex-32\"\n[database]\npath = \""+filepath.Join(t.TempDir(), "never.db")+"\"\n")}, 1, "placeholder"},
		{"missing config file", []string{"console", "--config", filepath.Join(t.TempDir(), "none.toml")}, 1, "none.toml"},
		{"unknown flag", []string{"console", "--colour"}, 1, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "leitstelle ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

func TestConfigFileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "leitstelle.toml")
	content := `school = "gymnasium-nord"
language = "en"
it_users = ["herr.schmidt"]
leadership_users = ["frau.direktorin"]
priority_matrix = ["P1 P1 P1 P1", "P2 P2 P2 P2", "P3 P3 P3 P3", "P4 P4 P4 P4"]

[database]
path = "` + filepath.Join(dir, "conf.db") + `"
`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LEITSTELLE_IT_USERS": "it.a, it.b", "LEITSTELLE_SCHOOL": "gym-sued"}
	cfg, err := loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.School != "gym-sued" || cfg.Language != "en" || strings.Join(cfg.ITUsers, ",") != "it.a,it.b" ||
		cfg.LeadershipUsers[0] != "frau.direktorin" || cfg.Database.Path != filepath.Join(dir, "conf.db") {
		t.Errorf("config = %+v", cfg)
	}
	bc, err := cfg.botConfig("triage", "", true)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := bc.Matrix.Priority(4, 1, false); p.String() != "P4" {
		t.Errorf("matrix from config not applied: I4/U1 = %s", p)
	}
	if _, err := cfg.botConfig("triage", "", false); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("chat platform without secret: err = %v", err)
	}

	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("schol = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(bad, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "schol") {
		t.Errorf("typo in key: err = %v", err)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "leitstelle.example.toml")
	cfg, err := loadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.botConfig("triage", "", false); err == nil {
		t.Error("the example's placeholder secret was accepted")
	}

	env := map[string]string{"LEITSTELLE_SECRET": strings.Repeat("ab", 32)}
	cfg, err = loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.botConfig("triage", "", false); err != nil {
		t.Errorf("example config with a secret does not validate: %v", err)
	}
}

func statusOf(s string) incident.Status { return incident.Status(s) }

// writeConfig writes content to a config file in a temp dir.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "leitstelle.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"no platform", "", "no chat platform configured"},
		{"two platforms", "[mattermost]\nurl = \"http://127.0.0.1:1\"\n[slack]\nbot_token = \"xoxb-1\"\n", "both"},
		{"mattermost without token", "[mattermost]\nurl = \"http://127.0.0.1:1\"\n", "[mattermost]"},
		{"slack without app token", "[slack]\nbot_token = \"xoxb-1\"\ntriage_channel = \"C1\"\n", "[slack]"},
		{"unknown key in section", "[mattermost]\nurll = \"x\"\n", "mattermost.urll"},
		{"no secret", "[mattermost]\nurl = \"http://127.0.0.1:1\"\nbot_token = \"t\"\n", "secret is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := "secret = \"" + strings.Repeat("x", 32) + "\"\n"
			if tt.name == "no secret" {
				secret = ""
			}
			path := writeConfig(t, secret+tt.config+"\n[database]\npath = \""+filepath.Join(t.TempDir(), "s.db")+"\"\n")
			code, _, stderr := runCmd(t, "", "serve", "--config", path)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 mentioning %q", code, stderr, tt.want)
			}
		})
	}
}

func TestRejectedConfigCreatesNoDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "never.db")
	config := writeConfig(t, "time_zone = \"Mars/Olympus\"\n[database]\npath = \""+db+"\"\n")
	if code, _, stderr := runCmd(t, "", "console", "--config", config); code != 1 || !strings.Contains(stderr, "Mars/Olympus") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a rejected configuration created the database")
	}
}
