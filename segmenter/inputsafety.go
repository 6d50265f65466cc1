package segmenter

import (
	"path/filepath"
	"strings"
)

// allowedDemuxers are the container demuxers an upload may use. Demuxers that
// follow references to other files or URLs (hls, concat, dash, image2
// sequences, playlists of any kind) are absent on purpose: ffmpeg refuses a
// demuxer not on -format_whitelist right after probing, before it opens
// anything the file points at. The mov demuxer's external data references
// ("dref") stay disabled, its default since ffmpeg 3.4.
var allowedDemuxers = []string{
	"mov",      // mov,mp4,m4a,3gp,3g2,mj2
	"matroska", // matroska,webm
	"avi",
	"flv",
	"mpegts",
	"mpeg",      // program streams, .vob
	"mpegvideo", // raw MPEG-1/2 video (.m2v)
	"ogg",
	"asf", // wmv
	"mxf",
}

// inputProtocols keeps inputs on the local file they name: no network, no
// subprocess, no crypto/concat/subfile protocol wrappers.
const inputProtocols = "file"

// safeInputArgs are the ffprobe/ffmpeg options placed before -i.
func safeInputArgs() []string {
	return []string{
		"-protocol_whitelist", inputProtocols,
		"-format_whitelist", strings.Join(allowedDemuxers, ","),
	}
}

// demuxerAllowed reports whether ffprobe's format_name (a comma-separated list
// of aliases, e.g. "mov,mp4,m4a,3gp,3g2,mj2") names an allowed demuxer, and
// returns the alias to force with -f.
func demuxerAllowed(formatName string) (string, bool) {
	for _, alias := range strings.Split(formatName, ",") {
		for _, allowed := range allowedDemuxers {
			if alias == allowed {
				return allowed, true
			}
		}
	}
	return "", false
}

// fileURL makes ffmpeg treat path as a local file whatever its characters
// (a name like "http:x" or "-i" would otherwise be a protocol or an option).
func fileURL(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return "file:" + abs, nil
}
