package tracker

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes the tracker. The zero value of every field means its default.
type Config struct {
	// MaxPeers caps the peers returned per request (numwant); default 20.
	// It is the privacy promise: nobody learns more viewers per announce.
	MaxPeers int
	// Interval and MinInterval are the HTTP announce intervals (defaults 10m
	// and 2m).
	Interval, MinInterval time.Duration
	// SocketInterval is the WebSocket announce interval (default Interval/5,
	// as PeerTube's tracker does).
	SocketInterval time.Duration
	// PeerTTL: peers not seen for this long expire (default Interval*2+1m).
	PeerTTL time.Duration
	// Rate and Burst shape the per-address token bucket: announces per
	// second and burst (defaults 1/s and 60; a player announces once per
	// rung every 2–10 minutes, so a normal client never meets them).
	Rate  float64
	Burst int
	// AlarmDistinct and AlarmWindow: alarm when one address announces for at
	// least AlarmDistinct distinct videos within AlarmWindow (defaults 30 in
	// 10m). The hashes of one video (Registry.AddVideo: a torrent and a
	// player swarm per rung) count once; any other hash counts on its own.
	AlarmDistinct int
	AlarmWindow   time.Duration
	// AlarmBlock: 0 only warns; > 0 also refuses the address (ErrBlocked)
	// for this long.
	AlarmBlock time.Duration
	// TrustedProxies: X-Forwarded-For is used only when the direct peer is
	// in one of these.
	TrustedProxies []netip.Prefix
	// InternalToken, when set, marks requests that carry it in the
	// InternalHeader header as the node's own (its seeder announcing
	// every torrent): they skip the rate limit and the alarm, which are
	// about strangers. The node makes a random one at each start.
	InternalToken string
	// Scrape enables BEP 48 scrape; off by default because it tells anyone
	// how many people watch a video.
	Scrape bool
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultMaxPeers      = 20
	DefaultInterval      = 10 * time.Minute
	DefaultMinInterval   = 2 * time.Minute
	DefaultRate          = 1.0
	DefaultBurst         = 60
	DefaultAlarmDistinct = 30
	DefaultAlarmWindow   = 10 * time.Minute
)

// Memory bounds of the per-address tables (rate limiter, alarm book).
const (
	maxLimitedAddrs = 1 << 16
	maxWatchedAddrs = 1 << 15
)

