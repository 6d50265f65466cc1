// Package seeder runs a BitTorrent client inside the node that seeds every
// published rendition file in place: it reads the node's own files (no copy,
// no side files next to them), keeps piece completion in the node's KV, and
// talks TCP, uTP and, when enabled, WebRTC (WebTorrent browsers met through
// the node's ws:// tracker).
//
// It is seed-only and privacy-minded: no DHT, no PEX, no UPnP/NAT-PMP port
// mapping, no web seeds of its own (the node is the web seed). Peers find it
// only through the trackers named in each torrent.
//
// WebTorrent (WebRTC) is the seeder's own code (rtc*.go) rather than the
// anacrolix client's webtorrent package: in v1.61.0, the newest that builds
// here, that package crashes the process when a peer's data channel closes
// before it opens (its OnClose ends a tracing span set only in OnOpen), so
// any browser could take the node down. Data channels are handed to the
// client as accepted connections instead. The tracker messages it sends
// and reads are package wtmsg's, the codec the node's own WebSocket
// tracker uses, so the two cannot drift apart.
package seeder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/time/rate"
)

// DefaultListenPort is the usual BitTorrent port; the node's configuration
// uses it unless told otherwise (Config's zero value means a random port).
const DefaultListenPort = 51413

// uploadBurst bounds a single upload reservation when UploadRate is set.
// anacrolix rejects block requests larger than the burst, and 128 KiB is the
// largest block mainstream clients request (most ask for 16 KiB).
const uploadBurst = 128 << 10

// Config configures a Seeder.
type Config struct {
	// ListenAddr is the IP to listen on for TCP and uTP; "" means every
	// interface, IPv4 and IPv6. An IPv4 address turns IPv6 off and vice versa.
	ListenAddr string
	// ListenPort is the TCP and uTP port; 0 picks a free one.
	ListenPort int
	DisableTCP bool
	DisableUTP bool
	// DisableWebRTC turns off WebTorrent: no announces to ws:// trackers and
	// no answers to browsers' offers.
	DisableWebRTC bool
	// UploadRate caps upload in bytes/s across all peers; 0 = unlimited.
	UploadRate int64
	// ICEServers are STUN/TURN URLs for WebRTC; none by default, which is
	// enough on loopback and LANs.
	ICEServers []string
	// TrackerHeader is added to every announce, HTTP and WebSocket, sent
	// to a tracker whose URL host (host[:port] as in the URL) is in
	// TrackerHeaderHosts: the node's own tracker, which it tells that the
	// announces are its seeder's. Never sent to other trackers.
	TrackerHeader      http.Header
	TrackerHeaderHosts []string
	// Completion persists piece completion (required).
	Completion KV
	// StateDir is the client's private working directory; "" makes a
	// temporary one, removed by Close. Nothing is written next to media.
	StateDir string
	Logger   *slog.Logger
}

// Seeder seeds torrents whose data already sits on disk.
type Seeder struct {
	client     *torrent.Client
	storage    *inPlaceStorage
	completion *kvCompletion
	log        *slog.Logger
	tempDir    string // removed on Close; "" when StateDir was given

	mu       sync.Mutex
	torrents map[metainfo.Hash]*torrent.Torrent

	rtc           *rtcPeers // nil when WebRTC is off
	rtcStop       context.CancelFunc
	rtcMu         sync.Mutex
	rtcTrackers   map[string]*rtcTracker     // WebSocket trackers by URL
	trackerHeader func(*url.URL) http.Header // Config.TrackerHeader for the node's own trackers, else nil

	bytesVerified atomic.Int64
	closeOnce     sync.Once
	closeErr      error
}

// New starts the client and its listeners.
func New(ctx context.Context, cfg Config) (*Seeder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Completion == nil {
		return nil, errors.New("seeder: config has no completion KV")
	}
	if cfg.UploadRate < 0 {
		return nil, fmt.Errorf("seeder: negative upload rate %d", cfg.UploadRate)
	}
	if cfg.ListenPort < 0 || cfg.ListenPort > 65535 {
		return nil, fmt.Errorf("seeder: listen port %d out of range", cfg.ListenPort)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "seeder")

	s := &Seeder{log: logger, torrents: make(map[metainfo.Hash]*torrent.Torrent), trackerHeader: trackerHeader(cfg)}
	stateDir := cfg.StateDir
	if stateDir == "" {
		dir, err := os.MkdirTemp("", "peeredge-seeder-*")
		if err != nil {
			return nil, fmt.Errorf("seeder: state dir: %w", err)
		}
		stateDir, s.tempDir = dir, dir
	}
	s.completion = newKVCompletion(cfg.Completion)
	s.storage = newInPlaceStorage(s.completion)

	cc, err := clientConfig(cfg, stateDir, s.storage, s.trackerHeader, logger)
	if err == nil {
		s.client, err = torrent.NewClient(cc)
	}
	if err != nil {
		s.removeTempDir()
		return nil, fmt.Errorf("seeder: start client: %w", err)
	}
	if !cfg.DisableWebRTC {
		rtcCtx, stop := context.WithCancel(context.Background())
		s.rtc, s.rtcStop = newRTCPeers(rtcCtx, cfg.ICEServers, logger), stop
		s.rtcTrackers = make(map[string]*rtcTracker)
		s.client.AddListener(s.rtc.listener)
	}
	logger.Info("seeder listening", "addrs", s.Addrs(), "webrtc", !cfg.DisableWebRTC)
	return s, nil
}

