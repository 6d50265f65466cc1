package origin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peeredge/peeredge/internal/layout"
)

// KeepCustomImages stores a video's uploaded images, fitted (a nil one is
// left as it was), beside its original, durably: every publishing of the
// video uses them.
func (s *Store) KeepCustomImages(uuid string, thumbnail, preview []byte) error {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("keep images: %w", err)
	}
	return s.keepCustomImages(id, thumbnail, preview)
}

func (s *Store) keepCustomImages(id string, thumbnail, preview []byte) error {
	for _, img := range []struct {
		data    []byte
		preview bool
	}{{thumbnail, false}, {preview, true}} {
		if img.data == nil {
			continue
		}
		path := s.disk.CustomImagePath(id, img.preview)
		if err := writeFileSync(path, img.data); err != nil {
			s.removeCustomImages(id)
			return fmt.Errorf("keep images of %s: %w", id, err)
		}
	}
	if thumbnail == nil && preview == nil {
		return nil
	}
	return syncDir(s.disk.OriginalsDir())
}

// removeCustomImages deletes them; gone already is fine.
func (s *Store) removeCustomImages(id string) {
	_ = os.Remove(s.disk.CustomImagePath(id, false))
	_ = os.Remove(s.disk.CustomImagePath(id, true))
}

// CustomImages returns a video's uploaded thumbnail and preview, fitted;
// nil for one not uploaded.
func (s *Store) CustomImages(uuid string) (thumbnail, preview []byte, err error) {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return nil, nil, fmt.Errorf("custom images: %w", err)
	}
	read := func(preview bool) ([]byte, error) {
		data, err := os.ReadFile(s.disk.CustomImagePath(id, preview))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return data, err
	}
	if thumbnail, err = read(false); err == nil {
		preview, err = read(true)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("custom images of %s: %w", id, err)
	}
	return thumbnail, preview, nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(filepath.Clean(path), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
