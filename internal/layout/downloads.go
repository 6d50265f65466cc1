package layout

import "strconv"

// Download paths, PeerTube's: the same files as the media paths, answered
// with Content-Disposition: attachment so that browsers save them.
const (
	DownloadFilePrefix    = "/download/streaming-playlists/hls/videos/"
	DownloadTorrentPrefix = "/download/torrents/"
)

// FileDownload is the download URL of a rendition file.
func (u URLs) FileDownload(name string) string { return u.base + DownloadFilePrefix + name }

// TorrentDownload is the download URL of a torrent file.
func (u URLs) TorrentDownload(name string) string { return u.base + DownloadTorrentPrefix + name }

// DownloadFileMediaPath maps what follows DownloadFilePrefix (a rendition
// file name) to the file under the media directory, as WebSeedMediaPath.
func DownloadFileMediaPath(name string) (string, bool) { return WebSeedMediaPath(name) }

// DownloadTorrentMediaPath maps what follows DownloadTorrentPrefix to the
// torrent under the media directory, as TorrentMediaPath.
func DownloadTorrentMediaPath(name string, p2p bool) (string, bool) {
	return TorrentMediaPath(name, p2p)
}

// EmbedPath is the path of a video's embed page (PeerTube's embedPath).
func EmbedPath(uuid string) string { return EmbedPrefix + uuid }

// FileMetadataSegment separates a video's reference from a file id in a
// file's metadata path: /api/v1/videos/{ref}/metadata/{fileId}.
const FileMetadataSegment = "/metadata/"

// FileMetadata is the URL of a file's ffprobe metadata.
func (u URLs) FileMetadata(uuid string, fileID int64) string {
	return u.base + VideosPath + "/" + uuid + FileMetadataSegment + strconv.FormatInt(fileID, 10)
}

// fileIDHeights is how many heights a video's file ids can name: a file id
// is its video's id times this plus the rung's height, so it is stable
// (the same rung, the same id, across restarts and answers), unique across
// the node's videos, and names both without a lookup table.
const fileIDHeights = 1 << 16

// FileID is the id of a video's rung of the given height.
func FileID(videoID int64, height int) int64 { return videoID*fileIDHeights + int64(height) }

// ParseFileID splits a file id into its video's id and its rung's height;
// ok is false for ids FileID cannot make.
func ParseFileID(id int64) (videoID int64, height int, ok bool) {
	if id < fileIDHeights {
		return 0, 0, false
	}
	return id / fileIDHeights, int(id % fileIDHeights), id%fileIDHeights > 0
}
