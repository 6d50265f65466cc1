package tracker

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// storeShards splits the peer store by info hash; each shard has its own
// mutex. Info hashes are SHA-1 outputs, so their first byte spreads evenly.
const storeShards = 64

// maxSwarmPeers bounds one swarm's records (per address family). Beyond it
// new peers still get an answer but are not remembered.
const maxSwarmPeers = 1 << 20

// v6Slot marks an index value that points into a swarm's IPv6 records.
const v6Slot = 1 << 31

// peerStore holds every swarm's peers in fixed-size records.
type peerStore struct {
	shards     [storeShards]storeShard
	peerCount  atomic.Int64
	swarmCount atomic.Int64
}

type storeShard struct {
	mu     sync.Mutex
	swarms map[InfoHash]*swarm
}

// swarm is one torrent's peers: records in two slices (IPv4 is the memory
// target, IPv6 needs 16-byte addresses) and an index from peer key to slot.
// Removal swaps the last record into the hole, so slices stay dense.
type swarm struct {
	v4        []peer4
	v6        []peer6
	index     map[uint64]uint32 // peer key → slot (| v6Slot for v6)
	indexPeak int               // most entries the index held (Go maps never shrink)
	seeders   int
}

// peer4 is 20 bytes: key halves (4-byte aligned to avoid padding), last
// seen, address, port, seeder flag.
type peer4 struct {
	keyLo, keyHi uint32
	seen         uint32 // seconds since the store epoch
	ip           [4]byte
	port         uint16
	seeder       bool
}

type peer6 struct {
	keyLo, keyHi uint32
	seen         uint32
	ip           [16]byte
	port         uint16
	seeder       bool
}

func (p *peer4) key() uint64 { return uint64(p.keyHi)<<32 | uint64(p.keyLo) }
func (p *peer6) key() uint64 { return uint64(p.keyHi)<<32 | uint64(p.keyLo) }

// peerKey identifies a peer inside a swarm: its peer_id bound to its
// address, so nobody can update or stop someone else's peer by sending
// their (public) peer_id from another address.
func peerKey(id *PeerID, addr netip.Addr) uint64 {
	var buf [36]byte
	copy(buf[:20], id[:])
	a := addr.As16()
	copy(buf[20:], a[:])
	return xxhash.Sum64(buf[:])
}

type peerEvent uint8

const (
	eventNone peerEvent = iota
	eventStarted
	eventStopped
	eventCompleted
)

// peerAnnounce is one announce as the store sees it.
type peerAnnounce struct {
	infoHash InfoHash
	key      uint64
	addr     netip.Addr // unmapped
	port     uint16
	seeder   bool
	event    peerEvent
	want     int // peers to return, ≤ MaxPeers
}

// swarmCounts are the numbers a reply carries.
type swarmCounts struct {
	complete, incomplete int
	downloaded           uint64 // from the Registry, which outlives swarms
}

func newPeerStore() *peerStore {
	s := &peerStore{}
	for i := range s.shards {
		s.shards[i].swarms = make(map[InfoHash]*swarm)
	}
	return s
}

func (s *peerStore) shard(ih *InfoHash) *storeShard {
	return &s.shards[ih[0]%storeShards]
}

// announce records a (or removes it on stopped) at time now, appends up to
// a.want other peers as compact entries to peers4 (6 bytes each) and peers6
// (18 bytes each), and returns the swarm's counts. It does not allocate when
// the buffers have room and the swarm's slices and index need not grow.
func (s *peerStore) announce(a *peerAnnounce, now uint32, peers4, peers6 []byte) ([]byte, []byte, swarmCounts) {
	sh := s.shard(&a.infoHash)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[a.infoHash]
	if a.event == eventStopped {
		if sw != nil {
			if slot, ok := sw.index[a.key]; ok {
				s.removeSlot(sw, slot)
			}
			counts := sw.counts()
			if len(sw.index) == 0 {
				delete(sh.swarms, a.infoHash)
				s.swarmCount.Add(-1)
			}
			return peers4, peers6, counts
		}
		return peers4, peers6, swarmCounts{}
	}
	if sw == nil {
		sw = &swarm{index: make(map[uint64]uint32, 1)}
		sh.swarms[a.infoHash] = sw
		s.swarmCount.Add(1)
	}
	s.upsert(sw, a, now)
	if a.want > 0 {
		// Seeders need no seeders; everyone else gets both.
		got := 0
		if a.addr.Is4() {
			peers4, got = sample4(sw.v4, a.want, a.key, a.seeder, peers4)
			peers6, _ = sample6(sw.v6, a.want-got, a.key, a.seeder, peers6)
		} else {
			peers6, got = sample6(sw.v6, a.want, a.key, a.seeder, peers6)
			peers4, _ = sample4(sw.v4, a.want-got, a.key, a.seeder, peers4)
		}
	}
	return peers4, peers6, sw.counts()
}

