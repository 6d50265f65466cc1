package segmenter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peeredge/peeredge/internal/layout"
)

const outputFileMode = 0o644

// writePlaylists writes each media playlist, the master playlist and
// segments-sha256.json into outDir.
func writePlaylists(outDir string, renditions []Rendition) error {
	for _, r := range renditions {
		data, err := mediaPlaylist(r)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, r.PlaylistName), data, outputFileMode); err != nil {
			return fmt.Errorf("write media playlist: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(outDir, layout.MasterPlaylistName), masterPlaylist(renditions), outputFileMode); err != nil {
		return fmt.Errorf("write master playlist: %w", err)
	}
	data, err := segmentsSHA256JSON(renditions)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, layout.SegmentsSHA256Name), data, outputFileMode); err != nil {
		return fmt.Errorf("write %s: %w", layout.SegmentsSHA256Name, err)
	}
	return nil
}

// segmentsSHA256JSON encodes PeerTube's
// {"<file>": {"<start>-<end inclusive>": "<sha256 hex>"}} map, in playlist
// order (encoding/json would sort the range keys as strings).
func segmentsSHA256JSON(renditions []Rendition) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, r := range renditions {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(r.FileName)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", layout.SegmentsSHA256Name, err)
		}
		b.Write(name)
		b.WriteString(":{")
		for j, s := range r.Segments {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"%d-%d":"%s"`, s.Offset, s.End()-1, hex.EncodeToString(s.SHA256[:]))
		}
		b.WriteByte('}')
	}
	b.WriteString("}\n")
	if !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("encode %s: invalid JSON", layout.SegmentsSHA256Name)
	}
	return b.Bytes(), nil
}
