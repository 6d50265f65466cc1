package layout

import (
	"strings"
	"testing"
)

func TestImageNames(t *testing.T) {
	t.Parallel()
	tag := ImageTag([]byte("jpeg bytes"))
	if len(tag) != imageTagLen || tag == ImageTag([]byte("other bytes")) {
		t.Fatalf("ImageTag = %q", tag)
	}
	thumb, preview := ThumbnailFileName(testUUID, tag), PreviewFileName(testUUID, tag)
	if thumb != testUUID+"-"+tag+"-thumbnail.jpg" || preview != testUUID+"-"+tag+"-preview.jpg" {
		t.Fatalf("names %q %q", thumb, preview)
	}
	if u, g, ok := ParseThumbnailFileName(thumb); !ok || u != testUUID || g != tag {
		t.Errorf("ParseThumbnailFileName(%q) = %q %q %v", thumb, u, g, ok)
	}
	if u, g, ok := ParsePreviewFileName(preview); !ok || u != testUUID || g != tag {
		t.Errorf("ParsePreviewFileName(%q) = %q %q %v", preview, u, g, ok)
	}
	// Each prefix maps only its own kind into the video's HLS directory.
	if rel, ok := ThumbnailMediaPath(thumb); !ok || rel != MediaHLSDir+"/"+testUUID+"/"+thumb {
		t.Errorf("ThumbnailMediaPath(%q) = %q %v", thumb, rel, ok)
	}
	if rel, ok := PreviewMediaPath(preview); !ok || rel != MediaHLSDir+"/"+testUUID+"/"+preview {
		t.Errorf("PreviewMediaPath(%q) = %q %v", preview, rel, ok)
	}
	for _, bad := range []string{preview, RenditionFileName(testUUID, 720), "", "../" + thumb,
		strings.ToUpper(testUUID) + "-" + tag + "-thumbnail.jpg", testUUID + "-" + strings.ToUpper(tag) + "-thumbnail.jpg",
		testUUID + "-" + tag[:15] + "-thumbnail.jpg", testUUID + "-" + tag + "0-thumbnail.jpg", testUUID + "/" + tag + "-thumbnail.jpg"} {
		if rel, ok := ThumbnailMediaPath(bad); ok {
			t.Errorf("ThumbnailMediaPath(%q) = %q, want refused", bad, rel)
		}
	}
	if _, ok := PreviewMediaPath(thumb); ok {
		t.Errorf("PreviewMediaPath took a thumbnail's name")
	}
	u, err := New("https://edge.example/sub")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Thumbnail(thumb); got != "https://edge.example/sub/lazy-static/thumbnails/"+thumb {
		t.Errorf("Thumbnail = %q", got)
	}
	if got := u.Local(PreviewPath(preview)); got != "/sub/lazy-static/previews/"+preview {
		t.Errorf("Local(PreviewPath) = %q", got)
	}
}

// FuzzParseImageName: whatever the image name parsers accept builds back to the same name.
func FuzzParseImageName(f *testing.F) {
	tag := ImageTag(nil)
	for _, s := range []string{ThumbnailFileName(testUUID, tag), PreviewFileName(testUUID, tag), testUUID + "-x-preview.jpg", "-thumbnail.jpg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, g, ok := ParseThumbnailFileName(s); ok && ThumbnailFileName(u, g) != s {
			t.Fatalf("%q parsed as %q %q", s, u, g)
		}
		if u, g, ok := ParsePreviewFileName(s); ok && PreviewFileName(u, g) != s {
			t.Fatalf("%q parsed as %q %q", s, u, g)
		}
	})
}
