// End-to-end: statement import (wizard, preview, commit, duplicates, undo, a bad file) and
// reconciliation (keyboard review, bulk accept, posting unmatched lines), in Chromium
// against a real `nexus up`.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { apiJson, launchBrowser, newPage, PASSWORD, screenshot, seriousViolations, settle, startNexus, uniqueEmail } from './harness.mjs'

let nexus
let browser
let page
const owner = { email: uniqueEmail('importer'), org: 'Import Household' }
const axeReport = {}
const files = mkdtempSync(join(tmpdir(), 'nexus-e2e-statements-'))
const state = {}

// Statement dates: the 40 days before today, so nothing is in the future.
const DAY_MS = 86_400_000
const today = new Date()
const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 40 * DAY_MS
const day = (n) => new Date(start + n * DAY_MS)
const iso = (n) => day(n).toISOString().slice(0, 10)
const german = (n) => iso(n).split('-').reverse().join('.')
const compact = (n) => iso(n).replaceAll('-', '')
const shown = (n) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(day(n))

function statementFile(name, text) {
  const path = join(files, name)
  writeFileSync(path, text)
  return path
}

// Semicolons, day-first dates, decimal commas: the server guesses all of it.
const checkingCsv = () =>
  [
    'Booking date;Value date;Description;Payee;Amount',
    `${german(3)};${german(4)};Card payment 0412;Corner Market;-42,10`,
    `${german(5)};${german(5)};Salary;ACME GmbH;2.500,00`,
    `${german(7)};${german(8)};Rent;Landlord Ltd;-900,00`,
    `${german(10)};${german(11)};Electricity;City Power;-61,35`,
    `${german(12)};${german(13)};Dinner;Trattoria Roma;-38,50`,
    `${german(15)};${german(16)};Train ticket;Rail Co;-19,90`,
    '',
  ].join('\n')

const savingsOfx = () => {
  const line = (n, amount, id, name) => `<STMTTRN><TRNTYPE>${amount.startsWith('-') ? 'DEBIT' : 'CREDIT'}<DTPOSTED>${compact(n)}<TRNAMT>${amount}<FITID>${id}<NAME>${name}</STMTTRN>`
  return [
    'OFXHEADER:100',
    'DATA:OFXSGML',
    'VERSION:102',
    'SECURITY:NONE',
    'ENCODING:USASCII',
    'CHARSET:1252',
    'COMPRESSION:NONE',
    'OLDFILEUID:NONE',
    'NEWFILEUID:NONE',
    '',
    '<OFX>',
    `<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>${compact(25)}120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>`,
    '<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>',
    '<STMTRS><CURDEF>EUR',
    '<BANKACCTFROM><BANKID>10020030<ACCTID>987654321<ACCTTYPE>SAVINGS</BANKACCTFROM>',
    `<BANKTRANLIST><DTSTART>${compact(1)}<DTEND>${compact(25)}`,
    line(3, '-42.10', 'S1', 'Corner Market'),
    line(5, '1000.00', 'S2', 'Transfer from checking'),
    line(12, '-61.35', 'S3', 'City Power'),
    line(14, '-29.90', 'S4', 'Isar Fitness'),
    line(16, '-55.00', 'S5', 'Bookshop Lindner'),
    line(20, '-12.00', 'S6', 'Ticket office'),
    line(22, '-7.80', 'S7', 'Bakery Sonne'),
    '</BANKTRANLIST>',
    `<LEDGERBAL><BALAMT>791.85<DTASOF>${compact(22)}</LEDGERBAL>`,
    '</STMTRS></STMTTRNRS></BANKMSGSRSV1>',
    '</OFX>',
    '',
  ].join('\n')
}

before(async () => {
  ;[nexus, browser] = await Promise.all([startNexus(), launchBrowser()])
  page = await newPage(browser)
})

after(async () => {
  await browser?.close()
  await nexus?.stop()
  rmSync(files, { recursive: true, force: true })
})

/** Screenshot the screen and record its serious/critical axe violations. */
async function check(name) {
  await settle(page)
  await screenshot(page, name)
  axeReport[name] = await seriousViolations(page)
}

