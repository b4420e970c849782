import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageQuery } from '../../src/server/search-page.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { ROOT } from '../helpers.js'
import { portServer, sampleBulk, send } from './helpers.js'

// Debian's chromium; .ci/run installs it when missing.
const CHROMIUM = '/usr/bin/chromium'

/** Loads the sample corpus into a new index created with `body`. */
async function load(url: string, index: string, body: unknown): Promise<void> {
  await fetch(`${url}/${index}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const bulk = await fetch(`${url}/${index}/_bulk`, { method: 'POST', body: sampleBulk(), headers: { 'content-type': 'application/x-ndjson' } })
  if ((await bulk.json() as { errors: boolean }).errors) throw new Error(`bulk into ${index} failed`)
}

/** Searches `query` in `index` on the page; returns the explanation rows of the first hit (opened). */
async function searchFor(page: Page, index: string, query: string): Promise<string[]> {
  await page.selectOption('#index', index)
  await page.fill('#q', query)
  await page.click('button[type=submit]')
  await page.waitForSelector('.hit')
  expect(await page.locator('#status').textContent()).toMatch(/^\d+ matches in \d+ ms$/)
  const panel = page.locator('#explain-0')
  expect(await panel.isHidden()).toBe(true)
  await page.click('.hit .toggle >> nth=0')
  expect(await panel.isVisible()).toBe(true)
  return panel.locator('tr').allTextContents()
}

describe.skipIf(!existsSync(CHROMIUM))('search page in headless Chromium', () => {
  let server: RunningServer
  let browser: Browser
  let dataDir: string

  beforeAll(async () => {
    // Its own folder: tempDir() folders are removed after each test, this one serves them all.
    dataDir = await mkdtemp(join(tmpdir(), 'lsr-search-page-'))
    server = await startServer({ dataDir, port: 0 })
    // Elasticsearch's defaults (mapped fields, standard analyzer), and lsr's encoder of title + text.
    await load(server.url, 'sample', {})
    await load(server.url, 'stemmed', { settings: { encoder: { name: 'bm25' } } })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('searches every field of an index of mapped fields, highlights each text field, and explains the best field', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['sample', 'stemmed'])
    const rows = await searchFor(page, 'sample', 'roaring bitmaps')
    // Title and text both match: the heading is the highlighted title, the snippet the text.
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Roaring</em> <em>bitmaps</em>')
    expect(await page.locator('.hit .snippet em').first().textContent()).toBe('Roaring')
    expect(await page.locator('.hit').count()).toBe(1)

    // The short title outscores the long text (best_fields): its two terms are the rows. BM25 of
    // Elasticsearch's defaults, computed here from the corpus: k1 1.2, b 0.75, standard tokens.
    const titles = readFileSync(join(ROOT, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).title as string)
    const avgdl = titles.reduce((sum, title) => sum + (title.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0), 0) / titles.length
    const idf = Math.log(1 + (30 - 1 + 0.5) / (1 + 0.5))
    const tf = 1 / (1 + 1.2 * (1 - 0.75 + (0.75 * 2) / avgdl))
    const row = (term: string) => `title:${term}1 × ${Number(idf.toFixed(4))} × ${Number(tf.toFixed(4))}${(idf * tf).toFixed(4)}`
    expect(rows).toEqual(['termfactorsscore', row('roaring'), row('bitmaps'), `sum${(2 * idf * tf).toFixed(4)}`])
    await page.close()
  })

  it('searches an index with an encoder through its encoder field, with stemmed terms', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['sample', 'stemmed'])
    const rows = await searchFor(page, 'stemmed', 'roaring bitmaps')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Roaring</em> <em>bitmaps</em>')
    expect(await page.locator('.hit .snippet em').first().textContent()).toBe('Roaring')
    expect(rows[0]).toBe('termfactorsscore')
    expect(rows.slice(1, -1).map((r) => r.split(/\d/)[0])).toEqual(['roar', 'bitmap'])
    expect(rows[1]).toMatch(/^roar1 × \d+\.\d+ × \d+\.\d+\d+\.\d{4}$/)
    expect(rows.at(-1)).toMatch(/^sum\d+\.\d{4}$/)
    await page.close()
  })

  it('searches quoted words as a phrase and highlights each occurrence as one unit', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['sample', 'stemmed'])
    const rows = await searchFor(page, 'sample', '"document frequency" logarithm')
    // s04 holds the phrase in its title and text, and logarithm; s03 only the phrase, in its text.
    expect(await page.locator('.hit').count()).toBe(2)
    expect(await page.locator('.hit h3').allInnerTexts()).toEqual(['Inverse document frequency', 'BM25 ranking'])
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('Inverse <em>document frequency</em>')
    expect(await page.locator('.hit .snippet em').allTextContents()).toEqual(['document frequency', 'logarithm', 'document frequency'])
    // The best field's phrase (the short title), then the word.
    expect(rows.slice(1, -1).map((r) => r.split(/\d/)[0])).toEqual(['title:"document frequency"', 'text:logarithm'])
    await page.close()
  })

  it('shows an index without title or text by its name field and highlighted description', async () => {
    await fetch(`${server.url}/shop`, { method: 'PUT' })
    await fetch(`${server.url}/shop/_doc/p1?refresh=true`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Espresso <machine>', description: 'A compact espresso maker', price: 199 }),
    })
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['sample', 'shop', 'stemmed'])
    const rows = await searchFor(page, 'shop', 'espresso')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Espresso</em> &lt;machine&gt;')
    expect(await page.locator('.hit .snippet').first().innerHTML()).toBe('A compact <em>espresso</em> maker')
    expect(rows.slice(1, -1).map((r) => r.split(/\d/)[0])).toHaveLength(1)
    await page.close()
  })

  it('names a phrase of stacked tokens in full in the explanation', async () => {
    // asciifolding keeping the original stacks two tokens per accented word: the phrase shows them as (x|y).
    const analysis = { filter: { fold: { type: 'asciifolding', preserve_original: true } }, analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'fold'] } } }
    await fetch(`${server.url}/cafe`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ settings: { analysis }, mappings: { properties: { name: { type: 'text', analyzer: 'folded' } } } }),
    })
    await fetch(`${server.url}/cafe/_doc/c1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Un café crème, merci' }) })
    const page = await browser.newPage()
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.locator('#index option').allTextContents()).toEqual(['cafe', 'sample', 'shop', 'stemmed'])
    const rows = await searchFor(page, 'cafe', '"café crème"')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('Un <em>café crème</em>, merci')
    expect(rows[1]).toMatch(/^name:"\((cafe\|café|café\|cafe)\) \((creme\|crème|crème\|creme)\)"1 × /)
    await page.close()
  })
})

