package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// PeerTube's image sizes: the thumbnail of a video list's tile and the
// preview the player shows before it starts.
const (
	ThumbnailWidth  = 280
	ThumbnailHeight = 157
	PreviewWidth    = 850
	PreviewHeight   = 480
)

// Where the images are served: PeerTube's paths, so that its clients and
// instances find them where they expect.
const (
	ThumbnailsPrefix = "/lazy-static/thumbnails/"
	PreviewsPrefix   = "/lazy-static/previews/"
)

// An image's name is {uuid}-{tag}-thumbnail.jpg or {uuid}-{tag}-preview.jpg,
// where tag is the start of the image's SHA-256: a new image gets a new name,
// so a name can be cached forever (PeerTube names its images with a random
// UUID for the same reason). The video's uuid maps the name to the video's
// HLS directory, where the images live, published and removed with it.
const (
	imageTagLen     = 16
	thumbnailSuffix = "-thumbnail.jpg"
	previewSuffix   = "-preview.jpg"
)

// ImageTag is the part of an image's name that changes with its content.
func ImageTag(image []byte) string {
	sum := sha256.Sum256(image)
	return hex.EncodeToString(sum[:imageTagLen/2])
}

// ThumbnailFileName names a video's thumbnail with the ImageTag of its bytes.
func ThumbnailFileName(uuid, tag string) string { return uuid + "-" + tag + thumbnailSuffix }

// PreviewFileName names a video's preview with the ImageTag of its bytes.
func PreviewFileName(uuid, tag string) string { return uuid + "-" + tag + previewSuffix }

// ParseThumbnailFileName reads a name made by ThumbnailFileName back.
func ParseThumbnailFileName(name string) (uuid, tag string, ok bool) {
	return parseImageName(name, thumbnailSuffix)
}

// ParsePreviewFileName reads a name made by PreviewFileName back.
func ParsePreviewFileName(name string) (uuid, tag string, ok bool) {
	return parseImageName(name, previewSuffix)
}

// parseImageName accepts exactly the names the builders make from a
// canonical UUID and a tag of lowercase hex digits.
func parseImageName(name, suffix string) (uuid, tag string, ok bool) {
	rest, ok := strings.CutSuffix(name, suffix)
	if !ok || len(rest) != UUIDLen+1+imageTagLen || rest[UUIDLen] != '-' {
		return "", "", false
	}
	uuid, tag = rest[:UUIDLen], rest[UUIDLen+1:]
	if !IsCanonicalUUID(uuid) {
		return "", "", false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", "", false
		}
	}
	return uuid, tag, true
}

// ThumbnailPath is the path of a thumbnail as PeerTube's API gives it
// (thumbnailPath), relative to the node's host.
func ThumbnailPath(name string) string { return ThumbnailsPrefix + name }

// PreviewPath is the path of a preview as PeerTube's API gives it (previewPath).
func PreviewPath(name string) string { return PreviewsPrefix + name }

// Thumbnail is the public URL of a thumbnail.
func (u URLs) Thumbnail(name string) string { return u.base + ThumbnailPath(name) }

// Preview is the public URL of a preview.
func (u URLs) Preview(name string) string { return u.base + PreviewPath(name) }

// ThumbnailMediaPath maps what follows ThumbnailsPrefix (a thumbnail's file
// name) to the file under the media directory, in its video's HLS
// directory. Only thumbnail names map.
func ThumbnailMediaPath(name string) (string, bool) {
	uuid, _, ok := ParseThumbnailFileName(name)
	if !ok {
		return "", false
	}
	return MediaHLSDir + "/" + uuid + "/" + name, true
}

// PreviewMediaPath maps what follows PreviewsPrefix (a preview's file name)
// to the file under the media directory. Only preview names map.
func PreviewMediaPath(name string) (string, bool) {
	uuid, _, ok := ParsePreviewFileName(name)
	if !ok {
		return "", false
	}
	return MediaHLSDir + "/" + uuid + "/" + name, true
}
