package segmenter

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// box builds an ISO BMFF box.
func box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(out, typ...), body...)
}

// initWithAVC builds a minimal init section whose avc1 entry carries avcC.
func initWithAVC(profile, compat, level byte) []byte {
	avcC := box("avcC", []byte{1, profile, compat, level, 0xff, 0xe1})
	avc1 := box("avc1", make([]byte, visualSampleEntryHeader), avcC)
	stsd := box("stsd", []byte{0, 0, 0, 0, 0, 0, 0, 1}, avc1)
	soun := box("trak", box("mdia", box("minf", box("stbl", box("stsd", []byte{0, 0, 0, 0, 0, 0, 0, 1}, box("mp4a", make([]byte, 28)))))))
	vide := box("trak", box("mdia", box("minf", box("stbl", stsd))))
	return append(box("ftyp", []byte("isom")), box("moov", box("mvhd", make([]byte, 100)), soun, vide)...)
}

func TestAVCCodecString(t *testing.T) {
	got, err := avcCodecString(initWithAVC(0x64, 0x00, 0x1f))
	if err != nil || got != "avc1.64001f" {
		t.Fatalf("avcCodecString = %q, %v; want avc1.64001f", got, err)
	}
	if _, err := avcCodecString(box("moov", box("trak"))); err == nil {
		t.Fatal("found a codec in an init without avcC")
	}
}

func TestCheckRanges(t *testing.T) {
	file := bytes.Join([][]byte{box("ftyp", []byte("isom")), box("moov", make([]byte, 8)),
		box("sidx", make([]byte, 4)), box("moof", make([]byte, 4)), box("mdat", make([]byte, 20)),
		box("moof", make([]byte, 4)), box("mdat", make([]byte, 10))}, nil)
	boxes, err := topLevelBoxes(bytes.NewReader(file), int64(len(file)))
	if err != nil || len(boxes) != 7 {
		t.Fatalf("boxes %+v, %v", boxes, err)
	}
	init := ByteRange{0, 12 + 16}
	seg1 := muxerSegment{ByteRange: ByteRange{28, 12 + 12 + 28}}
	seg2 := muxerSegment{ByteRange: ByteRange{80, 12 + 18}}
	if err := checkRanges(boxes, init, []muxerSegment{seg1, seg2}, int64(len(file))); err != nil {
		t.Fatalf("good ranges refused: %v", err)
	}
	tests := map[string][]muxerSegment{
		"gap":          {seg1, {ByteRange: ByteRange{81, 29}}},
		"short of EOF": {seg1, {ByteRange: ByteRange{80, 12}}},
		"mid-box":      {{ByteRange: ByteRange{28, 30}}, {ByteRange: ByteRange{58, 52}}},
		"no moof":      {{ByteRange: ByteRange{28, 12}}, {ByteRange: ByteRange{40, 70}}},
	}
	for name, segs := range tests {
		if err := checkRanges(boxes, init, segs, int64(len(file))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := topLevelBoxes(bytes.NewReader(file[:len(file)-3]), int64(len(file)-3)); err == nil {
		t.Error("truncated file accepted")
	}
}

func FuzzAVCCodecString(f *testing.F) {
	f.Add(initWithAVC(0x64, 0, 0x1f))
	f.Add(box("moov", []byte{0, 0, 0, 1, 't', 'r', 'a', 'k', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = avcCodecString(data)
		if boxes, err := topLevelBoxes(bytes.NewReader(data), int64(len(data))); err == nil {
			var end int64
			for _, b := range boxes {
				if b.Offset != end || b.Size < 8 {
					t.Fatalf("boxes do not tile the data: %+v", boxes)
				}
				end += b.Size
			}
			if end != int64(len(data)) {
				t.Fatalf("boxes end at %d of %d", end, len(data))
			}
		}
	})
}
