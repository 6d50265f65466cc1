package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// Videos reads the catalogue.
type Videos interface {
	Video(ctx context.Context, ref string) (origin.Video, error)
	// List lists local and remote videos with PeerTube's list options
	// (all sorts but trending).
	List(ctx context.Context, q origin.ListQuery) ([]origin.Listed, int, error)
}

// Uploads takes video files in (origin.Intake): Room says whether a file
// of a given size fits now, Receive stores a file as it streams in, Commit
// turns it into a queued video.
type Uploads interface {
	Room(size int64) error
	Receive(ctx context.Context, src io.Reader) (*origin.Received, error)
	Commit(ctx context.Context, file *origin.Received, m origin.Metadata) (origin.Video, error)
}

// Tokens checks the admin bearer token.
type Tokens interface {
	CheckToken(ctx context.Context, token string) bool
}

// P2PSwitch is the admin's P2P switch: when off, the tracker refuses,
// torrents and magnets carry WebSeeds only and players stream over HTTP.
type P2PSwitch interface {
	P2PEnabled() bool
	SetP2P(ctx context.Context, enabled bool) error
}

// SwarmStats reports the tracker's and the seeder's counters.
type SwarmStats interface {
	SwarmStats() SwarmReport
}

// Config is what the API answers from. Videos, Tokens, P2P and URLs are
// required; without Uploads the node takes no uploads (503), without Swarm
// the tracker's counters are not served (404).
type Config struct {
	Videos  Videos
	Uploads Uploads
	Tokens  Tokens
	P2P     P2PSwitch
	Swarm   SwarmStats
	URLs    layout.URLs
	// Resumable takes PeerTube's resumable uploads, Edits and Removals
	// its video edits and deletions; without one, its endpoints answer 503.
	Resumable ResumableUploads
	Edits     VideoEdits
	Removals  VideoRemovals
	// Images fits the thumbnails and previews uploaded with videos; without
	// it those form parts are ignored, as other fields the node does not use.
	Images ImageFitter
	// ImageEdits replaces a video's images given to PUT /api/v1/videos/{id};
	// without it (or Images) those parts are ignored.
	ImageEdits VideoImageEdits
	// Contacts keeps the contact form's messages; without it the contact
	// endpoints answer 404. ContactMail, when set, mails each stored one.
	// ContactLimit is the messages one client may send (zero:
	// DefaultContactCount per DefaultContactWindow); ClientAddrs tells
	// clients behind trusted proxies (nil: the connection's address).
	Contacts     Contacts
	ContactMail  ContactMail
	ContactLimit RateLimit
	ClientAddrs  ClientAddrs
	// Accounts keeps users, channels and OAuth tokens; without it the
	// account and OAuth endpoints answer 404 and only the admin token
	// authorizes. TokenTTL is how long OAuth tokens live (zero fields:
	// DefaultAccessTTL, DefaultRefreshTTL); LoginLimit is the failed
	// logins one client may make (zero: DefaultLoginCount per
	// DefaultLoginWindow).
	Accounts Accounts
	// Remote, if set, adds the videos of followed instances to the
	// video list and lookups.
	Remote     RemoteVideos
	TokenTTL   origin.TokenTTL
	LoginLimit RateLimit
	// Blocklist keeps the servers the admin blocked; without it the
	// blocklist endpoints answer 404.
	Blocklist ServerBlocklist
	// MaxUploadSize bounds the video file of one upload, in bytes; a body
	// announced larger (with the form's overhead) is refused before it is read.
	MaxUploadSize int64
	// STUNServers are handed to players in /api/v1/config (none: players
	// use no STUN server).
	STUNServers []string
	// Server is what /api/v1/config says of the node beyond the above
	// (its name, version, transcoding ladder, trending window).
	Server ServerInfo
	// Follows is the node's follow machinery; without it the server
	// follow endpoints answer 404.
	Follows ServerFollows
	// Federation reports the delivery queue's counters at
	// /api/v1/admin/federation (with Follows' counts); without it 404.
	Federation FederationStats
	// FileMetadata describes published rungs at their metadataUrl; without
	// it that endpoint answers 404.
	FileMetadata FileMetadata
	// Views counts local videos' views and sorts lists by them; without
	// it views are taken (204) and not counted, and the view sorts answer
	// 400. ViewLifetime is how long one client's view of a video keeps
	// it from counting again (zero: DefaultViewLifetime).
	Views        VideoViews
	ViewLifetime time.Duration
	Logger       *slog.Logger
}

// API serves /api/.
type API struct {
	cfg          Config
	logger       *slog.Logger
	contactLimit *limiter
	loginLimit   *limiter
	metadata     *metadataCache
	views        *seenViews // nil without Config.Views
}

// New returns the API for cfg.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ContactLimit.Count <= 0 || cfg.ContactLimit.Window <= 0 {
		cfg.ContactLimit = RateLimit{Count: DefaultContactCount, Window: DefaultContactWindow}
	}
	if cfg.LoginLimit.Count <= 0 || cfg.LoginLimit.Window <= 0 {
		cfg.LoginLimit = RateLimit{Count: DefaultLoginCount, Window: DefaultLoginWindow}
	}
	if cfg.TokenTTL.Access <= 0 {
		cfg.TokenTTL.Access = DefaultAccessTTL
	}
	if cfg.TokenTTL.Refresh <= 0 {
		cfg.TokenTTL.Refresh = DefaultRefreshTTL
	}
	if cfg.ViewLifetime <= 0 {
		cfg.ViewLifetime = DefaultViewLifetime
	}
	a := &API{cfg: cfg, logger: cfg.Logger, contactLimit: newLimiter(cfg.ContactLimit), loginLimit: newLimiter(cfg.LoginLimit),
		metadata: newMetadataCache()}
	if cfg.Views != nil {
		a.views = newSeenViews(cfg.ViewLifetime)
	}
	return a
}

