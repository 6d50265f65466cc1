package origin

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/peeredge/peeredge/internal/layout"
)

// Store keeps the node's files in the data directory's layout (see package
// layout): it creates the directories, hands out temporary files and
// staging directories under tmp/, and publishes a video's files by rename,
// so the edge never sees half of them.
type Store struct{ disk layout.Disk }

// NewStore creates the layout under root and empties root/tmp, whose entries
// can only be leftovers of a previous run that stopped mid-way (resumable
// uploads, which outlive a restart, are in UploadsDir). A tool that
// run left at work in a staging directory is ended first (endLeftovers).
// Open the catalogue first: its lock keeps a second node off a data
// directory in use, whose tmp/ this would empty. logger may be nil.
func NewStore(root string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	disk, err := layout.NewDisk(root)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{disk: disk}
	for _, d := range []string{disk.HLSRoot(), disk.TorrentsDir(), disk.WebSeedOnlyDir(), disk.OriginalsDir(), disk.TmpDir(), disk.UploadsDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	entries, err := os.ReadDir(disk.TmpDir())
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(disk.TmpDir(), e.Name())
		if e.IsDir() {
			endLeftovers(path, logger)
		}
		if err := os.RemoveAll(path); err != nil {
			return nil, fmt.Errorf("store: clean tmp: %w", err)
		}
	}
	return s, nil
}

// endLeftovers ends the processes named by the pid files
// (layout.PIDFileName) in dir, a staging directory of a previous run, so
// that none goes on writing into it after it is removed: an ffmpeg that
// outlived a crashed node would otherwise encode for nothing, beside the job
// started again. It is a second line of defence (the segmenter's ffmpeg dies
// with the node where the system allows) and does its best: what it cannot
// end is logged, and the directory goes all the same.
func endLeftovers(dir string, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("look for processes left by the previous run", "dir", dir, "err", err)
		return
	}
	for _, e := range entries {
		pid, ok := layout.ParsePIDFileName(e.Name())
		if !ok {
			continue
		}
		ended, err := endLeftover(pid, dir)
		switch {
		case err != nil:
			log.Warn("could not end a process left by the previous run", "pid", pid, "dir", dir, "err", err)
		case ended:
			log.Info("ended a process left by the previous run", "pid", pid, "dir", dir)
		}
	}
}

// Disk is the layout the store keeps.
func (s *Store) Disk() layout.Disk { return s.disk }

// TempFile creates a file in tmp/ (see os.CreateTemp for pattern).
func (s *Store) TempFile(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(s.disk.TmpDir(), pattern)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return f, nil
}

// StagingDir creates a fresh empty directory under tmp/ in which a video's
// HLS files (and its torrents, at layout.StagedTorrentPath) are written
// before Publish makes them visible.
func (s *Store) StagingDir(uuid string) (string, error) {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return "", fmt.Errorf("staging dir: %w", err)
	}
	dir, err := os.MkdirTemp(s.disk.TmpDir(), layout.StagingPrefix(id))
	if err != nil {
		return "", fmt.Errorf("staging dir: %w", err)
	}
	return dir, nil
}

// Publish makes a staged video visible: each named torrent (both its forms,
// written at layout.StagedTorrentPath) is moved to the torrents directory,
// then the staging directory becomes the video's HLS directory in one
// rename. Torrents go first: a crash in between leaves a torrent whose files
// are not served yet, never files without their torrent, and publishing
// again overwrites both.
func (s *Store) Publish(staging, uuid string, torrents []string) error {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := s.checkStaging(staging); err != nil {
		return err
	}
	for _, name := range torrents {
		if u, _, ok := layout.ParseTorrentFileName(name); !ok || u != id {
			return fmt.Errorf("publish %s: %q is not one of its torrents", id, name)
		}
		if err := os.Rename(layout.StagedTorrentPath(staging, name, false), s.disk.WebSeedOnlyPath(name)); err != nil {
			return fmt.Errorf("publish WebSeed-only %s: %w", name, err)
		}
		if err := os.Rename(layout.StagedTorrentPath(staging, name, true), s.disk.TorrentPath(name)); err != nil {
			return fmt.Errorf("publish %s: %w", name, err)
		}
	}
	if len(torrents) > 0 {
		if err := errors.Join(syncDir(s.disk.WebSeedOnlyDir()), syncDir(s.disk.TorrentsDir())); err != nil {
			return fmt.Errorf("publish %s: %w", id, err)
		}
	}
	return s.publishDir(staging, id)
}

