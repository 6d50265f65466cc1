package origin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Store is the on-disk layout under Root:
//
//	media/streaming-playlists/hls/{uuid}/  HLS files of a video (served by the edge)
//	media/torrents/                        .torrent files
//	originals/{uuid}                       uploaded source files
//	tmp/                                   uploads in progress and staging dirs
//
// tmp is on the same filesystem as the rest, so renames out of it are atomic.
type Store struct{ Root string }

// NewStore creates the layout under root and empties root/tmp, whose entries
// can only be leftovers of a previous run that stopped mid-way.
func NewStore(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store root %s: %w", root, err)
	}
	s := &Store{Root: abs}
	for _, d := range []string{s.hlsRoot(), s.TorrentsDir(), s.originalsDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return nil, fmt.Errorf("store: clean tmp: %w", err)
		}
	}
	return s, nil
}

// MediaDir is the directory the edge serves (under /static/).
func (s *Store) MediaDir() string { return filepath.Join(s.Root, "media") }

func (s *Store) hlsRoot() string      { return filepath.Join(s.MediaDir(), "streaming-playlists", "hls") }
func (s *Store) originalsDir() string { return filepath.Join(s.Root, "originals") }
func (s *Store) tmpDir() string       { return filepath.Join(s.Root, "tmp") }

// HLSDir is the directory of a video's HLS files. uuid must be a catalogue
// UUID (callers get it from the catalogue, never from a request).
func (s *Store) HLSDir(uuid string) string { return filepath.Join(s.hlsRoot(), uuid) }

// TorrentsDir holds the .torrent files of all videos.
func (s *Store) TorrentsDir() string { return filepath.Join(s.MediaDir(), "torrents") }

// OriginalPath is where a video's uploaded source file is kept.
func (s *Store) OriginalPath(uuid string) string { return filepath.Join(s.originalsDir(), uuid) }

// TempFile creates a file in root/tmp (see os.CreateTemp for pattern).
func (s *Store) TempFile(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(s.tmpDir(), pattern)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return f, nil
}

// StagingDir creates a fresh empty directory under root/tmp in which a
// video's HLS files are written before PublishDir makes them visible.
func (s *Store) StagingDir(uuid string) (string, error) {
	id, err := canonicalUUID(uuid)
	if err != nil {
		return "", fmt.Errorf("staging dir: %w", err)
	}
	dir, err := os.MkdirTemp(s.tmpDir(), "stage-"+id+"-")
	if err != nil {
		return "", fmt.Errorf("staging dir: %w", err)
	}
	return dir, nil
}

// PublishDir moves a staging directory to HLSDir(uuid) in one rename, so the
// edge sees either the old complete set of files or the new one. An existing
// directory is swapped atomically (renameat2 RENAME_EXCHANGE) and then
// removed; on filesystems without exchange it is moved aside first, leaving
// a moment with no directory but never a mixed one.
func (s *Store) PublishDir(staging, uuid string) error {
	id, err := canonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	staging, err = filepath.Abs(staging)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if filepath.Dir(staging) != s.tmpDir() {
		return fmt.Errorf("publish: %s is not a staging dir of this store", staging)
	}
	if err := syncDir(staging); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	target := s.HLSDir(id)
	err = os.Rename(staging, target)
	if err == nil {
		return syncDir(s.hlsRoot())
	}
	if _, statErr := os.Stat(target); statErr != nil {
		return fmt.Errorf("publish %s: %w", id, err)
	}
	// target exists: swap the two directories, then remove the old one (now at staging).
	err = unix.Renameat2(unix.AT_FDCWD, staging, unix.AT_FDCWD, target, unix.RENAME_EXCHANGE)
	if err != nil {
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("publish %s: exchange: %w", id, err)
		}
		aside := staging + ".old"
		if err := os.Rename(target, aside); err != nil {
			return fmt.Errorf("publish %s: %w", id, err)
		}
		if err := os.Rename(staging, target); err != nil {
			_ = os.Rename(aside, target) // put the old set back rather than leave nothing
			return fmt.Errorf("publish %s: %w", id, err)
		}
		staging = aside
	}
	if err := syncDir(s.hlsRoot()); err != nil {
		return fmt.Errorf("publish %s: %w", id, err)
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("publish %s: remove old files: %w", id, err)
	}
	return nil
}

// RemoveVideo deletes a video's HLS directory, original and torrents
// (torrent files named "{uuid}-…", as the swarm package names them).
func (s *Store) RemoveVideo(uuid string) error {
	id, err := canonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("remove video: %w", err)
	}
	var errs []error
	if err := os.RemoveAll(s.HLSDir(id)); err != nil {
		errs = append(errs, err)
	}
	if err := os.Remove(s.OriginalPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	entries, err := os.ReadDir(s.TorrentsDir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), id+"-") {
			if err := os.Remove(filepath.Join(s.TorrentsDir(), e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove video %s: %w", id, err)
	}
	return nil
}

// syncDir fsyncs a directory so that renames into it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