func (c Config) withDefaults() Config {
	if c.MaxPeers <= 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.MinInterval <= 0 {
		c.MinInterval = DefaultMinInterval
	}
	if c.MinInterval > c.Interval {
		c.MinInterval = c.Interval
	}
	if c.SocketInterval <= 0 {
		c.SocketInterval = c.Interval / 5
	}
	if c.PeerTTL <= 0 {
		c.PeerTTL = 2*c.Interval + time.Minute
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.AlarmDistinct <= 0 {
		c.AlarmDistinct = DefaultAlarmDistinct
	}
	if c.AlarmWindow <= 0 {
		c.AlarmWindow = DefaultAlarmWindow
	}
	if c.AlarmBlock < 0 {
		c.AlarmBlock = 0
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Tracker holds the peer store and the admission state of both protocols.
type Tracker struct {
	cfg     Config
	reg     *Registry
	log     *slog.Logger
	now     func() time.Time // injectable clock (tests)
	epoch   time.Time        // peer store times are seconds since epoch
	p2p     atomic.Bool
	peers   *peerStore
	limiter *rateLimiter
	alarms  *alarmBook
	stats   counters
	scratch sync.Pool // *announceScratch, sized for cfg.MaxPeers
}

type counters struct {
	announces, scrapes, refused, rateLimited, alarms, blocked, unknown atomic.Uint64
}

// Stats is a snapshot of the tracker's counters.
type Stats struct {
	Announces uint64 `json:"announces"`
	Scrapes   uint64 `json:"scrapes"`
	Refused   uint64 `json:"refused"`
	// Unknown counts refusals of info hashes the node does not track (a
	// scanner's probes, or a player whose swarm ids the node did not
	// foresee); they are also in Refused.
	Unknown     uint64 `json:"unknownTorrent"`
	RateLimited uint64 `json:"rateLimited"`
	Alarms      uint64 `json:"alarms"`
	Blocked     uint64 `json:"blocked"`
	Torrents    int    `json:"torrents"`
	Peers       int    `json:"peers"`
}

// New returns a tracker for the torrents in reg, with P2P enabled.
func New(cfg Config, reg *Registry) *Tracker {
	cfg = cfg.withDefaults()
	if reg == nil {
		reg = NewRegistry()
	}
	t := &Tracker{
		cfg:     cfg,
		reg:     reg,
		log:     cfg.Logger,
		now:     time.Now,
		peers:   newPeerStore(),
		limiter: newRateLimiter(cfg.Rate, cfg.Burst, maxLimitedAddrs),
		alarms:  newAlarmBook(cfg.AlarmDistinct, cfg.AlarmWindow, maxWatchedAddrs),
	}
	t.epoch = t.now().Add(-time.Second) // keep stored times > 0
	t.p2p.Store(true)
	t.scratch.New = func() any { return newAnnounceScratch(cfg.MaxPeers) }
	return t
}

// Registry returns the set of tracked info hashes.
func (t *Tracker) Registry() *Registry { return t.reg }

// SetP2P is the admin switch: when off, every announce is refused with
// ErrP2PDisabled.
func (t *Tracker) SetP2P(enabled bool) { t.p2p.Store(enabled) }

// P2PEnabled reports the admin switch.
func (t *Tracker) P2PEnabled() bool { return t.p2p.Load() }

// PeerCap is the number of peers to give a request that asked for numwant:
// numwant ≤ 0 (absent) means the default, MaxPeers; never more than MaxPeers.
func (t *Tracker) PeerCap(numwant int) int {
	if numwant <= 0 || numwant > t.cfg.MaxPeers {
		return t.cfg.MaxPeers
	}
	return numwant
}

// Config is the tracker's configuration with its defaults filled in: the
// limits it actually applies (the about page shows them).
func (t *Tracker) Config() Config { return t.cfg }

// SocketInterval is the WebSocket announce interval.
func (t *Tracker) SocketInterval() time.Duration { return t.cfg.SocketInterval }

// Completed counts a "completed" event of a known torrent (Admitter).
func (t *Tracker) Completed(ih InfoHash) { t.reg.completed(ih) }

// Downloaded is the completions ih has seen over both protocols (Admitter).
func (t *Tracker) Downloaded(ih InfoHash) uint64 { return t.reg.downloaded(ih) }

// Stats returns a snapshot of the counters.
func (t *Tracker) Stats() Stats {
	return Stats{
		Announces:   t.stats.announces.Load(),
		Scrapes:     t.stats.scrapes.Load(),
		Refused:     t.stats.refused.Load(),
		Unknown:     t.stats.unknown.Load(),
		RateLimited: t.stats.rateLimited.Load(),
		Alarms:      t.stats.alarms.Load(),
		Blocked:     t.stats.blocked.Load(),
		Torrents:    int(t.peers.swarmCount.Load()),
		Peers:       int(t.peers.peerCount.Load()),
	}
}

// Run sweeps expired peers, idle rate-limit buckets and old alarm windows
// until ctx is done.
func (t *Tracker) Run(ctx context.Context) error {
	every := min(t.cfg.PeerTTL/4, time.Minute)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			t.sweep()
		}
	}
}

// sweep is one pass of Run.
func (t *Tracker) sweep() {
	now := t.now()
	t.peers.sweep(t.storeTime(now.Add(-t.cfg.PeerTTL)), t.reg.Known)
	t.limiter.prune(now.UnixNano())
	t.alarms.prune(now.UnixNano())
}

// storeTime converts a wall time to the peer store's seconds since epoch.
func (t *Tracker) storeTime(at time.Time) uint32 {
	d := at.Sub(t.epoch)
	if d <= 0 {
		return 0
	}
	return uint32(d / time.Second)
}
