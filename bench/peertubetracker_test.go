//go:build unix

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	peertubeTrackerDir    = "peertube-tracker" // package.json + server.js, next to this file
	peertubeTrackerModule = "node_modules/@peertube/bittorrent-tracker-server/package.json"
)

// startPeerTubeTracker starts PeerTube's tracker (server.js in
// peertube-tracker/, mounted as PeerTube mounts it) on a loopback port
// admitting hashes, installing it with npm first if needed, and stops it when
// the benchmark ends. It returns the address and the process id; the error
// wraps errTargetUnavailable when node or npm is missing or the install
// fails.
func startPeerTubeTracker(tb testing.TB, hashes [][20]byte) (addr string, pid int, err error) {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		return "", 0, fmt.Errorf("%w: node not installed: %w", errTargetUnavailable, err)
	}
	dir, err := filepath.Abs(peertubeTrackerDir)
	if err != nil {
		tb.Fatal(err)
	}
	if err := installPeerTubeTracker(dir); err != nil {
		return "", 0, fmt.Errorf("%w: %w", errTargetUnavailable, err)
	}

	tmp := tb.TempDir()
	var list strings.Builder
	for _, h := range hashes {
		list.WriteString(hex.EncodeToString(h[:]))
		list.WriteByte('\n')
	}
	known := filepath.Join(tmp, "infohashes.txt")
	if err := os.WriteFile(known, []byte(list.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "server.js"), known)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	addr, _ = startListeningChild(tb, cmd, "PeerTube tracker")
	return addr, cmd.Process.Pid, nil
}

// installPeerTubeTracker runs npm install in dir unless the module is there.
func installPeerTubeTracker(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, peertubeTrackerModule)); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm not installed: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-package-lock")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm install in %s: %w\n%s", dir, err, out)
	}
	return nil
}

// startListeningChild starts cmd, waits for the line "listening ADDR" on its
// stdout and returns ADDR and a channel closed when the process has exited.
// The process is stopped when the benchmark ends.
func startListeningChild(tb testing.TB, cmd *exec.Cmd, name string) (string, <-chan struct{}) {
	tb.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		// Read to the end, so the child never blocks on a full pipe, and only
		// then wait (Wait closes the pipe).
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				select {
				case addr <- a:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() { stopProcess(tb, cmd, exited, name) })
	select {
	case a := <-addr:
		return a, exited
	case <-exited:
		tb.Fatalf("%s exited before listening", name)
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s did not say it listens within 30 s", name)
	}
	return "", exited
}

// processCPUTime is the user+system CPU time a process has used so far
// (Linux /proc), or ok=false where that cannot be read.
func processCPUTime(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const clockTicks = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}