async function token() {
  return (await apiJson(nexus.base, '/api/v1/auth/token', { method: 'POST', form: { username: owner.email, password: PASSWORD } })).access_token
}

async function ownBalance(code) {
  const balances = await apiJson(nexus.base, '/api/v1/ledger/balances', { token: await token() })
  return balances.items.find((b) => b.code === code)?.own.find((a) => a.currency === 'EUR')?.amount ?? '0.00'
}

async function chooseStatement(path, account) {
  await page.getByRole('link', { name: 'Imports', exact: true }).first().click()
  await page.getByRole('heading', { name: 'Imports', exact: true }).waitFor()
  await page.getByRole('link', { name: 'Import a statement' }).first().click()
  await page.getByRole('heading', { name: 'Import a statement', exact: true }).waitFor()
  await page.getByLabel('Account', { exact: true }).selectOption({ label: account })
  await page.getByLabel('Statement file').setInputFiles(path)
}

const firstParsedDate = () => page.getByTestId('parsed-line').first().locator('td').nth(1)

describe('statement import and reconciliation', () => {
  afterEach(async (t) => {
    await screenshot(page, `failed-${t.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => {})
  })

  test('upload a CSV through the wizard, adjust the mapping live, commit, see the balance', async () => {
    await page.goto(`${nexus.base}/signup`)
    await page.getByLabel('Email').fill(owner.email)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByLabel('Organisation name').fill(owner.org)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Set up your ledger', exact: true }).waitFor()
    await page.getByLabel('Base currency').selectOption('EUR')
    await page.getByRole('button', { name: 'Set up ledger' }).click()
    await page.getByTestId('account-row-1010').waitFor()

    await page.getByRole('link', { name: 'Imports', exact: true }).first().click()
    await page.getByText('No imports yet').waitFor()
    await check('imports-empty')

    state.csv = statementFile('checking-statement.csv', checkingCsv())
    await chooseStatement(state.csv, '1010 Checking account (EUR)')
    // The server's guess: semicolons, the booking date, day-first dates, decimal commas.
    await page.getByTestId('csv-mapping').waitFor()
    assert.equal(await page.getByLabel('Delimiter').inputValue(), ';')
    assert.equal(await page.getByLabel('Date column').inputValue(), 'Booking date')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="parsed-line"]').length === 6)
    assert.equal(await firstParsedDate().textContent(), shown(3))
    await page.getByTestId('parsed-line').nth(1).getByText('€2,500.00').waitFor()
    await page.getByTestId('parsed-line').first().getByText('−€42.10').waitFor()

    // One field changed, the preview follows: the value date is a day later.
    await page.getByLabel('Date column').selectOption('Value date')
    await page.waitForFunction((expected) => document.querySelector('[data-testid="parsed-line"] td:nth-child(2)')?.textContent === expected, shown(4))
    await page.getByLabel(/Save this mapping/).check()
    await check('import-wizard-mapping')

    await page.getByRole('button', { name: 'Read the file' }).click()
    await page.getByRole('heading', { name: 'Import of checking-statement.csv', exact: true }).waitFor()
    state.firstImport = page.url()
    await page.getByTestId('count-new').getByText('6', { exact: true }).waitFor()
    assert.match(await page.getByTestId('count-duplicates').textContent(), /^0 duplicates/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-line"]').length === 6)
    assert.equal(await page.getByTestId('import-line').first().locator('[role="cell"]').nth(1).textContent(), shown(4))
    await check('import-preview')

    await page.getByRole('button', { name: 'Commit 6 new lines' }).click()
    await page.getByTestId('result-posted').getByText('posted').waitFor()
    assert.equal((await page.getByTestId('result-posted').textContent()).replace(/\s+/g, ' ').trim(), '6 posted')
    assert.match(await page.getByTestId('result-matched').textContent(), /^0\s*matched/)
    await page.getByText('The file carries no closing balance').waitFor()
    await page.locator('[data-testid="import-line"][data-status="posted"]').first().waitFor()
    await check('import-result')

    // The checking account moved by the statement's sum, in the tree and on the dashboard.
    await page.getByRole('link', { name: 'Accounts', exact: true }).first().click()
    await page.getByTestId('account-row-1010').getByText('€1,438.15').first().waitFor()
    await page.getByRole('link', { name: 'Dashboard', exact: true }).first().click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.getByTestId('kpi-net-worth').getByText('€1,438.15', { exact: true }).waitFor()
    assert.equal(await ownBalance('1010'), '1438.15')
    assert.deepEqual(page.problems, [])
  })

  test('the same file again: every line is a duplicate and the commit posts nothing', async () => {
    await chooseStatement(state.csv, '1010 Checking account (EUR)')
    // The mapping saved with the first import is offered for this account.
    // (The server should also pick it by itself for a file with the same header; for
    // semicolon files it does not yet: it reads the header with commas.)
    await page.getByTestId('csv-mapping').waitFor()
    await page.getByLabel('Use a saved mapping').selectOption({ label: 'checking-statement layout' })
    assert.equal(await page.getByLabel('Date column').inputValue(), 'Value date')
    await page.waitForFunction((expected) => document.querySelector('[data-testid="parsed-line"] td:nth-child(2)')?.textContent === expected, shown(4))
    await page.getByRole('button', { name: 'Read the file' }).click()
    await page.getByTestId('count-duplicates').getByText('6', { exact: true }).waitFor()
    assert.match(await page.getByTestId('count-new').textContent(), /^0\s*new/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-line"][data-status="duplicate"]').length === 6)
    assert.equal(await page.getByTestId('import-line').first().getByText('Duplicate', { exact: true }).filter({ visible: true }).count(), 1)
    await page.getByRole('button', { name: 'Duplicates (6)' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-line"]').length === 6)
    await check('import-preview-duplicates')

    await page.getByRole('button', { name: 'Commit (nothing new to post)' }).click()
    await page.getByTestId('result-posted').getByText('posted').waitFor()
    assert.equal((await page.getByTestId('result-posted').textContent()).replace(/\s+/g, ' ').trim(), '0 posted')
    assert.equal((await page.getByTestId('result-duplicates').textContent()).replace(/\s+/g, ' ').trim(), '6 duplicates skipped')
    assert.equal(await ownBalance('1010'), '1438.15')
    assert.deepEqual(page.problems, [])
  })

  test('undo an import: its entries are reversed and the balance is back', async () => {
    await page.getByRole('link', { name: 'Imports', exact: true }).first().click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-row"]').length === 2)
    await check('imports-list')
    await page.goto(state.firstImport)
    await page.getByRole('button', { name: 'Undo import' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('The 6 entries it posted are reversed').waitFor()
    await check('import-undo-confirm')
    await dialog.getByRole('button', { name: 'Undo import' }).click()
    await page.getByTestId('undone-note').waitFor()
    await page.getByText('Undone', { exact: true }).first().waitFor()
    await page.getByRole('button', { name: 'Undo import' }).waitFor({ state: 'detached' })
    assert.equal(await ownBalance('1010'), '0.00')
    await page.getByRole('link', { name: 'Dashboard', exact: true }).first().click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await page.getByTestId('kpi-net-worth').getByText('€0.00', { exact: true }).waitFor()
    assert.deepEqual(page.problems, [])
  })

  test('reconciliation: review proposed matches with the keyboard, bulk-accept, post an unmatched line', async () => {
    // Entries already in the ledger: one the bank shows two days later under a slightly
    // different payee and a look-alike of it (same amount, same day: the match is ambiguous),
    // one with nothing in common but the amount a day before its line (a likely match), one
    // three days before (less likely), and one the matcher is sure of.
    const accounts = (await apiJson(nexus.base, '/api/v1/ledger/accounts', { token: await token() })).items
    const id = (code) => accounts.find((a) => a.code === code).id
    const post = async (n, description, payee, amount, other) =>
      apiJson(nexus.base, '/api/v1/ledger/entries', {
        method: 'POST',
        token: await token(),
        body: {
          date: iso(n),
          description,
          payee,
          postings: [
            { account_id: id('1020'), amount: `-${amount}`, currency: 'EUR' },
            { account_id: id(other), amount, currency: 'EUR' },
          ],
        },
      })
    await post(10, 'City Power electricity', 'City Powr', '61.35', '5040')
    await post(10, 'City Power electricity', 'City Power Ltd', '61.35', '5040')
    await post(12, 'Isar Fitnes membership', 'Isar', '29.90', '5080')
    await post(15, 'Gift for Anna', 'Someone', '55.00', '5090')
    await post(17, 'Kino', 'Cinema', '12.00', '5080')

    // An OFX statement: no mapping step, and a closing balance to check against.
    await chooseStatement(statementFile('savings.ofx', savingsOfx()), '1020 Savings account (EUR)')
    assert.equal(await page.getByTestId('csv-mapping').count(), 0)
    await page.getByRole('button', { name: 'Read the file' }).click()
    await page.getByTestId('count-new').getByText('7', { exact: true }).waitFor()
    await page.getByTestId('balance-closing-balance').getByText('€791.85').waitFor()
    await page.getByRole('button', { name: 'Commit 7 new lines' }).click()
    await page.getByTestId('result-posted').getByText('posted').waitFor()
    assert.equal((await page.getByTestId('result-posted').textContent()).replace(/\s+/g, ' ').trim(), '3 posted')
    assert.match(await page.getByTestId('result-matched').textContent(), /^1\s*matched/)
    assert.match(await page.getByTestId('result-proposed').textContent(), /^3\s*waiting for review/)
    // The ledger holds the water bill the bank never saw: the check is off, in red.
    const statementCheck = page.getByTestId('statement-check')
    assert.equal(await statementCheck.getAttribute('data-matches'), 'false')
    await page.getByTestId('statement-difference').getByText('−€61.35').waitFor()
    assert.match(await page.getByTestId('statement-difference').getAttribute('class'), /text-red-700/)
    await check('import-result-reconciliation')

    // What the matcher made of it (the review below relies on it; a retuned matcher shows here first).
    const runId = (await page.getByRole('link', { name: 'Review 3 proposed matches' }).getAttribute('href')).split('/').pop()
    const run = await apiJson(nexus.base, `/api/v1/reconciliation/runs/${runId}`, { token: await token() })
    const proposed = run.matches.filter((m) => m.status === 'proposed').map((m) => `${m.confidence} ${m.reasons.join(' ')}`)
    assert.equal(proposed.length, 3, `proposed: ${proposed.join('; ')}`)
    assert.ok(proposed.some((p) => p.startsWith('0.75 ') && p.includes('ambiguous')), `no ambiguous proposal: ${proposed.join('; ')}`)
    // The line a day after its entry reads likelier than the one three days after.
    const sureOf = (lag) => run.matches.find((m) => m.status === 'proposed' && m.reasons.includes(`date_delta_${lag}`))?.confidence
    assert.ok(sureOf('1d') > sureOf('3d'), `proposed: ${proposed.join('; ')}`)

    await page.getByRole('link', { name: 'Review 3 proposed matches' }).click()
    await page.getByRole('heading', { name: 'Reconciliation of 1020 Savings account', exact: true }).waitFor()
    const matches = page.getByTestId('match')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="match"]').length === 3)
    await page.getByTestId('keyboard-hint').waitFor()
    // Bank line beside its entry, the confidence and the reasons; in the bank's order.
    const cityPower = matches.nth(0)
    await cityPower.getByTestId('match-bank-line').getByText('City Power', { exact: true }).waitFor()
    await cityPower.getByTestId('match-entry').getByText('City Power electricity').waitFor()
    assert.match(await cityPower.getByTestId('match-confidence').textContent(), /^75%/)
    await cityPower.getByText('2 days apart').waitFor()
    await cityPower.getByText('Same amount').waitFor()
    await cityPower.getByText('Ambiguous: a look-alike fits as well').waitFor()
    await matches.nth(1).getByTestId('match-entry').getByText('Gift for Anna').waitFor()
    assert.match(await matches.nth(1).getByTestId('match-confidence').textContent(), /^9\d%/)
    await matches.nth(2).getByTestId('match-entry').getByText('Kino').waitFor()
    await check('reconciliation-run')

    // Into the list: accept (a) the City Power match; the selection moves on to the next open one.
    await cityPower.focus()
    assert.equal(await cityPower.getAttribute('data-selected'), 'true')
    await page.keyboard.press('a')
    await page.locator('[data-testid="match"][data-status="accepted"]').getByText('City Power', { exact: true }).waitFor()
    assert.equal(await matches.nth(1).getAttribute('data-selected'), 'true')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'match')
    // Down (j) to the ticket office and reject it (r): its line is unmatched now, the selection goes back up.
    await page.keyboard.press('j')
    assert.equal(await matches.nth(2).getAttribute('data-selected'), 'true')
    await page.keyboard.press('r')
    await page.locator('[data-testid="match"][data-status="rejected"]').getByText('Ticket office', { exact: true }).waitFor()
    assert.equal(await matches.nth(1).getAttribute('data-selected'), 'true')
    await page.keyboard.press('ArrowUp')
    assert.equal(await matches.nth(0).getAttribute('data-selected'), 'true')
    await page.keyboard.press('ArrowDown')
    assert.equal(await matches.nth(1).getAttribute('data-selected'), 'true')
    await page.keyboard.press('k')
    assert.equal(await matches.nth(0).getAttribute('data-selected'), 'true')
    await check('reconciliation-run-decided')

    // Bulk: the one proposed match at least 90 % sure (the bookshop).
    const bulk = page.getByTestId('bulk-accept')
    assert.equal((await bulk.textContent()).trim(), 'Accept all proposed ≥ 90% (1)')
    await bulk.click()
    await page.getByText('Accepted 1 match.').waitFor()
    await page.locator('[data-testid="match"][data-status="accepted"]').getByText('Bookshop Lindner', { exact: true }).waitFor()
    assert.equal((await bulk.textContent()).trim(), 'Accept all proposed ≥ 90% (0)')
    assert.equal(await bulk.isDisabled(), true)
    await page.getByTestId('total-waiting-for-review').getByText('0', { exact: true }).waitFor()

    // The rejected line waits among the unmatched ones: post it against Entertainment.
    const unmatched = page.getByTestId('unmatched-line')
    await unmatched.first().getByText('Ticket office', { exact: true }).waitFor()
    assert.equal(await unmatched.count(), 1)
    await unmatched.first().getByRole('checkbox').check()
    await page.getByLabel('Counter account').selectOption({ label: '5080 Entertainment' })
    await check('reconciliation-unmatched-selected')
    await page.getByRole('button', { name: 'Post 1 as new entries' }).click()
    await page.getByText('Posted 1 new entry.').waitFor()
    await page.getByText('No unmatched bank lines').waitFor()
    assert.equal(await ownBalance('5080'), '53.90')

    // The report downloads with the session's token.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV report' }).click()])
    assert.match(download.suggestedFilename(), /^reconciliation-.+\.csv$/)
    const report = readFileSync(await download.path(), 'utf8')
    assert.match(report, /^section,bank_line_id,entry_ids/)
    assert.match(report, /match,.*accepted/)

    await page.getByRole('tab', { name: 'Auto-accepted (1)' }).click()
    await page.getByTestId('match').first().getByText('Isar Fitness', { exact: true }).waitFor()
    await check('reconciliation-run-auto')
    state.runUrl = page.url()

    // Narrow screens: bank above ledger, still readable.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByRole('tab', { name: /^To review/ }).click()
    await page.getByTestId('match').first().waitFor()
    await check('reconciliation-run-390')
    await page.setViewportSize({ width: 1280, height: 900 })
    assert.deepEqual(page.problems, [])
  })

  test('start a reconciliation of an account from the imports page', async () => {
    await page.getByRole('link', { name: 'Imports', exact: true }).first().click()
    await page.getByRole('link', { name: 'Reconcile account' }).click()
    await page.getByLabel('Account').selectOption({ label: '1020 Savings account (EUR)' })
    await page.getByLabel('From (optional)').fill(iso(1))
    await page.getByLabel('To (optional)').fill(iso(30))
    await check('reconcile-account')
    await page.getByRole('button', { name: 'Find matches' }).click()
    await page.getByRole('heading', { name: 'Reconciliation of 1020 Savings account', exact: true }).waitFor()
    await page.getByText('Nothing to review').waitFor()
    await page.getByTestId('total-bank-lines-reconciled').getByText('7', { exact: true }).waitFor()
    assert.deepEqual(page.problems, [])
  })

  test('a bad file: the preview and the upload name the line the server refused', async () => {
    const rows = ['Date,Description,Amount', `${iso(3)},Corner Market,-42.10`, `${iso(5)},Salary,2500.00`, `${iso(12)},City Power,-61.35`, '2026-13-45,Isar Fitness,-29.90', `${iso(16)},Bookshop,-55.00`, '']
    await chooseStatement(statementFile('broken.csv', rows.join('\n')), '1010 Checking account (EUR)')
    const problem = page.getByTestId('preview-error')
    await problem.waitFor()
    assert.match(await problem.textContent(), /Line 5: column 'Date': date '2026-13-45'/)
    await page.getByTestId('raw-row-error').getByText('2026-13-45').waitFor()
    assert.match(await page.getByTestId('raw-row-error').locator('td').first().textContent(), /^5/)
    await page.getByRole('button', { name: 'Read the file' }).click()
    const refused = page.getByTestId('form-error')
    await refused.waitFor()
    assert.match(await refused.textContent(), /The server refused the file\. Line 5: column 'Date'/)
    assert.equal(new URL(page.url()).pathname, '/imports/new')
    await check('import-wizard-error')
    assert.deepEqual(page.problems, [])
  })

  test('a viewer sees imports and reconciliations but cannot change them', async () => {
    const viewerEmail = uniqueEmail('import-viewer')
    await apiJson(nexus.base, '/api/v1/auth/register', { method: 'POST', body: { email: viewerEmail, password: PASSWORD, org_name: 'Viewer Home' } })
    const tokens = await apiJson(nexus.base, '/api/v1/auth/token', { method: 'POST', form: { username: owner.email, password: PASSWORD } })
    await apiJson(nexus.base, `/api/v1/auth/orgs/${tokens.org_id}/members`, { method: 'POST', token: tokens.access_token, body: { email: viewerEmail, role: 'viewer' } })
    const viewer = await newPage(browser)
    await viewer.goto(`${nexus.base}/signin`)
    await viewer.getByLabel('Email').fill(viewerEmail)
    await viewer.getByLabel('Password').fill(PASSWORD)
    await viewer.getByRole('button', { name: 'Sign in' }).click()
    await viewer.getByLabel('Organisation').first().selectOption({ label: `${owner.org} (viewer)` })
    await viewer.locator('[data-dashboard-ready="true"]').waitFor()
    await viewer.getByRole('link', { name: 'Imports', exact: true }).first().click()
    await viewer.getByTestId('import-row').first().waitFor()
    assert.equal(await viewer.getByRole('link', { name: 'Import a statement' }).count(), 0)
    await viewer.goto(state.runUrl)
    await viewer.getByTestId('match').first().waitFor()
    assert.equal(await viewer.getByTestId('bulk-accept').count(), 0)
    assert.equal(await viewer.getByTestId('keyboard-hint').count(), 0)
    assert.equal(await viewer.getByRole('button', { name: 'Accept', exact: true }).count(), 0)
    assert.equal(await viewer.getByRole('checkbox').count(), 0)
    await viewer.goto(`${nexus.base}/imports/new`)
    await viewer.waitForURL(`${nexus.base}/imports`)
    assert.deepEqual(viewer.problems, [])
    await viewer.context().close()
  })

  test('axe finds no serious or critical violation on the import and reconciliation screens', () => {
    const failures = Object.entries(axeReport).filter(([, violations]) => violations.length)
    assert.ok(Object.keys(axeReport).length >= 10, `screens checked: ${Object.keys(axeReport).join(', ')}`)
    assert.deepEqual(failures, [], failures.map(([screen, v]) => `${screen}: ${v.join('; ')}`).join('\n'))
  })
})
