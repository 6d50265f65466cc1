package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/urls"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/seeder"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// adminTrackerPath shows the tracker's counters (alarms among them) to the
// admin.
const adminTrackerPath = "/api/v1/admin/tracker"

// startSwarm builds the tracker over every published torrent and, unless
// seeding is off, a seeder that seeds each published rung in place.
func (n *Node) startSwarm(ctx context.Context) error {
	reg := tracker.NewRegistry()
	tcfg := n.cfg.Tracker
	tcfg.Logger = n.logger.With("component", "tracker")
	// The seeder announces every torrent of the node: a fresh secret tells
	// the tracker those announces are its own, not a scanner's.
	tcfg.InternalToken = rand.Text()
	n.tracker = tracker.New(tcfg, reg)
	n.tracker.SetP2P(n.P2PEnabled())
	n.socket = tracker.NewSocketServer(n.tracker, tracker.SocketConfig{Scrape: tcfg.Scrape, Logger: tcfg.Logger})
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
			return fmt.Errorf("seeder: %w", err)
		}
		n.seeder = s
	}
	return n.eachRendition(ctx, func(v origin.Video, r origin.Rendition) error {
		return n.announceRendition(ctx, v, r)
	})
}

// announceRendition makes a published rendition known to the tracker and
// seeds it.
func (n *Node) announceRendition(ctx context.Context, v origin.Video, r origin.Rendition) error {
	var ih tracker.InfoHash
	if b, err := hex.DecodeString(r.InfoHash); err != nil || len(b) != len(ih) {
		return fmt.Errorf("video %d rung %d: bad info hash %q", v.ID, r.Height, r.InfoHash)
	} else {
		copy(ih[:], b)
	}
	n.tracker.Registry().Add(ih)
	if n.seeder == nil {
		return nil
	}
	torrent := filepath.Join(n.store.TorrentsDir(), r.TorrentName)
	if _, err := n.seeder.Seed(ctx, torrent, n.store.HLSDir(v.UUID)); err != nil {
		// A rung that cannot be seeded is still served over HTTP.
		n.logger.Error("seed", "video", v.ID, "rung", r.Height, "err", err)
	}
	return nil
}

func (n *Node) stopSwarm() error {
	n.socket.Close()
	if n.seeder != nil {
		return n.seeder.Close()
	}
	return nil
}

// swarmHandlers are the tracker's paths on the edge.
func (n *Node) swarmHandlers() map[string]fasthttp.RequestHandler {
	return map[string]fasthttp.RequestHandler{
		urls.TrackerHTTP:   n.tracker.ServeAnnounce,
		urls.TrackerScrape: n.tracker.ServeScrape,
		urls.TrackerSocket: n.socket.Serve,
		adminTrackerPath:   n.serveAdminTracker,
	}
}

func (n *Node) serveAdminTracker(ctx *fasthttp.RequestCtx) {
	if !n.authorized(ctx) {
		return
	}
	out := struct {
		P2PEnabled bool                `json:"p2pEnabled"`
		HTTP       tracker.Stats       `json:"http"`
		WebSocket  tracker.SocketStats `json:"webSocket"`
		Seeder     *seeder.Stats       `json:"seeder,omitempty"`
		SeederAddr []string            `json:"seederAddrs,omitempty"`
	}{P2PEnabled: n.P2PEnabled(), HTTP: n.tracker.Stats(), WebSocket: n.socket.Stats()}
	if n.seeder != nil {
		st := n.seeder.Stats()
		out.Seeder = &st
		for _, a := range n.seeder.Addrs() {
			out.SeederAddr = append(out.SeederAddr, a.Network()+"://"+a.String())
		}
	}
	writeJSON(ctx, out)
}
