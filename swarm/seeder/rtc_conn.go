package seeder

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v4"
)

// rtcNetwork names WebRTC peers' addresses (net.Addr.Network).
const rtcNetwork = "webrtc"

// rtcAddr is a WebRTC peer's address: it has no IP the torrent client could
// dial or rate-limit, only a label unique to the connection.
type rtcAddr string

func (rtcAddr) Network() string  { return rtcNetwork }
func (a rtcAddr) String() string { return string(a) }

// rtcMaxWrite bounds one data-channel message: browsers accept at least
// 16 KiB (larger messages are refused by some), and the torrent client
// writes whole buffers of up to a few blocks.
const rtcMaxWrite = 16 << 10

// A detached data channel reads whole messages and refuses a buffer too
// small for the next one (leaving it queued): reads go through a buffer
// that fits the usual message and grows once for a peer that sends
// larger ones, up to the largest a browser sends.
const (
	rtcReadBuf     = 32 << 10
	rtcMaxReadSize = 256 << 10
)

// rtcConn is a detached data channel as a net.Conn for the torrent client:
// a byte stream over messages. Closing it closes the peer connection too.
type rtcConn struct {
	raw       datachannel.ReadWriteCloserDeadliner
	pc        *webrtc.PeerConnection
	addr      rtcAddr
	closeOnce sync.Once

	buf     []byte // message buffer; only the reader uses it
	pending []byte // what is left of the last message
}

func (c *rtcConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.buf == nil {
			c.buf = make([]byte, rtcReadBuf)
		}
		n, err := c.raw.Read(c.buf)
		if errors.Is(err, io.ErrShortBuffer) && len(c.buf) < rtcMaxReadSize {
			c.buf = make([]byte, rtcMaxReadSize)
			continue
		}
		if err != nil {
			return 0, err
		}
		c.pending = c.buf[:n] // an empty message: read the next one
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *rtcConn) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), rtcMaxWrite)]
		w, err := c.raw.Write(chunk)
		n += w
		if err != nil {
			return n, err
		}
		p = p[w:]
	}
	return n, nil
}

func (c *rtcConn) Close() error {
	c.closeOnce.Do(func() {
		_ = c.raw.Close()
		_ = c.pc.Close()
	})
	return nil
}

func (c *rtcConn) LocalAddr() net.Addr  { return rtcAddr(rtcNetwork) }
func (c *rtcConn) RemoteAddr() net.Addr { return c.addr }

func (c *rtcConn) SetDeadline(t time.Time) error {
	return errors.Join(c.raw.SetReadDeadline(t), c.raw.SetWriteDeadline(t))
}
func (c *rtcConn) SetReadDeadline(t time.Time) error  { return c.raw.SetReadDeadline(t) }
func (c *rtcConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// rtcListener hands WebRTC connections to the torrent client, which accepts
// them like TCP ones (the BitTorrent handshake then names the torrent).
type rtcListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newRTCListener() *rtcListener {
	return &rtcListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *rtcListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *rtcListener) Addr() net.Addr { return rtcAddr(rtcNetwork) }

// Close is called by the torrent client when it closes.
func (l *rtcListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// deliver hands c to the client; false (c is the caller's to close) once
// the listener or ctx is done.
func (l *rtcListener) deliver(ctx context.Context, c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
	case <-ctx.Done():
	}
	return false
}
