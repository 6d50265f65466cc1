//go:build unix

package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// rangedLoad is a closed-loop load generator: conns keep-alive connections,
// each sending one ranged GET at a time for a block of blockSize bytes at a
// random block-aligned offset of a file of fileSize bytes, until dur has
// passed. Every response must be 206 with Content-Length blockSize; the body
// is read and discarded.
type rangedLoad struct {
	addr      string
	path      string
	fileSize  int64
	blockSize int64
	conns     int
	dur       time.Duration
}

type loadResult struct {
	requests int64
	bytes    int64 // body bytes
	errors   int64
	elapsed  time.Duration
}

func (r loadResult) requestsPerSec() float64 { return float64(r.requests) / r.elapsed.Seconds() }
func (r loadResult) megabytesPerSec() float64 {
	return float64(r.bytes) / r.elapsed.Seconds() / 1e6
}

func (r loadResult) add(o loadResult) loadResult {
	return loadResult{r.requests + o.requests, r.bytes + o.bytes, r.errors + o.errors, r.elapsed + o.elapsed}
}

func (l rangedLoad) run(ctx context.Context) (loadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, l.dur)
	defer cancel()
	var requests, bodyBytes atomic.Int64
	var failed failures
	var wg sync.WaitGroup
	start := time.Now()
	for i := range l.conns {
		wg.Go(func() {
			w := loadWorker{l: l, rng: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))}
			defer w.close()
			for ctx.Err() == nil {
				n, err := w.roundTrip(ctx)
				if err != nil {
					if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
						return // cut off by the end of the run: not a failure
					}
					failed.record(err)
					w.close()
					continue
				}
				requests.Add(1)
				bodyBytes.Add(n)
			}
		})
	}
	wg.Wait()
	res := loadResult{requests.Load(), bodyBytes.Load(), failed.count(), time.Since(start)}
	return res, failed.err("requests")
}

// loadWorker owns one connection and reuses its buffers for every request.
type loadWorker struct {
	l   rangedLoad
	rng *rand.Rand
	keepAlive
	req []byte
}

var (
	errStatus = errors.New("unexpected status")
	errLength = errors.New("unexpected Content-Length")
)

// roundTrip sends one ranged GET and reads the whole response.
func (w *loadWorker) roundTrip(ctx context.Context) (int64, error) {
	if err := w.ready(ctx, w.l.addr, 64<<10); err != nil {
		return 0, err
	}
	off := w.rng.Int64N(w.l.fileSize/w.l.blockSize) * w.l.blockSize
	w.req = append(w.req[:0], "GET "...)
	w.req = append(w.req, w.l.path...)
	w.req = append(w.req, " HTTP/1.1\r\nHost: bench\r\nRange: bytes="...)
	w.req = strconv.AppendInt(w.req, off, 10)
	w.req = append(w.req, '-')
	w.req = strconv.AppendInt(w.req, off+w.l.blockSize-1, 10)
	w.req = append(w.req, "\r\n\r\n"...)
	if _, err := w.conn.Write(w.req); err != nil {
		return 0, err
	}
	status, length, closing, err := readResponseHead(w.br)
	if err != nil {
		return 0, err
	}
	if status != 206 {
		return 0, fmt.Errorf("%w %d", errStatus, status)
	}
	if length != w.l.blockSize {
		return 0, fmt.Errorf("%w %d", errLength, length)
	}
	if _, err := w.br.Discard(int(length)); err != nil {
		return 0, err
	}
	if closing {
		w.close()
	}
	return length, nil
}

// readResponseHead reads a status line and headers, returning the status,
// Content-Length (-1 if absent) and whether the server closes the connection.
func readResponseHead(br *bufio.Reader) (status int, length int64, closing bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 206 Partial Content"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	length = -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, length, closing, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return 0, 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
}
