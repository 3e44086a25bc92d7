package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/leitstelle/leitstelle/e2e/mmtest"
	"github.com/leitstelle/leitstelle/incident"
	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

var (
	reporter = incident.Actor{ID: "u-teacher", Name: "lehrkraft"}
	itMember = incident.Actor{ID: "u-it", Name: "it", IT: true}
	start    = time.Date(2026, 12, 7, 7, 45, 0, 0, time.UTC)
)

// pgURL is the connection URL of the package's PostgreSQL cluster, empty
// when PostgreSQL is not installed and CI is not set.
var pgURL string

func TestMain(m *testing.M) {
	url, stop, err := mmtest.StartPostgresMain(context.Background())
	switch {
	case mmtest.Skippable(err):
		fmt.Fprintf(os.Stderr, "sqlstore: PostgreSQL tests skipped: %v\n", err)
	case err != nil:
		fmt.Fprintf(os.Stderr, "sqlstore: start PostgreSQL: %v\n", err)
		os.Exit(1)
	default:
		pgURL = url
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

var databases atomic.Int64

// eachBackend runs test against a store on a new SQLite file and on a new
// PostgreSQL database, so the SQL stays portable.
func eachBackend(t *testing.T, test func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := mustOpen(t)
		test(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		if pgURL == "" {
			t.Skip("PostgreSQL is not installed; .ci/install-postgres.sh installs it")
		}
		s, _ := openPostgres(t)
		test(t, s)
	})
}

// openPostgres creates a fresh database in the package's cluster and opens
// a store on it.
func openPostgres(tb testing.TB) (*sqlstore.Store, string) {
	tb.Helper()
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("leitstelle_test_%d", databases.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	s, err := sqlstore.Open(sqlstore.Options{Driver: "postgres", DSN: u.String(), Now: func() time.Time { return start }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, u.String()
}

// mustOpen opens a store on a new SQLite file in a temp dir.
func mustOpen(tb testing.TB) (*sqlstore.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "leitstelle.db")
	s, err := sqlstore.Open(sqlstore.Options{DSN: path, Now: func() time.Time { return start }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func newIncident(tb testing.TB, school, key string) (*incident.Incident, incident.Event) {
	tb.Helper()
	inc, ev, err := incident.NewIncident(incident.DefaultMatrix(), incident.Report{
		Description: "WLAN im Nordflügel ausgefallen", Location: "Nordflügel",
		Category: incident.CategoryNetwork, Impact: incident.ImpactWing, Urgency: incident.UrgencySevere,
	}, reporter, start)
	if err != nil {
		tb.Fatal(err)
	}
	inc.School = school
	inc.SubmissionKey = key
	return inc, ev
}

func TestStore_MigrateTwice(t *testing.T) {
	s, path := mustOpen(t)
	inc, ev := newIncident(t, "gym", "")
	if _, _, err := s.Create(context.Background(), inc, ev); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A second open runs the migrations again and keeps the data.
	s2, err := sqlstore.Open(sqlstore.Options{DSN: path})
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer s2.Close()
	got, err := s2.Get(context.Background(), "gym", 1)
	if err != nil {
		t.Fatalf("get after reopen: %v", err)
	}
	if got.Title != "WLAN im Nordflügel ausgefallen" {
		t.Errorf("title: got %q", got.Title)
	}

	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Errorf("schema_migrations rows: got %d, want 2", versions)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal mode: got %q, want wal", mode)
	}
}

func TestStore_ConcurrentReportsGetDistinctNumbers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		const n = 50

		var wg sync.WaitGroup
		numbers := make(chan int64, n)
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inc, ev := newIncident(t, "gym", "")
				stored, _, err := s.Create(context.Background(), inc, ev)
				if err != nil {
					errs <- err
					return
				}
				numbers <- stored.Number
			}()
		}
		wg.Wait()
		close(numbers)
		close(errs)

		for err := range errs {
			t.Errorf("create: %v", err)
		}
		seen := map[int64]bool{}
		for num := range numbers {
			if seen[num] {
				t.Errorf("number %d given twice", num)
			}
			seen[num] = true
		}
		if len(seen) != n {
			t.Fatalf("distinct numbers: got %d, want %d", len(seen), n)
		}
		for i := int64(1); i <= n; i++ {
			if !seen[i] {
				t.Errorf("number %d missing: numbers must be 1..%d", i, n)
			}
		}
	})
}

