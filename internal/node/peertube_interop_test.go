package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/peertube"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// ptDeadline bounds each wait on federation with a real PeerTube: it
// handles activities through its job queue, and fetches and transcodes on
// its own schedule.
const ptDeadline = 2 * time.Minute

// interopClip is short: PeerTube and the node transcode it in seconds.
var interopClip = testmedia.Clip{Width: 320, Height: 240, Seconds: 2}

// startInteropPeerTube starts a PeerTube and, when the test fails, keeps
// its whole log (the harness shows a tail, which polling fills) with the
// test's artifacts: what PeerTube refused is there, and only there.
func startInteropPeerTube(t *testing.T) *peertube.Instance {
	t.Helper()
	// Debug: PeerTube drops some refused objects with a debug line only.
	pt := peertube.Start(t, peertube.Options{Config: "log: { level: 'debug' }"})
	t.Cleanup(func() { // before the harness's cleanups remove the directory
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(filepath.Join(pt.Dir, "server.log"))
		if err != nil {
			t.Errorf("PeerTube's log: %v", err)
			return
		}
		keep := filepath.Join(t.ArtifactDir(), "peertube-server.log")
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Errorf("keeping PeerTube's log: %v", err)
			return
		}
		t.Logf("PeerTube's log: %s", keep)
	})
	return pt
}

// eventually polls check until it returns "" (done), failing the test
// with its last answer after ptDeadline.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(ptDeadline)
	for {
		last := check()
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after %v: %s", what, ptDeadline, last)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(250 * time.Millisecond): // polling another server; bounded by the deadline
		}
	}
}

// followState is the state of the follow in list (followers or following)
// whose other end is actor ("absent" when none).
func followState(f serverFollows, which, actor string) string {
	for _, d := range f.Data {
		other := d.Following.URL
		if which == "followers" {
			other = d.Follower.URL
		}
		if other == actor {
			return d.State
		}
	}
	return fmt.Sprintf("absent from %+v", f.Data)
}

// waitAccepted waits until both ends list the follow of follower by
// followed as accepted.
func waitAccepted(t *testing.T, pt *peertube.Instance, n *testNode, peerTubeFollows bool) {
	t.Helper()
	ptActor, nodeActor := pt.URL+"/accounts/peertube", n.base+"/accounts/peertube"
	ptList, nodeList := "following", "followers"
	if !peerTubeFollows {
		ptList, nodeList = "followers", "following"
	}
	eventually(t, "PeerTube's "+ptList, func() string {
		var f serverFollows
		pt.GetJSON(t, "/api/v1/server/"+ptList, &f)
		if s := followState(f, ptList, nodeActor); s != "accepted" {
			return s
		}
		return ""
	})
	eventually(t, "the node's "+nodeList, func() string {
		if s := followState(n.follows(t, nodeList), nodeList, ptActor); s != "accepted" {
			return s
		}
		return ""
	})
}

// listedVideo is the part of a video list entry (either side's) the
// interop tests read.
type listedVideo struct {
	UUID      string `json:"uuid"`
	ShortUUID string `json:"shortUUID"`
	Name      string `json:"name"`
	IsLocal   bool   `json:"isLocal"`
	Account   struct {
		Host string `json:"host"`
	} `json:"account"`
}

// findListed looks for uuid in a video list.
func findListed(list []listedVideo, uuid string) (listedVideo, bool) {
	for _, v := range list {
		if v.UUID == uuid {
			return v, true
		}
	}
	return listedVideo{}, false
}

// ptVideos is PeerTube's video list (local and federated).
func ptVideos(t *testing.T, pt *peertube.Instance) []listedVideo {
	t.Helper()
	var list struct{ Data []listedVideo }
	pt.GetJSON(t, "/api/v1/videos?count=100&sort=-publishedAt", &list)
	return list.Data
}

// nodeVideos is the node's video list (local and remote).
func nodeVideos(t *testing.T, n *testNode) []listedVideo {
	t.Helper()
	var list struct{ Data []listedVideo }
	getJSON(t, n.base+"/api/v1/videos?count=100", &list)
	return list.Data
}

