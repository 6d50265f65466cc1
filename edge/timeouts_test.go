package edge_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/internal/layout"
)

// bodyReader is a mounted handler that reads the whole request body and
// answers how much it read, or 408 when the body stalled.
func bodyReader(ctx *fasthttp.RequestCtx) {
	n, err := io.Copy(io.Discard, ctx.RequestBodyStream())
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		ctx.SetStatusCode(fasthttp.StatusRequestTimeout)
	case err != nil:
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
	default:
		ctx.SetBodyString(strconv.FormatInt(n, 10))
	}
}

// TestTimeouts: the headers have a deadline however slowly they come, a
// body may pause only so long, and a body that keeps coming may take as
// long as it needs.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	const (
		header = time.Second
		body   = 1500 * time.Millisecond
		slack  = 2 * time.Second // a loaded machine's lateness, -race included
	)
	chunk := bytes.Repeat([]byte("x"), 4<<10)
	tests := []struct {
		name string
		// send writes the request, a piece every tick until it returns
		// false; the clock starts at the last piece sent.
		send  func(w io.Writer, i int) bool
		every time.Duration
		// The connection ends with this status after between min and
		// min+slack from the last piece sent, or from its opening when
		// the sender trickles on (fromOpen).
		status   int
		min      time.Duration
		fromOpen bool
		body     string // the answer's body, when it is 200
	}{
		{
			name:   "silent",
			send:   func(io.Writer, int) bool { return false },
			status: 408, min: header, fromOpen: true,
		},
		{
			// A byte every half second: the deadline is the connection's,
			// the bytes do not move it.
			name: "slowloris",
			send: func(w io.Writer, i int) bool {
				const head = "GET / HTTP/1.1\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				_, err := w.Write([]byte{head[i%len(head)]})
				return err == nil
			},
			every:  500 * time.Millisecond,
			status: 408, min: header, fromOpen: true,
		},
		{
			// 16 KiB of 1 MiB, then nothing: the reader times out, the
			// handler answers, and the connection is closed.
			name: "stalled body",
			send: func(w io.Writer, i int) bool {
				if i == 0 {
					fmt.Fprintf(w, "POST %supload HTTP/1.1\r\nHost: edge\r\nContent-Length: %d\r\n\r\n", layout.APIPrefix, 1<<20)
				}
				_, _ = w.Write(chunk)
				return i < 3
			},
			status: 408, min: body,
		},
		{
			// 4 KiB every 400 ms, 15 times: 6 s in all, longer than either
			// timeout, yet never a pause as long as the body timeout.
			name: "slow but steady body",
			send: func(w io.Writer, i int) bool {
				if i == 0 {
					fmt.Fprintf(w, "POST %supload HTTP/1.1\r\nHost: edge\r\nContent-Length: %d\r\n\r\n", layout.APIPrefix, 15*len(chunk))
				}
				_, err := w.Write(chunk)
				return err == nil && i < 14
			},
			every:  400 * time.Millisecond,
			status: 200, min: 0,
			body: strconv.Itoa(15 * len(chunk)),
		},
		{
			name: "slow but steady chunked body",
			send: func(w io.Writer, i int) bool {
				if i == 0 {
					fmt.Fprintf(w, "POST %supload HTTP/1.1\r\nHost: edge\r\nTransfer-Encoding: chunked\r\n\r\n", layout.APIPrefix)
				}
				fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk)
				if i == 14 {
					_, _ = io.WriteString(w, "0\r\n\r\n")
					return false
				}
				return true
			},
			every:  400 * time.Millisecond,
			status: 200, min: 0,
			body: strconv.Itoa(15 * len(chunk)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startEdge(t, edge.Config{
				HeaderTimeout: header,
				BodyTimeout:   body,
				Mounts:        []edge.Mount{{Path: layout.APIPrefix, Handler: bodyReader}},
			}, nil)
			c := dialFrom(t, "", e.addr)
			opened := time.Now()
			last := make(chan time.Time, 1)
			go func() {
				defer close(last)
				tick := time.NewTicker(max(tt.every, time.Millisecond))
				defer tick.Stop()
				for i := 0; ; i++ {
					more := tt.send(c, i)
					sent := time.Now()
					if !more {
						last <- sent
						return
					}
					<-tick.C
				}
			}()
			if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			status := 0
			var answer []byte
			if resp, err := http.ReadResponse(br, nil); err == nil {
				status = resp.StatusCode
				answer, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if tt.status != 200 && !resp.Close {
					t.Errorf("answer %d without Connection: close", status)
				}
			}
			if tt.status != 200 {
				// A reset is a close too: the slowloris sender writes on.
				if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("connection not closed after %d: %v", status, err)
				}
			}
			ended := time.Now()
			if status != tt.status || (tt.body != "" && string(answer) != tt.body) {
				t.Fatalf("answer %d %q, want %d %q", status, answer, tt.status, tt.body)
			}
			from := opened
			if !tt.fromOpen {
				from = <-last
			}
			// early: the clocks of the two sides start a little apart, and
			// a body's deadline moves only once a sixteenth of it is used.
			early := 50*time.Millisecond + tt.min/16
			if d := ended.Sub(from); d < tt.min-early || d > tt.min+slack {
				t.Errorf("ended %v after the clock started, want %v (+%v at most)", d, tt.min, slack)
			}
		})
	}
}
