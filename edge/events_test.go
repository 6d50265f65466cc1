package edge_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/internal/problem"
)

// TestClientErrorsLogged: requests that fasthttp cannot read are answered
// and logged by kind and address, counted, at most one line per kind per
// minute, and nothing the client sent reaches the log.
func TestClientErrorsLogged(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-request-bytes"
	tests := []struct {
		name, request string
		status        int
		kind          string // "": fasthttp does not report it
	}{
		{"malformed", "GET /" + secret + " HTTP/1.1\r\nHost: edge\r\n" + secret + "\r\n\r\n", 400, "malformed request"},
		{"no method", secret + "\r\n\r\n", 400, "malformed request"},
		{"headers too large", "GET / HTTP/1.1\r\nX-" + secret + ": " + strings.Repeat("a", 9000) + "\r\n\r\n", 431, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startEdge(t, edge.Config{}, nil)
			const n = 20
			for i := range n {
				c := dialFrom(t, "", e.addr)
				if _, err := io.WriteString(c, tt.request); err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil || resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != problem.ContentType {
					t.Fatalf("request %d: answer %v %v, want a %d problem", i, resp, err, tt.status)
				}
				// fasthttp closes the connection after it has reported it
				// (with a reset when it left part of the request unread).
				if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Fatal(err)
				}
				c.Close()
			}
			if err := e.stop(); err != nil {
				t.Fatal(err)
			}
			log := e.log.String()
			if strings.Contains(log, secret) {
				t.Errorf("request bytes in the log:\n%s", log)
			}
			if tt.kind == "" {
				if lines := e.log.lines("client connection failed"); len(lines) > 0 {
					t.Errorf("logged: %q", lines)
				}
				return
			}
			lines := e.log.lines(`kind="`+tt.kind+`"`, "remote=127.0.0.1")
			if len(lines) != 2 || !strings.Contains(lines[0], "count=1 ") || !strings.Contains(lines[1], fmt.Sprintf("count=%d ", n-1)) {
				t.Errorf("want a line for the first and one counting the %d others, got:\n%s", n-1, log)
			}
		})
	}
}
