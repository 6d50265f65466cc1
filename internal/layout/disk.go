package layout

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Directories under the media directory, which the edge serves. They are
// relative, slash-separated paths: the edge opens files beneath its root
// by these names.
const (
	MediaHLSDir         = "streaming-playlists/hls"
	MediaTorrentsDir    = "torrents"
	MediaWebSeedOnlyDir = MediaTorrentsDir + "/webseed-only"
)

// Disk is the layout of a data directory.
type Disk struct{ root string }

// NewDisk returns the layout under root, made absolute so that paths stay
// right if the working directory changes.
func NewDisk(root string) (Disk, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return Disk{}, fmt.Errorf("data directory %s: %w", root, err)
	}
	return Disk{root: abs}, nil
}

// Root is the data directory.
func (d Disk) Root() string { return d.root }

// CatalogDir holds the badger database.
func (d Disk) CatalogDir() string { return filepath.Join(d.root, "catalog") }

// MediaDir is what the edge serves; nothing else is ever opened from a request.
func (d Disk) MediaDir() string { return filepath.Join(d.root, "media") }

// HLSRoot holds one directory per published video.
func (d Disk) HLSRoot() string { return filepath.Join(d.MediaDir(), filepath.FromSlash(MediaHLSDir)) }

// HLSDir is a video's HLS directory. uuid must come from the catalogue,
// never from a request.
func (d Disk) HLSDir(uuid string) string { return filepath.Join(d.HLSRoot(), uuid) }

// TorrentsDir holds every rung's torrent.
func (d Disk) TorrentsDir() string {
	return filepath.Join(d.MediaDir(), filepath.FromSlash(MediaTorrentsDir))
}

// TorrentPath is where a torrent named by TorrentFileName is published.
func (d Disk) TorrentPath(name string) string { return filepath.Join(d.TorrentsDir(), name) }

// WebSeedOnlyDir holds each torrent again without announce URLs, served
// while P2P is switched off (same info hash: only the trackers differ).
func (d Disk) WebSeedOnlyDir() string {
	return filepath.Join(d.MediaDir(), filepath.FromSlash(MediaWebSeedOnlyDir))
}

// WebSeedOnlyPath is where a torrent's WebSeed-only form is published.
func (d Disk) WebSeedOnlyPath(name string) string { return filepath.Join(d.WebSeedOnlyDir(), name) }

// OriginalsDir holds the uploaded source files.
func (d Disk) OriginalsDir() string { return filepath.Join(d.root, "originals") }

// OriginalPath is where a video's uploaded source is kept.
func (d Disk) OriginalPath(uuid string) string { return filepath.Join(d.OriginalsDir(), uuid) }

// CustomImagePath is where a video's uploaded thumbnail (preview: its
// preview), already fitted, waits beside its original to be published.
func (d Disk) CustomImagePath(uuid string, preview bool) string {
	if preview {
		return d.OriginalPath(uuid) + ".preview.jpg"
	}
	return d.OriginalPath(uuid) + ".thumbnail.jpg"
}

// TmpDir holds uploads in flight and staging directories. It is on the same
// filesystem as the rest, so renames out of it are atomic, and whatever is
// in it at start is a leftover.
func (d Disk) TmpDir() string { return filepath.Join(d.root, "tmp") }

// BallastPath is a file of the node's own that holds free space back: when
// the filesystem fills up, the node deletes it to give its catalogue room
// to finish what it started (see origin.Space).
func (d Disk) BallastPath() string { return filepath.Join(d.root, "space-reserve") }

// UploadIDLen is the length of a resumable upload's id: 32 lower-case hex
// digits (128 random bits).
const UploadIDLen = 32

// IsUploadID reports whether id has the form of a resumable upload's id.
func IsUploadID(id string) bool {
	if len(id) != UploadIDLen {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// UploadsDir holds the bytes of resumable uploads in flight. Unlike
// TmpDir's, they outlive a restart (their sessions in the catalogue say
// whether they are still wanted); on the same filesystem, finishing one
// is a rename into OriginalsDir.
func (d Disk) UploadsDir() string { return filepath.Join(d.root, "uploads") }

// ResumablePath is where the bytes of resumable upload id are kept while
// it is in flight; id must pass IsUploadID, and names in UploadsDir that
// do not are no upload's.
func (d Disk) ResumablePath(id string) string { return filepath.Join(d.UploadsDir(), id) }

// StagingPrefix starts the name of a video's staging directory under TmpDir.
func StagingPrefix(uuid string) string { return "stage-" + uuid + "-" }

// pidFilePrefix and pidFileSuffix frame a pid file's name. The leading dot
// keeps it apart from every HLS and torrent name.
const (
	pidFilePrefix = ".pid-"
	pidFileSuffix = ".pid"
)

// PIDFileName names the empty file the segmenter keeps in a staging
// directory while a tool it started (ffmpeg) works there, removed when the
// tool exits. The pid is the name itself, so the file is whole the moment it
// exists; a node restarted after a crash reads it back with
// ParsePIDFileName to end what its previous run left running.
func PIDFileName(pid int) string { return pidFilePrefix + strconv.Itoa(pid) + pidFileSuffix }

// ParsePIDFileName reads a name made by PIDFileName back.
func ParsePIDFileName(name string) (pid int, ok bool) {
	rest, ok := strings.CutPrefix(name, pidFilePrefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, pidFileSuffix)
	if !ok {
		return 0, false
	}
	// Nine digits hold any pid a system hands out (Linux's ceiling is 2^22).
	return parsePositive(digits, 9)
}

// StagedTorrentPath is where the publisher writes a torrent in a video's
// staging directory before Store.Publish moves it: the full form, or the
// WebSeed-only form. Neither name can be an HLS file's.
func StagedTorrentPath(staging, name string, full bool) string {
	if full {
		return filepath.Join(staging, name)
	}
	return filepath.Join(staging, "webseed-only-"+name)
}
