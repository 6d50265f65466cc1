// The watch and embed pages' player. It reads the #player element the
// page renders (data-uuid, data-master, data-segments-sha256,
// data-trackers, data-config, data-views, data-p2p) and plays the video
// (reporting a view once playback started, see views.js):
//   - with MediaSource: hls.js (adaptive bitrate), sharing segments with
//     other viewers through p2p-media-loader when the node, the page and
//     the viewer allow it and the browser has WebRTC (data-mode "p2p"),
//     else over plain HTTP (data-mode "http");
//   - without MediaSource but with native HLS (Safari on iOS): the
//     browser's own player (data-mode "native").
// Nothing about P2P is ever an error for the viewer: whatever fails there
// (config, tracker, peers, a bad segment) ends in plain HTTP playback and
// at most a console.debug line.
// The light build: the node's videos have muxed audio and no subtitle
// renditions, DRM or content steering, which the full build adds.
import Hls from 'hls.js/light'
import { HlsJsP2PEngine } from 'p2p-media-loader-hlsjs'
import { fetchNodeConfig } from './config.js'
import { bindReminder, bindSwitch, explainSwitch, showReminder } from './controls.js'
import { coreConfig } from './p2p.js'
import { viewerP2P } from './prefs.js'
import { sha256Impl } from './sha256.js'
import { Stats } from './stats.js'
import { createValidator } from './validator.js'
import { reportViewOnPlay } from './views.js'

const hlsConfig = {
  capLevelToPlayerSize: true // a phone does not fetch the 1080p rung
}

// parseTrackers keeps the WebSocket tracker URLs of data-trackers.
function parseTrackers (json) {
  try {
    const list = JSON.parse(json || '[]')
    return Array.isArray(list) ? list.filter(u => typeof u === 'string' && /^wss?:\/\//.test(u)) : []
  } catch {
    return []
  }
}

// resumeWith makes a new hls.js instance continue where the old one was.
function resumeWith (hls, video, resume) {
  if (!resume || resume.paused) return
  hls.once(Hls.Events.MANIFEST_PARSED, () => {
    video.play().catch(err => console.debug('peeredge: resume:', err))
  })
}

function playHTTP (video, master, stats, resume) {
  const hls = new Hls({ ...hlsConfig, startPosition: resume?.time ?? -1 })
  hls.on(Hls.Events.FRAG_LOADED, (_, { frag, payload }) => {
    if (frag.sn !== 'initSegment') stats.chunk(payload?.byteLength ?? frag.stats.loaded, 'http')
  })
  recoverFrom(hls, () => {})
  resumeWith(hls, video, resume)
  hls.attachMedia(video)
  hls.loadSource(master)
  return { hls, engine: undefined }
}

let HlsWithP2P
function playP2P (video, master, stats, resume, core, onFatal) {
  HlsWithP2P ??= HlsJsP2PEngine.injectMixin(Hls)
  const hls = new HlsWithP2P({ ...hlsConfig, startPosition: resume?.time ?? -1, p2p: { core } })
  const engine = hls.p2pEngine
  engine.addEventListener('onChunkDownloaded', (bytes, source) => stats.chunk(bytes, source))
  engine.addEventListener('onPeerConnect', ({ peerId, streamType }) => stats.peerConnect(`${streamType} ${peerId}`))
  engine.addEventListener('onPeerClose', ({ peerId, streamType }) => stats.peerClose(`${streamType} ${peerId}`))
  engine.addEventListener('onSegmentError', ({ error, downloadSource, segment }) => console.debug('peeredge: segment', segment.externalId, downloadSource, error.type, error.message))
  engine.addEventListener('onTrackerError', ({ error }) => console.debug('peeredge: tracker:', error))
  engine.addEventListener('onTrackerWarning', ({ warning }) => console.debug('peeredge: tracker:', warning))
  recoverFrom(hls, onFatal)
  resumeWith(hls, video, resume)
  hls.attachMedia(video)
  hls.loadSource(master)
  return { hls, engine }
}

// recoverFrom handles hls.js's fatal errors: a media error is recovered
// once in place; anything else goes to giveUp.
function recoverFrom (hls, giveUp) {
  let recovered = false
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (!data.fatal) return
    console.debug('peeredge: playback error:', data.type, data.details)
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
      recovered = true
      hls.recoverMediaError()
      return
    }
    giveUp()
  })
}

async function start (root) {
  const video = root.querySelector('video')
  const d = root.dataset
  const stats = new Stats(document.getElementById('p2p-stats'))
  const handle = { hls: undefined, engine: undefined, sha256: sha256Impl() }
  window.peeredgePlayer = handle // for debugging from the console

  if (!video || !d.master) return
  reportViewOnPlay(video, d.views)
  if (!Hls.isSupported()) {
    // No MediaSource: the browser's own HLS (Safari, iOS), or nothing
    // this browser can play, which its player then says.
    video.src = d.master
    stats.setMode('native')
    explainSwitch('This browser plays the video itself and cannot share it.')
    return
  }

  bindReminder()
  const node = await fetchNodeConfig(d.config)
  const trackers = parseTrackers(d.trackers)
  let reason = ''
  if (!node.p2p) reason = 'The node has turned P2P off.'
  else if (d.p2p !== '1') reason = 'P2P is off for this player.'
  else if (typeof window.RTCPeerConnection !== 'function') reason = 'This browser has no WebRTC.'
  else if (!trackers.length || !d.uuid || !d.segmentsSha256) reason = 'This video cannot be shared.'
  explainSwitch(reason)
  if (reason) console.debug('peeredge: playing without P2P:', reason)

  const validate = d.segmentsSha256 && createValidator(d.segmentsSha256, ok => stats.segmentChecked(ok))
  let current

  const play = (p2p, resume) => {
    if (current) {
      resume ??= { time: video.currentTime, paused: video.paused }
      current.hls.destroy()
      stats.clearPeers()
    }
    if (p2p) {
      const core = coreConfig({ swarmId: d.uuid, trackers, stunServers: node.stunServers, validate })
      // A fatal error with P2P on: start again over plain HTTP.
      current = playP2P(video, d.master, stats, resume, core, () => play(false))
    } else {
      current = playHTTP(video, d.master, stats, resume)
    }
    handle.hls = current.hls
    handle.engine = current.engine
    stats.setMode(p2p ? 'p2p' : 'http')
    showReminder(p2p)
  }

  bindSwitch(on => play(on && !reason))
  play(!reason && viewerP2P())
}

const root = document.getElementById('player')
if (root) {
  start(root).catch(err => console.debug('peeredge: player:', err))
}
