// Package node wires the rooms into one running peeredge node: it opens the
// origin (catalogue, store, queue, intake), builds the publisher over the
// segmenter and the swarm, mounts the API and the tracker on the edge, and
// starts and stops them. It holds the admin's P2P switch, which all of them
// obey; it holds no protocol code and no workflow of its own.
package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm/seeder"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// Config is everything a node is started with. The zero value of each field
// means its default (see Defaults).
type Config struct {
	Listen     string // host:port of the HTTP server
	DataDir    string // catalogue, media, originals, temp files
	PublicURL  string // base URL viewers reach the node at; default http(s)://{Listen}
	AdminToken string // if set, replaces the stored admin token's hash
	// AdminPassword is the password of the admin user (root): set on
	// first start (empty: a random one, in Node.NewAdminPassword), and
	// replacing the stored one when set later. TokenTTL is how long OAuth
	// tokens live (zero fields: api.DefaultAccessTTL, api.DefaultRefreshTTL);
	// LoginLimit the failed logins one client may make (zero:
	// api.DefaultLoginCount per api.DefaultLoginWindow).
	AdminPassword string
	TokenTTL      origin.TokenTTL
	LoginLimit    api.RateLimit
	MaxUploadSize int64 // bytes of one uploaded video file
	// DiskReserve is the free space uploads and transcodes leave on the data
	// directory's filesystem (see origin.Space); at least
	// origin.MinDiskReserve.
	DiskReserve     int64
	SegmentDuration time.Duration // HLS segment length; keyframes are forced at every boundary
	Rungs           []int         // ladder heights below the source's own
	Workers         int           // transcoding jobs run at once
	// KeepFailedOriginals is how long the original of a video that failed
	// is kept (for the administrator to look at) before it is removed; 0
	// keeps them. The video stays in the catalogue with its reason.
	KeepFailedOriginals time.Duration
	// UploadSessionTTL is how long a resumable upload may sit idle before
	// it and its bytes are removed.
	UploadSessionTTL time.Duration
	FFmpeg, FFprobe  string // binaries; default from PATH
	P2P              *bool  // sets the persisted P2P switch at start; nil keeps it (default on)
	Tracker          tracker.Config
	NoSeed           bool   // no BitTorrent seeder (WebSeeds still serve every file)
	NoWebRTC         bool   // the seeder answers no WebTorrent (browser) peers
	SeedAddr         string // seeder's TCP/uTP listen host; default the host of Listen
	SeedPort         int    // seeder's TCP/uTP port; 0 picks a free one
	UploadRate       int64  // seeder upload limit in bytes/s; 0 = unlimited
	// The edge's connection limits (see edge.Config). MaxConns 0 derives
	// it from the open-file limit; MaxConnsPerIP 0 means none; trusted
	// proxies (Tracker.TrustedProxies) are exempt from it.
	HeaderTimeout time.Duration
	BodyTimeout   time.Duration
	MaxConns      int
	MaxConnsPerIP int
	// STUNServers are the STUN/TURN servers players use to reach each
	// other from behind NAT (stun:, stuns:, turn: or turns: URLs); none
	// by default, so viewers talk to no one the node did not name.
	STUNServers []string
	// SMTPURL and AdminEmail, set together, mail each contact message to
	// the admin (see mail.ParseURL for the URL's forms); unset, messages
	// are only stored. ContactLimit is the contact messages one client
	// may send (zero: api.DefaultContactCount per api.DefaultContactWindow).
	SMTPURL      string
	AdminEmail   string
	ContactLimit api.RateLimit
	// TLSCert and TLSKey, set together, make the node's port speak HTTPS
	// with this PEM certificate chain and key (renewals are picked up
	// without a restart); unset, it speaks plain HTTP, e.g. behind a
	// proxy that terminates TLS (then set PublicURL to https://…).
	TLSCert, TLSKey string
	// FederationAllowPrivate lets federation fetches and deliveries reach
	// loopback, private and link-local addresses (tests, private
	// networks); off, only public addresses are reached.
	FederationAllowPrivate bool
	// FollowersManualApproval leaves new followers of the instance actor
	// pending until the admin accepts them; off, they are accepted.
	FollowersManualApproval bool
	// DeliveryRetry is how long a failed delivery waits before its first
	// retry, doubling from there (zero: activitypub.DefaultRetryBase).
	DeliveryRetry time.Duration
	// ViewLifetime is how long one client's view of a video keeps it from
	// counting again (zero: api.DefaultViewLifetime); TrendingDays, the
	// days the -trending sort counts (zero: origin.DefaultTrendingDays).
	ViewLifetime time.Duration
	TrendingDays int
	// views overrides the view counter's clock and flush period (tests).
	views  origin.ViewsConfig
	Logger *slog.Logger
}