func TestStore_NumbersPerSchoolAndNeverReused(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		for i, school := range []string{"gym", "gym", "realschule", "gym"} {
			inc, ev := newIncident(t, school, "")
			stored, _, err := s.Create(ctx, inc, ev)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{1, 2, 1, 3}[i]
			if stored.Number != want {
				t.Errorf("report %d at %s: got number %d, want %d", i, school, stored.Number, want)
			}
		}

		// A withdrawn incident keeps its number and the next report gets a new one.
		if _, _, err := s.Update(ctx, "gym", 3, incident.Withdraw(reporter)); err != nil {
			t.Fatal(err)
		}
		inc, ev := newIncident(t, "gym", "")
		stored, _, err := s.Create(ctx, inc, ev)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Number != 4 {
			t.Errorf("after withdrawal: got number %d, want 4", stored.Number)
		}
	})
}

func TestStore_SubmissionKeyIsIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		inc, ev := newIncident(t, "gym", "form-abc")
		first, created, err := s.Create(ctx, inc, ev)
		if err != nil || !created {
			t.Fatalf("first create: created=%v err=%v", created, err)
		}
		again, ev2 := newIncident(t, "gym", "form-abc")
		second, created, err := s.Create(ctx, again, ev2)
		if err != nil {
			t.Fatal(err)
		}
		if created {
			t.Error("second create with the same key: created=true, want false")
		}
		if second.Number != first.Number {
			t.Errorf("second create: got number %d, want %d", second.Number, first.Number)
		}
		all, err := s.List(ctx, incident.Filter{School: "gym"})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 {
			t.Errorf("incidents: got %d, want 1", len(all))
		}
	})
}

func TestStore_UpdateAppendsTimeline(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		inc, ev := newIncident(t, "gym", "")
		if _, _, err := s.Create(ctx, inc, ev); err != nil {
			t.Fatal(err)
		}

		got, events, err := s.Update(ctx, "gym", 1, incident.Claim(itMember))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != incident.StatusClaimed || got.ClaimerName != "it" {
			t.Errorf("after claim: status %s claimer %q", got.Status, got.ClaimerName)
		}
		if len(events) != 1 || events[0].ID == 0 {
			t.Errorf("events: got %+v, want one stored event", events)
		}
		if _, _, err := s.Update(ctx, "gym", 1, incident.Resolve(itMember, "Access Point neu gestartet")); err != nil {
			t.Fatal(err)
		}

		timeline, err := s.Timeline(ctx, "gym", 1)
		if err != nil {
			t.Fatal(err)
		}
		kinds := []incident.EventKind{incident.EventReported, incident.EventClaimed, incident.EventResolved}
		if len(timeline) != len(kinds) {
			t.Fatalf("timeline: got %d events, want %d", len(timeline), len(kinds))
		}
		for i, k := range kinds {
			if timeline[i].Kind != k {
				t.Errorf("event %d: got %s, want %s", i, timeline[i].Kind, k)
			}
		}
		if timeline[2].Note != "Access Point neu gestartet" || timeline[2].ActorName != "it" {
			t.Errorf("resolve event: got %+v", timeline[2])
		}
	})
}

func TestStore_RejectedChangeWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		inc, ev := newIncident(t, "gym", "")
		if _, _, err := s.Create(ctx, inc, ev); err != nil {
			t.Fatal(err)
		}

		_, _, err := s.Update(ctx, "gym", 1, incident.Resolve(reporter, "geht wieder"))
		if incident.ErrorCode(err) != incident.EFORBIDDEN {
			t.Fatalf("teacher resolve: got %v, want forbidden", err)
		}
		got, err := s.Get(ctx, "gym", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != incident.StatusReported {
			t.Errorf("status: got %s, want %s", got.Status, incident.StatusReported)
		}
		timeline, _ := s.Timeline(ctx, "gym", 1)
		if len(timeline) != 1 {
			t.Errorf("timeline: got %d events, want 1", len(timeline))
		}
	})
}

func TestStore_NotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "gym", 42); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("get: got %v, want not found", err)
		}
		if _, _, err := s.Update(ctx, "gym", 42, incident.Claim(itMember)); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("update: got %v, want not found", err)
		}
		if _, err := s.GetByTriagePost(ctx, "nope"); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("by post: got %v, want not found", err)
		}
	})
}

