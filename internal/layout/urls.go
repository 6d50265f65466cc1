package layout

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Paths the edge routes on; the public URLs below are built from them.
const (
	HLSPrefix     = "/static/streaming-playlists/hls/"
	WebSeedPrefix = "/static/webseed/"
	TorrentPrefix = "/lazy-static/torrents/"
	TrackerHTTP   = "/tracker/announce"
	TrackerScrape = "/tracker/scrape"
	TrackerSocket = "/tracker/socket"
	// APIPrefix is where the REST API is mounted; the API owns the routes
	// below it. The two below are handed out in help and logs.
	APIPrefix  = "/api/"
	VideosPath = "/api/v1/videos"
	UploadPath = "/api/v1/videos/upload"
	// ResumableUploadPath is PeerTube's resumable upload; a session is
	// named by its upload_id query parameter (ResumableUploadParam).
	ResumableUploadPath  = "/api/v1/videos/upload-resumable"
	ResumableUploadParam = "upload_id"
	// AdminPrefix holds the API's admin endpoints. They and UploadPath take
	// the admin token, and the edge answers them without CORS.
	AdminPrefix = "/api/v1/admin/"
	// ConfigPath is PeerTube's server config, which the player reads for
	// the admin's P2P switch and the STUN servers.
	ConfigPath = "/api/v1/config"
	// ContactAPIPath is PeerTube's contact form endpoint, which the contact
	// page posts to.
	ContactAPIPath = "/api/v1/server/contact"
)

// Federation discovery (package activitypub): NodeInfo 2.0, found through
// its well-known document.
const (
	NodeInfoWellKnown = "/.well-known/nodeinfo"
	NodeInfoPath      = "/nodeinfo/2.0.json"
)

// NodeInfo is the address of the node's NodeInfo 2.0 document.
func (u URLs) NodeInfo() string { return u.base + NodeInfoPath }

// Where PeerTube's accounts and channels live (their ActivityPub actors
// and pages); followed by the account's or channel's name.
const (
	AccountPrefix = "/accounts/"
	ChannelPrefix = "/video-channels/"
)

// The web pages' paths (package web owns what is below its prefixes).
// HomePath is matched exactly: the edge's own 404s stay its own.
const (
	HomePath    = "/"
	AboutPath   = "/about"
	ContactPath = "/contact"
	// WatchPrefix is followed by a shortUUID; PeerTube's own watch and
	// embed URLs take a uuid or a shortUUID.
	WatchPrefix         = "/w/"
	PeerTubeWatchPrefix = "/videos/watch/"
	EmbedPrefix         = "/videos/embed/"
	// AssetsPrefix serves the pages' CSS and JavaScript.
	AssetsPrefix = "/web/assets/"
	// PrivacyFragment is the about page's section on P2P and privacy,
	// which the watch page's reminder links to.
	PrivacyFragment = "p2p-privacy"
)

var errShape = errors.New("want http(s)://host[:port][/path] without query or fragment")

// URLs derives every public address of the node from its public base URL.
type URLs struct {
	base string // scheme://host[:port][/prefix], no trailing slash
	ws   string // the same with ws:// or wss://
	host string // host[:port]
	path string // [/prefix], no trailing slash
}

// New parses the node's public base URL.
func New(public string) (URLs, error) {
	u, err := url.Parse(strings.TrimRight(public, "/"))
	if err != nil {
		return URLs{}, fmt.Errorf("public url %q: %w", public, err)
	}
	ws := *u
	switch u.Scheme {
	case "http":
		ws.Scheme = "ws"
	case "https":
		ws.Scheme = "wss"
	default:
		return URLs{}, fmt.Errorf("public url %q: %w", public, errShape)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return URLs{}, fmt.Errorf("public url %q: %w", public, errShape)
	}
	return URLs{base: u.String(), ws: ws.String(), host: u.Host, path: u.EscapedPath()}, nil
}

// Host is the public URL's host[:port], as it appears in every URL here.
func (u URLs) Host() string { return u.host }

