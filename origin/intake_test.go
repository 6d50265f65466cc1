package origin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var ie *IntakeError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want an IntakeError with status %d", err, err, status)
	}
	if ie.Status != status {
		t.Fatalf("status %d (%v), want %d", ie.Status, err, status)
	}
}

func TestUploadAccepted(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, 10<<20, ffprobeDuration)
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
			{field: "thumbnailfile", fileName: "t.jpg", content: []byte("jpeg bytes")},
		}},
		{"name after the file", []formPart{
			{field: "videofile", fileName: "holiday.mp4", content: clip},
			{field: "name", content: []byte("My clip")},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			ct, body := multipartBody(t, "", tt.parts...)
			v, err := env.intake.Upload(ctx, ct, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if v.ID != int64(i+1) || v.Name != "My clip" || v.State != StateToTranscode || v.SourceName != "holiday.mp4" || v.SourceSize != int64(len(clip)) {
				t.Errorf("video = %+v", v)
			}
			if v.Duration < 1.9 || v.Duration > 2.1 {
				t.Errorf("duration = %v, want about 2s from ffprobe", v.Duration)
			}
			stored, err := os.ReadFile(env.store.OriginalPath(v.UUID))
			if err != nil || !bytes.Equal(stored, clip) {
				t.Errorf("original not stored intact: %v", err)
			}
			got, err := env.catalog.Video(ctx, v.ShortUUID)
			if err != nil || got.ID != v.ID {
				t.Errorf("catalogue lookup = %+v, %v", got, err)
			}
			jobs, err := env.queue.Jobs(ctx)
			if err != nil || len(jobs) != i+1 {
				t.Fatalf("jobs = %+v, %v", jobs, err)
			}
			if j := jobs[i]; j.VideoID != v.ID || j.Kind != JobTranscode || j.State != JobQueued {
				t.Errorf("job = %+v", j)
			}
			env.assertNothingLeft(t, i+1)
		})
	}
}

func TestUploadRejected(t *testing.T) {
	ctx := context.Background()
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
		{"missing name", "", []formPart{{field: "videofile", fileName: "a.mp4", content: clip}}, http.StatusBadRequest, "missing name"},
		{"blank name", "", []formPart{{field: "name", content: []byte(" \t")}, {field: "videofile", fileName: "a.mp4", content: clip}}, http.StatusBadRequest, "missing name"},
		{"name too long", "", []formPart{{field: "name", content: []byte(strings.Repeat("é", 121))}, {field: "videofile", fileName: "a.mp4", content: clip}}, http.StatusBadRequest, "longer"},
		{"name with control characters", "", []formPart{{field: "name", content: []byte("a\x00b")}, {field: "videofile", fileName: "a.mp4", content: clip}}, http.StatusBadRequest, "control"},
		{"missing file", "", []formPart{{field: "name", content: []byte("x")}}, http.StatusBadRequest, "missing videofile"},
		{"empty file", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4"}}, http.StatusBadRequest, "empty"},
		{"two files", "", []formPart{{field: "videofile", fileName: "a.mp4", content: clip}, {field: "videofile", fileName: "b.mp4", content: clip}}, http.StatusBadRequest, "more than one"},
		{"field too large", "", []formPart{{field: "description", content: bytes.Repeat([]byte("x"), maxFieldSize+1)}, {field: "name", content: bytes.Repeat([]byte("x"), maxFieldSize+1)}}, http.StatusRequestEntityTooLarge, "field name"},
		{"not multipart", "application/json", nil, http.StatusBadRequest, "multipart"},
		{"no boundary", "multipart/form-data", nil, http.StatusBadRequest, "multipart"},
		{"not a video", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4", content: []byte("just some text, no video here")}}, http.StatusUnsupportedMediaType, "not a video: ffprobe"},
		{"file too large", "", []formPart{{field: "name", content: []byte("x")}, {field: "videofile", fileName: "a.mp4", content: make([]byte, maxSize+1)}}, http.StatusRequestEntityTooLarge, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			env := newTestEnv(t, maxSize, ffprobeDuration)
			ct, body := multipartBody(t, "", tt.parts...)
			if tt.contentType != "" {
				ct = tt.contentType
			}
			_, err := env.intake.Upload(ctx, ct, bytes.NewReader(body))
			wantStatus(t, err, tt.status)
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			env.assertNothingLeft(t, 0)
		})
	}
}

// countingZeros yields n zero bytes without allocating them, counting what is read.
type countingZeros struct{ left, read int64 }

func (z *countingZeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	n = min(n, z.left)
	clear(p[:n])
	z.left -= n
	z.read += n
	return int(n), nil
}

const fileHeader = "--B\r\nContent-Disposition: form-data; name=\"videofile\"; filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"

