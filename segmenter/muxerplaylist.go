package segmenter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteRange addresses part of a file.
type ByteRange struct{ Offset, Length int64 }

// End is the offset just past the range.
func (b ByteRange) End() int64 { return b.Offset + b.Length }

// muxerSegment is a segment as ffmpeg's hls muxer listed it.
type muxerSegment struct {
	ByteRange
	Duration float64
}

// muxerPlaylist is what we take from the playlist ffmpeg's hls muxer wrote
// for one single_file fMP4 rung; we write our own playlists from it.
type muxerPlaylist struct {
	Init     ByteRange
	Segments []muxerSegment
}

var errMuxerPlaylist = errors.New("unexpected hls muxer playlist")

// parseByteRange reads "length[@offset]"; without an offset the range
// continues at next, as RFC 8216 §4.3.2.2 says.
func parseByteRange(s string, next int64) (ByteRange, error) {
	lenStr, offStr, hasOff := strings.Cut(s, "@")
	length, err := strconv.ParseInt(lenStr, 10, 64)
	if err != nil || length <= 0 {
		return ByteRange{}, fmt.Errorf("%w: byte range %q", errMuxerPlaylist, s)
	}
	offset := next
	if hasOff {
		offset, err = strconv.ParseInt(offStr, 10, 64)
		if err != nil || offset < 0 {
			return ByteRange{}, fmt.Errorf("%w: byte range %q", errMuxerPlaylist, s)
		}
	}
	if offset > math.MaxInt64-length {
		return ByteRange{}, fmt.Errorf("%w: byte range %q overflows", errMuxerPlaylist, s)
	}
	return ByteRange{Offset: offset, Length: length}, nil
}

// parseMuxerPlaylist reads the EXT-X-MAP range and every segment's EXTINF and
// EXT-X-BYTERANGE from a playlist ffmpeg wrote with -hls_flags single_file.
func parseMuxerPlaylist(data []byte) (muxerPlaylist, error) {
	var (
		pl       muxerPlaylist
		haveMap  bool
		duration = -1.0
		rng      *ByteRange
		next     int64
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXT-X-MAP:"):
			attrs, err := parseAttributeList(strings.TrimPrefix(line, "#EXT-X-MAP:"))
			if err != nil {
				return muxerPlaylist{}, fmt.Errorf("%w: %v", errMuxerPlaylist, err)
			}
			br, ok := attribute(attrs, "BYTERANGE")
			if !ok {
				return muxerPlaylist{}, fmt.Errorf("%w: EXT-X-MAP without BYTERANGE", errMuxerPlaylist)
			}
			if pl.Init, err = parseByteRange(br.Value, 0); err != nil {
				return muxerPlaylist{}, err
			}
			haveMap = true
			next = pl.Init.End()
		case strings.HasPrefix(line, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			d, err := strconv.ParseFloat(v, 64)
			if err != nil || d < 0 || math.IsNaN(d) || math.IsInf(d, 0) {
				return muxerPlaylist{}, fmt.Errorf("%w: %q", errMuxerPlaylist, line)
			}
			duration = d
		case strings.HasPrefix(line, "#EXT-X-BYTERANGE:"):
			br, err := parseByteRange(strings.TrimPrefix(line, "#EXT-X-BYTERANGE:"), next)
			if err != nil {
				return muxerPlaylist{}, err
			}
			rng = &br
		case strings.HasPrefix(line, "#"):
		default: // URI line closes a segment
			if duration < 0 || rng == nil {
				return muxerPlaylist{}, fmt.Errorf("%w: segment %q lacks EXTINF or EXT-X-BYTERANGE", errMuxerPlaylist, line)
			}
			pl.Segments = append(pl.Segments, muxerSegment{ByteRange: *rng, Duration: duration})
			next = rng.End()
			duration, rng = -1, nil
		}
	}
	if err := sc.Err(); err != nil {
		return muxerPlaylist{}, fmt.Errorf("%w: %v", errMuxerPlaylist, err)
	}
	if !haveMap || len(pl.Segments) == 0 {
		return muxerPlaylist{}, fmt.Errorf("%w: no EXT-X-MAP or no segments", errMuxerPlaylist)
	}
	return pl, nil
}
