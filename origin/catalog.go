// Package origin keeps the node's own state: the video catalogue and job
// queue (badger), the media layout on disk, upload intake, the admin token
// and the contact form's messages.
//
// A contact message is kept with the address it was sent from (the
// administrator needs it against abuse) until the administrator deletes
// the message: nothing expires it, and the address is shown only to the
// administrator.
package origin

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/peeredge/peeredge/internal/layout"

	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"
)

// State is a video's state, numbered as PeerTube's VideoState.
type State int

const (
	StatePublished         State = 1
	StateToTranscode       State = 2
	StateTranscodingFailed State = 7
)

// Video is one catalogue entry.
type Video struct {
	ID          int64
	UUID        string
	ShortUUID   string
	Name        string
	State       State
	Transcoding bool
	Progress    float64 // 0..1 while transcoding
	// Why State is StateTranscodingFailed. Error is the whole story (causes,
	// tool output, a panic's stack) for the node's log and its
	// administrator; Reason says what failed in words a user can act on,
	// and is all the API shows.
	Error      string
	Reason     string
	Duration   float64 // seconds
	SourceSize int64
	SourceName string
	// Description and Support are PeerTube's texts of a video (its
	// description and the "support this creator" text); empty: none.
	Description string `json:",omitempty"`
	Support     string `json:",omitempty"`
	ChannelID   int64  // the channel it was uploaded to; 0 before channels existed
	Details            // tags, category, licence, language, privacy, flags
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Renditions  []Rendition
	// Thumbnail and Preview name the video's images in its HLS directory
	// (layout.ThumbnailFileName, layout.PreviewFileName); "" for a video
	// published without them (before the node made them).
	Thumbnail string `json:",omitempty"`
	Preview   string `json:",omitempty"`
	// Views is its view count (kept apart, see Views; not stored here).
	Views int64 `json:"-"`
}

// Rendition is one rung of a video's HLS ladder.
type Rendition struct {
	Height       int
	Width        int
	FPS          float64
	Size         int64
	FileName     string
	PlaylistName string
	TorrentName  string
	InfoHash     string // hex
	Bandwidth    int
	// Codecs are the rung's RFC 6381 codecs, as in the master playlist
	// (e.g. "avc1.64001f,mp4a.40.2"); "" for rungs published before they
	// were recorded.
	Codecs string `json:",omitempty"`
}

// ErrNotFound reports a video or job that is not in the catalogue.
var ErrNotFound = errors.New("not found")

// Key layout. Ids are 8-byte big-endian so that key order is id order.
const (
	prefixVideo     = "v/"  // v/<id> → Video JSON
	prefixVideoUUID = "vu/" // vu/<uuid> → id
	prefixVideoShrt = "vs/" // vs/<shortUUID> → id
	keyVideoSeq     = "seq/video"
	keyVideoCount   = "count/video"        // number of videos, so listing need not count
	keyHiddenCount  = "count/video/hidden" // of which unlisted or private
)

// maxConflictRetries bounds retries of a transaction that lost a race.
const maxConflictRetries = 32

// Catalog is the video catalogue in a badger database. The job queue and the
// admin token live in the same database.
type Catalog struct {
	db     *badger.DB
	dir    string
	space  *Space // nil: writes are not guarded
	logger *slog.Logger

	// writeMu serialises read-write transactions. The catalogue has one
	// owner process and few writes, and every create touches the same
	// sequence and counter keys: optimistic retries under contention
	// starved writers, a lock does not.
	writeMu sync.Mutex

	tokenMu   sync.Mutex
	tokenHash []byte // cached SHA-256 of the admin token; nil until known
}

