// Bundles the player (src/player.js) into web/assets/dist/player.js with
// esbuild; scripts/web.sh runs it after installing the pinned packages.
// Usage: node web/player/build.mjs OUTFILE
import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const [outfile] = process.argv.slice(2)
if (!outfile) throw new Error('usage: node build.mjs OUTFILE')

// One fix to p2p-media-loader-core 2.3.1, applied to its code as it is
// bundled. Request.clearLoadedBytes forgets the segment's size, which for
// a byte-range segment (every segment the node serves) the request knew
// from the playlist; the HTTP loader then compares the node's
// Content-Range with an unknown expected length and fails, on every
// retry, so a segment dropped once (a peer's bytes that failed the hash
// check) never loads over HTTP again and playback stalls until hls.js
// gives up. Keeping the playlist's size restores the intended retry.
// Fixed upstream after 2.3.1 (Novage/p2p-media-loader#534); remove this
// when the pinned version has the fix. The build fails if the code is not
// exactly as expected, so a version change cannot skip it silently.
const clearLoadedBytes = {
  from: `	clearLoadedBytes() {
		this._loadedBytes = 0;
		this.bytes = [];
		this._totalBytes = void 0;
		this.finalData = void 0;
	}`,
  to: `	clearLoadedBytes() {
		this._loadedBytes = 0;
		this.bytes = [];
		const range = this.segment.byteRange;
		this._totalBytes = range ? range.end - range.start + 1 : void 0;
		this.finalData = void 0;
	}`
}

const fixCore = {
  name: 'p2p-media-loader-core-fix',
  setup (b) {
    b.onLoad({ filter: /p2p-media-loader-core[\\/]dist[\\/]p2p-media-loader-core\.es\.js$/ }, async ({ path }) => {
      const src = await readFile(path, 'utf8')
      const parts = src.split(clearLoadedBytes.from)
      if (parts.length !== 2) {
        throw new Error(`${path}: Request.clearLoadedBytes is not the 2.3.1 code this build fixes; check whether the fix is still needed`)
      }
      return { contents: parts.join(clearLoadedBytes.to), loader: 'js' }
    })
  }
}

await build({
  entryPoints: [fileURLToPath(new URL('src/player.js', import.meta.url))],
  outfile,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife', // a classic <script defer>, as the pages load it
  // p2pml:core-as-bundle: p2p-media-loader-core's own browser build,
  // which carries the browser versions of the Node modules its tracker
  // client uses (events, buffer); its lib/ build expects a bundler to
  // supply them.
  conditions: ['p2pml:core-as-bundle'],
  target: ['chrome109', 'firefox115', 'safari15.6'],
  plugins: [fixCore],
  logLevel: 'warning'
})
