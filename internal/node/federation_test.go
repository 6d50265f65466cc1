package node

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serverFollows is the part of PeerTube's follow list the tests read.
type serverFollows struct {
	Total int
	Data  []struct {
		ID                  int64
		State               string
		Follower, Following struct{ URL, Name, Host string }
	}
}

func (n *testNode) follows(t *testing.T, which string) serverFollows {
	t.Helper()
	var f serverFollows
	getJSON(t, n.base+"/api/v1/server/"+which, &f)
	return f
}

// waitFollow polls which (followers or following) of n until it lists
// one follow in state, with the other end at url.
func (n *testNode) waitFollow(t *testing.T, which, state, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		f := n.follows(t, which)
		if f.Total == 1 && len(f.Data) == 1 && f.Data[0].State == state {
			other := f.Data[0].Following.URL
			if which == "followers" {
				other = f.Data[0].Follower.URL
			}
			if other != url {
				t.Fatalf("%s of %s: %+v, want %s", which, n.base, f, url)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s of %s: %+v, want one %s", which, n.base, f, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNodesFollow: node B's admin follows node A; A accepts, lists B as
// its follower and B lists A as followed, in the REST lists and the
// ActivityPub collections; unfollowing ends both.
func TestNodesFollow(t *testing.T) {
	t.Parallel()
	a := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	b := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	hostA := strings.TrimPrefix(a.base, "http://")
	follow := `{"hosts":["` + hostA + `"]}`
	ct := map[string]string{"Content-Type": "application/json"}
	if resp, body := b.request(t, http.MethodPost, "/api/v1/server/following", "", strings.NewReader(follow), ct); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("follow without a token: %s %s", resp.Status, body)
	}
	if resp, body := b.request(t, http.MethodPost, "/api/v1/server/following", b.token, strings.NewReader(`{"hosts":["not a host"]}`), ct); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("follow a bad host: %s %s", resp.Status, body)
	}
	if resp, body := b.request(t, http.MethodPost, "/api/v1/server/following", b.token, strings.NewReader(follow), ct); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("follow: %s %s", resp.Status, body)
	}
	a.waitFollow(t, "followers", "accepted", b.base+"/accounts/peertube")
	b.waitFollow(t, "following", "accepted", a.base+"/accounts/peertube")
	if f := a.follows(t, "followers"); f.Data[0].Follower.Name != "peertube" || f.Data[0].Follower.Host != strings.TrimPrefix(b.base, "http://") ||
		f.Data[0].Following.URL != a.base+"/accounts/peertube" {
		t.Errorf("A's follower: %+v", f.Data[0])
	}
	for _, c := range []struct {
		n          *testNode
		path, want string
	}{
		{a, "/accounts/peertube/followers?page=1", b.base + "/accounts/peertube"},
		{b, "/accounts/peertube/following?page=1", a.base + "/accounts/peertube"},
	} {
		resp, body := c.n.request(t, http.MethodGet, c.path, "", nil, map[string]string{"Accept": "application/activity+json"})
		var page struct{ OrderedItems []string }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.OrderedItems) != 1 || page.OrderedItems[0] != c.want {
			t.Errorf("%s%s: %s %s", c.n.base, c.path, resp.Status, body)
		}
	}

	if resp, body := b.request(t, http.MethodDelete, "/api/v1/server/following/"+hostA, b.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("unfollow: %s %s", resp.Status, body)
	}
	if f := b.follows(t, "following"); f.Total != 0 {
		t.Errorf("B still follows: %+v", f)
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.follows(t, "followers").Total != 0 {
		if time.Now().After(deadline) {
			t.Fatal("A still lists B as a follower after the Undo")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, _ := b.request(t, http.MethodDelete, "/api/v1/server/following/"+hostA, b.token, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unfollow again: %s, want 404", resp.Status)
	}
}

// TestNodesManualApproval: with manual approval, A keeps B's follow
// pending until its admin accepts it through PeerTube's endpoint; then B
// sees itself accepted.
func TestNodesManualApproval(t *testing.T) {
	t.Parallel()
	a := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true, FollowersManualApproval: true})
	b := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	hostB := strings.TrimPrefix(b.base, "http://")
	ct := map[string]string{"Content-Type": "application/json"}
	if resp, body := b.request(t, http.MethodPost, "/api/v1/server/following", b.token, strings.NewReader(`{"hosts":["`+strings.TrimPrefix(a.base, "http://")+`"]}`), ct); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("follow: %s %s", resp.Status, body)
	}
	a.waitFollow(t, "followers", "pending", b.base+"/accounts/peertube")
	if f := b.follows(t, "following"); f.Total != 1 || f.Data[0].State != "pending" {
		t.Fatalf("B's following before approval: %+v", f)
	}
	accept := "/api/v1/server/followers/peertube@" + hostB + "/accept"
	if resp, _ := a.request(t, http.MethodPost, accept, "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("accept without a token: %s", resp.Status)
	}
	if resp, _ := a.request(t, http.MethodPost, "/api/v1/server/followers/nobody@"+hostB+"/accept", a.token, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("accept a stranger: %s", resp.Status)
	}
	if resp, body := a.request(t, http.MethodPost, accept, a.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("accept: %s %s", resp.Status, body)
	}
	a.waitFollow(t, "followers", "accepted", b.base+"/accounts/peertube")
	b.waitFollow(t, "following", "accepted", a.base+"/accounts/peertube")
}
