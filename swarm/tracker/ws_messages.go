package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// wsAction is what a parsed client message asks for.
type wsAction uint8

const (
	wsActionAnnounce wsAction = iota + 1 // join/refresh a swarm, maybe with offers
	wsActionAnswer                       // "announce" carrying an answer for one peer
	wsActionScrape
)

// wsEvent is an announce event; anything not recognised counts as an update
// (anacrolix/torrent v1.61.0 sends "<regular>").
type wsEvent uint8

const (
	wsEventUpdate wsEvent = iota
	wsEventStarted
	wsEventCompleted
	wsEventStopped
)

// idLen is the length of every id on the wire: info_hash, peer_id, to_peer_id, offer_id.
const idLen = 20

// wsOffer is one WebRTC offer to relay; SDP is the client's JSON object, relayed verbatim.
type wsOffer struct {
	ID  [idLen]byte
	SDP json.RawMessage
}

// wsRequest is one validated client message.
type wsRequest struct {
	Action     wsAction
	InfoHash   InfoHash   // announce and answer
	InfoHashes []InfoHash // scrape
	PeerID     PeerID
	NumWant    int // 0 when absent or not a number
	Seeder     bool
	Event      wsEvent
	Offers     []wsOffer
	ToPeerID   PeerID          // answer
	OfferID    [idLen]byte     // answer
	Answer     json.RawMessage // answer, relayed verbatim
}

// wsParseError explains why a message was refused. Fatal errors (not JSON,
// binary, oversize) close the socket after the reply; the others keep it open.
type wsParseError struct {
	Reason      string
	Fatal       bool
	Action      string // action to put in the failure reply: "announce" or "scrape"
	InfoHash    InfoHash
	HasInfoHash bool
}

func (e *wsParseError) Error() string { return e.Reason }

// wsWire holds the raw values of the fields we read from a client message,
// as spans of the message: each is judged on its own so that a wrong type in
// one field yields a precise reason.
type wsWire struct {
	Action, InfoHash, PeerID, NumWant, Left, Event json.RawMessage
	ToPeerID, OfferID, Answer                      json.RawMessage
	Offers                                         []wsWireOffer
	offersMalformed                                bool
}

type wsWireOffer struct {
	OfferID json.RawMessage
	Offer   json.RawMessage
}

