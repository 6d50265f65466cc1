// Package p2pml computes what p2p-media-loader players announce for a
// video, so that the node's tracker can admit their swarms and nothing else.
//
// The player (npm p2p-media-loader-core and -hlsjs, the 2.3.x line the
// node's watch page pins) joins one swarm per stream of the master
// playlist. Its stream swarm id is
//
//	"v2-" + swarmId + "-main-" + base64(SHA-1(identity))
//
// where swarmId is what the page configures (the node sets the video's
// uuid) and identity describes the variant as hls.js parsed it:
//
//	BANDWIDTH-videoCodecs-width-height-language-channels-name-frameRate-videoRange
//
// (language, channels and name are empty for main streams; see Identity
// for the normalisation). The info hash on the wire is the 20 ASCII bytes
// base64(SHA-1(stream swarm id)[:15]).
//
// Decisions:
//   - The ids are computed from the master playlist the node wrote, not
//     from the segmenter's numbers, because the player derives them from
//     the playlist: what it parses is what must match.
//   - Only EXT-X-STREAM-INF variants become swarms. The node's playlists
//     mux audio into each rung (no EXT-X-MEDIA audio renditions), so the
//     library's "secondary" streams never occur; I-frame playlists are not
//     played through the P2P engine.
//   - PeerTube's own players up to 7.0 (its fork of the library's 0.6
//     line) announce SHA-1("2" + master playlist URL + "+V" + index)
//     instead (LegacyInfoHashes); the node admits those too, so PeerTube
//     viewers of its videos share through its tracker.
//   - The normalisation follows the library's generateStreamShortId and
//     hls.js's codec split exactly; a test runs the real library, when its
//     npm package is installed, against the same inputs.
package p2pml
