package origin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// wantKind checks that err is an IntakeError of the given kind.
func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	var ie *IntakeError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v (%T), want an IntakeError of kind %q", err, err, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("kind %q (%v), want %q", ie.Kind, err, kind)
	}
}

func TestReceiveAndCommit(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, 10<<20, ffprobeDuration)
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		f, err := env.intake.Receive(ctx, bytes.NewReader(clip))
		if err != nil {
			t.Fatal(err)
		}
		if f.Size() != int64(len(clip)) {
			t.Errorf("received %d bytes, want %d", f.Size(), len(clip))
		}
		v, err := env.intake.Commit(ctx, f, Metadata{Name: "  My clip  ", SourceName: "../holiday.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		f.Discard() // after Commit: the video's original stays
		if v.ID != int64(i+1) || v.Name != "My clip" || v.State != StateToTranscode || v.SourceName != "holiday.mp4" || v.SourceSize != int64(len(clip)) {
			t.Errorf("video = %+v", v)
		}
		if v.Duration < 1.9 || v.Duration > 2.1 {
			t.Errorf("duration = %v, want about 2s from ffprobe", v.Duration)
		}
		stored, err := os.ReadFile(env.store.disk.OriginalPath(v.UUID))
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
	}
}

func TestCommitRefusals(t *testing.T) {
	ctx := context.Background()
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc   string
		name   string
		file   []byte
		kind   error
		reason string
	}{
		{"missing name", "", clip, ErrUploadInvalid, "missing name"},
		{"blank name", " \t", clip, ErrUploadInvalid, "missing name"},
		{"name too long", strings.Repeat("é", 121), clip, ErrUploadInvalid, "longer"},
		{"name with control characters", "a\x00b", clip, ErrUploadInvalid, "control"},
		{"name with a C1 control", "a\u0085b", clip, ErrUploadInvalid, "control"},
		{"name with a right-to-left override", "holiday\u202e4pm.exe", clip, ErrUploadInvalid, "invisible"},
		{"name with an isolate", "a\u2067b\u2069", clip, ErrUploadInvalid, "invisible"},
		{"name with a byte order mark", "\ufeffname", clip, ErrUploadInvalid, "invisible"},
		{"name with a line separator", "a\u2028b", clip, ErrUploadInvalid, "invisible"},
		{"name not UTF-8", "a\xffb", clip, ErrUploadInvalid, "UTF-8"},
		{"not a video", "x", []byte("just some text, no video here"), ErrUploadNotVideo, "not a video: ffprobe"},
		// ffprobe names the demuxer with its address in memory: "[mov,… @ 0x55…]".
		{"cut short", "x", clip[:1000], ErrUploadNotVideo, "moov atom not found"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			env := newTestEnv(t, 1<<20, ffprobeDuration)
			f, err := env.intake.Receive(ctx, bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tmp := f.path
			_, err = env.intake.Commit(ctx, f, Metadata{Name: tt.name})
			wantKind(t, err, tt.kind)
			var ie *IntakeError
			if errors.As(err, &ie); !strings.Contains(ie.Reason, tt.reason) || strings.Contains(ie.Reason, tmp) || strings.Contains(ie.Reason, "0x") {
				t.Errorf("reason %q does not say %q, or names the local file or a memory address", ie.Reason, tt.reason)
			}
			f.Discard()
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

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestReceiveRefusals(t *testing.T) {
	const maxSize = 1 << 20
	t.Run("too large stops reading", func(t *testing.T) {
		env := newTestEnv(t, maxSize, ffprobeDuration)
		zeros := &countingZeros{left: 1 << 30} // a 1 GiB file, never in memory
		_, err := env.intake.Receive(context.Background(), zeros)
		wantKind(t, err, ErrUploadTooLarge)
		if zeros.read > maxSize+4*copyBufferSize {
			t.Errorf("read %d bytes; the limit of %d must stop the copy early", zeros.read, maxSize)
		}
		env.assertNothingLeft(t, 0)
	})
	tests := []struct {
		desc string
		src  func(cancel context.CancelFunc) io.Reader
		kind error
	}{
		{"empty", func(context.CancelFunc) io.Reader { return strings.NewReader("") }, ErrUploadInvalid},
		{"connection drops", func(context.CancelFunc) io.Reader {
			return &truncatedReader{r: strings.NewReader("some bytes"), err: io.ErrUnexpectedEOF}
		}, ErrUploadInvalid},
		{"cancelled mid-file", func(cancel context.CancelFunc) io.Reader {
			return io.MultiReader(strings.NewReader("some bytes"), readFunc(func([]byte) (int, error) {
				cancel()
				return 0, nil
			}), strings.NewReader("more bytes"))
		}, ErrUploadInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			env := newTestEnv(t, maxSize, ffprobeDuration)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := env.intake.Receive(ctx, tt.src(cancel))
			wantKind(t, err, tt.kind)
			env.assertNothingLeft(t, 0)
		})
	}
}

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
		path string
		kind error
	}{
		{clip, ErrUploadTooLarge},
		{text, ErrUploadNotVideo},
		{filepath.Join(dir, "missing.mp4"), ErrUploadInvalid},
		{dir, ErrUploadInvalid},
	} {
		_, err := small.intake.IngestFile(ctx, tt.path, "x", nil)
		wantKind(t, err, tt.kind)
	}
	small.assertNothingLeft(t, 0)
}

