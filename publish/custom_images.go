package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// useCustomImages puts the images uploaded with the video into staging in
// place of those the segmenter made of a frame, naming them by their
// bytes as every image is named (so that they are cached for long).
func (p *Publisher) useCustomImages(staging, uuid string, thumbnail, preview *string) error {
	thumb, prev, err := p.cfg.Store.CustomImages(uuid)
	if err != nil {
		return err
	}
	for _, img := range []struct {
		data []byte
		name *string
		make func(uuid, tag string) string
	}{{thumb, thumbnail, layout.ThumbnailFileName}, {prev, preview, layout.PreviewFileName}} {
		if img.data == nil {
			continue
		}
		name := img.make(uuid, layout.ImageTag(img.data))
		if err := os.WriteFile(filepath.Join(staging, name), img.data, 0o644); err != nil {
			return fmt.Errorf("custom image: %w", err)
		}
		if *img.name != "" && *img.name != name {
			if err := os.Remove(filepath.Join(staging, *img.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("custom image: %w", err)
			}
		}
		*img.name = name
	}
	return nil
}

// ReplaceImages takes a video's new uploaded thumbnail and preview, fitted
// (a nil one stays as it is): kept for every later publishing and, when
// the video is published, served at once under new names (the old files
// go: their names carry their bytes, so no cache serves them as the new).
func (p *Publisher) ReplaceImages(ctx context.Context, id int64, thumbnail, preview []byte) error {
	v, err := p.cfg.Catalog.Video(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return fmt.Errorf("replace images of %d: %w", id, err)
	}
	if err := p.cfg.Store.KeepCustomImages(v.UUID, thumbnail, preview); err != nil {
		return err
	}
	if v.State != origin.StatePublished {
		return nil // its publishing takes them
	}
	staging, err := p.cfg.Store.StagingDir(v.UUID)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	thumb, prev := v.Thumbnail, v.Preview
	if err := p.useCustomImages(staging, v.UUID, &thumb, &prev); err != nil {
		return err
	}
	var names []string
	for _, n := range []struct{ now, was string }{{thumb, v.Thumbnail}, {prev, v.Preview}} {
		if n.now != n.was {
			names = append(names, n.now)
		}
	}
	if len(names) == 0 {
		return nil // the same bytes as served already
	}
	if err := p.cfg.Store.PublishImages(staging, v.UUID, names...); err != nil {
		return err
	}
	_, err = p.cfg.Catalog.UpdateVideo(ctx, v.ID, func(v *origin.Video) error {
		v.Thumbnail, v.Preview = thumb, prev
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace images of %d: %w", id, err)
	}
	hls := p.cfg.Store.Disk().HLSDir(v.UUID)
	for _, n := range []struct{ now, was string }{{thumb, v.Thumbnail}, {prev, v.Preview}} {
		if n.was != "" && n.now != n.was {
			if err := os.Remove(filepath.Join(hls, n.was)); err != nil && !errors.Is(err, os.ErrNotExist) {
				p.logger.Warn("old image not removed", "uuid", v.UUID, "file", n.was, "err", err)
			}
		}
	}
	return nil
}
