package layout

// ViewsSuffix follows a video's API path (VideosPath/{id|uuid|shortUUID})
// for PeerTube's view report, which players post once playback started.
const ViewsSuffix = "/views"

// VideoViews is the local path the watch page's player reports a view of
// video uuid to.
func (u URLs) VideoViews(uuid string) string { return u.Local(VideosPath + "/" + uuid + ViewsSuffix) }
