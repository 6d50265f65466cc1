package wtmsg

import (
	"bytes"
	"encoding/json"
)

// The tracker's reading of a client message, step one: one pass over the
// message that validates it and picks out the spans of the fields the
// tracker reads (scan.go's validator with hooks). Step two, judging each
// field, is in client_parse.go.

// clientWire holds the raw values of the fields we read from a client message,
// as spans of the message: each is judged on its own so that a wrong type in
// one field yields a precise reason.
type clientWire struct {
	Action, InfoHash, PeerID, NumWant, Left, Event json.RawMessage
	ToPeerID, OfferID, Answer                      json.RawMessage
	Offers                                         []wireOffer
	offersMalformed                                bool
}

type wireOffer struct {
	OfferID json.RawMessage
	Offer   json.RawMessage
}

// scanWire validates the message b (as json.Valid would, within
// maxDepth) and picks out the fields we read, in one pass; b starts with
// '{' after optional space. ok=false: b is not valid JSON. Later duplicates
// win, as with encoding/json.
func scanWire(b []byte) (w clientWire, ok bool) {
	end, ok := validObject(b, skipSpace(b, 0), 1, func(rawKey []byte, at, depth int) (int, bool) {
		var dst *json.RawMessage
		switch string(memberKey(rawKey)) {
		case "action":
			dst = &w.Action
		case "info_hash":
			dst = &w.InfoHash
		case "peer_id":
			dst = &w.PeerID
		case "numwant":
			dst = &w.NumWant
		case "left":
			dst = &w.Left
		case "event":
			dst = &w.Event
		case "to_peer_id":
			dst = &w.ToPeerID
		case "offer_id":
			dst = &w.OfferID
		case "answer":
			dst = &w.Answer
		case "offers":
			return scanOffers(b, at, depth, &w)
		}
		end, ok := validValue(b, at, depth)
		if ok && dst != nil {
			*dst = b[at:end]
		}
		return end, ok
	})
	return w, ok && skipSpace(b, end) == len(b)
}

// scanOffers validates the value of "offers" at b[at], which should be
// [{"offer_id":…,"offer":…}, …] or null (no offers), and records it in w.
func scanOffers(b []byte, at, depth int, w *clientWire) (int, bool) {
	w.Offers, w.offersMalformed = nil, false
	if at >= len(b) || b[at] != '[' {
		end, ok := validValue(b, at, depth)
		w.offersMalformed = ok && !bytes.Equal(b[at:end], []byte("null"))
		return end, ok
	}
	offers := make([]wireOffer, 0, 8) // one allocation for the usual 5 (WebTorrent) or so
	end, ok := validArray(b, at, depth+1, func(at, depth int) (int, bool) {
		if at >= len(b) || b[at] != '{' {
			w.offersMalformed = true
			return validValue(b, at, depth)
		}
		var o wireOffer
		end, ok := validObject(b, at, depth+1, func(rawKey []byte, at, depth int) (int, bool) {
			end, ok := validValue(b, at, depth)
			if ok {
				switch string(memberKey(rawKey)) {
				case "offer_id":
					o.OfferID = b[at:end]
				case "offer":
					o.Offer = b[at:end]
				}
			}
			return end, ok
		})
		offers = append(offers, o)
		return end, ok
	})
	w.Offers = offers
	return end, ok
}

// memberKey returns a key as validObject passes it (a valid string's
// body) with its escapes decoded; keys have none in practice, and then it
// costs nothing.
func memberKey(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return nil
	}
	return []byte(s)
}
