import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'
import { sampleBulk } from './helpers.js'

// Debian's chromium; .ci/run installs it when missing.
const CHROMIUM = '/usr/bin/chromium'

describe.skipIf(!existsSync(CHROMIUM))('search page in headless Chromium', () => {
  let server: RunningServer
  let browser: Browser

  beforeAll(async () => {
    server = await startServer({ dataDir: await tempDir(), port: 0 })
    await fetch(`${server.url}/sample`, { method: 'PUT' })
    await fetch(`${server.url}/sample/_bulk`, { method: 'POST', body: sampleBulk(), headers: { 'content-type': 'application/x-ndjson' } })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('types a query, shows highlighted results, and opens an explanation', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['sample'])
    await page.fill('#q', 'roaring bitmaps')
    await page.click('button[type=submit]')
    await page.waitForSelector('.hit')
    expect(await page.locator('#status').textContent()).toMatch(/^\d+ matches in \d+ ms$/)
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Roaring</em> <em>bitmaps</em>')
    expect(await page.locator('.hit .snippet em').first().textContent()).toBe('Roaring')

    const panel = page.locator('#explain-0')
    expect(await panel.isHidden()).toBe(true)
    await page.click('.hit .toggle >> nth=0')
    expect(await panel.isVisible()).toBe(true)
    const rows = await panel.locator('tr').allTextContents()
    expect(rows[0]).toBe('termfactorsscore')
    expect(rows.slice(1, -1).map((r) => r.split(/\d/)[0])).toEqual(['roar', 'bitmap'])
    expect(rows[1]).toMatch(/^roar1 × \d+\.\d+ × \d+\.\d+\d+\.\d{4}$/)
    expect(rows.at(-1)).toMatch(/^sum\d+\.\d{4}$/)
    await page.close()
  })
})
