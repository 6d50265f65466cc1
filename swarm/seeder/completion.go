package seeder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
	"github.com/anacrolix/torrent/types/infohash"
)

// KV is where piece completion persists. The node passes a view of its
// badger catalogue; any byte-keyed store works.
type KV interface {
	Get(key []byte) (value []byte, found bool, err error)
	Set(key, value []byte) error
	Delete(key []byte) error
}

// completionKeyPrefix namespaces the seeder's records in a shared KV. A key is
// the prefix followed by the 20-byte v1 info hash.
const completionKeyPrefix = "seeder/completion/"

func completionKey(ih metainfo.Hash) []byte {
	return append([]byte(completionKeyPrefix), ih.Bytes()...)
}

// completionRecord is what the KV holds per torrent: the identity of the
// data file when it was verified (so a replaced file is verified again) and
// one bit per piece.
type completionRecord struct {
	size    int64
	modTime int64 // unix nanoseconds
	pieces  int
	bits    []byte // bit i set = piece i verified complete; (pieces+7)/8 bytes
}

// recordVersion leads every encoded record so the layout can change later.
const recordVersion = 1

var errBadRecord = errors.New("seeder: malformed completion record")

func newCompletionRecord(size, modTime int64, pieces int) *completionRecord {
	return &completionRecord{size: size, modTime: modTime, pieces: pieces, bits: make([]byte, (pieces+7)/8)}
}

func (r *completionRecord) complete(i int) bool {
	return i >= 0 && i < r.pieces && r.bits[i/8]&(1<<(i%8)) != 0
}

func (r *completionRecord) set(i int, complete bool) {
	if complete {
		r.bits[i/8] |= 1 << (i % 8)
	} else {
		r.bits[i/8] &^= 1 << (i % 8)
	}
}

func (r *completionRecord) allComplete() bool {
	for i := range r.pieces {
		if !r.complete(i) {
			return false
		}
	}
	return true
}

// encode lays the record out as: version byte, uvarint size, varint
// modTime, uvarint pieces, bitmap.
func (r *completionRecord) encode() []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(r.bits))
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(r.size))
	b = binary.AppendVarint(b, r.modTime)
	b = binary.AppendUvarint(b, uint64(r.pieces))
	return append(b, r.bits...)
}

// decodeCompletionRecord parses a stored record. The KV is ours, but a
// corrupt or foreign value must read as "unknown", never panic.
func decodeCompletionRecord(b []byte) (*completionRecord, error) {
	if len(b) == 0 || b[0] != recordVersion {
		return nil, errBadRecord
	}
	b = b[1:]
	size, n := binary.Uvarint(b)
	if n <= 0 || size > 1<<62 {
		return nil, errBadRecord
	}
	b = b[n:]
	modTime, n := binary.Varint(b)
	if n <= 0 {
		return nil, errBadRecord
	}
	b = b[n:]
	pieces, n := binary.Uvarint(b)
	if n <= 0 || pieces > 1<<31 {
		return nil, errBadRecord
	}
	b = b[n:]
	if uint64(len(b)) != (pieces+7)/8 {
		return nil, errBadRecord
	}
	return &completionRecord{size: int64(size), modTime: modTime, pieces: int(pieces), bits: append([]byte(nil), b...)}, nil
}

// kvCompletion is a storage.PieceCompletion over KV: one record per info
// hash, cached in memory and written through on every change. It replaces
// the sqlite/bolt completion databases anacrolix would otherwise create.
type kvCompletion struct {
	kv      KV
	mu      sync.Mutex
	records map[metainfo.Hash]*completionRecord
}

var _ interface {
	storage.PieceCompletion
	storage.PieceCompletionGetRanger
	storage.PieceCompletionPersistenter
} = (*kvCompletion)(nil)

func newKVCompletion(kv KV) *kvCompletion {
	return &kvCompletion{kv: kv, records: make(map[metainfo.Hash]*completionRecord)}
}

// load returns the stored record of ih, or nil when there is none (or it is
// unreadable), and caches it.
func (c *kvCompletion) load(ih metainfo.Hash) (*completionRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.records[ih]; ok {
		return r, nil
	}
	v, found, err := c.kv.Get(completionKey(ih))
	if err != nil {
		return nil, fmt.Errorf("seeder: read completion of %s: %w", ih, err)
	}
	if !found {
		return nil, nil
	}
	r, err := decodeCompletionRecord(v)
	if err != nil {
		return nil, nil // treated as never verified; the next store overwrites it
	}
	c.records[ih] = r
	return r, nil
}

// store replaces ih's record, in memory and in the KV.
func (c *kvCompletion) store(ih metainfo.Hash, r *completionRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.kv.Set(completionKey(ih), r.encode()); err != nil {
		return fmt.Errorf("seeder: write completion of %s: %w", ih, err)
	}
	c.records[ih] = r
	return nil
}

// forget deletes ih's record from memory and the KV.
func (c *kvCompletion) forget(ih metainfo.Hash) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.records, ih)
	if err := c.kv.Delete(completionKey(ih)); err != nil {
		return fmt.Errorf("seeder: delete completion of %s: %w", ih, err)
	}
	return nil
}

// Get reports a piece as known only when its torrent has a record; Seed
// stores one before the torrent reaches the client.
func (c *kvCompletion) Get(pk metainfo.PieceKey) (storage.Completion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[pk.InfoHash]
	if !ok || pk.Index < 0 || pk.Index >= r.pieces {
		return storage.Completion{}, nil
	}
	return storage.Completion{Ok: true, Complete: r.complete(pk.Index)}, nil
}

func (c *kvCompletion) GetRange(ih infohash.T, begin, end int) iter.Seq[storage.Completion] {
	return func(yield func(storage.Completion) bool) {
		for i := begin; i < end; i++ {
			cmpl, _ := c.Get(metainfo.PieceKey{InfoHash: ih, Index: i})
			if !yield(cmpl) {
				return
			}
		}
	}
}

// Set records a verdict of the client's own hashing (it re-hashes only when
// asked to). Unknown torrents and out-of-range pieces are ignored: the
// seeder only serves torrents it verified and recorded.
func (c *kvCompletion) Set(pk metainfo.PieceKey, complete bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[pk.InfoHash]
	if !ok || pk.Index < 0 || pk.Index >= r.pieces || r.complete(pk.Index) == complete {
		return nil
	}
	r.set(pk.Index, complete)
	if err := c.kv.Set(completionKey(pk.InfoHash), r.encode()); err != nil {
		return fmt.Errorf("seeder: write completion of %s: %w", pk.InfoHash, err)
	}
	return nil
}

// Persistent is true: completion survives restarts, so the storage flushes
// nothing on completion (it never writes anyway).
func (c *kvCompletion) Persistent() bool { return true }

// Close drops the cache; the KV belongs to the caller.
func (c *kvCompletion) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.records)
	return nil
}
