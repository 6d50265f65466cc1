package tracker

import (
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

// wsShardCount spreads swarms over independent locks; info hashes are
// uniformly distributed so their first byte picks a shard evenly.
const wsShardCount = 32

var errPeerIDInUse = errors.New("peer_id is already used by another connection in this swarm")

// wsMember is one peer of a swarm, reachable through its socket.
type wsMember struct {
	id     PeerID
	sock   *wsSocket
	seeder bool
	seen   int64 // unix nanoseconds of its last announce
}

// wsSwarm keeps members in a slice (for uniform random sampling in place)
// plus an index by peer id (for answers and removal).
type wsSwarm struct {
	members []wsMember
	index   map[PeerID]int
	seeders int
}

func (sw *wsSwarm) counts() wtmsg.Counts {
	return wtmsg.Counts{Complete: sw.seeders, Incomplete: len(sw.members) - sw.seeders}
}

func (sw *wsSwarm) swap(i, j int) {
	sw.members[i], sw.members[j] = sw.members[j], sw.members[i]
	sw.index[sw.members[i].id] = i
	sw.index[sw.members[j].id] = j
}

func (sw *wsSwarm) remove(i int) {
	last := len(sw.members) - 1
	if sw.members[i].seeder {
		sw.seeders--
	}
	delete(sw.index, sw.members[i].id)
	if i != last {
		sw.members[i] = sw.members[last]
		sw.index[sw.members[i].id] = i
	}
	sw.members[last] = wsMember{}
	sw.members = sw.members[:last]
}

type wsShard struct {
	mu     sync.Mutex
	swarms map[InfoHash]*wsSwarm
}

// wsSwarms is every WebSocket swarm of the node.
type wsSwarms struct {
	shards [wsShardCount]wsShard
}

func newWSSwarms() *wsSwarms {
	s := &wsSwarms{}
	for i := range s.shards {
		s.shards[i].swarms = make(map[InfoHash]*wsSwarm)
	}
	return s
}

func (s *wsSwarms) shard(ih *InfoHash) *wsShard { return &s.shards[int(ih[0])%wsShardCount] }

// join adds or refreshes (ih, id) for sock and picks up to want other
// members at random into targets (reused by the caller).
func (s *wsSwarms) join(ih *InfoHash, id *PeerID, sock *wsSocket, seeder bool, now int64, want int, targets []*wsSocket) (wtmsg.Counts, []*wsSocket, error) {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[*ih]
	if sw == nil {
		sw = &wsSwarm{index: make(map[PeerID]int)}
		sh.swarms[*ih] = sw
	}
	i, ok := sw.index[*id]
	switch {
	case !ok:
		sw.index[*id] = len(sw.members)
		sw.members = append(sw.members, wsMember{id: *id, sock: sock, seeder: seeder, seen: now})
		if seeder {
			sw.seeders++
		}
	case sw.members[i].sock != sock:
		return sw.counts(), targets, errPeerIDInUse
	default:
		sw.members[i].seen = now
		if sw.members[i].seeder != seeder {
			sw.members[i].seeder = seeder
			if seeder {
				sw.seeders++
			} else {
				sw.seeders--
			}
		}
	}
	// Partial Fisher–Yates in place: the members' order carries no meaning, so
	// shuffling the prefix picks a uniform sample without copying the swarm.
	n := len(sw.members)
	for k := 0; k < n && len(targets) < want; k++ {
		j := k + rand.IntN(n-k)
		if j != k {
			sw.swap(k, j)
		}
		if sw.members[k].sock != sock {
			targets = append(targets, sw.members[k].sock)
		}
	}
	return sw.counts(), targets, nil
}

// leave removes (ih, id) if sock owns it and returns the swarm's counts after.
func (s *wsSwarms) leave(ih *InfoHash, id *PeerID, sock *wsSocket) wtmsg.Counts {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sw := sh.swarms[*ih]
	if sw == nil {
		return wtmsg.Counts{}
	}
	if i, ok := sw.index[*id]; ok && sw.members[i].sock == sock {
		sw.remove(i)
	}
	if len(sw.members) == 0 {
		delete(sh.swarms, *ih)
		return wtmsg.Counts{}
	}
	return sw.counts()
}

// socketOf finds the socket of peer id in swarm ih, or nil.
func (s *wsSwarms) socketOf(ih *InfoHash, id *PeerID) *wsSocket {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sw := sh.swarms[*ih]; sw != nil {
		if i, ok := sw.index[*id]; ok {
			return sw.members[i].sock
		}
	}
	return nil
}

// counts returns the counts of swarm ih (zero when nobody is in it).
func (s *wsSwarms) counts(ih *InfoHash) wtmsg.Counts {
	sh := s.shard(ih)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sw := sh.swarms[*ih]; sw != nil {
		return sw.counts()
	}
	return wtmsg.Counts{}
}

// size returns the number of swarms and of memberships.
func (s *wsSwarms) size() (swarms, peers int) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		swarms += len(sh.swarms)
		for _, sw := range sh.swarms {
			peers += len(sw.members)
		}
		sh.mu.Unlock()
	}
	return swarms, peers
}

// expire removes members whose last announce is older than before (unix
// nanoseconds): a socket that stays open but stopped announcing a swarm
// (a player that moved to another rung) should not be sent its offers.
func (s *wsSwarms) expire(before int64) (removed int) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for ih, sw := range sh.swarms {
			for k := len(sw.members) - 1; k >= 0; k-- {
				if sw.members[k].seen < before {
					sw.remove(k)
					removed++
				}
			}
			if len(sw.members) == 0 {
				delete(sh.swarms, ih)
			}
		}
		sh.mu.Unlock()
	}
	return removed
}
