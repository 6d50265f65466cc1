package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/swarm"
)

// peertubeCLI is PeerTube's official CLI (npm @peertube/peertube-cli,
// pinned in testdata/peertube-cli; scripts/test.sh installs it).
const peertubeCLI = "testdata/peertube-cli/node_modules/@peertube/peertube-cli/dist/peertube.js"

// requirePeerTubeCLI skips without node or the CLI, unless
// PEEREDGE_REQUIRE_BROWSER=1 (scripts/test.sh) makes that a failure.
func requirePeerTubeCLI(t *testing.T) string {
	t.Helper()
	cli, err := filepath.Abs(peertubeCLI)
	if err != nil {
		t.Fatal(err)
	}
	_, errNode := exec.LookPath("node")
	_, errCLI := os.Stat(cli)
	if errNode == nil && errCLI == nil {
		return cli
	}
	msg := fmt.Sprintf("PeerTube CLI test needs node and %s (npm ci --ignore-scripts in testdata/peertube-cli): %v %v", cli, errNode, errCLI)
	if os.Getenv("PEEREDGE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// cliVideo is what the test reads of a video the CLI uploaded.
type cliVideo struct {
	apiVideo
	Description string `json:"description"`
	Support     string `json:"support"`
	Files       []struct {
		Resolution struct {
			ID    int    `json:"id"`
			Label string `json:"label"`
		} `json:"resolution"`
		Size               int64   `json:"size"`
		Height             int     `json:"height"`
		FileURL            *string `json:"fileUrl"`
		FileDownloadURL    *string `json:"fileDownloadUrl"`
		TorrentURL         *string `json:"torrentUrl"`
		TorrentDownloadURL *string `json:"torrentDownloadUrl"`
		MagnetURI          *string `json:"magnetUri"`
	} `json:"files"`
}

// TestPeerTubeCLIUpload has PeerTube's own CLI log in to the node as root
// and upload a clip (it then polls the video until files[0].torrentUrl
// appears, which needs an entry in files[] from the first answer on). The
// video is published with the CLI's name, description and support text,
// and its files[] lists each rung, highest first, as a whole playable MP4
// with its torrent.
func TestPeerTubeCLIUpload(t *testing.T) {
	t.Parallel()
	cli := requirePeerTubeCLI(t)
	// The CLI keeps passwords in ~/.netrc, whose fields end at a space.
	const password = "peertube-cli-test-password"
	n := startNode(t, Config{AdminPassword: password})
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 320, Height: 240, Seconds: 2})
	home := t.TempDir() // the CLI keeps its instances in ~/.config and ~/.netrc
	// NODE_ENV=test would make the CLI look for a netrc in its own directory.
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "NODE_ENV=production")

	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", append([]string{cli}, args...)...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("peertube-cli %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	// A wrong password is refused (the CLI exits non-zero), then the right one registers the node.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wrong := exec.CommandContext(ctx, "node", cli, "auth", "add", "-u", n.base, "-U", "root", "--password", "wrong")
	wrong.Env = env
	if out, err := wrong.CombinedOutput(); err == nil {
		t.Fatalf("auth add with a wrong password succeeded:\n%s", out)
	}
	run("auth", "add", "-u", n.base, "-U", "root", "--password", password, "--default")
	if out := run("auth", "list"); !strings.Contains(out, n.base) || !strings.Contains(out, "root") {
		t.Fatalf("auth list:\n%s", out)
	}

	const name = "Uploaded by peertube-cli"
	out := run("upload", "--file", clip, "--video-name", name,
		"--video-description", "A clip sent by PeerTube's CLI", "--support", "Support the CLI test")
	if !strings.Contains(out, "Video "+name+" uploaded.") {
		t.Fatalf("upload output:\n%s", out)
	}

	var list struct {
		Total int        `json:"total"`
		Data  []cliVideo `json:"data"`
	}
	getJSON(t, n.base+"/api/v1/videos", &list)
	if list.Total != 1 || len(list.Data) != 1 {
		t.Fatalf("videos after the CLI's upload: %+v", list)
	}
	var v cliVideo
	getJSON(t, n.base+"/api/v1/videos/"+list.Data[0].UUID, &v)
	// The CLI returned once files[0].torrentUrl was there, so the video is published.
	if v.State.ID != 1 || v.Name != name || v.Description != "A clip sent by PeerTube's CLI" || v.Support != "Support the CLI test" {
		t.Fatalf("video: %+v", v)
	}
	if len(v.StreamingPlaylists) != 1 || len(v.Files) != len(v.StreamingPlaylists[0].Files) || len(v.Files) == 0 {
		t.Fatalf("files %d, HLS files %+v", len(v.Files), v.StreamingPlaylists)
	}
	for i, f := range v.Files {
		if i > 0 && f.Height >= v.Files[i-1].Height {
			t.Errorf("files[] not highest first: %d after %d", f.Height, v.Files[i-1].Height)
		}
		if f.FileURL == nil || f.TorrentURL == nil || f.MagnetURI == nil || f.FileDownloadURL == nil || f.TorrentDownloadURL == nil {
			t.Fatalf("file %d has null URLs: %+v", i, f)
		}
		if f.Resolution.ID != f.Height || f.Resolution.Label != fmt.Sprintf("%dp", f.Height) {
			t.Errorf("file %d resolution %+v, height %d", i, f.Resolution, f.Height)
		}
		// The torrent describes this very file, which is complete and plays whole.
		resp, err := http.Get(*f.TorrentURL)
		if err != nil {
			t.Fatal(err)
		}
		var torrent bytes.Buffer
		_, err = torrent.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v", *f.TorrentURL, resp.Status, err)
		}
		mi, info, err := swarm.ParseTorrent(torrent.Bytes())
		if err != nil {
			t.Fatalf("torrent %s: %v", *f.TorrentURL, err)
		}
		if info.Length != f.Size || !strings.HasSuffix(*f.FileURL, "/"+info.Name) {
			t.Errorf("torrent %s names %q of %d bytes; file %s has %d", *f.TorrentURL, info.Name, info.Length, *f.FileURL, f.Size)
		}
		if hash := mi.HashInfoBytes().HexString(); !strings.Contains(*f.MagnetURI, hash) {
			t.Errorf("magnet %s lacks info hash %s", *f.MagnetURI, hash)
		}
		if d := probeDuration(t, *f.FileURL); math.Abs(d-2) > 0.2 {
			t.Errorf("%s plays %.2f s, want 2", *f.FileURL, d)
		}
	}
	if b, _ := json.Marshal(v.Files[0]); !strings.Contains(string(b), `"torrentUrl":"http`) {
		t.Errorf("files[0]: %s", b)
	}
}
