// Package layout is the one owner of the node's names: every URL it hands
// out or routes on, every file and directory it writes under its data
// directory, and the video ids (UUIDs and PeerTube's shortUUIDs) that appear
// in both. Builders and parsers of a name live side by side here, so that
// the segmenter that writes a file, the publisher that makes its torrent,
// the edge that serves it and the API that links to it cannot disagree.
//
// The names are PeerTube's, so PeerTube clients and instances find files
// where they expect them:
//
//	/static/streaming-playlists/hls/{uuid}/master.m3u8
//	/static/streaming-playlists/hls/{uuid}/{uuid}-{height}.m3u8
//	/static/streaming-playlists/hls/{uuid}/{uuid}-{height}-fragmented.mp4
//	/static/streaming-playlists/hls/{uuid}/segments-sha256.json
//	/static/webseed/{uuid}-{height}-fragmented.mp4     (BEP 19 WebSeed)
//	/lazy-static/torrents/{uuid}-{height}-hls.torrent
//
// and on disk, under the data directory:
//
//	catalog/                                   badger
//	media/streaming-playlists/hls/{uuid}/      what /static/streaming-playlists/hls/ serves
//	media/torrents/{uuid}-{height}-hls.torrent
//	media/torrents/webseed-only/…              the same torrents without trackers (P2P off)
//	originals/{uuid}                           uploaded sources
//	tmp/                                       uploads in flight, staging; emptied at start
//	tmp/{staging}/.pid-{pid}.pid               a tool working there (ended at start if left)
//	space-reserve                              free space held back for a full disk (origin.Space)
//
// A room owns the routes under the prefix it is mounted on (the API its
// endpoints below /api/, the tracker its three paths); the prefixes, and
// every address that leaves the node (in playlists, torrents, magnets, API
// answers, printed help), are defined here.
package layout
