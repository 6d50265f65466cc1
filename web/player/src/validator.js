// Checks segments received from peers against the node's
// segments-sha256.json before the player uses them.
//
// The file maps a rendition's file name to either the hex SHA-256 of the
// whole file or an object keyed "start-end" (inclusive byte range, as the
// node's segmenter and PeerTube write it). p2p-media-loader 2.3.1 calls
// validateP2PSegment(url, byteRange, data) with the fragment's absolute
// URL and byteRange {start, end} where end is inclusive (the hls.js
// integration passes the fragment's end - 1), so the key is
// `${start}-${end}` as is. Resolving false makes the library drop the
// bytes, close that peer and fetch the segment again (over HTTP when no
// other peer has it).
import { sha256Hex } from './sha256.js'

const TIMEOUT_MS = 10000

function fileName (url) {
  const path = new URL(url, window.location.href).pathname
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1))
}

// expectedHash returns the hex digest the table lists for the segment, or
// undefined when it lists none.
export function expectedHash (table, url, byteRange) {
  const entry = table?.[fileName(url)]
  if (typeof entry === 'string') return entry.toLowerCase()
  if (entry && typeof entry === 'object' && byteRange) {
    const h = entry[`${byteRange.start}-${byteRange.end}`]
    if (typeof h === 'string') return h.toLowerCase()
  }
  return undefined
}

// createValidator returns validateP2PSegment for the table at tableURL,
// fetched once (again after a failure). onResult(ok) is told each outcome.
export function createValidator (tableURL, onResult) {
  let table
  const load = async () => {
    const res = await fetch(tableURL, { credentials: 'same-origin', signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!res.ok) throw new Error(`${tableURL}: HTTP ${res.status}`)
    return res.json()
  }
  return async function validate (url, byteRange, data) {
    let ok = false
    try {
      table ??= load()
      let want
      try {
        want = expectedHash(await table, url, byteRange)
      } catch (err) {
        table = undefined
        throw err
      }
      ok = want !== undefined && (await sha256Hex(data)) === want
      if (!ok) console.debug('peeredge: peer segment rejected', url, byteRange, want ? 'hash mismatch' : 'not listed')
    } catch (err) {
      console.debug('peeredge: peer segment not checked, rejected:', err)
    }
    onResult(ok)
    return ok
  }
}
