package node

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// followingPair starts nodes a and b, b following a (accepted).
func followingPair(t *testing.T) (a, b *testNode) {
	t.Helper()
	a = startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	b = startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	ct := map[string]string{"Content-Type": "application/json"}
	follow := `{"hosts":["` + strings.TrimPrefix(a.base, "http://") + `"]}`
	if resp, body := b.request(t, http.MethodPost, "/api/v1/server/following", b.token, strings.NewReader(follow), ct); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("follow: %s %s", resp.Status, body)
	}
	b.waitFollow(t, "following", "accepted", a.base+"/accounts/peertube")
	return a, b
}

// TestAdminFederationReport: after B follows A, each admin sees its side
// of the follow and the delivery it sent (B's Follow, A's Accept); the
// report takes the admin's token.
func TestAdminFederationReport(t *testing.T) {
	t.Parallel()
	a, b := followingPair(t)
	type report struct {
		Deliveries struct{ Queued, Sent, Failed int }
		Followers  map[string]int
		Following  map[string]int
	}
	get := func(n *testNode) report {
		t.Helper()
		if resp, _ := n.request(t, http.MethodGet, "/api/v1/admin/federation", "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the report without a token: %s", resp.Status)
		}
		var r report
		resp, body := n.request(t, http.MethodGet, "/api/v1/admin/federation", n.token, nil, nil)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("report: %s %s", resp.Status, body)
		}
		return r
	}
	waitFor(t, func() bool { return get(a).Deliveries.Sent == 1 })
	ra, rb := get(a), get(b)
	if ra.Followers["accepted"] != 1 || len(ra.Following) != 0 || ra.Deliveries.Queued != 0 || ra.Deliveries.Failed != 0 {
		t.Errorf("A's report: %+v", ra)
	}
	if rb.Following["accepted"] != 1 || len(rb.Followers) != 0 || rb.Deliveries.Sent != 1 || rb.Deliveries.Failed != 0 {
		t.Errorf("B's report: %+v", rb)
	}
}

// TestRemoveFollower: A's admin removes its follower B (PeerTube's
// DELETE /api/v1/server/followers/{handle}); A lists it no more and B,
// sent a Reject, no longer counts itself accepted.
func TestRemoveFollower(t *testing.T) {
	t.Parallel()
	a, b := followingPair(t)
	// Each side counts its own end of the follow.
	type counts struct{ FollowersCount, FollowingCount int }
	var fa, fb struct {
		Data []struct{ Follower, Following counts }
	}
	getJSON(t, a.base+"/api/v1/server/followers", &fa)
	getJSON(t, b.base+"/api/v1/server/following", &fb)
	if len(fa.Data) != 1 || fa.Data[0].Following != (counts{1, 0}) || len(fb.Data) != 1 || fb.Data[0].Follower != (counts{0, 1}) {
		t.Errorf("counts: A's followers %+v, B's following %+v", fa, fb)
	}
	handle := "/api/v1/server/followers/peertube@" + strings.TrimPrefix(b.base, "http://")
	if resp, _ := a.request(t, http.MethodDelete, handle, "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("remove without a token: %s", resp.Status)
	}
	if resp, body := a.request(t, http.MethodDelete, handle, a.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove: %s %s", resp.Status, body)
	}
	if f := a.follows(t, "followers"); f.Total != 0 {
		t.Errorf("A still lists its removed follower: %+v", f)
	}
	b.waitFollow(t, "following", "rejected", a.base+"/accounts/peertube")
	if resp, _ := a.request(t, http.MethodDelete, handle, a.token, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("remove again: %s, want 404", resp.Status)
	}
	if resp, _ := a.request(t, http.MethodDelete, "/api/v1/server/followers/no-host", a.token, nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("remove a malformed handle: %s, want 400", resp.Status)
	}
}