// OpenCatalog opens (or creates) the database in dir with options sized for a
// small catalogue: small memtables and caches, and values kept in the LSM
// tree (records are a few KiB) so the value log never needs collecting.
// With a space guard (nil: none), every write first asks it for room and
// badger's memory-mapped logs are preallocated, so that a full disk is an
// error (ErrNoSpace) instead of a SIGBUS.
func OpenCatalog(dir string, logger *slog.Logger, space *Space) (*Catalog, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if space != nil {
		if err := space.CatalogWritable(); err != nil {
			return nil, fmt.Errorf("open catalogue %s: %w", dir, err)
		}
	}
	// The memtable log (2 × MemTableSize) and value log files
	// (2 × ValueLogFileSize) are memory-mapped and preallocated whole:
	// small ones keep that cheap, and the headroom (CatalogHeadroom) a
	// flush or compaction needs, small.
	opts := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{logger.With("component", "badger")}).
		WithLoggingLevel(badger.WARNING).
		WithSyncWrites(true). // an acknowledged upload must survive a crash
		WithMemTableSize(2 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBaseTableSize(1 << 20).
		WithBaseLevelSize(8 << 20).
		WithValueThreshold(64 << 10).
		WithValueLogFileSize(1 << 20).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithNumCompactors(2).
		WithNumVersionsToKeep(1).
		WithMetricsEnabled(false)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open catalogue %s: %w", dir, err)
	}
	c := &Catalog{db: db, dir: dir, space: space, logger: logger}
	if space != nil {
		if err := c.PreallocateLogs(); err != nil {
			db.Close()
			return nil, fmt.Errorf("open catalogue %s: %w", dir, err)
		}
	}
	return c, nil
}

// PreallocateLogs gives badger's memory-mapped logs all their blocks (it
// creates them sparse), so that writing them never faults on a full disk.
// badger makes a new memtable log at each rotation: a node calls this
// periodically (origin.Space.Run) besides once at open.
func (c *Catalog) PreallocateLogs() error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("preallocate catalogue logs: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog") || name == "DISCARD" {
			err := preallocate(filepath.Join(c.dir, name))
			if errors.Is(err, os.ErrNotExist) {
				continue // rotated away meanwhile
			}
			if err != nil {
				return fmt.Errorf("preallocate catalogue log %s: %w", name, err)
			}
		}
	}
	return nil
}

// Close flushes and closes the database. Stop Queue.Run first. On a disk
// too full for the flush (which badger writes through a memory mapping) it
// leaves the database as it is: every acknowledged write is in its log,
// which the next open replays.
func (c *Catalog) Close() error {
	if c.space != nil {
		if err := c.space.CatalogWritable(); err != nil {
			c.logger.Error("catalogue not flushed on close; its log replays at the next start", "err", err)
			return fmt.Errorf("close catalogue: %w", err)
		}
	}
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close catalogue: %w", err)
	}
	return nil
}

// update runs fn in a read-write transaction, retrying when a concurrent
// transaction wrote what fn read. fn may therefore run more than once.
func (c *Catalog) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for range maxConflictRetries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.space != nil {
			if err := c.space.CatalogWritable(); err != nil {
				return err
			}
		}
		c.writeMu.Lock()
		err := c.db.Update(fn)
		c.writeMu.Unlock()
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("catalogue: %w after %d attempts", badger.ErrConflict, maxConflictRetries)
}

// CreateVideo stores v as a new video. It assigns the ID (a sequence from 1),
// a random UUID v4 unless v.UUID is already a valid UUID, the ShortUUID,
// CreatedAt and UpdatedAt. A zero State becomes StateToTranscode.
func (c *Catalog) CreateVideo(ctx context.Context, v Video) (Video, error) {
	var out Video
	err := c.update(ctx, func(txn *badger.Txn) error {
		var err error
		out, err = createVideoTxn(txn, v)
		return err
	})
	if err != nil {
		return Video{}, fmt.Errorf("create video: %w", err)
	}
	return out, nil
}

func createVideoTxn(txn *badger.Txn, v Video) (Video, error) {
	if v.UUID == "" {
		v.UUID = uuid.NewString()
	}
	id, err := layout.CanonicalUUID(v.UUID)
	if err != nil {
		return Video{}, err
	}
	v.UUID = id
	if v.ShortUUID, err = layout.ShortUUID(v.UUID); err != nil {
		return Video{}, err
	}
	if _, err := txn.Get([]byte(prefixVideoUUID + v.UUID)); err == nil {
		return Video{}, fmt.Errorf("uuid %s already in use", v.UUID)
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return Video{}, err
	}
	v.ID, err = nextSeq(txn, keyVideoSeq)
	if err != nil {
		return Video{}, err
	}
	if _, err := addCounter(txn, keyVideoCount, 1); err != nil {
		return Video{}, err
	}
	now := time.Now().UTC().Round(0)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	v.UpdatedAt = now
	if v.State == 0 {
		v.State = StateToTranscode
	}
	if err := putVideo(txn, v); err != nil {
		return Video{}, err
	}
	if err := countHidden(txn, Video{}, v); err != nil {
		return Video{}, err
	}
	idBytes := idKey("", v.ID)
	if err := txn.Set([]byte(prefixVideoUUID+v.UUID), idBytes); err != nil {
		return Video{}, err
	}
	if err := txn.Set([]byte(prefixVideoShrt+v.ShortUUID), idBytes); err != nil {
		return Video{}, err
	}
	return v, nil
}

