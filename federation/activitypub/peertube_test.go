package activitypub

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/swarm/p2pml"
)

// ptRecordedHost is the instance testdata/peertube/ was recorded from: a
// real PeerTube 6.3 (../shared/peertube) with one uploaded video.
const ptRecordedHost = "http://127.0.0.1:9547"

// servePeerTubeRecording replays testdata/peertube/ from a loopback
// server, its URLs rewritten to the server's; it returns the base URL.
func servePeerTubeRecording(t *testing.T) string {
	t.Helper()
	docs := map[string]string{
		"/videos/watch/738f69e5-c3a8-49e8-b678-abd1f776e574": "video.json",
		"/accounts/root":                   "account.json",
		"/video-channels/root_channel":     "channel.json",
		"/accounts/peertube/outbox":        "outbox.json",
		"/accounts/peertube/outbox?page=1": "outbox-page1.json",
	}
	var base string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := docs[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "peertube", name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
		w.Write([]byte(strings.ReplaceAll(string(b), ptRecordedHost, base)))
	}))
	t.Cleanup(srv.Close)
	base = srv.URL
	return base
}

// TestPeerTubeVideoObject: a real PeerTube's Video object passes the
// reader, its Infohash tag is the legacy swarm hash p2pml computes, and
// the index keeps it (fetched, and crawled from the instance's outbox)
// with PeerTube's names for its account and channel.
func TestPeerTubeVideoObject(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "peertube", "video.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVideo(raw)
	if err != nil {
		t.Fatal(err)
	}
	hls := v.HLS()
	legacy := p2pml.LegacyInfoHashes(hls.Href, 1)
	if got := hls.Infohashes(); len(got) != 1 || got[0] != hex.EncodeToString(legacy[0][:]) {
		t.Errorf("PeerTube's Infohash %v, p2pml's legacy hash %x", got, legacy[0])
	}

	base := servePeerTubeRecording(t)
	host := strings.TrimPrefix(base, "http://")
	for _, how := range []string{"fetch", "crawl"} {
		idx, c := newTestIndex(t, RemoteVideosConfig{})
		ctx := context.Background()
		if how == "fetch" {
			err = idx.Fetch(ctx, base+"/videos/watch/738f69e5-c3a8-49e8-b678-abd1f776e574")
		} else {
			err = idx.Crawl(ctx, base+"/accounts/peertube/outbox")
		}
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		rv, err := c.RemoteVideo(ctx, "738f69e5-c3a8-49e8-b678-abd1f776e574")
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if rv.Name != "peertube sample video" || rv.Duration != 4 || rv.Host != host || rv.Description != "A description from PeerTube" ||
			!strings.HasSuffix(rv.Master, "-master.m3u8") || !strings.HasPrefix(rv.Master, base) || !strings.HasSuffix(rv.Preview, ".jpg") {
			t.Errorf("%s: kept %+v", how, rv)
		}
		// The HLS rung only, not the web video beside it.
		if len(rv.Files) != 1 || !strings.HasSuffix(rv.Files[0].URL, "-240-fragmented.mp4") || !strings.HasSuffix(rv.Files[0].TorrentURL, "-240-hls.torrent") ||
			!strings.Contains(rv.Files[0].MagnetURI, "08a8c6d44f4950ac53f3eabee847ad5acd208c5e") {
			t.Errorf("%s: files %+v", how, rv.Files)
		}
		if rv.Account.Name != "root" || rv.Account.DisplayName != "root" || rv.Channel.Name != "root_channel" ||
			rv.Channel.DisplayName != "Main root channel" || rv.Channel.Host != host {
			t.Errorf("%s: account %+v channel %+v", how, rv.Account, rv.Channel)
		}
	}
}
