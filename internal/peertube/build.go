package peertube

import (
	"context"
	"testing"
)

// Built builds PeerTube when missing (under the harness lock) and returns
// the root it is built in, for tests that run PeerTube's code without a
// server. Like Start, it fails the test when PeerTube cannot be set up.
func Built(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lock(ctx, root)
	if err != nil {
		t.Fatalf("PeerTube harness (PT_ROOT=%s): %v", root, err)
	}
	defer unlock()
	if err := ensureBuilt(ctx, root); err != nil {
		t.Fatalf("PeerTube harness (PT_ROOT=%s): %v", root, err)
	}
	return root
}