// nextSeq increments the counter at key inside txn. Unlike badger's leased
// Sequence it never skips numbers, and a conflict simply retries the txn.
func nextSeq(txn *badger.Txn, key string) (int64, error) {
	return addCounter(txn, key, 1)
}

// readCounter returns the counter at key (0 when absent).
func readCounter(txn *badger.Txn, key string) (int64, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = item.Value(func(b []byte) error {
		if len(b) != 8 {
			return fmt.Errorf("corrupt counter %s", key)
		}
		n = int64(binary.BigEndian.Uint64(b))
		return nil
	})
	return n, err
}

// addCounter adds delta to the counter at key and returns the new value.
func addCounter(txn *badger.Txn, key string, delta int64) (int64, error) {
	n, err := readCounter(txn, key)
	if err != nil {
		return 0, err
	}
	n += delta
	return n, txn.Set([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func idKey(prefix string, id int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefix), uint64(id))
}

func putVideo(txn *badger.Txn, v Video) error { return putJSON(txn, idKey(prefixVideo, v.ID), v) }

func getVideo(txn *badger.Txn, id int64) (Video, error) {
	return getJSON[Video](txn, idKey(prefixVideo, id))
}

// putJSON stores v as JSON under key.
func putJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

// getJSON loads the JSON value under key; ErrNotFound when there is none.
func getJSON[T any](txn *badger.Txn, key []byte) (T, error) {
	var v T
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, err
	}
	return itemJSON[T](item)
}

// itemJSON decodes an item's JSON value.
func itemJSON[T any](item *badger.Item) (T, error) {
	var v T
	err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) })
	return v, err
}

// indexLookup resolves a secondary index key to a video id.
func indexLookup(txn *badger.Txn, key string) (int64, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	var id int64
	err = item.Value(func(b []byte) error {
		if len(b) != 8 {
			return fmt.Errorf("corrupt index %s", key)
		}
		id = int64(binary.BigEndian.Uint64(b))
		return nil
	})
	return id, err
}

// Video finds a video by numeric id, UUID or shortUUID, as PeerTube's
// /videos/{id} does. It returns ErrNotFound when there is none.
func (c *Catalog) Video(ctx context.Context, ref string) (Video, error) {
	if err := ctx.Err(); err != nil {
		return Video{}, err
	}
	var v Video
	err := c.db.View(func(txn *badger.Txn) error {
		id, err := resolveRef(txn, ref)
		if err != nil {
			return err
		}
		if v, err = getVideo(txn, id); err != nil {
			return err
		}
		return fillViews(txn, &v)
	})
	if err != nil {
		return Video{}, fmt.Errorf("video %q: %w", ref, err)
	}
	return v, nil
}

func resolveRef(txn *badger.Txn, ref string) (int64, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if id <= 0 {
			return 0, ErrNotFound
		}
		return id, nil
	}
	if u, err := layout.CanonicalUUID(ref); err == nil {
		return indexLookup(txn, prefixVideoUUID+u)
	}
	if len(ref) == layout.ShortUUIDLen {
		return indexLookup(txn, prefixVideoShrt+ref)
	}
	return 0, ErrNotFound
}

// Videos lists videos newest first (id descending, like PeerTube's default
// -publishedAt sort), skipping start and returning at most count, with the
// total number of videos.
func (c *Catalog) Videos(ctx context.Context, start, count int) ([]Video, int, error) {
	out, total, err := listNewest[Video](ctx, c, prefixVideo, keyVideoCount, start, count, nil)
	if err == nil {
		err = c.withViews(out)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list videos: %w", err)
	}
	return out, total, nil
}

// ListedVideos is Videos of the listed (public) videos only, with their
// total.
func (c *Catalog) ListedVideos(ctx context.Context, start, count int) ([]Video, int, error) {
	out, total, err := listNewest[Video](ctx, c, prefixVideo, keyVideoCount, start, count, func(v Video) bool { return v.Listed() })
	if err == nil {
		err = c.withViews(out)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list videos: %w", err)
	}
	return out, total, nil
}

