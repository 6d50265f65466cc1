// Package edge is the node's HTTP front: a fasthttp server that serves
// playlists, segments, torrents and WebSeed GETs with full range semantics,
// and mounts the other rooms' handlers (the API, the tracker) on the same
// port. It knows URL and file names only through internal/layout, and no
// other room's code: what it mounts are plain request handlers.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	Logger          *slog.Logger
}

// Mount hands the requests for a path to another room's handler. A Path
// ending in "/" is a prefix; any other is matched exactly.
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
	s := &Server{
		cfg:    cfg,
		files:  NewFileServer(FileServerConfig{Root: cfg.MediaDir, Logger: cfg.Logger}),
		exact:  make(map[string]fasthttp.RequestHandler),
		logger: cfg.Logger,
		events: newEventLog(cfg.Logger.With("component", "edge"), defaultEventInterval),
	}
	for _, m := range cfg.Mounts {
		switch {
		case m.Handler == nil || !strings.HasPrefix(m.Path, "/"):
			return nil, fmt.Errorf("edge: mount %q: want an absolute path and a handler", m.Path)
		case strings.HasSuffix(m.Path, "/"):
			s.prefix = append(s.prefix, prefixMount{[]byte(m.Path), m.Handler})
		default:
			s.exact[m.Path] = m.Handler
		}
	}
	s.srv = &fasthttp.Server{
		Handler: CORS(s.route),
		Name:    "peeredge",
		// Uploads are read as a stream by the API, never buffered whole;
		// other bodies are small and this bounds what is buffered before the
		// handler runs.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           1 << 20,
		ReadTimeout:                  0, // uploads may take long; idle connections are bounded below
		IdleTimeout:                  2 * time.Minute,
		WriteTimeout:                 0, // large ranged bodies to slow viewers
		ReadBufferSize:               8 << 10,
		NoDefaultDate:                false,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true, // no request bytes in errors
		ErrorHandler:                 errorAnswer,
		Logger:                       fasthttpLog{s.events},
	}
	return s, nil
}

// Serve answers on ln until ctx is done, then stops accepting, lets
// in-flight requests finish (up to the shutdown timeout) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.events.flush()
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
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
