// The node's public config (GET /api/v1/config): the admin's P2P switch
// and the STUN servers the node names. Any failure means "no P2P": the
// viewer still gets the video over plain HTTP.

const TIMEOUT_MS = 5000

export async function fetchNodeConfig (url) {
  const off = { p2p: false, stunServers: [] }
  if (!url) return off
  try {
    const res = await fetch(url, { credentials: 'same-origin', signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
    const cfg = await res.json()
    const stun = cfg?.webrtc?.stunServers
    return {
      p2p: cfg?.tracker?.enabled === true,
      stunServers: Array.isArray(stun) ? stun.filter(s => typeof s === 'string' && s !== '') : []
    }
  } catch (err) {
    console.debug('peeredge: no node config, playing without P2P:', err)
    return off
  }
}
