package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peeredge/peeredge/swarm/tracker"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/node"
	"github.com/peeredge/peeredge/origin"
)

// options are the flags shared by every command that opens a node.
type options struct {
	cfg       node.Config
	logLevel  slog.Level
	logFormat string
}

// newFlagSet declares the node's flags with defaults from the environment
// (PEEREDGE_<NAME>) over the embedded defaults.
func newFlagSet(name string, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	d := node.Defaults()
	o.cfg = d
	fs.StringVar(&o.cfg.Listen, "listen", env("LISTEN", d.Listen), "address to listen on (host:port)")
	fs.StringVar(&o.cfg.DataDir, "data", env("DATA", d.DataDir), "data directory: catalogue, media, originals")
	fs.StringVar(&o.cfg.PublicURL, "public-url", env("PUBLIC_URL", ""), "URL viewers reach the node at (default http://LISTEN, https:// with --tls-cert)")
	fs.StringVar(&o.cfg.AdminToken, "admin-token", env("ADMIN_TOKEN", ""), "admin bearer token to store (default: create one on first start)")
	// The admin password comes from the environment only: a command
	// line is visible to every user of the machine. It is taken out of
	// the environment so that ffmpeg and other children do not inherit it.
	o.cfg.AdminPassword = os.Getenv("PEEREDGE_ADMIN_PASSWORD")
	os.Unsetenv("PEEREDGE_ADMIN_PASSWORD")
	fs.DurationVar(&o.cfg.TokenTTL.Access, "access-token-ttl", envDuration("ACCESS_TOKEN_TTL", api.DefaultAccessTTL), "how long an OAuth access token lives")
	fs.DurationVar(&o.cfg.TokenTTL.Refresh, "refresh-token-ttl", envDuration("REFRESH_TOKEN_TTL", api.DefaultRefreshTTL), "how long an OAuth refresh token lives (each use replaces it)")
	fs.Var(byteSize{&o.cfg.MaxUploadSize}, "max-upload-size", "largest accepted video file, e.g. 512MiB, 8GiB")
	o.cfg.MaxUploadSize = envSize("MAX_UPLOAD_SIZE", d.MaxUploadSize)
	fs.Var(byteSize{&o.cfg.DiskReserve}, "disk-reserve", "free disk space uploads and transcodes leave, e.g. 256MiB (at least 48MiB)")
	o.cfg.DiskReserve = envSize("DISK_RESERVE", d.DiskReserve)
	fs.DurationVar(&o.cfg.SegmentDuration, "segment-duration", envDuration("SEGMENT_DURATION", d.SegmentDuration), "HLS segment length")
	fs.Var(intList{&o.cfg.Rungs}, "rungs", "ladder heights below the source's own, e.g. 1080,720,480,360,240")
	o.cfg.Rungs = envInts("RUNGS", d.Rungs)
	fs.IntVar(&o.cfg.Workers, "workers", envInt("WORKERS", d.Workers), "transcoding jobs run at once")
	fs.DurationVar(&o.cfg.KeepFailedOriginals, "keep-failed-originals", envDuration("KEEP_FAILED_ORIGINALS", d.KeepFailedOriginals),
		"how long the original of a video that failed is kept (0: forever)")
	fs.DurationVar(&o.cfg.UploadSessionTTL, "upload-session-ttl", envDuration("UPLOAD_SESSION_TTL", d.UploadSessionTTL),
		"how long a resumable upload may sit idle before it and its bytes are removed")
	fs.StringVar(&o.cfg.FFmpeg, "ffmpeg", env("FFMPEG", d.FFmpeg), "ffmpeg binary")
	fs.StringVar(&o.cfg.FFprobe, "ffprobe", env("FFPROBE", d.FFprobe), "ffprobe binary")
	fs.Func("p2p", "on or off: set the saved P2P switch at start (default: keep it; a new node starts on)", func(v string) error {
		return setSwitch(&o.cfg.P2P, v)
	})
	if v := env("P2P", ""); v != "" {
		if err := setSwitch(&o.cfg.P2P, v); err != nil {
			warnEnv("P2P", v, err)
		}
	}
	t := &o.cfg.Tracker
	fs.IntVar(&t.MaxPeers, "tracker-max-peers", envInt("TRACKER_MAX_PEERS", tracker.DefaultMaxPeers), "most peers given per announce (the privacy cap)")
	fs.BoolVar(&t.Scrape, "tracker-scrape", envBool("TRACKER_SCRAPE", false), "answer BEP 48 scrapes (tells anyone how many watch a video)")
	fs.Float64Var(&t.Rate, "tracker-rate", envFloat("TRACKER_RATE", tracker.DefaultRate), "announces per second allowed per address")
	fs.IntVar(&t.Burst, "tracker-burst", envInt("TRACKER_BURST", tracker.DefaultBurst), "announce burst allowed per address")
	fs.IntVar(&t.AlarmDistinct, "tracker-alarm-distinct", envInt("TRACKER_ALARM_DISTINCT", tracker.DefaultAlarmDistinct), "alarm when one address announces for this many distinct videos …")
	fs.DurationVar(&t.AlarmWindow, "tracker-alarm-window", envDuration("TRACKER_ALARM_WINDOW", tracker.DefaultAlarmWindow), "… within this window")
	fs.DurationVar(&t.AlarmBlock, "tracker-alarm-block", envDuration("TRACKER_ALARM_BLOCK", 0), "also refuse an alarming address for this long (0: only warn)")
	fs.Func("trusted-proxies", "comma-separated addresses/prefixes whose X-Forwarded-For is believed", func(v string) error {
		return parsePrefixes(&t.TrustedProxies, v)
	})
	if v := env("TRUSTED_PROXIES", ""); v != "" {
		if err := parsePrefixes(&t.TrustedProxies, v); err != nil {
			warnEnv("TRUSTED_PROXIES", v, err)
		}
	}
	fs.DurationVar(&o.cfg.HeaderTimeout, "header-timeout", envDuration("HEADER_TIMEOUT", d.HeaderTimeout), "a request's headers must arrive within this, however slowly")
	fs.DurationVar(&o.cfg.BodyTimeout, "body-timeout", envDuration("BODY_TIMEOUT", d.BodyTimeout), "longest pause allowed in a request body (an upload may take longer in all)")
	fs.IntVar(&o.cfg.MaxConns, "max-conns", envInt("MAX_CONNS", d.MaxConns), "HTTP and WebSocket connections open at once (0: half the open-file limit)")
	fs.IntVar(&o.cfg.MaxConnsPerIP, "max-conns-per-ip", envInt("MAX_CONNS_PER_IP", d.MaxConnsPerIP), "connections open at once from one address or IPv6 /64 (0: no limit; trusted proxies exempt)")
	o.cfg.STUNServers = splitList(env("STUN_SERVERS", ""))
	fs.Var(&stringList{p: &o.cfg.STUNServers}, "stun-server", "STUN/TURN server players use behind NAT, e.g. stun:stun.example.org:3478 (repeat or comma-separate; default none)")
	fs.BoolVar(&o.cfg.NoSeed, "no-seed", envBool("NO_SEED", false), "do not seed over BitTorrent/WebRTC (WebSeeds still serve)")
	fs.BoolVar(&o.cfg.NoWebRTC, "no-webrtc", envBool("NO_WEBRTC", false), "seeder answers no browser (WebRTC) peers")
	fs.StringVar(&o.cfg.SeedAddr, "seed-addr", env("SEED_ADDR", d.SeedAddr), "seeder's TCP/uTP listen host (default: the host of --listen)")
	fs.IntVar(&o.cfg.SeedPort, "seed-port", envInt("SEED_PORT", d.SeedPort), "seeder's TCP/uTP port (0: any free one)")
	fs.Var(byteSize{&o.cfg.UploadRate}, "upload-rate", "seeder upload limit per second, e.g. 10MiB (default unlimited)")
	o.cfg.UploadRate = envSize("UPLOAD_RATE", 0)
	fs.StringVar(&o.cfg.SMTPURL, "smtp-url", env("SMTP_URL", ""),
		"SMTP server that mails contact messages to --admin-email: smtp://[user:password@]host[:587][?starttls=mandatory|opportunistic|none][&from=address] or smtps://…[:465] (a password is better in PEEREDGE_SMTP_URL than on the command line)")
	fs.StringVar(&o.cfg.AdminEmail, "admin-email", env("ADMIN_EMAIL", ""), "address contact messages are mailed to (with --smtp-url)")
	fs.StringVar(&o.cfg.TLSCert, "tls-cert", env("TLS_CERT", ""), "PEM certificate chain: serve HTTPS (with --tls-key; renewed files are picked up within a minute)")
	fs.StringVar(&o.cfg.TLSKey, "tls-key", env("TLS_KEY", ""), "PEM private key of --tls-cert")
	fs.BoolVar(&o.cfg.FederationAllowPrivate, "federation-allow-private", envBool("FEDERATION_ALLOW_PRIVATE", false),
		"let federation fetch from and deliver to loopback, private and link-local addresses (tests and private networks only: anyone who can make the node follow or fetch a URL can then make it reach internal services)")
	fs.BoolVar(&o.cfg.FollowersManualApproval, "followers-manual-approval", envBool("FOLLOWERS_MANUAL_APPROVAL", false),
		"keep instances that follow this node pending until the admin accepts them (default: accept)")
	fs.DurationVar(&o.cfg.DeliveryRetry, "delivery-retry", envDuration("DELIVERY_RETRY", activitypub.DefaultRetryBase),
		"first retry delay of a failed ActivityPub delivery, doubling per attempt up to 6h; deliveries are given up after 48h")
	fs.DurationVar(&o.cfg.ViewLifetime, "view-lifetime", envDuration("VIEW_LIFETIME", api.DefaultViewLifetime),
		"how long one client's view of a video keeps it from counting again (PeerTube's views.videos.view_expiration)")
	fs.IntVar(&o.cfg.TrendingDays, "trending-days", envInt("TRENDING_DAYS", origin.DefaultTrendingDays),
		"days of views the -trending sort counts (PeerTube's trending.videos.interval_days)")
	fs.TextVar(&o.logLevel, "log-level", levelOf(env("LOG_LEVEL", "info")), "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", env("LOG_FORMAT", "text"), "text or json")
	return fs
}

