package tracker

import (
	"runtime"
	"testing"
)

// BenchmarkPeerStoreMemory reports the heap held per tracked IPv4 peer with
// 1M peers across 10k torrents (target ≤ 64 bytes/peer).
func BenchmarkPeerStoreMemory(b *testing.B) {
	const torrents, perTorrent = 10_000, 100
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := newPeerStore()
		for p := range perTorrent {
			for tor := range torrents {
				id := trkPeerID(p)
				addr := trkAddr4(tor*perTorrent + p)
				a := peerAnnounce{infoHash: trkHash(tor), key: peerKey(&id, addr), addr: addr, port: 6881, seeder: p%4 == 0}
				s.announce(&a, 1, nil, nil)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := s.peerCount.Load(); got != torrents*perTorrent {
			b.Fatalf("%d peers stored", got)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(torrents*perTorrent), "bytes/peer")
		runtime.KeepAlive(s)
	}
}

// BenchmarkPeerStoreAnnounce measures the store alone: re-announces of known
// peers asking for 20 peers, in a store of 1M peers across 10k torrents.
// It must not allocate.
func BenchmarkPeerStoreAnnounce(b *testing.B) {
	const torrents, perTorrent = 10_000, 100
	s := newPeerStore()
	reqs := make([]peerAnnounce, 0, 4096)
	for tor := range torrents {
		for p := range perTorrent {
			id := trkPeerID(p)
			addr := trkAddr4(tor*perTorrent + p)
			a := peerAnnounce{infoHash: trkHash(tor), key: peerKey(&id, addr), addr: addr, port: 6881, want: 20}
			s.announce(&a, 1, nil, nil)
			if (tor*perTorrent+p)%244 == 0 && len(reqs) < cap(reqs) {
				reqs = append(reqs, a)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p4 := make([]byte, 0, 6*DefaultMaxPeers)
		p6 := make([]byte, 0, 18*DefaultMaxPeers)
		i := 0
		for pb.Next() {
			a := &reqs[i%len(reqs)]
			i++
			p4, p6, _ = s.announce(a, 2, p4[:0], p6[:0])
			if len(p4) != 6*20 {
				b.Fatalf("%d peers returned", len(p4)/6)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "announces/s")
}
