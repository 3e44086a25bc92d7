//go:build linux

package mmtest

import "syscall"

// serverProcAttr makes the kernel kill the server when the test binary
// dies without cleanup, for example on a test timeout.
//
// NOTE: Linux sends the signal when the thread that started the server
// exits. Go rarely ends threads, so an orphaned server is unlikely but
// possible. PostgreSQL, started through pg_ctl, is not covered at all.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
