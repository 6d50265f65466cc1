//go:build unix

package edge

import (
	"fmt"
	"syscall"
)

// openFileLimit is the process's limit on open descriptors (RLIMIT_NOFILE);
// Go has raised the soft limit to the hard one by the time main runs.
func openFileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("edge: read the open-file limit: %w", err)
	}
	return r.Cur, nil
}
