package segmenter

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/grafov/m3u8"
)

// hlsVersion is the EXT-X-VERSION of every playlist we write: EXT-X-MAP in a
// media playlist needs 6, and 6 also drops the PROGRAM-ID attribute.
const hlsVersion = 7

// headerLines is a grafov CustomTag carrying playlist-level tags the library
// writes wrongly or not at all. grafov keeps custom tags in a map, so all of
// them travel in this one value to keep the output order fixed.
type headerLines []string

func (h headerLines) TagName() string { return "#peeredge-header" }
func (h headerLines) Encode() *bytes.Buffer {
	if len(h) == 0 {
		return nil
	}
	return bytes.NewBufferString(strings.Join(h, "\n"))
}
func (h headerLines) String() string { return strings.Join(h, "\n") }

// mediaPlaylist encodes a rendition's VOD media playlist. grafov v0.12.1
// writes EXT-X-MAP's BYTERANGE unquoted and declares version 5 for it, and
// writes EXT-X-INDEPENDENT-SEGMENTS only in master playlists, so both tags
// are written as custom tags and the version is set by hand.
func mediaPlaylist(r Rendition) ([]byte, error) {
	if len(r.Segments) == 0 {
		return nil, fmt.Errorf("media playlist %s: no segments", r.PlaylistName)
	}
	p, err := m3u8.NewMediaPlaylist(0, uint(len(r.Segments)))
	if err != nil {
		return nil, fmt.Errorf("media playlist %s: %w", r.PlaylistName, err)
	}
	p.MediaType = m3u8.VOD
	maxDuration := 0.0
	for _, s := range r.Segments {
		err := p.AppendSegment(&m3u8.MediaSegment{
			URI:      r.FileName,
			Duration: s.Duration,
			Limit:    s.Length,
			Offset:   s.Offset,
		})
		if err != nil {
			return nil, fmt.Errorf("media playlist %s: %w", r.PlaylistName, err)
		}
		maxDuration = max(maxDuration, s.Duration)
	}
	// EXTINF is written with three decimals; the target must cover that value
	// rounded to the nearest integer (RFC 8216 §4.3.3.1).
	p.TargetDuration = max(1, math.Ceil(math.Round(maxDuration*1000)/1000))
	p.SetCustomTag(headerLines{
		"#EXT-X-INDEPENDENT-SEGMENTS",
		fmt.Sprintf(`#EXT-X-MAP:URI="%s",BYTERANGE="%d@%d"`, r.FileName, r.Init.Length, r.Init.Offset),
	})
	p.Closed = true // not Close(): it appends ENDLIST to a cached encoding
	p.SetVersion(hlsVersion)
	p.ResetCache()
	return bytes.Clone(p.Encode().Bytes()), nil
}

// masterPlaylist encodes the master playlist listing every rendition.
// grafov always writes PROGRAM-ID, which protocol version 6 removed; it is
// cut from the encoded output.
func masterPlaylist(renditions []Rendition) []byte {
	m := m3u8.NewMasterPlaylist()
	m.SetVersion(hlsVersion)
	m.SetIndependentSegments(true)
	for _, r := range renditions {
		m.Append(r.PlaylistName, nil, m3u8.VariantParams{
			Bandwidth:        clampUint32(r.Bandwidth),
			AverageBandwidth: clampUint32(r.AverageBandwidth),
			Codecs:           r.Codecs,
			Resolution:       strconv.Itoa(r.Width) + "x" + strconv.Itoa(r.Height),
			FrameRate:        r.FPS,
		})
	}
	m.ResetCache()
	out := m.Encode().String()
	out = strings.ReplaceAll(out, "#EXT-X-STREAM-INF:PROGRAM-ID=0,", "#EXT-X-STREAM-INF:")
	return []byte(out)
}

func clampUint32(n int) uint32 {
	return uint32(min(max(n, 0), math.MaxUint32))
}