// withViews reads the view counts of videos.
func (c *Catalog) withViews(videos []Video) error {
	return c.db.View(func(txn *badger.Txn) error {
		for i := range videos {
			if err := fillViews(txn, &videos[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// listNewest lists the JSON records under prefix (keyed by 8-byte ids)
// newest first, skipping start and returning at most count, with the
// total the counter at countKey holds. With keep, only the records it
// keeps count, and the total is less the hidden videos' counter (keep
// serves the videos' list only).
func listNewest[T any](ctx context.Context, c *Catalog, prefix, countKey string, start, count int, keep func(T) bool) ([]T, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	start = max(start, 0)
	var (
		out   []T
		total int
	)
	err := c.db.View(func(txn *badger.Txn) error {
		n, err := readCounter(txn, countKey)
		if err != nil {
			return err
		}
		if keep != nil {
			hidden, err := readCounter(txn, keyHiddenCount)
			if err != nil {
				return err
			}
			n -= hidden
		}
		total = int(n)
		if count <= 0 || start >= total {
			return nil
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(prefix)
		opts.Reverse = true
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		// In reverse, Seek lands on the last key <= the seek key.
		skipped := 0
		for it.Seek([]byte(prefix + "\xff")); it.Valid() && len(out) < count; it.Next() {
			var v T
			if keep != nil { // read first to know whether it counts
				if v, err = itemJSON[T](it.Item()); err != nil {
					return err
				}
				if !keep(v) {
					continue
				}
			}
			if skipped < start {
				skipped++
				continue
			}
			if keep == nil {
				if v, err = itemJSON[T](it.Item()); err != nil {
					return err
				}
			}
			out = append(out, v)
		}
		return nil
	})
	return out, total, err
}

// EachVideo calls fn for every video, newest first, a page at a time (so a
// large catalogue is never held in memory), and stops at fn's first error.
// Videos created meanwhile may be missed; none is visited twice unless
// others are deleted meanwhile.
func (c *Catalog) EachVideo(ctx context.Context, fn func(Video) error) error {
	const page = 100
	for start := 0; ; start += page {
		videos, total, err := c.Videos(ctx, start, page)
		if err != nil {
			return err
		}
		for _, v := range videos {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(videos) == 0 || start+len(videos) >= total {
			return nil
		}
	}
}

// UpdateVideo applies fn to the stored video in one transaction, retrying on
// conflicts (so fn may run more than once and must only modify its argument).
// ID, UUID, ShortUUID and CreatedAt cannot be changed; UpdatedAt is set.
// An error from fn aborts the update and is returned unchanged.
func (c *Catalog) UpdateVideo(ctx context.Context, id int64, fn func(*Video) error) (Video, error) {
	var out Video
	var fnErr error
	err := c.update(ctx, func(txn *badger.Txn) error {
		fnErr = nil
		v, err := getVideo(txn, id)
		if err != nil {
			return err
		}
		orig := v
		v.Renditions = append([]Rendition(nil), orig.Renditions...)
		if err := fn(&v); err != nil {
			fnErr = err
			return err
		}
		v.ID, v.UUID, v.ShortUUID, v.CreatedAt = orig.ID, orig.UUID, orig.ShortUUID, orig.CreatedAt
		v.UpdatedAt = time.Now().UTC().Round(0)
		if err := putVideo(txn, v); err != nil {
			return err
		}
		if err := countHidden(txn, orig, v); err != nil {
			return err
		}
		out = v
		return nil
	})
	if fnErr != nil {
		return Video{}, fnErr
	}
	if err != nil {
		return Video{}, fmt.Errorf("update video %d: %w", id, err)
	}
	return out, nil
}

// DeleteVideo removes a video and its index entries from the catalogue
// (files are the Store's: see Store.RemoveVideo).
func (c *Catalog) DeleteVideo(ctx context.Context, id int64) error {
	err := c.update(ctx, func(txn *badger.Txn) error {
		v, err := getVideo(txn, id)
		if err != nil {
			return err
		}
		// Its per-day view counts leave with the trending window.
		for _, k := range [][]byte{idKey(prefixVideo, id), []byte(prefixVideoUUID + v.UUID), []byte(prefixVideoShrt + v.ShortUUID), idKey(prefixViews, id)} {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		if err := countHidden(txn, v, Video{}); err != nil {
			return err
		}
		_, err = addCounter(txn, keyVideoCount, -1)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete video %d: %w", id, err)
	}
	return nil
}

// badgerLogger routes badger's printf-style log to slog. Only warnings and
// errors are kept; badger is chatty at info level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(trimNL(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(trimNL(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Infof(string, ...any)        {}
func (b badgerLogger) Debugf(string, ...any)       {}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
