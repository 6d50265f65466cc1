package tracker

import (
	"errors"
	"io"
	"math"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

// wsSocket is one client connection. Its reader goroutine (run) owns joined
// and scratch; every other goroutine only enqueues frames into out, never
// writes to the conn.
type wsSocket struct {
	srv  *SocketServer
	conn *websocket.Conn
	addr netip.Addr
	// internal: the node's own socket (its seeder), admitted without the
	// rate limit and alarm (Admitter.IsInternal).
	internal bool

	out    wsOutbox
	wake   chan struct{} // a token when out went from empty to not, or ended
	killed atomic.Bool
	ping   atomic.Pointer[time.Timer] // queues a ping every PongTimeout/2
	// Deadlines are moved forward only when they have used up a sixteenth
	// of their span: setting one costs a timer update, a message needs none.
	readDeadline, writeDeadline time.Time
	// connMu guards finished: once run returns, fasthttp recycles the conn.
	connMu   sync.Mutex
	finished bool

	joined  map[InfoHash]PeerID // swarms this socket is in, with its peer id there
	readBuf []byte
	closing bool // a fatal reply is queued: drain the client's input before closing
	targets []*wsSocket
	sender  []byte // wtmsg.AppendRelaySender's output for the announce being relayed
	scratch []byte // the message being encoded, before enqueue copies it
}

func newWSSocket(srv *SocketServer, conn *websocket.Conn, addr netip.Addr) *wsSocket {
	return &wsSocket{
		srv:    srv,
		conn:   conn,
		addr:   addr,
		wake:   make(chan struct{}, 1),
		joined: make(map[InfoHash]PeerID),
	}
}

// kill makes every blocked read and write fail at once; the reader then
// cleans up. Closing is not enough: fasthttp's hijacked conn ignores Close
// (it closes the conn itself once Serve's handler returns).
func (c *wsSocket) kill() {
	c.killed.Store(true)
	c.connMu.Lock()
	defer c.connMu.Unlock()
	// fasthttp recycles the conn once run returns; relays may still call kill.
	if !c.finished {
		_ = c.conn.NetConn().SetDeadline(time.Unix(1, 0))
	}
}

// setReadDeadline and setWriteDeadline never undo a concurrent kill: the
// flag is checked after the deadline is set.
func (c *wsSocket) setReadDeadline(t time.Time) {
	_ = c.conn.SetReadDeadline(t)
	if c.killed.Load() {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

func (c *wsSocket) setWriteDeadline(t time.Time) {
	_ = c.conn.SetWriteDeadline(t)
	if c.killed.Load() {
		_ = c.conn.SetWriteDeadline(time.Unix(1, 0))
	}
}

// enqueue copies a message into the socket's outbox without ever blocking:
// a client that cannot keep up is dropped so that relays to other peers
// never wait on it. The caller may reuse data at once.
func (c *wsSocket) enqueue(data []byte) bool {
	switch c.out.push(data, c.srv.cfg.SendQueue) {
	case wsPushedFirst:
		c.wakeWriter()
		return true
	case wsPushed:
		return true
	case wsPushFull:
		c.srv.slowDropped.Add(1)
		c.srv.cfg.Logger.Debug("tracker socket dropped: send queue full")
		c.kill()
	}
	return false
}

// run serves the socket until it ends, then removes it from every swarm.
func (c *wsSocket) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.schedulePing()
	c.readLoop()
	c.ping.Load().Stop()
	// Leave the swarms first so that no new relay targets this socket.
	for ih, id := range c.joined {
		c.srv.swarms.leave(&ih, &id, c)
	}
	clear(c.joined)
	c.out.end()
	c.wakeWriter() // to flush what is queued, notably a failure before a close, and stop
	select {
	case <-writerDone:
	case <-time.After(c.srv.cfg.WriteTimeout + time.Second):
	}
	if c.closing {
		// Closing with unread input would reset the connection and could
		// destroy the failure reply in flight; read until the client hangs up.
		c.setReadDeadline(time.Now().Add(time.Second))
		_, _ = io.CopyN(io.Discard, c.conn.NetConn(), int64(c.srv.cfg.MaxMessageBytes)*4)
	}
	c.kill()
	<-writerDone
	c.connMu.Lock()
	c.finished = true
	// A no-op unless the server keeps hijacked conns; then it is ours to close.
	_ = c.conn.NetConn().Close()
	c.connMu.Unlock()
}

// schedulePing queues a ping frame every PongTimeout/2; the client's pong
// (or any message) extends the read deadline.
func (c *wsSocket) schedulePing() {
	every := c.srv.cfg.PongTimeout / 2
	t := time.AfterFunc(math.MaxInt64, func() {
		if c.out.pushControl(wsOpPing) {
			c.wakeWriter()
			c.ping.Load().Reset(every)
		}
	})
	c.ping.Store(t) // before the first run of the func, which loads it
	t.Reset(every)
}

func (c *wsSocket) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default: // the writer has a token already
	}
}

