package node

import "github.com/peeredge/peeredge/federation/api"

// serverInfo is what /api/v1/config says of the node: its build, the
// ladder it transcodes to and the trending window its lists use. The
// instance is named after its host, as in NodeInfo.
func (n *Node) serverInfo() api.ServerInfo {
	return api.ServerInfo{
		Version:      Version(),
		Commit:       Commit(),
		Resolutions:  append([]int(nil), n.cfg.Rungs...),
		TrendingDays: n.cfg.TrendingDays,
	}
}
