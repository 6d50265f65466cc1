package origin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// leftoverExitWait bounds the wait for a killed leftover to be gone. SIGKILL
// cannot be caught, so only a process stuck in the kernel (on a hung network
// filesystem, say) takes longer, and the start should not hang on it.
const leftoverExitWait = 5 * time.Second

// endLeftover kills process pid if it is still one a previous run left at
// work in dir, and waits until it has exited, so that it writes nothing more
// there; ended reports whether it did. Gone or not ours is not an error.
//
// "Ours" means that an argument of its command line names a path inside dir
// (ffmpeg's are file: URLs of its outputs): a staging directory has a random
// name, so a process that has since been given the same pid does not. A
// pidfd holds the process from before that check until the signal, so the
// pid cannot change hands in between.
func endLeftover(pid int, dir string) (ended bool, err error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		// It exited since pidfd_open (the entry is gone, or reads ESRCH).
		return false, nil
	}
	// A zombie's command line is empty: it has already let go of its files.
	if !bytes.Contains(cmdline, []byte(dir+string(filepath.Separator))) {
		return false, nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return false, nil
		}
		return false, fmt.Errorf("kill %d: %w", pid, err)
	}
	if err := waitExit(fd, leftoverExitWait); err != nil {
		return true, fmt.Errorf("pid %d: %w", pid, err)
	}
	return true, nil
}

// waitExit waits until the process a pidfd refers to has exited (the pidfd
// turns readable then, whoever its parent is), for at most limit.
func waitExit(pidfd int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("still running %v after SIGKILL", limit)
		}
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll pidfd: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
}
