// Package edge is the node's HTTP front: a fasthttp server that serves
// playlists, segments, torrents and WebSeed GETs with full range semantics,
// and mounts the other rooms' handlers (the API, the tracker) on the same
// port. It knows URL and file names only through internal/layout, and no
// other room's code: what it mounts are plain request handlers.
package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Config is what the edge needs from the node.
type Config struct {
	// MediaDir is the data directory's media directory (layout.Disk).
	MediaDir string
	// Mounts answer the paths the edge does not own: the API under
	// layout.APIPrefix, the tracker's paths.
	Mounts []Mount
	// P2PEnabled reports the admin switch; when it is off, torrents are
	// served in their WebSeed-only form. nil means always on.
	P2PEnabled func() bool
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration
	// HeaderTimeout bounds the wait for a request's headers, from the
	// connection's opening (or, between kept-alive requests, from the
	// request's first byte) to their end, however slowly they trickle in.
	// 0 means DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// BodyTimeout is the longest a request body may pause: each read waits
	// at most this long for data, so a long upload on a slow link goes on
	// as long as it moves. 0 means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxConns bounds the connections open at once (HTTP, and WebSockets
	// taken over by mounted handlers). When it is reached, the connection
	// that has waited longest for a request (a second at least) is closed
	// to make room; if there is none, the newcomer is answered 503 and
	// closed. 0 means the edge's share of the open-file limit: half of it
	// (see maxConnsFor).
	MaxConns int
	// MaxConnsPerIP bounds one address's connections (an IPv6 /64's);
	// beyond it they are answered 429 and closed. 0 means no bound.
	MaxConnsPerIP int
	// TrustedProxies are exempt from MaxConnsPerIP: their connections
	// carry many clients'.
	TrustedProxies []netip.Prefix
	// TLS, when set, makes the port speak HTTPS (CertFiles.TLSConfig);
	// otherwise plain HTTP, e.g. behind a proxy that terminates TLS.
	TLS    *tls.Config
	Logger *slog.Logger
}

// Defaults of the connection limits.
const (
	// DefaultHeaderTimeout leaves a slow mobile client ample time for a few
	// hundred bytes of headers and holds a silent connection only briefly.
	DefaultHeaderTimeout = 10 * time.Second
	// DefaultBodyTimeout is a minute without a byte of a body: a stalled
	// upload, not a slow one.
	DefaultBodyTimeout = 60 * time.Second
	// DefaultMaxConnsPerIP is the per-address bound a node starts with (the
	// node's configuration uses it; Config's zero value means none). A
	// browser watching a video holds a handful of connections (a few for
	// segments, one tracker WebSocket), so this lets dozens of viewers
	// share one NAT address while one host cannot take the edge's whole
	// share of descriptors.
	DefaultMaxConnsPerIP = 256
	// maxConnsCeiling bounds the derived limit where the open-file limit
	// is "unlimited".
	maxConnsCeiling = 1 << 20
)

// maxConnsFor is the edge's share of an open-file limit: half of it. Every
// edge connection is a descriptor, and the other half is for what the node
// opens besides: the file each response being sent reads (sendfile) and
// each upload in flight writes, the seeder's TCP/uTP peers and WebRTC
// sockets, badger's tables and value logs, ffmpeg's pipes, and the
// refusals being answered. The worst case of the edge, every connection
// sending a file, then fits in the limit by itself.
func maxConnsFor(nofile uint64) int {
	return int(min(max(nofile/2, 1), maxConnsCeiling))
}

// Mount hands the requests for a path to another room's handler. A Path
// ending in "/" is a prefix; any other, and "/" itself (a home page, which
// must not take every path the edge does not know), is matched exactly.
type Mount struct {
	Path    string
	Handler fasthttp.RequestHandler
}

type prefixMount struct {
	prefix  []byte
	handler fasthttp.RequestHandler
}

// Server is the node's HTTP server.
type Server struct {
	cfg    Config
	files  *FileServer
	exact  map[string]fasthttp.RequestHandler
	prefix []prefixMount
	srv    *fasthttp.Server
	logger *slog.Logger
	events *eventLog
	limits connLimits
	nofile uint64 // the open-file limit; 0 if unknown
}