// Base is the public base URL without a trailing slash.
func (u URLs) Base() string { return u.base }

// HLSDir is the URL of a video's HLS directory, with a trailing slash.
func (u URLs) HLSDir(uuid string) string { return u.base + HLSPrefix + uuid + "/" }

// MasterPlaylist is the URL of a video's master playlist.
func (u URLs) MasterPlaylist(uuid string) string { return u.HLSDir(uuid) + "master.m3u8" }

// SegmentsSHA256 is the URL of a video's segment hash map.
func (u URLs) SegmentsSHA256(uuid string) string { return u.HLSDir(uuid) + "segments-sha256.json" }

// File is the URL of one file in a video's HLS directory.
func (u URLs) File(uuid, name string) string { return u.HLSDir(uuid) + name }

// WebSeed is the BEP 19 WebSeed URL of one rendition file.
func (u URLs) WebSeed(name string) string { return u.base + WebSeedPrefix + name }

// Torrent is the URL of a .torrent file.
func (u URLs) Torrent(name string) string { return u.base + TorrentPrefix + name }

// Video is the API address of a video, by id, uuid or shortUUID.
func (u URLs) Video(ref string) string { return u.base + VideosPath + "/" + ref }

// Account is the URL of the account named name.
func (u URLs) Account(name string) string { return u.base + AccountPrefix + name }

// Channel is the URL of the channel named name.
func (u URLs) Channel(name string) string { return u.base + ChannelPrefix + name }

// Upload is the API address of PeerTube's legacy upload.
func (u URLs) Upload() string { return u.base + UploadPath }

// ResumableUpload is the address of a resumable upload session (the
// Location a PeerTube client sends its chunks to).
func (u URLs) ResumableUpload(id string) string {
	return u.base + ResumableUploadPath + "?" + ResumableUploadParam + "=" + url.QueryEscape(id)
}

// Trackers are the node's announce URLs: HTTP first, then WebSocket.
func (u URLs) Trackers() []string {
	return []string{u.base + TrackerHTTP, u.ws + TrackerSocket}
}

// Local is the path-absolute form of a path the node routes on (the
// public URL's path prefix, if any, then p): what the pages link to, so
// they work under whatever host name a viewer used.
func (u URLs) Local(p string) string { return u.path + p }

// Watch is the address of a video's watch page.
func (u URLs) Watch(shortUUID string) string { return u.base + WatchPath(shortUUID) }

// Embed is the address of a video's embeddable player.
func (u URLs) Embed(uuid string) string { return u.base + EmbedPrefix + uuid }

// WatchPath is the path of a video's watch page.
func WatchPath(shortUUID string) string { return WatchPrefix + shortUUID }

// PrivacyPath is the path of the about page's section on P2P and privacy.
func PrivacyPath() string { return AboutPath + "#" + PrivacyFragment }

// HLSMediaPath maps what follows HLSPrefix in a request path to the file
// under the media directory that answers it. The file server confines the
// result to the media directory; nothing here needs to.
func HLSMediaPath(rest string) string { return MediaHLSDir + "/" + rest }

// WebSeedMediaPath maps what follows WebSeedPrefix (a rendition file name)
// to the file under the media directory: {uuid}-{height}-fragmented.mp4
// lives in the HLS directory of {uuid}. Only rendition file names map.
func WebSeedMediaPath(name string) (string, bool) {
	uuid, _, ok := ParseRenditionFileName(name)
	if !ok {
		return "", false
	}
	return MediaHLSDir + "/" + uuid + "/" + name, true
}

// TorrentMediaPath maps what follows TorrentPrefix (a torrent file name) to
// the file under the media directory: the full torrent, or its WebSeed-only
// form while P2P is off.
func TorrentMediaPath(name string, p2p bool) (string, bool) {
	if _, _, ok := ParseTorrentFileName(name); !ok {
		return "", false
	}
	if !p2p {
		return MediaWebSeedOnlyDir + "/" + name, true
	}
	return MediaTorrentsDir + "/" + name, true
}
