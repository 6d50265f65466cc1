package seeder

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent/metainfo"
)

// ErrVerification is wrapped by Seed's error when a data file does not
// match its torrent's piece hashes.
var ErrVerification = errors.New("seeder: data does not match the torrent")

// verifyPieces hashes every piece of r (SHA-1, in parallel across cores) and
// compares it with info's piece hashes. It returns the completion bitmap of
// a fully verified file, or an error wrapping ErrVerification naming the
// first bad piece. hashed counts the bytes read.
func verifyPieces(ctx context.Context, r io.ReaderAt, info *metainfo.Info, hashed *atomic.Int64) ([]byte, error) {
	n := info.NumPieces()
	bits := make([]byte, (n+7)/8)
	workers := min(runtime.GOMAXPROCS(0), n)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstBad = -1
		firstErr error
		wg       sync.WaitGroup
	)
	workCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range workers {
		wg.Go(func() {
			buf := make([]byte, info.PieceLength)
			for {
				i := int(next.Add(1) - 1)
				if i >= n || workCtx.Err() != nil {
					return
				}
				p := info.Piece(i)
				b := buf[:p.Length()]
				if got, err := r.ReadAt(b, p.Offset()); got < len(b) {
					fail(fmt.Errorf("seeder: read piece %d: %w", i, cmp.Or(err, io.ErrUnexpectedEOF)))
					return
				}
				hashed.Add(int64(len(b)))
				sum := sha1.Sum(b)
				if !bytes.Equal(sum[:], info.Pieces[i*sha1.Size:(i+1)*sha1.Size]) {
					mu.Lock()
					if firstBad < 0 || i < firstBad {
						firstBad = i
					}
					mu.Unlock()
					continue
				}
				mu.Lock()
				bits[i/8] |= 1 << (i % 8)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("seeder: verify: %w", err)
	}
	if firstBad >= 0 {
		return nil, fmt.Errorf("%w: piece %d of %d has the wrong hash", ErrVerification, firstBad, n)
	}
	return bits, nil
}
