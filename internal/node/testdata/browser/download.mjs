// Opens the test page in Debian's Chromium and prints what it reports:
// {"sha256": "...", "bytes": N, "peers": [...]} or {"error": "..."}.
// Usage: node download.mjs PAGE_URL TIMEOUT_MS
import { chromium } from 'playwright-core'

const [pageURL, timeoutArg] = process.argv.slice(2)
const timeout = Number(timeoutArg || 60000)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', // root inside the test's network namespace
    // Real host candidates: the node's seeder has no mDNS responder to
    // resolve Chromium's .local names against in the namespace.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
  ],
})
let result
try {
  const page = await browser.newPage()
  const logs = []
  page.on('console', m => logs.push(m.text()))
  page.on('pageerror', e => logs.push('pageerror: ' + e.message))
  await page.goto(pageURL)
  try {
    await page.waitForFunction(() => window.testResult, null, { timeout })
    result = await page.evaluate(() => window.testResult)
  } catch (e) {
    const progress = await page.evaluate(() => window.testProgress).catch(() => undefined)
    result = { error: String(e), progress }
  }
  result.logs = logs.slice(-20)
} finally {
  await browser.close()
}
console.log(JSON.stringify(result))