// ptPlaylist is a video's HLS master playlist URL as PeerTube's API gives
// it (the remote video's, for a video it federated).
func ptPlaylist(t *testing.T, pt *peertube.Instance, uuid string) string {
	t.Helper()
	var v apiVideo
	pt.GetJSON(t, "/api/v1/videos/"+uuid, &v)
	if len(v.StreamingPlaylists) == 0 {
		return ""
	}
	return v.StreamingPlaylists[0].PlaylistURL
}

// waitOnPeerTube waits until PeerTube lists the node's video v as remote,
// from the node's account, with the node's master playlist.
func waitOnPeerTube(t *testing.T, pt *peertube.Instance, n *testNode, v apiVideo) {
	t.Helper()
	host := strings.TrimPrefix(n.base, "http://")
	eventually(t, "PeerTube lists the node's video "+v.UUID, func() string {
		got, ok := findListed(ptVideos(t, pt), v.UUID)
		switch {
		case !ok:
			return "not listed"
		case got.IsLocal || got.Account.Host != host:
			return fmt.Sprintf("listed as %+v, want remote from %s", got, host)
		}
		return ""
	})
	if got, want := ptPlaylist(t, pt, v.UUID), v.StreamingPlaylists[0].PlaylistURL; got != want {
		t.Errorf("PeerTube's playlist of %s: %q, want the node's %q", v.UUID, got, want)
	}
}

// TestPeerTubeFollowsNode: a real PeerTube 6.3's admin follows the node;
// the node accepts, and PeerTube lists the node's videos (one from
// before the follow, crawled from the outbox, and one announced after),
// playing from the node's HLS playlist; an edit on the node reaches
// PeerTube and a delete removes the video there.
func TestPeerTubeFollowsNode(t *testing.T) {
	t.Parallel()
	pt := startInteropPeerTube(t)
	n := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	before := n.publishVideo(t, interopClip)

	body := `{"hosts":["` + strings.TrimPrefix(n.base, "http://") + `"]}`
	if st := pt.Do(t, http.MethodPost, "/api/v1/server/following", pt.Token(t), json.RawMessage(body), nil); st != http.StatusNoContent {
		t.Fatalf("PeerTube follows the node: %d", st)
	}
	waitAccepted(t, pt, n, true)
	waitOnPeerTube(t, pt, n, before)

	after := n.publishVideo(t, interopClip)
	waitOnPeerTube(t, pt, n, after)

	const renamed = "renamed on the node"
	edit := strings.NewReader(`{"name":"` + renamed + `"}`)
	if resp, b := n.request(t, http.MethodPut, "/api/v1/videos/"+after.UUID, n.token, edit, map[string]string{"Content-Type": "application/json"}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("edit on the node: %s %s", resp.Status, b)
	}
	eventually(t, "PeerTube takes the edit", func() string {
		var v apiVideo
		pt.GetJSON(t, "/api/v1/videos/"+after.UUID, &v)
		if v.Name != renamed {
			return fmt.Sprintf("name %q", v.Name)
		}
		return ""
	})

	if resp, b := n.request(t, http.MethodDelete, "/api/v1/videos/"+after.UUID, n.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete on the node: %s %s", resp.Status, b)
	}
	eventually(t, "PeerTube drops the deleted video", func() string {
		if st := pt.Do(t, http.MethodGet, "/api/v1/videos/"+after.UUID, "", nil, nil); st != http.StatusNotFound {
			return fmt.Sprintf("GET answers %d", st)
		}
		if _, ok := findListed(ptVideos(t, pt), after.UUID); ok {
			return "still listed"
		}
		return ""
	})
	if _, ok := findListed(ptVideos(t, pt), before.UUID); !ok {
		t.Errorf("PeerTube dropped %s too", before.UUID)
	}
}

