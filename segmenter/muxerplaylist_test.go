package segmenter

import (
	"testing"
)

const sampleMuxerPlaylist = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="u-240-fragmented.mp4",BYTERANGE="1357@0"
#EXTINF:4.000000,
#EXT-X-BYTERANGE:174159@1357
u-240-fragmented.mp4
#EXTINF:4.000000,
#EXT-X-BYTERANGE:179482
u-240-fragmented.mp4
#EXTINF:2.000000,
#EXT-X-BYTERANGE:89349@354998
u-240-fragmented.mp4
#EXT-X-ENDLIST
`

func TestParseMuxerPlaylist(t *testing.T) {
	pl, err := parseMuxerPlaylist([]byte(sampleMuxerPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	if pl.Init != (ByteRange{0, 1357}) {
		t.Errorf("init %+v", pl.Init)
	}
	want := []muxerSegment{{ByteRange{1357, 174159}, 4}, {ByteRange{175516, 179482}, 4}, {ByteRange{354998, 89349}, 2}}
	if len(pl.Segments) != len(want) {
		t.Fatalf("segments %+v", pl.Segments)
	}
	for i := range want {
		if pl.Segments[i] != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, pl.Segments[i], want[i])
		}
	}
	bad := []string{
		"#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:10@0\na.mp4\n",                                  // no map
		"#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"10@0\"\n",                                   // no segments
		"#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"10@0\"\na.mp4\n",                            // no EXTINF
		"#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"10@0\"\n#EXTINF:x,\n",                       // bad duration
		"#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"10@0\"\n#EXTINF:1,\n#EXT-X-BYTERANGE:0@5\n", // empty range
		"#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"9223372036854775807@9\"\n",                  // overflow
	}
	for _, s := range bad {
		if _, err := parseMuxerPlaylist([]byte(s)); err == nil {
			t.Errorf("parseMuxerPlaylist(%q) accepted", s)
		}
	}
}

func FuzzParseMuxerPlaylist(f *testing.F) {
	f.Add(sampleMuxerPlaylist)
	f.Add("#EXTM3U\n#EXT-X-MAP:URI=\"a\",BYTERANGE=\"10\"\n#EXTINF:1,\n#EXT-X-BYTERANGE:5\na\n")
	f.Fuzz(func(t *testing.T, s string) {
		pl, err := parseMuxerPlaylist([]byte(s))
		if err != nil {
			return
		}
		if pl.Init.Length <= 0 || len(pl.Segments) == 0 {
			t.Fatalf("accepted playlist without init or segments: %+v", pl)
		}
		for _, seg := range pl.Segments {
			if seg.Length <= 0 || seg.Offset < 0 || seg.End() < seg.Offset || seg.Duration < 0 {
				t.Fatalf("accepted bad segment %+v", seg)
			}
		}
	})
}
