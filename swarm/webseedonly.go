package swarm

import "github.com/anacrolix/torrent/metainfo"

// WebSeedOnly returns a copy of mi without announce URLs: clients can still
// fetch from its WebSeeds (url-list), and the info hash is unchanged, but it
// leads no one to a tracker. The node serves this form while P2P is off.
func WebSeedOnly(mi *metainfo.MetaInfo) *metainfo.MetaInfo {
	out := *mi
	out.Announce = ""
	out.AnnounceList = nil
	out.Nodes = nil
	return &out
}