func TestUploadTooLargeStopsReading(t *testing.T) {
	const maxSize = 1 << 20
	env := newTestEnv(t, maxSize, ffprobeDuration)
	zeros := &countingZeros{left: 1 << 30} // a 1 GiB file part, never in memory
	body := io.MultiReader(strings.NewReader(fileHeader), zeros, strings.NewReader("\r\n--B--\r\n"))
	_, err := env.intake.Upload(context.Background(), "multipart/form-data; boundary=B", body)
	wantStatus(t, err, http.StatusRequestEntityTooLarge)
	if zeros.read > maxSize+4*copyBufferSize {
		t.Errorf("read %d bytes of the body; the limit of %d must stop the copy early", zeros.read, maxSize)
	}
	env.assertNothingLeft(t, 0)
}

// truncatedReader returns data and then fails as a dropped connection does.
type truncatedReader struct {
	r   io.Reader
	err error
}

func (tr *truncatedReader) Read(p []byte) (int, error) {
	n, err := tr.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, tr.err
	}
	return n, err
}

func TestUploadInterrupted(t *testing.T) {
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	ct, full := multipartBody(t, "B",
		formPart{field: "videofile", fileName: "a.mp4", content: clip},
		formPart{field: "name", content: []byte("late name")})
	fileStart := bytes.Index(full, clip)
	tests := []struct {
		desc string
		body func(cancel context.CancelFunc) io.Reader
	}{
		{"connection drops mid-file", func(context.CancelFunc) io.Reader {
			return &truncatedReader{r: bytes.NewReader(full[:fileStart+len(clip)/2]), err: io.ErrUnexpectedEOF}
		}},
		{"body ends mid-file", func(context.CancelFunc) io.Reader { return bytes.NewReader(full[:fileStart+len(clip)/2]) }},
		{"body ends before the name arrives", func(context.CancelFunc) io.Reader {
			return bytes.NewReader(full[:fileStart+len(clip)+10])
		}},
		{"no closing boundary", func(context.CancelFunc) io.Reader { return bytes.NewReader(full[:len(full)-6]) }},
		{"context cancelled mid-file", func(cancel context.CancelFunc) io.Reader {
			return io.MultiReader(bytes.NewReader(full[:fileStart+100]), readFunc(func([]byte) (int, error) {
				cancel()
				return 0, nil
			}), bytes.NewReader(full[fileStart+100:]))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			env := newTestEnv(t, 10<<20, ffprobeDuration)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := env.intake.Upload(ctx, ct, tt.body(cancel))
			wantStatus(t, err, http.StatusBadRequest)
			env.assertNothingLeft(t, 0)
		})
	}
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestIngestFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clip := testmedia.Make(t, dir, testmedia.Clip{Seconds: 2})
	st, err := os.Stat(clip)
	if err != nil {
		t.Fatal(err)
	}

	env := newTestEnv(t, 10<<20, ffprobeDuration)
	var last, calls int64
	v, err := env.intake.IngestFile(ctx, clip, "", func(done, total int64) {
		if total != st.Size() || done < last || done > total {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last = done
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != st.Size() {
		t.Errorf("progress reached %d of %d in %d calls", last, st.Size(), calls)
	}
	if v.Name != "clip" || v.SourceName != "clip.mp4" || v.SourceSize != st.Size() || v.Duration < 1.9 {
		t.Errorf("video = %+v", v)
	}
	env.assertNothingLeft(t, 1)

	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	small := newTestEnv(t, st.Size()-1, ffprobeDuration)
	for _, tt := range []struct {
		path   string
		status int
	}{
		{clip, http.StatusRequestEntityTooLarge},
		{text, http.StatusUnsupportedMediaType},
		{filepath.Join(dir, "missing.mp4"), http.StatusBadRequest},
		{dir, http.StatusBadRequest},
	} {
		_, err := small.intake.IngestFile(ctx, tt.path, "x", nil)
		wantStatus(t, err, tt.status)
	}
	small.assertNothingLeft(t, 0)
}

// FuzzUpload feeds arbitrary bodies with a fixed boundary. The probe here is
// a fixed answer (ffprobe per input would make fuzzing crawl; probing is
// tested above): whatever the body, intake must not panic, must answer an
// IntakeError on failure, and must leave either exactly one complete video
// or nothing at all.
func FuzzUpload(f *testing.F) {
	env := newTestEnv(f, 1<<20, func(context.Context, string) (float64, error) { return 1, nil })
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
		v, err := env.intake.Upload(ctx, "multipart/form-data; boundary="+boundary, bytes.NewReader(body))
		want := before
		if err == nil {
			want++
			if _, statErr := os.Stat(env.store.OriginalPath(v.UUID)); statErr != nil {
				t.Fatalf("accepted video has no original: %v", statErr)
			}
		} else {
			var ie *IntakeError
			if !errors.As(err, &ie) || ie.Status < 400 || ie.Status > 599 {
				t.Fatalf("err = %v, want an IntakeError", err)
			}
		}
		tmp, _ := os.ReadDir(env.store.tmpDir())
		originals, _ := os.ReadDir(env.store.originalsDir())
		_, after, _ := env.catalog.Videos(ctx, 0, 0)
		if len(tmp) != 0 || len(originals) != want || after != want {
			t.Fatalf("after %v: tmp %d, originals %d, videos %d; want 0, %d, %d", err, len(tmp), len(originals), after, want, want)
		}
	})
}
