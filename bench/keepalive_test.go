package bench

import (
	"bufio"
	"context"
	"net"
)

// keepAlive is a load worker's HTTP/1.1 connection: dialled on first use,
// its read buffer reused across reconnects (some servers close after every
// answer).
type keepAlive struct {
	conn net.Conn
	br   *bufio.Reader
}

// ready dials addr if there is no connection and applies ctx's deadline.
func (k *keepAlive) ready(ctx context.Context, addr string, bufSize int) error {
	if k.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		k.conn = c
		if k.br == nil {
			k.br = bufio.NewReaderSize(c, bufSize)
		} else {
			k.br.Reset(c)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = k.conn.SetDeadline(dl)
	}
	return nil
}

func (k *keepAlive) close() {
	if k.conn != nil {
		_ = k.conn.Close()
		k.conn = nil
	}
}
