package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// oneVideo is a local video store with one published video.
type oneVideo struct{ id, account string }

const testUUID = "11111111-2222-4333-8444-555555555555"

func (o oneVideo) VideoObject(_ context.Context, uuid string) (json.RawMessage, error) {
	if uuid != testUUID {
		return nil, ErrNoSuchObject
	}
	return json.RawMessage(`{"@context":["https://www.w3.org/ns/activitystreams"],"to":["` + Public + `"],` + videoFields(o.id, testUUID, o.account) + `}`), nil
}

// videoFields are the members of the least Video object ParseVideo takes.
func videoFields(id, uuid, account string) string {
	return fmt.Sprintf(`"type":"Video","id":%q,"uuid":%q,"name":"a video","duration":"PT3S",`+
		`"published":"2026-12-01T10:00:00.000Z","updated":"2026-12-01T10:00:00.000Z","attributedTo":[%q]`, id, uuid, account)
}

func (o oneVideo) PublishedUUIDs(context.Context) ([]string, error) { return []string{testUUID}, nil }

// TestFanOut: a published, updated and deleted video reaches an accepted
// follower's shared inbox as Create (from the account) and Announce (from
// the instance actor), Update and Delete, each signed by its actor.
func TestFanOut(t *testing.T) {
	t.Parallel()
	n := startAPNode(t, apNodeOptions{})
	dave := newTestActor(t, "dave")
	inst := n.actors.InstanceURL()
	if status, body := post(t, n.base+"/inbox", "application/activity+json", followJSON(dave.id+"/follows/1", dave.id, inst),
		dave.keyID(), dave.key, time.Now(), nil); status != http.StatusNoContent {
		t.Fatalf("Follow: %d %s", status, body)
	}
	if got := dave.next(t); got.path != "/dave/inbox" {
		t.Fatalf("Accept at %s", got.path)
	}
	local := oneVideo{id: n.urls.VideoObject(testUUID), account: n.base + "/accounts/root"}
	fd := NewFederator(n.actors, n.follows, local, directDeliverer{n.actors, NewFetcher(true).Client()}, "root")
	account := n.base + "/accounts/root"
	video := n.urls.VideoObject(testUUID)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		send func(context.Context, string) error
		want []string // type actor object, sorted
	}{
		{"publish", fd.VideoPublished, []string{"Announce " + inst + " " + video, "Create " + account + " " + video}},
		{"update", fd.VideoUpdated, []string{"Update " + account + " " + video}},
		{"delete", fd.VideoDeleted, []string{"Delete " + account + " " + video}},
	} {
		if err := c.send(ctx, testUUID); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for range c.want {
			r := dave.next(t)
			a, err := ParseActivity(r.body)
			if err != nil || r.err != nil || r.signer != a.Actor.ID || r.path != "/inbox" || !a.To.Has(Public) {
				t.Fatalf("%s: %s at %s signed by %q: %v %v", c.name, r.body, r.path, r.signer, err, r.err)
			}
			if a.Type == TypeCreate || a.Type == TypeUpdate {
				if v, err := ParseVideo(a.Object.Raw); err != nil || v.ID != video {
					t.Errorf("%s: embedded object %s: %v", c.name, a.Object.Raw, err)
				}
			}
			got = append(got, a.Type+" "+a.Actor.ID+" "+a.Object.ID)
		}
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if err := fd.VideoPublished(ctx, "99999999-2222-4333-8444-555555555555"); !noSuchObject(err) {
		t.Errorf("publishing an unknown video: %v", err)
	}
}

// recordedVideos records what the inbox hands the remote videos' keeper.
type recordedVideos struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordedVideos) add(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
	return nil
}
func (r *recordedVideos) Upsert(_ context.Context, v *Video, _ []byte) error {
	return r.add("upsert " + v.ID)
}
func (r *recordedVideos) Fetch(_ context.Context, id string) error     { return r.add("fetch " + id) }
func (r *recordedVideos) Delete(_ context.Context, id string) error    { return r.add("delete " + id) }
func (r *recordedVideos) Crawl(_ context.Context, o string) error      { return r.add("crawl " + o) }
func (r *recordedVideos) ForgetHost(_ context.Context, h string) error { return r.add("forget " + h) }
func (r *recordedVideos) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// TestInboxVideos: of a followed host, the inbox takes the Accept of the
// node's Follow (and crawls the outbox), Create/Update of its own videos,
// Announce and Delete; a video on another host, or anything from a host
// not followed, is left alone.
func TestInboxVideos(t *testing.T) {
	t.Parallel()
	remote := &recordedVideos{}
	n := startAPNode(t, apNodeOptions{remote: remote})
	erin, frank := newTestActor(t, "erin"), newTestActor(t, "frank")
	host := strings.TrimPrefix(erin.srv.URL, "http://")
	inst := n.actors.InstanceURL()
	if _, err := n.follows.store.update(followingKey(host), func(r *FollowRecord, _ bool) bool {
		*r = FollowRecord{Local: inst, Remote: erin.id, Host: host, Inbox: erin.id + "/inbox", Outbox: erin.id + "/outbox", State: StatePending, ActivityID: inst + "/follows/x"}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	video := func(id string) json.RawMessage {
		return json.RawMessage(`{` + videoFields(id, testUUID, erin.id) + `}`)
	}
	elsewhere := "https://elsewhere.example/videos/watch/1"
	send := func(ra *testActor, typ, id string, object any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"type": typ, "id": ra.id + "/activities/" + id, "actor": ra.id, "object": object})
		if status, body := post(t, n.base+"/inbox", "application/activity+json", b, ra.keyID(), ra.key, time.Now(), nil); status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", typ, status, body)
		}
	}
	send(erin, "Create", "early", video(erin.srv.URL+"/videos/watch/0")) // before the follow is accepted: left alone
	send(erin, "Accept", "1", map[string]any{"type": "Follow", "id": inst + "/follows/x", "actor": inst, "object": erin.id})
	waitFor(t, "the Accept", func() bool { return n.follows.FollowsHost(host) })
	send(erin, "Create", "2", video(erin.srv.URL+"/videos/watch/1"))
	send(erin, "Update", "3", video(erin.srv.URL+"/videos/watch/1"))
	send(erin, "Create", "4", video(elsewhere))
	send(erin, "Announce", "5", erin.srv.URL+"/videos/watch/2")
	send(erin, "Delete", "6", erin.srv.URL+"/videos/watch/1")
	send(erin, "Delete", "7", elsewhere)
	send(erin, "Like", "8", erin.srv.URL+"/videos/watch/1")
	send(frank, "Create", "9", video(frank.srv.URL+"/videos/watch/1"))
	waitFor(t, "every activity to be handled", func() bool { return n.inbox.Processed() == 10 })
	want := []string{
		"crawl " + erin.id + "/outbox",
		"upsert " + erin.srv.URL + "/videos/watch/1",
		"upsert " + erin.srv.URL + "/videos/watch/1",
		"fetch " + erin.srv.URL + "/videos/watch/2",
		"delete " + erin.srv.URL + "/videos/watch/1",
	}
	waitFor(t, "the crawl", func() bool { return len(remote.list()) >= len(want) })
	got := remote.list()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("remote videos got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
