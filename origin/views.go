package origin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Key layout of view counts (local videos only; a remote video's count is
// its origin's, kept in RemoteVideo.Views).
const (
	prefixViews    = "vw/"  // vw/<id> → total views (8-byte big-endian)
	prefixViewsDay = "vwd/" // vwd/<day>/<id> → views on that UTC day (day: 4-byte days since 1970)
)

// Defaults of ViewsConfig, PeerTube's: trending counts the views of the
// last 7 days (trending.videos.interval_days).
const (
	DefaultTrendingDays    = 7
	DefaultViewsFlushEvery = 5 * time.Second
)

// ViewsConfig configures a Views accumulator.
type ViewsConfig struct {
	// TrendingDays is how many days (today included) the trending order
	// counts; per-day counts older than that are dropped (zero:
	// DefaultTrendingDays).
	TrendingDays int
	// FlushEvery is how often counted views are written (zero:
	// DefaultViewsFlushEvery).
	FlushEvery time.Duration
	// Now is the clock (nil: time.Now); tests move it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Views counts local videos' views. Add only counts in memory: with the
// catalogue's synced writes one transaction per view costs a disk flush
// (see BenchmarkAddView), so Run writes what was counted every FlushEvery
// in one transaction, and once more when it stops. A crash loses the
// views of the last FlushEvery at most.
type Views struct {
	c   *Catalog
	cfg ViewsConfig

	mu      sync.Mutex
	pending map[dayVideo]int64
}

// dayVideo is a video on a UTC day (days since 1970).
type dayVideo struct {
	day uint32
	id  int64
}

// NewViews returns the view accumulator of c.
func NewViews(c *Catalog, cfg ViewsConfig) *Views {
	if cfg.TrendingDays <= 0 {
		cfg.TrendingDays = DefaultTrendingDays
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = DefaultViewsFlushEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Views{c: c, cfg: cfg, pending: make(map[dayVideo]int64)}
}

func dayOf(t time.Time) uint32 { return uint32(t.Unix() / 86400) }

// AddView counts one view of local video id now.
func (v *Views) AddView(id int64) {
	k := dayVideo{dayOf(v.cfg.Now()), id}
	v.mu.Lock()
	v.pending[k]++
	v.mu.Unlock()
}

// Run writes counted views every FlushEvery until ctx is done, then a
// last time.
func (v *Views) Run(ctx context.Context) {
	tick := time.NewTicker(v.cfg.FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// The node is stopping: the last write must not be cancelled
			// with it.
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := v.Flush(stop); err != nil {
				v.cfg.Logger.Error("write view counts at stop", "err", err)
			}
			return
		case <-tick.C:
			if err := v.Flush(ctx); err != nil && ctx.Err() == nil {
				v.cfg.Logger.Warn("write view counts", "err", err)
			}
		}
	}
}

// Flush writes the views counted so far in one transaction, and drops
// per-day counts older than the trending window. On failure the counts
// are kept for the next flush.
func (v *Views) Flush(ctx context.Context) error {
	v.mu.Lock()
	batch := v.pending
	v.pending = make(map[dayVideo]int64)
	v.mu.Unlock()
	oldest := dayOf(v.cfg.Now()) - uint32(v.cfg.TrendingDays-1)
	err := v.c.update(ctx, func(txn *badger.Txn) error {
		for k, n := range batch {
			if _, err := txn.Get(idKey(prefixVideo, k.id)); errors.Is(err, badger.ErrKeyNotFound) {
				continue // deleted meanwhile
			} else if err != nil {
				return err
			}
			if _, err := addCounter(txn, string(idKey(prefixViews, k.id)), n); err != nil {
				return err
			}
			if k.day >= oldest {
				if _, err := addCounter(txn, string(dayKey(k.day, k.id)), n); err != nil {
					return err
				}
			}
		}
		return dropDaysBefore(txn, oldest)
	})
	if err != nil {
		v.mu.Lock()
		for k, n := range batch {
			v.pending[k] += n
		}
		v.mu.Unlock()
		return fmt.Errorf("write view counts: %w", err)
	}
	return nil
}

func dayKey(day uint32, id int64) []byte {
	k := binary.BigEndian.AppendUint32([]byte(prefixViewsDay), day)
	return idKey(string(append(k, '/')), id)
}

// dropDaysBefore deletes the per-day counts of days before oldest.
func dropDaysBefore(txn *badger.Txn, oldest uint32) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = []byte(prefixViewsDay), false
	it := txn.NewIterator(opts)
	defer it.Close()
	stop := binary.BigEndian.AppendUint32([]byte(prefixViewsDay), oldest)
	var old [][]byte
	for it.Rewind(); it.Valid() && string(it.Item().Key()) < string(stop); it.Next() {
		old = append(old, it.Item().KeyCopy(nil))
	}
	for _, k := range old {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// fillViews sets v.Views from the catalogue.
func fillViews(txn *badger.Txn, v *Video) error {
	n, err := readCounter(txn, string(idKey(prefixViews, v.ID)))
	v.Views = n
	return err
}

// totalViews reads local videos' total views.
func totalViews(txn *badger.Txn) (map[int64]int64, error) {
	scores := make(map[int64]int64)
	return scores, eachKey(txn, prefixViews, true, addScore(scores))
}

// addScore adds a view counter's item to scores.
func addScore(scores map[int64]int64) func(*badger.Item) error {
	return func(item *badger.Item) error {
		return item.Value(func(b []byte) error {
			if len(b) != 8 {
				return fmt.Errorf("corrupt view count %q", item.Key())
			}
			scores[keyID(item.Key())] += int64(binary.BigEndian.Uint64(b))
			return nil
		})
	}
}

// trendingViews reads local videos' views of the trending window.
func (v *Views) trendingViews(txn *badger.Txn) (map[int64]int64, error) {
	scores := make(map[int64]int64)
	add := addScore(scores)
	oldest := dayOf(v.cfg.Now()) - uint32(v.cfg.TrendingDays-1)
	from := string(binary.BigEndian.AppendUint32([]byte(prefixViewsDay), oldest))
	return scores, eachKey(txn, prefixViewsDay, true, func(item *badger.Item) error {
		if string(item.Key()) < from {
			return nil
		}
		return add(item)
	})
}

// eachKey calls fn with every item under prefix, in key order.
func eachKey(txn *badger.Txn, prefix string, values bool, fn func(*badger.Item) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = []byte(prefix), values
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := fn(it.Item()); err != nil {
			return err
		}
	}
	return nil
}
