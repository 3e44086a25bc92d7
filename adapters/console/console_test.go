package console

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// session runs input through a console with the demo users on a fresh
// SQLite file and returns the output and the store.
func session(t *testing.T, input string) (string, *sqlstore.Store) {
	t.Helper()
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "console.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return runOn(t, store, input), store
}

// runOn runs input through a new console on store and returns the output.
func runOn(t *testing.T, store *sqlstore.Store, input string) string {
	t.Helper()
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	c, err := New(Config{School: "demo", ITUsers: []string{DemoIT}, LeadershipUsers: []string{DemoLeadership}}, &out, logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.DefaultConfig()
	cfg.School = "demo"
	cfg.TriageChannelID = TriageChannel
	cfg.Secret = bytes.Repeat([]byte("k"), 32)
	cfg.ITUsers = []string{DemoIT}
	cfg.LeadershipUsers = []string{DemoLeadership}
	b, err := bot.New(cfg, bot.Deps{Store: store, Platform: c, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	c.Attach(b)
	if err := c.Run(context.Background(), strings.NewReader(input), true); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func incidents(t *testing.T, store *sqlstore.Store) []*incident.Incident {
	t.Helper()
	list, err := store.List(context.Background(), incident.Filter{School: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

const report = "/störung Beamer in Raum 12 bleibt schwarz\nRaum 12\n3\n3\n2\nnein\n"

func TestFormAcceptsNumberOrText(t *testing.T) {
	out, store := session(t, "/stoerung\nSmartboard friert ein\nRaum 7\nbeamer/smartboard\n4\nUnterricht stark eingeschränkt\nja\n")
	list := incidents(t, store)
	if len(list) != 1 {
		t.Fatalf("stored %d incidents, want 1\n%s", len(list), out)
	}
	inc := list[0]
	if inc.Category != incident.CategoryDisplay || inc.Impact != 4 || !inc.Exam || inc.Urgency != 1 || inc.Priority != incident.P3 {
		t.Errorf("stored %+v", inc)
	}
	if !strings.Contains(out, "Was ist gestört?") {
		t.Errorf("description was not asked without prefilled text:\n%s", out)
	}
}

func TestPrefilledDescriptionIsNotAsked(t *testing.T) {
	out, store := session(t, report)
	if strings.Contains(out, "Was ist gestört?") {
		t.Errorf("description asked although given with the command:\n%s", out)
	}
	if list := incidents(t, store); len(list) != 1 || list[0].Description != "Beamer in Raum 12 bleibt schwarz" {
		t.Fatalf("stored %+v", list)
	}
}

func TestUnknownOptionIsAskedAgain(t *testing.T) {
	out, store := session(t, "/störung WLAN weg\nRaum 1\n9\nKaffeemaschine\n1\n3\n3\nvielleicht\nnein\n")
	if n := strings.Count(out, "Bitte eine Zahl von 1 bis 7"); n != 2 {
		t.Errorf("category hint shown %d times, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "Bitte ja oder nein eingeben.") {
		t.Errorf("exam answer not refused:\n%s", out)
	}
	if list := incidents(t, store); len(list) != 1 || list[0].Category != incident.CategoryNetwork {
		t.Fatalf("stored %+v", list)
	}
}

func TestRejectedFieldIsAskedAgain(t *testing.T) {
	out, store := session(t, "/störung\n   \n"+strings.Repeat("x", 2500)+"\nRaum 3\n/als it\n4\n4\n4\n\nDrucker Raum 3 defekt\n")
	if !strings.Contains(out, "dieses Feld ist Pflicht") {
		t.Errorf("empty description not refused at once:\n%s", out)
	}
	if !strings.Contains(out, "Sie füllen gerade ein Formular aus") {
		t.Errorf("command inside the form taken as an answer:\n%s", out)
	}
	if !strings.Contains(out, "Bitte noch einmal:") || !strings.Contains(out, "2000") {
		t.Errorf("too long description not asked again with the bot's message:\n%s", out)
	}
	if list := incidents(t, store); len(list) != 1 || list[0].Description != "Drucker Raum 3 defekt" {
		t.Fatalf("stored %+v\n%s", list, out)
	}
}

func TestBadLinesChangeNothing(t *testing.T) {
	input := strings.Join([]string{
		"hallo",
		"/kaffee",
		"/als @all!",
		"/störung " + strings.Repeat("x", MaxLine+10),
		"/störung WLAN \xff kaputt",
		"+:eyes: #42",
		"/störung reparieren",
		"/störung Beamer flackert", "/abbrechen",
		"/störung Beamer Raum 9 aus", "Raum 9",
	}, "\n") + "\n"
	out, store := session(t, input)
	if list := incidents(t, store); len(list) != 0 {
		t.Fatalf("bad input stored %d incidents", len(list))
	}
	for _, want := range []string{
		"Das verstehe ich nicht.",
		"Den Befehl „/kaffee“ gibt es in der Konsole nicht.",
		"ist kein gültiger Name",
		"länger als 65536 Bytes",
		"ungültige Zeichen",
		"Ticket #42 gibt es nicht",
		"Den Befehl „reparieren“ kenne ich nicht.",
		"Das Formular wurde abgebrochen",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out, "Das Formular wurde abgebrochen") != 2 {
		t.Errorf("unfinished form at EOF not reported:\n%s", out)
	}
}

func TestReactionsClaimOnlyForIT(t *testing.T) {
	out, store := session(t, report+"+:eyes: #1\n/als it\n+:thumbsup: #1\n+:eyes: #1\n")
	list := incidents(t, store)
	if len(list) != 1 || list[0].Status != incident.StatusClaimed || list[0].ClaimerName != DemoIT {
		t.Fatalf("after reactions: %+v\n%s", list, out)
	}
	if !strings.Contains(out, "Nur das IT-Team kann Störungen übernehmen") {
		t.Errorf("teacher's 👀 not refused:\n%s", out)
	}

	out, store = session(t, report+"/als it\n+:eyes: #1\n-:eyes: #1\n")
	if list := incidents(t, store); list[0].Status != incident.StatusReported {
		t.Errorf("removing 👀 did not release: %s\n%s", list[0].Status, out)
	}
}

func TestButtonsShowTypedCommands(t *testing.T) {
	out, _ := session(t, report)
	if !strings.Contains(out, "[Übernehmen] /störung übernehmen #1") {
		t.Errorf("claim button without typed command:\n%s", out)
	}
	if !strings.Contains(out, "lehrkraft@lehrerzimmer> ") {
		t.Errorf("prompt lacks user and channel:\n%s", out)
	}
}

func TestTicketsOfEarlierRunsKeepTheirPosts(t *testing.T) {
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(t.TempDir(), "two-runs.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, input := range []string{report, report + "/als it\n+:eyes: #2\n"} {
		runOn(t, store, input)
	}
	list := incidents(t, store)
	byNumber := map[int64]*incident.Incident{}
	for _, inc := range list {
		byNumber[inc.Number] = inc
	}
	if byNumber[1].Status != incident.StatusReported || byNumber[2].Status != incident.StatusClaimed {
		t.Fatalf("👀 on #2 in the second run: #1 %s, #2 %s", byNumber[1].Status, byNumber[2].Status)
	}
	if byNumber[1].TriagePostID == byNumber[2].TriagePostID {
		t.Errorf("two runs gave the same post id %q", byNumber[1].TriagePostID)
	}
}

func TestEchoDropsTerminalEscapes(t *testing.T) {
	out, _ := session(t, "/als \x1b[31mit\n")
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape sequence echoed to the terminal: %q", out)
	}
}
