package origin

import (
	"github.com/peeredge/peeredge/internal/layout"

	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SweepOrphanOriginals removes files in originals/ that no video owns. A
// node stopped between moving an upload into place and committing its
// video leaves one; nothing else would ever delete it. Names that are not
// UUIDs are not ours to judge and stay.
func (s *Store) SweepOrphanOriginals(ctx context.Context, c *Catalog) (removed []string, err error) {
	entries, err := os.ReadDir(s.disk.OriginalsDir())
	if err != nil {
		return nil, fmt.Errorf("sweep originals: %w", err)
	}
	for _, e := range entries {
		id, err := layout.CanonicalUUID(e.Name())
		if err != nil || id != e.Name() || !e.Type().IsRegular() {
			continue
		}
		_, err = c.Video(ctx, id)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, ErrNotFound):
			return removed, fmt.Errorf("sweep originals: %w", err)
		}
		if err := os.Remove(filepath.Join(s.disk.OriginalsDir(), id)); err != nil {
			return removed, fmt.Errorf("sweep originals: %w", err)
		}
		removed = append(removed, id)
	}
	return removed, nil
}
