package api

import (
	"math"
	"strconv"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm"
)

// PeerTube's VideoStreamingPlaylistType for HLS.
const streamingPlaylistHLS = 1

// videoJSON is the subset of PeerTube's Video object the node can fill,
// plus transcodingProgress/stateReason, which PeerTube lacks and players may
// ignore.
type videoJSON struct {
	ID                  int64                   `json:"id"`
	UUID                string                  `json:"uuid"`
	ShortUUID           string                  `json:"shortUUID"`
	Name                string                  `json:"name"`
	URL                 string                  `json:"url"` // its ActivityPub id
	IsLocal             bool                    `json:"isLocal"`
	Account             *actorSummaryJSON       `json:"account,omitempty"`
	Channel             *actorSummaryJSON       `json:"channel,omitempty"`
	Description         string                  `json:"description"`
	Support             string                  `json:"support"`
	Duration            int64                   `json:"duration"`
	Views               int64                   `json:"views"`
	State               labelled                `json:"state"`
	TranscodingProgress *float64                `json:"transcodingProgress,omitempty"`
	StateReason         string                  `json:"stateReason,omitempty"`
	CreatedAt           time.Time               `json:"createdAt"`
	UpdatedAt           time.Time               `json:"updatedAt"`
	PublishedAt         *time.Time              `json:"publishedAt"`
	IsLive              bool                    `json:"isLive"`
	ThumbnailPath       *string                 `json:"thumbnailPath"`
	PreviewPath         *string                 `json:"previewPath"`
	Files               []webVideoFileJSON      `json:"files"`
	StreamingPlaylists  []streamingPlaylistJSON `json:"streamingPlaylists"`
}

type labelled struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

type streamingPlaylistJSON struct {
	ID                int64            `json:"id"`
	Type              int              `json:"type"`
	PlaylistURL       string           `json:"playlistUrl"`
	SegmentsSha256URL string           `json:"segmentsSha256Url"`
	Files             []fileJSON       `json:"files"`
	Redundancies      []redundancyJSON `json:"redundancies"`
}

type redundancyJSON struct {
	BaseURL string `json:"baseUrl"`
}

type fileJSON struct {
	Resolution  labelled `json:"resolution"`
	Size        int64    `json:"size"`
	FPS         float64  `json:"fps"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	FileURL     string   `json:"fileUrl"`
	TorrentURL  string   `json:"torrentUrl"`
	MagnetURI   string   `json:"magnetUri"`
	PlaylistURL string   `json:"playlistUrl"`
}

func stateOf(v origin.Video) labelled {
	switch {
	case v.State == origin.StatePublished:
		return labelled{int(origin.StatePublished), "Published"}
	case v.State == origin.StateTranscodingFailed:
		return labelled{int(origin.StateTranscodingFailed), "Transcoding failed"}
	case v.Transcoding:
		return labelled{int(origin.StateToTranscode), "Transcoding"}
	default:
		return labelled{int(origin.StateToTranscode), "To transcode"}
	}
}

// newVideoJSON renders v with the node's public URLs; without P2P its
// magnets name no tracker.
func newVideoJSON(v origin.Video, u layout.URLs, p2p bool) videoJSON {
	out := videoJSON{
		ID:                 v.ID,
		UUID:               v.UUID,
		ShortUUID:          v.ShortUUID,
		Name:               v.Name,
		URL:                u.VideoObject(v.UUID),
		IsLocal:            true,
		Description:        v.Description,
		Support:            v.Support,
		Duration:           int64(math.Round(v.Duration)),
		Views:              v.Views,
		State:              stateOf(v),
		StateReason:        stateReason(v),
		CreatedAt:          v.CreatedAt,
		UpdatedAt:          v.UpdatedAt,
		Files:              webVideoFiles(v, u, p2p),
		StreamingPlaylists: []streamingPlaylistJSON{},
	}
	if v.Transcoding && v.State == origin.StateToTranscode {
		pct := math.Round(v.Progress*1000) / 10
		out.TranscodingProgress = &pct
	}
	if v.State != origin.StatePublished {
		return out
	}
	published := v.UpdatedAt
	out.PublishedAt = &published
	// PeerTube gives the images' paths relative to its host (null without).
	if v.Thumbnail != "" && v.Preview != "" {
		thumb, preview := u.Local(layout.ThumbnailPath(v.Thumbnail)), u.Local(layout.PreviewPath(v.Preview))
		out.ThumbnailPath, out.PreviewPath = &thumb, &preview
	}
	sp := streamingPlaylistJSON{
		ID:                v.ID,
		Type:              streamingPlaylistHLS,
		PlaylistURL:       u.MasterPlaylist(v.UUID),
		SegmentsSha256URL: u.SegmentsSHA256(v.UUID),
		Files:             make([]fileJSON, 0, len(v.Renditions)),
		Redundancies:      []redundancyJSON{},
	}
	for _, r := range v.Renditions {
		sp.Files = append(sp.Files, fileJSON{
			Resolution:  labelled{r.Height, strconv.Itoa(r.Height) + "p"},
			Size:        r.Size,
			FPS:         r.FPS,
			Width:       r.Width,
			Height:      r.Height,
			FileURL:     u.File(v.UUID, r.FileName),
			TorrentURL:  u.Torrent(r.TorrentName),
			MagnetURI:   MagnetURI(u, r, p2p),
			PlaylistURL: u.File(v.UUID, r.PlaylistName),
		})
	}
	out.StreamingPlaylists = append(out.StreamingPlaylists, sp)
	return out
}

// stateReason is what users read of a failure: Video.Reason, never
// Video.Error (which may hold paths, tool output and stacks). Videos that
// failed before reasons were recorded get a general sentence.
func stateReason(v origin.Video) string {
	if v.State != origin.StateTranscodingFailed {
		return ""
	}
	if v.Reason == "" {
		return "The node could not publish this video. Its administrator can find the details in the node's log."
	}
	return v.Reason
}

// MagnetURI is the magnet link of a published rung: its info hash, name and
// length, the node's trackers (none while P2P is off), its WebSeed and
// where its .torrent is.
func MagnetURI(u layout.URLs, r origin.Rendition, p2p bool) string {
	var trackers []string
	if p2p {
		trackers = u.Trackers()
	}
	return swarm.Magnet{
		InfoHash:   r.InfoHash,
		Name:       r.FileName,
		Length:     r.Size,
		Trackers:   trackers,
		WebSeeds:   []string{u.WebSeed(r.FileName)},
		TorrentURL: u.Torrent(r.TorrentName),
	}.String()
}
