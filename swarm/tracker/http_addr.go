package tracker

import (
	"bytes"
	"net/netip"
)

// ClientAddr is the address to account a request to: remote, or, when
// remote is a trusted proxy, the last X-Forwarded-For hop that is not a
// trusted proxy. An unparsable hop stops the walk: everything left of it
// could be forged, so the last trusted hop is used.
func (t *Tracker) ClientAddr(remote netip.Addr, xForwardedFor []byte) netip.Addr {
	remote = remote.Unmap()
	if len(xForwardedFor) == 0 || !t.trusted(remote) {
		return remote
	}
	addr := remote
	rest := xForwardedFor
	for len(rest) > 0 {
		var hop []byte
		if i := bytes.LastIndexByte(rest, ','); i >= 0 {
			hop, rest = rest[i+1:], rest[:i]
		} else {
			hop, rest = rest, nil
		}
		a, ok := parseHop(bytes.TrimSpace(hop))
		if !ok {
			return addr
		}
		addr = a
		if !t.trusted(a) {
			return a
		}
	}
	return addr
}

func (t *Tracker) trusted(a netip.Addr) bool {
	for _, p := range t.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads "1.2.3.4", "2001:db8::1", "1.2.3.4:5678" or "[2001:db8::1]:5678".
func parseHop(h []byte) (netip.Addr, bool) {
	if len(h) == 0 || len(h) > 64 {
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(string(h)); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(string(h)); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// AccountKey is what the requests of addr are counted against, by the
// tracker and by the node's other per-address limits: IPv4 as is, IPv6 by
// its /64.
func AccountKey(addr netip.Addr) netip.Addr { return accountKey(addr) }
