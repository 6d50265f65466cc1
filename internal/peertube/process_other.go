//go:build !linux

package peertube

import (
	"os/exec"
	"syscall"
)

// startTied starts cmd in its own process group (no parent-death signal
// outside Linux: a killed test binary may leave it running).
func startTied(cmd *exec.Cmd) (exited <-chan error, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done, nil
}
