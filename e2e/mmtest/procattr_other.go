//go:build !linux

package mmtest

import "syscall"

// serverProcAttr returns nil: outside Linux the server is not tied to
// the test binary's lifetime.
func serverProcAttr() *syscall.SysProcAttr {
	return nil
}
