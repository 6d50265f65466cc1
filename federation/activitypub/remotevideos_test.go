package activitypub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

const seedUUID = "8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c"

// remoteInstance is a loopback "PeerTube": it serves the documents put
// in it as ActivityPub JSON and counts the requests per path.
type remoteInstance struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string]string
	hits  map[string]int
	video string // the seed Video object, on this host
}

func newRemoteInstance(t *testing.T) *remoteInstance {
	t.Helper()
	ri := &remoteInstance{docs: map[string]string{}, hits: map[string]int{}}
	ri.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri.mu.Lock()
		doc, ok := ri.docs[r.URL.RequestURI()]
		ri.hits[r.URL.RequestURI()]++
		ri.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
		io.WriteString(w, doc)
	}))
	t.Cleanup(ri.Close)
	a, err := ParseActivity(readSeed(t, "create-video.json"))
	if err != nil {
		t.Fatal(err)
	}
	ri.video = strings.ReplaceAll(string(a.Object.Raw), "https://pt.example", ri.URL)
	for _, actor := range []struct{ path, typ, name, display string }{
		{"/accounts/alice", "Person", "alice", "Alice"},
		{"/video-channels/alice_channel", "Group", "alice_channel", "Alice's channel"},
	} {
		ri.put(actor.path, fmt.Sprintf(`{"type":%q,"id":"%s%s","preferredUsername":%q,"name":%q,"inbox":"%s%s/inbox",`+
			`"publicKey":{"id":"%s%s#main-key","owner":"%s%s","publicKeyPem":"-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"}}`,
			actor.typ, ri.URL, actor.path, actor.name, actor.display, ri.URL, actor.path, ri.URL, actor.path, ri.URL, actor.path))
	}
	return ri
}

func (ri *remoteInstance) put(path, doc string) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	ri.docs[path] = doc
}

func (ri *remoteInstance) hitsOf(path string) int {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return ri.hits[path]
}

// videoDoc is the seed video renamed to uuid n, with the given name and
// updated date, served at its id's path; it returns the id.
func (ri *remoteInstance) videoDoc(n int, name, updated string) (id, doc string) {
	uuid := fmt.Sprintf("%08d-2b7d-4c1e-9a0b-5d6e7f8a9b0c", n)
	doc = strings.ReplaceAll(ri.video, seedUUID, uuid)
	doc = strings.Replace(doc, `"name":"A test video"`, fmt.Sprintf("%q:%q", "name", name), 1)
	doc = strings.Replace(doc, `"updated":"2026-11-30T10:05:00.000Z"`, `"updated":"`+updated+`"`, 1)
	id = ri.URL + "/videos/watch/" + uuid
	ri.put("/videos/watch/"+uuid, doc)
	return id, doc
}

type hostBlocklist struct{ hosts atomic.Value }

func (b *hostBlocklist) Blocked(host string) bool {
	h, _ := b.hosts.Load().(string)
	return h == host
}

