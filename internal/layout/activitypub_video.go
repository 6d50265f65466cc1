package layout

import "strings"

// A local video's collections, below its ActivityPub id as PeerTube
// names them. PeerTube reads them when it takes a remote video: it
// counts the likes and dislikes (and drops the video when it cannot),
// and crawls the shares and comments.
const (
	VideoLikes    = "likes"
	VideoDislikes = "dislikes"
	VideoShares   = "announces"
	VideoComments = "comments"
)

// VideoCollection is the collection kind (VideoLikes, …) of the local
// video uuid.
func (u URLs) VideoCollection(uuid, kind string) string { return u.VideoObject(uuid) + "/" + kind }

// VideoCollectionRef splits what follows PeerTubeWatchPrefix in a
// collection's path into the video's reference and the kind; ok is false
// for anything else (the video object itself included).
func VideoCollectionRef(rest string) (ref, kind string, ok bool) {
	ref, kind, found := strings.Cut(rest, "/")
	if !found || ref == "" {
		return "", "", false
	}
	switch kind {
	case VideoLikes, VideoDislikes, VideoShares, VideoComments:
		return ref, kind, true
	}
	return "", "", false
}