// scanWire validates the message b (as json.Valid would, within
// wsMaxDepth) and picks out the fields we read, in one pass; b starts with
// '{' after optional space. ok=false: b is not valid JSON. Later duplicates
// win, as with encoding/json.
func scanWire(b []byte) (w wsWire, ok bool) {
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
func scanOffers(b []byte, at, depth int, w *wsWire) (int, bool) {
	w.Offers, w.offersMalformed = nil, false
	if at >= len(b) || b[at] != '[' {
		end, ok := validValue(b, at, depth)
		w.offersMalformed = ok && !bytes.Equal(b[at:end], []byte("null"))
		return end, ok
	}
	offers := make([]wsWireOffer, 0, 8) // one allocation for the usual 5 (WebTorrent) or so
	end, ok := validArray(b, at, depth+1, func(at, depth int) (int, bool) {
		if at >= len(b) || b[at] != '{' {
			w.offersMalformed = true
			return validValue(b, at, depth)
		}
		var o wsWireOffer
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

var errNotBinaryString = errors.New("not a 20-character binary string")

// parseSocketMessage validates one text frame. maxScrape bounds the number of
// info hashes in one scrape.
func parseSocketMessage(data []byte, maxScrape int) (wsRequest, *wsParseError) {
	var req wsRequest
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return req, &wsParseError{Reason: "message is not a JSON object", Fatal: true, Action: "announce"}
	}
	w, valid := scanWire(trimmed)
	if !valid {
		return req, &wsParseError{Reason: "message is not valid JSON", Fatal: true, Action: "announce"}
	}
	action, ok := decodeJSONString(w.Action)
	if !ok {
		return req, &wsParseError{Reason: "missing action", Action: "announce"}
	}
	switch action {
	case "announce":
		return parseAnnounce(&w)
	case "scrape":
		return parseScrape(&w, maxScrape)
	default:
		return req, &wsParseError{Reason: "unknown action", Action: "announce"}
	}
}

func parseAnnounce(w *wsWire) (wsRequest, *wsParseError) {
	req := wsRequest{Action: wsActionAnnounce}
	haveInfoHash := false
	fail := func(reason string) (wsRequest, *wsParseError) {
		return wsRequest{}, &wsParseError{Reason: reason, Action: "announce", InfoHash: req.InfoHash, HasInfoHash: haveInfoHash}
	}
	var err error
	if req.InfoHash, err = DecodeID(w.InfoHash); err != nil {
		return fail("invalid info_hash: " + err.Error())
	}
	haveInfoHash = true
	if req.PeerID, err = DecodeID(w.PeerID); err != nil {
		return fail("invalid peer_id: " + err.Error())
	}
	if isPresent(w.Answer) {
		req.Action = wsActionAnswer
		if !isJSONObject(w.Answer) {
			return fail("answer must be an object")
		}
		req.Answer = w.Answer
		if req.ToPeerID, err = DecodeID(w.ToPeerID); err != nil {
			return fail("invalid to_peer_id: " + err.Error())
		}
		if req.OfferID, err = DecodeID(w.OfferID); err != nil {
			return fail("invalid offer_id: " + err.Error())
		}
		return req, nil
	}
	req.NumWant = decodeCount(w.NumWant)
	// The reference tracker treats a left that is not a number as infinite: a leecher.
	if left, ok := decodeNumber(w.Left); ok && left == 0 {
		req.Seeder = true
	}
	if ev, ok := decodeJSONString(w.Event); ok {
		switch ev {
		case "started":
			req.Event = wsEventStarted
		case "completed":
			req.Event = wsEventCompleted
		case "stopped":
			req.Event = wsEventStopped
		}
	}
	if w.offersMalformed {
		return fail("offers must be an array of {offer_id, offer}")
	}
	if len(w.Offers) > 0 {
		req.Offers = make([]wsOffer, len(w.Offers))
		for i, o := range w.Offers {
			if req.Offers[i].ID, err = DecodeID(o.OfferID); err != nil {
				return fail("invalid offer_id: " + err.Error())
			}
			if !isJSONObject(o.Offer) {
				return fail("offer must be an object")
			}
			req.Offers[i].SDP = o.Offer
		}
	}
	return req, nil
}

func parseScrape(w *wsWire, maxScrape int) (wsRequest, *wsParseError) {
	req := wsRequest{Action: wsActionScrape}
	fail := func(reason string) (wsRequest, *wsParseError) {
		return wsRequest{}, &wsParseError{Reason: reason, Action: "scrape"}
	}
	if !isPresent(w.InfoHash) {
		// The reference tracker would list every swarm; we never reveal which torrents exist.
		return fail("info_hash is required")
	}
	if w.InfoHash[0] != '[' {
		ih, err := DecodeID(w.InfoHash)
		if err != nil {
			return fail("invalid info_hash: " + err.Error())
		}
		req.InfoHashes = []InfoHash{ih}
		return req, nil
	}
	var raws []json.RawMessage
	if json.Unmarshal(w.InfoHash, &raws) != nil {
		return fail("info_hash must be a string or an array of strings")
	}
	if len(raws) == 0 {
		return fail("info_hash is required")
	}
	if len(raws) > maxScrape {
		return fail("too many info_hash values")
	}
	req.InfoHashes = make([]InfoHash, len(raws))
	for i, raw := range raws {
		ih, err := DecodeID(raw)
		if err != nil {
			return fail("invalid info_hash: " + err.Error())
		}
		req.InfoHashes[i] = ih
	}
	return req, nil
}

// isPresent reports whether a raw field was sent with a non-null value.
func isPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func isJSONObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// decodeJSONString decodes a raw JSON string value (already validated by encoding/json).
func decodeJSONString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// DecodeID turns a "binary string", as WebTorrent sends its ids (each code
// point one byte value), into 20 bytes. raw is one valid JSON value (as
// encoding/json hands to UnmarshalJSON); anything but such a string of 20
// code points up to U+00FF is an error.
func DecodeID(raw json.RawMessage) ([idLen]byte, error) {
	var id [idLen]byte
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return id, errNotBinaryString
	}
	body := raw[1 : len(raw)-1]
	n := 0
	for i := 0; i < len(body); {
		var r rune
		switch c := body[i]; {
		case c == '\\':
			var size int
			if r, size = decodeEscape(body[i:]); size == 0 {
				return id, errNotBinaryString
			}
			i += size
		case c < 0x80:
			r = rune(c)
			i++
		case (c == 0xC2 || c == 0xC3) && i+1 < len(body) && body[i+1]&0xC0 == 0x80:
			// U+0080..U+00FF, half of every random id: decoded inline.
			r = rune(c&0x1F)<<6 | rune(body[i+1]&0x3F)
			i += 2
		default:
			var size int
			r, size = utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				return id, errNotBinaryString
			}
			i += size
		}
		if r > 0xFF || n == idLen {
			return id, errNotBinaryString
		}
		id[n] = byte(r)
		n++
	}
	if n != idLen {
		return id, errNotBinaryString
	}
	return id, nil
}

// decodeEscape decodes the JSON escape at b[0] == '\\'; size 0 means invalid.
// A \u escape of a surrogate is returned as is: above 0xFF, so never a valid id byte.
func decodeEscape(b []byte) (rune, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		if len(b) < 6 {
			return 0, 0
		}
		var r rune
		for _, c := range b[2:6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, 0
			}
		}
		return r, 6
	}
	return 0, 0
}

