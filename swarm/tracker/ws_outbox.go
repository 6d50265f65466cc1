package tracker

import (
	"encoding/binary"
	"sync"
)

// wsOutbox is a socket's pending output: whole text frames, already framed,
// appended by any goroutine and taken all at once by the socket's writer,
// so a burst of relays to one peer costs one write call. Appending costs a
// copy under a short lock; there is no per-frame channel send or buffer.
type wsOutbox struct {
	mu        sync.Mutex
	buf       *[]byte // nil when empty: an idle socket holds no buffer
	frames    int     // frames in buf, bounded by SocketConfig.SendQueue
	closeCode int     // non-zero: send a close frame after buf and stop
	closeText string
	gone      bool // the socket has ended: frames are refused
}

// wsOutboxPool recycles outbox buffers between sockets and batches.
var wsOutboxPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// wsOutboxKeep bounds the buffers that go back to the pool: an occasional
// huge burst should not stay resident.
const wsOutboxKeep = 256 << 10

// wsPush is the outcome of appending a frame to an outbox.
type wsPush uint8

const (
	wsPushed      wsPush = iota // queued; the writer already had work
	wsPushedFirst               // queued into an empty outbox: wake the writer
	wsPushGone                  // the socket has ended
	wsPushFull                  // the client is not draining: drop it
)

// push appends payload as one text frame unless the socket is gone or
// already has limit frames waiting.
func (o *wsOutbox) push(payload []byte, limit int) wsPush {
	o.mu.Lock()
	switch {
	case o.gone:
		o.mu.Unlock()
		return wsPushGone
	case o.frames >= limit:
		o.mu.Unlock()
		return wsPushFull
	}
	res := wsPushed
	if o.buf == nil {
		res = wsPushedFirst
	}
	buf := o.ensureBuf()
	*buf = appendTextFrame(*buf, payload)
	o.frames++
	o.mu.Unlock()
	return res
}

// WebSocket control opcodes the outbox sends (RFC 6455 §5.5).
const wsOpPing = 0x9

// pushControl queues an empty control frame (a ping) whatever the queue's
// length: it is two bytes, and a client too slow to take it will be found
// out by the pong it does not send. False if the socket is gone.
func (o *wsOutbox) pushControl(opcode byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone {
		return false
	}
	buf := o.ensureBuf()
	*buf = append(*buf, 0x80|opcode, 0)
	return true
}

// pushClose queues a last frame and a close, whatever the queue's length:
// the client is told why before it is cut off. False if the socket is gone.
func (o *wsOutbox) pushClose(payload []byte, code int, text string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone {
		return false
	}
	buf := o.ensureBuf()
	*buf = appendTextFrame(*buf, payload)
	o.frames++
	o.closeCode, o.closeText = code, text
	return true
}

// ensureBuf gives an empty outbox a pooled buffer; o.mu is held.
func (o *wsOutbox) ensureBuf() *[]byte {
	if o.buf == nil {
		o.buf = wsOutboxPool.Get().(*[]byte)
		*o.buf = (*o.buf)[:0]
	}
	return o.buf
}

// take empties the outbox; the caller writes buf (nil when there was no
// data) and then returns it with release. ended: end was called, so this
// is the last of it.
func (o *wsOutbox) take() (buf *[]byte, closeCode int, closeText string, ended bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	buf, o.buf, o.frames = o.buf, nil, 0
	closeCode, closeText = o.closeCode, o.closeText
	o.closeCode, o.closeText = 0, ""
	return buf, closeCode, closeText, o.gone
}

// end refuses every later frame; what is queued can still be taken.
func (o *wsOutbox) end() {
	o.mu.Lock()
	o.gone = true
	o.mu.Unlock()
}

func releaseOutboxBuf(buf *[]byte) {
	if buf != nil && cap(*buf) <= wsOutboxKeep {
		wsOutboxPool.Put(buf)
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
