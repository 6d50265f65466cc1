package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/smalldisk"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// waitState waits until the video leaves the queue's hands.
func waitState(t *testing.T, addr, ref string) videoState {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if v := getVideo(t, addr, ref); v.State.ID == 1 || v.State.ID == 7 {
			return v
		}
	}
	t.Fatalf("video %s still in the queue after 2 minutes", ref)
	return videoState{}
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFullDisk runs the node on a small tmpfs and fills it: an upload that
// fits but whose transcode does not fails with a reason, an upload on a
// full disk is refused with 507, the admin switch keeps answering, the node
// never dies and keeps serving, and once space is freed the next upload is
// published without a restart. A restart on a full disk says why it
// cannot start instead of crashing.
func TestFullDisk(t *testing.T) {
	root := smalldisk.Mount(t, 192<<20)
	data := filepath.Join(root, "data")
	addr := freeAddr(t)
	args := []string{"serve", "--data", data, "--listen", addr, "--disk-reserve", "48MiB"}
	p := start(t, []string{"PEEREDGE_ADMIN_TOKEN=x"}, args...)
	waitHTTP(t, p, addr)
	base := "http://" + addr

	first := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2})
	code, body := postUpload(t, addr, "x", first)
	var answer struct{ Video struct{ UUID string } }
	if code != 200 || json.Unmarshal([]byte(body), &answer) != nil {
		t.Fatalf("first upload: %d %s", code, body)
	}
	if v := waitState(t, addr, answer.Video.UUID); v.State.ID != 1 {
		t.Fatalf("first video: %+v", v)
	}
	master := base + "/static/streaming-playlists/hls/" + answer.Video.UUID + "/master.m3u8"

	// A clip that compresses far better than the ladder does: it fits, its
	// transcode does not.
	dense := filepath.Join(t.TempDir(), "dense.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=20",
		"-c:v", "libx264", "-crf", "51", "-preset", "veryfast", "-pix_fmt", "yuv420p", dense).CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v\n%s", err, out)
	}
	st, err := os.Stat(dense)
	if err != nil {
		t.Fatal(err)
	}
	smalldisk.Fill(t, root, 48<<20+3*st.Size()+1<<20)
	code, body = postUpload(t, addr, "x", dense)
	if code != 200 || json.Unmarshal([]byte(body), &answer) != nil {
		t.Fatalf("upload that fits: %d %s", code, body)
	}
	v := waitState(t, addr, answer.Video.UUID)
	if v.State.ID != 7 || !strings.Contains(v.StateReason, "ran out of disk space") {
		t.Errorf("transcode that does not fit: %+v, want failed for lack of space", v)
	}
	if s := status(t, master); s != 200 {
		t.Errorf("first video no longer served: %d", s)
	}

	// Full to the last byte.
	smalldisk.Fill(t, root, 0)
	code, body = postUpload(t, addr, "x", first)
	if code != http.StatusInsufficientStorage || !strings.Contains(body, "disk space") {
		t.Errorf("upload on a full disk: %d %s, want 507 saying why", code, body)
	}
	for i := range 100 {
		req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/admin/p2p", strings.NewReader(`{"enabled":`+strconv.FormatBool(i%2 == 1)+`}`))
		req.Header.Set("Authorization", "Bearer x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("switch %d: %v (did the node die?)", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != http.StatusInsufficientStorage {
			t.Fatalf("switch %d: %s", i, resp.Status)
		}
	}
	if s := status(t, master); s != 200 {
		t.Errorf("first video not served on a full disk: %d", s)
	}
	select {
	case err := <-p.done:
		t.Fatalf("the node died on a full disk: %v", err)
	default:
	}

	// Room again: the next upload is published, no restart.
	if err := os.Remove(smalldisk.FillerPath(root)); err != nil {
		t.Fatal(err)
	}
	code, body = postUpload(t, addr, "x", first)
	if code != 200 || json.Unmarshal([]byte(body), &answer) != nil {
		t.Fatalf("upload after freeing space: %d %s", code, body)
	}
	if v := waitState(t, addr, answer.Video.UUID); v.State.ID != 1 {
		t.Errorf("video after freeing space: %+v", v)
	}

	// A restart on a full disk, the ballast already spent, says why it
	// cannot start; it starts once there is room, with everything it had.
	smalldisk.Fill(t, root, 0)
	if err := p.stop(t, os.Interrupt); err != nil {
		t.Logf("stop on a full disk: %v", err)
	}
	smalldisk.Fill(t, root, 0) // the room the ballast gave is taken too
	// Bounded: a node that wrongly starts would otherwise serve forever.
	startCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(startCtx, binary, args...)
	cmd.Env = append(os.Environ(), "PEEREDGE_SEED_PORT=0", "PEEREDGE_ADMIN_TOKEN=x")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "free some space") || strings.Contains(string(out), "SIGBUS") {
		t.Errorf("start on a full disk: %v\n%s", err, out)
	}
	if err := os.Remove(smalldisk.FillerPath(root)); err != nil {
		t.Fatal(err)
	}
	p = start(t, []string{"PEEREDGE_ADMIN_TOKEN=x"}, args...)
	waitHTTP(t, p, addr)
	if s := status(t, master); s != 200 {
		t.Errorf("first video not served after the restart: %d", s)
	}
	if v := getVideo(t, addr, answer.Video.UUID); v.State.ID != 1 {
		t.Errorf("last video after the restart: %+v", v)
	}
}
