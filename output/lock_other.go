//go:build !unix

package output

import "os"

// withFileLock runs fn; other systems get only the in-process lock.
func withFileLock(f *os.File, fn func() error) error { return fn() }
