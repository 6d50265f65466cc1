package api

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// PeerTube's VideoStorage.FILE_SYSTEM: the file is on the instance's disk.
const storageFileSystem = 0

// webVideoFileJSON is an entry of a video's top-level files[], where
// PeerTube lists its web videos: whole MP4 files, each with its torrent.
// Each of the node's rungs is a fragmented MP4 that plays whole, so each
// is listed there as well as in the HLS playlist's files; PeerTube's tools
// read this list (its CLI waits for files[0].torrentUrl after an upload).
// The download URLs are the files' own (the node has no /download routes).
type webVideoFileJSON struct {
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
		file, torrent, magnet := u.File(v.UUID, r.FileName), u.Torrent(r.TorrentName), MagnetURI(u, r, p2p)
		files = append(files, webVideoFileJSON{
			Resolution:         labelled{r.Height, strconv.Itoa(r.Height) + "p"},
			Size:               r.Size,
			FPS:                r.FPS,
			Width:              r.Width,
			Height:             r.Height,
			FileURL:            &file,
			FileDownloadURL:    &file,
			TorrentURL:         &torrent,
			TorrentDownloadURL: &torrent,
			MagnetURI:          &magnet,
			Storage:            storageFileSystem,
		})
	}
	return files
}
