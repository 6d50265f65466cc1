package edge

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
)

// Accept back-off: after a failed accept the listener waits, doubling from
// acceptDelayMin up to acceptDelayMax, so that a process out of descriptors
// does not spin on a listening socket that stays readable.
const (
	acceptDelayMin = 5 * time.Millisecond
	acceptDelayMax = time.Second
)

// Refusals: a refused connection is answered once its request begins to
// arrive (an answer before the request reads as a broken connection to
// clients such as Go's), its write side closed, and what the client sends
// read and dropped, all within refuseLinger, so that closing it with unread
// input does not reset it and destroy the answer in flight. A connection
// that sends nothing by then is closed. At most maxLingering refusals
// linger at once (the budget keeps room for them); beyond that the answer
// is written at once and the socket closed.
const (
	refuseLinger   = time.Second
	maxLingering   = 64
	refuseDrainMax = 64 << 10
	retryAfterSecs = 5
)

// A connection the server closes with input unread lingers for at most
// closeLinger, reading at most closeDrainMax: enough for the rest of a
// small body a handler refused; a client sending more sees a reset.
const (
	closeLinger   = 2 * time.Second
	closeDrainMax = 4 << 20
)

// reclaimAfter: when the edge is full, a connection that has waited this
// long for a request (a new one that has not sent a byte, or a kept-alive
// one between requests) is closed to make room, oldest first, as nginx
// reuses its idle connections. A younger one is left its chance to speak.
const reclaimAfter = time.Second

// connLimits are the edge's limits on open connections.
type connLimits struct {
	maxConns int // all connections, always > 0
	maxPerIP int // per address (IPv6: per /64); 0 means none
	// exempt addresses are not held to maxPerIP: trusted proxies carry
	// many clients' connections.
	exempt []netip.Prefix
}

// listener counts the edge's connections until they are closed (the
// tracker's WebSockets, taken over from fasthttp, included), makes room
// when full by closing the connection that has waited longest for a
// request, refuses what is still beyond the limits with an answer, and
// keeps accepting through errors that pass, such as running out of
// descriptors (EMFILE), which fasthttp would take as the end of its
// listener.
type listener struct {
	net.Listener
	lim    connLimits
	events *eventLog
	done   chan struct{}
	once   sync.Once

	lingering chan struct{} // a token per refusal lingering
	wg        sync.WaitGroup
	// lingerMu orders starting a lingering close against wait: a
	// WaitGroup may not be added to while Wait runs, and fasthttp closes
	// its last connections after its Shutdown has returned.
	lingerMu sync.Mutex
	stopped  bool // wait has begun; closes no longer linger

	mu       sync.Mutex
	open     int
	perIP    map[netip.Addr]int
	reusable connList // waiting for a request, longest first
}

func newListener(ln net.Listener, lim connLimits, events *eventLog) *listener {
	return &listener{
		Listener:  ln,
		lim:       lim,
		events:    events,
		done:      make(chan struct{}),
		lingering: make(chan struct{}, maxLingering),
		perIP:     make(map[netip.Addr]int),
	}
}

// Accept returns the next connection within the limits. It returns an
// error only when the listener is closed or broken beyond retrying.
func (l *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryAccept(err) {
				return nil, err
			}
			delay = min(max(2*delay, acceptDelayMin), acceptDelayMax)
			l.events.add(slog.LevelWarn, "accept failed; retrying", acceptErrorKind(err), "")
			t := time.NewTimer(delay)
			select {
			case <-t.C:
				continue
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			}
		}
		delay = 0
		if ec := l.admit(c); ec != nil {
			return ec, nil
		}
	}
}

// Close stops Accept, also while it waits to retry.
func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// wait returns when no refusal lingers any more (within refuseLinger).
func (l *listener) wait() {
	l.lingerMu.Lock()
	l.stopped = true
	l.lingerMu.Unlock()
	l.wg.Wait()
}

// linger runs fn in the background and reports true, unless wait has
// begun: then the caller closes at once.
func (l *listener) linger(fn func()) bool {
	l.lingerMu.Lock()
	defer l.lingerMu.Unlock()
	if l.stopped {
		return false
	}
	l.wg.Go(fn)
	return true
}

