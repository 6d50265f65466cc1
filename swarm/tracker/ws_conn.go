package tracker

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// wsOutbound is one frame for the writer. A non-zero closeCode makes the
// writer send a close frame after data and stop.
type wsOutbound struct {
	data      []byte
	pooled    *[]byte // data's buffer, from wsPayloadPool: the writer returns it once copied
	closeCode int
	closeText string
}

// wsSocket is one client connection. Its reader goroutine (run) owns joined;
// every other goroutine only enqueues frames, never writes to the conn.
type wsSocket struct {
	srv  *SocketServer
	conn *websocket.Conn
	addr netip.Addr

	send   chan wsOutbound
	done   chan struct{} // closed when the reader has finished
	killed atomic.Bool
	// connMu guards finished: once run returns, fasthttp recycles the conn.
	connMu   sync.Mutex
	finished bool

	joined  map[InfoHash]PeerID // swarms this socket is in, with its peer id there
	readBuf []byte
	closing bool // a fatal reply is queued: drain the client's input before closing
	targets []*wsSocket
	sender  []byte // appendRelaySender's output for the announce being relayed
}

func newWSSocket(srv *SocketServer, conn *websocket.Conn, addr netip.Addr) *wsSocket {
	return &wsSocket{
		srv:    srv,
		conn:   conn,
		addr:   addr,
		send:   make(chan wsOutbound, srv.cfg.SendQueue),
		done:   make(chan struct{}),
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

// enqueue hands a frame to the writer without ever blocking: a client that
// cannot keep up is dropped so that relays to other peers never wait on it.
func (c *wsSocket) enqueue(data []byte) bool {
	return c.enqueueOut(wsOutbound{data: data})
}

// enqueuePooled is enqueue for a buffer from getPayload; it goes back to the
// pool once written, or at once if the frame is not queued.
func (c *wsSocket) enqueuePooled(buf *[]byte) bool {
	if c.enqueueOut(wsOutbound{data: *buf, pooled: buf}) {
		return true
	}
	putPayload(buf)
	return false
}

// wsPayloadPool recycles relay messages (about 1 KiB each, one per offer):
// they live only from the relaying reader to the target's writer.
var wsPayloadPool = sync.Pool{New: func() any { return new([]byte) }}

// getPayload returns an empty pooled buffer with room for n bytes.
func getPayload(n int) *[]byte {
	buf := wsPayloadPool.Get().(*[]byte)
	*buf = slices.Grow((*buf)[:0], n)
	return buf
}

func putPayload(buf *[]byte) {
	if cap(*buf) <= 16<<10 { // an occasional huge SDP should not stay resident
		wsPayloadPool.Put(buf)
	}
}

func (c *wsSocket) enqueueOut(out wsOutbound) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.send <- out:
		return true
	default:
		c.srv.slowDropped.Add(1)
		c.srv.cfg.Logger.Debug("tracker socket dropped: send queue full")
		c.kill()
		return false
	}
}

// run serves the socket until it ends, then removes it from every swarm.
func (c *wsSocket) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.readLoop()
	// Leave the swarms first so that no new relay targets this socket.
	for ih, id := range c.joined {
		c.srv.swarms.leave(&ih, &id, c)
	}
	clear(c.joined)
	close(c.done)
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

func (c *wsSocket) readLoop() {
	cfg := &c.srv.cfg
	extend := func() { c.setReadDeadline(time.Now().Add(cfg.PongTimeout)) }
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
		if cap(c.readBuf) > 16<<10 {
			c.readBuf = nil // an occasional large message should not stay resident
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
	msg := appendFailure(nil, "announce", reason, nil)
	select {
	case c.send <- wsOutbound{data: msg, closeCode: code, closeText: reason}:
	default:
		c.kill()
	}
}

func (c *wsSocket) writeLoop() {
	cfg := &c.srv.cfg
	ping := time.NewTicker(cfg.PongTimeout / 2)
	defer ping.Stop()
	for {
		select {
		case out := <-c.send:
			// Let the goroutines that are runnable now (readers relaying
			// offers) go first: under load more frames join this write
			// (≈3.5 per write instead of ≈2.5 in the bench package's
			// load); idle, it costs one yield.
			runtime.Gosched()
			if !c.flush(out) {
				return
			}
		case <-ping.C:
			// WriteControl sets its own deadline, so recheck kill afterwards.
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)); err != nil || c.killed.Load() {
				c.kill()
				return
			}
		case <-c.done:
			// Flush what is queued, notably a failure reply before a close.
			for {
				select {
				case out := <-c.send:
					if !c.flush(out) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// wsBatchBytes bounds how many queued frames go out in one write.
const wsBatchBytes = 64 << 10

var wsBatchPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// flush writes out, plus whatever else is already queued, in one write
// call: a relay burst costs one syscall instead of one per frame. False
// means the writer must stop. Data frames are framed here rather than by
// the websocket library, which would write each one separately; a whole
// batch is one Write on the conn, so control frames the library writes
// concurrently (pong, close) still land between frames, never inside one.
func (c *wsSocket) flush(out wsOutbound) bool {
	// Pooled: a socket that is mostly idle should not keep a batch buffer.
	pooled := wsBatchPool.Get().(*[]byte)
	defer func() {
		if cap(*pooled) <= 4*wsBatchBytes {
			wsBatchPool.Put(pooled)
		}
	}()
	buf := (*pooled)[:0]
	for {
		buf = appendTextFrame(buf, out.data)
		if out.pooled != nil {
			putPayload(out.pooled)
		}
		if out.closeCode != 0 || len(buf) >= wsBatchBytes {
			break
		}
		next, ok := c.tryReceive()
		if !ok {
			break
		}
		out = next
	}
	*pooled = buf
	deadline := time.Now().Add(c.srv.cfg.WriteTimeout)
	c.setWriteDeadline(deadline)
	if _, err := c.conn.NetConn().Write(buf); err != nil {
		c.kill()
		return false
	}
	if out.closeCode == 0 {
		return true
	}
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(out.closeCode, out.closeText), deadline)
	return false
}

func (c *wsSocket) tryReceive() (wsOutbound, bool) {
	select {
	case out := <-c.send:
		return out, true
	default:
		return wsOutbound{}, false
	}
}

// appendTextFrame appends one unmasked, final text frame (RFC 6455 §5.2):
// servers never mask, and we never fragment or compress.
func appendTextFrame(dst, payload []byte) []byte {
	const finText = 0x81
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, finText, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finText, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finText, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
