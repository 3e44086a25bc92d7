package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// exportedIncident is one incident in the JSON export. Times are RFC 3339
// in UTC; a step that has not happened is null.
type exportedIncident struct {
	School      string            `json:"school"`
	Number      int64             `json:"number"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Location    string            `json:"location"`
	Category    incident.Category `json:"category"`
	Impact      int               `json:"impact"`
	Urgency     int               `json:"urgency"`
	Exam        bool              `json:"exam"`
	Priority    string            `json:"priority"`
	Status      incident.Status   `json:"status"`
	Reporter    string            `json:"reporter"`
	Claimer     string            `json:"claimer"`
	EscalatedTo string            `json:"escalated_to"`
	DuplicateOf int64             `json:"duplicate_of,omitempty"`
	ReportedAt  string            `json:"reported_at"`
	ClaimedAt   *string           `json:"claimed_at"`
	EscalatedAt *string           `json:"escalated_at"`
	ResolvedAt  *string           `json:"resolved_at"`
	VerifiedAt  *string           `json:"verified_at"`
	ClosedAt    *string           `json:"closed_at"`
}

func runExport(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dbPath := fs.String("db", "", "SQLite file to read (default database.path from the config)")
	cfgPath := fs.String("config", "", "config file (default ./leitstelle.toml when it exists)")
	format := fs.String("format", "json", "output format; json is the only one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	}
	if *format != "json" {
		return fmt.Errorf("export: format %q is unknown, want json", *format)
	}

	cfg, err := loadConfig(*cfgPath, e.getenv)
	if err != nil {
		return err
	}
	if *dbPath != "" {
		cfg.Database.Driver, cfg.Database.Path = "sqlite", *dbPath
	}
	// Exporting must not create an empty database, such as when run in
	// the wrong directory.
	if cfg.Database.Driver == "" || cfg.Database.Driver == "sqlite" {
		if _, err := os.Stat(cfg.Database.Path); err != nil {
			return fmt.Errorf("export: database %s: %w; name the file with --db", cfg.Database.Path, err)
		}
	}
	store, _, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	list, err := store.List(ctx, incident.Filter{})
	if err != nil {
		return fmt.Errorf("export: list incidents: %w", err)
	}
	// The store lists newest first; an export reads best in number order.
	slices.SortFunc(list, func(a, b *incident.Incident) int {
		return cmp.Or(strings.Compare(a.School, b.School), cmp.Compare(a.Number, b.Number))
	})
	out := make([]exportedIncident, len(list))
	for i, inc := range list {
		out[i] = exportIncident(inc)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func exportIncident(inc *incident.Incident) exportedIncident {
	return exportedIncident{
		School: inc.School, Number: inc.Number, Title: inc.Title, Description: inc.Description,
		Location: inc.Location, Category: inc.Category, Impact: int(inc.Impact), Urgency: int(inc.Urgency),
		Exam: inc.Exam, Priority: inc.Priority.String(), Status: inc.Status,
		Reporter: inc.ReporterName, Claimer: inc.ClaimerName, EscalatedTo: inc.EscalatedTo, DuplicateOf: inc.DuplicateOf,
		ReportedAt: inc.ReportedAt.UTC().Format(time.RFC3339),
		ClaimedAt:  rfc3339(inc.ClaimedAt), EscalatedAt: rfc3339(inc.EscalatedAt),
		ResolvedAt: rfc3339(inc.ResolvedAt), VerifiedAt: rfc3339(inc.VerifiedAt), ClosedAt: rfc3339(inc.ClosedAt),
	}
}

func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