func newTestIndex(t *testing.T, cfg RemoteVideosConfig) (*RemoteVideoIndex, *origin.Catalog) {
	t.Helper()
	c, err := origin.OpenCatalog(t.TempDir(), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg.Store, cfg.Fetcher, cfg.Logger = c, NewFetcher(true), slog.New(slog.DiscardHandler)
	idx, err := NewRemoteVideos(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return idx, c
}

// TestRemoteVideosFetchUpdateDelete: a video fetched from its instance is
// kept with its files, swarm hashes and the names of its account and
// channel (each actor fetched once); newer updates replace it, older ones
// are ignored; Delete and ForgetHost remove it.
func TestRemoteVideosFetchUpdateDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ri := newRemoteInstance(t)
	idx, c := newTestIndex(t, RemoteVideosConfig{})

	id, _ := ri.videoDoc(1, "first video", "2026-11-30T10:05:00.000Z")
	if err := idx.Fetch(ctx, id); err != nil {
		t.Fatal(err)
	}
	rv, err := c.RemoteVideo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(ri.URL, "http://")
	hlsDir := ri.URL + "/static/streaming-playlists/hls/00000001-2b7d-4c1e-9a0b-5d6e7f8a9b0c/"
	if rv.Host != host || rv.Name != "first video" || rv.Duration != 123 || rv.Description != "Made for the reader's tests." ||
		rv.Master != hlsDir+"5e6f-master.m3u8" || rv.SegmentsSHA256 != hlsDir+"5e6f-segments-sha256.json" ||
		rv.Thumbnail != ri.URL+"/lazy-static/thumbnails/0b1c.jpg" || len(rv.Infohashes) != 1 {
		t.Errorf("kept %+v", rv)
	}
	if len(rv.Files) != 1 || rv.Files[0].URL != hlsDir+"7a8b-720-fragmented.mp4" || rv.Files[0].Height != 720 || rv.Files[0].Size != 123456 ||
		rv.Files[0].TorrentURL != ri.URL+"/lazy-static/torrents/9c0d-720-hls.torrent" || !strings.HasPrefix(rv.Files[0].MagnetURI, "magnet:?") {
		t.Errorf("files %+v", rv.Files)
	}
	wantAccount := origin.RemoteActor{URL: ri.URL + "/accounts/alice", Name: "alice", DisplayName: "Alice", Host: host}
	wantChannel := origin.RemoteActor{URL: ri.URL + "/video-channels/alice_channel", Name: "alice_channel", DisplayName: "Alice's channel", Host: host}
	if rv.Account != wantAccount || rv.Channel != wantChannel {
		t.Errorf("account %+v channel %+v", rv.Account, rv.Channel)
	}

	// An update: newer replaces, older is ignored; the actors come from
	// the cache.
	_, doc := ri.videoDoc(1, "renamed video", "2026-12-01T10:00:00.000Z")
	v, err := ParseVideo([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Upsert(ctx, v, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	_, doc = ri.videoDoc(1, "stale name", "2026-11-01T10:00:00.000Z")
	v, _ = ParseVideo([]byte(doc))
	if err := idx.Upsert(ctx, v, []byte(doc)); err != nil {
		t.Fatalf("older update: %v", err)
	}
	if rv, _ := c.RemoteVideo(ctx, id); rv.Name != "renamed video" || rv.ID == 0 {
		t.Errorf("after updates: %+v", rv)
	}
	if n := ri.hitsOf("/accounts/alice"); n != 1 {
		t.Errorf("account fetched %d times", n)
	}

	if err := idx.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoteVideo(ctx, id); !errors.Is(err, origin.ErrNotFound) {
		t.Errorf("deleted video: %v", err)
	}
	if err := idx.Delete(ctx, id); err != nil {
		t.Errorf("deleting twice: %v", err)
	}

	id2, _ := ri.videoDoc(2, "second video", "2026-11-30T10:05:00.000Z")
	if err := idx.Fetch(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if err := idx.ForgetHost(ctx, host); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := c.RemoteVideos(ctx, 0, 10); total != 0 {
		t.Errorf("%d videos after ForgetHost", total)
	}
}

// TestRemoteVideosRefusals: what is not kept, and why.
func TestRemoteVideosRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ri := newRemoteInstance(t)
	blocked := &hostBlocklist{}
	idx, c := newTestIndex(t, RemoteVideosConfig{Blocklist: blocked})
	_, good := ri.videoDoc(1, "good video", "2026-11-30T10:05:00.000Z")

	serve := func(path, doc string) string { ri.put(path, doc); return ri.URL + path }
	// variant serves video n with old replaced by new.
	variant := func(n int, old, new string) string {
		id, doc := ri.videoDoc(n, "variant", "2026-11-30T10:05:00.000Z")
		return serve(strings.TrimPrefix(id, ri.URL), strings.Replace(doc, old, new, 1))
	}
	cases := []struct {
		name string
		url  string
		want error
	}{
		{"id on another host", serve("/foreign", strings.Replace(good, `"id":"`+ri.URL+`/videos/watch/`, `"id":"https://other.example/videos/watch/`, 1)), ErrForeignID},
		{"oversized", serve("/big", strings.Replace(good, `"support":null`, `"support":"`+strings.Repeat("x", MaxObjectBytes)+`"`, 1)), ErrTooLarge},
		{"account on another host", variant(5, ri.URL+"/accounts/alice", "https://other.example/accounts/alice"), ErrInvalid},
		{"no HLS", variant(6, "application/x-mpegURL", "application/dash+xml"), ErrNoHLS},
		{"not a video", serve("/accounts/alice", ri.docs["/accounts/alice"]), ErrUnsupportedType},
		{"missing", ri.URL + "/nothing", ErrFetch},
	}
	for _, tc := range cases {
		if err := idx.Fetch(ctx, tc.url); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	blocked.hosts.Store(strings.TrimPrefix(ri.URL, "http://"))
	id, _ := ri.videoDoc(3, "from a blocked host", "2026-11-30T10:05:00.000Z")
	if err := idx.Fetch(ctx, id); !errors.Is(err, ErrBlockedHost) {
		t.Errorf("blocked host: %v", err)
	}
	if _, total, _ := c.RemoteVideos(ctx, 0, 10); total != 0 {
		t.Errorf("%d videos kept from refusals", total)
	}

	// The fetcher without allowPrivate refuses the loopback instance.
	strict, err := NewRemoteVideos(RemoteVideosConfig{Store: c, Fetcher: NewFetcher(false)})
	if err != nil {
		t.Fatal(err)
	}
	id, _ = ri.videoDoc(4, "on loopback", "2026-11-30T10:05:00.000Z")
	if err := strict.Fetch(ctx, id); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("loopback without allowPrivate: %v", err)
	}
}

// TestRemoteVideosCrawl: an outbox's pages are followed (on its own host
// only, within the bounds) and the videos of its Announce and Create
// activities kept.
func TestRemoteVideosCrawl(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ri := newRemoteInstance(t)
	id1, _ := ri.videoDoc(1, "announced video", "2026-11-30T10:05:00.000Z")
	_, doc2 := ri.videoDoc(2, "created video", "2026-11-30T10:05:00.000Z")
	id3, _ := ri.videoDoc(3, "on page two", "2026-11-30T10:05:00.000Z")
	id4, _ := ri.videoDoc(4, "beyond a foreign page", "2026-11-30T10:05:00.000Z")
	announce := func(n int, object string) string {
		return fmt.Sprintf(`{"type":"Announce","id":"%s/videos/watch/%d/announces/1","actor":"%s/accounts/peertube","object":%q}`, ri.URL, n, ri.URL, object)
	}
	outbox := ri.URL + "/accounts/peertube/outbox"
	ri.put("/accounts/peertube/outbox", `{"type":"OrderedCollection","id":"`+outbox+`","totalItems":5,"first":"`+outbox+`?page=1"}`)
	ri.put("/accounts/peertube/outbox?page=1", `{"type":"OrderedCollectionPage","id":"`+outbox+`?page=1","next":"`+outbox+`?page=2","orderedItems":[`+
		announce(1, id1)+`,{"type":"Create","id":"`+ri.URL+`/c/2","actor":"`+ri.URL+`/accounts/alice","object":`+doc2+`},`+
		`{"type":"Follow","id":"`+ri.URL+`/f/1","actor":"`+ri.URL+`/accounts/alice","object":"https://x.example/a"},`+
		announce(9, ri.URL+"/videos/watch/missing")+`]}`)
	ri.put("/accounts/peertube/outbox?page=2", `{"type":"OrderedCollectionPage","id":"`+outbox+`?page=2","next":"https://other.example/outbox?page=3","orderedItems":[`+
		announce(3, id3)+`]}`)
	ri.put("/outbox-page-foreign", announce(4, id4)) // never reached

	idx, c := newTestIndex(t, RemoteVideosConfig{})
	if err := idx.Crawl(ctx, outbox); err != nil {
		t.Fatal(err)
	}
	list, total, err := c.RemoteVideos(ctx, 0, 10)
	if err != nil || total != 3 {
		t.Fatalf("crawled %d videos: %v", total, err)
	}
	got := map[string]bool{}
	for _, v := range list {
		got[v.Name] = true
	}
	if !got["announced video"] || !got["created video"] || !got["on page two"] {
		t.Errorf("crawled %v", got)
	}

	// Bounds: two items only.
	small, c2 := newTestIndex(t, RemoteVideosConfig{CrawlItems: 2})
	if err := small.Crawl(ctx, outbox); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := c2.RemoteVideos(ctx, 0, 10); total != 2 {
		t.Errorf("bounded crawl kept %d videos", total)
	}
	// An outbox that is not a collection is an error.
	if err := small.Crawl(ctx, id1); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("crawl of a video: %v", err)
	}
}

// TestLocalVideoObjectsUnpublished: only published videos have objects.
func TestLocalVideoObjectsUnpublished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := origin.OpenCatalog(t.TempDir(), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u, _ := layout.New("https://node.example")
	disk, _ := layout.NewDisk(t.TempDir())
	magnet := func(origin.Rendition, bool) string { t.Error("magnet of an unpublished video"); return "" }
	lv, err := NewLocalVideos(LocalVideosConfig{Catalog: c, URLs: u, Disk: disk, Magnet: magnet})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.CreateVideo(ctx, origin.Video{Name: "still transcoding"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{v.UUID, v.ShortUUID, "1", "00000000-0000-4000-8000-000000000000"} {
		if _, err := lv.VideoObject(ctx, ref); !errors.Is(err, ErrNoSuchObject) {
			t.Errorf("VideoObject(%s): %v", ref, err)
		}
	}
	if uuids, err := lv.PublishedUUIDs(ctx); err != nil || len(uuids) != 0 {
		t.Errorf("PublishedUUIDs = %v, %v", uuids, err)
	}
}

// TestRemoteVideosCrawlHundred: a follow's backlog of 100 videos in ten
// pages of Announces comes across whole; the time it takes on loopback
// is logged (the closing note asks for it).
func TestRemoteVideosCrawlHundred(t *testing.T) {
	t.Parallel()
	ri := newRemoteInstance(t)
	outbox := ri.URL + "/accounts/peertube/outbox"
	ri.put("/accounts/peertube/outbox", `{"type":"OrderedCollection","id":"`+outbox+`","totalItems":100,"first":"`+outbox+`?page=1"}`)
	for p := 1; p <= 10; p++ {
		var items []string
		for i := 1; i <= 10; i++ {
			n := (p-1)*10 + i
			id, _ := ri.videoDoc(n, fmt.Sprintf("video %d", n), "2026-11-30T10:05:00.000Z")
			items = append(items, fmt.Sprintf(`{"type":"Announce","id":"%s/announces/%d","actor":"%s/accounts/peertube","object":%q}`, ri.URL, n, ri.URL, id))
		}
		next := ""
		if p < 10 {
			next = fmt.Sprintf(`"next":"%s?page=%d",`, outbox, p+1)
		}
		ri.put(fmt.Sprintf("/accounts/peertube/outbox?page=%d", p), fmt.Sprintf(`{"type":"OrderedCollectionPage","id":"%s?page=%d",%s"orderedItems":[%s]}`,
			outbox, p, next, strings.Join(items, ",")))
	}
	idx, c := newTestIndex(t, RemoteVideosConfig{})
	start := time.Now()
	if err := idx.Crawl(context.Background(), outbox); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if _, total, err := c.RemoteVideos(context.Background(), 0, 1); err != nil || total != 100 {
		t.Fatalf("crawled %d videos: %v", total, err)
	}
	t.Logf("100 videos crawled in %v", took)
}

func TestFederatedName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a": "a……", "ab": "ab…", "abc": "abc", "été": "été"} {
		if got := federatedName(in); got != want {
			t.Errorf("federatedName(%q) = %q, want %q", in, got, want)
		}
		if _, err := ParseVideo([]byte(`{"type":"Video","id":"https://a.example/v/1","uuid":"8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c","name":"` + federatedName(in) +
			`","duration":"PT1S","published":"2026-11-30T10:00:00Z","updated":"2026-11-30T10:00:00Z","attributedTo":["https://a.example/accounts/a"]}`)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}
