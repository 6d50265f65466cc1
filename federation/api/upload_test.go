package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/origin"
)

type formPart struct {
	field, fileName string
	content         []byte
}

func multipartBody(t testing.TB, boundary string, parts ...formPart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range parts {
		var (
			pw  io.Writer
			err error
		)
		if p.fileName != "" {
			pw, err = w.CreateFormFile(p.field, p.fileName)
		} else {
			pw, err = w.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(p.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// upload posts a body to the upload endpoint with the admin token.
func (e *testEnv) upload(t testing.TB, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodPost, "/api/v1/videos/upload", testToken, body, map[string]string{"Content-Type": contentType})
}

func TestUploadAccepted(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{maxUpload: 10 << 20})
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc  string
		parts []formPart
	}{
		{"name first, with PeerTube's other fields", []formPart{
			{field: "channelId", content: []byte("1")},
			{field: "name", content: []byte("  My clip  ")},
			{field: "privacy", content: []byte("1")},
			{field: "videofile", fileName: "holiday.mp4", content: clip},
			{field: "description", content: []byte("words")},
			{field: "support", content: []byte("  my support text ")},
			{field: "thumbnailfile", fileName: "t.jpg", content: []byte("jpeg bytes")},
		}},
		{"name after the file", []formPart{
			{field: "videofile", fileName: "holiday.mp4", content: clip},
			{field: "name", content: []byte("My clip")},
		}},
	}
	for i, tt := range tests {
		ct, body := multipartBody(t, "", tt.parts...)
		resp, b := env.upload(t, ct, bytes.NewReader(body))
		var answer struct{ Video struct{ ID int64 } }
		if resp.StatusCode != 200 || json.Unmarshal(b, &answer) != nil || answer.Video.ID != int64(i+1) {
			t.Fatalf("%s: %s %s", tt.desc, resp.Status, b)
		}
		v, err := env.catalog.Video(context.Background(), "1")
		if err != nil || v.Name != "My clip" || v.SourceName != "holiday.mp4" || v.SourceSize != int64(len(clip)) || v.Duration < 1.9 {
			t.Errorf("%s: video %+v, %v", tt.desc, v, err)
		}
		if i == 0 && (v.Description != "words" || v.Support != "my support text") {
			t.Errorf("%s: description %q, support %q", tt.desc, v.Description, v.Support)
		}
		env.assertNothingLeft(t, i+1)
	}
}

func TestUploadRefused(t *testing.T) {
	t.Parallel()
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	const maxSize = 1 << 20
	tests := []struct {
		desc        string
		contentType string // "" → from the parts
		parts       []formPart
		status      int
		reason      string
	}{
		{"missing name", "", []formPart{{field: "videofile", fileName: "a.mp4", content: clip}}, 400, "missing name"},
		{"blank name", "", []formPart{{field: "name", content: []byte(" \t")}, {field: "videofile", fileName: "a.mp4", content: clip}}, 400, "missing name"},
		{"name too long", "", []formPart{{field: "name", content: []byte(strings.Repeat("é", 121))}, {field: "videofile", fileName: "a.mp4", content: clip}}, 400, "longer"},
		{"name with control characters", "", []formPart{{field: "name", content: []byte("a\x00b")}, {field: "videofile", fileName: "a.mp4", content: clip}}, 400, "control"},
		{"missing file", "", []formPart{{field: "name", content: []byte("x")}}, 400, "missing videofile"},
		{"empty file", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4"}}, 400, "empty"},
		{"two files", "", []formPart{{field: "videofile", fileName: "a.mp4", content: clip}, {field: "videofile", fileName: "b.mp4", content: clip}}, 400, "more than one"},
		{"two names", "", []formPart{{field: "name", content: []byte("a")}, {field: "name", content: []byte("b")}}, 400, "more than one"},
		{"field too large", "", []formPart{{field: "originallyPublishedAt", content: bytes.Repeat([]byte("x"), maxFieldSize+1)}, {field: "name", content: bytes.Repeat([]byte("x"), maxFieldSize+1)}}, 413, "field name"},
		{"description field too large", "", []formPart{{field: "description", content: bytes.Repeat([]byte("x"), maxFieldSize+1)}}, 413, "field description"},
		{"description too long", "", []formPart{{field: "name", content: []byte("x")}, {field: "description", content: bytes.Repeat([]byte("x"), 10001)}, {field: "videofile", fileName: "a.mp4", content: clip}}, 400, "description must be"},
		{"support too short", "", []formPart{{field: "name", content: []byte("x")}, {field: "support", content: []byte("ab")}, {field: "videofile", fileName: "a.mp4", content: clip}}, 400, "support must be"},
		{"two supports", "", []formPart{{field: "support", content: []byte("abc")}, {field: "support", content: []byte("def")}}, 400, "more than one support"},
		{"not multipart", "application/json", nil, 400, "multipart"},
		{"no boundary", "multipart/form-data", nil, 400, "multipart"},
		{"not a video", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4", content: []byte("just some text, no video here")}}, 415, "invalid data"},
		{"file too large", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4", content: make([]byte, maxSize+1)}}, 413, "limit"},
	}
	env := newTestEnv(t, envOptions{maxUpload: maxSize})
	for _, tt := range tests {
		ct, body := multipartBody(t, "", tt.parts...)
		if tt.contentType != "" {
			ct = tt.contentType
		}
		resp, b := env.upload(t, ct, bytes.NewReader(body))
		var p struct {
			Status int
			Detail string
		}
		if resp.StatusCode != tt.status || json.Unmarshal(b, &p) != nil || p.Status != tt.status {
			t.Errorf("%s: %s %s, want %d", tt.desc, resp.Status, b, tt.status)
			continue
		}
		if !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(tt.reason)) || strings.Contains(p.Detail, os.TempDir()) {
			t.Errorf("%s: reason %q does not say %q, or names a local path", tt.desc, p.Detail, tt.reason)
		}
	}
	if resp, _ := env.do(t, http.MethodPost, "/api/v1/videos/upload", "", strings.NewReader("x"), nil); resp.StatusCode != 401 {
		t.Errorf("without token: %s", resp.Status)
	}
	env.assertNothingLeft(t, 0)
}

// TestUploadTooLargeStopsReading streams a 1 GiB file part in chunks (no
// length announced) over a raw connection: the limit must answer 413 and
// stop the upload long before its end.
func TestUploadTooLargeStopsReading(t *testing.T) {
	t.Parallel()
	const maxSize = 1 << 20
	env := newTestEnv(t, envOptions{maxUpload: maxSize})
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/videos/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n", testToken)
	sent := make(chan int64, 1)
	go func() { // the client keeps sending until the node hangs up
		part := "--B\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"big.mp4\"\r\n\r\n"
		n, _ := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(part), part)
		total := int64(n)
		chunk := fmt.Appendf(nil, "%x\r\n%s\r\n", 64<<10, make([]byte, 64<<10))
		for total < 1<<30 {
			n, err := conn.Write(chunk)
			total += int64(n)
			if err != nil {
				break
			}
		}
		sent <- total
	}()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("%s, want 413", resp.Status)
	}
	conn.Close()
	if n := <-sent; n > 64<<20 {
		t.Errorf("the client sent %d bytes; the limit of %d must stop the upload early", n, maxSize)
	}
	env.assertNothingLeft(t, 0)
}

// TestUploadStalled: an upload whose body stops coming is answered 408
// at the edge's body timeout, the connection closed, nothing kept.
func TestUploadStalled(t *testing.T) {
	t.Parallel()
	const bodyTimeout = time.Second
	env := newTestEnv(t, envOptions{maxUpload: 10 << 20, bodyTimeout: bodyTimeout})
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	part := "--B\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"a.mp4\"\r\n\r\n"
	fmt.Fprintf(conn, "POST /api/v1/videos/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: %d\r\n\r\n%s", testToken, 5<<20, part)
	if _, err := conn.Write(make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	stalled := time.Now()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Errorf("%s %s, want 408 and the connection closed", resp.Status, b)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("connection left open: %v", err)
	}
	// The edge moves its deadline once a sixteenth of it is used: a stall
	// is cut between 15/16 of the timeout and all of it.
	if d := time.Since(stalled); d < bodyTimeout-bodyTimeout/16 || d > bodyTimeout+5*time.Second {
		t.Errorf("answered %v after the body stalled, want about %v", d, bodyTimeout)
	}
	env.assertNothingLeft(t, 0)
}

// TestUploadCutShort sends bodies that end before the form does.
func TestUploadCutShort(t *testing.T) {
	t.Parallel()
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	ct, full := multipartBody(t, "B",
		formPart{field: "videofile", fileName: "a.mp4", content: clip},
		formPart{field: "name", content: []byte("late name")})
	fileStart := bytes.Index(full, clip)
	env := newTestEnv(t, envOptions{maxUpload: 10 << 20})
	for desc, body := range map[string][]byte{
		"ends mid-file":                full[:fileStart+len(clip)/2],
		"ends before the name arrives": full[:fileStart+len(clip)+10],
		"no closing boundary":          full[:len(full)-6],
	} {
		resp, b := env.upload(t, ct, bytes.NewReader(body))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s %s, want 400", desc, resp.Status, b)
		}
	}
	env.assertNothingLeft(t, 0)
}