func (s *Store) checkStaging(staging string) error {
	abs, err := filepath.Abs(staging)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if filepath.Dir(abs) != s.disk.TmpDir() {
		return fmt.Errorf("publish: %s is not a staging dir of this store", staging)
	}
	return nil
}

// publishDir moves a staging directory to the HLS directory of id in one
// rename, so the edge sees either the old complete set of files or the new
// one. An existing directory is swapped with the new one where the system
// can (see exchangeDirs) and then removed; elsewhere it is moved aside
// first, leaving a moment with no directory but never a mixed one.
func (s *Store) publishDir(staging, id string) error {
	staging, _ = filepath.Abs(staging) // checked by checkStaging
	if err := syncDir(staging); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	target := s.disk.HLSDir(id)
	err := os.Rename(staging, target)
	if err == nil {
		return syncDir(s.disk.HLSRoot())
	}
	if _, statErr := os.Stat(target); statErr != nil {
		return fmt.Errorf("publish %s: %w", id, err)
	}
	// target exists: swap the two directories, then remove the old one (now at staging).
	swapped, err := exchangeDirs(staging, target)
	if err != nil {
		return fmt.Errorf("publish %s: exchange: %w", id, err)
	}
	if !swapped {
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
	if err := syncDir(s.disk.HLSRoot()); err != nil {
		return fmt.Errorf("publish %s: %w", id, err)
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("publish %s: remove old files: %w", id, err)
	}
	return nil
}

// PublishImages moves a published video's thumbnail and preview, staged
// after its files were published (a video older than its images), into its
// HLS directory. Each name is new (it holds the image's hash), so each
// rename only adds a file; the catalogue names them afterwards.
func (s *Store) PublishImages(staging, uuid string, names ...string) error {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("publish images: %w", err)
	}
	if err := s.checkStaging(staging); err != nil {
		return err
	}
	for _, name := range names {
		u, _, thumb := layout.ParseThumbnailFileName(name)
		if !thumb {
			u, _, _ = layout.ParsePreviewFileName(name)
		}
		if u != id {
			return fmt.Errorf("publish images of %s: %q is not one of its images", id, name)
		}
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(s.disk.HLSDir(id), name)); err != nil {
			return fmt.Errorf("publish images of %s: %w", id, err)
		}
	}
	if err := syncDir(s.disk.HLSDir(id)); err != nil {
		return fmt.Errorf("publish images of %s: %w", id, err)
	}
	return nil
}

// Unpublish deletes what the edge serves of a video: its HLS directory and
// its torrents (both forms). The original stays. A video with none of them
// is not an error.
func (s *Store) Unpublish(uuid string) error {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("unpublish: %w", err)
	}
	var errs []error
	remove := func(path string) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// Torrents first: a torrent without its files would send clients to
	// WebSeeds that answer 404.
	entries, err := os.ReadDir(s.disk.TorrentsDir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, e := range entries {
		if u, _, ok := layout.ParseTorrentFileName(e.Name()); ok && u == id {
			remove(s.disk.TorrentPath(e.Name()))
			remove(s.disk.WebSeedOnlyPath(e.Name()))
		}
	}
	if err := os.RemoveAll(s.disk.HLSDir(id)); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("unpublish %s: %w", id, err)
	}
	return nil
}

// RemoveOriginal deletes a video's uploaded source; removing one that is
// gone already is not an error.
func (s *Store) RemoveOriginal(uuid string) error {
	id, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return fmt.Errorf("remove original: %w", err)
	}
	if err := os.Remove(s.disk.OriginalPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove original %s: %w", id, err)
	}
	s.removeCustomImages(id)
	return nil
}

// RemoveVideo deletes all of a video's files: what Unpublish deletes and
// its original.
func (s *Store) RemoveVideo(uuid string) error {
	if err := s.Unpublish(uuid); err != nil {
		return fmt.Errorf("remove video: %w", err)
	}
	return s.RemoveOriginal(uuid)
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
