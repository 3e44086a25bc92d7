package mmtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// defaultPGBinDir is where Debian's package postgresql puts version 15.
const defaultPGBinDir = "/usr/lib/postgresql/15/bin"

// pgUser is the system user that runs PostgreSQL when tests run as root,
// because initdb rejects root.
const pgUser = "postgres"

// database is the name of the server's database.
const database = "mattermost"

// postgres is a private PostgreSQL cluster on a loopback port.
type postgres struct {
	binDir  string
	dir     string
	port    int
	started bool
}

// pgBinDir returns LEITSTELLE_PG_BINDIR or the Debian default.
func pgBinDir() string {
	if dir := os.Getenv("LEITSTELLE_PG_BINDIR"); dir != "" {
		return dir
	}
	return defaultPGBinDir
}

// checkPostgres reports ErrUnavailable when a PostgreSQL binary, or as
// root the postgres user or runuser, is missing.
func checkPostgres() error {
	for _, name := range []string{"initdb", "pg_ctl", "createdb"} {
		path := filepath.Join(pgBinDir(), name)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%w: %s missing, install it with .ci/install-postgres.sh", ErrUnavailable, path)
		}
	}
	if os.Geteuid() != 0 {
		return nil
	}

	if _, err := user.Lookup(pgUser); err != nil {
		return fmt.Errorf("%w: user %s: %w", ErrUnavailable, pgUser, err)
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// postgresLog returns the path of the PostgreSQL log below dir.
func postgresLog(dir string) string {
	return filepath.Join(dir, "postgres", "postgres.log")
}

// startPostgres creates a cluster in dir, starts it on 127.0.0.1 and
// creates the server's database. The returned cluster is never nil, so
// that the caller can stop what was started.
func startPostgres(ctx context.Context, dir string) (*postgres, error) {
	pg := &postgres{binDir: pgBinDir(), dir: dir}
	if err := makeOwnedDir(dir); err != nil {
		return pg, err
	}

	port, err := freePort()
	if err != nil {
		return pg, err
	}
	pg.port = port

	// Trust on loopback only: the cluster lives as long as one test run.
	err = pg.run(ctx, "initdb", "-D", pg.dataDir(), "-A", "trust", "-U", pgUser,
		"-E", "UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return pg, err
	}

	// Durability is of no use to a throwaway cluster, so it is switched off for speed.
	options := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
		port, dir)
	err = pg.run(ctx, "pg_ctl", "start", "-D", pg.dataDir(), "-l", filepath.Join(dir, "postgres.log"),
		"-w", "-t", "60", "-o", options)
	if err != nil {
		return pg, err
	}
	pg.started = true

	err = pg.run(ctx, "createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", pgUser, database)
	return pg, err
}

// dataSource returns the server's connection URL of the database.
func (pg *postgres) dataSource() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=10", pgUser, pg.port, database)
}

func (pg *postgres) dataDir() string {
	return filepath.Join(pg.dir, "data")
}

// stop shuts the cluster down if it was started.
func (pg *postgres) stop() error {
	if !pg.started {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := pg.run(ctx, "pg_ctl", "stop", "-D", pg.dataDir(), "-m", "fast", "-w", "-t", "30"); err != nil {
		return err
	}
	pg.started = false
	return nil
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (pg *postgres) run(ctx context.Context, name string, args ...string) error {
	path := filepath.Join(pg.binDir, name)
	cmd := exec.CommandContext(ctx, path, args...)
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", pgUser, "--", path}, args...)...)
	}

	// The postgres user may not enter the test's working directory.
	cmd.Dir = pg.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s failed: %w\n%s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// makeOwnedDir creates dir, owned by the postgres user when we are root.
func makeOwnedDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create postgres dir: %w", err)
	}
	if os.Geteuid() != 0 {
		return nil
	}

	u, err := user.Lookup(pgUser)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", pgUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("parse uid %q of %s: %w", u.Uid, pgUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("parse gid %q of %s: %w", u.Gid, pgUser, err)
	}

	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("hand postgres dir to %s: %w", pgUser, err)
	}
	return nil
}
