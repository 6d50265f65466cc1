package node

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestPrivacyFederation: a follower lists a public video; made private,
// the video's object answers 404, the outbox and NodeInfo's count leave
// it out and the follower drops it; made unlisted, its object is served to whoever has
// its URL, addressed to no one, and the follower still does not list it;
// made public again, the follower lists it again.
func TestPrivacyFederation(t *testing.T) {
	t.Parallel()
	a, b := followingPair(t)
	v := a.publishVideo(t, testmedia.Clip{Width: 160, Height: 90, Seconds: 1})
	listed := func() bool {
		var list struct{ Total int }
		getJSON(t, b.base+"/api/v1/videos", &list)
		return list.Total == 1
	}
	waitFor(t, listed)
	ap := map[string]string{"Accept": "application/activity+json"}
	ct := map[string]string{"Content-Type": "application/json"}
	setPrivacy := func(p int) {
		t.Helper()
		body := `{"privacy":` + string(rune('0'+p)) + `}`
		if resp, b := a.request(t, http.MethodPut, "/api/v1/videos/"+v.UUID, a.token, strings.NewReader(body), ct); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("privacy %d: %s %s", p, resp.Status, b)
		}
	}
	outboxItems := func() int {
		t.Helper()
		resp, body := a.request(t, http.MethodGet, "/accounts/peertube/outbox?page=1", "", nil, ap)
		var page struct{ OrderedItems []json.RawMessage }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("outbox: %s %s", resp.Status, body)
		}
		return len(page.OrderedItems)
	}

	// NodeInfo counts what other instances can see.
	localPosts := func() int {
		t.Helper()
		var doc struct{ Usage struct{ LocalPosts int } }
		getJSON(t, a.base+"/nodeinfo/2.0.json", &doc)
		return doc.Usage.LocalPosts
	}
	if n := localPosts(); n != 1 {
		t.Errorf("NodeInfo counts %d local posts with one public video", n)
	}

	setPrivacy(3) // private
	waitFor(t, func() bool { return !listed() })
	if n := localPosts(); n != 0 {
		t.Errorf("NodeInfo counts %d local posts with the only video private", n)
	}
	if resp, body := a.request(t, http.MethodGet, "/videos/watch/"+v.UUID, "", nil, ap); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a private video's object: %s %s", resp.Status, body)
	}
	if n := outboxItems(); n != 0 {
		t.Errorf("the outbox holds %d items with the only video private", n)
	}

	setPrivacy(2) // unlisted
	resp, body := a.request(t, http.MethodGet, "/videos/watch/"+v.UUID, "", nil, ap)
	var obj struct{ To, CC []string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &obj) != nil || len(obj.To)+len(obj.CC) != 0 {
		t.Errorf("an unlisted video's object: %s %s", resp.Status, body)
	}
	if n := outboxItems(); n != 0 {
		t.Errorf("the outbox holds %d items with the only video unlisted", n)
	}

	setPrivacy(1) // public again
	waitFor(t, listed)
	if n := outboxItems(); n != 1 {
		t.Errorf("the outbox holds %d items with the video public again", n)
	}
}
