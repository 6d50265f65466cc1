package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/mail"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/publish"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm"
)

// Node is one peeredge node: its catalogue, media store, job queue and the
// publisher that turns an upload into a published video.
type Node struct {
	cfg       Config
	logger    *slog.Logger
	urls      layout.URLs
	catalog   *origin.Catalog
	store     *origin.Store
	space     *origin.Space
	queue     *origin.Queue
	intake    *origin.Intake
	publisher *publish.Publisher
	// p2p is the admin switch, persisted in the catalogue.
	p2p atomic.Bool
	// swarm exists while serving (not for "peeredge ingest").
	swarm *nodeSwarm
	// mailer mails contact messages; nil without SMTP.
	mailer *mail.Mailer
	// federation: the delivery queue and the server blocklist.
	// fed is the ActivityPub side: actors, follows, deliveries, remote videos.
	fed *federation
	// NewAdminToken is the admin token created on this start, to be shown
	// once; empty when one already existed or was given.
	NewAdminToken string
	// NewAdminPassword is the admin user's password created on this
	// start, to be shown once; empty when the user existed or the
	// password was given.
	NewAdminPassword string
}

// Open opens (or creates) the node's data directory. Only one process may
// have a data directory open at a time.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	u, err := layout.New(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	disk, err := layout.NewDisk(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(disk.Root(), 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	space, err := origin.NewSpace(disk, cfg.DiskReserve, cfg.Logger)
	if err != nil {
		return nil, err
	}
	// The catalogue first: its lock keeps a second node off a data
	// directory in use, before the store empties tmp/ and ends the tools
	// a previous run left there.
	catalog, err := origin.OpenCatalog(disk.CatalogDir(), cfg.Logger, space)
	if errors.Is(err, origin.ErrNoSpace) {
		return nil, fmt.Errorf("the filesystem of %s is full; free some space and start again: %w", cfg.DataDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open catalogue in %s (is another peeredge using it?): %w", cfg.DataDir, err)
	}
	if err := space.Tend(); err != nil {
		cfg.Logger.Warn("disk space", "err", err)
	}
	store, err := origin.NewStore(disk.Root(), cfg.Logger)
	if err != nil {
		catalog.Close()
		return nil, fmt.Errorf("open media store: %w", err)
	}
	seg := segmenter.Config{
		FFmpeg:          cfg.FFmpeg,
		FFprobe:         cfg.FFprobe,
		SegmentDuration: cfg.SegmentDuration,
		Rungs:           cfg.Rungs,
		Logger:          cfg.Logger,
	}
	n := &Node{
		cfg:     cfg,
		logger:  cfg.Logger,
		urls:    u,
		catalog: catalog,
		store:   store,
		space:   space,
		queue:   origin.NewQueue(catalog, cfg.Logger),
		publisher: publish.New(publish.Config{
			Catalog:   catalog,
			Store:     store,
			Segmenter: seg,
			Torrents:  swarm.TorrentFiles{CreatedBy: "peeredge"},
			Space:     space,
			URLs:      u,
			Logger:    cfg.Logger,
		}),
	}
	n.queue.OnFailed = n.publisher.Failed
	if swept, err := store.Sweep(ctx, catalog); err != nil {
		n.logger.Warn("sweep leftovers of an earlier run", "err", err)
	} else if len(swept.Originals)+len(swept.Media) > 0 {
		n.logger.Info("removed leftovers of an earlier run", "originals", swept.Originals, "unpublished media", swept.Media)
	}
	n.NewAdminToken, err = catalog.EnsureAdminToken(ctx, cfg.AdminToken)
	if err != nil {
		catalog.Close()
		return nil, fmt.Errorf("admin token: %w", err)
	}
	n.NewAdminPassword, err = catalog.EnsureAdminUser(ctx, cfg.AdminPassword)
	if err != nil {
		catalog.Close()
		return nil, fmt.Errorf("admin user: %w", err)
	}
	if err := n.loadP2P(ctx, cfg.P2P); err != nil {
		catalog.Close()
		return nil, err
	}
	if err := n.publisher.EnsureWebSeedOnly(ctx); err != nil {
		catalog.Close()
		return nil, fmt.Errorf("WebSeed-only torrents: %w", err)
	}
	if cfg.SMTPURL != "" {
		n.mailer, err = mail.New(mail.Config{URL: cfg.SMTPURL, To: cfg.AdminEmail, Node: u.Host(), Marker: catalog, Logger: cfg.Logger})
		if err != nil {
			catalog.Close()
			return nil, err
		}
	}
	if err := n.openFederation(ctx); err != nil {
		catalog.Close()
		return nil, err
	}
	n.intake = origin.NewIntake(origin.IntakeConfig{
		Catalog: catalog,
		Store:   store,
		Queue:   n.queue,
		MaxSize: cfg.MaxUploadSize,
		Space:   space,
		Probe: func(ctx context.Context, path string) (float64, error) {
			info, err := seg.Probe(ctx, path)
			return info.Duration.Seconds(), err
		},
		Logger: cfg.Logger,
	})
	return n, nil
}