func (c *wsSocket) readLoop() {
	cfg := &c.srv.cfg
	extend := func() {
		now := time.Now()
		if c.readDeadline.Sub(now) < cfg.PongTimeout-cfg.PongTimeout/16 {
			c.readDeadline = now.Add(cfg.PongTimeout)
			c.setReadDeadline(c.readDeadline)
		}
	}
	extend()
	c.conn.SetPongHandler(func(string) error { extend(); return nil })
	for {
		kind, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		extend()
		if kind != websocket.TextMessage {
			c.fatal("binary frames are not supported", websocket.CloseUnsupportedData)
			return
		}
		data, err := c.readMessage(r, cfg.MaxMessageBytes)
		if errors.Is(err, errMessageTooLarge) {
			c.fatal("message too large", websocket.CloseMessageTooBig)
			return
		}
		if err != nil {
			return
		}
		if !c.handle(data) {
			return
		}
		// An occasional large message should not stay resident.
		if cap(c.readBuf) > 16<<10 {
			c.readBuf = nil
		}
		if cap(c.scratch) > 16<<10 {
			c.scratch = nil
		}
	}
}

var errMessageTooLarge = errors.New("message too large")

// readMessage reads one message into the socket's reusable buffer, reading
// at most limit+1 bytes so an oversize frame costs no more than the limit.
func (c *wsSocket) readMessage(r io.Reader, limit int) ([]byte, error) {
	buf := c.readBuf[:0]
	for {
		if len(buf) == cap(buf) {
			if cap(buf) > limit {
				return nil, errMessageTooLarge
			}
			grown := make([]byte, len(buf), min(max(2*cap(buf), 512), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, errMessageTooLarge
		}
		if err == io.EOF {
			c.readBuf = buf
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// fatal replies with a failure, then the writer closes the socket.
func (c *wsSocket) fatal(reason string, code int) {
	c.closing = true
	if !c.out.pushClose(wtmsg.AppendFailure(nil, "announce", reason, nil), code, reason) {
		c.kill()
		return
	}
	c.wakeWriter()
}

// writeLoop writes what the outbox holds each time it is woken, until the
// outbox has ended (the reader is done) or a write fails. A plain channel
// receive, not a select: it runs once per batch.
func (c *wsSocket) writeLoop() {
	for range c.wake {
		// Let the goroutines that are runnable now (readers relaying
		// offers) go first: under load more frames join this write;
		// idle, it costs one yield.
		runtime.Gosched()
		if !c.flush() {
			return
		}
	}
}

// flush writes everything queued in one write call. False means the writer
// must stop: a write failed, a close was sent, or the outbox has ended. Data frames are framed by the outbox rather than by the
// websocket library, which would write each one separately; a whole batch
// is one Write on the conn, so control frames the library writes
// concurrently (pong, close) still land between frames, never inside one.
func (c *wsSocket) flush() bool {
	buf, closeCode, closeText, ended := c.out.take()
	timeout := c.srv.cfg.WriteTimeout
	now := time.Now()
	if buf != nil {
		if c.writeDeadline.Sub(now) < timeout-timeout/16 {
			c.writeDeadline = now.Add(timeout)
			c.setWriteDeadline(c.writeDeadline)
		}
		_, err := c.conn.NetConn().Write(*buf)
		releaseOutboxBuf(buf)
		if err != nil {
			c.kill()
			return false
		}
	}
	if closeCode == 0 {
		return !ended
	}
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(closeCode, closeText), now.Add(timeout))
	return false
}
