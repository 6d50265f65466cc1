// Package btclient drives real desktop BitTorrent clients (qbittorrent-nox,
// aria2c) from tests, on loopback only, so the seeder's and the node's
// tests share one copy of that plumbing. Every call is bounded by a context
// or a deadline and every process dies with its test.
package btclient

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// NeedBinary returns the path of a client binary, skipping the test with a
// clear message when it is not installed.
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install it to run this test): %v", name, err)
	}
	return path
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Output collects a process's stdout and stderr; safe to read while the
// process writes.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Tail is the last n bytes written so far, for failure messages.
func (o *Output) Tail(n int) string { return Tail(o.String(), n) }

// Tail returns the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Process is a client process that dies with its test.
type Process struct {
	out  *Output
	done chan struct{}
	err  error // set before done is closed
}

// Output is the process's combined stdout and stderr.
func (p *Process) Output() *Output { return p.out }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns its exit error, or ctx's
// error if ctx ends first (the process is then left to the test's cleanup).
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StartProcess runs a command until it exits or the test ends (it is
// killed at cleanup), keeping its output for failure messages.
func StartProcess(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	p := &Process{out: &Output{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}
