package edge

import "strings"

// contentTypes maps lower-case extensions to media types. The table is ours
// rather than mime.TypeByExtension so answers do not depend on the host's
// /etc/mime.types. HTML is deliberately absent: uploaded files must never be
// rendered as pages on the node's origin.
var contentTypes = map[string]string{
	".mp4":     "video/mp4",
	".m4v":     "video/mp4",
	".m4s":     "video/iso.segment",
	".m4a":     "audio/mp4",
	".mp3":     "audio/mpeg",
	".ts":      "video/mp2t",
	".webm":    "video/webm",
	".mkv":     "video/x-matroska",
	".ogv":     "video/ogg",
	".ogg":     "audio/ogg",
	".m3u8":    "application/vnd.apple.mpegurl",
	".mpd":     "application/dash+xml",
	".torrent": "application/x-bittorrent",
	".json":    "application/json",
	".vtt":     "text/vtt; charset=utf-8",
	".srt":     "application/x-subrip",
	".txt":     "text/plain; charset=utf-8",
	".jpg":     "image/jpeg",
	".jpeg":    "image/jpeg",
	".png":     "image/png",
	".webp":    "image/webp",
	".gif":     "image/gif",
}

const defaultContentType = "application/octet-stream"

// ContentType returns the media type served for a file name, by extension
// (case-insensitive); unknown extensions get application/octet-stream.
func ContentType(name string) string {
	if t, ok := contentTypes[lowerExt(name)]; ok {
		return t
	}
	return defaultContentType
}

// Cache-Control values of the default policy.
const (
	// Media files are written once under names that never change (a new
	// encode gets a new name), so caches may keep them for a year. Torrents
	// are not: the same URL answers without trackers while P2P is off.
	cacheImmutable = "public, max-age=31536000, immutable"
	// Playlists and JSON (segment hashes, metadata) may be regenerated, e.g.
	// when a resolution is added; ten seconds bounds the staleness while still
	// absorbing a burst of viewers joining at once.
	cacheShort = "public, max-age=10"
	// Torrents and anything else: a minute.
	cacheDefault = "public, max-age=60"
)

// DefaultCacheControl is the Cache-Control policy used when
// FileServerConfig.CacheControl is nil.
func DefaultCacheControl(name string) string {
	switch lowerExt(name) {
	case ".mp4", ".m4s", ".m4v", ".m4a", ".mp3", ".ts", ".webm", ".mkv", ".ogv", ".ogg",
		".jpg", ".jpeg", ".png", ".webp", ".gif":
		return cacheImmutable
	case ".m3u8", ".json", ".mpd":
		return cacheShort
	}
	return cacheDefault
}

// lowerExt returns the extension of name, lower-cased. Extensions longer than
// 15 bytes match nothing in the tables and are returned as "".
func lowerExt(name string) string {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || strings.IndexByte(name[dot:], '/') >= 0 {
		return ""
	}
	ext := name[dot:]
	for i := 0; i < len(ext); i++ {
		if c := ext[i]; 'A' <= c && c <= 'Z' {
			if len(ext) > 15 {
				return ""
			}
			var buf [15]byte
			n := copy(buf[:], ext)
			for j := i; j < n; j++ {
				if c := buf[j]; 'A' <= c && c <= 'Z' {
					buf[j] = c + 'a' - 'A'
				}
			}
			return string(buf[:n]) // only upper-case names pay this allocation
		}
	}
	return ext
}
