package edge_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/internal/layout"
)

// get sends a GET for testRendition on c and returns the status of the
// answer (0 and the error when there is none).
func get(c net.Conn) (int, error) {
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := fmt.Fprintf(c, "GET %s%s HTTP/1.1\r\nHost: edge\r\n\r\n", layout.WebSeedPrefix, testRendition); err != nil {
		return 0, err
	}
	return readStatus(c)
}

// readStatus reads one answer from c and returns its status.
func readStatus(c net.Conn) (int, error) {
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// refusedWith sends a request on c and reads the refusal: its status,
// then the end of the connection.
func refusedWith(t *testing.T, c net.Conn) int {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: edge\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Retry-After") == "" || !bytes.Contains(body, []byte(`"status":`)) {
		t.Errorf("refusal %d without Retry-After or a problem body: %v %q", resp.StatusCode, resp.Header, body)
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("refused connection not closed: %d bytes, %v", n, err)
	}
	return resp.StatusCode
}

// busy opens a connection that is in the middle of its request headers:
// neither idle nor done, so nothing reclaims it.
func busy(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	c := dialFrom(t, src, addr)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConnLimits: connections beyond the limits are answered and closed,
// one address's share leaves room for others, and trusted proxies are
// exempt.
func TestConnLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     edge.Config
		held    []string // sources of the busy connections opened first
		src     string   // source of the next connection
		refused int      // its refusal status; 0: served
	}{
		{"over the limit", edge.Config{MaxConns: 2}, []string{"127.0.0.1", "127.0.0.2"}, "127.0.0.1", 503},
		{"within the limit", edge.Config{MaxConns: 3}, []string{"127.0.0.1", "127.0.0.2"}, "127.0.0.1", 0},
		{"over the address's share", edge.Config{MaxConnsPerIP: 2}, []string{"127.0.0.1", "127.0.0.1"}, "127.0.0.1", 429},
		{"another address", edge.Config{MaxConnsPerIP: 2}, []string{"127.0.0.1", "127.0.0.1"}, "127.0.0.2", 0},
		{"a trusted proxy", edge.Config{MaxConnsPerIP: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/30")}},
			[]string{"127.0.0.1", "127.0.0.1"}, "127.0.0.1", 0},
		{"the address's share before the limit", edge.Config{MaxConns: 2, MaxConnsPerIP: 2}, []string{"127.0.0.1", "127.0.0.1"}, "127.0.0.1", 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startEdge(t, tt.cfg, nil)
			for _, src := range tt.held {
				busy(t, src, e.addr)
			}
			c := dialFrom(t, tt.src, e.addr)
			if tt.refused == 0 {
				if status, err := get(c); status != 200 {
					t.Fatalf("GET: %d %v, want 200", status, err)
				}
				return
			}
			if got := refusedWith(t, c); got != tt.refused {
				t.Fatalf("refused with %d, want %d", got, tt.refused)
			}
		})
	}
}

// TestFullEdgeReclaimsWaitingConns: when the edge is full, the connection
// that has waited longest for a request makes room for a new one; a
// connection mid-request is never taken.
func TestFullEdgeReclaimsWaitingConns(t *testing.T) {
	t.Parallel()
	e := startEdge(t, edge.Config{MaxConns: 2}, nil)
	silent := dialFrom(t, "", e.addr)
	working := busy(t, "", e.addr)
	deadline := time.Now().Add(10 * time.Second)
	var status int
	for status != 200 && time.Now().Before(deadline) {
		// Refused (503) until the silent one has had its chance to speak.
		status, _ = get(dialFrom(t, "", e.addr))
	}
	if status != 200 {
		t.Fatalf("no room made: last status %d", status)
	}
	if err := silent.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := silent.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("silent connection: %d bytes, %v; want it closed", n, err)
	}
	if _, err := io.WriteString(working, "Host: edge\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if status, err := readStatus(working); status != 404 {
		t.Fatalf("the connection mid-request: %d %v, want its answer (404)", status, err)
	}
}

// flakyListener fails its first Accepts with errs, then accepts.
type flakyListener struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		l.mu.Unlock()
		return nil, err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

func acceptError(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestAcceptErrors: running out of descriptors (and the like) at accept
// is waited out, logged once for many; a broken listener ends Serve.
func TestAcceptErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		errs  []error
		serve bool   // Serve goes on
		log   string // the one line for them all
	}{
		{"EMFILE", []error{acceptError(syscall.EMFILE), acceptError(syscall.EMFILE), acceptError(syscall.EMFILE),
			acceptError(syscall.EMFILE), acceptError(syscall.EMFILE), acceptError(syscall.EMFILE)}, true, "too many open files"},
		{"ENFILE", []error{acceptError(syscall.ENFILE), acceptError(syscall.ENFILE)}, true, "too many open files in system"},
		{"aborted handshakes", []error{acceptError(syscall.ECONNABORTED), acceptError(syscall.ECONNABORTED)}, true, "connection abort"},
		{"a broken listener", []error{acceptError(syscall.EINVAL)}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			e := startEdge(t, edge.Config{}, &flakyListener{Listener: inner, errs: tt.errs})
			if !tt.serve {
				select {
				case err := <-e.done:
					if !errors.Is(err, syscall.EINVAL) {
						t.Fatalf("Serve returned %v, want the listener's error", err)
					}
					e.done <- err // for the cleanup's stop
				case <-time.After(10 * time.Second):
					t.Fatal("Serve goes on with a broken listener")
				}
				return
			}
			if status, err := get(dialFrom(t, "", e.addr)); status != 200 {
				t.Fatalf("GET after %d failed accepts: %d %v", len(tt.errs), status, err)
			}
			if err := e.stop(); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			lines := e.log.lines("accept failed", tt.log)
			if len(lines) != 2 || !strings.Contains(lines[0], "count=1") || !strings.Contains(lines[1], fmt.Sprintf("count=%d", len(tt.errs)-1)) {
				t.Errorf("want one line for the first error and one counting the %d others, got:\n%s", len(tt.errs)-1, strings.Join(lines, "\n"))
			}
		})
	}
}
