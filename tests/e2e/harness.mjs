// Browser-test harness: a real `nexus up` on a free port and a temporary data dir, and
// Debian's Chromium driven by playwright-core (no browser download).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const FRONTEND = join(ROOT, 'frontend')
export const SHOTS = join(FRONTEND, 'test-results')
const require = createRequire(join(FRONTEND, 'package.json'))
export const { chromium } = require('playwright-core')
export const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
export const PASSWORD = 'correct horse battery staple 42'
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => ok(port))
    })
  })
}

/**
 * Start `nexus up` (or $NEXUS_E2E_UP, a command taking the same options) and wait until it
 * answers. Returns { base, stop, dataDir, output }.
 */
export async function startNexus({ demo = false } = {}) {
  if (!existsSync(join(FRONTEND, 'dist', 'index.html'))) throw new Error('frontend/dist is missing: run `make web` first')
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-e2e-'))
  const command = process.env.NEXUS_E2E_UP ? process.env.NEXUS_E2E_UP.split(' ') : [join(ROOT, '.venv/bin/nexus')]
  const args = [...command.slice(1), 'up', '--port', String(port), '--data-dir', dataDir, ...(demo ? ['--demo'] : [])]
  const child = spawn(command[0], args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '200' } })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (demo ? 240_000 : 60_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nexus up exited:\n${output}`)
    try {
      const response = await fetch(`${base}/healthz`)
      if (response.ok) break
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new Error(`nexus up did not start:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  const page = await fetch(`${base}/`)
  if (!(page.headers.get('content-type') ?? '').includes('text/html')) {
    child.kill('SIGTERM')
    throw new Error('`nexus up` does not serve the web app at /: add `mount_web(app)` to create_app in nexus/gateway/app.py')
  }
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => {
        const timer = setTimeout(() => (child.kill('SIGKILL'), r()), 5000)
        child.once('exit', () => (clearTimeout(timer), r()))
      })
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { base, stop, dataDir, output: () => output }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`)
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS })
}

/** A page that fails the test on uncaught errors and CSP violations. */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-GB', timezoneId: 'Europe/Berlin' })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.problems = []
  page.inflight = 0
  page.on('request', () => page.inflight++)
  page.on('requestfinished', () => page.inflight--)
  page.on('requestfailed', () => page.inflight--)
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) page.problems.push(`csp: ${message.text()}`)
  })
  return page
}

/** Wait until the page has made no request for `quietMs` (SPA navigations fire no load events). */
export async function settle(page, quietMs = 300, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  let quietSince = Date.now()
  while (Date.now() < deadline) {
    if (page.inflight > 0) quietSince = Date.now()
    else if (Date.now() - quietSince >= quietMs) return
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** Run axe-core in the page; return violations of impact serious or critical. */
export async function seriousViolations(page) {
  // Evaluated over the DevTools protocol: the app's CSP (rightly) refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }))
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)
}

export async function apiJson(base, path, { method = 'GET', token, body, form } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  let payload
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    payload = new URLSearchParams(form).toString()
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const response = await fetch(`${base}${path}`, { method, headers, body: payload })
  const text = await response.text()
  const data = text ? JSON.parse(text) : null
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`)
  return data
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`
}