// clientConfig turns cfg into the anacrolix configuration.
func clientConfig(cfg Config, stateDir string, st *inPlaceStorage, header func(*url.URL) http.Header, logger *slog.Logger) (*torrent.ClientConfig, error) {
	cc := torrent.NewDefaultClientConfig()
	cc.DataDir = stateDir
	cc.DefaultStorage = st
	cc.Seed = true
	cc.NoUpload = false
	cc.DisableTCP = cfg.DisableTCP
	cc.DisableUTP = cfg.DisableUTP
	cc.DisableWebtorrent = true // see the package doc: WebRTC is ours
	cc.DisableWebseeds = true   // the node is the web seed; the seeder never downloads
	cc.NoDHT = true
	cc.DisablePEX = true
	cc.NoDefaultPortForwarding = true
	cc.ListenPort = cfg.ListenPort
	cc.Slogger = logger
	cc.HttpRequestDirector = func(req *http.Request) error {
		for k, v := range header(req.URL) {
			req.Header[k] = v
		}
		return nil
	}
	if cfg.UploadRate > 0 {
		cc.UploadRateLimiter = rate.NewLimiter(rate.Limit(cfg.UploadRate), uploadBurst)
	}
	if cfg.ListenAddr != "" {
		ip, err := netip.ParseAddr(cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("seeder: listen address %q is not an IP: %w", cfg.ListenAddr, err)
		}
		host := ip.String()
		cc.ListenHost = func(string) string { return host }
		if ip.Unmap().Is4() {
			cc.DisableIPv6 = true
		} else {
			cc.DisableIPv4 = true
		}
	}
	return cc, nil
}

// trackerHeader returns the headers to send to the tracker at u:
// Config.TrackerHeader for the node's own hosts, nil for any other.
func trackerHeader(cfg Config) func(u *url.URL) http.Header {
	hosts := map[string]bool{}
	for _, h := range cfg.TrackerHeaderHosts {
		hosts[strings.ToLower(h)] = true
	}
	return func(u *url.URL) http.Header {
		if u == nil || !hosts[strings.ToLower(u.Host)] {
			return nil
		}
		return cfg.TrackerHeader
	}
}

// Addrs returns the addresses the client listens on (TCP and UDP for uTP).
func (s *Seeder) Addrs() []net.Addr {
	var addrs []net.Addr
	for _, a := range s.client.ListenAddrs() {
		if a.Network() != rtcNetwork {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// Stats is a snapshot of the seeder's activity.
type Stats struct {
	Torrents      int   `json:"torrents"`          // torrents being seeded
	BytesUploaded int64 `json:"bytesUploaded"`     // piece data sent to peers since New
	Peers         int   `json:"peers"`             // peers connected now
	BytesVerified int64 `json:"bytesVerified"`     // data hashed by Seed since New (0 when the KV vouched for every file)
	WebRTCConns   int64 `json:"webrtcConnections"` // WebRTC data channels opened with peers since New
}

// Stats reports what the client has done since New.
func (s *Seeder) Stats() Stats {
	cs := s.client.Stats()
	s.mu.Lock()
	n := len(s.torrents)
	s.mu.Unlock()
	return Stats{
		Torrents:      n,
		BytesUploaded: cs.BytesWrittenData.Int64(),
		Peers:         cs.ActivePeers,
		BytesVerified: s.bytesVerified.Load(),
		WebRTCConns:   s.rtcOpened(),
	}
}

// Close stops every torrent and the client, and removes a temporary state
// directory. The KV is left open (it belongs to the caller).
func (s *Seeder) Close() error {
	s.closeOnce.Do(func() {
		s.closeRTC() // first, so that trackers hear "stopped"
		errs := s.client.Close()
		s.mu.Lock()
		clear(s.torrents)
		s.mu.Unlock()
		errs = append(errs, s.completion.Close())
		if err := s.removeTempDir(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("seeder: close: %w", err)
		}
	})
	return s.closeErr
}

func (s *Seeder) removeTempDir() error {
	if s.tempDir == "" {
		return nil
	}
	return os.RemoveAll(s.tempDir)
}