// decodeNumber reads a raw JSON number; anything else is reported as absent.
func decodeNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

// decodeCount reads numwant: a non-negative integer, 0 when absent or unusable.
func decodeCount(raw json.RawMessage) int {
	f, ok := decodeNumber(raw)
	if !ok || f <= 0 || f != f {
		return 0
	}
	if f > 1<<20 {
		return 1 << 20
	}
	return int(f)
}

// AppendID writes 20 bytes as a JSON binary string, as WebTorrent expects
// its ids: bytes ≥ 0x80 become the code points U+0080..U+00FF (two UTF-8
// bytes), control and quote bytes are escaped.
func AppendID(dst []byte, id *[idLen]byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, b := range id {
		switch {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		case b < 0x80:
			dst = append(dst, b)
		default:
			dst = append(dst, 0xC0|b>>6, 0x80|b&0x3F)
		}
	}
	return append(dst, '"')
}

// appendOfferRelay encodes an offer as the chosen peer receives it.
func appendOfferRelay(dst []byte, offer *wsOffer, from *PeerID, ih *InfoHash) []byte {
	return appendOffer(dst, offer, appendRelaySender(nil, from, ih))
}

// appendRelaySender encodes the tail every relay of one announce shares,
// `,"peer_id":…,"info_hash":…}`, so that it is encoded once, not per offer.
func appendRelaySender(dst []byte, from *PeerID, ih *InfoHash) []byte {
	dst = append(dst, `,"peer_id":`...)
	dst = AppendID(dst, from)
	dst = append(dst, `,"info_hash":`...)
	dst = AppendID(dst, ih)
	return append(dst, '}')
}

const (
	offerRelayHead = `{"action":"announce","offer":`
	offerRelayID   = `,"offer_id":`
)

// appendOffer encodes an offer as the chosen peer receives it; sender comes
// from appendRelaySender.
func appendOffer(dst []byte, offer *wsOffer, sender []byte) []byte {
	dst = append(dst, offerRelayHead...)
	dst = append(dst, offer.SDP...)
	dst = append(dst, offerRelayID...)
	dst = AppendID(dst, &offer.ID)
	return append(dst, sender...)
}

// appendAnswerRelay encodes an answer as the offering peer receives it.
func appendAnswerRelay(dst []byte, answer json.RawMessage, offerID *[idLen]byte, from *PeerID, ih *InfoHash) []byte {
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

// appendAnnounceReply encodes the reply to an announce: only counts, never peers.
func appendAnnounceReply(dst []byte, ih *InfoHash, intervalSeconds int, c wsCounts) []byte {
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

// appendScrapeReply encodes counts for each requested info hash.
func appendScrapeReply(dst []byte, hashes []InfoHash, counts []wsCounts) []byte {
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

// appendFailure encodes a failure reply. The action is always set: the JS
// client drops and reconnects the whole socket on a message without one.
func appendFailure(dst []byte, action, reason string, ih *InfoHash) []byte {
	dst = append(dst, `{"action":`...)
	dst = strconv.AppendQuote(dst, action) // action is one of our ASCII literals
	dst = append(dst, `,"failure reason":`...)
	quoted, _ := json.Marshal(reason) // a string always marshals
	dst = append(dst, quoted...)
	if ih != nil {
		dst = append(dst, `,"info_hash":`...)
		dst = AppendID(dst, ih)
	}
	return append(dst, '}')
}
