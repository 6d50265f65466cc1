//go:build unix

package bench

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	opentrackerBinary       = "/usr/bin/opentracker"
	opentrackerAnnouncePath = "/announce"
)

// opentrackerConfig listens on TCP only; Debian builds opentracker with a
// whitelist, read after the chroot to rootdir, hence the relative path.
const opentrackerConfig = `listen.tcp %s
access.whitelist whitelist.txt
tracker.rootdir %s
`

// startOpentracker starts Debian's opentracker on a loopback port admitting
// hashes, and stops it when the benchmark ends. It returns the address and
// the process id; the error wraps errTargetUnavailable when the package is
// not installed.
func startOpentracker(tb testing.TB, hashes [][20]byte) (addr string, pid int, err error) {
	tb.Helper()
	if _, err := os.Stat(opentrackerBinary); err != nil {
		return "", 0, fmt.Errorf("%w: opentracker not installed (apt-get install opentracker): %w", errTargetUnavailable, err)
	}
	dir := tb.TempDir()
	var list strings.Builder
	for _, h := range hashes {
		list.WriteString(hex.EncodeToString(h[:]))
		list.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "whitelist.txt"), []byte(list.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	addr = freeLoopbackAddr(tb)
	conf := filepath.Join(dir, "opentracker.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(opentrackerConfig, addr, dir)), 0o644); err != nil {
		tb.Fatal(err)
	}
	// As root, opentracker chroots to dir and then runs as nobody, which
	// must be able to read the whitelist there.
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(opentrackerBinary, "-f", conf)
	logPath := filepath.Join(dir, "opentracker.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = logFile.Close() }() // the child keeps its own descriptor
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start opentracker: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() { stopProcess(tb, cmd, exited, "opentracker") })
	if err := waitListening(addr, exited, 10*time.Second); err != nil {
		log, _ := os.ReadFile(logPath)
		tb.Fatalf("opentracker did not come up: %v\n%s", err, log)
	}
	return addr, cmd.Process.Pid, nil
}

// stopProcess sends SIGTERM and kills the process if it lingers.
func stopProcess(tb testing.TB, cmd *exec.Cmd, exited <-chan struct{}, name string) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		tb.Logf("%s ignored SIGTERM; killing it", name)
		_ = cmd.Process.Kill()
		<-exited
	}
}
