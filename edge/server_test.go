package edge_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/internal/layout"
)

// Helpers shared by the tests that run the edge on a real loopback port.

// testRendition is a media file every test edge serves, by its WebSeed URL.
const testRendition = "a44521d0-0fb8-4ade-8002-3385545c3318-240-fragmented.mp4"

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines holding every one of words.
func (b *logBuffer) lines(words ...string) []string {
	var out []string
	for l := range strings.SplitSeq(b.String(), "\n") {
		ok := l != ""
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// testEdge is an edge server on a loopback listener.
type testEdge struct {
	addr string // host:port
	log  *logBuffer
	stop func() error // stops the server and returns what Serve returned
	done chan error   // Serve's result, once it returns by itself
}

// startEdge serves cfg on ln (a new 127.0.0.1 listener when nil), with a
// media directory holding testRendition and a logger into a buffer.
func startEdge(t testing.TB, cfg edge.Config, ln net.Listener) *testEdge {
	t.Helper()
	disk, err := layout.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	uuid, _, _ := layout.ParseRenditionFileName(testRendition)
	if err := os.MkdirAll(disk.HLSDir(uuid), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(disk.HLSDir(uuid), testRendition), []byte("rung bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cfg.MediaDir = disk.MediaDir()
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	srv, err := edge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &testEdge{addr: ln.Addr().String(), log: logs, done: make(chan error, 1)}
	go func() { e.done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	e.stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-e.done
		})
		return serveErr
	}
	t.Cleanup(func() {
		_ = e.stop()
		if t.Failed() {
			t.Logf("edge log:\n%s", logs.String())
		}
	})
	return e
}

// dialFrom opens a TCP connection to addr from the local address src ("" for
// any); it skips the test when src cannot be used (127.0.0.2 outside Linux).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		if src != "" && errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Skipf("cannot dial from %s: %v", src, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
