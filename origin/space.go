package origin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/peeredge/peeredge/internal/layout"
)

// ErrNoSpace reports that the data directory's filesystem has too little
// free space for what was asked; nothing was written (or what was started
// was rolled back).
var ErrNoSpace = errors.New("not enough free disk space")

// CatalogHeadroom is the free space the catalogue needs to write at all.
// badger writes through memory-mapped files that it creates sparse (a
// memtable log, value log files, tables during flushes and compactions):
// a page it touches on a full filesystem kills the process with SIGBUS
// instead of returning an error. Its logs are preallocated (Catalog), so
// plain writes need no new space; this covers a memtable log rotation, a
// flush and a compaction with the catalogue's small options.
const CatalogHeadroom = 16 << 20

// MinDiskReserve is the smallest reserve Space accepts: its ballast (half
// the reserve) must give the catalogue more than its headroom.
const MinDiskReserve = 3 * CatalogHeadroom

// Space keeps the data directory's filesystem from filling up under the
// node, which badger does not survive (see CatalogHeadroom):
//
//   - large writes (uploads, transcodes) start only when the free space
//     would stay above the reserve, and stop when it falls below it
//     (CheckRoom, Watch);
//   - catalogue writes need CatalogHeadroom (CatalogWritable);
//   - a ballast file of the node's own holds free space back: when the
//     filesystem fills up anyway (another program, logs), the ballast is
//     released so that the catalogue can finish what it started, and it is
//     put back once there is room again (Tend).
//
// Free space is what statfs says unprivileged users may use.
type Space struct {
	disk    layout.Disk
	reserve int64
	ballast int64
	logger  *slog.Logger

	mu       sync.Mutex // serialises ballast changes
	released bool       // the ballast was released for lack of space
}

// NewSpace returns the guard of disk's filesystem with the given reserve
// (at least MinDiskReserve). The ballast is half the reserve, at most 64 MiB.
func NewSpace(disk layout.Disk, reserve int64, logger *slog.Logger) (*Space, error) {
	if reserve < MinDiskReserve {
		return nil, fmt.Errorf("disk reserve %d bytes: want at least %d", reserve, int64(MinDiskReserve))
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Space{disk: disk, reserve: reserve, ballast: min(reserve/2, 64<<20), logger: logger}, nil
}

// Free is the free space of the data directory's filesystem, in bytes.
func (s *Space) Free() (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(s.disk.Root(), &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", s.disk.Root(), err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// CheckRoom says whether n more bytes can be written while the free space
// stays above the reserve; ErrNoSpace when not.
func (s *Space) CheckRoom(n int64) error {
	free, err := s.Free()
	if err != nil {
		return err
	}
	if free-n < s.reserve {
		return fmt.Errorf("%w: %s free, %s more asked, %s kept in reserve", ErrNoSpace, mib(free), mib(n), mib(s.reserve))
	}
	return nil
}

// CatalogWritable says whether the catalogue may write: it needs
// CatalogHeadroom, and the ballast is released to make it if need be.
func (s *Space) CatalogWritable() error {
	free, err := s.Free()
	if err != nil {
		return err
	}
	if free >= CatalogHeadroom {
		return nil
	}
	if free, err = s.release(free); err != nil {
		return err
	}
	if free < CatalogHeadroom {
		return fmt.Errorf("%w: %s free, the catalogue needs %s to write safely", ErrNoSpace, mib(free), mib(CatalogHeadroom))
	}
	return nil
}

// release deletes the ballast, if there is one, and returns the free space
// after that.
func (s *Space) release(free int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.disk.BallastPath())
	if errors.Is(err, os.ErrNotExist) {
		return free, nil
	}
	if err != nil {
		return free, fmt.Errorf("release the space reserve: %w", err)
	}
	s.released = true
	after, err := s.Free()
	s.logger.Error("disk almost full: released the space reserve so the catalogue can go on; uploads and transcodes are refused until there is room again",
		"free before", mib(free), "free now", mib(after), "reserve", mib(s.reserve))
	return after, err
}

// Tend keeps the ballast: it releases it when the free space falls under
// the catalogue's headroom, and makes it (again) when there is room for it
// beside the reserve.
func (s *Space) Tend() error {
	free, err := s.Free()
	if err != nil {
		return err
	}
	if free < CatalogHeadroom {
		_, err := s.release(free)
		return err
	}
	if free < s.reserve+s.ballast {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := os.Stat(s.disk.BallastPath()); err == nil && st.Size() == s.ballast {
		return nil
	}
	if err := makeBallast(s.disk.BallastPath(), s.ballast); err != nil {
		return fmt.Errorf("make the space reserve: %w", err)
	}
	if s.released {
		s.released = false
		s.logger.Info("disk has room again: space reserve restored", "free", mib(free-s.ballast))
	}
	return nil
}

// Run tends the ballast every interval until ctx is done; jobs such as
// preallocating the catalogue's logs run with it.
func (s *Space) Run(ctx context.Context, every time.Duration, also ...func() error) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := s.Tend(); err != nil {
			s.logger.Warn("disk space", "err", err)
		}
		for _, f := range also {
			if err := f(); err != nil {
				s.logger.Warn("disk space", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Watch runs a large write under ctx's control: the returned context is
// cancelled with ErrNoSpace as its cause once the free space falls under
// the reserve (checked every interval), so that the write stops before
// the filesystem fills up. Call stop when the write is over.
func (s *Space) Watch(ctx context.Context, every time.Duration) (watched context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := s.CheckRoom(0); errors.Is(err, ErrNoSpace) {
				s.logger.Warn("stopping a write: disk almost full", "err", err)
				cancel(err)
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		cancel(nil)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