func TestStore_TriagePostLookup(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		inc, ev := newIncident(t, "gym", "")
		if _, _, err := s.Create(ctx, inc, ev); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTriagePost(ctx, "gym", 1, "post-xyz"); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetByTriagePost(ctx, "post-xyz")
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != 1 {
			t.Errorf("number: got %d, want 1", got.Number)
		}
	})
}

func TestStore_FirstDelivery(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		for i, want := range []bool{true, false, false} {
			got, err := s.FirstDelivery(ctx, "Ev0123")
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("delivery %d: got %v, want %v", i+1, got, want)
			}
		}
		if got, _ := s.FirstDelivery(ctx, "Ev0124"); !got {
			t.Error("other key: got false, want true")
		}
	})
}

func TestStore_ListFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			inc, ev := newIncident(t, "gym", fmt.Sprintf("k%d", i))
			if i == 2 {
				inc.ReporterID = "u-someone-else"
			}
			if _, _, err := s.Create(ctx, inc, ev); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.Update(ctx, "gym", 1, incident.Withdraw(reporter)); err != nil {
			t.Fatal(err)
		}

		mine, _ := s.List(ctx, incident.Filter{School: "gym", ReporterID: reporter.ID})
		if len(mine) != 2 {
			t.Errorf("by reporter: got %d, want 2", len(mine))
		}
		open, _ := s.List(ctx, incident.Filter{School: "gym", OpenOnly: true})
		if len(open) != 2 {
			t.Errorf("open: got %d, want 2", len(open))
		}
		limited, _ := s.List(ctx, incident.Filter{School: "gym", Limit: 1})
		if len(limited) != 1 {
			t.Errorf("limit 1: got %d", len(limited))
		}
	})
}

func TestStore_MigrateTwicePostgres(t *testing.T) {
	if pgURL == "" {
		t.Skip("PostgreSQL is not installed; .ci/install-postgres.sh installs it")
	}
	s, dsn := openPostgres(t)
	inc, ev := newIncident(t, "gym", "")
	if _, _, err := s.Create(context.Background(), inc, ev); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := sqlstore.Open(sqlstore.Options{Driver: "postgres", DSN: dsn})
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer s2.Close()
	if got, err := s2.Get(context.Background(), "gym", 1); err != nil || got.Location != "Nordflügel" {
		t.Fatalf("get after reopen: %+v, %v", got, err)
	}

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions int
	if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Errorf("schema_migrations rows: got %d, want 2", versions)
	}
}

func TestStore_ConcurrentOpenOfNewDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlstore.Open(sqlstore.Options{DSN: path})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("open while others migrate: %v", err)
		}
	}
}

func TestStore_MigratesVersionOneDatabase(t *testing.T) {
	s, path := mustOpen(t)
	inc, ev := newIncident(t, "gym", "")
	if _, _, err := s.Create(context.Background(), inc, ev); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Turn the file back into what version 1 left behind.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"ALTER TABLE incidents DROP COLUMN coordination_link",
		"ALTER TABLE incidents DROP COLUMN coordination_post_id",
		"DELETE FROM schema_migrations WHERE version = 2",
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()

	s2, err := sqlstore.Open(sqlstore.Options{DSN: path})
	if err != nil {
		t.Fatalf("open version 1 database: %v", err)
	}
	defer s2.Close()
	if err := s2.SetCoordinationPost(context.Background(), "gym", 1, "post-42"); err != nil {
		t.Fatalf("new column after migration: %v", err)
	}
	got, err := s2.Get(context.Background(), "gym", 1)
	if err != nil || got.CoordinationPostID != "post-42" || got.Location != "Nordflügel" {
		t.Fatalf("after migration: %+v, %v", got, err)
	}
}

func TestStore_PathWithHashAndQuestionMark(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "schule#1?neu")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "leitstelle.db")
	s, err := sqlstore.Open(sqlstore.Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %s: %v", path, err)
	}
}

func TestStore_ConcurrentSameSubmission(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		const n = 10
		numbers := make(chan int64, n)
		created := make(chan bool, n)

		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inc, ev := newIncident(t, "gym", "form:same")
				stored, isNew, err := s.Create(context.Background(), inc, ev)
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
				numbers <- stored.Number
				created <- isNew
			}()
		}
		wg.Wait()
		close(numbers)
		close(created)

		for num := range numbers {
			if num != 1 {
				t.Errorf("number %d, want every submission to return #1", num)
			}
		}

		fresh := 0
		for isNew := range created {
			if isNew {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d submissions reported as new, want 1", fresh)
		}
	})
}