// counts reads one swarm's numbers without changing it; zero if unknown.
func (s *peerStore) counts(ih InfoHash) swarmCounts {
	sh := s.shard(&ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sw := sh.swarms[ih]; sw != nil {
		return sw.counts()
	}
	return swarmCounts{}
}

func (sw *swarm) counts() swarmCounts {
	n := len(sw.v4) + len(sw.v6)
	return swarmCounts{complete: sw.seeders, incomplete: n - sw.seeders}
}

func (s *peerStore) upsert(sw *swarm, a *peerAnnounce, now uint32) {
	if slot, ok := sw.index[a.key]; ok {
		var seeder *bool
		if slot&v6Slot != 0 {
			p := &sw.v6[slot&^v6Slot]
			p.seen, p.port = now, a.port
			seeder = &p.seeder
		} else {
			p := &sw.v4[slot]
			p.seen, p.port = now, a.port
			seeder = &p.seeder
		}
		if *seeder != a.seeder {
			*seeder = a.seeder
			if a.seeder {
				sw.seeders++
			} else {
				sw.seeders--
			}
		}
		return
	}
	lo, hi := uint32(a.key), uint32(a.key>>32)
	if a.addr.Is4() {
		if len(sw.v4) >= maxSwarmPeers {
			return
		}
		sw.index[a.key] = uint32(len(sw.v4))
		sw.v4 = append(sw.v4, peer4{keyLo: lo, keyHi: hi, seen: now, ip: a.addr.As4(), port: a.port, seeder: a.seeder})
	} else {
		if len(sw.v6) >= maxSwarmPeers {
			return
		}
		sw.index[a.key] = uint32(len(sw.v6)) | v6Slot
		sw.v6 = append(sw.v6, peer6{keyLo: lo, keyHi: hi, seen: now, ip: a.addr.As16(), port: a.port, seeder: a.seeder})
	}
	sw.indexPeak = max(sw.indexPeak, len(sw.index))
	if a.seeder {
		sw.seeders++
	}
	s.peerCount.Add(1)
}

// removeSlot deletes one record by swapping the last record into its place.
func (s *peerStore) removeSlot(sw *swarm, slot uint32) {
	var key uint64
	var seeder bool
	if slot&v6Slot != 0 {
		i, last := slot&^v6Slot, uint32(len(sw.v6)-1)
		key, seeder = sw.v6[i].key(), sw.v6[i].seeder
		if i != last {
			sw.v6[i] = sw.v6[last]
			sw.index[sw.v6[i].key()] = i | v6Slot
		}
		sw.v6 = sw.v6[:last]
	} else {
		i, last := slot, uint32(len(sw.v4)-1)
		key, seeder = sw.v4[i].key(), sw.v4[i].seeder
		if i != last {
			sw.v4[i] = sw.v4[last]
			sw.index[sw.v4[i].key()] = i
		}
		sw.v4 = sw.v4[:last]
	}
	delete(sw.index, key)
	if seeder {
		sw.seeders--
	}
	s.peerCount.Add(-1)
}

// sweep removes peers last seen before cutoff and every swarm whose torrent
// is no longer known, and gives back memory of swarms that shrank a lot.
func (s *peerStore) sweep(cutoff uint32, known func(InfoHash) bool) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for ih, sw := range sh.swarms {
			if !known(ih) {
				s.peerCount.Add(-int64(len(sw.index)))
				delete(sh.swarms, ih)
				s.swarmCount.Add(-1)
				continue
			}
			for j := len(sw.v4) - 1; j >= 0; j-- {
				if sw.v4[j].seen < cutoff {
					s.removeSlot(sw, uint32(j))
				}
			}
			for j := len(sw.v6) - 1; j >= 0; j-- {
				if sw.v6[j].seen < cutoff {
					s.removeSlot(sw, uint32(j)|v6Slot)
				}
			}
			if len(sw.index) == 0 {
				delete(sh.swarms, ih)
				s.swarmCount.Add(-1)
				continue
			}
			sw.compact()
		}
		sh.mu.Unlock()
	}
}

// compact reallocates a swarm that shrank to a quarter of its peak.
func (sw *swarm) compact() {
	n := len(sw.index)
	if sw.indexPeak < 256 || n > sw.indexPeak/4 {
		return
	}
	sw.v4 = append(make([]peer4, 0, len(sw.v4)), sw.v4...)
	sw.v6 = append(make([]peer6, 0, len(sw.v6)), sw.v6...)
	index := make(map[uint64]uint32, n)
	for k, v := range sw.index {
		index[k] = v
	}
	sw.index, sw.indexPeak = index, n
}

// sample4 appends up to want compact entries of peers other than self (and
// no seeders when skipSeeders) to dst. It visits records from a random
// start with a random stride coprime to their number, so every record is
// reachable, the choice is spread over the swarm, and nothing is allocated.
func sample4(peers []peer4, want int, self uint64, skipSeeders bool, dst []byte) ([]byte, int) {
	n := len(peers)
	if n == 0 || want <= 0 {
		return dst, 0
	}
	i, stride, got := rand.IntN(n), coprimeStride(n), 0
	for range n {
		p := &peers[i]
		if p.key() != self && !(skipSeeders && p.seeder) {
			dst = append(dst, p.ip[0], p.ip[1], p.ip[2], p.ip[3], byte(p.port>>8), byte(p.port))
			if got++; got == want {
				break
			}
		}
		if i += stride; i >= n {
			i -= n
		}
	}
	return dst, got
}

func sample6(peers []peer6, want int, self uint64, skipSeeders bool, dst []byte) ([]byte, int) {
	n := len(peers)
	if n == 0 || want <= 0 {
		return dst, 0
	}
	i, stride, got := rand.IntN(n), coprimeStride(n), 0
	for range n {
		p := &peers[i]
		if p.key() != self && !(skipSeeders && p.seeder) {
			dst = append(dst, p.ip[:]...)
			dst = append(dst, byte(p.port>>8), byte(p.port))
			if got++; got == want {
				break
			}
		}
		if i += stride; i >= n {
			i -= n
		}
	}
	return dst, got
}

// coprimeStride returns a random step in [1, n) coprime to n (1 if n ≤ 2).
func coprimeStride(n int) int {
	if n <= 2 {
		return 1
	}
	s := 1 + rand.IntN(n-1)
	for gcd(s, n) != 1 {
		if s++; s == n {
			s = 1
		}
	}
	return s
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
