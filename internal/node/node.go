package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation"
	"github.com/peeredge/peeredge/internal/urls"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm/seeder"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// Node is one peeredge node: its catalogue, media store, job queue and the
// pipeline that turns an upload into a published video.
type Node struct {
	cfg       Config
	logger    *slog.Logger
	urls      urls.URLs
	catalog   *origin.Catalog
	store     *origin.Store
	queue     *origin.Queue
	intake    *origin.Intake
	segmenter segmenter.Config
	// p2p is the admin switch, persisted in the catalogue.
	p2p atomic.Bool
	// The swarm side exists while serving (not for "peeredge ingest").
	tracker *tracker.Tracker
	socket  *tracker.SocketServer
	seeder  *seeder.Seeder
	// NewAdminToken is the admin token created on this start, to be shown
	// once; empty when one already existed or was given.
	NewAdminToken string
}

// Open opens (or creates) the node's data directory. Only one process may
// have a data directory open at a time.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	u, err := urls.New(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	store, err := origin.NewStore(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open media store: %w", err)
	}
	catalog, err := origin.OpenCatalog(filepath.Join(cfg.DataDir, "catalog"), cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("open catalogue in %s (is another peeredge using it?): %w", cfg.DataDir, err)
	}
	n := &Node{
		cfg:     cfg,
		logger:  cfg.Logger,
		urls:    u,
		catalog: catalog,
		store:   store,
		queue:   origin.NewQueue(catalog, cfg.Logger),
		segmenter: segmenter.Config{
			FFmpeg:          cfg.FFmpeg,
			FFprobe:         cfg.FFprobe,
			SegmentDuration: cfg.SegmentDuration,
			Rungs:           cfg.Rungs,
			Logger:          cfg.Logger,
		},
	}
	n.queue.OnFailed = n.markFailed
	if removed, err := store.SweepOrphanOriginals(ctx, catalog); err != nil {
		n.logger.Warn("sweep orphan originals", "err", err)
	} else if len(removed) > 0 {
		n.logger.Info("removed originals no video owns", "uuids", removed)
	}
	n.NewAdminToken, err = catalog.EnsureAdminToken(ctx, cfg.AdminToken)
	if err != nil {
		catalog.Close()
		return nil, fmt.Errorf("admin token: %w", err)
	}
	if err := n.loadP2P(ctx, cfg.P2P); err != nil {
		catalog.Close()
		return nil, err
	}
	if err := n.ensureWebSeedOnly(ctx); err != nil {
		catalog.Close()
		return nil, fmt.Errorf("WebSeed-only torrents: %w", err)
	}
	n.intake = origin.NewIntake(origin.IntakeConfig{
		Catalog: catalog,
		Store:   store,
		Queue:   n.queue,
		MaxSize: cfg.MaxUploadSize,
		Probe:   n.probe,
		Logger:  cfg.Logger,
	})
	return n, nil
}

// Close closes the catalogue; call it after Serve or RunJobs returned.
func (n *Node) Close() error { return n.catalog.Close() }

// URLs is the node's public URL layout.
func (n *Node) URLs() urls.URLs { return n.urls }

// Catalog is the node's catalogue.
func (n *Node) Catalog() *origin.Catalog { return n.catalog }

// Intake takes new videos into the node.
func (n *Node) Intake() *origin.Intake { return n.intake }

// probe accepts only files in which ffprobe finds a video stream. Its
// errors reach the uploader, so they name "the upload", never a local path.
func (n *Node) probe(ctx context.Context, path string) (float64, error) {
	info, err := n.segmenter.Probe(ctx, path)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "file:"+path, "the upload")
		msg = strings.ReplaceAll(msg, path, "the upload")
		if errors.Is(err, segmenter.ErrNotVideo) {
			return 0, fmt.Errorf("%w%s", segmenter.ErrNotVideo, strings.TrimPrefix(msg, segmenter.ErrNotVideo.Error()))
		}
		return 0, errors.New(msg)
	}
	return info.Duration.Seconds(), nil
}

// Serve runs the HTTP server on ln and the transcoding workers until ctx is
// done, then shuts both down gracefully.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	if err := n.startSwarm(ctx); err != nil {
		return err
	}
	handlers := n.handlers()
	for path, h := range n.swarmHandlers() {
		handlers[path] = h
	}
	srv, err := edge.New(edge.Config{
		MediaDir:      n.store.MediaDir(),
		API:           federation.NewAPI(n.catalog, n.urls, n.P2PEnabled, n.logger),
		Intake:        n.intake,
		Authorize:     n.catalog.CheckToken,
		MaxUploadSize: n.cfg.MaxUploadSize,
		P2PEnabled:    n.P2PEnabled,
		Handlers:      handlers,
		Logger:        n.logger,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var jobsErr error
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := n.tracker.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.logger.Error("tracker sweep", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := n.socket.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.logger.Error("socket tracker sweep", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		jobsErr = n.RunJobs(ctx)
		if jobsErr != nil {
			cancel() // a node that cannot transcode should not look healthy
		}
	}()
	n.logger.Info("serving",
		"listen", ln.Addr().String(),
		"public", n.urls.Base(),
		"api", n.urls.Base()+"/api/v1/videos",
		"upload", n.urls.Base()+"/api/v1/videos/upload",
		"hls", n.urls.Base()+urls.HLSPrefix,
		"torrents", n.urls.Base()+urls.TorrentPrefix,
		"webseed", n.urls.Base()+urls.WebSeedPrefix,
		"tracker", n.urls.Trackers(),
		"p2p", n.P2PEnabled())
	serveErr := srv.Serve(ctx, ln)
	cancel()
	wg.Wait()
	swarmErr := n.stopSwarm()
	n.logger.Info("stopped")
	return errors.Join(serveErr, jobsErr, swarmErr)
}

// RunJobs runs the transcoding queue until ctx is done.
func (n *Node) RunJobs(ctx context.Context) error {
	err := n.queue.Run(ctx, n.cfg.Workers, n.transcode)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("job queue: %w", err)
	}
	return nil
}

// Video looks a video up by id, uuid or short uuid.
func (n *Node) Video(ctx context.Context, ref string) (origin.Video, error) {
	return n.catalog.Video(ctx, ref)
}