// New builds the server; it listens when Serve is called.
func New(cfg Config) (*Server, error) {
	if cfg.MediaDir == "" {
		return nil, errors.New("edge: media directory not set")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MaxConns < 0 || cfg.MaxConnsPerIP < 0 {
		return nil, fmt.Errorf("edge: connection limits %d and %d per address: want 0 (default) or more", cfg.MaxConns, cfg.MaxConnsPerIP)
	}
	s := &Server{
		cfg:    cfg,
		exact:  make(map[string]fasthttp.RequestHandler),
		logger: cfg.Logger,
		events: newEventLog(cfg.Logger.With("component", "edge"), defaultEventInterval),
		limits: connLimits{maxConns: cfg.MaxConns, maxPerIP: cfg.MaxConnsPerIP, exempt: cfg.TrustedProxies},
	}
	nofile, err := openFileLimit()
	switch {
	case err == nil:
		s.nofile = nofile
	case s.limits.maxConns == 0:
		return nil, err
	}
	if s.limits.maxConns == 0 {
		s.limits.maxConns = maxConnsFor(nofile)
	}
	for _, m := range cfg.Mounts {
		switch {
		case m.Handler == nil || !strings.HasPrefix(m.Path, "/"):
			return nil, fmt.Errorf("edge: mount %q: want an absolute path and a handler", m.Path)
		case strings.HasSuffix(m.Path, "/") && m.Path != "/":
			s.prefix = append(s.prefix, prefixMount{[]byte(m.Path), m.Handler})
		default:
			s.exact[m.Path] = m.Handler
		}
	}
	s.files = NewFileServer(FileServerConfig{Root: cfg.MediaDir, Logger: cfg.Logger})
	cors := CORS(s.route)
	s.srv = &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			// The body is read by the handler: from here on it may take
			// as long as it likes, but not pause longer than BodyTimeout.
			if c, ok := edgeConn(ctx.Conn()); ok && hasBody(&ctx.Request.Header) {
				c.readIdle(cfg.BodyTimeout)
				defer c.readIdle(0)
			}
			cors(ctx)
		},
		// After the headers, the first bytes of a body (up to 8 KiB) are
		// read before the handler runs; they get BodyTimeout in all.
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if hasBody(h) {
				return fasthttp.RequestConfig{ReadTimeout: cfg.BodyTimeout}
			}
			return fasthttp.RequestConfig{}
		},
		Name: "peeredge",
		// Uploads are read as a stream by the API, never buffered whole;
		// other bodies are small and this bounds what is buffered before the
		// handler runs.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           1 << 20,
		// fasthttp arms ReadTimeout when a connection opens (and, on a
		// kept-alive one, at a request's first byte) and leaves it until
		// the headers are read: the header timeout. A body gets its own
		// (HeaderReceived, Handler).
		ReadTimeout:  cfg.HeaderTimeout,
		IdleTimeout:  2 * time.Minute,
		WriteTimeout: 0, // large ranged bodies to slow viewers
		// The listener bounds connections. fasthttp's own bound must not be
		// the lower one: it counts a connection until its goroutine is
		// done, which a connection closed to make room may not be yet.
		Concurrency:           2 * s.limits.maxConns,
		ReadBufferSize:        8 << 10,
		NoDefaultDate:         false,
		CloseOnShutdown:       true,
		SecureErrorLogMessage: true, // no request bytes in errors
		ErrorHandler:          errorAnswer,
		Logger:                fasthttpLog{s.events},
	}
	return s, nil
}

// Serve answers on ln until ctx is done, then stops accepting, lets
// in-flight requests finish (up to the shutdown timeout) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	gl := newListener(ln, s.limits, s.events)
	s.srv.ConnState = gl.connState
	defer s.events.flush()
	defer gl.wait()
	s.logger.Info("edge connection limits", "component", "edge",
		"max_conns", s.limits.maxConns, "open_file_limit", s.nofile,
		"max_conns_per_ip", s.limits.maxPerIP, "header_timeout", s.cfg.HeaderTimeout, "body_timeout", s.cfg.BodyTimeout)
	if s.nofile > 0 && uint64(s.limits.maxConns) > s.nofile-s.nofile/4 {
		s.logger.Warn("edge: the connection limit leaves the rest of the node few descriptors; accepts may fail with EMFILE (they are retried)",
			"component", "edge", "max_conns", s.limits.maxConns, "open_file_limit", s.nofile)
	}
	var served net.Listener = gl
	if s.cfg.TLS != nil {
		// The handshake happens on the connection's first read, under the
		// header timeout, not in Accept.
		served = tls.NewListener(gl, s.cfg.TLS)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(served) }()
	select {
	case err := <-errc:
		return fmt.Errorf("edge: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.srv.ShutdownWithContext(sctx)
	<-errc
	if cerr := s.files.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("edge: shutdown: %w", err)
	}
	return nil
}

// hasBody tells whether a request has a body to read: a length, or
// chunks.
func hasBody(h *fasthttp.RequestHeader) bool {
	n := h.ContentLength()
	return n > 0 || n == -1
}
