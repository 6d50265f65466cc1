package swarm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// maxTorrentFileSize bounds what ReadTorrentFile loads: a 16 MiB-piece torrent
// of a terabyte has 65,536 pieces, about 1.3 MB of hashes.
const maxTorrentFileSize = 16 << 20

// WriteTorrentFile writes mi bencoded to path atomically: to a temporary file
// in the same directory, fsynced, then renamed over path, so readers never see
// a partial .torrent.
func WriteTorrentFile(mi *metainfo.MetaInfo, path string) (err error) {
	if mi == nil || len(mi.InfoBytes) == 0 {
		return errors.New("swarm: metainfo has no info dictionary")
	}
	var buf bytes.Buffer
	if err := mi.Write(&buf); err != nil {
		return fmt.Errorf("swarm: encode torrent: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("swarm: create temporary torrent file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("swarm: write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("swarm: chmod %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("swarm: fsync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("swarm: close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("swarm: rename torrent into place: %w", err)
	}
	// Persist the rename itself; failure here is not worth failing the write.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ReadTorrentFile loads and checks a single-file or multi-file v1 .torrent.
func ReadTorrentFile(path string) (*metainfo.MetaInfo, metainfo.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, metainfo.Info{}, fmt.Errorf("swarm: open torrent: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTorrentFileSize+1))
	if err != nil {
		return nil, metainfo.Info{}, fmt.Errorf("swarm: read torrent %s: %w", path, err)
	}
	if len(data) > maxTorrentFileSize {
		return nil, metainfo.Info{}, fmt.Errorf("swarm: torrent %s is larger than %d bytes", path, maxTorrentFileSize)
	}
	mi, info, err := ParseTorrent(data)
	if err != nil {
		return nil, metainfo.Info{}, fmt.Errorf("swarm: torrent %s: %w", path, err)
	}
	return mi, info, nil
}

// ParseTorrent decodes a bencoded v1 .torrent from outside and checks that its
// info dictionary is consistent: a name, a power-of-two piece length, and one
// 20-byte hash per piece of the total length.
func ParseTorrent(data []byte) (*metainfo.MetaInfo, metainfo.Info, error) {
	var mi metainfo.MetaInfo
	if err := bencode.Unmarshal(data, &mi); err != nil {
		return nil, metainfo.Info{}, fmt.Errorf("decode metainfo: %w", err)
	}
	if len(mi.InfoBytes) == 0 {
		return nil, metainfo.Info{}, errors.New("no info dictionary")
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return nil, metainfo.Info{}, fmt.Errorf("decode info dictionary: %w", err)
	}
	if err := checkInfo(&info); err != nil {
		return nil, metainfo.Info{}, err
	}
	return &mi, info, nil
}

func checkInfo(info *metainfo.Info) error {
	if info.Name == "" {
		return errors.New("info has no name")
	}
	if info.PieceLength <= 0 || info.PieceLength&(info.PieceLength-1) != 0 {
		return fmt.Errorf("info piece length %d is not a positive power of two", info.PieceLength)
	}
	if len(info.Pieces)%20 != 0 {
		return fmt.Errorf("info pieces length %d is not a multiple of 20", len(info.Pieces))
	}
	var total int64
	if len(info.Files) == 0 {
		total = info.Length
	}
	for _, fi := range info.Files {
		if fi.Length < 0 {
			return errors.New("info has a file of negative length")
		}
		total += fi.Length
		if total < 0 {
			return errors.New("info total length overflows")
		}
	}
	if total <= 0 {
		return fmt.Errorf("info total length %d is not positive", total)
	}
	if want := pieceCount(total, info.PieceLength); int64(len(info.Pieces)/20) != want {
		return fmt.Errorf("info has %d piece hashes, want %d for %d bytes", len(info.Pieces)/20, want, total)
	}
	return nil
}
