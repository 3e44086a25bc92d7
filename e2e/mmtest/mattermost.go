package mmtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// readyTimeout bounds the wait for the first successful ping. The server
// first migrates its empty database, which took 3 to 20 seconds so far.
const readyTimeout = 120 * time.Second

// resourceDirs are read by the server from its working directory.
var resourceDirs = []string{"i18n", "templates", "fonts"}

// mattermost is a running server process.
type mattermost struct {
	cmd     *exec.Cmd
	logFile *os.File
	exited  chan struct{}
	waitErr error
	url     string
	socket  string
}

// mattermostLog returns the path of the server log below dir.
func mattermostLog(dir string) string {
	return filepath.Join(dir, "mattermost", "mattermost.log")
}

// startMattermost starts the server of binDir with workDir as working
// directory and waits until its ping endpoint reports OK. The returned
// process is nil only when nothing was started.
func startMattermost(ctx context.Context, binDir, workDir, dataSource string) (*mattermost, error) {
	if err := prepareWorkDir(binDir, workDir); err != nil {
		return nil, err
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}

	logFile, err := os.Create(filepath.Join(workDir, "mattermost.log"))
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}

	mm := &mattermost{
		logFile: logFile,
		exited:  make(chan struct{}),
		url:     fmt.Sprintf("http://127.0.0.1:%d", port),
		socket:  filepath.Join(workDir, "mattermost_local.socket"),
	}
	cmd := exec.Command(filepath.Join(binDir, "mattermost"), "server", "--config", filepath.Join(workDir, "config.json"))
	cmd.Dir = workDir
	cmd.Env = append(withoutMattermostEnv(os.Environ()), serverEnv(workDir, port, mm.url, mm.socket, dataSource)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = serverProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	mm.cmd = cmd

	go func() {
		mm.waitErr = cmd.Wait()
		close(mm.exited)
	}()

	return mm, mm.waitReady(ctx)
}

// prepareWorkDir creates workDir with links to the resource directories
// of the cached build, so that the server writes nothing into the cache.
func prepareWorkDir(binDir, workDir string) error {
	if err := os.Mkdir(workDir, 0o755); err != nil {
		return fmt.Errorf("create server dir: %w", err)
	}
	for _, name := range resourceDirs {
		if err := os.Symlink(filepath.Join(binDir, name), filepath.Join(workDir, name)); err != nil {
			return fmt.Errorf("link server resources: %w", err)
		}
	}
	return nil
}

// serverEnv returns the settings of the test server as MM_ variables.
// Everything that could reach beyond loopback is switched off.
func serverEnv(workDir string, port int, siteURL, socket, dataSource string) []string {
	settings := []string{
		"SQLSETTINGS_DRIVERNAME=postgres",
		"SQLSETTINGS_DATASOURCE=" + dataSource,
		fmt.Sprintf("SERVICESETTINGS_LISTENADDRESS=127.0.0.1:%d", port),
		"SERVICESETTINGS_SITEURL=" + siteURL,
		"SERVICESETTINGS_ENABLELOCALMODE=true",
		"SERVICESETTINGS_LOCALMODESOCKETLOCATION=" + socket,
		"SERVICESETTINGS_ENABLEBOTACCOUNTCREATION=true",
		"SERVICESETTINGS_ENABLEUSERACCESSTOKENS=true",
		"SERVICESETTINGS_ENABLECOMMANDS=true",
		"SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS=127.0.0.1 localhost",
		"TEAMSETTINGS_ENABLEOPENSERVER=true",
		"FILESETTINGS_DIRECTORY=" + filepath.Join(workDir, "data") + "/",
		"PLUGINSETTINGS_ENABLE=false",
		"PLUGINSETTINGS_DIRECTORY=" + filepath.Join(workDir, "plugins"),
		"PLUGINSETTINGS_CLIENTDIRECTORY=" + filepath.Join(workDir, "client", "plugins"),
		"EMAILSETTINGS_SENDEMAILNOTIFICATIONS=false",
		"LOGSETTINGS_ENABLEFILE=false",
		"NOTIFICATIONLOGSETTINGS_ENABLEFILE=false",

		// Calls home: notices, telemetry, error reports, security
		// bulletins, marketplace, push proxy and link previews.
		"ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED=false",
		"ANNOUNCEMENTSETTINGS_USERNOTICESENABLED=false",
		"LOGSETTINGS_ENABLEDIAGNOSTICS=false",
		"LOGSETTINGS_ENABLESENTRY=false",
		"SERVICESETTINGS_ENABLESECURITYFIXALERT=false",
		"PLUGINSETTINGS_ENABLEMARKETPLACE=false",
		"PLUGINSETTINGS_ENABLEREMOTEMARKETPLACE=false",
		"PLUGINSETTINGS_AUTOMATICPREPACKAGEDPLUGINS=false",
		"EMAILSETTINGS_SENDPUSHNOTIFICATIONS=false",
		"SERVICESETTINGS_ENABLELINKPREVIEWS=false",
		"IMAGEPROXYSETTINGS_ENABLE=false",
	}

	env := make([]string, 0, len(settings))
	for _, s := range settings {
		env = append(env, "MM_"+s)
	}
	return env
}

// withoutMattermostEnv drops MM_ variables of the caller, which would
// override the test settings.
func withoutMattermostEnv(environ []string) []string {
	filtered := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "MM_") {
			filtered = append(filtered, kv)
		}
	}
	return filtered
}

// waitReady polls the ping endpoint until it reports OK, the server
// exits or readyTimeout passes.
func (mm *mattermost) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()

	client := model.NewAPIv4Client(mm.url)
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()

	for {
		status, _, err := client.GetPing(ctx)
		if err == nil && status == model.StatusOk {
			return nil
		}

		select {
		case <-mm.exited:
			return fmt.Errorf("server exited before it was ready: %v", mm.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("server not ready at %s: %w (last ping: %v)", mm.url, ctx.Err(), err)
		case <-ticker.C:
		}
	}
}

// stop kills the server. A graceful stop would wait for the job watcher,
// which sleeps up to 15 seconds after start without noticing a stop, and
// the database is thrown away anyway.
func (mm *mattermost) stop() error {
	if mm == nil || mm.cmd == nil {
		return nil
	}
	defer mm.logFile.Close()

	if err := mm.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill server: %w", err)
	}
	<-mm.exited
	return nil
}
