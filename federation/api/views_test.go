package api

import (
	"net/netip"
	"testing"
	"time"
)

func TestSeenViewsLifetimeAndBound(t *testing.T) {
	t.Parallel()
	s := newSeenViews(time.Hour)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := seenKey{netip.MustParseAddr("10.0.0.1"), 1}
	steps := []struct {
		name string
		key  seenKey
		at   time.Duration
		want bool
	}{
		{"first view", a, 0, true},
		{"again within the hour", a, 59 * time.Minute, false},
		{"another video", seenKey{a.client, 2}, time.Minute, true},
		{"another client", seenKey{netip.MustParseAddr("10.0.0.2"), 1}, time.Minute, true},
		{"after the hour", a, time.Hour, true},
		{"again after renewal", a, time.Hour + 30*time.Minute, false},
	}
	for _, st := range steps {
		if got := s.first(st.key, t0.Add(st.at)); got != st.want {
			t.Errorf("%s: %v, want %v", st.name, got, st.want)
		}
	}

	// A flood of clients stays within the bound, forgetting the oldest.
	s = newSeenViews(time.Hour)
	for i := range maxSeenViews + 10 {
		k := seenKey{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1}
		if !s.first(k, t0) {
			t.Fatalf("client %d: not a first view", i)
		}
	}
	if len(s.until) > maxSeenViews || len(s.queue) > maxSeenViews {
		t.Fatalf("remembered %d (queue %d), bound %d", len(s.until), len(s.queue), maxSeenViews)
	}
	if s.first(seenKey{netip.AddrFrom4([4]byte{10, 0, 0, 0}), 1}, t0) != true {
		t.Error("the oldest client was not forgotten")
	}
	last := maxSeenViews + 9
	if s.first(seenKey{netip.AddrFrom4([4]byte{10, byte(last >> 16), byte(last >> 8), byte(last)}), 1}, t0) {
		t.Error("the newest client was forgotten")
	}
	// Everything expires.
	s.first(a, t0.Add(2*time.Hour))
	if len(s.until) != 1 {
		t.Errorf("after the lifetime: %d remembered, want 1", len(s.until))
	}
}

func FuzzParseViewTime(f *testing.F) {
	for _, s := range []string{`{"currentTime":3}`, `{"currentTime":"4"}`, `{"currentTime":1.5}`, `[]`, ``, `{"currentTime":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseViewTime(b); err != nil && n != 0 {
			t.Fatalf("error with a value: %d %v", n, err)
		}
	})
}
