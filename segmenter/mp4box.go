package segmenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

var errMP4 = errors.New("unexpected mp4 structure")

// boxHeader locates one ISO BMFF box in a file.
type boxHeader struct {
	Type   string
	Offset int64
	Size   int64
}

// topLevelBoxes lists the top-level boxes of an MP4 of the given size,
// reading only their headers.
func topLevelBoxes(r io.ReaderAt, size int64) ([]boxHeader, error) {
	var boxes []boxHeader
	var hdr [16]byte
	for off := int64(0); off < size; {
		if size-off < 8 {
			return nil, fmt.Errorf("%w: %d trailing bytes at %d", errMP4, size-off, off)
		}
		if _, err := r.ReadAt(hdr[:8], off); err != nil {
			return nil, fmt.Errorf("read box header at %d: %w", off, err)
		}
		boxSize := int64(binary.BigEndian.Uint32(hdr[:4]))
		headerLen := int64(8)
		switch boxSize {
		case 0: // extends to the end of the file
			boxSize = size - off
		case 1: // 64-bit size follows the type
			if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
				return nil, fmt.Errorf("read box size at %d: %w", off, err)
			}
			boxSize = int64(binary.BigEndian.Uint64(hdr[8:16]))
			headerLen = 16
		}
		if boxSize < headerLen || boxSize > size-off {
			return nil, fmt.Errorf("%w: box %q at %d has size %d", errMP4, hdr[4:8], off, boxSize)
		}
		boxes = append(boxes, boxHeader{Type: string(hdr[4:8]), Offset: off, Size: boxSize})
		off += boxSize
	}
	return boxes, nil
}

// checkRanges verifies that the init section and segments tile the whole
// file in order, each starting on a top-level box, and that every segment
// carries a movie fragment: proof the ranges a player fetches are whole.
func checkRanges(boxes []boxHeader, init ByteRange, segs []muxerSegment, fileSize int64) error {
	starts := make(map[int64]int, len(boxes))
	for i, b := range boxes {
		starts[b.Offset] = i
	}
	if init.Offset != 0 {
		return fmt.Errorf("%w: init section starts at %d", errMP4, init.Offset)
	}
	next := init.End()
	for i, s := range segs {
		if s.Offset != next {
			return fmt.Errorf("%w: segment %d starts at %d, want %d", errMP4, i, s.Offset, next)
		}
		first, ok := starts[s.Offset]
		if !ok {
			return fmt.Errorf("%w: segment %d does not start on a box", errMP4, i)
		}
		hasMoof := false
		for j := first; j < len(boxes) && boxes[j].Offset < s.End(); j++ {
			hasMoof = hasMoof || boxes[j].Type == "moof"
		}
		if !hasMoof {
			return fmt.Errorf("%w: segment %d has no moof", errMP4, i)
		}
		next = s.End()
	}
	if next != fileSize {
		return fmt.Errorf("%w: segments end at %d, file has %d bytes", errMP4, next, fileSize)
	}
	if _, ok := starts[init.End()]; !ok {
		return fmt.Errorf("%w: init section does not end on a box", errMP4)
	}
	return nil
}

// visualSampleEntryHeader is how many payload bytes precede the child boxes of a
// sample entry (ISO/IEC 14496-12 VisualSampleEntry).
const visualSampleEntryHeader = 78

// avcCodecString finds the avcC record in an init section and returns the
// RFC 6381 codec string, e.g. "avc1.64001f".
func avcCodecString(init []byte) (string, error) {
	path := []string{"moov", "trak", "mdia", "minf", "stbl", "stsd"}
	for _, trak := range findBoxes(init, path[:2]) {
		stsds := findBoxes(trak, path[2:])
		for _, stsd := range stsds {
			if len(stsd) < 8 { // full box header + entry count
				continue
			}
			for _, entryType := range []string{"avc1", "avc3"} {
				for _, entry := range findBoxes(stsd[8:], []string{entryType}) {
					if len(entry) < visualSampleEntryHeader {
						continue
					}
					for _, avcC := range findBoxes(entry[visualSampleEntryHeader:], []string{"avcC"}) {
						if len(avcC) < 4 {
							continue
						}
						return fmt.Sprintf("avc1.%02x%02x%02x", avcC[1], avcC[2], avcC[3]), nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("%w: no avcC in init section", errMP4)
}

// findBoxes returns the payloads of the boxes reached by following path
// through nested boxes of data.
func findBoxes(data []byte, path []string) [][]byte {
	if len(path) == 0 {
		return [][]byte{data}
	}
	var found [][]byte
	for len(data) >= 8 {
		size := uint64(binary.BigEndian.Uint32(data[:4]))
		typ := string(data[4:8])
		header := uint64(8)
		if size == 1 {
			if len(data) < 16 {
				break
			}
			size, header = binary.BigEndian.Uint64(data[8:16]), 16
		} else if size == 0 {
			size = uint64(len(data))
		}
		if size < header || size > uint64(len(data)) {
			break
		}
		if typ == path[0] {
			found = slices.Concat(found, findBoxes(data[header:size], path[1:]))
		}
		data = data[size:]
	}
	return found
}
