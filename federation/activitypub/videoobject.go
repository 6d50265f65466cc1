package activitypub

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/p2pml"
)

// LocalCatalog is what the Video objects are made from (origin.Catalog).
type LocalCatalog interface {
	Video(ctx context.Context, ref string) (origin.Video, error)
	EachVideo(ctx context.Context, fn func(origin.Video) error) error
	Channel(ctx context.Context, ref string) (origin.Channel, error)
	User(ctx context.Context, id int64) (origin.User, error)
}

// LocalVideosConfig configures LocalVideoObjects. All but P2P are
// required.
type LocalVideosConfig struct {
	Catalog LocalCatalog
	URLs    layout.URLs
	// Disk holds the published master playlists, from which the player
	// swarms' info hashes are computed as publish computes them for the
	// tracker.
	Disk layout.Disk
	// P2P reports the admin's switch; while it is off the object names no
	// tracker (as the API's magnets do). Nil means on.
	P2P func() bool
	// Magnet is a published rung's magnet link, the API's own
	// (api.MagnetURI), so the two never disagree.
	Magnet func(r origin.Rendition, p2p bool) string
}

// LocalVideoObjects answers the node's own published videos as PeerTube
// Video objects (implements LocalVideos).
type LocalVideoObjects struct {
	cfg LocalVideosConfig
}

var _ LocalVideos = (*LocalVideoObjects)(nil)

// NewLocalVideos checks cfg.
func NewLocalVideos(cfg LocalVideosConfig) (*LocalVideoObjects, error) {
	if cfg.Catalog == nil || cfg.URLs.Base() == "" || cfg.Disk.Root() == "" || cfg.Magnet == nil {
		return nil, errors.New("activitypub: LocalVideos needs Catalog, URLs, Disk and Magnet")
	}
	return &LocalVideoObjects{cfg: cfg}, nil
}

// errNotFederated marks a video that exists but is not federated (a
// private one): Federator does not tell of it.
var errNotFederated = errors.New("activitypub: video not federated")

// PeerTube's numbers in Video objects.
const (
	videoStatePublished = 1 // VideoState.PUBLISHED
)

// Media types of a Video's links.
const (
	mediaTypeHTML     = "text/html"
	mediaTypeMP4      = "video/mp4"
	mediaTypeJSON     = "application/json"
	mediaTypeTorrent  = "application/x-bittorrent"
	mediaTypeMagnet   = "application/x-bittorrent;x-scheme-handler/magnet"
	mediaTypeJPEG     = "image/jpeg"
	mediaTypeMarkdown = "text/markdown"
	formatFlagName    = "peertube_format_flag"
	formatFragmented  = "fragmented"
)

// videoContext is the @context of the node's Video objects: ActivityStreams
// and the terms PeerTube defines for its extensions, so a JSON-LD reader
// (PeerTube checking a forwarded activity) finds every property defined.
var videoContext = Context(`["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",` +
	`{"RsaSignature2017":"https://w3id.org/security#RsaSignature2017"},` +
	`{"pt":"https://joinpeertube.org/ns#","sc":"http://schema.org/",` +
	`"Hashtag":"as:Hashtag","Infohash":"pt:Infohash","uuid":"sc:identifier","sensitive":"as:sensitive",` +
	`"views":{"@type":"sc:Number","@id":"pt:views"},"state":{"@type":"sc:Number","@id":"pt:state"},` +
	`"size":{"@type":"sc:Number","@id":"pt:size"},"fps":{"@type":"sc:Number","@id":"pt:fps"},` +
	`"commentsEnabled":{"@type":"sc:Boolean","@id":"pt:commentsEnabled"},` +
	`"commentsPolicy":{"@type":"sc:Number","@id":"pt:commentsPolicy"},` +
	`"downloadEnabled":{"@type":"sc:Boolean","@id":"pt:downloadEnabled"},` +
	`"waitTranscoding":{"@type":"sc:Boolean","@id":"pt:waitTranscoding"},` +
	`"isLiveBroadcast":{"@type":"sc:Boolean","@id":"pt:isLiveBroadcast"},` +
	`"support":{"@type":"sc:Text","@id":"pt:support"},"PropertyValue":"sc:PropertyValue","value":"sc:value"}]`)

