package wtmsg

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The client's side of reading: what a tracker sends. A client reads a few
// messages a minute, so encoding/json does the work here; only the ids need
// this package's codec.

// SessionDescription is a WebRTC offer or answer as WebTorrent carries it:
// the JSON of the browser's RTCSessionDescription.
type SessionDescription struct {
	Type string `json:"type"` // "offer" or "answer"
	SDP  string `json:"sdp"`
}

// Kind is what a tracker message is.
type Kind uint8

const (
	KindAnnounceReply Kind = iota + 1
	KindScrapeReply
	KindRelayedOffer  // an offer from peer PeerID, to answer through the tracker
	KindRelayedAnswer // an answer from peer PeerID to the offer OfferID
	KindFailure       // the tracker refused a message; the socket stays open
)

// TrackerMessage is one message from a tracker, as a client reads it.
type TrackerMessage struct {
	Kind   Kind
	Action string // "announce" or "scrape"
	// InfoHash is the swarm of every kind but scrape replies; a failure
	// that names none leaves it zero.
	InfoHash    ID
	Interval    float64            // announce reply: seconds until the next announce
	Counts      Counts             // announce reply: Complete and Incomplete
	Files       map[ID]Counts      // scrape reply
	PeerID      ID                 // relayed offer or answer: the peer it comes from
	OfferID     ID                 // relayed offer or answer
	Description SessionDescription // relayed offer or answer
	Failure     string             // failure: the reason
}

// Why ParseTrackerMessage refuses a message, besides JSON errors.
var (
	ErrUnknownMessage = errors.New("neither a reply, a relayed offer or answer, nor a failure")
	ErrMissingID      = errors.New("missing")
)

// trackerWire is the JSON of every tracker message. Ids stay raw for
// DecodeID. Counts are read as float64, so that a count written 1.0 or 1e3
// does not make the whole message, interval and all, unreadable; they are
// exact up to 2^53, far beyond any swarm.
type trackerWire struct {
	Action     string                `json:"action"`
	Failure    *string               `json:"failure reason"`
	Interval   *float64              `json:"interval"`
	InfoHash   json.RawMessage       `json:"info_hash"`
	PeerID     json.RawMessage       `json:"peer_id"`
	OfferID    json.RawMessage       `json:"offer_id"`
	Offer      *SessionDescription   `json:"offer"`
	Answer     *SessionDescription   `json:"answer"`
	Complete   float64               `json:"complete"`
	Incomplete float64               `json:"incomplete"`
	Files      map[string]wireCounts `json:"files"`
}

type wireCounts struct {
	Complete   float64 `json:"complete"`
	Incomplete float64 `json:"incomplete"`
	Downloaded float64 `json:"downloaded"`
}

func (c wireCounts) counts() Counts {
	return Counts{Complete: int(c.Complete), Incomplete: int(c.Incomplete), Downloaded: uint64(max(c.Downloaded, 0))}
}

// ParseTrackerMessage reads one text frame a tracker sent. A message that
// is more than one kind is read as the first of: failure, relayed offer,
// relayed answer, scrape reply, announce reply.
func ParseTrackerMessage(data []byte) (TrackerMessage, error) {
	var w trackerWire
	if err := json.Unmarshal(data, &w); err != nil {
		return TrackerMessage{}, fmt.Errorf("tracker message: %w", err)
	}
	m := TrackerMessage{Action: w.Action}
	var err error
	switch {
	case w.Failure != nil:
		m.Kind, m.Failure = KindFailure, *w.Failure
		err = decodeOptionalID(&m.InfoHash, "info_hash", w.InfoHash)
	case w.Offer != nil:
		m.Kind, m.Description = KindRelayedOffer, *w.Offer
		err = m.decodeRelayIDs(&w)
	case w.Answer != nil:
		m.Kind, m.Description = KindRelayedAnswer, *w.Answer
		err = m.decodeRelayIDs(&w)
	case w.Action == "scrape" && w.Files != nil:
		m.Kind, m.Files = KindScrapeReply, make(map[ID]Counts, len(w.Files))
		for key, c := range w.Files {
			ih, ok := idFromText(key)
			if !ok {
				return TrackerMessage{}, fmt.Errorf("scrape reply: files key %q: %w", key, ErrNotBinaryString)
			}
			m.Files[ih] = c.counts()
		}
	case w.Interval != nil:
		m.Kind, m.Interval = KindAnnounceReply, *w.Interval
		m.Counts = wireCounts{Complete: w.Complete, Incomplete: w.Incomplete}.counts()
		err = decodeOptionalID(&m.InfoHash, "info_hash", w.InfoHash)
	default:
		return TrackerMessage{}, ErrUnknownMessage
	}
	if err != nil {
		return TrackerMessage{}, err
	}
	return m, nil
}

// decodeRelayIDs decodes the ids every relayed offer or answer carries:
// without them it cannot be answered or matched to an offer.
func (m *TrackerMessage) decodeRelayIDs(w *trackerWire) error {
	return errors.Join(
		decodeRequiredID(&m.InfoHash, "info_hash", w.InfoHash),
		decodeRequiredID(&m.PeerID, "peer_id", w.PeerID),
		decodeRequiredID(&m.OfferID, "offer_id", w.OfferID))
}

// decodeRequiredID decodes the id field name, which must be present.
func decodeRequiredID(dst *ID, name string, raw json.RawMessage) error {
	if !isPresent(raw) {
		return fmt.Errorf("%s: %w", name, ErrMissingID)
	}
	id, err := DecodeID(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = id
	return nil
}

// decodeOptionalID decodes the id field name when it is present.
func decodeOptionalID(dst *ID, name string, raw json.RawMessage) error {
	if !isPresent(raw) {
		return nil
	}
	return decodeRequiredID(dst, name, raw)
}
