package tracker

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// Admitter is what the WebSocket tracker needs from the node's tracker: the
// P2P switch, known torrents, blocks, rate limits and the client address.
// *Tracker implements it.
type Admitter interface {
	// Admit refuses an announce or scrape of ih from addr with a user-facing error.
	Admit(addr netip.Addr, ih InfoHash) error
	// IsInternal tells the node's own sockets by their InternalHeader
	// value; AdmitInternal admits their announces without the limits
	// meant for strangers.
	IsInternal(token []byte) bool
	AdmitInternal(ih InfoHash) error
	// ClientAddr picks the client's address given the peer's and X-Forwarded-For.
	ClientAddr(remote netip.Addr, xForwardedFor []byte) netip.Addr
	// PeerCap caps a numwant (0 = absent) to the tracker's peer limit.
	PeerCap(numwant int) int
	// SocketInterval is the announce interval told to WebSocket clients.
	SocketInterval() time.Duration
	// P2PEnabled gates answers, which are relayed without a rate-limit charge.
	P2PEnabled() bool
	// Completed counts a "completed" event of ih; Downloaded reads that
	// count, which both protocols share and which outlives the swarm.
	Completed(ih InfoHash)
	Downloaded(ih InfoHash) uint64
}

// SocketConfig bounds what one WebSocket client may cost. Zero fields take defaults.
type SocketConfig struct {
	MaxMessageBytes int           // larger frames close the socket; default 64 KiB
	MaxOffers       int           // offers considered per announce (the rest are ignored); default 82 like the reference tracker
	MaxSwarms       int           // swarms one socket may join (not the node's own), and info hashes per scrape; default 100
	MaxSockets      int           // sockets open at once; more are refused with 503 before the upgrade; default 20,000
	SendQueue       int           // messages waiting for a slow client before it is dropped; default 256
	WriteTimeout    time.Duration // one frame write; default 10 s
	PongTimeout     time.Duration // silence (no message, no pong) before the socket is dropped; default 60 s, pings at half
	// Scrape answers "scrape" messages; set it to Config.Scrape so that both
	// protocols keep the same privacy promise (off: nobody counts viewers).
	Scrape bool
	Logger *slog.Logger
}

