//go:build unix

package output

import (
	"fmt"
	"os"
	"syscall"
)

// withFileLock runs fn holding an exclusive flock on f, so that processes
// sharing an output directory never interleave manifest lines.
func withFileLock(f *os.File, fn func() error) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

// processAlive reports whether a process with this pid exists (signal 0:
// ESRCH means gone, EPERM means alive under another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
