package edge

import (
	"bytes"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func openFD(t *testing.T, path string) int {
	t.Helper()
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestBodiesReadMatchesWriteTo checks that the Read path (used when the
// destination cannot take a file) and the WriteTo path produce the same
// bytes, and that both decode to the requested sections.
func TestBodiesReadMatchesWriteTo(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeTestFile(t, dir, "f.bin", 100000)
	path := filepath.Join(dir, "f.bin")
	ranges := []ByteRange{{Start: 5, Length: 10}, {Start: 50000, Length: 40000}, {Start: 99999, Length: 1}}

	for _, viaRead := range []bool{false, true} {
		m, length, boundary := newMultipart(ranges, int64(len(data)), "video/mp4")
		m.attach(openFD(t, path))
		var out bytes.Buffer
		var err error
		if viaRead {
			_, err = io.Copy(&out, struct{ io.Reader }{m})
		} else {
			_, err = m.WriteTo(&out)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if int64(out.Len()) != length {
			t.Fatalf("viaRead=%v: %d bytes, announced %d", viaRead, out.Len(), length)
		}
		mr := multipart.NewReader(&out, boundary)
		for i, r := range ranges {
			p, err := mr.NextRawPart()
			if err != nil {
				t.Fatalf("viaRead=%v part %d: %v", viaRead, i, err)
			}
			got, _ := io.ReadAll(p)
			if !bytes.Equal(got, data[r.Start:r.Start+r.Length]) {
				t.Fatalf("viaRead=%v part %d: wrong bytes", viaRead, i)
			}
		}
		if _, err := mr.NextRawPart(); err != io.EOF {
			t.Fatalf("viaRead=%v: trailing part or bad close: %v", viaRead, err)
		}

		sb, err := newSectionBody(openFD(t, path), ranges[1])
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if viaRead {
			_, err = io.Copy(&out, struct{ io.Reader }{sb})
		} else {
			_, err = sb.WriteTo(&out)
		}
		if err != nil || !bytes.Equal(out.Bytes(), data[50000:90000]) {
			t.Fatalf("viaRead=%v: section body wrong (%d bytes, err %v)", viaRead, out.Len(), err)
		}
		if err := sb.Close(); err != nil || sb.Close() != nil {
			t.Fatalf("close: %v", err)
		}
	}
}

// TestMultipartShrunkFile checks that a file truncated under a response
// ends it with an error instead of a short, well-framed body.
func TestMultipartShrunkFile(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "f.bin", 1000)
	path := filepath.Join(dir, "f.bin")
	m, _, _ := newMultipart([]ByteRange{{0, 10}, {500, 500}}, 1000, "video/mp4")
	m.attach(openFD(t, path))
	defer m.Close()
	if err := os.Truncate(path, 600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WriteTo(io.Discard); err == nil {
		t.Fatal("no error for a file that shrank")
	}
}
