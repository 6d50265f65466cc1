package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestUploadRefusals sends every kind of bad upload and checks each gets its
// status, a clear reason, and leaves nothing behind.
func TestUploadRefusals(t *testing.T) {
	n := startNode(t, Config{MaxUploadSize: 256 << 10})
	dir := t.TempDir()
	clip := testmedia.Make(t, dir, testmedia.Clip{Width: 160, Height: 120, Seconds: 1})
	notVideo := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notVideo, bytes.Repeat([]byte("not a video\n"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.mp4")
	if err := os.WriteFile(big, bytes.Repeat([]byte{0x42}, 300<<10), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		fields  map[string]string
		file    string
		chunked bool // no Content-Length: the limit is enforced while streaming
		status  int
		reason  string // a word the answer must contain
	}{
		{"no token", "", map[string]string{"name": "x"}, clip, false, http.StatusUnauthorized, "token"},
		{"wrong token", "nope", map[string]string{"name": "x"}, clip, false, http.StatusUnauthorized, "token"},
		{"no name", testToken, nil, clip, false, http.StatusBadRequest, "name"},
		{"no file", testToken, map[string]string{"name": "x"}, "", false, http.StatusBadRequest, "videofile"},
		{"not a video", testToken, map[string]string{"name": "x"}, notVideo, false, http.StatusUnsupportedMediaType, "invalid data"},
		{"too large", testToken, map[string]string{"name": "x"}, big, false, http.StatusRequestEntityTooLarge, "limit"},
		{"too large, streamed", testToken, map[string]string{"name": "x"}, big, true, http.StatusRequestEntityTooLarge, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(t, tt.fields, tt.file)
			var r io.Reader = body
			if tt.chunked {
				r = io.MultiReader(body) // hides the length from net/http
			}
			resp, b := n.upload(t, tt.token, r, ct)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %s, want %d: %s", resp.Status, tt.status, b)
			}
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(b, &p); err != nil || p.Status != tt.status {
				t.Fatalf("answer %s: %v", b, err)
			}
			if !strings.Contains(strings.ToLower(p.Detail), tt.reason) {
				t.Errorf("reason %q does not mention %q", p.Detail, tt.reason)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		resp, b := n.upload(t, testToken, strings.NewReader(`{"name":"x"}`), "application/json")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %s, want 400: %s", resp.Status, b)
		}
	})
	t.Run("dropped mid-file", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]string{"name": "x"}, clip)
		full := body.Bytes()
		conn, err := net.Dial("tcp", strings.TrimPrefix(n.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		// Announce the whole body, send half of it, hang up.
		fmt.Fprintf(conn, "POST /api/v1/videos/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", testToken, ct, len(full))
		if _, err := conn.Write(full[:len(full)/2]); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				t.Errorf("truncated upload accepted")
			}
			resp.Body.Close()
		}
		conn.Close()
	})

	// Nothing of any refused upload is left: no video, no job, no file.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var list struct {
			Total int `json:"total"`
		}
		getJSON(t, n.base+"/api/v1/videos", &list)
		leftovers := filesUnder(t, filepath.Join(n.data, "tmp"), filepath.Join(n.data, "originals"), filepath.Join(n.data, "media"))
		if list.Total == 0 && len(leftovers) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left behind: %d videos, files %q", list.Total, leftovers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// filesUnder lists the regular files below the given directories.
func filesUnder(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		err := filepath.Walk(d, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if info.Mode().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return out
}
