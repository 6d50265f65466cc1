package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/segmenter"
)

// imageFitter fits uploaded thumbnails and previews with the node's
// ffmpeg, telling the API which failures are the image's.
type imageFitter struct{ seg segmenter.Config }

func (n *Node) imageFitter() imageFitter {
	return imageFitter{seg: segmenter.Config{FFmpeg: n.cfg.FFmpeg, FFprobe: n.cfg.FFprobe, Logger: n.cfg.Logger}}
}

func (f imageFitter) FitImage(ctx context.Context, data []byte, w, h int) ([]byte, error) {
	out, err := f.seg.FitImage(ctx, data, w, h)
	if errors.Is(err, segmenter.ErrNotImage) {
		return nil, fmt.Errorf("%w: %w", api.ErrNotImage, err)
	}
	return out, err
}
