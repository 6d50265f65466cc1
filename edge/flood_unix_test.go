//go:build unix

package edge_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
)

// floodChildEnv makes TestFileLimitFlood the server (in a child process)
// instead of the client; its value is the server's MaxConns.
const floodChildEnv = "PEEREDGE_EDGE_FLOOD_CHILD"

// The server's open-file limit and header timeout in TestFileLimitFlood.
const (
	floodFileLimit     = 1024
	floodHeaderTimeout = 2 * time.Second
)

// TestFileLimitFlood opens silent connections to an edge whose process may
// open 1,024 files, as many as the limit or more: the edge must keep
// serving, close the silent ones at the header timeout, and never stop.
// The server runs in a child process (this test binary again), so that
// its lowered limit does not touch the other tests.
func TestFileLimitFlood(t *testing.T) {
	if v := os.Getenv(floodChildEnv); v != "" {
		floodServer(t, v)
		return
	}
	if testing.Short() {
		t.Skip("opens a thousand connections")
	}
	t.Parallel()
	tests := []struct {
		name     string
		maxConns int // 0: the edge's share of the file limit
		silent   int
		// The silent connections are all closed within lifetime; another
		// client is served within served.
		lifetime, served time.Duration
		emfile           bool // accept fails on the way, and is retried
	}{
		// The edge takes half the limit; the rest are refused at once, and
		// the oldest silent ones make room for clients that speak.
		{"the derived limit", 0, 1000, floodHeaderTimeout, time.Second, false},
		// A limit above the file limit: accept fails with EMFILE until the
		// silent ones time out, and the connections waiting in the
		// listen queue are taken then.
		{"a limit past the file limit", 4096, 1100, 2 * floodHeaderTimeout, floodHeaderTimeout, true},
	}
	const slack = 3 * time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFloodServer(t, tt.maxConns)

			type end struct {
				life   time.Duration
				answer string // the status line, if any
			}
			ends := make(chan end, tt.silent)
			var conns []net.Conn
			for range tt.silent {
				c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
				if err != nil {
					t.Fatalf("dial #%d: %v", len(conns)+1, err)
				}
				conns = append(conns, c)
				opened := time.Now()
				go func() {
					_ = c.SetReadDeadline(opened.Add(tt.lifetime + 2*slack))
					b, _ := io.ReadAll(io.LimitReader(c, 4096))
					line, _, _ := strings.Cut(string(b), "\r\n")
					ends <- end{time.Since(opened), line}
				}()
			}
			t.Cleanup(func() {
				for _, c := range conns {
					_ = c.Close()
				}
			})
			flooded := time.Now()

			// Another client, asking every 100 ms until it is answered 200.
			var statuses []int
			var served time.Duration
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for served == 0 && time.Since(flooded) < tt.served+slack {
				c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				status, _ := get(c)
				c.Close()
				statuses = append(statuses, status)
				if status == 200 {
					served = time.Since(flooded)
					break
				}
				<-tick.C
			}
			if served == 0 {
				t.Errorf("another client was not served within %v: statuses %v", tt.served+slack, statuses)
			}

			answers := map[string]int{}
			var longest time.Duration
			for range tt.silent {
				e := <-ends
				answers[e.answer]++
				longest = max(longest, e.life)
			}
			if longest > tt.lifetime+slack {
				t.Errorf("a silent connection lived %v, want at most %v", longest, tt.lifetime+slack)
			}
			t.Logf("%d silent connections under a %d file limit: answers %v, the longest lived %v; another client served after %v (statuses before: %v)",
				tt.silent, floodFileLimit, answers, longest.Round(time.Millisecond), served.Round(time.Millisecond), statuses[:len(statuses)-1])

			c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if status, err := get(c); status != 200 {
				t.Errorf("after the flood: %d %v", status, err)
			}
			log := srv.stop(t)
			if n := strings.Count(log, "accept failed"); n > 3 || tt.emfile != strings.Contains(log, "too many open files") {
				t.Errorf("%d lines on failed accepts, want them counted in a few, and EMFILE met: %v", n, tt.emfile)
			}
			if strings.Contains(log, "msg=fasthttp") {
				t.Error("fasthttp refused or failed on its own")
			}
			t.Logf("server log:\n%s", log)
		})
	}
}

// floodChild is the server process of TestFileLimitFlood.
type floodChild struct {
	addr   string
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *logBuffer
	exited chan error
}

func startFloodServer(t *testing.T, maxConns int) *floodChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileLimitFlood$")
	cmd.Env = append(os.Environ(), floodChildEnv+"="+strconv.Itoa(maxConns))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ch := &floodChild{cmd: cmd, stdin: stdin, stderr: &logBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-ch.exited
		if t.Failed() {
			t.Logf("server process output:\n%s", ch.stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		// The first line is the address; the rest (the test's verdict) is
		// drained so that the child never blocks on it.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		ch.exited <- cmd.Wait()
	}()
	select {
	case ch.addr = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("the server process did not start")
	}
	if _, _, err := net.SplitHostPort(ch.addr); err != nil {
		t.Fatalf("the server process said %q, not an address", ch.addr)
	}
	return ch
}

// stop ends the server process, which must still be running, and returns
// its log.
func (ch *floodChild) stop(t *testing.T) string {
	t.Helper()
	select {
	case err := <-ch.exited:
		ch.exited <- err
		t.Fatalf("the server process had exited: %v", err)
	default:
	}
	ch.stdin.Close()
	select {
	case err := <-ch.exited:
		ch.exited <- err
		if err != nil {
			t.Errorf("the server process: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server process did not stop")
	}
	return ch.stderr.String()
}

// floodServer serves an edge under the lowered file limit until its stdin
// closes, then writes its log to stderr.
func floodServer(t *testing.T, maxConns string) {
	n, err := strconv.Atoi(maxConns)
	if err != nil {
		t.Fatal(err)
	}
	lim := syscall.Rlimit{Cur: floodFileLimit, Max: floodFileLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	e := startEdge(t, edge.Config{MaxConns: n, HeaderTimeout: floodHeaderTimeout}, nil)
	fmt.Println(e.addr)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
		err = e.stop()
	case err = <-e.done:
		err = fmt.Errorf("Serve returned by itself: %v", err)
	}
	fmt.Fprint(os.Stderr, e.log.String())
	if err != nil {
		t.Fatal(err)
	}
}