// FuzzCommitName: whatever the name, Commit either creates one video whose
// name is trimmed, valid UTF-8, at most 120 characters and free of control
// characters, or refuses it as invalid and leaves nothing behind.
func FuzzCommitName(f *testing.F) {
	env := newTestEnv(f, 1<<20, func(context.Context, string) (float64, error) { return 1, nil })
	for _, s := range []string{"n", "  padded  ", "", "\t", "a\x00b", "a\xffb", strings.Repeat("é", 120), strings.Repeat("é", 121), "\u2028", "a\u202eb", "👨\u200d👩\u200d👧"} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, name string) {
		_, before, err := env.catalog.Videos(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		file, err := env.intake.Receive(ctx, strings.NewReader("data"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := env.intake.Commit(ctx, file, Metadata{Name: name})
		file.Discard()
		want := before
		if err == nil {
			want++
			if v.Name != strings.TrimSpace(v.Name) || v.Name == "" || !utf8.ValidString(v.Name) ||
				utf8.RuneCountInString(v.Name) > maxNameRunes || strings.ContainsFunc(v.Name, func(r rune) bool {
				return r < 0x20 || r == 0x7f || r == 0x202e || r == 0x2066 || r == 0xfeff || r == 0x2028
			}) {
				t.Fatalf("accepted name %q", v.Name)
			}
		} else {
			wantKind(t, err, ErrUploadInvalid)
		}
		tmp, _ := os.ReadDir(env.store.disk.TmpDir())
		originals, _ := os.ReadDir(env.store.disk.OriginalsDir())
		if _, after, _ := env.catalog.Videos(ctx, 0, 0); len(tmp) != 0 || len(originals) != want || after != want {
			t.Fatalf("after %v: tmp %d, originals %d, videos %d; want 0, %d, %d", err, len(tmp), len(originals), after, want, want)
		}
	})
}

// TestNamesAccepted: scripts and emoji that need the zero-width joiners
// keep them; only hidden characters are refused.
func TestNamesAccepted(t *testing.T) {
	env := newTestEnv(t, 1<<20, func(context.Context, string) (float64, error) { return 1, nil })
	ctx := context.Background()
	for _, name := range []string{"👨\u200d👩\u200d👧 family", "می\u200cخواهم", "Ünïcödé — 日本語", "עברית and English"} {
		f, err := env.intake.Receive(ctx, strings.NewReader("data"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := env.intake.Commit(ctx, f, Metadata{Name: name})
		f.Discard()
		if err != nil || v.Name != name {
			t.Errorf("name %q: stored %q, %v", name, v.Name, err)
		}
	}
}
