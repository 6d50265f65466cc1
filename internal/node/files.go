package node

import (
	"context"
	"path/filepath"

	"github.com/peeredge/peeredge/segmenter"
)

// rungMetadata describes published rungs for the API's metadataUrl with
// the segmenter's ffprobe.
type rungMetadata struct {
	seg      segmenter.Config
	hlsDirOf func(uuid string) string
}

func (n *Node) rungMetadata() rungMetadata {
	return rungMetadata{
		seg:      segmenter.Config{FFprobe: n.cfg.FFprobe, Logger: n.logger},
		hlsDirOf: n.store.Disk().HLSDir,
	}
}

// FileMetadata probes a rung in place; uuid and fileName come from the
// catalogue, never from a request.
func (m rungMetadata) FileMetadata(ctx context.Context, uuid, fileName string) ([]byte, error) {
	return m.seg.Metadata(ctx, filepath.Join(m.hlsDirOf(uuid), fileName))
}
