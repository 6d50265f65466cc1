package activitypub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/peeredge/peeredge/origin"
)

// RemoteStore keeps remote videos (origin.Catalog).
type RemoteStore interface {
	UpsertRemoteVideo(ctx context.Context, rv origin.RemoteVideo) (origin.RemoteVideo, error)
	DeleteRemoteVideo(ctx context.Context, apID string) error
	DeleteRemoteHost(ctx context.Context, host string) (int, error)
}

// Crawl and cache defaults.
const (
	DefaultCrawlPages    = 50
	DefaultCrawlItems    = 1000
	DefaultActorCacheTTL = time.Hour
	actorCacheSize       = 1024
	// Bounds of what is kept of a remote video's texts (PeerTube's own
	// limits for descriptions and support texts).
	maxDescription = 10000
	maxSupport     = 1000
	maxDisplayName = 120
)

// Errors of the remote video index.
var (
	ErrNoHLS       = errors.New("activitypub: Video without a HLS playlist the node can play")
	ErrBlockedHost = errors.New("activitypub: host blocked")
	ErrForeignPage = errors.New("activitypub: collection page on another host")
)

// RemoteVideosConfig configures RemoteVideoIndex. Store and Fetcher are
// required.
type RemoteVideosConfig struct {
	Store   RemoteStore
	Fetcher *Fetcher
	// Blocklist, if set, refuses the videos of blocked hosts.
	Blocklist Blocklist
	// CrawlPages and CrawlItems bound one outbox crawl (defaults
	// DefaultCrawlPages, DefaultCrawlItems).
	CrawlPages, CrawlItems int
	// ActorCacheTTL is how long an account's or channel's names are
	// reused (default DefaultActorCacheTTL).
	ActorCacheTTL time.Duration
	Logger        *slog.Logger
	// now is the clock (tests).
	now func() time.Time
}

// RemoteVideoIndex keeps the videos of followed instances in the
// catalogue (implements RemoteVideos).
//
// What it trusts: a Video object's id must be on the host it came from
// (the inbox's signature check, or FetchJSON's), and its account and
// channel on the id's host, since the node shows their names as the
// video's. The media URLs (playlist, files, torrents, images) may be on
// any http(s) host: PeerTube serves them from object storage or a CDN,
// and the node never fetches them itself; viewers' browsers do.
type RemoteVideoIndex struct {
	cfg    RemoteVideosConfig
	logger *slog.Logger
	actors *actorCache
}

var _ RemoteVideos = (*RemoteVideoIndex)(nil)

// NewRemoteVideos checks cfg and fills in defaults.
func NewRemoteVideos(cfg RemoteVideosConfig) (*RemoteVideoIndex, error) {
	if cfg.Store == nil || cfg.Fetcher == nil {
		return nil, errors.New("activitypub: RemoteVideos needs Store and Fetcher")
	}
	if cfg.CrawlPages <= 0 {
		cfg.CrawlPages = DefaultCrawlPages
	}
	if cfg.CrawlItems <= 0 {
		cfg.CrawlItems = DefaultCrawlItems
	}
	if cfg.ActorCacheTTL <= 0 {
		cfg.ActorCacheTTL = DefaultActorCacheTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	return &RemoteVideoIndex{
		cfg:    cfg,
		logger: cfg.Logger,
		actors: &actorCache{ttl: cfg.ActorCacheTTL, now: cfg.now, entries: map[string]actorEntry{}},
	}, nil
}

// Upsert validates v and keeps it; an update older than the kept one is
// ignored (nil error).
func (r *RemoteVideoIndex) Upsert(ctx context.Context, v *Video, raw []byte) error {
	if err := v.validate(); err != nil {
		return err
	}
	rv, err := r.remoteVideo(ctx, v)
	if err != nil {
		return err
	}
	stored, err := r.cfg.Store.UpsertRemoteVideo(ctx, rv)
	if errors.Is(err, origin.ErrStale) {
		r.logger.Debug("remote video: older update ignored", "id", v.ID)
		return nil
	}
	if err != nil {
		return err
	}
	r.logger.Info("remote video kept", "id", v.ID, "video", stored.ID, "host", stored.Host)
	return nil
}

// Fetch gets the Video object at id from its own host and keeps it.
func (r *RemoteVideoIndex) Fetch(ctx context.Context, id string) error {
	if err := r.allowed(id); err != nil {
		return err
	}
	body, err := r.cfg.Fetcher.FetchJSON(ctx, id, 0)
	if err != nil {
		return err
	}
	v, err := ParseVideo(body)
	if err != nil {
		return err
	}
	return r.Upsert(ctx, v, body)
}

// Delete removes the video with ActivityPub id id, if kept.
func (r *RemoteVideoIndex) Delete(ctx context.Context, id string) error {
	err := r.cfg.Store.DeleteRemoteVideo(ctx, id)
	if errors.Is(err, origin.ErrNotFound) {
		return nil
	}
	return err
}

// ForgetHost removes every video of host.
func (r *RemoteVideoIndex) ForgetHost(ctx context.Context, host string) error {
	n, err := r.cfg.Store.DeleteRemoteHost(ctx, host)
	if n > 0 {
		r.logger.Info("remote videos forgotten", "host", host, "videos", n)
	}
	return err
}

// allowed refuses URLs of blocked hosts.
func (r *RemoteVideoIndex) allowed(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrInvalid, rawURL)
	}
	if r.cfg.Blocklist != nil && r.cfg.Blocklist.Blocked(u.Host) {
		return fmt.Errorf("%w: %s", ErrBlockedHost, u.Host)
	}
	return nil
}

