package origin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors of the server blocklist.
var (
	ErrAlreadyBlocked = errors.New("server already blocked")
	ErrNotBlocked     = errors.New("server not blocked")
)

// blocklistNS is the KV namespace of the blocked hosts: host → blockRecord.
const blocklistNS = "server-blocklist"

// ServerBlock is a host the admin blocked.
type ServerBlock struct {
	Host      string
	CreatedAt time.Time
}

type blockRecord struct {
	CreatedAt time.Time `json:"createdAt"`
}

// Blocklist is the instance's server blocklist: stored in the catalogue,
// read from memory (Blocked is asked for every incoming activity). Hosts
// are compared case-insensitively, port included ("a.example" and
// "a.example:8443" are two hosts).
type Blocklist struct {
	kv     *KV
	logger *slog.Logger
	// OnBlock, if set, is called after a host was blocked (the node
	// forgets that host's remote videos); its error is logged, the block
	// stays. Set it before the blocklist is used.
	OnBlock func(ctx context.Context, host string) error

	write sync.Mutex // one Block or Unblock at a time
	mu    sync.RWMutex
	hosts map[string]time.Time
}

// OpenBlocklist loads the blocklist of c.
func OpenBlocklist(ctx context.Context, c *Catalog) (*Blocklist, error) {
	b := &Blocklist{kv: c.KV(blocklistNS), logger: c.logger, hosts: make(map[string]time.Time)}
	err := b.kv.Each(ctx, func(key, value []byte) error {
		var r blockRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("blocked host %q: %w", key, err)
		}
		b.hosts[string(key)] = r.CreatedAt
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load the server blocklist: %w", err)
	}
	return b, nil
}

func normalHost(host string) string { return strings.ToLower(host) }

// Blocked reports whether host is blocked.
func (b *Blocklist) Blocked(host string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.hosts[normalHost(host)]
	return ok
}

// BlockedServers lists the blocked hosts, the latest blocked first
// (PeerTube's default order, -createdAt).
func (b *Blocklist) BlockedServers() []ServerBlock {
	b.mu.RLock()
	out := make([]ServerBlock, 0, len(b.hosts))
	for h, t := range b.hosts {
		out = append(out, ServerBlock{Host: h, CreatedAt: t})
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(x, y ServerBlock) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.Host, y.Host)
	})
	return out
}

// Block adds host (ErrAlreadyBlocked if it is in already), then calls
// OnBlock.
func (b *Blocklist) Block(ctx context.Context, host string) (ServerBlock, error) {
	if err := ctx.Err(); err != nil {
		return ServerBlock{}, err
	}
	host = normalHost(host)
	b.write.Lock()
	if b.Blocked(host) {
		b.write.Unlock()
		return ServerBlock{}, fmt.Errorf("%w: %s", ErrAlreadyBlocked, host)
	}
	sb := ServerBlock{Host: host, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	v, err := json.Marshal(blockRecord{CreatedAt: sb.CreatedAt})
	if err == nil {
		err = b.kv.Set([]byte(host), v)
	}
	if err != nil {
		b.write.Unlock()
		return ServerBlock{}, fmt.Errorf("block %s: %w", host, err)
	}
	b.mu.Lock()
	b.hosts[host] = sb.CreatedAt
	b.mu.Unlock()
	b.write.Unlock()
	if b.OnBlock != nil {
		if err := b.OnBlock(ctx, host); err != nil {
			b.logger.Error("forget a blocked server's content", "host", host, "err", err)
		}
	}
	return sb, nil
}

// Unblock removes host (ErrNotBlocked if it is not in).
func (b *Blocklist) Unblock(ctx context.Context, host string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	host = normalHost(host)
	b.write.Lock()
	defer b.write.Unlock()
	if !b.Blocked(host) {
		return fmt.Errorf("%w: %s", ErrNotBlocked, host)
	}
	if err := b.kv.Delete([]byte(host)); err != nil {
		return fmt.Errorf("unblock %s: %w", host, err)
	}
	b.mu.Lock()
	delete(b.hosts, host)
	b.mu.Unlock()
	return nil
}