// FuzzReceiveForm feeds arbitrary bodies with a fixed boundary to the form
// reader over a real intake. The probe is a fixed answer (ffprobe per input
// would make fuzzing crawl; probing is tested above): whatever the body, no
// panic, a 4xx/5xx refusal on failure, and either exactly one complete
// video or nothing at all.
func FuzzReceiveForm(f *testing.F) {
	env := newTestEnv(f, envOptions{maxUpload: 1 << 20, probe: func(context.Context, string) (float64, error) { return 1, nil }})
	const boundary = "fuzzboundary"
	good := func(parts ...formPart) []byte {
		_, b := multipartBody(f, boundary, parts...)
		return b
	}
	f.Add(good(formPart{field: "name", content: []byte("n")}, formPart{field: "videofile", fileName: "a.mp4", content: []byte("data")}))
	f.Add(good(formPart{field: "videofile", fileName: "a.mp4", content: []byte("data")}, formPart{field: "name", content: []byte("n")}))
	f.Add(good(formPart{field: "videofile", fileName: "a.mp4", content: []byte("data")}))
	f.Add(good(formPart{field: "name", content: []byte("n")}, formPart{field: "videofile", fileName: "a.mp4", content: []byte("data")})[:90])
	f.Add([]byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"videofile\"\r\n\r\nxx"))
	f.Add([]byte("--fuzzboundary--\r\n"))
	f.Add([]byte{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		_, before, err := env.catalog.Videos(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		v, err := env.api.receiveForm(ctx, Caller{}, "multipart/form-data; boundary="+boundary, bytes.NewReader(body))
		want := before
		if err == nil {
			want++
			if _, statErr := os.Stat(env.store.Disk().OriginalPath(v.UUID)); statErr != nil {
				t.Fatalf("accepted video has no original: %v", statErr)
			}
		} else if status, reason := uploadRefusal(err); status < 400 || status > 599 || reason == "" {
			t.Fatalf("err = %v → %d %q", err, status, reason)
		} else if fe, ie := (*formError)(nil), (*origin.IntakeError)(nil); !errors.As(err, &fe) && !errors.As(err, &ie) {
			t.Fatalf("err = %v (%T): neither a form refusal nor an intake error", err, err)
		}
		tmp, _ := os.ReadDir(env.store.Disk().TmpDir())
		originals, _ := os.ReadDir(env.store.Disk().OriginalsDir())
		_, after, _ := env.catalog.Videos(ctx, 0, 0)
		if len(tmp) != 0 || len(originals) != want || after != want {
			t.Fatalf("after %v: tmp %d, originals %d, videos %d; want 0, %d, %d", err, len(tmp), len(originals), after, want, want)
		}
	})
}

func BenchmarkUpload8MiB(b *testing.B) {
	env := newTestEnv(b, envOptions{maxUpload: 1 << 30, probe: func(context.Context, string) (float64, error) { return 1, nil }})
	ct, body := multipartBody(b, "", formPart{field: "name", content: []byte("bench")},
		formPart{field: "videofile", fileName: "a.mp4", content: make([]byte, 8<<20)})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if resp, msg := env.upload(b, ct, bytes.NewReader(body)); resp.StatusCode != 200 {
			b.Fatal(resp.Status, string(msg))
		}
	}
}

// TestRefusedUploadIsAnswered: an upload refused before its body is read
// (here: no token) still gets its answer while the client is sending, not
// a reset connection, however often it is tried.
func TestRefusedUploadIsAnswered(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{maxUpload: 10 << 20})
	ct, body := multipartBody(t, "", formPart{field: "name", content: []byte("x")},
		formPart{field: "videofile", fileName: "a.mp4", content: make([]byte, 2<<20)})
	for i := range 20 {
		resp, b := env.do(t, http.MethodPost, "/api/v1/videos/upload", "wrong", bytes.NewReader(body), map[string]string{"Content-Type": ct})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("try %d: %s %s, want 401", i, resp.Status, b)
		}
	}
}
