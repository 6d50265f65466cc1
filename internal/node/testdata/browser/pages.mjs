// Drives the node's pages in Debian's Chromium and prints what it saw as
// JSON; internal/node/pages_browser_test.go decides what is right.
// Usage: node pages.mjs '{"base":"http://127.0.0.1:port","artifacts":"dir","video":"name"}'
import { chromium } from 'playwright-core'
import path from 'node:path'

const opts = JSON.parse(process.argv[2])
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
})
const out = { logs: [], csp: [] }

// Every page records the Content-Security-Policy violations it meets.
async function newPage (ctxOpts) {
  const context = await browser.newContext(ctxOpts)
  await context.addInitScript(() => {
    window.__csp = []
    document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))
  })
  const page = await context.newPage()
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') out.logs.push(m.text()) })
  page.on('pageerror', e => out.logs.push('pageerror: ' + e.message))
  return page
}

async function visit (page, url) {
  const resp = await page.goto(url)
  if (!resp.ok()) throw new Error(url + ': ' + resp.status())
}

async function shoot (page, name) {
  await page.screenshot({ path: path.join(opts.artifacts, name + '.png'), fullPage: true })
  const csp = await page.evaluate(() => window.__csp)
  for (const v of csp) out.csp.push(name + ': ' + v)
}

const text = (page, sel) => page.locator(sel).first().textContent()

// fieldCase puts value into a field as a person would (typing; values
// over maxlength, which typing cannot reach, are set and announced with
// an input event), leaves it, and reads what the page says next to it.
async function fieldCase (page, c) {
  const el = page.locator('#' + c.field)
  if (c.set) {
    await el.evaluate((node, v) => {
      node.focus()
      node.value = v
      node.dispatchEvent(new Event('input', { bubbles: true }))
    }, c.value)
  } else {
    await el.fill('x') // typed in once, so that leaving it checks it
    await el.fill(c.value)
  }
  await el.blur()
  return {
    ...c,
    value: c.value.length > 40 ? c.value.slice(0, 10) + '…(' + c.value.length + ')' : c.value,
    shown: await text(page, '#' + c.field + '-error'),
    invalid: await el.getAttribute('aria-invalid'),
    describedBy: await el.getAttribute('aria-describedby'),
  }
}

// The rules' cases; "api" is the field's name in the API's JSON.
const cases = [
  { field: 'email', api: 'fromEmail', value: '' },
  { field: 'email', api: 'fromEmail', value: 'not an address' },
  { field: 'email', api: 'fromEmail', value: 'a@b..c' },
  { field: 'name', api: 'fromName', value: '' },
  { field: 'name', api: 'fromName', value: '   ' },
  { field: 'name', api: 'fromName', value: 'n'.repeat(121), set: true },
  { field: 'subject', api: 'subject', value: '' },
  { field: 'subject', api: 'subject', value: '\t \u00a0' },
  { field: 'subject', api: 'subject', value: 's'.repeat(121), set: true },
  { field: 'message', api: 'body', value: '' },
  { field: 'message', api: 'body', value: '  ab  ' },
  { field: 'message', api: 'body', value: 'm'.repeat(5001), set: true },
  // At the limits, in code points (an emoji is two UTF-16 units): valid.
  { field: 'name', api: 'fromName', value: 'é'.repeat(120) },
  { field: 'message', api: 'body', value: '😀😀😀' },
  { field: 'subject', api: 'subject', value: '😀'.repeat(120), set: true },
  { field: 'email', api: 'fromEmail', value: '  viewer@example.org ' },
]
const valid = { fromEmail: 'viewer@example.org', fromName: 'A viewer', subject: 'Hello', body: 'A message from the browser test.' }

async function post (page, body) {
  return page.evaluate(async ([url, body]) => {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    let problem = null
    try { problem = await r.json() } catch (e) {}
    return { status: r.status, problem, retryAfter: r.headers.get('Retry-After') }
  }, ['/api/v1/server/contact', body])
}

async function waitOutcome (page) {
  await page.waitForFunction(() => document.getElementById('contact-status').textContent || document.getElementById('contact-error').textContent, null, { timeout: 15000 })
  return { status: await text(page, '#contact-status'), error: await text(page, '#contact-error') }
}

async function fillValid (page, v) {
  await page.fill('#email', v.fromEmail)
  await page.fill('#name', v.fromName)
  await page.fill('#subject', v.subject)
  await page.fill('#message', v.body)
}