// remoteVideo turns a validated Video object into what the catalogue
// keeps.
func (r *RemoteVideoIndex) remoteVideo(ctx context.Context, v *Video) (origin.RemoteVideo, error) {
	if err := r.allowed(v.ID); err != nil {
		return origin.RemoteVideo{}, err
	}
	id, _ := url.Parse(v.ID) // validated
	hls := v.HLS()
	if hls == nil || checkURL("HLS playlist", hls.Href) != nil {
		return origin.RemoteVideo{}, ErrNoHLS
	}
	seconds, _ := v.Seconds()
	published, _ := time.Parse(time.RFC3339, v.Published)
	updated, _ := time.Parse(time.RFC3339, v.Updated)
	rv := origin.RemoteVideo{
		APID:           v.ID,
		UUID:           v.UUID,
		Host:           id.Host,
		Name:           strings.TrimSpace(v.Name),
		Description:    truncateRunes(v.Content, maxDescription),
		Support:        truncateRunes(v.Support, maxSupport),
		Duration:       seconds,
		Views:          v.Views,
		Tags:           hashtags(v.Tag),
		Published:      published.UTC(),
		Updated:        updated.UTC(),
		Master:         hls.Href,
		SegmentsSHA256: hls.Segments(),
		Infohashes:     hls.Infohashes(),
		FetchedAt:      r.cfg.now().UTC(),
	}
	rv.Thumbnail, rv.Preview = images(v.Icon)
	rv.Files = rungFiles(hls.Tag)
	if len(rv.Files) == 0 {
		return origin.RemoteVideo{}, fmt.Errorf("%w: no rung", ErrNoHLS)
	}
	for _, a := range v.AttributedTo {
		if !SameHost(a.ID, v.ID) {
			return origin.RemoteVideo{}, fmt.Errorf("%w: attributed to %q, not on %s", ErrInvalid, a.ID, id.Host)
		}
		actor := r.actor(ctx, a)
		switch actor.kind {
		case "Person":
			if rv.Account.URL == "" {
				rv.Account = actor.RemoteActor
			}
		case "Group":
			if rv.Channel.URL == "" {
				rv.Channel = actor.RemoteActor
			}
		}
	}
	if rv.Channel.URL == "" && rv.Account.URL == "" {
		return origin.RemoteVideo{}, fmt.Errorf("%w: Video attributed to no account or channel", ErrInvalid)
	}
	return rv, nil
}

