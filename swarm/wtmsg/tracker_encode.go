package wtmsg

import (
	"encoding/json"
	"strconv"
)

// The tracker's side of writing: every message a tracker sends, appended
// to a caller's buffer so that a busy tracker reuses one buffer per socket
// and allocates nothing per message.

// Counts are the only swarm facts a client ever learns from a tracker: no
// ids, no addresses. Downloaded ("completed" events) is sent in scrape
// replies only.
type Counts struct {
	Complete   int    `json:"complete"`
	Incomplete int    `json:"incomplete"`
	Downloaded uint64 `json:"downloaded"`
}

// AppendRelaySender encodes the tail every relayed offer of one announce
// shares, `,"peer_id":…,"info_hash":…}`, so that it is encoded once, not per
// offer; AppendOfferRelay takes it.
func AppendRelaySender(dst []byte, from, ih *ID) []byte {
	dst = append(dst, `,"peer_id":`...)
	dst = AppendID(dst, from)
	dst = append(dst, `,"info_hash":`...)
	dst = AppendID(dst, ih)
	return append(dst, '}')
}

// AppendOfferRelay encodes an offer as the chosen peer receives it; sender
// comes from AppendRelaySender.
func AppendOfferRelay(dst []byte, offer *RawOffer, sender []byte) []byte {
	dst = append(dst, `{"action":"announce","offer":`...)
	dst = append(dst, offer.SDP...)
	dst = append(dst, `,"offer_id":`...)
	dst = AppendID(dst, &offer.ID)
	return append(dst, sender...)
}

// AppendAnswerRelay encodes an answer (the answerer's session description
// object, verbatim) as the offering peer receives it.
func AppendAnswerRelay(dst []byte, answer json.RawMessage, offerID, from, ih *ID) []byte {
	dst = append(dst, `{"action":"announce","answer":`...)
	dst = append(dst, answer...)
	dst = append(dst, `,"offer_id":`...)
	dst = AppendID(dst, offerID)
	dst = append(dst, `,"peer_id":`...)
	dst = AppendID(dst, from)
	dst = append(dst, `,"info_hash":`...)
	dst = AppendID(dst, ih)
	return append(dst, '}')
}

// AppendAnnounceReply encodes the reply to an announce: only counts, never peers.
func AppendAnnounceReply(dst []byte, ih *ID, intervalSeconds int, c Counts) []byte {
	dst = append(dst, `{"action":"announce","interval":`...)
	dst = strconv.AppendInt(dst, int64(intervalSeconds), 10)
	dst = append(dst, `,"info_hash":`...)
	dst = AppendID(dst, ih)
	dst = append(dst, `,"complete":`...)
	dst = strconv.AppendInt(dst, int64(c.Complete), 10)
	dst = append(dst, `,"incomplete":`...)
	dst = strconv.AppendInt(dst, int64(c.Incomplete), 10)
	return append(dst, '}')
}

// AppendScrapeReply encodes counts[i] for each hashes[i].
func AppendScrapeReply(dst []byte, hashes []ID, counts []Counts) []byte {
	dst = append(dst, `{"action":"scrape","files":{`...)
	for i := range hashes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendID(dst, &hashes[i])
		dst = append(dst, `:{"complete":`...)
		dst = strconv.AppendInt(dst, int64(counts[i].Complete), 10)
		dst = append(dst, `,"incomplete":`...)
		dst = strconv.AppendInt(dst, int64(counts[i].Incomplete), 10)
		dst = append(dst, `,"downloaded":`...)
		dst = strconv.AppendUint(dst, counts[i].Downloaded, 10)
		dst = append(dst, '}')
	}
	return append(dst, "}}"...)
}

// AppendFailure encodes a failure reply; ih may be nil. The action is
// always set: the JS client drops and reconnects the whole socket on a
// message without one.
func AppendFailure(dst []byte, action, reason string, ih *ID) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendString(dst, action)
	dst = append(dst, `,"failure reason":`...)
	dst = appendString(dst, reason)
	if ih != nil {
		dst = append(dst, `,"info_hash":`...)
		dst = AppendID(dst, ih)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json, which does the quoting: nothing that calls this is on
// a hot path.
func appendString(dst []byte, s string) []byte {
	quoted, _ := json.Marshal(s) // a string always marshals
	return append(dst, quoted...)
}
