// Package edge is the node's HTTP front: a fasthttp server that serves
// playlists, segments, torrents and WebSeed GETs with full range semantics,
// takes uploads as a stream, and mounts the REST companion on the same port.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// Config is what the edge needs from the node.
type Config struct {
	// MediaDir holds streaming-playlists/hls/{uuid}/ and torrents/.
	MediaDir string
	// API serves /api/ requests other than the upload (read side).
	API http.Handler
	// Intake takes uploads; nil refuses them.
	Intake *origin.Intake
	// Authorize checks a bearer token for write endpoints.
	Authorize func(ctx context.Context, token string) bool
	// MaxUploadSize bounds the video file of one upload, in bytes.
	MaxUploadSize int64
	// Handlers answers exact paths the edge does not own (the tracker's
	// /tracker/announce, /tracker/scrape and /tracker/socket, admin calls).
	Handlers map[string]fasthttp.RequestHandler
	// P2PEnabled reports the admin switch; when it is off, torrents are
	// served in their WebSeed-only form. nil means always on.
	P2PEnabled func() bool
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is the node's HTTP server.
type Server struct {
	cfg        Config
	files      *FileServer
	apiHandler fasthttp.RequestHandler
	srv        *fasthttp.Server
	logger     *slog.Logger
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
		cfg:        cfg,
		files:      NewFileServer(FileServerConfig{Root: cfg.MediaDir, Logger: cfg.Logger}),
		apiHandler: mountAPI(cfg.API),
		logger:     cfg.Logger,
	}
	s.srv = &fasthttp.Server{
		Handler: CORS(s.route),
		Name:    "peeredge",
		// Uploads are read as a stream by the intake, never buffered whole;
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
		Logger:                       slogPrinter{cfg.Logger},
	}
	return s, nil
}

// Handler exposes the routing handler (with CORS), for tests and benchmarks.
func (s *Server) Handler() fasthttp.RequestHandler { return s.srv.Handler }

// Serve answers on ln until ctx is done, then stops accepting, lets
// in-flight requests finish (up to the shutdown timeout) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
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

// slogPrinter routes fasthttp's own log lines into slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, args ...any) {
	p.l.Warn(fmt.Sprintf(format, args...), "component", "fasthttp")
}
