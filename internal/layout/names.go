package layout

import (
	"strconv"
	"strings"
)

// Fixed file names in a video's HLS directory.
const (
	MasterPlaylistName = "master.m3u8"
	SegmentsSHA256Name = "segments-sha256.json"
)

// Suffixes of the per-rung names, after "{uuid}-{height}".
const (
	renditionSuffix = "-fragmented.mp4"
	playlistSuffix  = ".m3u8"
	torrentSuffix   = "-hls.torrent"
)

// RenditionFileName names a rung's fragmented MP4: {uuid}-{height}-fragmented.mp4.
// The same name is its WebSeed's and its torrent's file name.
func RenditionFileName(uuid string, height int) string {
	return rungName(uuid, height, renditionSuffix)
}

// MediaPlaylistName names a rung's media playlist: {uuid}-{height}.m3u8.
func MediaPlaylistName(uuid string, height int) string { return rungName(uuid, height, playlistSuffix) }

// TorrentFileName names a rung's torrent: {uuid}-{height}-hls.torrent.
func TorrentFileName(uuid string, height int) string { return rungName(uuid, height, torrentSuffix) }

func rungName(uuid string, height int, suffix string) string {
	return uuid + "-" + strconv.Itoa(height) + suffix
}

// ParseRenditionFileName reads a name made by RenditionFileName back.
func ParseRenditionFileName(name string) (uuid string, height int, ok bool) {
	return parseRungName(name, renditionSuffix)
}

// ParseTorrentFileName reads a name made by TorrentFileName back.
func ParseTorrentFileName(name string) (uuid string, height int, ok bool) {
	return parseRungName(name, torrentSuffix)
}

// parseRungName accepts exactly the names rungName makes from a canonical
// UUID and a positive height without leading zeros, so that a parsed name
// always builds back to itself.
func parseRungName(name, suffix string) (uuid string, height int, ok bool) {
	rest, ok := strings.CutSuffix(name, suffix)
	if !ok || len(rest) < UUIDLen+2 || rest[UUIDLen] != '-' {
		return "", 0, false
	}
	uuid, digits := rest[:UUIDLen], rest[UUIDLen+1:]
	if !IsCanonicalUUID(uuid) {
		return "", 0, false
	}
	height, ok = parsePositive(digits, 5)
	if !ok {
		return "", 0, false
	}
	return uuid, height, true
}

// parsePositive reads a positive decimal of at most maxDigits digits and no
// leading zero: exactly what strconv.Itoa writes, so it formats back to the
// same text (Atoi alone would take "+7" or "007").
func parsePositive(digits string, maxDigits int) (int, bool) {
	if len(digits) == 0 || len(digits) > maxDigits || digits[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}
