package tracker

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"
)

func trkHash(i int) InfoHash {
	var ih InfoHash
	binary.BigEndian.PutUint64(ih[:], uint64(i)*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint32(ih[16:], uint32(i))
	return ih
}

func trkPeerID(i int) PeerID {
	var id PeerID
	copy(id[:], "-TT0001-")
	binary.BigEndian.PutUint32(id[16:], uint32(i))
	return id
}

func trkAddr4(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func trkStoreAnnounce(s *peerStore, ih InfoHash, i int, addr netip.Addr, seeder bool, ev peerEvent, want int, now uint32) (p4, p6 []byte, c swarmCounts) {
	id := trkPeerID(i)
	a := peerAnnounce{infoHash: ih, key: peerKey(&id, addr), addr: addr, port: uint16(1000 + i), seeder: seeder, event: ev, want: want}
	return s.announce(&a, now, nil, nil)
}

// checkStoreConsistent verifies the index and the records agree.
func checkStoreConsistent(t *testing.T, s *peerStore) {
	t.Helper()
	total := 0
	for i := range s.shards {
		for ih, sw := range s.shards[i].swarms {
			if len(sw.index) != len(sw.v4)+len(sw.v6) {
				t.Fatalf("%x: index %d, records %d+%d", ih[:4], len(sw.index), len(sw.v4), len(sw.v6))
			}
			seeders := 0
			for j := range sw.v4 {
				if got := sw.index[sw.v4[j].key()]; got != uint32(j) {
					t.Fatalf("v4 slot %d indexed as %d", j, got)
				}
				if sw.v4[j].seeder {
					seeders++
				}
			}
			for j := range sw.v6 {
				if got := sw.index[sw.v6[j].key()]; got != uint32(j)|v6Slot {
					t.Fatalf("v6 slot %d indexed as %d", j, got)
				}
				if sw.v6[j].seeder {
					seeders++
				}
			}
			if seeders != sw.seeders {
				t.Fatalf("seeders counted %d, recorded %d", seeders, sw.seeders)
			}
			total += len(sw.index)
		}
	}
	if int64(total) != s.peerCount.Load() {
		t.Fatalf("peerCount %d, records %d", s.peerCount.Load(), total)
	}
}

func TestPeerStoreInsertUpdateStop(t *testing.T) {
	s := newPeerStore()
	ih := trkHash(1)
	for i := range 50 {
		trkStoreAnnounce(s, ih, i, trkAddr4(i), i%5 == 0, eventStarted, 0, 10)
	}
	v6 := netip.MustParseAddr("2001:db8::7")
	trkStoreAnnounce(s, ih, 100, v6, false, eventStarted, 0, 10)
	checkStoreConsistent(t, s)
	if c := s.counts(ih); c.complete != 10 || c.incomplete != 41 {
		t.Fatalf("counts %+v, want 10 complete 41 incomplete", c)
	}
	// A leecher finishes: same key, becomes seeder (the Registry counts completions).
	trkStoreAnnounce(s, ih, 1, trkAddr4(1), true, eventCompleted, 0, 11)
	if c := s.counts(ih); c.complete != 11 || c.incomplete != 40 {
		t.Fatalf("after completed %+v", c)
	}
	// Stopping from another address does nothing: the key binds the address.
	trkStoreAnnounce(s, ih, 2, trkAddr4(999), false, eventStopped, 0, 11)
	if n := s.peerCount.Load(); n != 51 {
		t.Fatalf("stop from foreign address removed a peer: %d left", n)
	}
	for i := 0; i < 50; i += 2 {
		trkStoreAnnounce(s, ih, i, trkAddr4(i), i%5 == 0, eventStopped, 0, 12)
		checkStoreConsistent(t, s)
	}
	if n := s.peerCount.Load(); n != 26 {
		t.Fatalf("%d peers after stopping 25, want 26", n)
	}
	for i := 1; i < 50; i += 2 {
		trkStoreAnnounce(s, ih, i, trkAddr4(i), false, eventStopped, 0, 12)
	}
	trkStoreAnnounce(s, ih, 100, v6, false, eventStopped, 0, 12)
	if s.peerCount.Load() != 0 || s.swarmCount.Load() != 0 {
		t.Fatalf("store not empty: %d peers %d swarms", s.peerCount.Load(), s.swarmCount.Load())
	}
}

func TestPeerStoreSample(t *testing.T) {
	tests := []struct {
		name          string
		peers, want   int
		seeders       int // the first n peers are seeders
		askerIsSeeder bool
		wantGot       int
	}{
		{"empty swarm but me", 0, 20, 0, false, 0},
		{"fewer than wanted", 5, 20, 0, false, 5},
		{"capped", 500, 20, 0, false, 20},
		{"numwant 3", 500, 3, 0, false, 3},
		{"seeder gets no seeders", 30, 20, 25, true, 5},
		{"leecher gets seeders", 30, 20, 25, false, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newPeerStore()
			ih := trkHash(7)
			for i := range tt.peers {
				trkStoreAnnounce(s, ih, i, trkAddr4(i), i < tt.seeders, eventNone, 0, 5)
			}
			me := trkAddr4(1 << 20)
			for range 50 {
				p4, _, _ := trkStoreAnnounce(s, ih, 1<<20, me, tt.askerIsSeeder, eventNone, tt.want, 6)
				if len(p4) != 6*tt.wantGot {
					t.Fatalf("got %d peers, want %d", len(p4)/6, tt.wantGot)
				}
				seen := map[string]bool{}
				for e := range len(p4) / 6 {
					entry := string(p4[6*e : 6*e+6])
					if seen[entry] {
						t.Fatalf("peer %x returned twice", entry)
					}
					seen[entry] = true
					ip := netip.AddrFrom4([4]byte(p4[6*e : 6*e+4]))
					if ip == me {
						t.Fatal("requester returned to itself")
					}
				}
			}
		})
	}
}

// Every peer must be reachable by the strided walk, not just a fixed subset.
func TestPeerStoreSampleCoversSwarm(t *testing.T) {
	s := newPeerStore()
	ih := trkHash(3)
	const n = 97
	for i := range n {
		trkStoreAnnounce(s, ih, i, trkAddr4(i), false, eventNone, 0, 5)
	}
	seen := map[string]bool{}
	for range 5000 {
		p4, _, _ := trkStoreAnnounce(s, ih, 1<<20, trkAddr4(1<<20), false, eventNone, 1, 5)
		seen[string(p4)] = true
	}
	if len(seen) != n {
		t.Fatalf("1-peer samples reached %d of %d peers", len(seen), n)
	}
}

func TestPeerStoreMixedFamilies(t *testing.T) {
	s := newPeerStore()
	ih := trkHash(9)
	trkStoreAnnounce(s, ih, 1, trkAddr4(1), false, eventNone, 0, 5)
	trkStoreAnnounce(s, ih, 2, netip.MustParseAddr("2001:db8::2"), false, eventNone, 0, 5)
	p4, p6, _ := trkStoreAnnounce(s, ih, 3, netip.MustParseAddr("2001:db8::3"), false, eventNone, 20, 5)
	if len(p4) != 6 || len(p6) != 18 {
		t.Fatalf("got %d v4 bytes and %d v6 bytes, want 6 and 18", len(p4), len(p6))
	}
	if got := netip.AddrFrom16([16]byte(p6[:16])); got != netip.MustParseAddr("2001:db8::2") {
		t.Fatalf("peers6 entry %v", got)
	}
	if port := binary.BigEndian.Uint16(p6[16:]); port != 1002 {
		t.Fatalf("peers6 port %d", port)
	}
	// Total across families is capped by want.
	p4, p6, _ = trkStoreAnnounce(s, ih, 4, trkAddr4(4), false, eventNone, 1, 5)
	if len(p4)/6+len(p6)/18 != 1 {
		t.Fatalf("want 1, got %d+%d", len(p4)/6, len(p6)/18)
	}
}

func TestPeerStoreSweep(t *testing.T) {
	s := newPeerStore()
	a, b := trkHash(1), trkHash(2)
	for i := range 300 {
		trkStoreAnnounce(s, a, i, trkAddr4(i), false, eventNone, 0, uint32(100+i%3))
	}
	trkStoreAnnounce(s, b, 1, netip.MustParseAddr("2001:db8::1"), false, eventNone, 0, 100)
	s.sweep(101, func(InfoHash) bool { return true }) // drops seen == 100
	checkStoreConsistent(t, s)
	if n := s.peerCount.Load(); n != 200 {
		t.Fatalf("%d peers after sweep, want 200", n)
	}
	if s.swarmCount.Load() != 1 {
		t.Fatalf("empty swarm kept: %d swarms", s.swarmCount.Load())
	}
	s.sweep(0, func(ih InfoHash) bool { return ih != a }) // torrent removed from registry
	if s.peerCount.Load() != 0 || s.swarmCount.Load() != 0 {
		t.Fatalf("unknown torrent kept: %d peers", s.peerCount.Load())
	}
}

func TestCoprimeStride(t *testing.T) {
	for n := 1; n < 200; n++ {
		for range 20 {
			s := coprimeStride(n)
			if s < 1 || (n > 1 && s >= n) || gcd(s, n) != 1 {
				t.Fatalf("n=%d stride %d", n, s)
			}
		}
	}
}

// Concurrent announces, stops and sweeps leave the index and records in
// agreement (run with -race).
func TestPeerStoreConcurrent(t *testing.T) {
	s := newPeerStore()
	hashes := []InfoHash{trkHash(1), trkHash(2), trkHash(3)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				ih := hashes[i%len(hashes)]
				n := g*10_000 + i%50
				ev := eventNone
				if i%7 == 0 {
					ev = eventStopped
				}
				trkStoreAnnounce(s, ih, n, trkAddr4(n), i%3 == 0, ev, 20, uint32(i/100))
				if i%500 == 0 {
					s.sweep(uint32(i/100), func(InfoHash) bool { return true })
				}
			}
		})
	}
	wg.Wait()
	checkStoreConsistent(t, s)
}
