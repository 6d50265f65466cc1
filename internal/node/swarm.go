package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/publish"
	"github.com/peeredge/peeredge/swarm/seeder"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// nodeSwarm is the tracker (HTTP and WebSocket) and, unless seeding is
// off, the seeder of a serving node.
type nodeSwarm struct {
	tracker *tracker.Tracker
	socket  *tracker.SocketServer
	seeder  *seeder.Seeder // nil with NoSeed
	p2p     func() bool
	logger  *slog.Logger
}

// startSwarm builds the tracker, empty until the publisher announces the
// published torrents, and the seeder.
func (n *Node) startSwarm(ctx context.Context) (*nodeSwarm, error) {
	tcfg := n.cfg.Tracker
	tcfg.Logger = n.logger.With("component", "tracker")
	// The seeder announces every torrent of the node: a fresh secret tells
	// the tracker those announces are its own, not a scanner's.
	tcfg.InternalToken = rand.Text()
	sw := &nodeSwarm{tracker: tracker.New(tcfg, tracker.NewRegistry()), p2p: n.P2PEnabled, logger: tcfg.Logger}
	sw.tracker.SetP2P(n.P2PEnabled())
	sw.socket = tracker.NewSocketServer(sw.tracker, tracker.SocketConfig{Scrape: tcfg.Scrape, Logger: tcfg.Logger})
	if !n.cfg.NoSeed {
		s, err := seeder.New(ctx, seeder.Config{
			ListenAddr:         n.cfg.SeedAddr,
			ListenPort:         n.cfg.SeedPort,
			UploadRate:         n.cfg.UploadRate,
			DisableWebRTC:      n.cfg.NoWebRTC,
			TrackerHeader:      http.Header{tracker.InternalHeader: {tcfg.InternalToken}},
			TrackerHeaderHosts: []string{n.urls.Host()},
			Completion:         n.catalog.KV("pieces"),
			Logger:             n.logger,
		})
		if err != nil {
			sw.socket.Close()
			return nil, fmt.Errorf("seeder: %w", err)
		}
		sw.seeder = s
	}
	n.swarm = sw
	return sw, nil
}

// seederOrNil keeps a missing seeder a nil interface for the publisher.
func (sw *nodeSwarm) seederOrNil() publish.Seeder {
	if sw.seeder == nil {
		return nil
	}
	return sw.seeder
}

// mounts are the tracker's paths on the edge.
func (sw *nodeSwarm) mounts() []edge.Mount {
	return []edge.Mount{
		{Path: layout.TrackerHTTP, Handler: sw.tracker.ServeAnnounce},
		{Path: layout.TrackerScrape, Handler: sw.tracker.ServeScrape},
		{Path: layout.TrackerSocket, Handler: sw.socket.Serve},
	}
}

// run sweeps expired peers from both trackers until ctx is done.
func (sw *nodeSwarm) run(ctx context.Context) {
	var wg sync.WaitGroup
	for name, run := range map[string]func(context.Context) error{"tracker sweep": sw.tracker.Run, "socket tracker sweep": sw.socket.Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				sw.logger.Error(name, "err", err)
			}
		})
	}
	wg.Wait()
}

func (sw *nodeSwarm) stop() error {
	sw.socket.Close()
	if sw.seeder != nil {
		return sw.seeder.Close()
	}
	return nil
}

// SwarmStats is the admin's view of the tracker and the seeder.
func (sw *nodeSwarm) SwarmStats() api.SwarmReport {
	out := api.SwarmReport{P2PEnabled: sw.p2p(), HTTP: sw.tracker.Stats(), WebSocket: sw.socket.Stats()}
	if sw.seeder != nil {
		st := sw.seeder.Stats()
		out.Seeder = &st
		for _, a := range sw.seeder.Addrs() {
			out.SeederAddrs = append(out.SeederAddrs, a.Network()+"://"+a.String())
		}
	}
	return out
}
