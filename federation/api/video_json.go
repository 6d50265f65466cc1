package api

import (
	"math"
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
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	ShortUUID string `json:"shortUUID"`
	Name      string `json:"name"`
	URL       string `json:"url"` // its ActivityPub id
	IsLocal   bool   `json:"isLocal"`
	// Account and Channel are summaries (*actorSummaryJSON) in lists and
	// the full objects (*accountJSON, *channelJSON) in a local video's
	// own answer, as PeerTube gives them.
	Account             any                     `json:"account,omitempty"`
	Channel             any                     `json:"channel,omitempty"`
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
	EmbedPath           string                  `json:"embedPath"`
	TrackerURLs         []string                `json:"trackerUrls"`
	Files               []webVideoFileJSON      `json:"files"`
	StreamingPlaylists  []streamingPlaylistJSON `json:"streamingPlaylists"`

	// The details (video_reference.go's setDetails); those with omitempty
	// are in a video's own answer only, as PeerTube gives them.
	Category             idLabel   `json:"category"`
	Licence              idLabel   `json:"licence"`
	Language             idLabel   `json:"language"`
	Privacy              labelled  `json:"privacy"`
	NSFW                 bool      `json:"nsfw"`
	TruncatedDescription *string   `json:"truncatedDescription"`
	DescriptionPath      string    `json:"descriptionPath,omitempty"`
	Tags                 *[]string `json:"tags,omitempty"`
	CommentsEnabled      *bool     `json:"commentsEnabled,omitempty"`
	CommentsPolicy       *labelled `json:"commentsPolicy,omitempty"`
	DownloadEnabled      *bool     `json:"downloadEnabled,omitempty"`
	WaitTranscoding      *bool     `json:"waitTranscoding,omitempty"`

	// Fields that mean nothing on this node, at PeerTube's neutral value
	// (README, "REST fields kept neutral"): no ratings, no live viewers,
	// no original publication date, no moderation blacklist, no replaced
	// input file. The last three are in a video's own answer only.
	AspectRatio           *float64   `json:"aspectRatio"`
	Likes                 int        `json:"likes"`
	Dislikes              int        `json:"dislikes"`
	Viewers               int        `json:"viewers"`
	OriginallyPublishedAt *time.Time `json:"originallyPublishedAt"`
	Blacklisted           *bool      `json:"blacklisted,omitempty"`
	BlacklistedReason     *jsonNull  `json:"blacklistedReason,omitempty"`
	InputFileUpdatedAt    *jsonNull  `json:"inputFileUpdatedAt,omitempty"`
}

// jsonNull is a field that, when present, is null: PeerTube's value for
// what the node never has, in an answer that has the field at all.
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// aspectRatio is width/height of the video's top rung, rounded as
// PeerTube rounds it (4 decimals); nil before it is published.
func aspectRatio(v origin.Video) *float64 {
	if len(v.Renditions) == 0 || v.Renditions[0].Height == 0 {
		return nil
	}
	r := v.Renditions[0]
	ratio := math.Round(float64(r.Width)/float64(r.Height)*1e4) / 1e4
	return &ratio
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

// fileJSON is an entry of the HLS playlist's files: the rung as in
// files[], with its media playlist (which PeerTube lacks).
type fileJSON struct {
	webVideoFileJSON
	PlaylistURL string `json:"playlistUrl"`
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

// newVideoJSON renders v as its own answer with the node's public URLs;
// without P2P its magnets name no tracker.
func newVideoJSON(v origin.Video, u layout.URLs, p2p bool) videoJSON {
	out := videoFilesJSON(v, u, p2p)
	setDetails(&out, v.Details, true)
	return out
}

// listedVideoJSON renders v as a list's entry: the description
// truncated, without the details PeerTube lists leave out.
func listedVideoJSON(v origin.Video, u layout.URLs, p2p bool) videoJSON {
	out := videoFilesJSON(v, u, p2p)
	setDetails(&out, v.Details, false)
	return out
}

func videoFilesJSON(v origin.Video, u layout.URLs, p2p bool) videoJSON {
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
		EmbedPath:          u.Local(layout.EmbedPath(v.UUID)),
		TrackerURLs:        trackerURLs(u, p2p),
		AspectRatio:        aspectRatio(v),
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
		sp.Files = append(sp.Files, fileJSON{rungFileJSON(v, r, u, p2p), u.File(v.UUID, r.PlaylistName)})
	}
	out.StreamingPlaylists = append(out.StreamingPlaylists, sp)
	return out
}

// trackerURLs are the trackers players may announce to: none while P2P
// is off, as in the magnets.
func trackerURLs(u layout.URLs, p2p bool) []string {
	if !p2p {
		return []string{}
	}
	return u.Trackers()
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
