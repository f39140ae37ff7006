// End-to-end: the web app served by a real `nexus up`, driven in Debian's Chromium.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { apiJson, launchBrowser, newPage, PASSWORD, screenshot, seriousViolations, startNexus, uniqueEmail } from './harness.mjs'

let nexus
let browser

before(async () => {
  ;[nexus, browser] = await Promise.all([startNexus(), launchBrowser()])
})

after(async () => {
  await browser?.close()
  await nexus?.stop()
})

async function signUpInBrowser(page, email, org = 'Test Household') {
  await page.goto(`${nexus.base}/signup`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByLabel('Organisation name').fill(org)
  await page.getByRole('button', { name: 'Create account' }).click()
}

describe('owner journey', () => {
  test('sign up, set up the ledger, see the dashboard', async () => {
    const page = await newPage(browser)
    const email = uniqueEmail('owner')
    await signUpInBrowser(page, email)
    await page.getByRole('heading', { name: 'Set up your ledger' }).waitFor()
    await page.getByRole('button', { name: 'Set up ledger' }).click()
    await page.getByRole('link', { name: 'Dashboard' }).first().click()
    await page.locator('[data-dashboard-ready="true"]').waitFor()
    await screenshot(page, 'dashboard-empty')
    assert.deepEqual(page.problems, [])
  })
})