// Close closes the catalogue; call it after Serve or RunJobs returned.
func (n *Node) Close() error { return n.catalog.Close() }

// URLs is the node's public URL layout.
func (n *Node) URLs() layout.URLs { return n.urls }

// Catalog is the node's catalogue.
func (n *Node) Catalog() *origin.Catalog { return n.catalog }

// Intake takes new videos into the node.
func (n *Node) Intake() *origin.Intake { return n.intake }

// Serve runs the HTTP server on ln, the tracker and seeder, and the
// transcoding workers until ctx is done, then shuts them down gracefully.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	var tlsConfig *tls.Config
	if n.cfg.TLSCert != "" {
		cf, err := edge.LoadCertFiles(n.cfg.TLSCert, n.cfg.TLSKey)
		if err != nil {
			return err
		}
		tlsConfig = cf.TLSConfig()
	}
	sw, err := n.startSwarm(ctx)
	if err != nil {
		return err
	}
	publisher := n.publisher.WithSwarm(sw.tracker.Registry(), sw.seederOrNil())
	if err := publisher.Announce(ctx); err != nil {
		return errors.Join(fmt.Errorf("announce published videos: %w", err), sw.stop())
	}
	fed := n.fed.serve(n.logger)
	publisher = publisher.WithEvents(fed.federator)
	var contactMail api.ContactMail // a nil *mail.Mailer would not be a nil interface
	if n.mailer != nil {
		contactMail = n.mailer
	}
	views := n.viewCounter()
	a := api.New(api.Config{
		Videos:        n.catalog,
		Uploads:       n.intake,
		Resumable:     n.intake,
		Edits:         publisher,
		Removals:      publisher,
		Images:        n.imageFitter(),
		ImageEdits:    publisher,
		Tokens:        n.catalog,
		P2P:           n,
		Swarm:         sw,
		URLs:          n.urls,
		MaxUploadSize: n.cfg.MaxUploadSize,
		STUNServers:   n.cfg.STUNServers,
		Server:        n.serverInfo(),
		Contacts:      n.catalog,
		ContactMail:   contactMail,
		ContactLimit:  n.cfg.ContactLimit,
		Accounts:      n.catalog,
		Remote:        n.catalog,
		TokenTTL:      n.cfg.TokenTTL,
		LoginLimit:    n.cfg.LoginLimit,
		ClientAddrs:   sw.tracker,
		Blocklist:     n.fed.blocklist,
		Follows:       n.fed.follows,
		Federation:    n,
		FileMetadata:  n.rungMetadata(),
		Views:         views,
		ViewLifetime:  n.cfg.ViewLifetime,
		Logger:        n.logger,
	})
	pages, err := n.webMounts(sw)
	if err != nil {
		return errors.Join(err, sw.stop())
	}
	pages = append(fed.withVideoCollections(pages), fed.mounts()...)
	srv, err := edge.New(edge.Config{
		MediaDir:       n.store.Disk().MediaDir(),
		Mounts:         append(append(sw.mounts(), edge.Mount{Path: layout.APIPrefix, Handler: a.Handler}), pages...),
		P2PEnabled:     n.P2PEnabled,
		HeaderTimeout:  n.cfg.HeaderTimeout,
		BodyTimeout:    n.cfg.BodyTimeout,
		MaxConns:       n.cfg.MaxConns,
		MaxConnsPerIP:  n.cfg.MaxConnsPerIP,
		TrustedProxies: n.cfg.Tracker.TrustedProxies,
		TLS:            tlsConfig,
		Logger:         n.logger,
	})
	if err != nil {
		return errors.Join(err, sw.stop())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var jobsErr error
	if n.mailer != nil {
		wg.Go(func() { n.mailer.Run(ctx) })
	}
	wg.Go(func() { n.sweepUploads(ctx) })
	wg.Go(func() { n.fed.run(ctx, fed) })
	// Videos published before the node made images get theirs while it serves.
	wg.Go(func() { publisher.EnsureImages(ctx) })
	wg.Add(4)
	go func() {
		defer wg.Done()
		sw.run(ctx)
	}()
	go func() {
		defer wg.Done()
		n.space.Run(ctx, spaceTendEvery, n.catalog.PreallocateLogs)
	}()
	go func() {
		defer wg.Done()
		n.pruneFailedOriginals(ctx, publisher)
	}()
	go func() {
		defer wg.Done()
		jobsErr = n.runJobs(ctx, publisher)
		if jobsErr != nil {
			cancel() // a node that cannot transcode should not look healthy
		}
	}()
	n.logger.Info("serving",
		"listen", ln.Addr().String(),
		"public", n.urls.Base(),
		"api", n.urls.Base()+layout.VideosPath,
		"upload", n.urls.Upload(),
		"hls", n.urls.Base()+layout.HLSPrefix,
		"torrents", n.urls.Base()+layout.TorrentPrefix,
		"webseed", n.urls.Base()+layout.WebSeedPrefix,
		"tracker", n.urls.Trackers(),
		"pages", n.urls.Base()+layout.HomePath,
		"p2p", n.P2PEnabled())
	stopViews := n.runViews(views)
	serveErr := srv.Serve(ctx, ln)
	stopViews() // after the server: views taken while it stopped are kept
	cancel()
	wg.Wait()
	swarmErr := sw.stop()
	n.logger.Info("stopped")
	return errors.Join(serveErr, jobsErr, swarmErr)
}

