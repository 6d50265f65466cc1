package seeder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/swarm"
)

// Seed starts seeding the single-file torrent at torrentPath, whose data file
// is dataDir/<info.name>. The file is hashed once, the first time it is
// seeded (or after it changed size or mtime), and the verdict is kept in the
// KV so later Seeds, across restarts, start at once. A file that fails
// verification is not seeded: the error wraps ErrVerification. Seeding a
// torrent that is already seeded returns its info hash again.
func (s *Seeder) Seed(ctx context.Context, torrentPath, dataDir string) (metainfo.Hash, error) {
	var zero metainfo.Hash
	mi, info, err := swarm.ReadTorrentFile(torrentPath)
	if err != nil {
		return zero, fmt.Errorf("seeder: %w", err)
	}
	if len(info.Files) != 0 {
		return zero, fmt.Errorf("seeder: %s is a multi-file torrent", torrentPath)
	}
	name := info.Name
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return zero, fmt.Errorf("seeder: torrent name %q is not a plain file name", name)
	}
	ih := mi.HashInfoBytes()
	if s.seeding(ih) {
		return ih, nil
	}
	dataPath := filepath.Join(dataDir, name)
	if err := s.ensureVerified(ctx, ih, &info, dataPath); err != nil {
		return zero, err
	}

	spec, err := torrent.TorrentSpecFromMetaInfoErr(mi)
	if err != nil {
		return zero, fmt.Errorf("seeder: torrent spec: %w", err)
	}
	spec.Webseeds = nil // the node is the web seed
	spec.DisallowDataDownload = true
	spec.Storage = s.storage
	s.storage.register(ih, dataPath)
	t, added, err := s.client.AddTorrentSpec(spec)
	if err != nil {
		s.storage.unregister(ih)
		return zero, fmt.Errorf("seeder: add %s: %w", ih, err)
	}
	// The storage reports every piece complete from the KV record, so the
	// torrent completes as soon as its info is applied; waiting for it proves
	// the wiring before Seed reports success.
	select {
	case <-t.Complete().On():
	case <-ctx.Done():
		if added { // not a torrent a concurrent Seed of the same file added
			t.Drop()
			s.storage.unregister(ih)
		}
		return zero, fmt.Errorf("seeder: waiting for %s to load: %w", ih, ctx.Err())
	}
	s.mu.Lock()
	s.torrents[ih] = t
	s.mu.Unlock()
	s.rtcAdd(ih, mi)
	s.log.Info("seeding", "infohash", ih.HexString(), "file", dataPath, "bytes", info.TotalLength())
	return ih, nil
}

func (s *Seeder) seeding(ih metainfo.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.torrents[ih]
	return ok
}

// ensureVerified returns nil when the KV holds a complete record for the
// file as it is now; otherwise it hashes the file and stores the record.
func (s *Seeder) ensureVerified(ctx context.Context, ih metainfo.Hash, info *metainfo.Info, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("seeder: open data file: %w", err)
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return fmt.Errorf("seeder: stat data file: %w", err)
	}
	if !before.Mode().IsRegular() {
		return fmt.Errorf("seeder: %s is not a regular file", path)
	}
	if before.Size() != info.TotalLength() {
		return fmt.Errorf("%w: %s is %d bytes, torrent says %d", ErrVerification, path, before.Size(), info.TotalLength())
	}
	rec, err := s.completion.load(ih)
	if err != nil {
		return err
	}
	modTime := before.ModTime().UnixNano()
	if rec != nil && rec.size == before.Size() && rec.modTime == modTime &&
		rec.pieces == info.NumPieces() && rec.allComplete() {
		return nil
	}

	bits, err := verifyPieces(ctx, f, info, &s.bytesVerified)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, path)
	}
	after, err := f.Stat()
	if err != nil {
		return fmt.Errorf("seeder: stat data file: %w", err)
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return fmt.Errorf("seeder: %s changed while it was being verified", path)
	}
	rec = newCompletionRecord(before.Size(), modTime, info.NumPieces())
	copy(rec.bits, bits)
	return s.completion.store(ih, rec)
}

// Drop stops seeding ih and closes its data file. Its completion record
// stays, so seeding it again does not re-hash an unchanged file.
func (s *Seeder) Drop(ih metainfo.Hash) error {
	s.mu.Lock()
	t, ok := s.torrents[ih]
	delete(s.torrents, ih)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("seeder: %s is not being seeded", ih)
	}
	s.rtcRemove(ih)
	t.Drop()
	s.storage.unregister(ih)
	return nil
}

// Forget stops seeding ih if it is seeded and deletes its completion record,
// for when the rendition itself is deleted.
func (s *Seeder) Forget(ih metainfo.Hash) error {
	if s.seeding(ih) {
		if err := s.Drop(ih); err != nil {
			return err
		}
	}
	return s.completion.forget(ih)
}
