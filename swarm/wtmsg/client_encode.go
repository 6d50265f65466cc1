package wtmsg

import "strconv"

// The client's side of writing: the two messages a client sends, an
// announce (maybe with offers) and an answer to a relayed offer. Scrapes
// are left out: the node's seeder never sends one.

// Announce joins or refreshes a swarm and offers a WebRTC connection to as
// many of its peers as it has offers.
type Announce struct {
	InfoHash, PeerID           ID
	Event                      Event
	Uploaded, Downloaded, Left int64 // Left 0 makes the client a seeder
	Offers                     []Offer
}

// Offer is one WebRTC offer of an announce.
type Offer struct {
	ID  ID     // offer_id, which the answer carries back
	SDP string // the offer's session description
}

// Answer answers an offer that a tracker relayed from ToPeerID.
type Answer struct {
	InfoHash, PeerID ID
	ToPeerID         ID // who made the offer
	OfferID          ID // the offer's offer_id
	SDP              string
}

// AppendAnnounce encodes an announce. numwant is the number of offers: the
// reference tracker sends each offer to one peer, so a client that wants n
// peers makes n offers, and asking for more than it offers gets nothing more.
func AppendAnnounce(dst []byte, a *Announce) []byte {
	dst = appendClientHead(dst, &a.InfoHash, &a.PeerID)
	dst = append(dst, `,"numwant":`...)
	dst = strconv.AppendInt(dst, int64(len(a.Offers)), 10)
	dst = append(dst, `,"uploaded":`...)
	dst = strconv.AppendInt(dst, a.Uploaded, 10)
	dst = append(dst, `,"downloaded":`...)
	dst = strconv.AppendInt(dst, a.Downloaded, 10)
	dst = append(dst, `,"left":`...)
	dst = strconv.AppendInt(dst, a.Left, 10)
	if a.Event != EventUpdate && int(a.Event) < len(eventNames) {
		dst = append(dst, `,"event":"`...)
		dst = append(dst, eventNames[a.Event]...)
		dst = append(dst, '"')
	}
	if len(a.Offers) > 0 {
		dst = append(dst, `,"offers":[`...)
		for i := range a.Offers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"offer_id":`...)
			dst = AppendID(dst, &a.Offers[i].ID)
			dst = append(dst, `,"offer":`...)
			dst = appendDescription(dst, "offer", a.Offers[i].SDP)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// AppendAnswer encodes an answer. A tracker does not reply to it; it
// relays it to ToPeerID (AppendAnswerRelay).
func AppendAnswer(dst []byte, a *Answer) []byte {
	dst = appendClientHead(dst, &a.InfoHash, &a.PeerID)
	dst = append(dst, `,"to_peer_id":`...)
	dst = AppendID(dst, &a.ToPeerID)
	dst = append(dst, `,"offer_id":`...)
	dst = AppendID(dst, &a.OfferID)
	dst = append(dst, `,"answer":`...)
	dst = appendDescription(dst, "answer", a.SDP)
	return append(dst, '}')
}

// appendClientHead opens both messages a client sends: each is an
// "announce" (an answer too, as the reference client sends it) that names
// the swarm and the sender.
func appendClientHead(dst []byte, ih, peer *ID) []byte {
	dst = append(dst, `{"action":"announce","info_hash":`...)
	dst = AppendID(dst, ih)
	dst = append(dst, `,"peer_id":`...)
	return AppendID(dst, peer)
}

// appendDescription encodes a session description object as browsers
// send it (RTCSessionDescription's JSON): {"type":…,"sdp":…}.
func appendDescription(dst []byte, kind, sdp string) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, kind...)
	dst = append(dst, `","sdp":`...)
	dst = appendString(dst, sdp)
	return append(dst, '}')
}
