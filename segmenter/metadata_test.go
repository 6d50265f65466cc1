package segmenter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestMetadata: a file's metadata is ffprobe's format and streams, naming
// its codecs; what ffprobe cannot read is an error, not JSON.
func TestMetadata(t *testing.T) {
	t.Parallel()
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		clip   testmedia.Clip
		codecs []string
	}{
		{"video and audio", testmedia.Clip{Name: "av.mp4", Width: 320, Height: 240, Seconds: 1, Audio: true}, []string{"aac", "h264"}},
		{"video only", testmedia.Clip{Name: "v.mp4", Width: 320, Height: 240, Seconds: 1}, []string{"h264"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Config{}.Metadata(context.Background(), testmedia.Make(t, dir, tt.clip))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Streams []struct {
					CodecName string `json:"codec_name"`
				} `json:"streams"`
				Format struct {
					FormatName string `json:"format_name"`
					Size       string `json:"size"`
				} `json:"format"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%v in %s", err, b)
			}
			var codecs []string
			for _, s := range m.Streams {
				codecs = append(codecs, s.CodecName)
			}
			slices.Sort(codecs)
			if !slices.Equal(codecs, tt.codecs) || m.Format.FormatName == "" || m.Format.Size == "" {
				t.Errorf("codecs %q format %+v, want codecs %q", codecs, m.Format, tt.codecs)
			}
		})
	}
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := (Config{}).Metadata(context.Background(), garbage); err == nil {
		t.Errorf("garbage described as %s", b)
	}
}
