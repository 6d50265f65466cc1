package peertube

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startTied starts cmd in its own process group, killed by the kernel if
// the test binary dies (its timeout, a kill -9): a PeerTube left running
// would hold its database and port. Linux sends the parent-death signal
// when the forking thread ends, so the goroutine that starts and waits is
// locked to its thread for the child's whole life.
func startTied(cmd *exec.Cmd) (exited <-chan error, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}
