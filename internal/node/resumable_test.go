package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/internal/testmedia"
)

const resumablePath = "/api/v1/videos/upload-resumable"

// resumableClip makes a small video and returns its bytes.
func resumableClip(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 160, Height: 120, Seconds: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// begin opens a resumable upload and returns the path and query of its
// Location, checking the status (201 new, 200 found again).
func (n *testNode) begin(t *testing.T, name string, size, status int) string {
	t.Helper()
	meta := fmt.Sprintf(`{"name":%q,"channelId":1,"filename":"clip.mp4"}`, name)
	resp, b := n.request(t, http.MethodPost, resumablePath, n.token, strings.NewReader(meta), map[string]string{
		"Content-Type": "application/json", "X-Upload-Content-Length": strconv.Itoa(size), "X-Upload-Content-Type": "video/mp4",
	})
	if resp.StatusCode != status {
		t.Fatalf("POST %s: %s, want %d: %s", resumablePath, resp.Status, status, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != resumablePath || loc.Query().Get("upload_id") == "" {
		t.Fatalf("Location %q: %v", resp.Header.Get("Location"), err)
	}
	return loc.RequestURI()
}

// chunk sends data as the bytes from first of a file of total bytes.
func (n *testNode) chunk(t *testing.T, loc string, data []byte, first, total int) (*http.Response, []byte) {
	t.Helper()
	return n.request(t, http.MethodPut, loc, n.token, bytes.NewReader(data), map[string]string{
		"Content-Range": fmt.Sprintf("bytes %d-%d/%d", first, first+len(data)-1, total),
	})
}

// stored asks how far an upload got (an empty PUT with "bytes */total").
func (n *testNode) stored(t *testing.T, loc string, total int) int {
	t.Helper()
	resp, b := n.request(t, http.MethodPut, loc, n.token, nil, map[string]string{"Content-Range": fmt.Sprintf("bytes */%d", total)})
	if resp.StatusCode != 308 {
		t.Fatalf("status query: %s: %s", resp.Status, b)
	}
	return rangeEnd(t, resp)
}

// rangeEnd reads the stored length from a 308's Range (none: 0).
func rangeEnd(t *testing.T, resp *http.Response) int {
	t.Helper()
	r := resp.Header.Get("Range")
	if r == "" {
		return 0
	}
	last, err := strconv.Atoi(strings.TrimPrefix(r, "bytes=0-"))
	if err != nil {
		t.Fatalf("Range %q", r)
	}
	return last + 1
}

func uploaded(t *testing.T, resp *http.Response, b []byte) apiVideo {
	t.Helper()
	var up struct{ Video apiVideo }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &up) != nil || up.Video.UUID == "" {
		t.Fatalf("last chunk: %s %s", resp.Status, b)
	}
	return up.Video
}

// resumableFiles lists the resumable uploads' bytes in the node's uploads/.
func (n *testNode) resumableFiles(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(n.data, "uploads", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestResumableUploadEditDelete uploads in three chunks (one sent out of
// order first), publishes, edits the name, then deletes the video and
// checks its files, torrents, tracker and seeder entries are gone.
func TestResumableUploadEditDelete(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	clip := resumableClip(t)
	size, third := len(clip), len(clip)/3
	loc := n.begin(t, "three chunks", size, http.StatusCreated)
	if again := n.begin(t, "three chunks", size, http.StatusOK); again != loc {
		t.Fatalf("the same upload announced again got %s, want %s", again, loc)
	}
	if got := n.stored(t, loc, size); got != 0 {
		t.Fatalf("stored %d before any chunk", got)
	}
	resp, b := n.chunk(t, loc, clip[:third], 0, size)
	if resp.StatusCode != 308 || rangeEnd(t, resp) != third {
		t.Fatalf("chunk 1: %s Range %q: %s", resp.Status, resp.Header.Get("Range"), b)
	}
	// Out of order: refused, and the stored bytes stay.
	resp, b = n.chunk(t, loc, clip[2*third:], 2*third, size)
	if resp.StatusCode != http.StatusConflict || rangeEnd(t, resp) != third {
		t.Fatalf("out-of-order chunk: %s Range %q: %s", resp.Status, resp.Header.Get("Range"), b)
	}
	if got := n.stored(t, loc, size); got != third {
		t.Fatalf("stored %d after a refused chunk, want %d", got, third)
	}
	// A chunk that repeats stored bytes: they are skipped.
	resp, b = n.chunk(t, loc, clip[third/2:2*third], third/2, size)
	if resp.StatusCode != 308 || rangeEnd(t, resp) != 2*third {
		t.Fatalf("chunk 2: %s Range %q: %s", resp.Status, resp.Header.Get("Range"), b)
	}
	resp, b = n.chunk(t, loc, clip[2*third:], 2*third, size)
	up := uploaded(t, resp, b)
	if left := n.resumableFiles(t); len(left) != 0 {
		t.Errorf("upload bytes left in tmp/: %q", left)
	}
	if resp, _ := n.request(t, http.MethodPut, loc, n.token, nil, map[string]string{"Content-Range": fmt.Sprintf("bytes */%d", size)}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("finished upload still answers: %s", resp.Status)
	}
	v, _ := n.waitPublished(t, up.UUID)
	if v.Name != "three chunks" {
		t.Errorf("name %q", v.Name)
	}
	if cv, err := n.Catalog().Video(t.Context(), v.UUID); err != nil || cv.ChannelID != 1 {
		t.Errorf("video stored in channel %d (%v), want the channelId 1 the upload named", cv.ChannelID, err)
	}
	original, err := os.ReadFile(filepath.Join(n.data, "originals", v.UUID))
	if err != nil || !bytes.Equal(original, clip) {
		t.Fatalf("original differs from the uploaded file (%d of %d bytes): %v", len(original), size, err)
	}

	// Edit: JSON, then a multipart form; a name too long is refused.
	resp, b = n.request(t, http.MethodPut, "/api/v1/videos/"+v.ShortUUID, n.token,
		strings.NewReader(`{"name":"renamed","description":"a clip of a test"}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT video: %s %s", resp.Status, b)
	}
	body, ct := multipartBody(t, map[string]string{"support": "say thanks"}, "")
	if resp, b = n.request(t, http.MethodPut, "/api/v1/videos/"+v.UUID, n.token, body, map[string]string{"Content-Type": ct}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT video (form): %s %s", resp.Status, b)
	}
	if resp, b = n.request(t, http.MethodPut, "/api/v1/videos/"+v.UUID, n.token, strings.NewReader(`{"name":"`+strings.Repeat("x", 121)+`"}`),
		map[string]string{"Content-Type": "application/json"}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "120") {
		t.Fatalf("PUT a name too long: %s %s", resp.Status, b)
	}
	if resp, _ = n.request(t, http.MethodPut, "/api/v1/videos/"+v.UUID, "", strings.NewReader(`{"name":"x"}`), map[string]string{"Content-Type": "application/json"}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("PUT without token: %s", resp.Status)
	}
	var edited struct{ Name, Description, Support string }
	getJSON(t, n.base+"/api/v1/videos/"+v.UUID, &edited)
	if edited.Name != "renamed" || edited.Description != "a clip of a test" || edited.Support != "say thanks" {
		t.Fatalf("after the edits: %+v", edited)
	}

	// Delete: the tracker admits the rungs' hashes before, not after.
	var hashes []metainfo.Hash
	for _, f := range v.StreamingPlaylists[0].Files {
		hashes = append(hashes, n.servedTorrent(t, f.TorrentURL).HashInfoBytes())
	}
	src := netip.MustParseAddr("127.0.0.1")
	if r := n.httpAnnounce(t, src, hashes[0], [20]byte{1}, 6881, 5); r.FailureReason != "" {
		t.Fatalf("announce before the delete refused: %s", r.FailureReason)
	}
	n.waitStats(t, "the seeder seeding", func(st adminStats) bool { return st.Seeder != nil && st.Seeder.Torrents >= len(hashes) })
	if resp, b = n.request(t, http.MethodDelete, "/api/v1/videos/"+v.UUID, n.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE video: %s %s", resp.Status, b)
	}
	if resp, _ = n.request(t, http.MethodGet, "/api/v1/videos/"+v.UUID, "", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted video: %s", resp.Status)
	}
	if resp, _ = n.request(t, http.MethodGet, strings.TrimPrefix(v.StreamingPlaylists[0].PlaylistURL, n.base), "", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted video's playlist: %s", resp.Status)
	}
	if left := filesUnder(t, filepath.Join(n.data, "media"), filepath.Join(n.data, "originals")); len(left) != 0 {
		t.Errorf("files left of the deleted video: %q", left)
	}
	for _, ih := range hashes {
		if r := n.httpAnnounce(t, src, ih, [20]byte{2}, 6882, 5); r.FailureReason == "" {
			t.Errorf("tracker still admits %s", ih)
		}
	}
	if st := n.adminStats(t); st.Seeder == nil || st.Seeder.Torrents != 0 {
		t.Errorf("seeder still seeds: %+v", st.Seeder)
	}
	if resp, _ = n.request(t, http.MethodDelete, "/api/v1/videos/"+v.UUID, n.token, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %s", resp.Status)
	}
}

// TestResumableCutResumes cuts a chunk's connection in the middle, asks
// how far it got and sends only the rest.
func TestResumableCutResumes(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	clip := resumableClip(t)
	size := len(clip)
	loc := n.begin(t, "cut", size, http.StatusCreated)

	// One chunk for the whole file, announced whole, cut after half.
	half := size / 2
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Range: bytes 0-%d/%d\r\nContent-Length: %d\r\n\r\n",
		loc, n.token, size-1, size, size)
	if _, err := conn.Write(clip[:half]); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	sent := half

	// The node records what arrived once it sees the cut.
	var got int
	for deadline := time.Now().Add(10 * time.Second); ; {
		if got = n.stored(t, loc, size); got == half || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got != half {
		t.Fatalf("stored %d after the cut, want the %d bytes sent", got, half)
	}
	resp, b := n.chunk(t, loc, clip[got:], got, size)
	sent += size - got
	up := uploaded(t, resp, b)
	if sent != size {
		t.Errorf("sent %d bytes for a file of %d", sent, size)
	}
	original, err := os.ReadFile(filepath.Join(n.data, "originals", up.UUID))
	if err != nil || !bytes.Equal(original, clip) {
		t.Fatalf("original differs from the uploaded file: %v", err)
	}
}

// TestResumableCancelRestartExpire: a cancelled upload's bytes go; an
// upload survives a restart; an idle one expires with its bytes.
func TestResumableCancelRestartExpire(t *testing.T) {
	t.Parallel()
	clip := resumableClip(t)
	size, half := len(clip), len(clip)/2
	data := t.TempDir()
	n := startNode(t, Config{DataDir: data})

	cancelled := n.begin(t, "cancelled", size, http.StatusCreated)
	if resp, b := n.chunk(t, cancelled, clip[:half], 0, size); resp.StatusCode != 308 {
		t.Fatalf("chunk: %s %s", resp.Status, b)
	}
	if resp, b := n.request(t, http.MethodDelete, cancelled, n.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE upload: %s %s", resp.Status, b)
	}
	if left := n.resumableFiles(t); len(left) != 0 {
		t.Errorf("cancelled upload's bytes left: %q", left)
	}
	if resp, _ := n.chunk(t, cancelled, clip[half:], half, size); resp.StatusCode != http.StatusNotFound {
		t.Errorf("chunk of a cancelled upload: %s", resp.Status)
	}

	kept := n.begin(t, "kept", size, http.StatusCreated)
	if resp, b := n.chunk(t, kept, clip[:half], 0, size); resp.StatusCode != 308 {
		t.Fatalf("chunk: %s %s", resp.Status, b)
	}
	n.stop()
	n = startNode(t, Config{DataDir: data, UploadSessionTTL: time.Second})
	if got := n.stored(t, kept, size); got != half {
		t.Fatalf("after a restart %d bytes stored, want %d", got, half)
	}
	resp, b := n.chunk(t, kept, clip[half:], half, size)
	if up := uploaded(t, resp, b); up.ID == 0 {
		t.Fatal("no video")
	}

	// Idle for longer than its time to live: the sweep removes it.
	idle := n.begin(t, "idle", size, http.StatusCreated)
	if resp, b := n.chunk(t, idle, clip[:half], 0, size); resp.StatusCode != 308 {
		t.Fatalf("chunk: %s %s", resp.Status, b)
	}
	for deadline := time.Now().Add(10 * time.Second); len(n.resumableFiles(t)) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("idle upload's bytes still there: %q", n.resumableFiles(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, _ := n.chunk(t, idle, clip[half:], half, size); resp.StatusCode != http.StatusNotFound {
		t.Errorf("chunk of an expired upload: %s", resp.Status)
	}
}
