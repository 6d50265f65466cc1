package node

import (
	"context"

	"github.com/peeredge/peeredge/origin"
)

// viewCounter is the node's view accumulator (see origin.Views).
func (n *Node) viewCounter() *origin.Views {
	cfg := n.cfg.views
	cfg.TrendingDays = n.cfg.TrendingDays
	cfg.Logger = n.logger
	return origin.NewViews(n.catalog, cfg)
}

// runViews writes counted views until the returned stop is called; stop
// returns once the last of them is written. Its context is not the
// server's: the server takes views until it has stopped, and they are
// written after that.
func (n *Node) runViews(views *origin.Views) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		views.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
