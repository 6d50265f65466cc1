package seeder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// errReadOnly is returned for any write: the seeder serves the node's own
// files and never downloads, so no peer can make it change a media file.
var errReadOnly = errors.New("seeder: storage is read-only")

// inPlaceStorage is a storage.ClientImpl that reads each torrent's single
// data file where the node wrote it, with plain pread(2) calls on one open
// descriptor per torrent.
//
// storage.NewFileOpts would need no copy either, but its file I/O is chosen
// once per process from TORRENT_STORAGE_DEFAULT_FILE_IO and defaults to mmap,
// which keeps every mapping for the life of the process; with part files on
// it also trusts a file's size instead of its hashes. This type has neither
// problem, writes nothing, and creates no side files.
type inPlaceStorage struct {
	completion *kvCompletion
	mu         sync.Mutex
	paths      map[metainfo.Hash]string // registered by Seed before AddTorrent
}

var _ storage.ClientImpl = (*inPlaceStorage)(nil)

func newInPlaceStorage(completion *kvCompletion) *inPlaceStorage {
	return &inPlaceStorage{completion: completion, paths: make(map[metainfo.Hash]string)}
}

func (s *inPlaceStorage) register(ih metainfo.Hash, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths[ih] = path
}

func (s *inPlaceStorage) unregister(ih metainfo.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.paths, ih)
}

// OpenTorrent opens the registered data file and checks its length against
// the info; the client calls it once the torrent's info is known.
func (s *inPlaceStorage) OpenTorrent(_ context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	s.mu.Lock()
	path, ok := s.paths[ih]
	s.mu.Unlock()
	if !ok {
		return storage.TorrentImpl{}, fmt.Errorf("seeder: no data file registered for %s", ih)
	}
	f, err := os.Open(path)
	if err != nil {
		return storage.TorrentImpl{}, fmt.Errorf("seeder: open data file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return storage.TorrentImpl{}, fmt.Errorf("seeder: stat data file: %w", err)
	}
	if st.Size() != info.TotalLength() {
		f.Close()
		return storage.TorrentImpl{}, fmt.Errorf("seeder: %s is %d bytes, torrent says %d", path, st.Size(), info.TotalLength())
	}
	t := &inPlaceTorrent{file: f, ih: ih, completion: s.completion}
	return storage.TorrentImpl{Piece: t.piece, Close: t.close}, nil
}

type inPlaceTorrent struct {
	file       *os.File
	ih         metainfo.Hash
	completion *kvCompletion
	closeOnce  sync.Once
	closeErr   error
}

func (t *inPlaceTorrent) piece(p metainfo.Piece) storage.PieceImpl {
	return &inPlacePiece{
		SectionReader: io.NewSectionReader(t.file, p.Offset(), p.Length()),
		key:           metainfo.PieceKey{InfoHash: t.ih, Index: p.Index()},
		completion:    t.completion,
	}
}

func (t *inPlaceTorrent) close() error {
	t.closeOnce.Do(func() { t.closeErr = t.file.Close() })
	return t.closeErr
}

// inPlacePiece reads one piece's byte range of the data file.
type inPlacePiece struct {
	*io.SectionReader
	key        metainfo.PieceKey
	completion *kvCompletion
}

func (p *inPlacePiece) WriteAt([]byte, int64) (int, error) { return 0, errReadOnly }

func (p *inPlacePiece) MarkComplete() error { return p.completion.Set(p.key, true) }

func (p *inPlacePiece) MarkNotComplete() error { return p.completion.Set(p.key, false) }

func (p *inPlacePiece) Completion() storage.Completion {
	c, err := p.completion.Get(p.key)
	c.Err = errors.Join(c.Err, err)
	return c
}
