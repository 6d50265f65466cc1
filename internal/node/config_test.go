package node

import (
	"strings"
	"testing"
)

func TestCheckICEServer(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"stun:stun.example.org", "stun:stun.example.org:3478", "stuns:stun.example.org:5349",
		"turn:turn.example.org?transport=tcp", "turns:192.0.2.1:443", "stun:[2001:db8::1]:3478", "stun:[2001:db8::1]",
	} {
		if err := checkICEServer(u); err != nil {
			t.Errorf("%q refused: %v", u, err)
		}
	}
	for _, u := range []string{
		"", "stun", "stun:", "http://stun.example.org", "stun://stun.example.org", "stun:host:0", "stun:host:99999",
		"stun:host:x", "stun:host?transport=udp", "turn:host?transport=sctp", "stun:user@host", "stun:2001:db8::1",
		"stun:a b",
	} {
		err := checkICEServer(u)
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		if !strings.Contains(err.Error(), "STUN/TURN server") {
			t.Errorf("%q: unclear error %v", u, err)
		}
	}
}