// VideoObject is the Video object of the published local video uuid.
func (l *LocalVideoObjects) VideoObject(ctx context.Context, uuid string) (json.RawMessage, error) {
	canon, err := layout.CanonicalUUID(uuid)
	if err != nil {
		return nil, fmt.Errorf("video %q: %w", uuid, ErrNoSuchObject)
	}
	v, err := l.cfg.Catalog.Video(ctx, canon)
	switch {
	case errors.Is(err, origin.ErrNotFound):
		return nil, fmt.Errorf("video %q: %w", uuid, ErrNoSuchObject)
	case err != nil:
		return nil, err
	case v.State != origin.StatePublished || v.UUID != canon:
		return nil, fmt.Errorf("video %q not published: %w", uuid, ErrNoSuchObject)
	case v.Visibility() == origin.PrivacyPrivate:
		return nil, fmt.Errorf("video %q is private: %w (%w)", uuid, ErrNoSuchObject, errNotFederated)
	}
	obj, err := l.build(ctx, v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

// PublishedUUIDs lists the published local videos, oldest first.
func (l *LocalVideoObjects) PublishedUUIDs(ctx context.Context) ([]string, error) {
	var out []string
	err := l.cfg.Catalog.EachVideo(ctx, func(v origin.Video) error {
		if v.State == origin.StatePublished && v.Listed() { // unlisted and private ones do not federate
			out = append(out, v.UUID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out) // EachVideo goes newest first
	return out, nil
}

// owners are the account and channel a video is attributed to: the
// channel it was uploaded to and its owner, or root's for videos from
// before channels.
func (l *LocalVideoObjects) owners(ctx context.Context, v origin.Video) (account, channel string, err error) {
	ref := origin.AdminChannelName
	if v.ChannelID != 0 {
		ref = strconv.FormatInt(v.ChannelID, 10)
	}
	ch, err := l.cfg.Catalog.Channel(ctx, ref)
	if err != nil {
		return "", "", fmt.Errorf("channel of video %s: %w", v.UUID, err)
	}
	user, err := l.cfg.Catalog.User(ctx, ch.AccountID)
	if err != nil {
		return "", "", fmt.Errorf("account of channel %s: %w", ch.Name, err)
	}
	return l.cfg.URLs.Account(user.Username), l.cfg.URLs.Channel(ch.Name), nil
}

func (l *LocalVideoObjects) build(ctx context.Context, v origin.Video) (*Video, error) {
	u := l.cfg.URLs
	account, channel, err := l.owners(ctx, v)
	if err != nil {
		return nil, err
	}
	hashes, err := l.playerInfoHashes(v.UUID)
	if err != nil {
		return nil, fmt.Errorf("video %s: player swarms: %w", v.UUID, err)
	}
	p2p := l.cfg.P2P == nil || l.cfg.P2P()
	var trackers []string
	if p2p {
		trackers = u.Trackers()
	}
	published := v.UpdatedAt.UTC().Format(isoMillis)
	obj := &Video{
		Context:         videoContext,
		Type:            "Video",
		ID:              u.VideoObject(v.UUID),
		UUID:            v.UUID,
		Name:            federatedName(v.Name),
		Duration:        "PT" + strconv.FormatInt(int64(math.Round(max(v.Duration, 0))), 10) + "S",
		State:           videoStatePublished,
		Sensitive:       v.NSFW,
		CommentsEnabled: v.Comments() != origin.CommentsDisabled,
		CommentsPolicy:  v.Comments(),
		DownloadEnabled: !v.DownloadDisabled,
		WaitTranscoding: v.WaitTranscoding,
		Views:           v.Views,
		// The catalogue keeps no separate publication date: the video
		// was last changed when it was published (edits move both).
		Published:    published,
		Updated:      published,
		Support:      v.Support,
		AttributedTo: Refs{{ID: account}, {ID: channel}},
		To:           Refs{{ID: Public}},
		CC:           Refs{{ID: u.Followers(account)}},
		Likes:        u.VideoCollection(v.UUID, layout.VideoLikes),
		Dislikes:     u.VideoCollection(v.UUID, layout.VideoDislikes),
		Shares:       u.VideoCollection(v.UUID, layout.VideoShares),
		Comments:     u.VideoCollection(v.UUID, layout.VideoComments),
	}
	if !v.Listed() { // PeerTube's audience of an unlisted video: nobody named
		obj.To, obj.CC = nil, nil
	}
	setDetails(obj, v.Details)
	// PeerTube refuses a description shorter than 3 characters, and an
	// empty one is no description.
	if len([]rune(v.Description)) >= 3 {
		obj.MediaType, obj.Content = mediaTypeMarkdown, v.Description
	}
	if v.Thumbnail != "" {
		obj.Icon = append(obj.Icon, Image{Type: "Image", URL: u.Thumbnail(v.Thumbnail), MediaType: mediaTypeJPEG, Width: layout.ThumbnailWidth, Height: layout.ThumbnailHeight})
	}
	if v.Preview != "" {
		obj.Icon = append(obj.Icon, Image{Type: "Image", URL: u.Preview(v.Preview), MediaType: mediaTypeJPEG, Width: layout.PreviewWidth, Height: layout.PreviewHeight})
	}
	hls := Link{Type: "Link", MediaType: MediaTypeHLS, Href: u.MasterPlaylist(v.UUID)}
	for _, h := range hashes {
		hls.Tag = append(hls.Tag, Link{Type: TypeInfohash, Name: h})
	}
	hls.Tag = append(hls.Tag, Link{Type: "Link", Name: "sha256", MediaType: mediaTypeJSON, Href: u.SegmentsSHA256(v.UUID)})
	// Highest rung first, as PeerTube lists its files.
	rungs := slices.Clone(v.Renditions)
	slices.SortStableFunc(rungs, func(a, b origin.Rendition) int { return b.Height - a.Height })
	for _, r := range rungs {
		hls.Tag = append(hls.Tag, rungLinks(u, v.UUID, r, l.cfg.Magnet(r, p2p))...)
	}
	obj.URL = []Link{
		{Type: "Link", MediaType: mediaTypeHTML, Href: u.Watch(v.ShortUUID)},
		{Type: "Link", MediaType: mediaTypeHTML, Href: u.VideoObject(v.UUID)},
		hls,
	}
	for _, t := range trackers {
		kind := "websocket"
		if strings.HasPrefix(t, "http") {
			kind = "http"
		}
		obj.URL = append(obj.URL, Link{Type: "Link", Name: "tracker-" + kind, Rel: Strings{"tracker", kind}, Href: t})
	}
	return obj, nil
}

// federatedName is the name as instances take it: PeerTube drops a Video
// whose name is shorter than 3 characters, which the node's uploads
// allow, so a short name is filled up with ellipses.
func federatedName(name string) string {
	if n := utf8.RuneCountInString(name); n < minVideoName {
		return name + strings.Repeat("…", minVideoName-n)
	}
	return name
}

// rungLinks are a rung's fragmented MP4, its torrent and its magnet, in
// PeerTube's shapes (the size, frame rate and format flag only on the
// file itself).
func rungLinks(u layout.URLs, uuid string, r origin.Rendition, magnet string) []Link {
	return []Link{
		{
			Type: "Link", MediaType: mediaTypeMP4, Href: u.File(uuid, r.FileName),
			Height: r.Height, Width: r.Width, Size: r.Size, FPS: r.FPS,
			Attachment: []PropertyValue{{Type: "PropertyValue", Name: formatFlagName, Value: formatFragmented}},
		},
		{Type: "Link", MediaType: mediaTypeTorrent, Href: u.Torrent(r.TorrentName), Height: r.Height, Width: r.Width, FPS: r.FPS},
		{Type: "Link", MediaType: mediaTypeMagnet, Href: magnet, Height: r.Height, Width: r.Width, FPS: r.FPS},
	}
}

// isoMillis is JavaScript's Date.toISOString form, which PeerTube writes
// and reads.
const isoMillis = "2006-01-02T15:04:05.000Z"

// maxMasterBytes bounds the master playlist read (a few lines per rung).
const maxMasterBytes = 64 << 10

// playerInfoHashes are the swarms players announce for the video, hex:
// the watch page's player's (swarm id: the uuid) and PeerTube's own
// players' up to 7.0 (from the master playlist's URL), the same hashes
// publish gives the tracker.
func (l *LocalVideoObjects) playerInfoHashes(uuid string) ([]string, error) {
	f, err := os.Open(filepath.Join(l.cfg.Disk.HLSDir(uuid), layout.MasterPlaylistName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	master, err := io.ReadAll(io.LimitReader(f, maxMasterBytes))
	if err != nil {
		return nil, err
	}
	hashes, err := p2pml.InfoHashes(uuid, master)
	if err != nil {
		return nil, err
	}
	hashes = append(hashes, p2pml.LegacyInfoHashes(l.cfg.URLs.MasterPlaylist(uuid), len(hashes))...)
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = hex.EncodeToString(h[:])
	}
	return out, nil
}

// setDetails sets the category, licence, language and tags of obj in
// PeerTube's shapes.
func setDetails(obj *Video, d origin.Details) {
	if l := origin.CategoryLabel(d.Category); l != "" {
		obj.Category = &Identified{Identifier: strconv.Itoa(d.Category), Name: l}
	}
	if l := origin.LicenceLabel(d.Licence); l != "" {
		obj.Licence = &Identified{Identifier: strconv.Itoa(d.Licence), Name: l}
	}
	if d.Language != "" {
		name := origin.LanguageLabel(d.Language)
		if name == "" {
			name = d.Language
		}
		obj.Language = &Identified{Identifier: d.Language, Name: name}
	}
	for _, t := range d.Tags {
		obj.Tag = append(obj.Tag, Hashtag{Type: "Hashtag", Name: t})
	}
}