func (c SocketConfig) withDefaults() SocketConfig {
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 64 << 10
	}
	if c.MaxOffers <= 0 {
		c.MaxOffers = 82
	}
	if c.MaxSwarms <= 0 {
		c.MaxSwarms = 100
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.MaxSockets <= 0 {
		// Each socket holds two goroutines and its buffers: this bounds the
		// memory a crowd (or an attacker) can pin on a small node.
		c.MaxSockets = 20_000
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// SocketStats are counters for monitoring and benchmarks.
type SocketStats struct {
	Sockets        int    `json:"sockets"`
	Swarms         int    `json:"swarms"`
	Peers          int    `json:"peers"`
	Announces      uint64 `json:"announces"` // announces handled (offers or not, stopped included)
	OffersRelayed  uint64 `json:"offersRelayed"`
	AnswersRelayed uint64 `json:"answersRelayed"`
	Refused        uint64 `json:"refused"`     // announces, answers and scrapes refused (admission, limits, bad fields)
	SlowDropped    uint64 `json:"slowDropped"` // sockets dropped because their send queue was full
}

// SocketServer is the WebTorrent tracker over WebSocket (the protocol of the
// JS bittorrent-tracker client in WebTorrent and p2p-media-loader, and of
// anacrolix/torrent): it relays WebRTC offers and answers between the peers
// of a swarm. Replies carry counts only; a peer learns another's peer id
// only from an offer or answer relayed to it, and never an address.
//
// Behaviour where the reference tracker leaves room:
//   - Every announce and scrape goes through Admitter.Admit (P2P switch,
//     known torrent, block, rate limit). Answers do not: each follows an
//     admitted offer; they need the P2P switch on and the answerer to be in
//     the swarm under the peer id it answers with. A "stopped" for a swarm
//     the socket is in is always honoured, without Admit.
//   - Offers: up to min(len(offers), MaxOffers, PeerCap(numwant)) are sent,
//     one per peer, to peers picked uniformly at random (never the sender).
//   - One socket may join up to MaxSwarms swarms, with one peer id in each;
//     another socket cannot take over a peer id that is live in a swarm.
//   - Refusals reply {"action":"announce"|"scrape","failure reason":…
//     [,"info_hash":…]} and keep the socket: unknown torrent, P2P off, rate
//     limit, bad or missing field, unknown action, an answer to a peer that
//     is gone (reported, not dropped silently, so the answerer stops
//     waiting). A failure always has an action: the JS client drops and
//     reconnects a socket on a message without one.
//   - Protocol abuse gets a failure reply and then a close frame: a binary
//     frame (1003), a message larger than MaxMessageBytes (1009), a message
//     that is not a JSON object (1007).
//   - Scrape answers only when SocketConfig.Scrape is set (the same switch
//     as HTTP scrape), only for admitted (known) info hashes, and only
//     counts: complete, incomplete, and downloaded ("completed" events seen,
//     over HTTP and WebSocket, since the torrent was registered). A scrape without info_hash is refused
//     rather than listing every torrent.
//   - A client that does not drain its messages (send queue full) or
//     answer pings within PongTimeout is disconnected; relays never wait.
type SocketServer struct {
	admit    Admitter
	cfg      SocketConfig
	swarms   *wsSwarms
	upgrader websocket.FastHTTPUpgrader

	now     func() time.Time // injectable clock (tests)
	mu      sync.Mutex
	sockets map[*wsSocket]struct{}
	closed  bool
	wg      sync.WaitGroup

	announces, offersRelayed, answersRelayed, refused, slowDropped atomic.Uint64
}

// NewSocketServer returns a server that admits clients through a.
func NewSocketServer(a Admitter, cfg SocketConfig) *SocketServer {
	s := &SocketServer{
		admit:   a,
		cfg:     cfg.withDefaults(),
		swarms:  newWSSwarms(),
		now:     time.Now,
		sockets: make(map[*wsSocket]struct{}),
	}
	s.upgrader = websocket.FastHTTPUpgrader{
		ReadBufferSize:  4 << 10,
		WriteBufferSize: 4 << 10,
		// Players embedded on other sites connect from their own origin.
		CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
	}
	return s
}

// Serve upgrades a GET to a WebSocket and runs the tracker protocol on it
// until the client leaves or Close is called.
func (s *SocketServer) Serve(ctx *fasthttp.RequestCtx) {
	s.mu.Lock()
	closed, full := s.closed, len(s.sockets) >= s.cfg.MaxSockets
	s.mu.Unlock()
	if closed {
		ctx.Error("tracker is shutting down", fasthttp.StatusServiceUnavailable)
		return
	}
	if full {
		// Browsers retry the tracker later; players keep streaming over HTTP.
		ctx.Error("tracker is full", fasthttp.StatusServiceUnavailable)
		ctx.Response.Header.Set("Retry-After", "60") // after Error, which resets headers
		s.refused.Add(1)
		return
	}
	// The request is recycled once the handler returns: read what we need now.
	remote := remoteAddr(ctx.RemoteAddr())
	addr := s.admit.ClientAddr(remote, ctx.Request.Header.Peek("X-Forwarded-For"))
	internal := s.admit.IsInternal(ctx.Request.Header.Peek(InternalHeader))
	err := s.upgrader.Upgrade(ctx, func(conn *websocket.Conn) {
		sock := newWSSocket(s, conn, addr)
		sock.internal = internal
		if !s.register(sock) {
			_ = conn.Close()
			return
		}
		defer s.wg.Done()
		sock.run()
		s.unregister(sock)
	})
	if err != nil {
		s.cfg.Logger.Debug("websocket upgrade refused", "err", err)
	}
}

func (s *SocketServer) register(sock *wsSocket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.sockets) >= s.cfg.MaxSockets {
		return false
	}
	s.sockets[sock] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *SocketServer) unregister(sock *wsSocket) {
	s.mu.Lock()
	delete(s.sockets, sock)
	s.mu.Unlock()
}

// Close drops every socket (their swarm memberships go with them), refuses
// new ones, and waits for the sockets' goroutines to finish.
func (s *SocketServer) Close() {
	s.mu.Lock()
	s.closed = true
	socks := make([]*wsSocket, 0, len(s.sockets))
	for sock := range s.sockets {
		socks = append(socks, sock)
	}
	s.mu.Unlock()
	for _, sock := range socks {
		sock.kill()
	}
	s.wg.Wait()
}

// PeerTTL is how long a peer stays in a swarm without announcing: two
// announce intervals and a minute, as the HTTP side keeps its peers.
func (s *SocketServer) PeerTTL() time.Duration { return 2*s.admit.SocketInterval() + time.Minute }

// Run expires peers that stopped announcing until ctx is done.
func (s *SocketServer) Run(ctx context.Context) error {
	tick := time.NewTicker(s.admit.SocketInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			s.expire()
		}
	}
}

func (s *SocketServer) expire() int {
	return s.swarms.expire(s.now().Add(-s.PeerTTL()).UnixNano())
}

// Stats returns current counters.
func (s *SocketServer) Stats() SocketStats {
	s.mu.Lock()
	sockets := len(s.sockets)
	s.mu.Unlock()
	swarms, peers := s.swarms.size()
	return SocketStats{
		Sockets:        sockets,
		Swarms:         swarms,
		Peers:          peers,
		Announces:      s.announces.Load(),
		OffersRelayed:  s.offersRelayed.Load(),
		AnswersRelayed: s.answersRelayed.Load(),
		Refused:        s.refused.Load(),
		SlowDropped:    s.slowDropped.Load(),
	}
}

func remoteAddr(a net.Addr) netip.Addr {
	if tcp, ok := a.(*net.TCPAddr); ok {
		if ap, ok := netip.AddrFromSlice(tcp.IP); ok {
			return ap.Unmap()
		}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
