package activitypub

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/origin"
)

// TestActorDocuments: the instance actor, the account and the channel
// are served in PeerTube's shape, readable by the actor reader, with an
// SPKI key that stays the same across restarts; browsers are sent home.
func TestActorDocuments(t *testing.T) {
	t.Parallel()
	n := startAPNode(t, apNodeOptions{})
	for _, c := range []struct {
		path, typ, name string
	}{
		{"/accounts/peertube", "Application", "peertube"},
		{"/accounts/root", "Person", "root"},
		{"/video-channels/root_channel", "Group", "root_channel"},
	} {
		var doc map[string]any
		h := getAP(t, n.base+c.path, &doc)
		if ct := h.Get("Content-Type"); ct != "application/activity+json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", c.path, ct)
		}
		raw, _ := json.Marshal(doc)
		a, err := ParseActor(raw)
		if err != nil {
			t.Fatalf("%s: %v in %s", c.path, err, raw)
		}
		id := n.base + c.path
		if a.Type != c.typ || a.ID != id || a.PreferredUsername != c.name || a.Inbox != id+"/inbox" || a.Outbox != id+"/outbox" ||
			a.Followers != id+"/followers" || a.Following != id+"/following" || a.Endpoints.SharedInbox != n.base+"/inbox" ||
			a.PublicKey.ID != id+"#main-key" || a.PublicKey.Owner != id || !strings.HasPrefix(a.PublicKey.PublicKeyPem, "-----BEGIN PUBLIC KEY-----") ||
			a.Published == "" || doc["url"] != id {
			t.Errorf("%s: %s", c.path, raw)
		}
		if c.typ == "Group" {
			var at []attribution
			b, _ := json.Marshal(doc["attributedTo"])
			if err := json.Unmarshal(b, &at); err != nil || len(at) != 1 || at[0] != (attribution{Type: "Person", ID: n.base + "/accounts/root"}) {
				t.Errorf("channel attributedTo %s", b)
			}
		}
		pub, err := ParsePublicKeyPEM(a.PublicKey.PublicKeyPem)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := n.actors.PrivateKey(a.PublicKey.ID)
		if err != nil || !priv.PublicKey.Equal(pub) {
			t.Errorf("%s: private key %v does not match the published one", c.path, err)
		}
		// Another start on the same catalogue reads the same key.
		again, err := NewActors(testDirectory{}, NewKeyStore(n.actors.keys.store), n.urls, time.Now()).PrivateKey(a.PublicKey.ID)
		if err != nil || !again.Equal(priv) {
			t.Errorf("%s: key not kept: %v", c.path, err)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{
		"/accounts/peertube": http.StatusFound, "/accounts/nobody": http.StatusNotFound,
		"/video-channels/nothing": http.StatusNotFound, "/accounts/peertube/elsewhere": http.StatusNotFound,
	} {
		req, _ := http.NewRequest(http.MethodGet, n.base+path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || (want == http.StatusFound && resp.Header.Get("Location") != n.base+"/") {
			t.Errorf("browser GET %s: %s to %q, want %d", path, resp.Status, resp.Header.Get("Location"), want)
		}
	}
}

// TestWebFingerAndHostMeta: WebFinger names the actors by acct: or URL,
// with the self link PeerTube follows; host-meta points at it.
func TestWebFingerAndHostMeta(t *testing.T) {
	t.Parallel()
	n := startAPNode(t, apNodeOptions{})
	host := n.urls.Host()
	for _, c := range []struct {
		resource string
		status   int
		actor    string
	}{
		{"acct:peertube@" + host, 200, n.base + "/accounts/peertube"},
		{"acct:root@" + host, 200, n.base + "/accounts/root"},
		{"acct:root_channel@" + host, 200, n.base + "/video-channels/root_channel"},
		{n.base + "/accounts/peertube", 200, n.base + "/accounts/peertube"},
		{n.base + "/video-channels/root_channel", 200, n.base + "/video-channels/root_channel"},
		{"acct:nobody@" + host, 404, ""},
		{"acct:peertube@elsewhere.example", 404, ""},
		{"https://elsewhere.example/accounts/peertube", 404, ""},
		{"acct:peertube", 400, ""},
		{"acct:@" + host, 400, ""},
		{"", 400, ""},
		{"mailto:x@y", 400, ""},
	} {
		resp, err := http.Get(n.urls.WebFinger() + "?resource=" + strings.ReplaceAll(c.resource, "@", "%40"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%q: %s, want %d: %s", c.resource, resp.Status, c.status, body)
			continue
		}
		if c.status != 200 {
			continue
		}
		var doc jrd
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		name := c.actor[strings.LastIndex(c.actor, "/")+1:]
		if doc.Subject != "acct:"+name+"@"+host || len(doc.Links) != 1 || doc.Links[0].Rel != "self" ||
			doc.Links[0].Type != "application/activity+json" || doc.Links[0].Href != c.actor ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jrd+json") {
			t.Errorf("%q: %s", c.resource, body)
		}
	}
	// What a follower does: resolve the instance actor of a host.
	got, err := NewFetcher(true).ResolveInstanceActor(context.Background(), "http", host)
	if err != nil || got != n.base+"/accounts/peertube" {
		t.Errorf("ResolveInstanceActor: %q, %v", got, err)
	}
	resp, err := http.Get(n.base + "/.well-known/host-meta")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var xrd struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Links   []struct {
			Rel      string `xml:"rel,attr"`
			Type     string `xml:"type,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&xrd); err != nil {
		t.Fatal(err)
	}
	if len(xrd.Links) != 1 || xrd.Links[0].Rel != "lrdd" || xrd.Links[0].Template != n.urls.WebFinger()+"?resource={uri}" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xrd+xml") {
		t.Errorf("host-meta: %+v, %s", xrd, resp.Header.Get("Content-Type"))
	}
}

// TestInboxRefusesAndFollows: every POST that is not signed by the
// activity's actor, or is stale, tampered with or replayed, is refused
// and changes nothing; a signed Follow is accepted, its Accept reaches
// the follower's own inbox signed by the instance actor, and Undo ends it.
func TestInboxRefusesAndFollows(t *testing.T) {
	t.Parallel()
	n := startAPNode(t, apNodeOptions{})
	alice, bob := newTestActor(t, "alice"), newTestActor(t, "bob")
	forger, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	inst := n.actors.InstanceURL()
	now := time.Now()
	follow := func(id string) []byte { return followJSON(alice.id+"/follows/"+id, alice.id, inst) }
	otherDigest := func(r *http.Request) {
		sum := sha256.Sum256([]byte("another body"))
		r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	const ct = "application/activity+json"
	for _, c := range []struct {
		name        string
		contentType string
		body        []byte
		keyID       string
		key         any
		date        time.Time
		edit        func(*http.Request)
		status      int
	}{
		{"unsigned", ct, follow("1"), "", nil, now, nil, 401},
		{"forged: another key under alice's key id", ct, follow("2"), alice.keyID(), forger, now, nil, 401},
		{"digest of another body", ct, follow("3"), alice.keyID(), alice.key, now, otherDigest, 401},
		{"stale Date", ct, follow("4"), alice.keyID(), alice.key, now.Add(-time.Hour), nil, 401},
		{"Date from the future", ct, follow("5"), alice.keyID(), alice.key, now.Add(time.Hour), nil, 401},
		{"signed by bob, actor alice", ct, follow("6"), bob.keyID(), bob.key, now, nil, 401},
		{"wrong content type", "text/plain", follow("7"), alice.keyID(), alice.key, now, nil, 415},
	} {
		var status int
		var body []byte
		if c.key == nil {
			status, body = post(t, n.base+"/inbox", c.contentType, c.body, "", nil, c.date, c.edit)
		} else {
			status, body = post(t, n.base+"/inbox", c.contentType, c.body, c.keyID, c.key.(*rsa.PrivateKey), c.date, c.edit)
		}
		if status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, status, c.status, body)
		}
		if !strings.Contains(string(body), `"status":`) {
			t.Errorf("%s: no problem body: %s", c.name, body)
		}
	}
	// A body announced too large is refused before it is read (the
	// answer comes while a client would still be sending: raw TCP).
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(conn, "POST /inbox HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", strings.TrimPrefix(n.base, "http://"), ct, MaxInboxBytes+1)
	// The server reads the body's first bytes before the handler runs.
	_, _ = conn.Write(make([]byte, 64<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %v, %v", resp, err)
	}
	conn.Close()
	assertNoFollowers := func(when string) {
		t.Helper()
		if rs, err := n.follows.Followers(context.Background(), ""); err != nil || len(rs) != 0 {
			t.Fatalf("%s: followers %+v, %v", when, rs, err)
		}
		if got := n.inbox.Processed(); got != 0 {
			t.Fatalf("%s: %d activities processed", when, got)
		}
		select {
		case r := <-alice.got:
			t.Fatalf("%s: alice got %s", when, r.body)
		default:
		}
	}
	assertNoFollowers("after the refusals")

	good := follow("good")
	if status, body := post(t, n.base+"/accounts/peertube/inbox", ct, good, alice.keyID(), alice.key, time.Now(), nil); status != http.StatusNoContent {
		t.Fatalf("signed Follow: %d %s", status, body)
	}
	got := alice.next(t)
	if got.err != nil || got.signer != inst || got.path != "/alice/inbox" {
		t.Fatalf("Accept at %s signed by %q: %v", got.path, got.signer, got.err)
	}
	acc, err := ParseActivity(got.body)
	if err != nil || acc.Type != TypeAccept || acc.Actor.ID != inst || acc.Object.ID != alice.id+"/follows/good" {
		t.Fatalf("Accept %s: %v", got.body, err)
	}
	rs, err := n.follows.Followers(context.Background(), inst)
	if err != nil || len(rs) != 1 || rs[0].State != StateAccepted || rs[0].Remote != alice.id || rs[0].Inbox != alice.id+"/inbox" ||
		rs[0].SharedInbox != alice.srv.URL+"/inbox" || rs[0].Name != "alice" || rs[0].ActivityID != alice.id+"/follows/good" {
		t.Fatalf("followers %+v, %v", rs, err)
	}
	var coll struct {
		TotalItems   int
		First        string
		OrderedItems []string
	}
	getAP(t, inst+"/followers", &coll)
	if coll.TotalItems != 1 || coll.First != inst+"/followers?page=1" {
		t.Errorf("followers collection %+v", coll)
	}
	getAP(t, coll.First, &coll)
	if len(coll.OrderedItems) != 1 || coll.OrderedItems[0] != alice.id {
		t.Errorf("followers page %+v", coll)
	}

	// The same Follow again, freshly signed: refused, nothing handled.
	waitFor(t, "the Follow to be counted", func() bool { return n.inbox.Processed() == 1 })
	before := n.inbox.Processed()
	if status, _ := post(t, n.base+"/inbox", ct, good, alice.keyID(), alice.key, time.Now(), nil); status != http.StatusUnauthorized {
		t.Errorf("replayed Follow: %d, want 401", status)
	}
	if n.inbox.Processed() != before {
		t.Errorf("replay was processed")
	}

	undo, _ := json.Marshal(map[string]any{"type": "Undo", "id": alice.id + "/follows/good/undo", "actor": alice.id,
		"object": json.RawMessage(good)})
	if status, body := post(t, n.base+"/inbox", ct, undo, alice.keyID(), alice.key, time.Now(), nil); status != http.StatusNoContent {
		t.Fatalf("Undo: %d %s", status, body)
	}
	waitFor(t, "the Undo to be handled", func() bool { return n.inbox.Processed() == before+1 })
	if rs, err := n.follows.Followers(context.Background(), ""); err != nil || len(rs) != 0 {
		t.Fatalf("after Undo: %+v, %v", rs, err)
	}
}

// TestManualApproval: with manual approval a follower waits, gets no
// Accept until the admin accepts it, then gets one.
func TestManualApproval(t *testing.T) {
	t.Parallel()
	n := startAPNode(t, apNodeOptions{manual: true})
	carol := newTestActor(t, "carol")
	inst := n.actors.InstanceURL()
	if status, body := post(t, n.base+"/inbox", "application/activity+json", followJSON(carol.id+"/follows/1", carol.id, inst),
		carol.keyID(), carol.key, time.Now(), nil); status != http.StatusNoContent {
		t.Fatalf("Follow: %d %s", status, body)
	}
	waitFor(t, "the Follow to be handled", func() bool { return n.inbox.Processed() == 1 })
	rs, err := n.follows.Followers(context.Background(), inst)
	if err != nil || len(rs) != 1 || rs[0].State != StatePending {
		t.Fatalf("followers %+v, %v", rs, err)
	}
	select {
	case r := <-carol.got:
		t.Fatalf("a pending follower got %s", r.body)
	default:
	}
	if err := n.follows.Decide(context.Background(), "carol@"+strings.TrimPrefix(carol.srv.URL, "http://"), true); err != nil {
		t.Fatal(err)
	}
	got := carol.next(t)
	if act, err := ParseActivity(got.body); err != nil || act.Type != TypeAccept || got.err != nil {
		t.Fatalf("after approval: %s, %v, %v", got.body, err, got.err)
	}
	if err := n.follows.Decide(context.Background(), "nobody@elsewhere", true); !noSuchObject(err) {
		t.Errorf("deciding on a stranger: %v", err)
	}
}

// pagedVideos publishes n uuids.
type pagedVideos []string

func (p pagedVideos) VideoObject(context.Context, string) (json.RawMessage, error) {
	return nil, ErrNoSuchObject
}
func (p pagedVideos) PublishedUUIDs(context.Context) ([]string, error) { return p, nil }

// TestOutboxPaging: the outbox is PeerTube's paged OrderedCollection of
// Announces of the published videos, oldest first, 10 a page.
func TestOutboxPaging(t *testing.T) {
	t.Parallel()
	var uuids pagedVideos
	for i := range 23 {
		uuids = append(uuids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	n := startAPNode(t, apNodeOptions{local: uuids})
	for _, actor := range []string{n.base + "/accounts/peertube", n.base + "/video-channels/root_channel"} {
		outbox := actor + "/outbox"
		var head struct {
			ID, Type, First string
			TotalItems      int
		}
		getAP(t, outbox, &head)
		if head.ID != outbox || head.Type != "OrderedCollection" || head.TotalItems != 23 || head.First != outbox+"?page=1" {
			t.Fatalf("outbox %+v", head)
		}
		var seen []string
		next, pages := head.First, 0
		for next != "" {
			var page struct {
				ID, Type, PartOf, Next string
				TotalItems             int
				OrderedItems           []json.RawMessage
			}
			getAP(t, next, &page)
			if page.Type != "OrderedCollectionPage" || page.PartOf != outbox || page.ID != next || page.TotalItems != 23 || len(page.OrderedItems) > CollectionPageSize {
				t.Fatalf("page %s: %+v", next, page)
			}
			for _, it := range page.OrderedItems {
				a, err := ParseActivity(it)
				if err != nil || a.Type != TypeAnnounce || a.Actor.ID != actor || !a.To.Has(Public) || !a.CC.Has(actor+"/followers") {
					t.Fatalf("item %s: %v", it, err)
				}
				seen = append(seen, a.Object.ID)
			}
			next = page.Next
			pages++
		}
		if pages != 3 || len(seen) != 23 || seen[0] != n.urls.VideoObject(uuids[0]) || seen[22] != n.urls.VideoObject(uuids[22]) {
			t.Fatalf("%d pages, %d items: %v", pages, len(seen), seen)
		}
	}
	resp, err := http.Get(n.base + "/accounts/peertube/outbox?page=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("page=0: %s", resp.Status)
	}
}

// TestFollowsPersist: the follow state is the catalogue's, not memory's.
func TestFollowsPersist(t *testing.T) {
	t.Parallel()
	cat, err := origin.OpenCatalog(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	s := followStore{store: cat.KV("f")}
	r, err := s.update(followingKey("a.example"), func(r *FollowRecord, existed bool) bool {
		*r = FollowRecord{Remote: "https://a.example/accounts/peertube", State: StatePending}
		return !existed
	})
	if err != nil || r.ID != 1 {
		t.Fatalf("%+v, %v", r, err)
	}
	rs, err := (&followStore{store: cat.KV("f")}).list(context.Background(), followingPrefix, nil)
	if err != nil || len(rs) != 1 || rs[0].Remote != r.Remote {
		t.Fatalf("%+v, %v", rs, err)
	}
}
