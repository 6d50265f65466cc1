package peertube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxAnswer bounds what the helpers read of an answer.
const maxAnswer = 16 << 20

// Token is a root OAuth access token (logged in once per instance).
func (in *Instance) Token(t testing.TB) string {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.token != "" {
		return in.token
	}
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if st := in.Do(t, http.MethodGet, "/api/v1/oauth-clients/local", "", nil, &client); st != http.StatusOK {
		t.Fatalf("PeerTube %s oauth-clients/local: %d", in.URL, st)
	}
	form := url.Values{"client_id": {client.ID}, "client_secret": {client.Secret}, "grant_type": {"password"},
		"response_type": {"code"}, "username": {"root"}, "password": {RootPassword}}
	status, b := in.send(t, http.MethodPost, "/api/v1/users/token", "", "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("PeerTube %s login as root: %d %s", in.URL, status, b)
	}
	in.token = tok.AccessToken
	return in.token
}

// Do sends body (JSON-encoded unless nil) with a bearer token ("" for
// none), decodes a JSON answer into out (unless nil or the status is not
// 2xx) and returns the status.
func (in *Instance) Do(t testing.TB, method, path, token string, body, out any) int {
	t.Helper()
	var r io.Reader
	ctype := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r, ctype = bytes.NewReader(b), "application/json"
	}
	status, b := in.send(t, method, path, token, ctype, r)
	if out != nil && status/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("PeerTube %s %s: %v in %s", method, path, err, b)
		}
	}
	return status
}

// GetJSON reads path as root into out, failing the test unless PeerTube
// answers 200.
func (in *Instance) GetJSON(t testing.TB, path string, out any) {
	t.Helper()
	status, b := in.send(t, http.MethodGet, path, in.Token(t), "", nil)
	if status != http.StatusOK {
		t.Fatalf("PeerTube GET %s: %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("PeerTube GET %s: %v in %s", path, err, b)
	}
}

// send is one bounded request; it returns the status and body.
func (in *Instance) send(t testing.TB, method, path, token, ctype string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, in.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("PeerTube %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		t.Fatalf("PeerTube %s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// Upload sends a video file to root's first channel with the legacy
// multipart upload and returns the video's id and UUID.
func (in *Instance) Upload(t testing.TB, file, name string) (id int64, uuid string) {
	t.Helper()
	var me struct {
		VideoChannels []struct {
			ID int64 `json:"id"`
		} `json:"videoChannels"`
	}
	in.GetJSON(t, "/api/v1/users/me", &me)
	if len(me.VideoChannels) == 0 {
		t.Fatalf("PeerTube %s: root has no channel", in.URL)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"name": name, "channelId": strconv.FormatInt(me.VideoChannels[0].ID, 10), "privacy": "1"} {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	part, err := w.CreateFormFile("videofile", filepath.Base(file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(part, src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	status, b := in.send(t, http.MethodPost, "/api/v1/videos/upload", in.Token(t), w.FormDataContentType(), &body)
	var created struct {
		Video struct {
			ID   int64  `json:"id"`
			UUID string `json:"uuid"`
		} `json:"video"`
	}
	if status != http.StatusOK || json.Unmarshal(b, &created) != nil || created.Video.UUID == "" {
		t.Fatalf("PeerTube %s upload: %d %s", in.URL, status, b)
	}
	return created.Video.ID, created.Video.UUID
}

// WaitPublished polls a video until PeerTube has transcoded and published
// it (state 1), failing the test after timeout or on a failed state.
func (in *Instance) WaitPublished(t testing.TB, uuid string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var v struct {
			State struct {
				ID    int    `json:"id"`
				Label string `json:"label"`
			} `json:"state"`
		}
		in.GetJSON(t, "/api/v1/videos/"+uuid, &v)
		switch {
		case v.State.ID == 1:
			return
		case v.State.ID == 7 || v.State.ID == 8 || v.State.ID == 11: // transcoding or a move failed
			t.Fatalf("PeerTube %s video %s: %s", in.URL, uuid, v.State.Label)
		case time.Now().After(deadline):
			t.Fatalf("PeerTube %s video %s not published after %v (state %q)", in.URL, uuid, timeout, v.State.Label)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// String names the instance in messages.
func (in *Instance) String() string { return fmt.Sprintf("PeerTube %s", in.URL) }