// parse parses args and builds the logger; it reports bad values clearly.
func (o *options) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return err
	}
	var h slog.Handler
	hopts := &slog.HandlerOptions{Level: o.logLevel}
	switch o.logFormat {
	case "text":
		h = slog.NewTextHandler(os.Stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, hopts)
	default:
		return fmt.Errorf("-log-format %q: want text or json", o.logFormat)
	}
	o.cfg.Logger = slog.New(h)
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("PEEREDGE_" + name); ok {
		return v
	}
	return def
}

// The env* helpers fall back to the default on a bad value and say so:
// failing later with a flag error would name the wrong source.
func envInt(name string, def int) int {
	v := env(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		warnEnv(name, v, err)
		return def
	}
	return n
}

func envDuration(name string, def time.Duration) time.Duration {
	v := env(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		warnEnv(name, v, err)
		return def
	}
	return d
}

func envSize(name string, def int64) int64 {
	v := env(name, "")
	if v == "" {
		return def
	}
	n, err := parseByteSize(v)
	if err != nil {
		warnEnv(name, v, err)
		return def
	}
	return n
}

func envInts(name string, def []int) []int {
	v := env(name, "")
	if v == "" {
		return def
	}
	var out []int
	if err := (intList{&out}).Set(v); err != nil {
		warnEnv(name, v, err)
		return def
	}
	return out
}

