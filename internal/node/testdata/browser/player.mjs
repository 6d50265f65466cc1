// Drives Debian's Chromium for the player tests (player_browser_test.go):
// one browser, one context per page (its own storage, like another
// viewer), commands as JSON lines on stdin, one JSON line of answer each
// on stdout: {"seq": N, "value": ...} or {"seq": N, "error": "..."}.
// Commands ({"seq", "op", "page", ...}):
//   open       {url, viewport:{width,height}, isMobile, hasTouch, init,
//              closeSockets}: new context and page; init is a script run
//              before any of the page's own (localStorage, tuning, a
//              corrupting peer); closeSockets: every WebSocket the page
//              opens is closed at once, as by a tracker that is down
//   eval       {expr}: the value of a JS expression in the page (awaited)
//   wait       {expr, timeout}: waits until expr is truthy, returns it
//   screenshot {path}: the whole page
//   log        the page's console lines and uncaught errors so far
//   close      closes the page's context
// Usage: node player.mjs (ends on end of input)
import { chromium } from 'playwright-core'
import { createInterface } from 'node:readline'

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    // Real host candidates, so two pages reach each other without an
    // mDNS responder.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
    // An origin that is not a secure context (no crypto.subtle) and
    // still reaches the node on loopback.
    '--host-resolver-rules=MAP insecure.peeredge.test 127.0.0.1'
  ]
})

const pages = new Map()

const ops = {
  async open ({ page: name, url, viewport, isMobile, hasTouch, init, closeSockets }) {
    const context = await browser.newContext({
      viewport: viewport || { width: 1280, height: 800 },
      isMobile: Boolean(isMobile),
      hasTouch: Boolean(hasTouch)
    })
    if (init) await context.addInitScript(init)
    const log = []
    if (closeSockets) {
      await context.routeWebSocket(/.*/, ws => {
        log.push(`test: closed WebSocket ${ws.url()}`)
        ws.close({ code: 1011, reason: 'down' })
      })
    }
    const page = await context.newPage()
    page.on('console', m => log.push(`${m.type()}: ${m.text()}`))
    page.on('pageerror', e => log.push(`pageerror: ${e.message}`))
    pages.set(name, { context, page, log })
    await page.goto(url, { timeout: 30000 })
    return null
  },
  async eval ({ page, expr }) {
    return get(page).page.evaluate(expr)
  },
  // Polls with evaluate: waitForFunction's string predicates are eval'd
  // in the page, which the node's Content-Security-Policy forbids.
  async wait ({ page, expr, timeout }) {
    const p = get(page).page
    const deadline = Date.now() + (timeout || 30000)
    for (;;) {
      const v = await p.evaluate(expr)
      if (v) return v
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms`)
      await p.waitForTimeout(100)
    }
  },
  async screenshot ({ page, path }) {
    await get(page).page.screenshot({ path, fullPage: true })
    return null
  },
  async log ({ page }) {
    return get(page).log
  },
  async close ({ page }) {
    await get(page).context.close()
    pages.delete(page)
    return null
  }
}

function get (name) {
  const p = pages.get(name)
  if (!p) throw new Error(`no page ${name}`)
  return p
}

try {
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue
    let cmd = {}
    let answer
    try {
      cmd = JSON.parse(line)
      const op = ops[cmd.op]
      if (!op) throw new Error(`unknown op ${cmd.op}`)
      answer = { seq: cmd.seq, value: (await op(cmd)) ?? null }
    } catch (e) {
      answer = { seq: cmd.seq, error: String(e && e.message ? e.message : e) }
    }
    process.stdout.write(JSON.stringify(answer) + '\n')
  }
} finally {
  await browser.close()
}
