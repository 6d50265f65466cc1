package peertube

import (
	"fmt"
	"path/filepath"
	"strings"
)

// storageDirs are PeerTube's storage keys (config/default.yaml), each
// given a directory of the instance.
var storageDirs = []string{"tmp", "tmp_persistent", "bin", "avatars", "web_videos", "streaming_playlists",
	"original_video_files", "redundancy", "logs", "previews", "thumbnails", "storyboards", "torrents",
	"captions", "cache", "plugins", "well_known", "client_overrides"}

// devConfig is the harness's dev.yaml: the instance's port and host, its
// database and private Redis, SSRF protection off (its peers are on
// 127.0.0.1), generous rate limits, one small transcoding rung, and the
// redundancy strategy the mirror tests use.
func devConfig(port int, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `listen: { hostname: '127.0.0.1', port: %[1]d }
webserver: { https: false, hostname: '127.0.0.1', port: %[1]d }
secrets: { peertube: 'harness-secret-%[1]d' }
database: { hostname: '127.0.0.1', port: 5432, name: '%[2]s', username: 'peertube', password: 'peertube' }
redis: { socket: '%[3]s', db: 0 } # ioredis takes the socket over hostname and port
smtp: { hostname: null }
log: { level: 'info' }
peertube: { check_latest_version: { enabled: false } }
federation: { prevent_ssrf: false }
signup: { enabled: true, requires_approval: false, requires_email_verification: false }
admin: { email: 'admin%[1]d@example.com' }
rates_limit:
  api: { window: 10 seconds, max: 5000 }
  login: { window: 5 minutes, max: 500 }
import: { videos: { http: { enabled: false }, torrent: { enabled: false } } }
transcoding:
  enabled: true
  threads: 1
  concurrency: 1
  web_videos: { enabled: true }
  hls: { enabled: true }
  resolutions: { 0p: false, 144p: false, 240p: true, 360p: false, 480p: false, 720p: false, 1080p: false, 1440p: false, 2160p: false }
redundancy:
  videos:
    check_interval: '1 minute'
    strategies:
      - { size: '1000MB', min_lifetime: '10 minutes', strategy: 'recently-added', min_views: 0 }
storage:
`, port, databaseName(port), filepath.Join(dir, "redis.sock"))
	for _, d := range storageDirs {
		fmt.Fprintf(&b, "  %s: '%s/'\n", d, filepath.Join(dir, "storage", strings.ReplaceAll(d, "_", "-")))
	}
	return b.String()
}