func warnEnv(name, v string, err error) {
	fmt.Fprintf(os.Stderr, "peeredge: ignoring PEEREDGE_%s=%q: %v\n", name, v, err)
}

func levelOf(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		warnEnv("LOG_LEVEL", s, err)
		return slog.LevelInfo
	}
	return l
}

// byteSize is a flag of bytes with optional binary or decimal suffix.
type byteSize struct{ p *int64 }

func (b byteSize) String() string {
	if b.p == nil {
		return ""
	}
	return strconv.FormatInt(*b.p, 10)
}

func (b byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

func parseByteSize(in string) (int64, error) {
	s := strings.TrimSpace(in)
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, e.g. 512MiB", in)
	}
	return n * mult, nil
}

// intList is a comma-separated list of integers.
type intList struct{ p *[]int }

func (l intList) String() string {
	if l.p == nil {
		return ""
	}
	parts := make([]string, len(*l.p))
	for i, n := range *l.p {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (l intList) Set(s string) error {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("list %q: %q is not an integer", s, f)
		}
		out = append(out, n)
	}
	*l.p = out
	return nil
}

// setSwitch parses on/off (or any strconv.ParseBool form) into *p.
func setSwitch(p **bool, v string) error {
	var b bool
	switch strings.ToLower(v) {
	case "on":
		b = true
	case "off":
		b = false
	default:
		var err error
		if b, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q: want on or off", v)
		}
	}
	*p = &b
	return nil
}

func envBool(name string, def bool) bool {
	v := env(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		warnEnv(name, v, err)
		return def
	}
	return b
}

func envFloat(name string, def float64) float64 {
	v := env(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		warnEnv(name, v, err)
		return def
	}
	return f
}

// parsePrefixes parses "10.0.0.1,192.168.0.0/16,::1" into prefixes.
func parsePrefixes(out *[]netip.Prefix, v string) error {
	var ps []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			ps = append(ps, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return fmt.Errorf("%q is neither an address nor a prefix", f)
		}
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	*out = ps
	return nil
}

// stringList is a repeatable flag of comma-separated values; the command
// line's values replace the environment's.
type stringList struct {
	p   *[]string
	set bool
}

func (l *stringList) String() string {
	if l == nil || l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *stringList) Set(v string) error {
	if !l.set {
		*l.p, l.set = nil, true
	}
	*l.p = append(*l.p, splitList(v)...)
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
