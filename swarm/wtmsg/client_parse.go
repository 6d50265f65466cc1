package wtmsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The tracker's reading of a client message, step two: each field the scan
// picked out is judged on its own, so that a refusal names the field.

// Action is what a client message asks for.
type Action uint8

const (
	ActionAnnounce Action = iota + 1 // join/refresh a swarm, maybe with offers
	ActionAnswer                     // "announce" carrying an answer for one peer
	ActionScrape
)

// RawOffer is one WebRTC offer as the tracker relays it: SDP is the
// client's session description object, verbatim.
type RawOffer struct {
	ID  ID
	SDP json.RawMessage
}

// ClientMessage is one validated client message, as a tracker reads it.
// Its raw parts (offers' and the answer's SDP) point into the parsed
// message: they are valid only as long as it is.
type ClientMessage struct {
	Action     Action
	InfoHash   ID   // announce and answer
	InfoHashes []ID // scrape
	PeerID     ID
	NumWant    int  // 0 when absent or not a number
	Seeder     bool // left is 0
	Event      Event
	Offers     []RawOffer
	ToPeerID   ID              // answer
	OfferID    ID              // answer
	Answer     json.RawMessage // answer, relayed verbatim
}

// Why ParseClientMessage refuses a message; a refusal of a field wraps
// ErrNotBinaryString or says what the field must be.
var (
	ErrNotJSONObject   = errors.New("message is not a JSON object")
	ErrInvalidJSON     = errors.New("message is not valid JSON")
	ErrMissingAction   = errors.New("missing action")
	ErrUnknownAction   = errors.New("unknown action")
	ErrOffersMalformed = errors.New("offers must be an array of {offer_id, offer}")
	ErrOfferNotObject  = errors.New("offer must be an object")
	ErrAnswerNotObject = errors.New("answer must be an object")
	ErrScrapeNoHash    = errors.New("info_hash is required")
	ErrScrapeHashes    = errors.New("info_hash must be a string or an array of strings")
	ErrScrapeTooMany   = errors.New("too many info_hash values")
)

// ParseError is a refused client message, with what the tracker's failure
// reply needs (AppendFailure). Its text is the failure reason sent back.
type ParseError struct {
	Err error
	// Fatal: the message is not a valid JSON object; a tracker closes the
	// socket after the reply, since the client is not speaking the protocol.
	Fatal       bool
	Action      string // action to put in the failure reply: "announce" or "scrape"
	InfoHash    ID
	HasInfoHash bool
}

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// ParseClientMessage validates one text frame a client sent. maxScrape
// bounds the number of info hashes in one scrape. The error is a
// *ParseError, not an error interface, so that the tracker reads its
// fields without a type assertion on every refusal.
func ParseClientMessage(data []byte, maxScrape int) (ClientMessage, *ParseError) {
	var msg ClientMessage
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return msg, &ParseError{Err: ErrNotJSONObject, Fatal: true, Action: "announce"}
	}
	w, valid := scanWire(trimmed)
	if !valid {
		return msg, &ParseError{Err: ErrInvalidJSON, Fatal: true, Action: "announce"}
	}
	action, ok := decodeJSONString(w.Action)
	if !ok {
		return msg, &ParseError{Err: ErrMissingAction, Action: "announce"}
	}
	switch action {
	case "announce":
		return parseAnnounce(&w)
	case "scrape":
		return parseScrape(&w, maxScrape)
	default:
		return msg, &ParseError{Err: ErrUnknownAction, Action: "announce"}
	}
}

func parseAnnounce(w *clientWire) (ClientMessage, *ParseError) {
	msg := ClientMessage{Action: ActionAnnounce}
	haveInfoHash := false
	fail := func(err error) (ClientMessage, *ParseError) {
		return ClientMessage{}, &ParseError{Err: err, Action: "announce", InfoHash: msg.InfoHash, HasInfoHash: haveInfoHash}
	}
	var err error
	if msg.InfoHash, err = DecodeID(w.InfoHash); err != nil {
		return fail(fmt.Errorf("invalid info_hash: %w", err))
	}
	haveInfoHash = true
	if msg.PeerID, err = DecodeID(w.PeerID); err != nil {
		return fail(fmt.Errorf("invalid peer_id: %w", err))
	}
	if isPresent(w.Answer) {
		msg.Action = ActionAnswer
		if !isJSONObject(w.Answer) {
			return fail(ErrAnswerNotObject)
		}
		msg.Answer = w.Answer
		if msg.ToPeerID, err = DecodeID(w.ToPeerID); err != nil {
			return fail(fmt.Errorf("invalid to_peer_id: %w", err))
		}
		if msg.OfferID, err = DecodeID(w.OfferID); err != nil {
			return fail(fmt.Errorf("invalid offer_id: %w", err))
		}
		return msg, nil
	}
	msg.NumWant = decodeCount(w.NumWant)
	// The reference tracker treats a left that is not a number as infinite: a leecher.
	if left, ok := decodeNumber(w.Left); ok && left == 0 {
		msg.Seeder = true
	}
	if name, ok := decodeJSONString(w.Event); ok {
		msg.Event = eventNamed(name)
	}
	if w.offersMalformed {
		return fail(ErrOffersMalformed)
	}
	if len(w.Offers) > 0 {
		msg.Offers = make([]RawOffer, len(w.Offers))
		for i, o := range w.Offers {
			if msg.Offers[i].ID, err = DecodeID(o.OfferID); err != nil {
				return fail(fmt.Errorf("invalid offer_id: %w", err))
			}
			if !isJSONObject(o.Offer) {
				return fail(ErrOfferNotObject)
			}
			msg.Offers[i].SDP = o.Offer
		}
	}
	return msg, nil
}

func parseScrape(w *clientWire, maxScrape int) (ClientMessage, *ParseError) {
	msg := ClientMessage{Action: ActionScrape}
	fail := func(err error) (ClientMessage, *ParseError) {
		return ClientMessage{}, &ParseError{Err: err, Action: "scrape"}
	}
	if !isPresent(w.InfoHash) {
		// The reference tracker would list every swarm; we never reveal which torrents exist.
		return fail(ErrScrapeNoHash)
	}
	if w.InfoHash[0] != '[' {
		ih, err := DecodeID(w.InfoHash)
		if err != nil {
			return fail(fmt.Errorf("invalid info_hash: %w", err))
		}
		msg.InfoHashes = []ID{ih}
		return msg, nil
	}
	var raws []json.RawMessage
	if json.Unmarshal(w.InfoHash, &raws) != nil {
		return fail(ErrScrapeHashes)
	}
	if len(raws) == 0 {
		return fail(ErrScrapeNoHash)
	}
	if len(raws) > maxScrape {
		return fail(ErrScrapeTooMany)
	}
	msg.InfoHashes = make([]ID, len(raws))
	for i, raw := range raws {
		ih, err := DecodeID(raw)
		if err != nil {
			return fail(fmt.Errorf("invalid info_hash: %w", err))
		}
		msg.InfoHashes[i] = ih
	}
	return msg, nil
}

// isPresent reports whether a raw field was sent with a non-null value.
func isPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func isJSONObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// decodeJSONString decodes a raw JSON string value (already validated by the scan).
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
