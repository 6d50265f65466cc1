package tracker

import (
	"crypto/subtle"
	"errors"
	"net/netip"
)

// InternalHeader carries Config.InternalToken on the node's own requests.
const InternalHeader = "X-Peeredge-Internal"

// Admission errors. Their texts are shown to clients as "failure reason".
var (
	ErrP2PDisabled    = errors.New("peer-to-peer is disabled on this node")
	ErrUnknownTorrent = errors.New("unknown torrent: this tracker only tracks the videos of its node")
	ErrRateLimited    = errors.New("too many requests from your address, slow down")
	ErrBlocked        = errors.New("your address is temporarily blocked for sweeping many torrents")
)

// Admit is the one gate for both protocols: P2P switch, block list, rate
// limit, alarm bookkeeping (distinct videos per address), known info hash. Unknown info hashes still cost a token and count towards the alarm:
// probing for hashes is exactly what a scanner does.
func (t *Tracker) Admit(addr netip.Addr, ih InfoHash) error {
	if err := t.admit(addr, ih); err != nil {
		return err
	}
	t.stats.announces.Add(1)
	return nil
}

// IsInternal reports whether token (an InternalHeader value) is the node's
// own token.
func (t *Tracker) IsInternal(token []byte) bool {
	want := t.cfg.InternalToken
	return want != "" && subtle.ConstantTimeCompare(token, []byte(want)) == 1
}

// AdmitInternal is Admit for the node's own requests (IsInternal): the P2P
// switch and known torrents apply, the rate limit and the alarm do not.
func (t *Tracker) AdmitInternal(ih InfoHash) error {
	switch {
	case !t.p2p.Load():
		return t.refuse(ErrP2PDisabled)
	case !t.reg.Known(ih):
		t.stats.unknown.Add(1)
		return t.refuse(ErrUnknownTorrent)
	}
	t.stats.announces.Add(1)
	return nil
}

func (t *Tracker) admit(addr netip.Addr, ih InfoHash) error {
	if !t.p2p.Load() {
		return t.refuse(ErrP2PDisabled)
	}
	key := accountKey(addr)
	now := t.now().UnixNano()
	if t.alarms.blocked(key, now) {
		t.stats.blocked.Add(1)
		return t.refuse(ErrBlocked)
	}
	if !t.limiter.allow(key, now) {
		t.stats.rateLimited.Add(1)
		return t.refuse(ErrRateLimited)
	}
	video, known := t.reg.lookup(ih)
	if n, crossed := t.alarms.record(key, video, ih, now); crossed {
		t.raiseAlarm(key, n, now)
		if t.cfg.AlarmBlock > 0 {
			t.stats.blocked.Add(1)
			return t.refuse(ErrBlocked)
		}
	}
	if !known {
		t.stats.unknown.Add(1)
		return t.refuse(ErrUnknownTorrent)
	}
	return nil
}

func (t *Tracker) refuse(err error) error {
	t.stats.refused.Add(1)
	return err
}

func (t *Tracker) raiseAlarm(key netip.Addr, distinct int, now int64) {
	t.stats.alarms.Add(1)
	block := t.cfg.AlarmBlock
	if block > 0 {
		t.alarms.block(key, now+int64(block))
	}
	t.log.Warn("tracker: one address announced for many distinct videos",
		"addr", key.String(), "distinct", distinct, "window", t.cfg.AlarmWindow,
		"blocked_for", block)
}

// accountKey is the address requests are accounted to: IPv4 as is, IPv6 by
// its /64, since a single host commonly owns (and can rotate through) a /64.
func accountKey(addr netip.Addr) netip.Addr {
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return addr
}
