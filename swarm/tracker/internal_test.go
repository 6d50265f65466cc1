package tracker

import (
	"net/http"
	"testing"
	"time"
)

// internalTestConfig limits strangers hard: one announce, then rate
// limited; three distinct torrents raise the alarm and block.
func internalTestConfig() Config {
	return Config{Rate: 1e-9, Burst: 1, AlarmDistinct: 3, AlarmBlock: time.Minute, InternalToken: "node-secret"}
}

// TestInternalAnnouncesSkipLimits: the node's own seeder announces every
// torrent it seeds, over both protocols; with the node's token it is not
// rate limited, taken for a scanner or held to the swarms-per-socket
// bound, while the same pattern without it (or with a wrong token) is.
func TestInternalAnnouncesSkipLimits(t *testing.T) {
	hashes := []InfoHash{trkHash(1), trkHash(2), trkHash(3), trkHash(4), trkHash(5)}

	t.Run("http", func(t *testing.T) {
		tt := startHTTPTracker(t, internalTestConfig(), hashes...)
		seeder := newHTTPClient(t, "127.0.0.2", 1)
		for _, ih := range hashes {
			r := seeder.get(t, tt.base+"/tracker/announce?"+seeder.announceQuery(ih, 0, "event=started"),
				http.Header{InternalHeader: {"node-secret"}})
			if r.Failure != "" {
				t.Fatalf("internal announce refused: %q", r.Failure)
			}
		}
		if st := tt.Stats(); st.RateLimited != 0 || st.Alarms != 0 || st.Blocked != 0 {
			t.Fatalf("internal announces were limited: %+v", st)
		}
		impostor := newHTTPClient(t, "127.0.0.3", 2)
		var failures []string
		for _, ih := range hashes {
			r := impostor.get(t, tt.base+"/tracker/announce?"+impostor.announceQuery(ih, 0, ""),
				http.Header{InternalHeader: {"guess"}})
			failures = append(failures, r.Failure)
		}
		if failures[0] != "" || failures[1] != ErrRateLimited.Error() {
			t.Fatalf("a wrong token got through the limits: %q", failures)
		}
	})

	t.Run("websocket", func(t *testing.T) {
		// MaxSwarms below the number of torrents: it bounds strangers only.
		h := newWSHarness(t, internalTestConfig(), SocketConfig{MaxSwarms: 2}, hashes...)
		seeder := h.dialWith(t, http.Header{InternalHeader: {"node-secret"}})
		for i, ih := range hashes {
			seeder.expectReply(seeder.announce(ih, wsID(1, byte(i)), map[string]any{"left": 0}), ih)
		}
		if st := h.tracker.Stats(); st.RateLimited != 0 || st.Alarms != 0 {
			t.Fatalf("internal socket was limited: %+v", st)
		}
		stranger := h.dial(t)
		stranger.expectReply(stranger.announce(hashes[0], wsID(2, 0), nil), hashes[0])
		m := stranger.announce(hashes[1], wsID(2, 1), nil)
		if reason, _ := m["failure reason"].(string); reason != ErrRateLimited.Error() {
			t.Fatalf("stranger's second announce: %v, want rate limited", m)
		}
	})
}
