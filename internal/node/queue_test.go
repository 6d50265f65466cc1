package node

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
)

// TestFederationStateSurvivesRestart: a blocked server and a delivery
// still waiting (the actors' keys are not plugged in, so it cannot be
// signed and is retried) are both there after the node restarts.
func TestFederationStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer inbox.Close()
	cfg := Config{NoSeed: true, AllowPrivateFederation: true, DataDir: t.TempDir()}
	n := startNode(t, cfg)
	if resp, b := n.request(t, http.MethodPost, layout.ServerBlocklistPath, n.token, strings.NewReader(`{"host":"bad.example"}`), nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("block: %s %s", resp.Status, b)
	}
	d := activitypub.Delivery{Inbox: inbox.URL + "/inbox", KeyID: n.URLs().InstanceActor() + "#main-key", Body: json.RawMessage(`{"type":"Follow"}`)}
	if err := n.Deliverer().Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return n.DeliveryStats().Retrying == 1 })
	n.stop()

	n = startNode(t, cfg)
	resp, b := n.request(t, http.MethodGet, layout.ServerBlocklistPath, n.token, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"blockedServer":{"host":"bad.example"}`) {
		t.Errorf("after a restart the blocklist is %s %s", resp.Status, b)
	}
	if !n.Blocklist().Blocked("BAD.example") {
		t.Error("the blocked server is no longer blocked after a restart")
	}
	if s := n.DeliveryStats(); s.Queued != 1 || s.Retrying != 1 {
		t.Errorf("after a restart, delivery stats %+v; want the waiting delivery", s)
	}
	if hits.Load() != 0 {
		t.Error("an unsigned delivery reached the inbox")
	}
}

// waitFor polls cond for at most 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
	}
}