// hashtags are the names of a Video's Hashtags within PeerTube's limits
// of tags (what is beyond them is dropped, not refused: the video stands
// without it).
func hashtags(tags []Hashtag) []string {
	var out []string
	for _, t := range tags {
		name := strings.TrimSpace(t.Name)
		if n := utf8.RuneCountInString(name); t.Type != "Hashtag" || n < origin.MinTagRunes || n > origin.MaxTagRunes {
			continue
		}
		if out = append(out, name); len(out) == origin.MaxTags {
			break
		}
	}
	return out
}

// images picks the thumbnail (the narrowest icon) and the preview (the
// widest); one icon is both.
func images(icons Images) (thumbnail, preview string) {
	var small, large *Image
	for i := range icons {
		ic := &icons[i]
		if checkURL("icon", ic.URL) != nil {
			continue
		}
		if small == nil || ic.Width < small.Width {
			small = ic
		}
		if large == nil || ic.Width > large.Width {
			large = ic
		}
	}
	if small == nil {
		return "", ""
	}
	return small.URL, large.URL
}

// rungFiles reads the HLS link's rungs: each video file with the torrent
// and magnet of its height.
func rungFiles(tags []Link) []origin.RemoteFile {
	var files []origin.RemoteFile
	for _, l := range tags {
		if !strings.HasPrefix(l.MediaType, "video/") && !strings.HasPrefix(l.MediaType, "audio/") {
			continue
		}
		if checkURL("file", l.Href) != nil {
			continue
		}
		f := origin.RemoteFile{URL: l.Href, Height: l.Height, Width: l.Width, Size: l.Size, FPS: l.FPS}
		for _, o := range tags {
			if o.Height != l.Height {
				continue
			}
			switch {
			case o.MediaType == mediaTypeTorrent && f.TorrentURL == "" && checkURL("torrent", o.Href) == nil:
				f.TorrentURL = o.Href
			case o.MediaType == mediaTypeMagnet && f.MagnetURI == "" && strings.HasPrefix(o.Href, "magnet:?"):
				f.MagnetURI = o.Href
			}
		}
		files = append(files, f)
	}
	return files
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// remoteActor is an account's or channel's names and type.
type remoteActor struct {
	origin.RemoteActor
	kind string // "Person" or "Group"; others are neither
}

// actor names the actor a video is attributed to: from the cache, else
// fetched from its host (bounded by the fetcher). An actor that cannot be
// fetched is named after its URL, its type guessed from PeerTube's paths,
// so a video is not lost to an actor's hiccup.
func (r *RemoteVideoIndex) actor(ctx context.Context, ref Ref) remoteActor {
	if a, ok := r.actors.get(ref.ID); ok {
		return a
	}
	u, _ := url.Parse(ref.ID) // checked by validate
	a := remoteActor{RemoteActor: origin.RemoteActor{URL: ref.ID, Host: u.Host, Name: path.Base(u.Path)}, kind: ref.Type}
	body, err := r.cfg.Fetcher.FetchJSON(ctx, ref.ID, 0)
	var doc *Actor
	if err == nil {
		doc, err = ParseActor(body)
	}
	if err != nil {
		r.logger.Warn("remote video: attributed actor not fetched; named after its URL", "actor", ref.ID, "err", err)
		if a.kind == "" {
			switch {
			case strings.Contains(u.Path, "/video-channels/"):
				a.kind = "Group"
			case strings.Contains(u.Path, "/accounts/"):
				a.kind = "Person"
			}
		}
		return a
	}
	a.kind = doc.Type
	a.Name = doc.PreferredUsername
	a.DisplayName = truncateRunes(strings.TrimSpace(doc.Name), maxDisplayName)
	r.actors.put(ref.ID, a)
	return a
}

// actorCache keeps fetched actors' names for a while, bounded.
type actorCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]actorEntry
}

type actorEntry struct {
	actor   remoteActor
	expires time.Time
}

func (c *actorCache) get(id string) (remoteActor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || c.now().After(e.expires) {
		return remoteActor{}, false
	}
	return e.actor, true
}

func (c *actorCache) put(id string, a remoteActor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= actorCacheSize {
		for k, e := range c.entries { // expired first, else any
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < actorCacheSize {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[id] = actorEntry{actor: a, expires: now.Add(c.ttl)}
}