// spaceTendEvery is how often the ballast is tended and the catalogue's
// new logs preallocated: badger rotates its memtable log after 2 MiB of
// writes, which takes the catalogue far longer than a second.
const spaceTendEvery = time.Second

// pruneFailedOriginalsEvery is how often the originals of failed videos
// are looked at; they are kept for days, so an hour is precise enough.
const pruneFailedOriginalsEvery = time.Hour

// pruneFailedOriginals removes the originals of videos that failed longer
// than KeepFailedOriginals ago, at start and then every hour, until ctx is
// done.
func (n *Node) pruneFailedOriginals(ctx context.Context, p *publish.Publisher) {
	if n.cfg.KeepFailedOriginals <= 0 {
		return
	}
	tick := time.NewTicker(pruneFailedOriginalsEvery)
	defer tick.Stop()
	for {
		if _, err := p.PruneFailedOriginals(ctx, time.Now().Add(-n.cfg.KeepFailedOriginals)); err != nil && ctx.Err() == nil {
			n.logger.Warn("remove originals of failed videos", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sweepUploads removes idle resumable uploads and their bytes, at start
// and then every quarter of their time to live (at most hourly), until ctx
// is done.
func (n *Node) sweepUploads(ctx context.Context) {
	tick := time.NewTicker(min(n.cfg.UploadSessionTTL/4, time.Hour))
	defer tick.Stop()
	for {
		if removed, err := n.intake.SweepUploads(ctx, n.cfg.UploadSessionTTL); err != nil && ctx.Err() == nil {
			n.logger.Warn("remove idle uploads", "err", err)
		} else if len(removed) > 0 {
			n.logger.Info("removed idle uploads", "uploads", removed)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RunJobs runs the transcoding queue until ctx is done, publishing for HTTP
// only (for a node that ingests without serving).
func (n *Node) RunJobs(ctx context.Context) error { return n.runJobs(ctx, n.publisher) }

func (n *Node) runJobs(ctx context.Context, p *publish.Publisher) error {
	err := n.queue.Run(ctx, n.cfg.Workers, p.Transcode)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("job queue: %w", err)
	}
	return nil
}

// Video looks a video up by id, uuid or short uuid.
func (n *Node) Video(ctx context.Context, ref string) (origin.Video, error) {
	return n.catalog.Video(ctx, ref)
}
