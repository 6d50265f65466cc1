// The p2p-media-loader 2.3.1 core config. The player talks to no one the
// node did not name: the library's default public trackers and STUN
// servers are replaced by the video's trackers and the node's STUN list
// (none by default, which suits viewers on the same network or with
// public addresses; the node's --stun-server adds more).

// VOD settings, in seconds (the library's names; see its StreamConfig):
// hls.js buffers highDemandTimeWindow ahead, fetched over HTTP when no
// peer has a segment in time; beyond that, peers are asked for segments
// up to p2pDownloadTimeWindow ahead, and while peers are connected a few
// random segments nobody has yet are fetched over HTTP up to
// httpDownloadTimeWindow ahead, so the swarm has something to share. The
// library's defaults (3000 s and 6000 s) suit live streams and would pull
// whole films through viewers' uplinks.
export const vodSettings = {
  highDemandTimeWindow: 15,
  httpDownloadTimeWindow: 30,
  p2pDownloadTimeWindow: 120,
  simultaneousHttpDownloads: 2,
  simultaneousP2PDownloads: 3,
  httpDownloadInitialTimeoutMs: 0
}

// Segments kept in memory for peers, in MiB (the library's default is
// 4 GiB on desktops).
const segmentMemoryStorageLimit = 512

// The settings a page may tune through window.peeredgePlayerOptions
// (timing and parallelism only; trackers, STUN servers, the swarm and the
// segment check are not among them).
const tunable = Object.keys(vodSettings)

// tuning reads window.peeredgePlayerOptions = {core: {...}}, a hook for
// pages that embed the player on purpose and for tests: a page may set it
// before the bundle runs, e.g. {core: {httpDownloadInitialTimeoutMs: 5000}}
// to give peers time to answer before the first segments go over HTTP.
function tuning () {
  const core = globalThis.peeredgePlayerOptions?.core
  const out = {}
  if (!core || typeof core !== 'object') return out
  for (const k of tunable) {
    if (typeof core[k] === 'number' && Number.isFinite(core[k]) && core[k] >= 0) out[k] = core[k]
  }
  return out
}

export function coreConfig ({ swarmId, trackers, stunServers, validate }) {
  return {
    ...vodSettings,
    ...tuning(),
    segmentMemoryStorageLimit,
    swarmId,
    announceTrackers: trackers,
    rtcConfig: { iceServers: stunServers.map(urls => ({ urls })) },
    // Only peers' segments are checked: over HTTP they come from the node
    // that wrote the hashes (checking them would cost CPU and prove
    // nothing until mirrors serve segments too).
    validateP2PSegment: validate
  }
}
