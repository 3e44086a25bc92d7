package mmtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// StartPostgres starts a throwaway PostgreSQL cluster on 127.0.0.1 for one
// test, without Mattermost, and returns the connection URL of an empty
// database. Like Start, it skips the test when PostgreSQL is missing, or
// fails it when the environment variable CI is set.
func StartPostgres(tb testing.TB) string {
	tb.Helper()
	if err := checkPostgres(); err != nil {
		if Skippable(err) {
			tb.Skipf("mmtest: %v", err)
		}
		tb.Fatalf("mmtest: %v", err)
	}

	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("mmtest: create temp dir: %v", err)
	}
	// PostgreSQL runs as another user and must reach its subdirectory.
	if err := os.Chmod(dir, 0o711); err != nil {
		tb.Fatalf("mmtest: open temp dir to postgres: %v", err)
	}

	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Minute)
	defer cancel()
	pg, err := startPostgres(ctx, filepath.Join(dir, "postgres"))
	tb.Cleanup(func() {
		if tb.Failed() {
			if log, err := os.ReadFile(postgresLog(dir)); err == nil {
				tb.Logf("postgres log:\n%s", tail(string(log), tailLines))
			}
		}
		if err := pg.stop(); err != nil {
			tb.Errorf("mmtest: stop postgres: %v", err)
		}
		os.RemoveAll(dir)
	})
	if err != nil {
		tb.Fatalf("mmtest: start postgres: %v", err)
	}
	return pg.dataSource()
}

// StartPostgresMain starts a throwaway PostgreSQL cluster for all tests of
// a package, from TestMain, and returns the connection URL of an empty
// database. The caller runs stop when the tests are done. When
// Skippable(err) reports true, the caller may skip its tests.
func StartPostgresMain(ctx context.Context) (dataSource string, stop func(), err error) {
	if err := checkPostgres(); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return "", nil, fmt.Errorf("create temp dir: %w", err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("open temp dir to postgres: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pg, err := startPostgres(ctx, filepath.Join(dir, "postgres"))
	stop = func() {
		if err := pg.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "mmtest: stop postgres: %v\n", err)
		}
		os.RemoveAll(dir)
	}
	if err != nil {
		if log, readErr := os.ReadFile(postgresLog(dir)); readErr == nil {
			err = fmt.Errorf("%w\n%s", err, tail(string(log), tailLines))
		}
		stop()
		return "", nil, err
	}
	return pg.dataSource(), stop, nil
}
