// Package swarm publishes renditions to BitTorrent: it builds one v1 torrent
// per rendition file (with BEP 19 web seeds pointing at the edge's HTTP
// copies) and the magnet links that advertise them.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// ErrEmptyFile is returned for a zero-length file: a v1 torrent of it would
// have no pieces, which many clients reject.
var ErrEmptyFile = errors.New("swarm: cannot build a torrent of an empty file")

// TorrentSpec describes a single-file BitTorrent v1 torrent.
type TorrentSpec struct {
	Path        string     // the file to hash (single-file torrent)
	Name        string     // info.name; "" = base name of Path
	Trackers    [][]string // announce-list tiers (BEP 12); announce = Trackers[0][0]
	WebSeeds    []string   // BEP 19 url-list (exact file URLs)
	PieceLength int64      // 0 = PieceLengthFor(size); else a power of two in [16 KiB, 256 MiB]
	CreatedBy   string
	Comment     string
	// CreationDate is written as "creation date"; zero means now. Set it
	// (with everything else fixed) to get a byte-identical .torrent.
	CreationDate time.Time
}

// BuildTorrent hashes the file (SHA-1 pieces, in parallel across cores) and
// returns the metainfo, with InfoBytes set, and its info hash. It stops early
// with ctx's error when ctx is cancelled.
func BuildTorrent(ctx context.Context, spec TorrentSpec) (*metainfo.MetaInfo, metainfo.Hash, error) {
	var zero metainfo.Hash
	if spec.Path == "" {
		return nil, zero, errors.New("swarm: torrent spec has no path")
	}
	name := spec.Name
	if name == "" {
		name = filepath.Base(spec.Path)
	}
	if err := checkTorrentName(name); err != nil {
		return nil, zero, err
	}
	trackers := cleanTiers(spec.Trackers)

	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, zero, fmt.Errorf("swarm: open torrent content: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, zero, fmt.Errorf("swarm: stat %s: %w", spec.Path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, zero, fmt.Errorf("swarm: %s is not a regular file", spec.Path)
	}
	size := st.Size()
	if size == 0 {
		return nil, zero, fmt.Errorf("%w: %s", ErrEmptyFile, spec.Path)
	}
	pieceLength := spec.PieceLength
	if pieceLength == 0 {
		pieceLength = PieceLengthFor(size)
	} else if !validPieceLength(pieceLength) {
		return nil, zero, fmt.Errorf("swarm: piece length %d is not a power of two in [%d, %d]",
			pieceLength, MinPieceLength, maxExplicitPieceLength)
	}

	pieces, err := hashPieces(ctx, f, size, pieceLength)
	if err != nil {
		return nil, zero, fmt.Errorf("swarm: hash %s: %w", spec.Path, err)
	}
	changed, err := fileChanged(f, st)
	if err != nil {
		return nil, zero, fmt.Errorf("swarm: stat %s after hashing: %w", spec.Path, err)
	}
	if changed {
		return nil, zero, fmt.Errorf("swarm: %s changed while it was being hashed", spec.Path)
	}

	info := metainfo.Info{
		PieceLength: pieceLength,
		Pieces:      pieces,
		Name:        name,
		Length:      size,
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		return nil, zero, fmt.Errorf("swarm: encode info: %w", err)
	}
	created := spec.CreationDate
	if created.IsZero() {
		created = time.Now()
	}
	mi := &metainfo.MetaInfo{
		InfoBytes:    infoBytes,
		CreationDate: created.Unix(),
		Comment:      spec.Comment,
		CreatedBy:    spec.CreatedBy,
		UrlList:      append(metainfo.UrlList(nil), spec.WebSeeds...),
	}
	if len(trackers) > 0 {
		mi.Announce = trackers[0][0]
		mi.AnnounceList = trackers
	}
	return mi, mi.HashInfoBytes(), nil
}

// checkTorrentName rejects names clients would refuse or turn into a path
// outside their download directory.
func checkTorrentName(name string) error {
	switch {
	case name == "." || name == ".." || name == string(filepath.Separator):
		return fmt.Errorf("swarm: invalid torrent name %q", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("swarm: torrent name %q contains a path separator or NUL", name)
	}
	return nil
}

// cleanTiers drops empty URLs and tiers so that announce is always a real URL.
func cleanTiers(tiers [][]string) metainfo.AnnounceList {
	var out metainfo.AnnounceList
	for _, tier := range tiers {
		var kept []string
		for _, u := range tier {
			if u != "" {
				kept = append(kept, u)
			}
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out
}
