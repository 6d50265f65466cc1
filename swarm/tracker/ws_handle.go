package tracker

import (
	"errors"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

var (
	errTooManySwarms   = errors.New("too many swarms on this connection")
	errNotInSwarm      = errors.New("announce to this info_hash before answering")
	errPeerIDMismatch  = errors.New("peer_id does not match this connection's announce")
	errPeerGone        = errors.New("to_peer_id is not in the swarm")
	errAnswerP2PClosed = errors.New("peer-to-peer is disabled")
)

// handle acts on one text message; false means the socket must close.
func (c *wsSocket) handle(data []byte) bool {
	req, perr := wtmsg.ParseClientMessage(data, c.srv.cfg.MaxSwarms)
	if perr != nil {
		if perr.Fatal {
			c.fatal(perr.Error(), 1007) // invalid frame payload data
			return false
		}
		c.srv.refused.Add(1)
		var ih *InfoHash
		if perr.HasInfoHash {
			ih = &perr.InfoHash
		}
		return c.enqueue(wtmsg.AppendFailure(nil, perr.Action, perr.Error(), ih))
	}
	switch req.Action {
	case wtmsg.ActionAnnounce:
		return c.announce(&req)
	case wtmsg.ActionAnswer:
		return c.answer(&req)
	default:
		return c.scrape(&req)
	}
}

func (c *wsSocket) admit(ih *InfoHash) error {
	if c.internal {
		return c.srv.admit.AdmitInternal(*ih)
	}
	return c.srv.admit.Admit(c.addr, *ih)
}

func (c *wsSocket) refuse(action string, err error, ih *InfoHash) bool {
	c.srv.refused.Add(1)
	return c.enqueue(wtmsg.AppendFailure(nil, action, err.Error(), ih))
}

func (c *wsSocket) announce(req *wtmsg.ClientMessage) bool {
	srv := c.srv
	ih := &req.InfoHash
	interval := int(srv.admit.SocketInterval().Seconds())
	prev, joined := c.joined[*ih]
	if req.Event == wtmsg.EventStopped && joined {
		// Leaving is always allowed and costs no rate-limit token.
		srv.announces.Add(1)
		counts := srv.swarms.leave(ih, &prev, c)
		delete(c.joined, *ih)
		c.scratch = wtmsg.AppendAnnounceReply(c.scratch[:0], ih, interval, counts)
		return c.enqueue(c.scratch)
	}
	if err := c.admit(ih); err != nil {
		return c.refuse("announce", err, ih)
	}
	srv.announces.Add(1)
	if req.Event == wtmsg.EventStopped {
		c.scratch = wtmsg.AppendAnnounceReply(c.scratch[:0], ih, interval, srv.swarms.counts(ih))
		return c.enqueue(c.scratch)
	}
	if joined && prev != req.PeerID {
		// The socket changed its peer id in this swarm: the old one is gone.
		srv.swarms.leave(ih, &prev, c)
		delete(c.joined, *ih)
		joined = false
	}
	// The node's own seeder is in every swarm of the node.
	if !joined && !c.internal && len(c.joined) >= srv.cfg.MaxSwarms {
		return c.refuse("announce", errTooManySwarms, ih)
	}
	want := min(len(req.Offers), srv.cfg.MaxOffers, srv.admit.PeerCap(req.NumWant))
	counts, targets, err := srv.swarms.join(ih, &req.PeerID, c, req.Seeder, srv.now().UnixNano(), want, c.targets[:0])
	if err != nil {
		return c.refuse("announce", err, ih)
	}
	if req.Event == wtmsg.EventCompleted {
		srv.admit.Completed(*ih)
	}
	c.joined[*ih] = req.PeerID
	// Relay first, then reply: once a client has its reply, its offers are
	// on their way and counted.
	c.sender = wtmsg.AppendRelaySender(c.sender[:0], &req.PeerID, ih)
	relayed := 0
	for i, target := range targets {
		c.scratch = wtmsg.AppendOfferRelay(c.scratch[:0], &req.Offers[i], c.sender)
		if target.enqueue(c.scratch) {
			relayed++
		}
	}
	srv.offersRelayed.Add(uint64(relayed))
	clear(targets) // do not keep other sockets reachable from this one
	c.targets = targets[:0]
	c.scratch = wtmsg.AppendAnnounceReply(c.scratch[:0], ih, interval, counts)
	return c.enqueue(c.scratch)
}

// answer relays a WebRTC answer to the peer that made the offer. Answers are
// not charged to the rate limiter: each one follows an admitted announce's offer.
func (c *wsSocket) answer(req *wtmsg.ClientMessage) bool {
	srv := c.srv
	ih := &req.InfoHash
	if !srv.admit.P2PEnabled() {
		return c.refuse("announce", errAnswerP2PClosed, ih)
	}
	me, ok := c.joined[*ih]
	if !ok {
		return c.refuse("announce", errNotInSwarm, ih)
	}
	if me != req.PeerID {
		return c.refuse("announce", errPeerIDMismatch, ih)
	}
	target := srv.swarms.socketOf(ih, &req.ToPeerID)
	if target == nil {
		return c.refuse("announce", errPeerGone, ih)
	}
	c.scratch = wtmsg.AppendAnswerRelay(c.scratch[:0], req.Answer, &req.OfferID, &req.PeerID, ih)
	if target.enqueue(c.scratch) {
		srv.answersRelayed.Add(1)
	}
	return true
}

// scrape answers counts for known torrents only (Admit refuses the others),
// the same numbers an announce reply gives.
func (c *wsSocket) scrape(req *wtmsg.ClientMessage) bool {
	srv := c.srv
	if !srv.cfg.Scrape {
		return c.refuse("scrape", errScrapeDisabled, nil)
	}
	counts := make([]wtmsg.Counts, len(req.InfoHashes))
	for i := range req.InfoHashes {
		ih := &req.InfoHashes[i]
		if err := c.admit(ih); err != nil {
			return c.refuse("scrape", err, ih)
		}
		counts[i] = srv.swarms.counts(ih)
		counts[i].Downloaded = srv.admit.Downloaded(*ih)
	}
	return c.enqueue(wtmsg.AppendScrapeReply(nil, req.InfoHashes, counts))
}
