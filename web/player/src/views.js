// The view report, as PeerTube's player makes it: once playback has
// started, a POST of {currentTime} (whole seconds) to the video's /views
// (data-views; absent for a followed instance's video, whose views its
// origin counts). The node counts one view per viewer and video an hour,
// so one report per page is enough. A failure only costs the count.

export function reportViewOnPlay (video, url) {
  if (!url) return
  video.addEventListener('playing', () => {
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ currentTime: Math.max(0, Math.floor(video.currentTime || 0)) }),
      credentials: 'same-origin',
      keepalive: true
    }).catch(err => console.debug('peeredge: view not reported:', err))
  }, { once: true })
}
