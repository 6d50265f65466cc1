package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
)

// defaultEventInterval is how often one kind of connection event may reach
// the log; the events in between are counted into the next line.
const defaultEventInterval = time.Minute

// eventLog reports what happens to clients' connections (errors, refusals,
// failed accepts) without letting clients write the node's log: the first
// event of a kind is logged at once, the next ones within the interval are
// only counted, and the next line of that kind (or flush) says how many
// there were. A line names the kind and a remote address, never anything
// the client sent.
type eventLog struct {
	logger *slog.Logger
	every  time.Duration

	mu    sync.Mutex
	kinds map[eventKey]*eventCount
}

// eventKey is one kind of event: a fixed message and what went wrong. Both
// come from a small fixed set (this package's words and fasthttp's format
// strings), so the map stays small whatever clients do.
type eventKey struct {
	level slog.Level
	msg   string
	kind  string
}

type eventCount struct {
	next    time.Time // before it, events are only counted
	pending int       // events counted since the last line
	remote  string    // the latest counted event's address
}

func newEventLog(logger *slog.Logger, every time.Duration) *eventLog {
	return &eventLog{logger: logger, every: every, kinds: make(map[eventKey]*eventCount)}
}

// add records one event; remote is an address without port, or "".
func (l *eventLog) add(level slog.Level, msg, kind, remote string) {
	k := eventKey{level, msg, kind}
	now := time.Now()
	l.mu.Lock()
	c := l.kinds[k]
	if c == nil {
		c = &eventCount{}
		l.kinds[k] = c
	}
	c.pending++
	if now.Before(c.next) {
		c.remote = remote
		l.mu.Unlock()
		return
	}
	n := c.pending
	c.pending, c.remote, c.next = 0, "", now.Add(l.every)
	l.mu.Unlock()
	l.write(k, n, remote)
}

// flush writes the counts not written yet, e.g. when the server stops.
func (l *eventLog) flush() {
	type line struct {
		k      eventKey
		n      int
		remote string
	}
	var lines []line
	l.mu.Lock()
	for k, c := range l.kinds {
		if c.pending > 0 {
			lines = append(lines, line{k, c.pending, c.remote})
			c.pending, c.remote = 0, ""
		}
	}
	l.mu.Unlock()
	for _, ln := range lines {
		l.write(ln.k, ln.n, ln.remote)
	}
}

func (l *eventLog) write(k eventKey, n int, remote string) {
	attrs := []any{"kind", k.kind, "count", n}
	if remote != "" {
		attrs = append(attrs, "remote", remote)
	}
	l.logger.Log(context.Background(), k.level, k.msg, attrs...)
}

// remoteHost is a connection's remote address without the port.
func remoteHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap().String()
	}
	if a == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// fasthttpServeError is the format of fasthttp's line for a connection that
// ended with an error; its error quotes what the client sent, so only its
// kind and address are kept.
const fasthttpServeError = "error when serving connection %q<->%q: %v"

// fasthttpLog takes fasthttp's own log lines into the event log. It never
// writes their arguments, which may carry request bytes: a connection's
// error becomes its kind and address, any other line its format string.
type fasthttpLog struct{ events *eventLog }

func (p fasthttpLog) Printf(format string, args ...any) {
	if format == fasthttpServeError && len(args) == 3 {
		remote, _ := args[1].(net.Addr)
		err, _ := args[2].(error)
		p.events.add(slog.LevelInfo, "client connection failed", connErrorKind(err), remoteHost(remote))
		return
	}
	p.events.add(slog.LevelWarn, "fasthttp", format, "")
}

// Kinds of connection errors.
const (
	kindHeadersTooLarge = "request headers too large"
	kindBodyTooLarge    = "request body too large"
	kindTimeout         = "timeout"
	kindReset           = "connection reset"
	kindMalformed       = "malformed request"
)

// connErrorKind names what ended a connection, in words that hold nothing
// of the request.
func connErrorKind(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return kindHeadersTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return kindBodyTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF):
		return kindReset
	default:
		return kindMalformed
	}
}

// errorAnswer answers a request fasthttp could not read, in the port's
// problem shape; fasthttp's own answer calls a header that timed out
// halfway a parse error.
func errorAnswer(ctx *fasthttp.RequestCtx, err error) {
	switch connErrorKind(err) {
	case kindHeadersTooLarge:
		problem.Write(ctx, http.StatusRequestHeaderFieldsTooLarge, "request headers too large")
	case kindBodyTooLarge:
		problem.Write(ctx, http.StatusRequestEntityTooLarge, "request body too large")
	case kindTimeout:
		problem.Write(ctx, http.StatusRequestTimeout, "the request did not arrive in time")
	default:
		problem.Write(ctx, http.StatusBadRequest, "malformed request")
	}
}
