// End-to-end: the web app served by a real `nexus up`, driven in Debian's Chromium.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { apiJson, launchBrowser, newPage, PASSWORD, screenshot, seriousViolations, settle, startNexus, uniqueEmail } from './harness.mjs'

let nexus
let browser
const owner = { email: uniqueEmail('owner'), org: 'Test Household' }
const axeReport = {}

before(async () => {
  ;[nexus, browser] = await Promise.all([startNexus(), launchBrowser()])
})

after(async () => {
  await browser?.close()
  await nexus?.stop()
})

async function signUpInBrowser(page, email, org, password = PASSWORD) {
  await page.goto(`${nexus.base}/signup`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByLabel('Organisation name').fill(org)
  await page.getByRole('button', { name: 'Create account' }).click()
}

async function signInInBrowser(page, email) {
  await page.goto(`${nexus.base}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Main' }).first().waitFor({ state: 'attached' })
}

/** Screenshot the screen and record its serious/critical axe violations. */
async function check(page, name) {
  await settle(page)
  await screenshot(page, name)
  axeReport[name] = await seriousViolations(page)
}

async function apiToken(email, org) {
  const form = { username: email, password: PASSWORD, ...(org ? { org } : {}) }
  return apiJson(nexus.base, '/api/v1/auth/token', { method: 'POST', form })
}

async function fillLine(page, index, account, { debit = '', credit = '' }) {
  await page.getByLabel(`Account, line ${index + 1}`, { exact: true }).selectOption({ label: account })
  if (debit) await page.getByLabel(`Debit, line ${index + 1}`).fill(debit)
  if (credit) await page.getByLabel(`Credit, line ${index + 1}`).fill(credit)
}

describe('the web app', () => {
  // Keep a picture of whatever screen a failing test stopped on.
  afterEach(async (t) => {
    for (const context of browser.contexts()) for (const page of context.pages()) await screenshot(page, `failed-${t.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => {})
  })

  test('the server serves the SPA with a CSP and falls back to index.html', async () => {
    const root = await fetch(`${nexus.base}/accounts/some/deep/link`)
    assert.equal(root.status, 200)
    assert.match(root.headers.get('content-type'), /text\/html/)
    assert.match(root.headers.get('content-security-policy'), /default-src 'self'/)
    assert.equal(root.headers.get('cache-control'), 'no-cache')
    const api404 = await fetch(`${nexus.base}/api/v1/nope`)
    assert.equal(api404.status, 404)
    assert.match(api404.headers.get('content-type'), /json/)
    const html = await root.text()
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)[1]
    const js = await fetch(`${nexus.base}${asset}`)
    assert.equal(js.status, 200)
    assert.match(js.headers.get('cache-control'), /immutable/)
  })

  test('sign-up shows the server message next to the password field', async () => {
    const page = await newPage(browser)
    await signUpInBrowser(page, uniqueEmail('weak'), 'Weak Org', 'short')
    const message = page.locator(`[id="${await page.getByLabel('Password').getAttribute('id')}-error"]`)
    await message.waitFor()
    assert.match(await message.textContent(), /at least 10 characters/)
    await check(page, 'signup')
    await page.context().close()
  })

  test('owner: sign up, set up the ledger, create an account, post entries, see balances and the dashboard, sign out', async () => {
    const page = await newPage(browser)
    await signUpInBrowser(page, owner.email, owner.org)
    await page.getByRole('heading', { name: 'Set up your ledger', exact: true }).waitFor()
    await check(page, 'setup')
    await page.getByLabel('Base currency').selectOption('EUR')
    await page.getByRole('button', { name: 'Set up ledger' }).click()

    // Accounts: the household chart is there; add a wallet.
    await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor()
    await page.getByTestId('account-row-1010').waitFor()
    await page.getByRole('button', { name: 'New account' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Code').fill('1040')
    await dialog.getByLabel('Name').fill('Wallet')
    await dialog.getByLabel('Parent account').selectOption({ label: '1000 Assets' })
    await dialog.getByRole('button', { name: 'Create account' }).click()
    await page.getByTestId('account-row-1040').waitFor()

    // Dashboard before any entry: the chart renders, no bars yet.
    await page.getByRole('link', { name: 'Dashboard' }).first().click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.getByTestId('income-expense-chart').locator('.recharts-wrapper').waitFor()
    assert.equal(await page.getByTestId('income-expense-chart').locator('.recharts-bar-rectangle path').count(), 0)

    // Two entries: salary into checking, then groceries paid from the wallet (which goes negative).
    await page.getByRole('link', { name: 'New entry' }).click()
    await page.getByLabel('Description').fill('Salary')
    await fillLine(page, 0, '1010 Checking account', { debit: '2500' })
    await fillLine(page, 1, '4010 Salary', { credit: '2500' })
    await page.getByTestId('balance-summary').getByText('Balanced').waitFor()
    await check(page, 'new-entry')
    await page.getByRole('button', { name: 'Post entry' }).click()
    await page.getByRole('heading', { name: 'Salary', exact: true }).waitFor()

    await page.goto(`${nexus.base}/entries/new`)
    await page.getByLabel('Description').fill('Weekly groceries')
    await page.getByLabel('Payee (optional)').fill('Corner Market')
    await fillLine(page, 0, '5020 Groceries', { debit: '42.10' })
    await fillLine(page, 1, '1040 Wallet', { credit: '42.10' })
    await page.getByRole('button', { name: 'Post entry' }).click()
    await page.getByRole('heading', { name: 'Weekly groceries', exact: true }).waitFor()
    await check(page, 'entry-detail')

    // Balances: the accounts tree shows them, rolled up to the parents.
    await page.getByRole('link', { name: 'Accounts' }).first().click()
    const wallet = page.getByTestId('account-row-1040')
    await wallet.getByText('−€42.10').first().waitFor()
    await page.getByTestId('account-row-1010').getByText('€2,500.00').first().waitFor()
    await page.getByTestId('account-row-1000').getByText('€2,457.90').first().waitFor()
    await check(page, 'accounts')

    // The register of the checking account.
    await page.getByTestId('account-row-1010').getByRole('link').first().click()
    await page.getByTestId('register-scroll').getByText('Salary').waitFor()
    await check(page, 'register')

    // The dashboard shows the new figures and bars.
    await page.getByRole('link', { name: 'Dashboard' }).first().click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.getByTestId('kpi-expenses').getByText('€42.10', { exact: true }).waitFor()
    await page.getByTestId('kpi-income').getByText('€2,500.00', { exact: true }).waitFor()
    await page.getByTestId('kpi-net-worth').getByText('€2,457.90', { exact: true }).waitFor()
    await page.getByTestId('income-expense-chart').locator('.recharts-bar-rectangle path').first().waitFor()
    assert.ok((await page.getByTestId('income-expense-chart').locator('.recharts-bar-rectangle path').count()) >= 2)
    await page.getByTestId('attention').getByText('Wallet').waitFor()
    await page.getByTestId('recent-entries').getByText('Weekly groceries').waitFor()
    await check(page, 'dashboard')

    // Entries: search narrows the list.
    await page.getByRole('link', { name: 'Entries' }).first().click()
    await page.getByTestId('entry-row').first().waitFor()
    assert.equal(await page.getByTestId('entry-row').count(), 2)
    await page.getByLabel('Search').fill('grocer')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="entry-row"]').length === 1)
    await check(page, 'entries')

    // Reverse the groceries entry.
    await page.getByRole('link', { name: 'Weekly groceries' }).click()
    await page.getByRole('button', { name: 'Reverse entry' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Reverse entry' }).click()
    await page.getByText('Reversal', { exact: true }).first().waitFor()

    await page.getByRole('link', { name: 'Members' }).first().click()
    await page.getByTestId('member-row').first().waitFor()
    await check(page, 'members')
    await page.getByRole('link', { name: 'Settings' }).first().click()
    await page.getByLabel('Organisation name').waitFor()
    await check(page, 'settings')

    // Mobile width: the dashboard still works.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByRole('button', { name: 'Menu' }).click()
    await page.locator('#mobile-menu').getByRole('link', { name: 'Dashboard' }).click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    // The reversal took the groceries back out of this month's expenses.
    await page.getByTestId('kpi-expenses').getByText('€0.00', { exact: true }).waitFor()
    await page.getByTestId('kpi-net-worth').getByText('€2,500.00', { exact: true }).waitFor()
    await check(page, 'dashboard-390')
    await page.goto(`${nexus.base}/entries/new`)
    await page.getByLabel('Description').waitFor()
    await check(page, 'new-entry-390')
    await page.setViewportSize({ width: 1280, height: 900 })

    // Sign out.
    await page.goto(`${nexus.base}/`)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
    await check(page, 'signin')
    assert.equal(await page.evaluate(() => localStorage.getItem('nexus.session')), null)
    assert.deepEqual(page.problems, [])
    await page.context().close()
  })

  test('an unbalanced entry is refused with a visible message', async () => {
    const page = await newPage(browser)
    await signInInBrowser(page, owner.email)
    const before = (await apiJson(nexus.base, '/api/v1/ledger/entries', { token: (await apiToken(owner.email)).access_token })).items.length
    await page.goto(`${nexus.base}/entries/new`)
    await page.getByLabel('Description').fill('Does not add up')
    await fillLine(page, 0, '5030 Restaurants', { debit: '10.00' })
    await fillLine(page, 1, '1010 Checking account', { credit: '9.99' })
    await page.getByTestId('imbalance').getByText('+€0.01').waitFor()
    await page.getByRole('button', { name: 'Post entry' }).click()
    const message = page.getByTestId('form-error')
    await message.waitFor()
    assert.match(await message.textContent(), /does not balance/)
    await screenshot(page, 'new-entry-unbalanced')
    assert.equal(new URL(page.url()).pathname, '/entries/new')
    const afterCount = (await apiJson(nexus.base, '/api/v1/ledger/entries', { token: (await apiToken(owner.email)).access_token })).items.length
    assert.equal(afterCount, before)
    await page.context().close()
  })

  test('an expired access token is refreshed without the user noticing', async () => {
    const page = await newPage(browser)
    await signInInBrowser(page, owner.email)
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    const before = await page.evaluate(() => JSON.parse(localStorage.getItem('nexus.session')))
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('nexus.session'))
      session.accessToken = 'not-a-valid-token'
      localStorage.setItem('nexus.session', JSON.stringify(session))
    })
    await page.reload()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    const afterSession = await page.evaluate(() => JSON.parse(localStorage.getItem('nexus.session')))
    assert.notEqual(afterSession.refreshToken, before.refreshToken)
    assert.equal(new URL(page.url()).pathname, '/')
    await page.context().close()
  })

  test('switching organisation uses the refresh token and shows the other books', async () => {
    const tokens = await apiToken(owner.email)
    await apiJson(nexus.base, '/api/v1/auth/orgs', { method: 'POST', token: tokens.access_token, body: { name: 'Side Business' } })
    const page = await newPage(browser)
    await signInInBrowser(page, owner.email)
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    const switcher = page.getByLabel('Organisation').first()
    await switcher.selectOption({ label: 'Side Business (owner)' })
    await page.getByRole('heading', { name: 'Set up your ledger', exact: true }).waitFor()
    await switcher.selectOption({ label: `${owner.org} (owner)` })
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.context().close()
  })

  test('a viewer does not see the new-entry action', async () => {
    const viewerEmail = uniqueEmail('viewer')
    await apiJson(nexus.base, '/api/v1/auth/register', { method: 'POST', body: { email: viewerEmail, password: PASSWORD, org_name: 'Viewer Home' } })
    const ownerTokens = await apiToken(owner.email)
    await apiJson(nexus.base, `/api/v1/auth/orgs/${ownerTokens.org_id}/members`, { method: 'POST', token: ownerTokens.access_token, body: { email: viewerEmail, role: 'viewer' } })
    const page = await newPage(browser)
    await signInInBrowser(page, viewerEmail)
    // The viewer's own org comes first; switch to the owner's books.
    await page.getByLabel('Organisation').first().selectOption({ label: `${owner.org} (viewer)` })
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.getByTestId('recent-entries').waitFor()
    assert.equal(await page.getByRole('link', { name: 'New entry' }).count(), 0)
    await page.getByRole('link', { name: 'Entries' }).first().click()
    await page.getByTestId('entry-row').first().waitFor()
    assert.equal(await page.getByRole('link', { name: 'New entry' }).count(), 0)
    assert.equal(await page.getByRole('link', { name: 'Members' }).count(), 0)
    await page.getByTestId('entry-row').first().getByRole('link').click()
    await page.getByRole('heading', { level: 1 }).waitFor()
    assert.equal(await page.getByRole('button', { name: 'Reverse entry' }).count(), 0)
    await page.goto(`${nexus.base}/entries/new`)
    await page.waitForURL(`${nexus.base}/entries`)
    await screenshot(page, 'viewer-entries')
    await page.context().close()
  })

  test('axe finds no serious or critical violation on the main screens', () => {
    const failures = Object.entries(axeReport).filter(([, violations]) => violations.length)
    assert.ok(Object.keys(axeReport).length >= 10, `screens checked: ${Object.keys(axeReport).join(', ')}`)
    assert.deepEqual(failures, [], failures.map(([screen, v]) => `${screen}: ${v.join('; ')}`).join('\n'))
  })
})
