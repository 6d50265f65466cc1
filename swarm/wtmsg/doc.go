// Package wtmsg is the WebTorrent tracker protocol (the WebSocket one that
// browsers speak) as messages in both directions, shared by the node's
// tracker (swarm/tracker) and its seeder (swarm/seeder) so that what one
// writes the other reads by construction. It holds no state of either:
// no sockets, swarms or offers, only the wire format.
//
// # Wire format
//
// The reference is the tracker PeerTube runs, @peertube/bittorrent-tracker-server
// 11.1.2, a fork of https://github.com/webtorrent/bittorrent-tracker
// (lib/server/parse-websocket.js reads clients, lib/client/websocket-tracker.js
// is the browser's side); the facts below were checked by running it and are
// kept with more detail in the project's notes (webtorrent-tracker.md). Where
// this package and the reference differ, the reference wins.
//
// One WebSocket per client, text frames, one JSON object per frame. A
// client sends (AppendAnnounce, AppendAnswer; ParseClientMessage reads them):
//
//	{"action":"announce","info_hash":ID,"peer_id":ID,"numwant":N,"uploaded":U,
//	 "downloaded":D,"left":L,"event":"started"|"completed"|"stopped" (or none),
//	 "offers":[{"offer_id":ID,"offer":{"type":"offer","sdp":…}}, …]}
//	{"action":"announce","info_hash":ID,"peer_id":ID,"to_peer_id":ID,"offer_id":ID,
//	 "answer":{"type":"answer","sdp":…}}
//	{"action":"scrape","info_hash":ID or [ID, …]}
//
// numwant is the number of offers: the reference tracker sends each offer
// to one peer and reads numwant as min(len(offers), 82). A left that is not
// a number counts as infinite (a leecher). An answer gets no reply.
//
// A tracker sends (AppendAnnounceReply, AppendOfferRelay, AppendAnswerRelay,
// AppendScrapeReply, AppendFailure; ParseTrackerMessage reads them):
//
//	{"action":"announce","interval":SECONDS,"info_hash":ID,"complete":C,"incomplete":I}
//	{"action":"announce","offer":{…},"offer_id":ID,"peer_id":SENDER,"info_hash":ID}
//	{"action":"announce","answer":{…},"offer_id":ID,"peer_id":ANSWERER,"info_hash":ID}
//	{"action":"scrape","files":{ID:{"complete":C,"incomplete":I,"downloaded":N}, …}}
//	{"action":"announce"|"scrape","failure reason":TEXT[,"info_hash":ID]}
//
// Offers and answers are relayed verbatim: the tracker never rewrites a
// session description. A failure always carries an action, because the JS
// client drops and reconnects its whole socket on a message without one.
//
// # Ids are binary strings
//
// Every id (info_hash, peer_id, to_peer_id, offer_id) is 20 raw bytes sent
// as a JSON string whose code points are the byte values: the JS client
// turns its ids into latin-1 ("binary") strings and JSON.stringify does the
// rest, so a byte ≥ 0x80 arrives as two UTF-8 bytes (or a \u00XX escape)
// and a control byte as an escape. It is not hex, nor base64, nor UTF-8 of the
// bytes; DecodeID accepts exactly 20 code points up to U+00FF, and AppendID
// writes what JSON.stringify would, give or take which bytes are escaped.
//
// # Why the tracker's parser is a hand scanner
//
// A tracker reads every announce of every viewer, each ~5 KiB of mostly
// SDP, and relays parts of it verbatim. ParseClientMessage validates the
// frame (accepting exactly what json.Valid accepts, up to 64 levels of
// nesting, which a fuzz target checks) and records the spans of the fields
// it needs in one pass over the bytes, skipping string bodies eight bytes
// at a time; it allocates only the offers' slices and short strings
// (action, event). encoding/json, even into raw fields, reads a WebTorrent
// announce about ten times slower with seven times the allocations
// (measured when the package was split off), and decoding the SDPs would
// copy what the tracker writes back as is. The appenders write into the
// caller's buffer for the same reason: a tracker reuses one per socket.
//
// # Why the client's parser may use encoding/json
//
// A client reads a few messages a minute (replies, the odd relayed offer),
// so ParseTrackerMessage decodes with encoding/json and only the ids go
// through DecodeID. Its SDPs are unescaped into Go strings, which is what
// a WebRTC stack wants. The client's encoder appends rather than
// marshalling structs: ids then need no JSON methods (ID is a plain array,
// as the tracker's InfoHash and PeerID are) and the id codec is one
// function each way.
package wtmsg