try {
  const sizes = {
    desktop: { viewport: { width: 1280, height: 800 } },
    phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  }
  for (const [size, ctxOpts] of Object.entries(sizes)) {
    const page = await newPage(ctxOpts)
    await visit(page, opts.base + '/')
    await shoot(page, 'home-' + size)
    await visit(page, opts.base + '/about')
    await shoot(page, 'about-' + size)
    await visit(page, opts.base + '/contact')
    await shoot(page, 'contact-' + size)
    out['width-' + size] = await page.evaluate(() => ({ client: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth }))
  }

  const page = await newPage(sizes.desktop)

  // The home page lists the video and links to its watch page.
  // Its thumbnail is loaded (the tile is in view, so loading=lazy fetches it).
  await visit(page, opts.base + '/')
  await page.waitForFunction(() => Array.from(document.querySelectorAll('img.thumb')).every(i => i.complete), null, { timeout: 20000 })
  out.home = await page.evaluate(() => Array.from(document.querySelectorAll('.video-card a')).map(a => {
    const img = a.querySelector('img.thumb')
    return {
      name: a.querySelector('.video-name').textContent,
      duration: a.querySelector('.duration').textContent,
      href: a.getAttribute('href'),
      thumb: img && { src: img.getAttribute('src'), alt: img.getAttribute('alt'), naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, loading: img.getAttribute('loading') },
    }
  }))
  await page.locator('.video-card a', { hasText: opts.video }).first().click()
  await page.waitForURL('**/w/**')
  out.watch = {
    path: new URL(page.url()).pathname,
    title: await page.title(),
    h1: await text(page, 'h1'),
    player: await page.locator('#player').count(),
    stats: await page.locator('#p2p-stats').count(),
  }

  // The about page says what the node was started with.
  await visit(page, opts.base + '/about#p2p-privacy')
  out.about = {}
  for (const id of ['peer-cap', 'peer-cap-example', 'rate-limit', 'rate-burst', 'alarm-distinct', 'alarm-window', 'socket-peer-ttl']) {
    out.about[id] = await text(page, '#' + id)
  }
  out.about.section = await page.locator('section#p2p-privacy h2').textContent()

  // Keyboard: Tab from the top reaches the skip link, the navigation,
  // the fields and the button, in that order; the skip link moves focus
  // to the main content.
  await visit(page, opts.base + '/contact')
  out.tabs = []
  for (let i = 0; i < 9; i++) {
    await page.keyboard.press('Tab')
    out.tabs.push(await page.evaluate(() => {
      const a = document.activeElement
      return a.id || (a.tagName.toLowerCase() + ':' + a.textContent.trim())
    }))
  }
  await visit(page, opts.base + '/contact')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  out.afterSkip = await page.evaluate(() => document.activeElement.id)

  // Sending the empty form: every field says it is required, and the
  // first one has the focus.
  await visit(page, opts.base + '/contact')
  await page.click('#contact-submit')
  out.empty = { focus: await page.evaluate(() => document.activeElement.id) }
  for (const f of ['email', 'name', 'subject', 'message']) {
    out.empty[f] = { shown: await text(page, '#' + f + '-error'), invalid: await page.getAttribute('#' + f, 'aria-invalid') }
  }

  // Each rule in the page, then the same value sent to the server.
  out.cases = []
  for (const c of cases) {
    const seen = await fieldCase(page, c)
    const res = await post(page, { ...valid, [c.api]: c.value })
    const param = res.problem && res.problem['invalid-params'] && res.problem['invalid-params'][c.api]
    seen.server = { status: res.status, msg: param ? param.msg : '' }
    out.cases.push(seen)
  }
  // Those that the server accepted are stored: the test deletes nothing,
  // it looks for its own message below.

  // A valid message through the form: success shown, form cleared.
  await visit(page, opts.base + '/contact')
  await fillValid(page, opts.message)
  await page.click('#contact-submit')
  out.sent = await waitOutcome(page)
  out.sent.after = await page.evaluate(() => ['email', 'name', 'subject', 'message'].map(id => document.getElementById(id).value))

  // The rate limit: send until the server refuses, then the form shows
  // the refusal with the minutes from Retry-After.
  out.limited = null
  for (let i = 0; i < 100 && !out.limited; i++) {
    const res = await post(page, {})
    if (res.status === 429) out.limited = res
  }
  await visit(page, opts.base + '/contact')
  await fillValid(page, valid)
  await page.click('#contact-submit')
  out.refused = await waitOutcome(page)
  out.refused.kept = await page.inputValue('#message')
  await shoot(page, 'contact-refused-desktop')
} catch (e) {
  out.error = String(e && e.stack || e)
} finally {
  await browser.close()
}
console.log(JSON.stringify(out))