describe('the search page\'s query', () => {
  const WORDS = { multi_match: { query: 'red shoes lamp', fields: ['*'] } }
  const phrase = (query: string) => ({ multi_match: { query, type: 'phrase', fields: ['*'] } })

  it('is the multi_match of old without quotes, and a match on the encoder field with an encoder, quotes or not', () => {
    expect(pageQuery('red shoes lamp', false)).toEqual(WORDS)
    expect(pageQuery('red shoes lamp', true)).toEqual({ match: { text: 'red shoes lamp' } })
    expect(pageQuery('"red shoes" lamp', true)).toEqual({ match: { text: '"red shoes" lamp' } })
  })

  it('makes quoted parts required phrases beside the optional words', () => {
    expect(pageQuery('"red shoes" lamp', false)).toEqual({ bool: { must: [phrase('red shoes')], should: [{ multi_match: { query: 'lamp', fields: ['*'] } }] } })
    expect(pageQuery('a "red shoes" b "desk lamp"', false)).toEqual({ bool: { must: [phrase('red shoes'), phrase('desk lamp')], should: [{ multi_match: { query: 'a b', fields: ['*'] } }] } })
    expect(pageQuery(' "red shoes" ', false)).toEqual({ bool: { must: [phrase('red shoes')] } })
    // An unclosed quote runs to the end; empty quotes are dropped.
    expect(pageQuery('lamp "red sho', false)).toEqual({ bool: { must: [phrase('red sho')], should: [{ multi_match: { query: 'lamp', fields: ['*'] } }] } })
    expect(pageQuery('lamp "" ', false)).toEqual({ multi_match: { query: 'lamp', fields: ['*'] } })
  })

  it('finds and highlights phrases through the HTTP API as the page asks', async () => {
    const { url, close } = await portServer()
    try {
      const docs = {
        p1: { name: 'Red shoes', description: 'Red shoes and a reading lamp' },
        p2: { name: 'Lamp', description: 'A red lamp beside blue shoes' },
        p3: { name: 'Shoes', description: 'Shoes, red ones, and a lamp' },
        p4: { name: 'Boots', description: 'Dark red shoes for winter' },
      }
      for (const index of ['shop', 'encoded']) {
        await send(`${url}/${index}`, 'PUT', index === 'encoded' ? { settings: { encoder: { name: 'bm25' } } } : {})
        const lines = Object.entries(docs).flatMap(([id, doc]) => [{ index: { _id: id } }, index === 'encoded' ? { title: doc.name, text: doc.description } : doc])
        await send(`${url}/${index}/_bulk?refresh=true`, 'POST', lines.map((line) => JSON.stringify(line)).join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
      }
      const search = (index: string, input: string, encoder: boolean) => send(`${url}/${index}/_search`, 'POST', {
        query: pageQuery(input, encoder), size: 10, explain: true,
        highlight: { fields: { '*': {} }, encoder: 'html', fragment_size: 200, number_of_fragments: 2 },
      })
      const { status, body } = await search('shop', '"red shoes" lamp', false)
      expect(status).toBe(200)
      // p2 and p3 hold red, shoes and lamp, but not "red shoes"; the lamp ranks p1 first.
      expect(body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['p1', 'p4'])
      expect(body.hits.hits[0].highlight).toEqual({ name: ['<em>Red shoes</em>'], description: ['<em>Red shoes</em> and a reading <em>lamp</em>'] })
      expect(body.hits.hits[1].highlight).toEqual({ description: ['Dark <em>red shoes</em> for winter'] })

      // The encoder field has no positions: quotes change nothing there (the words are searched).
      const encoded = await search('encoded', '"red shoes" lamp', true)
      expect(encoded.status).toBe(200)
      const words = await send(`${url}/encoded/_search`, 'POST', { query: { match: { text: 'red shoes lamp' } }, size: 10 })
      expect(encoded.body.hits.hits.map((hit: { _id: string; _score: number }) => [hit._id, hit._score])).toEqual(words.body.hits.hits.map((hit: { _id: string; _score: number }) => [hit._id, hit._score]))
      expect(encoded.body.hits.hits).toHaveLength(4)
    } finally {
      await close()
    }
  })
})
