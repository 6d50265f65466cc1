package node

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestVideoObject: a video published through the node is answered as a
// PeerTube Video object at its watch URL to ActivityPub clients (browsers
// still get the redirect); the object passes the strict reader, points
// at the node's files, and its Infohash tags are swarms the node's
// tracker admits.
func TestVideoObject(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	v := n.publishVideo(t, testmedia.Clip{Width: 320, Height: 240, Seconds: 4, Audio: true})
	watch := n.base + "/videos/watch/" + v.UUID

	get := func(t *testing.T, url, accept string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}

	// Content negotiation on the watch URL.
	var body []byte
	for _, tt := range []struct {
		accept string
		json   bool
	}{
		{"application/activity+json", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"text/html,application/xhtml+xml,*/*;q=0.8", false},
		{"", false},
	} {
		resp, b := get(t, watch, tt.accept)
		if resp.Header.Get("Vary") != "Accept" {
			t.Errorf("Accept %q: Vary %q", tt.accept, resp.Header.Get("Vary"))
		}
		if !tt.json {
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/w/"+v.ShortUUID {
				t.Errorf("Accept %q: %s to %q, want the redirect", tt.accept, resp.Status, resp.Header.Get("Location"))
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/activity+json; charset=utf-8" {
			t.Fatalf("Accept %q: %s %q: %s", tt.accept, resp.Status, resp.Header.Get("Content-Type"), b)
		}
		body = b
	}
	for _, ref := range []string{"00000000-0000-4000-8000-000000000000", v.ShortUUID, "nonsense"} {
		if resp, _ := get(t, n.base+"/videos/watch/"+ref, "application/activity+json"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("video object of %s: %s, want 404", ref, resp.Status)
		}
	}

	obj, err := activitypub.ParseVideo(body)
	if err != nil {
		t.Fatalf("ParseVideo: %v\n%s", err, body)
	}
	if obj.ID != watch || obj.UUID != v.UUID || obj.Name != v.Name || obj.Duration != "PT4S" || obj.State != 1 ||
		obj.Published == "" || !obj.DownloadEnabled || obj.Context == nil {
		t.Errorf("object %+v", obj)
	}
	if got := obj.AttributedTo.IDs(); !slices.Equal(got, []string{n.base + "/accounts/root", n.base + "/video-channels/root_channel"}) {
		t.Errorf("attributedTo %v", got)
	}
	if !obj.To.Has(activitypub.Public) || !obj.CC.Has(n.base+"/accounts/root/followers") {
		t.Errorf("audience to=%v cc=%v", obj.To.IDs(), obj.CC.IDs())
	}
	if len(obj.Icon) != 2 || obj.Icon[0].Width != 280 || obj.Icon[1].Width != 850 {
		t.Fatalf("icons %+v", obj.Icon)
	}
	for _, icon := range obj.Icon {
		if icon.MediaType != "image/jpeg" || *v.ThumbnailPath == "" {
			t.Errorf("icon %+v", icon)
		}
		if resp, b := get(t, icon.URL, ""); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || len(b) == 0 {
			t.Errorf("GET icon %s: %s %q", icon.URL, resp.Status, resp.Header.Get("Content-Type"))
		}
	}

	hls := obj.HLS()
	if hls == nil {
		t.Fatal("no HLS link")
	}
	sp := v.StreamingPlaylists[0]
	if hls.Href != sp.PlaylistURL || hls.Segments() != sp.SegmentsSha256URL {
		t.Errorf("HLS %s, sha256 %s; API %s, %s", hls.Href, hls.Segments(), sp.PlaylistURL, sp.SegmentsSha256URL)
	}
	var files, torrents, magnets []string
	for _, l := range hls.Tag {
		switch l.MediaType {
		case "video/mp4":
			if len(l.Attachment) != 1 || l.Attachment[0].Value != "fragmented" || l.Height != 240 || l.Width != 320 || l.Size <= 0 || l.FPS != 25 {
				t.Errorf("file link %+v", l)
			}
			files = append(files, l.Href)
		case "application/x-bittorrent":
			torrents = append(torrents, l.Href)
		case "application/x-bittorrent;x-scheme-handler/magnet":
			magnets = append(magnets, l.Href)
		}
	}
	f := sp.Files[0]
	if len(sp.Files) != 1 || !slices.Equal(files, []string{f.FileURL}) || !slices.Equal(torrents, []string{f.TorrentURL}) || !slices.Equal(magnets, []string{f.MagnetURI}) {
		t.Errorf("rung links %v %v %v; API %+v", files, torrents, magnets, sp.Files)
	}
	var trackers []string
	for _, l := range obj.URL {
		if slices.Contains(l.Rel, "tracker") {
			trackers = append(trackers, l.Name+" "+l.Href)
		}
	}
	wsBase := "ws" + strings.TrimPrefix(n.base, "http")
	if !slices.Equal(trackers, []string{"tracker-http " + n.base + "/tracker/announce", "tracker-websocket " + wsBase + "/tracker/socket"}) {
		t.Errorf("trackers %v", trackers)
	}

	// Two players' swarms per rung (the watch page's and PeerTube's
	// legacy one), each admitted by the tracker; a made-up hash is not.
	hashes := hls.Infohashes()
	if len(hashes) != 2 {
		t.Fatalf("infohashes %v", hashes)
	}
	for i, h := range append(hashes, strings.Repeat("ab", 20)) {
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != 20 {
			t.Fatalf("infohash %q", h)
		}
		src := netip.AddrFrom4([4]byte{127, 0, 3, byte(10 + i)})
		r := n.httpAnnounce(t, src, metainfo.Hash(raw), [20]byte{'-', 'T', 'T', byte(i)}, 6881, 0)
		if admitted := r.FailureReason == ""; admitted != (i < len(hashes)) {
			t.Errorf("hash %d %s: failure %q", i, h, r.FailureReason)
		}
	}

	// Its collections (PeerTube counts the likes and dislikes of a video
	// it takes and drops the video when it cannot): empty, paged like
	// the outbox; nothing for other sub-paths, other videos or methods.
	for _, c := range []struct{ url, want string }{{obj.Likes, "likes"}, {obj.Dislikes, "dislikes"}, {obj.Shares, "announces"}, {obj.Comments, "comments"}} {
		if c.url != watch+"/"+c.want {
			t.Errorf("collection %q, want %s/%s", c.url, watch, c.want)
			continue
		}
		var head struct {
			ID, Type, First string
			TotalItems      *int
		}
		getJSON(t, c.url, &head)
		if head.ID != c.url || head.Type != "OrderedCollection" || head.TotalItems == nil || *head.TotalItems != 0 || head.First != c.url+"?page=1" {
			t.Errorf("%s: %+v", c.url, head)
		}
		var page struct {
			Type, PartOf string
			OrderedItems []any
		}
		getJSON(t, head.First, &page)
		if page.Type != "OrderedCollectionPage" || page.PartOf != c.url || page.OrderedItems == nil || len(page.OrderedItems) != 0 {
			t.Errorf("%s: %+v", head.First, page)
		}
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/videos/watch/00000000-0000-4000-8000-000000000000/likes", http.StatusNotFound},
		{http.MethodGet, "/videos/watch/" + v.ShortUUID + "/likes", http.StatusNotFound},
		{http.MethodGet, "/videos/watch/" + v.UUID + "/likers", http.StatusNotFound},
		{http.MethodGet, "/videos/watch/" + v.UUID + "/likes?page=0", http.StatusBadRequest},
		{http.MethodPost, "/videos/watch/" + v.UUID + "/likes", http.StatusMethodNotAllowed},
	} {
		if resp, b := n.request(t, tt.method, tt.path, "", nil, map[string]string{"Accept": "application/activity+json"}); resp.StatusCode != tt.status {
			t.Errorf("%s %s: %s %s, want %d", tt.method, tt.path, resp.Status, b, tt.status)
		}
	}

	// The outbox's list.
	objects, err := n.localVideoObjects()
	if err != nil {
		t.Fatal(err)
	}
	uuids, err := objects.PublishedUUIDs(context.Background())
	if err != nil || !slices.Equal(uuids, []string{v.UUID}) {
		t.Errorf("PublishedUUIDs = %v, %v", uuids, err)
	}

	// A second node takes the object into its index as it takes
	// PeerTube's, and lists and shows the video pointing at the first.
	b := startNode(t, Config{})
	index, err := activitypub.NewRemoteVideos(activitypub.RemoteVideosConfig{Store: b.Catalog(), Fetcher: activitypub.NewFetcher(true), Logger: b.logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := index.Fetch(context.Background(), watch); err != nil {
		t.Fatal(err)
	}
	rv, err := b.Catalog().RemoteVideo(context.Background(), v.UUID)
	if err != nil || rv.Master != sp.PlaylistURL || len(rv.Files) != 1 || rv.Files[0].MagnetURI != f.MagnetURI || !slices.Equal(rv.Infohashes, hashes) {
		t.Errorf("remote copy %+v, %v", rv, err)
	}
	checkRemoteShown(t, b, n, v)
}

// checkRemoteShown: node b lists and shows a's video v as a remote one,
// played from a's files without P2P.
func checkRemoteShown(t *testing.T, b, a *testNode, v apiVideo) {
	t.Helper()
	aHost := strings.TrimPrefix(a.base, "http://")
	type summary struct{ Name, DisplayName, URL, Host string }
	type listed struct {
		apiVideo
		IsLocal bool    `json:"isLocal"`
		URL     string  `json:"url"`
		Account summary `json:"account"`
		Channel summary `json:"channel"`
	}
	var list struct {
		Total int
		Data  []listed
	}
	getJSON(t, b.base+"/api/v1/videos", &list)
	if list.Total != 1 || len(list.Data) != 1 {
		t.Fatalf("b lists %+v", list)
	}
	got := list.Data[0]
	if got.IsLocal || got.UUID != v.UUID || got.URL != a.base+"/videos/watch/"+v.UUID || got.Account.Host != aHost ||
		got.Account.URL != a.base+"/accounts/root" || got.Channel.URL != a.base+"/video-channels/root_channel" || got.Channel.Host != aHost {
		t.Errorf("b lists %+v", got)
	}
	var one listed
	getJSON(t, b.base+"/api/v1/videos/"+v.UUID, &one)
	if one.IsLocal || len(one.StreamingPlaylists) != 1 || one.StreamingPlaylists[0].PlaylistURL != v.StreamingPlaylists[0].PlaylistURL ||
		one.StreamingPlaylists[0].Files[0].FileURL != v.StreamingPlaylists[0].Files[0].FileURL || one.State.ID != 1 ||
		one.ThumbnailPath == nil || !strings.HasPrefix(*one.ThumbnailPath, a.base+"/lazy-static/thumbnails/") {
		t.Errorf("b's video %+v", one)
	}

	// Only its own server may change it (PeerTube's 403).
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		resp, body := b.request(t, method, "/api/v1/videos/"+v.UUID, b.token, strings.NewReader(`{"name":"taken over"}`), map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s of a remote video: %s %s", method, resp.Status, body)
		}
	}

	// The node's own videos name their account and channel too.
	var own listed
	getJSON(t, a.base+"/api/v1/videos/"+v.UUID, &own)
	if !own.IsLocal || own.Account.Name != "root" || own.Channel.Name != "root_channel" || own.Channel.Host != aHost {
		t.Errorf("a's own video %+v", own)
	}

	page := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(b.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return resp, string(body)
	}
	resp, home := page("/")
	if !strings.Contains(home, `href="/w/`+v.ShortUUID+`"`) || !strings.Contains(home, aHost+"</span>") ||
		!strings.Contains(home, `src="`+*one.ThumbnailPath+`"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: "+a.base) {
		t.Errorf("home page: CSP %q\n%s", resp.Header.Get("Content-Security-Policy"), home)
	}
	resp, watchPage := page("/w/" + v.ShortUUID)
	for _, want := range []string{`data-master="` + v.StreamingPlaylists[0].PlaylistURL + `"`, `data-p2p="0"`, `data-trackers="[]"`, `href="` + a.base + `/videos/watch/` + v.UUID + `"`} {
		if !strings.Contains(watchPage, want) {
			t.Errorf("watch page lacks %s", want)
		}
	}
	if strings.Contains(watchPage, `id="p2p-switch"`) {
		t.Error("watch page of a remote video offers P2P")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "media-src 'self' "+b.base+" blob: "+a.base) || !strings.Contains(csp, "connect-src 'self' "+b.base) || !strings.Contains(csp, a.base) {
		t.Errorf("watch page CSP %q", csp)
	}
}
