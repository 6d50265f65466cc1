package api

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// PeerTube's VideoStorage.FILE_SYSTEM: the file is on the instance's disk.
const storageFileSystem = 0

// webVideoFileJSON is an entry of a video's top-level files[], where
// PeerTube lists its web videos: whole MP4 files, each with its torrent.
// Each of the node's rungs is a fragmented MP4 that plays whole, so each
// is listed there as well as in the HLS playlist's files, with the same id
// (it is the same file); PeerTube's tools read this list (its CLI waits for
// files[0].torrentUrl after an upload).
type webVideoFileJSON struct {
	ID                 *int64   `json:"id"` // layout.FileID; null for an upload not yet transcoded
	Resolution         labelled `json:"resolution"`
	Size               int64    `json:"size"`
	FPS                float64  `json:"fps"`
	Width              int      `json:"width"`
	Height             int      `json:"height"`
	FileURL            *string  `json:"fileUrl"`
	FileDownloadURL    *string  `json:"fileDownloadUrl"`
	TorrentURL         *string  `json:"torrentUrl"`
	TorrentDownloadURL *string  `json:"torrentDownloadUrl"`
	MagnetURI          *string  `json:"magnetUri"`
	MetadataURL        *string  `json:"metadataUrl"`
	HasAudio           bool     `json:"hasAudio"`
	HasVideo           bool     `json:"hasVideo"`
	Storage            int      `json:"storage"`
}

// webVideoFiles is v's files[]: its rungs, highest first as PeerTube sorts
// them, once published. Before that, a video waiting for or in transcoding
// lists the file it received, with null URLs: PeerTube lists an upload's
// file at once and its torrent only when made, and its tools poll
// files[0].torrentUrl expecting an entry there (its CLI fails on an empty
// list). A failed video lists none.
func webVideoFiles(v origin.Video, u layout.URLs, p2p bool) []webVideoFileJSON {
	switch v.State {
	case origin.StatePublished:
	case origin.StateToTranscode:
		return []webVideoFileJSON{{
			Resolution: labelled{0, "Source"},
			Size:       v.SourceSize,
			Storage:    storageFileSystem,
		}}
	default:
		return []webVideoFileJSON{}
	}
	rungs := slices.SortedStableFunc(slices.Values(v.Renditions), func(a, b origin.Rendition) int {
		return cmp.Compare(b.Height, a.Height)
	})
	files := make([]webVideoFileJSON, 0, len(rungs))
	for _, r := range rungs {
		files = append(files, rungFileJSON(v, r, u, p2p))
	}
	return files
}

// rungFileJSON describes a published rung as PeerTube describes a file.
func rungFileJSON(v origin.Video, r origin.Rendition, u layout.URLs, p2p bool) webVideoFileJSON {
	id := layout.FileID(v.ID, r.Height)
	file, download := u.File(v.UUID, r.FileName), u.FileDownload(r.FileName)
	torrent, torrentDownload := u.Torrent(r.TorrentName), u.TorrentDownload(r.TorrentName)
	magnet, metadata := MagnetURI(u, r, p2p), u.FileMetadata(v.UUID, id)
	hasAudio, hasVideo := codecKinds(r.Codecs)
	return webVideoFileJSON{
		ID:                 &id,
		Resolution:         labelled{r.Height, strconv.Itoa(r.Height) + "p"},
		Size:               r.Size,
		FPS:                r.FPS,
		Width:              r.Width,
		Height:             r.Height,
		FileURL:            &file,
		FileDownloadURL:    &download,
		TorrentURL:         &torrent,
		TorrentDownloadURL: &torrentDownload,
		MagnetURI:          &magnet,
		MetadataURL:        &metadata,
		HasAudio:           hasAudio,
		HasVideo:           hasVideo,
		Storage:            storageFileSystem,
	}
}

// codecKinds tells from a rung's RFC 6381 codecs whether it carries sound
// and picture. Rungs published before codecs were recorded are taken as
// picture only: every rung has a picture, and its sound is unknown.
func codecKinds(codecs string) (hasAudio, hasVideo bool) {
	if codecs == "" {
		return false, true
	}
	for c := range strings.SplitSeq(codecs, ",") {
		switch kind, _, _ := strings.Cut(strings.TrimSpace(c), "."); kind {
		case "mp4a", "opus", "ac-3", "ec-3", "flac":
			hasAudio = true
		case "avc1", "avc3", "hvc1", "hev1", "av01", "vp09":
			hasVideo = true
		}
	}
	return hasAudio, hasVideo
}
