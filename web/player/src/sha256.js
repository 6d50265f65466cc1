// SHA-256 of a segment: WebCrypto where the browser offers it (secure
// contexts only), else @noble/hashes, so pages served over plain http from
// a non-local address check peer segments too.
import { sha256 as jsSHA256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

export const sha256Impl = () =>
  (globalThis.isSecureContext && globalThis.crypto?.subtle) ? 'subtle' : 'js'

export async function sha256Hex (data) {
  if (sha256Impl() === 'subtle') {
    return bytesToHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data)))
  }
  return bytesToHex(jsSHA256(new Uint8Array(data)))
}
