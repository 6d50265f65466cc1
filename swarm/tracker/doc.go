// Package tracker is the node's BitTorrent tracker: an HTTP announce/scrape
// endpoint (BEP 3, 7, 23, 48) and the admission gate shared with the
// WebTorrent (WebSocket) tracker in this package.
//
// It tracks only the torrents in its Registry (the node's own and mirrored
// videos) and is built around privacy limits: a viewer learns at most
// Config.MaxPeers other viewers per announce, scrape is off unless enabled,
// the "ip" parameter is ignored (a client cannot plant someone else's
// address), and addresses that sweep many videos raise an alarm and may be
// blocked. The alarm counts videos, not info hashes: a viewer's player joins
// one swarm per rung, so counting hashes would flag a viewer of a few videos. Every request is rate limited per client address (IPv6 per /64,
// since one host owns a whole /64).
//
// HTTP answers are always compact (BEP 23 "peers", BEP 7 "peers6"), even
// when a client sends compact=0, as most public trackers do; "no_peer_id"
// is therefore implied. Refusals are HTTP 200 with a bencoded
// "failure reason", which is what clients read.
//
// HTTP announce decisions: info_hash and peer_id must decode to exactly 20
// bytes; port must be 1–65535; uploaded, downloaded and left, when present,
// non-negative decimals; a repeated parameter is refused. event may be
// started, stopped, completed or empty ("update" and BEP 21 "paused" count
// as a regular announce); any other event is refused rather than guessed
// at. numwant absent or negative means MaxPeers, 0 means no peers, more
// than MaxPeers is cut to MaxPeers. A peer is identified by its peer_id
// bound to its address, so nobody can stop or move someone else's entry.
// Seeders (left=0) are not given other seeders.
//
// The peer store keeps fixed-size records (20 bytes per IPv4 peer) in
// per-torrent slices, sharded by info hash, and samples peers from a random
// start with a random stride coprime to the swarm size, writing compact
// entries straight into the reply buffer: an announce allocates nothing.
//
// The WebSocket tracker (SocketServer, ws*.go) keeps the sockets and swarms
// and decides; the messages themselves, its one-pass parser of what clients
// send and the appenders of what it sends, are package wtmsg's, which the
// node's seeder uses from the other side.
package tracker