// Defaults returns the embedded defaults: a node that runs with no config
// file. What another room defines (the ladder, the tools, the tracker's
// limits) is taken from it, not written again.
func Defaults() Config {
	return Config{
		Listen:              "127.0.0.1:9000",
		DataDir:             "./data",
		MaxUploadSize:       8 << 30,
		DiskReserve:         256 << 20,
		SegmentDuration:     segmenter.DefaultSegmentDuration,
		Rungs:               segmenter.DefaultRungs(),
		Workers:             1,
		KeepFailedOriginals: 7 * 24 * time.Hour,
		UploadSessionTTL:    origin.DefaultUploadSessionTTL,
		FFmpeg:              segmenter.DefaultFFmpeg,
		FFprobe:             segmenter.DefaultFFprobe,
		SeedPort:            seeder.DefaultListenPort,
		HeaderTimeout:       edge.DefaultHeaderTimeout,
		BodyTimeout:         edge.DefaultBodyTimeout,
		MaxConnsPerIP:       edge.DefaultMaxConnsPerIP,
	}
}

// withDefaults fills unset fields from Defaults.
func (c Config) withDefaults() Config {
	d := Defaults()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.MaxUploadSize <= 0 {
		c.MaxUploadSize = d.MaxUploadSize
	}
	if c.DiskReserve <= 0 {
		c.DiskReserve = d.DiskReserve
	}
	if c.SegmentDuration <= 0 {
		c.SegmentDuration = d.SegmentDuration
	}
	if len(c.Rungs) == 0 {
		c.Rungs = d.Rungs
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.UploadSessionTTL <= 0 {
		c.UploadSessionTTL = d.UploadSessionTTL
	}
	if c.FFmpeg == "" {
		c.FFmpeg = d.FFmpeg
	}
	if c.FFprobe == "" {
		c.FFprobe = d.FFprobe
	}
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = d.HeaderTimeout
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = d.BodyTimeout
	}
	if c.SeedAddr == "" {
		c.SeedAddr, _, _ = net.SplitHostPort(c.Listen)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
		if c.TLSCert != "" {
			c.PublicURL = "https://" + c.Listen
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen address %q: %w", c.Listen, err)
	}
	if c.SegmentDuration < time.Second || c.SegmentDuration > 30*time.Second {
		return fmt.Errorf("segment duration %v: want 1s to 30s", c.SegmentDuration)
	}
	if c.MaxConns < 0 || c.MaxConnsPerIP < 0 {
		return fmt.Errorf("connection limits %d and %d per address: want 0 or more", c.MaxConns, c.MaxConnsPerIP)
	}
	for _, u := range c.STUNServers {
		if err := checkICEServer(u); err != nil {
			return err
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS certificate and key go together (--tls-cert and --tls-key): set both to serve HTTPS, or neither to serve plain HTTP")
	}
	if (c.SMTPURL == "") != (c.AdminEmail == "") {
		return errors.New("SMTP URL and admin email go together (--smtp-url and --admin-email): set both to mail contact messages to the admin, or neither to only store them")
	}
	if c.DeliveryRetry < 0 || c.DeliveryRetry > activitypub.DefaultRetryCap {
		return fmt.Errorf("delivery retry %v: want 0 (the default, %v) up to %v", c.DeliveryRetry, activitypub.DefaultRetryBase, activitypub.DefaultRetryCap)
	}
	for _, h := range c.Rungs {
		if h < 144 || h > 4320 || h%2 != 0 {
			return fmt.Errorf("ladder rung %d: want an even height from 144 to 4320", h)
		}
	}
	return nil
}

// checkICEServer accepts a STUN or TURN server URL as browsers take it
// (RFC 7064, 7065): stun:, stuns:, turn: or turns:, a host, an optional
// port, and for TURN an optional ?transport=udp|tcp.
func checkICEServer(u string) error {
	bad := func(why string) error {
		return fmt.Errorf("STUN/TURN server %q: %s; want e.g. stun:stun.example.org:3478", u, why)
	}
	scheme, rest, ok := strings.Cut(u, ":")
	switch {
	case !ok:
		return bad("no scheme")
	case scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns":
		return bad("the scheme must be stun, stuns, turn or turns")
	case strings.HasPrefix(rest, "//"):
		return bad("these URLs take no //")
	}
	hostport, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		if !strings.HasPrefix(scheme, "turn") || (query != "transport=udp" && query != "transport=tcp") {
			return bad("only TURN URLs take a query, and only ?transport=udp or tcp")
		}
	}
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		host = hostport[1 : len(hostport)-1]
	}
	if host == "" || strings.ContainsAny(host, " /@[]") {
		return bad("no valid host")
	}
	// An IPv6 address must be in brackets (SplitHostPort took them off).
	if strings.Contains(host, ":") && (net.ParseIP(host) == nil || !strings.HasPrefix(hostport, "[")) {
		return bad("no valid host (an IPv6 address goes in brackets)")
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("the port must be 1 to 65535")
		}
	}
	return nil
}
