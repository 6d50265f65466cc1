package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
)

// TestFederationStateSurvivesRestart: a blocked server, and a delivery
// its inbox refused with 503 until the node stopped, are both there after
// the node restarts; the delivery then arrives, signed by the node's
// instance actor.
func TestFederationStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	var up atomic.Bool
	var refused atomic.Int64
	var mu sync.Mutex
	var arrived []*http.Request
	var bodies [][]byte
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !up.Load() {
			refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		arrived = append(arrived, r)
		bodies = append(bodies, body)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer inbox.Close()
	cfg := Config{NoSeed: true, FederationAllowPrivate: true, DataDir: t.TempDir(), DeliveryRetry: 100 * time.Millisecond}
	n := startNode(t, cfg)
	cfg.Listen = n.URLs().Host()
	if resp, b := n.request(t, http.MethodPost, layout.ServerBlocklistPath, n.token, strings.NewReader(`{"host":"bad.example"}`), nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("block: %s %s", resp.Status, b)
	}
	body := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","id":"` + n.URLs().Base() + `/test-follow"}`
	d := activitypub.Delivery{Inbox: inbox.URL + "/inbox", KeyID: n.URLs().InstanceActor() + "#main-key", Body: json.RawMessage(body)}
	if err := n.fed.deliveries.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return refused.Load() >= 1 && n.DeliveryStats().Retrying == 1 })
	n.stop()

	up.Store(true)
	n = startNode(t, cfg)
	resp, b := n.request(t, http.MethodGet, layout.ServerBlocklistPath, n.token, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"blockedServer":{"host":"bad.example"}`) {
		t.Errorf("after a restart the blocklist is %s %s", resp.Status, b)
	}
	if !n.fed.blocklist.Blocked("BAD.example") {
		t.Error("the blocked server is no longer blocked after a restart")
	}
	waitFor(t, func() bool { return n.DeliveryStats().Sent == 1 })
	mu.Lock()
	defer mu.Unlock()
	if len(arrived) != 1 || string(bodies[0]) != body {
		t.Fatalf("after the restart %d deliveries arrived: %q", len(arrived), bodies)
	}
	// The receiving side checks it as a remote instance would: the key
	// fetched from the node's actor document.
	r := arrived[0]
	verifier := &activitypub.Verifier{Lookup: activitypub.ActorKeyFetcher(activitypub.NewFetcher(true))}
	owner, err := verifier.Verify(context.Background(), activitypub.Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: bodies[0]})
	if err != nil || owner != n.URLs().InstanceActor() {
		t.Errorf("the delivery's signature: owner %q, %v", owner, err)
	}
	if s := n.DeliveryStats(); s.Queued != 0 {
		t.Errorf("delivery stats after sending %+v", s)
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