// TestNodeFollowsPeerTube: the node's admin follows a real PeerTube 6.3;
// PeerTube accepts, and the node lists PeerTube's videos (one from before
// the follow, one uploaded after) as remote, with PeerTube's playlist,
// which answers; the node's watch page plays it from PeerTube with P2P
// off; a delete on PeerTube removes it from the node.
func TestNodeFollowsPeerTube(t *testing.T) {
	t.Parallel()
	pt := startInteropPeerTube(t)
	n := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	clip := testmedia.Make(t, t.TempDir(), interopClip)
	_, beforeUUID := pt.Upload(t, clip, "before the follow")
	pt.WaitPublished(t, beforeUUID, ptDeadline)

	body := `{"hosts":["` + pt.Host + `"]}`
	if resp, b := n.request(t, http.MethodPost, "/api/v1/server/following", n.token, strings.NewReader(body), map[string]string{"Content-Type": "application/json"}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the node follows PeerTube: %s %s", resp.Status, b)
	}
	waitAccepted(t, pt, n, false)
	n.waitRemote(t, pt, beforeUUID)

	afterID, afterUUID := pt.Upload(t, clip, "after the follow")
	pt.WaitPublished(t, afterUUID, ptDeadline)
	after := n.waitRemote(t, pt, afterUUID)

	// The watch page plays PeerTube's playlist over HTTP, without P2P (the
	// node has no tracker entry nor seeder for a remote video).
	resp, page := n.request(t, http.MethodGet, "/w/"+after.ShortUUID, "", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch page: %s", resp.Status)
	}
	for _, want := range []string{`data-master="` + html.EscapeString(after.StreamingPlaylists[0].PlaylistURL) + `"`, `data-p2p="0"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("watch page lacks %s:\n%s", want, page)
		}
	}

	if st := pt.Do(t, http.MethodDelete, "/api/v1/videos/"+fmt.Sprint(afterID), pt.Token(t), nil, nil); st != http.StatusNoContent {
		t.Fatalf("delete on PeerTube: %d", st)
	}
	eventually(t, "the node drops the deleted video", func() string {
		if resp, _ := n.request(t, http.MethodGet, "/api/v1/videos/"+afterUUID, "", nil, nil); resp.StatusCode != http.StatusNotFound {
			return "GET answers " + resp.Status
		}
		if _, ok := findListed(nodeVideos(t, n), afterUUID); ok {
			return "still listed"
		}
		return ""
	})
	if _, ok := findListed(nodeVideos(t, n), beforeUUID); !ok {
		t.Errorf("the node dropped %s too", beforeUUID)
	}
}

// waitRemote waits until the node lists PeerTube's video uuid as remote,
// from PeerTube's account, with a playlist on PeerTube's host that
// answers an HLS master playlist; it returns the node's API view of it.
func (n *testNode) waitRemote(t *testing.T, pt *peertube.Instance, uuid string) apiVideo {
	t.Helper()
	eventually(t, "the node lists PeerTube's video "+uuid, func() string {
		got, ok := findListed(nodeVideos(t, n), uuid)
		switch {
		case !ok:
			return "not listed"
		case got.IsLocal || got.Account.Host != pt.Host:
			return fmt.Sprintf("listed as %+v, want remote from %s", got, pt.Host)
		}
		return ""
	})
	var v apiVideo
	getJSON(t, n.base+"/api/v1/videos/"+uuid, &v)
	if len(v.StreamingPlaylists) == 0 {
		t.Fatalf("the node's view of %s has no playlist", uuid)
	}
	master := v.StreamingPlaylists[0].PlaylistURL
	if u, err := url.Parse(master); err != nil || u.Host != pt.Host {
		t.Fatalf("the node's playlist of %s: %q, want one on %s", uuid, master, pt.Host)
	}
	if want := ptPlaylist(t, pt, uuid); master != want {
		t.Errorf("the node's playlist of %s: %q, PeerTube's %q", uuid, master, want)
	}
	resp, err := http.Get(master)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("#EXTM3U")) || !bytes.Contains(b, []byte("#EXT-X-STREAM-INF")) {
		t.Fatalf("GET %s: %s, not an HLS master playlist:\n%s", master, resp.Status, b)
	}
	return v
}
