package swarm

import (
	"context"
	"fmt"

	"github.com/anacrolix/torrent/metainfo"
)

// TorrentFiles writes the node's torrent files: each rung's torrent, and its
// WebSeed-only form, which the edge serves while P2P is off. Its zero value
// is ready to use.
type TorrentFiles struct {
	CreatedBy string // "created by" of new torrents
}

// Make hashes spec.Path and writes its torrent to full and the WebSeed-only
// form to webSeedOnly (the same info hash: only the trackers differ).
func (f TorrentFiles) Make(ctx context.Context, spec TorrentSpec, full, webSeedOnly string) (metainfo.Hash, error) {
	if spec.CreatedBy == "" {
		spec.CreatedBy = f.CreatedBy
	}
	mi, hash, err := BuildTorrent(ctx, spec)
	if err != nil {
		return metainfo.Hash{}, err
	}
	if err := WriteTorrentFile(mi, full); err != nil {
		return metainfo.Hash{}, err
	}
	if err := WriteTorrentFile(WebSeedOnly(mi), webSeedOnly); err != nil {
		return metainfo.Hash{}, fmt.Errorf("WebSeed-only form: %w", err)
	}
	return hash, nil
}

// MakeWebSeedOnly writes the WebSeed-only form of the torrent at src to dst,
// for torrents published before the form existed.
func (TorrentFiles) MakeWebSeedOnly(src, dst string) error {
	mi, _, err := ReadTorrentFile(src)
	if err != nil {
		return err
	}
	return WriteTorrentFile(WebSeedOnly(mi), dst)
}
