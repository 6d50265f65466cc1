package swarm

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// hashChunkSize is how much of a piece a worker reads per ReadAt. Hashing a
// chunk right after reading it keeps the bytes in the core's cache: on a warm
// 512 MiB file with 16 MiB pieces this ran at ~3.5 GB/s against 1.6–2.8 GB/s
// reading whole pieces (no difference at 512 KiB pieces). It also bounds each
// worker's buffer whatever the piece length.
const hashChunkSize = 128 << 10

// hashPieces returns the concatenated SHA-1 hashes of the size bytes of f cut
// into pieceLength pieces. Pieces are hashed by up to GOMAXPROCS workers, each
// claiming the next unhashed piece and reading it with ReadAt into its own
// reused buffer, so no reader goroutine serialises the I/O.
func hashPieces(ctx context.Context, f io.ReaderAt, size, pieceLength int64) ([]byte, error) {
	numPieces := pieceCount(size, pieceLength)
	pieces := make([]byte, numPieces*sha1.Size)
	workers := int64(runtime.GOMAXPROCS(0))
	if workers > numPieces {
		workers = numPieces
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hashWorker(ctx, f, size, pieceLength, &next, pieces); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return pieces, nil
}

// hashWorker hashes pieces claimed from next until none are left, writing each
// hash to its slot in pieces. Slots are disjoint, so no locking is needed.
func hashWorker(ctx context.Context, f io.ReaderAt, size, pieceLength int64, next *atomic.Int64, pieces []byte) error {
	buf := make([]byte, min(pieceLength, hashChunkSize))
	h := sha1.New()
	numPieces := int64(len(pieces) / sha1.Size)
	for {
		index := next.Add(1) - 1
		if index >= numPieces {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := index * pieceLength
		end := min(start+pieceLength, size)
		h.Reset()
		for off := start; off < end; {
			n := int(min(int64(len(buf)), end-off))
			if _, err := f.ReadAt(buf[:n], off); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF // the file shrank while hashing
				}
				return fmt.Errorf("read piece %d at offset %d: %w", index, off, err)
			}
			h.Write(buf[:n])
			off += int64(n)
		}
		h.Sum(pieces[index*sha1.Size : index*sha1.Size : (index+1)*sha1.Size])
	}
}

// fileChanged reports whether f no longer matches the size and modification
// time seen before hashing, in which case the piece hashes may be mixed.
func fileChanged(f *os.File, before os.FileInfo) (bool, error) {
	after, err := f.Stat()
	if err != nil {
		return false, err
	}
	return after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()), nil
}
