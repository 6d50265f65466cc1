// Package smtptest runs a real SMTP server on loopback for tests: Debian's
// aiosmtpd (python3-aiosmtpd, installed by scripts/deps.sh) with its
// Mailbox handler, which keeps what arrives in a maildir the test reads.
// Without aiosmtpd the tests are skipped, unless PEEREDGE_REQUIRE_BROWSER
// is set (as CI does), which makes a missing server a failure.
package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// python is Debian's interpreter, which has Debian's modules: a python3
// earlier on PATH (pyenv, a virtualenv) may not.
const python = "/usr/bin/python3"

// Server is a running aiosmtpd.
type Server struct {
	Addr string // 127.0.0.1:port
	dir  string // the maildir
}

// Start runs aiosmtpd on a free loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if err := exec.Command(python, "-c", "import aiosmtpd").Run(); err != nil {
		msg := "needs Debian's python3-aiosmtpd (scripts/deps.sh installs it): " + err.Error()
		if os.Getenv("PEEREDGE_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := filepath.Join(t.TempDir(), "maildir")
	var lastErr error
	for range 5 { // a free port may be taken before aiosmtpd binds it
		addr, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = start(t, addr, dir); lastErr == nil {
			return &Server{Addr: addr, dir: dir}
		}
	}
	t.Fatalf("start aiosmtpd: %v", lastErr)
	return nil
}

// DownAddr is a loopback address where no server listens (a port that
// was free a moment ago): an SMTP server that is down.
func DownAddr(t testing.TB) string {
	t.Helper()
	addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs aiosmtpd on addr and waits until it accepts connections.
func start(t testing.TB, addr, dir string) error {
	var out bytes.Buffer
	cmd := exec.Command(python, "-m", "aiosmtpd", "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			return fmt.Errorf("aiosmtpd exited (%v): %s", err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("aiosmtpd did not listen within 15 s")
}

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Messages reads the mail that arrived so far, oldest first. aiosmtpd
// adds X-MailFrom and X-RcptTo, the envelope's sender and recipients.
func (s *Server) Messages(t testing.TB) []*mail.Message {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(s.dir, "new", "*"))
	if err != nil {
		t.Fatal(err)
	}
	type dated struct {
		m  *mail.Message
		at time.Time
	}
	var all []dated
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("mail %s: %v\n%s", f, err, b)
		}
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, dated{m, st.ModTime()})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	out := make([]*mail.Message, len(all))
	for i, d := range all {
		out[i] = d.m
	}
	return out
}
