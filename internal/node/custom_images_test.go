package node

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// uploadWithImages is an upload form carrying a video and the given image
// parts (field → bytes).
func uploadWithImages(t *testing.T, clip string, images map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for field, data := range images {
		fw, err := mw.CreateFormFile(field, field+".img")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if clip == "" { // an edit: the images alone
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		return &buf, mw.FormDataContentType()
	}
	if err := mw.WriteField("name", "custom images"); err != nil {
		t.Fatal(err)
	}
	video, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("videofile", "clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(video)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// servedImage fetches a served image and decodes it as JPEG.
func servedImage(t *testing.T, url string) image.Image {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("%s: %s, %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	img, err := jpeg.Decode(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return img
}

// rgb8 is a pixel's colour in 8 bits per channel.
func rgb8(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

// near reports whether c is within 40 of want on every channel (JPEG
// and the colour conversion move a solid colour a little).
func near(c, want [3]uint32) bool {
	for i := range c {
		if d := int(c[i]) - int(want[i]); d < -40 || d > 40 {
			return false
		}
	}
	return true
}

// TestCustomImages uploads videos with PeerTube's thumbnailfile and
// previewfile: the served images are made from them, at PeerTube's sizes,
// and an image field that is no image refuses the upload, keeping nothing.
func TestCustomImages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clip := testmedia.Make(t, dir, testmedia.Clip{Width: 320, Height: 240, Seconds: 1})
	red := testmedia.SolidImage(t, dir, "red.jpg", "red", 640, 360)
	blue := testmedia.SolidImage(t, dir, "blue.png", "blue", 400, 400) // square: cropped to cover
	n := startNode(t, Config{AdminPassword: testPassword})

	var edited apiVideo // the video the edits change
	tests := []struct {
		name        string
		images      map[string][]byte
		thumb, prev *[3]uint32 // the colour wanted at the centre; nil: from the video
	}{
		{"thumbnail only", map[string][]byte{"thumbnailfile": red}, &[3]uint32{255, 0, 0}, nil},
		{"both", map[string][]byte{"thumbnailfile": red, "previewfile": blue}, &[3]uint32{255, 0, 0}, &[3]uint32{0, 0, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := uploadWithImages(t, clip, tt.images)
			resp, b := n.upload(t, n.token, body, ct)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("upload: %s %s", resp.Status, b)
			}
			var created struct{ Video struct{ UUID string } }
			if err := json.Unmarshal(b, &created); err != nil {
				t.Fatal(err)
			}
			v, _ := n.waitPublished(t, created.Video.UUID)
			if v.ThumbnailPath == nil || v.PreviewPath == nil {
				t.Fatalf("no images: %+v", v)
			}
			edited = v
			for _, img := range []struct {
				path string
				w, h int
				want *[3]uint32
			}{{*v.ThumbnailPath, layout.ThumbnailWidth, layout.ThumbnailHeight, tt.thumb}, {*v.PreviewPath, layout.PreviewWidth, layout.PreviewHeight, tt.prev}} {
				got := servedImage(t, n.base+img.path)
				if b := got.Bounds(); b.Dx() != img.w || b.Dy() != img.h {
					t.Errorf("%s is %dx%d, want %dx%d", img.path, b.Dx(), b.Dy(), img.w, img.h)
				}
				centre := rgb8(got, img.w/2, img.h/2)
				switch {
				case img.want != nil && !near(centre, *img.want):
					t.Errorf("%s: centre %v, want near %v (the uploaded image)", img.path, centre, *img.want)
				case img.want == nil && (near(centre, [3]uint32{255, 0, 0}) || near(centre, [3]uint32{0, 0, 255})):
					t.Errorf("%s: centre %v: the uploaded image, not the video's frame", img.path, centre)
				}
			}
		})
	}

	// PUT /api/v1/videos/{id} with a new thumbnail: served at a new name at
	// once, the old name gone, the preview as it was; a non-image changes
	// nothing.
	t.Run("edit", func(t *testing.T) {
		if edited.ThumbnailPath == nil {
			t.Skip("no video published")
		}
		green := testmedia.SolidImage(t, dir, "green.png", "0x00ff00", 300, 200)
		body, ct := uploadWithImages(t, "", map[string][]byte{"thumbnailfile": green})
		resp, b := n.request(t, http.MethodPut, "/api/v1/videos/"+edited.UUID, n.token, body, map[string]string{"Content-Type": ct})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("edit: %s %s", resp.Status, b)
		}
		var v apiVideo
		getJSON(t, n.base+"/api/v1/videos/"+edited.UUID, &v)
		if *v.ThumbnailPath == *edited.ThumbnailPath || *v.PreviewPath != *edited.PreviewPath {
			t.Fatalf("after the edit thumbnail %s (was %s), preview %s (was %s)", *v.ThumbnailPath, *edited.ThumbnailPath, *v.PreviewPath, *edited.PreviewPath)
		}
		if c := rgb8(servedImage(t, n.base+*v.ThumbnailPath), layout.ThumbnailWidth/2, layout.ThumbnailHeight/2); !near(c, [3]uint32{0, 255, 0}) {
			t.Errorf("edited thumbnail centre %v, want green", c)
		}
		if resp, err := http.Get(n.base + *edited.ThumbnailPath); err != nil {
			t.Fatal(err)
		} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
			t.Errorf("old thumbnail: %s, want 404", resp.Status)
		}

		body, ct = uploadWithImages(t, "", map[string][]byte{"previewfile": []byte("GIF89a not ours")})
		resp, b = n.request(t, http.MethodPut, "/api/v1/videos/"+edited.UUID, n.token, body, map[string]string{"Content-Type": ct})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("edit with a non-image: %s %s, want 400", resp.Status, b)
		}
		var after apiVideo
		getJSON(t, n.base+"/api/v1/videos/"+edited.UUID, &after)
		if *after.ThumbnailPath != *v.ThumbnailPath || *after.PreviewPath != *v.PreviewPath {
			t.Errorf("a refused edit changed the images")
		}
	})

	t.Run("not an image", func(t *testing.T) {
		var list struct {
			Total int `json:"total"`
		}
		getJSON(t, n.base+"/api/v1/videos", &list)
		videos := list.Total
		before := filesUnder(t, filepath.Join(n.data, "originals"))
		for _, field := range []string{"thumbnailfile", "previewfile"} {
			body, ct := uploadWithImages(t, clip, map[string][]byte{field: []byte("<html>not an image</html>")})
			resp, b := n.upload(t, n.token, body, ct)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s not an image: %s %s, want 400", field, resp.Status, b)
			}
		}
		// A JPEG's magic with garbage after it: ffmpeg cannot read it.
		body, ct := uploadWithImages(t, clip, map[string][]byte{"thumbnailfile": append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{7}, 500)...)})
		if resp, b := n.upload(t, n.token, body, ct); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("broken JPEG: %s %s, want 400", resp.Status, b)
		}
		if after := filesUnder(t, filepath.Join(n.data, "originals")); len(after) != len(before) {
			t.Errorf("refused uploads left files: before %q, after %q", before, after)
		}
		if getJSON(t, n.base+"/api/v1/videos", &list); list.Total != videos {
			t.Errorf("refused uploads made videos: %d, want %d", list.Total, videos)
		}
		if left := filesUnder(t, filepath.Join(n.data, "tmp")); len(left) != 0 {
			t.Errorf("refused uploads left temporary files %q", left)
		}
	})
}
