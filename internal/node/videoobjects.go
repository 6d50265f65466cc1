package node

import (
	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/origin"
)

// localVideoObjects makes the node's own videos' ActivityPub Video
// objects (the watch URL's answer to ActivityPub clients, the outbox,
// Create and Update activities).
func (n *Node) localVideoObjects() (*activitypub.LocalVideoObjects, error) {
	return activitypub.NewLocalVideos(activitypub.LocalVideosConfig{
		Catalog: n.catalog,
		URLs:    n.urls,
		Disk:    n.store.Disk(),
		P2P:     n.P2PEnabled,
		Magnet: func(r origin.Rendition, p2p bool) string {
			return api.MagnetURI(n.urls, r, p2p)
		},
	})
}