// Paths of the endpoints, under layout.APIPrefix.
const (
	configPath        = layout.ConfigPath
	adminP2PPath      = layout.AdminPrefix + "p2p"
	adminTrackerPath  = layout.AdminPrefix + "tracker"
	contactPath       = layout.ContactAPIPath
	adminContactPath  = layout.AdminPrefix + "contact"
	videoPrefix       = layout.VideosPath + "/"
	descriptionSuffix = "/description"
)

// Allow headers of the endpoints.
const (
	allowRead    = "GET, HEAD, OPTIONS"
	allowUpload  = "POST, OPTIONS"
	allowVideo   = "GET, HEAD, PUT, DELETE, OPTIONS"
	allowAdmin   = "GET, PUT, OPTIONS"
	allowDelete  = "DELETE, OPTIONS"
	allowContact = "POST, OPTIONS"
	allowViews   = "POST, PUT, OPTIONS"
)

// Handler routes a request below layout.APIPrefix.
func (a *API) Handler(ctx *fasthttp.RequestCtx) {
	path := ctx.Path() // decoded and normalised by fasthttp
	if a.cfg.Accounts != nil && a.routeAccounts(ctx, string(path)) {
		return
	}
	if a.cfg.Follows != nil && a.routeServerFollows(ctx, string(path)) {
		return
	}
	if a.routeFileMetadata(ctx, string(path)) {
		return
	}
	switch {
	case string(path) == layout.UploadPath:
		if a.method(ctx, allowUpload, ctx.IsPost()) {
			a.upload(ctx)
		}
	case string(path) == layout.ResumableUploadPath:
		if a.method(ctx, allowResumable, ctx.IsPost() || ctx.IsPut() || ctx.IsDelete()) {
			a.resumable(ctx)
		}
	case string(path) == layout.VideosPath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.listVideos(ctx)
		}
	case bytes.HasPrefix(path, []byte(videoPrefix)) && bytes.HasSuffix(path, []byte(descriptionSuffix)) &&
		bytes.Count(path[len(videoPrefix):], []byte("/")) == 1:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.videoDescription(ctx, strings.TrimSuffix(string(path[len(videoPrefix):]), descriptionSuffix))
		}
	case bytes.HasPrefix(path, []byte(videoPrefix)) && bytes.HasSuffix(path, []byte(viewsSuffix)) &&
		bytes.IndexByte(path[len(videoPrefix):len(path)-len(viewsSuffix)], '/') < 0 && len(path) > len(videoPrefix)+len(viewsSuffix):
		if a.method(ctx, allowViews, ctx.IsPost() || ctx.IsPut()) {
			a.addView(ctx, string(path[len(videoPrefix):len(path)-len(viewsSuffix)]))
		}
	case bytes.HasPrefix(path, []byte(videoPrefix)) && bytes.IndexByte(path[len(videoPrefix):], '/') < 0:
		ref := string(path[len(videoPrefix):])
		if a.videoReference(ctx, ref) {
			return
		}
		switch {
		case ctx.IsPut():
			a.updateVideo(ctx, ref)
		case ctx.IsDelete():
			a.deleteVideo(ctx, ref)
		case a.method(ctx, allowVideo, isRead(ctx)):
			a.getVideo(ctx, ref)
		}
	case string(path) == configPath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.serverConfig(ctx)
		}
	case string(path) == adminP2PPath:
		if a.method(ctx, allowAdmin, isRead(ctx) || ctx.IsPut() || ctx.IsPost()) {
			a.adminP2P(ctx)
		}
	case string(path) == adminTrackerPath && a.cfg.Swarm != nil:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.adminSwarm(ctx)
		}
	case string(path) == adminFederationPath && a.cfg.Federation != nil:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.adminFederation(ctx)
		}
	case string(path) == contactPath && a.cfg.Contacts != nil:
		if a.method(ctx, allowContact, ctx.IsPost()) {
			a.contact(ctx)
		}
	case strings.HasPrefix(string(path), adminContactPath) && a.cfg.Contacts != nil:
		a.routeAdminContact(ctx, string(path[len(adminContactPath):]))
	case strings.HasPrefix(string(path), layout.ServerBlocklistPath) && a.cfg.Blocklist != nil:
		a.routeBlocklist(ctx, string(path[len(layout.ServerBlocklistPath):]))
	default:
		writeProblem(ctx, http.StatusNotFound, "no such API endpoint")
	}
}

func isRead(ctx *fasthttp.RequestCtx) bool { return ctx.IsGet() || ctx.IsHead() }

// method answers 405 with Allow unless ok.
func (a *API) method(ctx *fasthttp.RequestCtx, allow string, ok bool) bool {
	if !ok {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, allow)
		writeProblem(ctx, http.StatusMethodNotAllowed, "method not allowed; use "+allow)
	}
	return ok
}
