package node

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/swarm"
)

func (n *testNode) setP2P(t *testing.T, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, n.base+"/api/v1/admin/p2p", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestP2PSwitch turns P2P off through the admin API and checks what players
// and clients get from then on, and that the switch survives a restart.
func TestP2PSwitch(t *testing.T) {
	data := t.TempDir()
	n := startNode(t, Config{DataDir: data})
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2})
	body, ct := multipartBody(t, map[string]string{"name": "p2p"}, clip)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	var up struct{ Video struct{ UUID string } }
	json.Unmarshal(b, &up)
	v, _ := n.waitPublished(t, up.Video.UUID)
	f := v.StreamingPlaylists[0].Files[0]

	check := func(wantP2P bool) {
		t.Helper()
		var cfg struct{ Tracker struct{ Enabled bool } }
		getJSON(t, n.base+"/api/v1/config", &cfg)
		if cfg.Tracker.Enabled != wantP2P {
			t.Errorf("config tracker.enabled = %v, want %v", cfg.Tracker.Enabled, wantP2P)
		}
		var got apiVideo
		getJSON(t, n.base+"/api/v1/videos/"+v.UUID, &got)
		magnet := got.StreamingPlaylists[0].Files[0].MagnetURI
		if strings.Contains(magnet, "&tr=") != wantP2P || !strings.Contains(magnet, "&ws=") {
			t.Errorf("P2P %v: magnet %q", wantP2P, magnet)
		}
		path := filepath.Join(t.TempDir(), "t.torrent")
		fetch(t, f.TorrentURL, path)
		mi, _, err := swarm.ReadTorrentFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if (mi.Announce != "") != wantP2P || (len(mi.AnnounceList) > 0) != wantP2P || len(mi.UrlList) != 1 {
			t.Errorf("P2P %v: torrent announce %q list %v url-list %v", wantP2P, mi.Announce, mi.AnnounceList, mi.UrlList)
		}
		if !strings.Contains(f.MagnetURI, mi.HashInfoBytes().HexString()) {
			t.Errorf("torrent info hash %s differs from the published one", mi.HashInfoBytes().HexString())
		}
	}
	check(true)

	for _, tc := range []struct {
		token, body string
		status      int
	}{
		{"", `{"enabled":false}`, http.StatusUnauthorized},
		{"wrong", `{"enabled":false}`, http.StatusUnauthorized},
		{n.token, `{"enabled":"no"}`, http.StatusBadRequest},
		{n.token, `{}`, http.StatusBadRequest},
		{n.token, strings.Repeat("x", 5000), http.StatusBadRequest},
	} {
		if code, b := n.setP2P(t, tc.token, tc.body); code != tc.status {
			t.Errorf("PUT %.40q with token %q: %d %s, want %d", tc.body, tc.token, code, b, tc.status)
		}
	}
	check(true) // refused requests changed nothing

	if code, b := n.setP2P(t, n.token, `{"enabled":false}`); code != http.StatusOK || !strings.Contains(b, `"enabled":false`) {
		t.Fatalf("switch off: %d %s", code, b)
	}
	check(false)
	if _, err := os.Stat(filepath.Join(data, "media", "torrents", "webseed-only", v.UUID+"-240-hls.torrent")); err != nil {
		t.Errorf("WebSeed-only torrent missing: %v", err)
	}
	if code, b := n.setP2P(t, n.token, `{"enabled":true}`); code != http.StatusOK || !strings.Contains(b, `"enabled":true`) {
		t.Fatalf("switch on: %d %s", code, b)
	}
	check(true)
}
