package node

import (
	"context"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/web"
)

// webMounts builds the pages for people and mounts them on every path
// they answer (the about page shows the limits the tracker applies), and
// the NodeInfo documents that tell other instances what this node is.
func (n *Node) webMounts(sw *nodeSwarm) ([]edge.Mount, error) {
	tc := sw.tracker.Config()
	pages, err := web.New(web.Config{
		Videos: n.catalog,
		URLs:   n.urls,
		P2P:    n.P2PEnabled,
		Privacy: web.Privacy{
			MaxPeers:       tc.MaxPeers,
			Rate:           tc.Rate,
			Burst:          tc.Burst,
			AlarmDistinct:  tc.AlarmDistinct,
			AlarmWindow:    tc.AlarmWindow,
			AlarmBlock:     tc.AlarmBlock,
			SocketPeerTTL:  sw.socket.PeerTTL(),
			SocketInterval: tc.SocketInterval,
			PeerTTL:        tc.PeerTTL,
			Scrape:         tc.Scrape,
		},
		Remote:       n.catalog,
		VideoObjects: n.fed.local,
		Logger:       n.logger,
	})
	if err != nil {
		return nil, err
	}
	var mounts []edge.Mount
	for _, p := range web.Mounts() {
		mounts = append(mounts, edge.Mount{Path: p, Handler: pages.Handler})
	}
	ni := &activitypub.NodeInfo{
		Name:    "peeredge",
		Version: Version(),
		// localPosts counts what other instances can see of the node:
		// its published public videos, not those transcoding, failed,
		// unlisted or private.
		LocalVideos: func(ctx context.Context) (int, error) {
			shown := 0
			err := n.catalog.EachVideo(ctx, func(v origin.Video) error {
				if v.State == origin.StatePublished && v.Listed() {
					shown++
				}
				return nil
			})
			return shown, err
		},
		Users:  1,
		URLs:   n.urls,
		Logger: n.logger,
	}
	for _, p := range []string{layout.NodeInfoWellKnown, layout.NodeInfoPath} {
		mounts = append(mounts, edge.Mount{Path: p, Handler: ni.Handler})
	}
	return mounts, nil
}
