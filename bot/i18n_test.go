package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/leitstelle/leitstelle/incident"
)

func loadCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	var m map[string]string
	if _, err := toml.DecodeFile(filepath.Join("locales", "active."+lang+".toml"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	de, en := loadCatalog(t, "de"), loadCatalog(t, "en")
	for id := range de {
		if _, ok := en[id]; !ok {
			t.Errorf("%s is German only", id)
		}
	}
	for id := range en {
		if _, ok := de[id]; !ok {
			t.Errorf("%s is English only", id)
		}
	}
}

// usedIDs collects the message ids the bot's code names literally.
func usedIDs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`b\.t\("([a-z0-9_.]+)"\s*[,)]`)
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], ".") {
				seen[m[1]] = true
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestEveryUsedMessageExists(t *testing.T) {
	ids := usedIDs(t)
	if len(ids) < 40 {
		t.Fatalf("found only %d literal message ids; did the pattern break?", len(ids))
	}
	// Ids built at run time from a prefix and a domain value.
	for _, c := range incident.Categories {
		ids = append(ids, "category."+string(c))
	}
	for _, p := range []string{"1", "2", "3", "4"} {
		ids = append(ids, "impact."+p, "urgency."+p, "priority.P"+p)
	}
	for _, v := range []verb{verbEscalate, verbResolve, verbClose} {
		ids = append(ids, "form.note.title."+string(v), "form.note.submit."+string(v), "form.note."+string(v), "form.note.help."+string(v))
	}
	for _, kind := range []incident.EventKind{incident.EventClaimed, incident.EventUnclaimed, incident.EventEscalated,
		incident.EventResolved, incident.EventVerified, incident.EventReopened, incident.EventClosed,
		incident.EventWithdrawn, incident.EventDuplicate} {
		ids = append(ids, "action.done."+string(kind))
	}
	for _, reason := range []string{"claim_not_it", "claim_taken", "close_not_it", "escalate_not_it", "resolve_not_it",
		"unclaim_not_claimer", "verify_not_reporter", "reopen_not_reporter", "withdraw_not_reporter", "duplicate_not_it",
		"priority_not_allowed", "description_empty", "description_too_long", "description_invalid", "not_found"} {
		ids = append(ids, "error."+reason)
	}
	for _, code := range []string{incident.ECONFLICT, incident.EFORBIDDEN, incident.EINVALID, incident.ENOTFOUND} {
		ids = append(ids, "error.generic_"+code)
	}

	for _, lang := range Languages {
		catalog := loadCatalog(t, lang)
		for _, id := range ids {
			if strings.TrimSpace(catalog[id]) == "" {
				t.Errorf("%s: message %s is missing", lang, id)
			}
		}
	}
}

func TestEnglishIsSelectable(t *testing.T) {
	de, err := NewTranslator("de")
	if err != nil {
		t.Fatal(err)
	}
	en, err := NewTranslator("en")
	if err != nil {
		t.Fatal(err)
	}
	if got := de.T("form.report.title", nil); got != "Störung melden" {
		t.Errorf("German title = %q", got)
	}
	if got := en.T("form.report.title", nil); got == "" || got == de.T("form.report.title", nil) || strings.HasPrefix(got, "[") {
		t.Errorf("English title = %q", got)
	}
	if _, err := NewTranslator("fr"); err == nil {
		t.Error("unknown language accepted")
	}
}
