package mmtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// tailLines is how many lines of each log LogTail shows.
const tailLines = 40

// start builds or finds the server, starts PostgreSQL and Mattermost in
// a new temporary directory and creates the school fixture. On error it
// logs the tails of both logs and cleans up.
func start(ctx context.Context, logf func(string, ...any)) (*Server, error) {
	if err := checkPostgres(); err != nil {
		return nil, err
	}

	began := time.Now()
	binDir, err := buildServer(ctx)
	if err != nil {
		return nil, err
	}
	logf("server binary ready in %s: %s", time.Since(began).Round(time.Millisecond), binDir)

	dir, err := os.MkdirTemp("", "mmtest-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}

	// PostgreSQL runs as another user and must reach its subdirectory.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, errors.Join(fmt.Errorf("open temp dir to postgres: %w", err), os.RemoveAll(dir))
	}

	srv := &Server{Dir: dir, logf: logf}
	began = time.Now()
	if err := srv.boot(ctx, binDir); err != nil {
		logf("%s", srv.LogTail())
		return nil, errors.Join(err, srv.Stop())
	}
	logf("mattermost at %s ready with fixture in %s", srv.URL, time.Since(began).Round(time.Millisecond))
	return srv, nil
}

// boot starts PostgreSQL and the server and fills the server.
func (s *Server) boot(ctx context.Context, binDir string) error {
	pg, err := startPostgres(ctx, filepath.Join(s.Dir, "postgres"))
	s.pg = pg
	if err != nil {
		return err
	}

	// The server's working directory also holds its log.
	mm, err := startMattermost(ctx, binDir, filepath.Join(s.Dir, "mattermost"), pg.dataSource())
	s.mm = mm
	if err != nil {
		return err
	}
	s.URL = mm.url
	s.LocalSocket = mm.socket

	return s.createSchool(ctx)
}

// buildServer returns the directory with the server binary: the one
// named by LEITSTELLE_MATTERMOST_DIR, or else the one build.sh prints.
func buildServer(ctx context.Context) (string, error) {
	if dir := os.Getenv("LEITSTELLE_MATTERMOST_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "mattermost")); err != nil {
			return "", fmt.Errorf("%w: LEITSTELLE_MATTERMOST_DIR: %w", ErrUnavailable, err)
		}
		return dir, nil
	}

	script, err := findBuildScript()
	if err != nil {
		return "", err
	}

	var stdout, stderr strings.Builder
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s failed: %w\n%s", ErrUnavailable, script, err, tail(stderr.String(), tailLines))
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

// findBuildScript looks for e2e/mattermost/build.sh in the working
// directory and its parents, so that tests of any package find it.
func findBuildScript() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find build.sh: %w", err)
	}

	for dir := wd; ; dir = filepath.Dir(dir) {
		script := filepath.Join(dir, "e2e", "mattermost", "build.sh")
		if _, err := os.Stat(script); err == nil {
			return script, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: e2e/mattermost/build.sh not found in %s or above", ErrUnavailable, wd)
		}
	}
}

// LogTail returns the last lines of the PostgreSQL and Mattermost logs.
func (s *Server) LogTail() string {
	var b strings.Builder
	for _, path := range []string{postgresLog(s.Dir), mattermostLog(s.Dir)} {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(&b, "--- last lines of %s\n%s\n", path, tail(string(data), tailLines))
	}
	return b.String()
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()

	return l.Addr().(*net.TCPAddr).Port, nil
}
