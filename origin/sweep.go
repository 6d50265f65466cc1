package origin

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/peeredge/peeredge/internal/layout"
)

// Swept lists, by video uuid, what Sweep removed.
type Swept struct {
	Originals []string // uploaded sources no video owns
	Media     []string // served files of videos that are not published
}

// Sweep removes, when a node opens its data directory, what a run that
// stopped mid-way left behind and nothing else would ever delete:
//
//   - an original no video owns (a stop between moving an upload into
//     place and committing its video);
//   - the HLS directory and torrents of a video that is not published (a
//     stop between moving its files into media/ and the catalogue saying
//     "published"): what the edge serves and what the catalogue says must
//     agree, and a restarted job publishes them again.
//
// Names that are not a UUID's are not the node's to judge and stay.
func (s *Store) Sweep(ctx context.Context, c *Catalog) (Swept, error) {
	var out Swept
	state := func(id string) (published, exists bool, err error) {
		v, err := c.Video(ctx, id)
		switch {
		case err == nil:
			return v.State == StatePublished, true, nil
		case errors.Is(err, ErrNotFound):
			return false, false, nil
		}
		return false, false, err
	}
	originals, err := os.ReadDir(s.disk.OriginalsDir())
	if err != nil {
		return out, fmt.Errorf("sweep originals: %w", err)
	}
	for _, e := range originals {
		if !layout.IsCanonicalUUID(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if _, exists, err := state(e.Name()); err != nil || exists {
			if err != nil {
				return out, fmt.Errorf("sweep originals: %w", err)
			}
			continue
		}
		if err := os.Remove(s.disk.OriginalPath(e.Name())); err != nil {
			return out, fmt.Errorf("sweep originals: %w", err)
		}
		out.Originals = append(out.Originals, e.Name())
	}
	unpublished := make(map[string]bool)
	dirs, err := os.ReadDir(s.disk.HLSRoot())
	if err != nil {
		return out, fmt.Errorf("sweep media: %w", err)
	}
	for _, e := range dirs {
		if layout.IsCanonicalUUID(e.Name()) {
			unpublished[e.Name()] = true
		}
	}
	torrents, err := os.ReadDir(s.disk.TorrentsDir())
	if err != nil {
		return out, fmt.Errorf("sweep media: %w", err)
	}
	for _, e := range torrents {
		if id, _, ok := layout.ParseTorrentFileName(e.Name()); ok {
			unpublished[id] = true
		}
	}
	for id := range unpublished {
		if published, _, err := state(id); err != nil || published {
			if err != nil {
				return out, fmt.Errorf("sweep media: %w", err)
			}
			continue
		}
		if err := s.Unpublish(id); err != nil {
			return out, fmt.Errorf("sweep media: %w", err)
		}
		out.Media = append(out.Media, id)
	}
	return out, nil
}
