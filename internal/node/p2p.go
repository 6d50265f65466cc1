package node

import (
	"context"
	"fmt"
)

// settingP2P is the catalogue setting behind the admin P2P switch.
const settingP2P = "p2p"

// P2PEnabled reports the admin switch: when off, the tracker refuses,
// torrents and magnets carry WebSeeds only, and /api/v1/config tells
// players to stream over plain HTTP.
func (n *Node) P2PEnabled() bool { return n.p2p.Load() }

// SetP2P flips the switch, persists it and tells the tracker.
func (n *Node) SetP2P(ctx context.Context, enabled bool) error {
	if err := n.catalog.SetBoolSetting(ctx, settingP2P, enabled); err != nil {
		return fmt.Errorf("persist P2P switch: %w", err)
	}
	n.p2p.Store(enabled)
	if n.swarm != nil {
		n.swarm.tracker.SetP2P(enabled)
	}
	n.logger.Warn("P2P switched", "enabled", enabled)
	return nil
}

func (n *Node) loadP2P(ctx context.Context, override *bool) error {
	if override != nil {
		return n.SetP2P(ctx, *override)
	}
	on, err := n.catalog.BoolSetting(ctx, settingP2P, true)
	if err != nil {
		return fmt.Errorf("read P2P switch: %w", err)
	}
	n.p2p.Store(on)
	return nil
}
