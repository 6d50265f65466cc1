// The live figures in #p2p-stats: people read the text, tests read the
// same numbers from its data attributes. Byte counters add up over the
// page's life (a rebuild of the player keeps them); peers are the current
// connections.

const RENDER_EVERY_MS = 1000

const units = ['B', 'kB', 'MB', 'GB']
function human (n) {
  let i = 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

const modeText = {
  p2p: 'P2P on',
  http: 'P2P off',
  native: 'native playback (no P2P)'
}

export class Stats {
  constructor (el) {
    this.el = el
    this.p2pBytes = 0
    this.httpBytes = 0
    this.p2pSegments = 0
    this.p2pRejected = 0
    this.mode = ''
    this.peers = new Set()
    this.shown = ''
    if (el) setInterval(() => this.render(), RENDER_EVERY_MS)
  }

  chunk (bytes, source) {
    if (source === 'p2p') this.p2pBytes += bytes
    else this.httpBytes += bytes
  }

  peerConnect (key) { this.peers.add(key) }
  peerClose (key) { this.peers.delete(key) }
  clearPeers () { this.peers.clear() }

  segmentChecked (ok) {
    if (ok) this.p2pSegments++
    else this.p2pRejected++
  }

  setMode (mode) {
    this.mode = mode
    this.render()
  }

  render () {
    const { el } = this
    if (!el) return
    const figures = {
      p2pBytes: this.p2pBytes,
      httpBytes: this.httpBytes,
      peers: this.peers.size,
      p2pSegments: this.p2pSegments,
      p2pRejected: this.p2pRejected,
      mode: this.mode
    }
    const key = JSON.stringify(figures)
    if (key === this.shown) return
    this.shown = key
    for (const [k, v] of Object.entries(figures)) el.dataset[k] = String(v)
    const total = this.p2pBytes + this.httpBytes
    const share = total ? Math.round(100 * this.p2pBytes / total) : 0
    const p2p = `${human(this.p2pBytes)} (${share} %)`
    // The page may lay the figures out in spans of its own; else one line.
    const slots = { '.stat-p2p': p2p, '.stat-http': human(this.httpBytes), '.stat-peers': String(this.peers.size) }
    let filled = 0
    for (const [sel, text] of Object.entries(slots)) {
      const slot = el.querySelector(sel)
      if (slot) {
        slot.textContent = text
        filled++
      }
    }
    if (filled) return
    let text = `${modeText[this.mode] ?? ''} · from other viewers ${p2p} · from this node ${human(this.httpBytes)} · viewers connected ${this.peers.size}`
    if (this.p2pRejected) text += ` · ${this.p2pRejected} bad segment${this.p2pRejected === 1 ? '' : 's'} from viewers refused`
    el.textContent = text
  }
}
