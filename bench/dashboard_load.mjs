// Time until the demo organisation's dashboard is ready in headless Chromium.
// Starts `nexus up --demo` on a temporary data dir and a free port, signs in through the
// API, then loads `/` in fresh browser contexts (cold: empty cache) and reloads (warm).
// "Ready" = every dashboard query answered, both charts drawn. Prints one JSON line.
import { launchBrowser, startNexus } from '../tests/e2e/harness.mjs'

const RUNS = Number(process.env.RUNS ?? 5)
const TARGET_MS = 1500

const nexus = await startNexus({ demo: true })
const browser = await launchBrowser()
try {
  const password = nexus.output().match(/password\s+(\S+)/)?.[1]
  if (!password) throw new Error(`no demo password in the output:\n${nexus.output()}`)
  const response = await fetch(`${nexus.base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'demo@nexus.local', password }),
  })
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`)
  const pair = await response.json()

  async function load(page) {
    const started = Date.now()
    await page.goto(`${nexus.base}/`)
    await page.locator('[data-dashboard-ready="true"]').waitFor({ timeout: 30_000 })
    await page.locator('[data-testid="income-expense-chart"] .recharts-bar-rectangle').first().waitFor({ timeout: 30_000 })
    await page.locator('[data-testid="net-worth-chart"] .recharts-area').first().waitFor({ timeout: 30_000 })
    const wall = Date.now() - started
    const nav = await page.evaluate(() => performance.now())
    return { wall, nav }
  }

  const cold = []
  const warm = []
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    // Each run gets its own session (refresh tokens rotate).
    const fresh = i === 0 ? pair : await (await fetch(`${nexus.base}/api/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'demo@nexus.local', password }) })).json()
    const session = { accessToken: fresh.access_token, refreshToken: fresh.refresh_token, orgId: fresh.org_id, role: fresh.role, expiresAt: Date.now() + 600_000 }
    await context.addInitScript((value) => localStorage.setItem('nexus.session', value), JSON.stringify(session))
    const page = await context.newPage()
    cold.push((await load(page)).nav)
    warm.push((await load(page)).nav)
    await context.close()
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const result = {
    benchmark: 'dashboard_load',
    runs: RUNS,
    cold_ms_median: Math.round(median(cold)),
    cold_ms_max: Math.round(Math.max(...cold)),
    warm_ms_median: Math.round(median(warm)),
    target_ms: TARGET_MS,
    meets_target: median(cold) < TARGET_MS,
  }
  console.log(JSON.stringify(result))
} finally {
  await browser.close()
  await nexus.stop()
}