// retryAccept tells errors that end with time (a descriptor or buffer
// freed, a client's aborted handshake) from a listener that is closed or
// broken.
func retryAccept(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range retryErrnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retryErrnos: the process or the system is out of descriptors or memory
// (they are freed as connections close), or one client's connection failed
// before it was accepted; none of them is the listener's fault.
var retryErrnos = [...]error{
	syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
	syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO, syscall.EPERM,
	syscall.EINTR, syscall.EAGAIN,
}

// acceptErrorKind names an accept error for the log: the system's words
// for its errno, which carry nothing a client sent.
func acceptErrorKind(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return "timeout"
}

// admit counts c in, or refuses it and returns nil.
func (l *listener) admit(c net.Conn) net.Conn {
	key, perIP := l.addrKey(c.RemoteAddr())
	now := time.Now()
	l.mu.Lock()
	// An address over its share is refused before anyone else's
	// connection is reclaimed for it.
	if perIP && l.perIP[key] >= l.lim.maxPerIP {
		l.mu.Unlock()
		l.events.add(slog.LevelInfo, "connection refused: too many from one address", "max-conns-per-ip "+strconv.Itoa(l.lim.maxPerIP), key.String())
		l.refuse(c, answerPerIP)
		return nil
	}
	if l.open >= l.lim.maxConns {
		old := l.reusable.head
		if old == nil || now.Sub(old.since) < reclaimAfter {
			l.mu.Unlock()
			l.events.add(slog.LevelWarn, "connection refused: the edge is at its connection limit", "max-conns "+strconv.Itoa(l.lim.maxConns), "")
			l.refuse(c, answerFull)
			return nil
		}
		l.reusable.remove(old)
		l.mu.Unlock()
		// Close gives old's place back before it returns, and only the
		// accept loop takes places.
		_ = old.Close()
		l.events.add(slog.LevelInfo, "connection waiting for a request closed to make room", "max-conns "+strconv.Itoa(l.lim.maxConns), remoteHost(old.RemoteAddr()))
		l.mu.Lock()
	}
	l.open++
	if perIP {
		l.perIP[key]++
	}
	ec := &conn{Conn: c, l: l, key: key, perIP: perIP, since: now}
	l.reusable.pushBack(ec)
	l.mu.Unlock()
	return ec
}

// connState follows fasthttp's view of a connection: waiting for a
// request (new, or idle between kept-alive requests) makes it reclaimable,
// reading or answering one, or being taken over, does not.
func (l *listener) connState(nc net.Conn, st fasthttp.ConnState) {
	c, ok := edgeConn(nc)
	if !ok {
		return
	}
	switch st {
	case fasthttp.StateNew:
		// admit listed it already.
	case fasthttp.StateIdle:
		now := time.Now()
		l.mu.Lock()
		// A connection closed under fasthttp (made room for) may still
		// finish a response it had buffered; it stays out.
		if !c.released {
			l.reusable.remove(c)
			c.since = now
			l.reusable.pushBack(c)
		}
		l.mu.Unlock()
	default:
		l.mu.Lock()
		l.reusable.remove(c)
		l.mu.Unlock()
	}
}

// addrKey is the address a's connections are counted under, and whether
// they are held to the per-address limit at all.
func (l *listener) addrKey(a net.Addr) (netip.Addr, bool) {
	if l.lim.maxPerIP <= 0 {
		return netip.Addr{}, false
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip := ta.AddrPort().Addr().Unmap()
	for _, p := range l.lim.exempt {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is6() {
		// One subscriber, one LAN, gets a /64: counting its addresses one
		// by one would give it 2^64 times the limit.
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, true
}

func (l *listener) release(c *conn) {
	l.mu.Lock()
	l.open--
	c.released = true
	l.reusable.remove(c)
	if c.perIP {
		if n := l.perIP[c.key] - 1; n > 0 {
			l.perIP[c.key] = n
		} else {
			delete(l.perIP, c.key)
		}
	}
	l.mu.Unlock()
}

// refuse answers c and closes it, lingering when a token is free.
func (l *listener) refuse(c net.Conn, answer []byte) {
	_ = c.SetDeadline(time.Now().Add(refuseLinger))
	select {
	case l.lingering <- struct{}{}:
	default:
		_, _ = c.Write(answer)
		_ = c.Close()
		return
	}
	started := l.linger(func() {
		defer func() { <-l.lingering }()
		defer c.Close()
		var first [512]byte
		if _, err := c.Read(first[:]); err != nil {
			return
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
		drain(c, refuseDrainMax)
	})
	if !started {
		<-l.lingering
		_, _ = c.Write(answer)
		_ = c.Close()
	}
}

// drain shuts c's write side, then reads and drops what the client still
// sends, up to max and within c's deadline, so that closing it then does
// not reset it: a reset makes the client's system drop the answer it has
// not read yet.
func drain(c net.Conn, max int64) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.CopyN(io.Discard, c, max)
}

// The answers to refused connections, in the port's problem shape.
var (
	answerFull  = refusal(http.StatusServiceUnavailable, "the node has too many connections open; retry later")
	answerPerIP = refusal(http.StatusTooManyRequests, "too many connections from your address; close some and retry")
)

func refusal(status int, detail string) []byte {
	body := problem.JSON(status, detail)
	head := "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n" +
		"Content-Type: " + problem.ContentType + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Retry-After: " + strconv.Itoa(retryAfterSecs) + "\r\n" +
		"Connection: close\r\n\r\n"
	return append([]byte(head), body...)
}

// conn is an accepted connection: it gives its place back when closed,
// and while a request body is read it keeps the read deadline an idle
// timeout (see readIdle).
type conn struct {
	net.Conn
	l     *listener
	key   netip.Addr
	perIP bool
	once  sync.Once

	// Guarded by l.mu: the place in l.reusable and since when, and
	// whether the place was given back.
	prev, next *conn
	listed     bool
	since      time.Time
	released   bool

	closing atomic.Bool // Close was called

	idle   atomic.Int64 // body idle timeout in ns; 0 when off
	readBy atomic.Int64 // the read deadline set in idle mode, Unix ns
}

// readIdle makes every read of the connection wait at most d for data
// (d = 0 stops it and leaves the deadline as it is): a request body may
// take as long as it likes in all, but may not pause longer than d.
func (c *conn) readIdle(d time.Duration) {
	c.readBy.Store(0)
	c.idle.Store(int64(d))
}

func (c *conn) Read(p []byte) (int, error) {
	if idle := c.idle.Load(); idle > 0 {
		// The deadline moves only once a sixteenth of it is used up, so a
		// fast body does not reset a timer on every read; a pause is then
		// cut after 15/16 of d at the earliest.
		next := time.Now().UnixNano() + idle
		if next-c.readBy.Load() > idle/16 {
			c.readBy.Store(next)
			_ = c.Conn.SetReadDeadline(time.Unix(0, next))
		}
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps the TCP connection's ReadFrom, i.e. sendfile(2) for the
// file bodies fasthttp copies into the connection.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// SyscallConn exposes the socket for options such as TCP_CORK.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// Close closes the connection and gives its place back. One closed with
// the client's bytes still unread (a body a handler refused without
// reading it, such as an upload answered 401 or 507) lingers first, as
// nginx's lingering close: the answer is already written, and drain keeps
// the close from resetting it. Lingering is bounded as refusals are (at
// most maxLingering at once, each closeLinger and closeDrainMax).
func (c *conn) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		return nil
	}
	if unreadInput(c.Conn) {
		select {
		case c.l.lingering <- struct{}{}:
			_ = c.Conn.SetDeadline(time.Now().Add(closeLinger))
			if c.l.linger(func() {
				defer func() { <-c.l.lingering }()
				drain(c.Conn, closeDrainMax)
				_ = c.Conn.Close()
				c.once.Do(func() { c.l.release(c) })
			}) {
				return nil
			}
			<-c.l.lingering // the node is stopping: close at once
		default:
		}
	}
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

// connList is a list of conns linked through their own fields, so that
// listing and unlisting, done for every request, allocate nothing.
type connList struct{ head, tail *conn }

func (q *connList) pushBack(c *conn) {
	c.prev, c.next, c.listed = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = c
	} else {
		q.head = c
	}
	q.tail = c
}

// remove unlinks c; a no-op when c is not listed.
func (q *connList) remove(c *conn) {
	if !c.listed {
		return
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		q.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		q.tail = c.prev
	}
	c.prev, c.next, c.listed = nil, nil, false
}
