import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageQuery } from '../../src/server/search-page.js'
import { boundsBody, boundsOf, explanationRows, niceInterval, pageFields, queryOfState, searchBody, selectionFilters, stateFromQuery, type PageState } from '../../src/server/search-page-logic.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { ROOT } from '../helpers.js'
import { portServer, sampleBulk, send } from './helpers.js'

// The browser's globals, in functions that run in Chromium (the tests compile without the DOM library).
declare const document: any
declare const window: { __xss?: number }

// Debian's chromium; .ci/run installs it when missing.
const CHROMIUM = '/usr/bin/chromium'

/** Loads the sample corpus into a new index created with `body`. */
async function load(url: string, index: string, body: unknown): Promise<void> {
  await fetch(`${url}/${index}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const bulk = await fetch(`${url}/${index}/_bulk`, { method: 'POST', body: sampleBulk(), headers: { 'content-type': 'application/x-ndjson' } })
  if ((await bulk.json() as { errors: boolean }).errors) throw new Error(`bulk into ${index} failed`)
}

/** The number of searches the page has shown (body[data-searches]). */
const shownSearches = (page: Page) => page.evaluate(() => Number(document.body.dataset.searches ?? 0))

/** Runs `action` and waits until the page shows the search it started. */
async function searched(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = await shownSearches(page)
  await action()
  await page.waitForFunction((n) => Number(document.body.dataset.searches ?? 0) > n, before)
}

/** Searches `query` in `index` through the form; returns the first hit's explanation (opened) as cell texts. */
async function searchFor(page: Page, index: string, query: string): Promise<string[][]> {
  if ((await page.inputValue('#index')) !== index) await searched(page, () => page.selectOption('#index', index))
  await page.fill('#q', query)
  await searched(page, () => page.click('button[type=submit]'))
  expect(await page.locator('#status').textContent()).toMatch(/^\d+ match(es)? in \d+ ms$/)
  const panel = page.locator('.hit .explain').first()
  expect(await panel.isHidden()).toBe(true)
  await page.click('.hit .toggle-explain >> nth=0')
  expect(await panel.isVisible()).toBe(true)
  return explanationCells(page)
}

/** The first hit's explanation table: each cell's first node's text (a factor's number, without its details). */
function explanationCells(page: Page): Promise<string[][]> {
  return page.locator('.hit .explain table').first().evaluate((table: any) =>
    Array.from(table.rows, (row: any) => Array.from(row.cells, (cell: any) => String(cell.firstChild?.textContent ?? ''))))
}

/** The ids of the hits shown. */
const shownIds = (page: Page) => page.locator('.hit').evaluateAll((hits) => hits.map((hit: any) => String(hit.dataset.id)))

describe.skipIf(!existsSync(CHROMIUM))('search page in headless Chromium', () => {
  let server: RunningServer
  let browser: Browser
  let dataDir: string

  /** A new page at the search page (`fragment`: its state), once it shows its first search. */
  async function openPage(fragment = '', viewport = { width: 1200, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport })
    await page.goto(`${server.url}/_ui${fragment}`)
    await page.waitForFunction(() => Number(document.body.dataset.searches ?? 0) > 0)
    return page
  }
  /** `_search` over HTTP. */
  async function apiSearch(index: string, body: unknown): Promise<any> {
    const response = await send(`${server.url}/${index}/_search`, 'POST', body)
    expect(response.status).toBe(200)
    return response.body
  }

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

  it('searches every field of an index of mapped fields, highlights each text field, and labels the best field\'s factors', async () => {
    const page = await openPage()
    expect(await page.locator('#index option').allTextContents()).toEqual(['sample', 'stemmed'])
    const rows = await searchFor(page, 'sample', 'roaring bitmaps')
    // Title and text both match: the heading is the highlighted title, the snippet the text.
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Roaring</em> <em>bitmaps</em>')
    expect(await page.locator('.hit .snippet em').first().textContent()).toBe('Roaring')
    expect(await page.locator('.hit').count()).toBe(1)

    // The short title outscores the long text (best_fields): its two terms are the rows, each
    // factor in its named column. BM25 of Elasticsearch's defaults, computed here from the corpus:
    // k1 1.2, b 0.75, standard tokens.
    const titles = readFileSync(join(ROOT, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).title as string)
    const avgdl = titles.reduce((sum, title) => sum + (title.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0), 0) / titles.length
    const idf = Math.log(1 + (30 - 1 + 0.5) / (1 + 0.5))
    const tf = 1 / (1 + 1.2 * (1 - 0.75 + (0.75 * 2) / avgdl))
    const row = (term: string) => [`title:${term}`, '1', String(Number(idf.toFixed(4))), String(Number(tf.toFixed(4))), (idf * tf).toFixed(4)]
    expect(rows).toEqual([['term', 'query weight', 'idf', 'tf norm', 'score'], row('roaring'), row('bitmaps'), ['total', (2 * idf * tf).toFixed(4)]])
    // Each factor shows what it was computed from, and its formula on hover.
    const idfCell = page.locator('.hit .explain tr >> nth=1').locator('td >> nth=2')
    expect(await idfCell.locator('small').textContent()).toBe('N = 30, df = 1')
    expect(await idfCell.getAttribute('title')).toBe('idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = 30, df = 1')
    const tfCell = page.locator('.hit .explain tr >> nth=1').locator('td >> nth=3')
    expect(await tfCell.locator('small').textContent()).toBe(`tf = 1, k1 = 1.2, b = 0.75, dl = 2, avgdl = ${Number(avgdl.toFixed(4))}`)
    expect(await page.locator('.hit .explain .formula').textContent()).toBe('score of a term = query weight × idf × tf norm')
    expect(await page.locator('.hit .explain .legend dt').allTextContents()).toEqual(['query weight', 'idf', 'tf norm'])
    await page.close()
  })

  it('searches an index with an encoder through its encoder field, with stemmed terms, and shows the encoder', async () => {
    const page = await openPage()
    const rows = await searchFor(page, 'stemmed', 'roaring bitmaps')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Roaring</em> <em>bitmaps</em>')
    expect(await page.locator('.hit .snippet em').first().textContent()).toBe('Roaring')
    expect(rows[0]).toEqual(['term', 'query weight', 'idf', 'tf norm', 'score'])
    expect(rows.slice(1, -1).map((r) => r[0])).toEqual(['roar', 'bitmap'])
    expect(rows[1].slice(1)).toEqual(['1', expect.stringMatching(/^\d+\.\d+$/), expect.stringMatching(/^\d+\.\d+$/), expect.stringMatching(/^\d+\.\d{4}$/)])
    expect(rows.at(-1)).toEqual(['total', expect.stringMatching(/^\d+\.\d{4}$/)])

    // Index information: the counts, the encoder and its parameters, the fields and their types.
    await page.click('#info summary')
    expect(await page.locator('#info-summary').textContent()).toBe('stemmed · 30 documents')
    const terms = await page.locator('#info dt').allTextContents()
    const values = await page.locator('#info dd').allTextContents()
    const info = Object.fromEntries(terms.map((term, i) => [term, values[i]]))
    expect(info).toMatchObject({ documents: '30', deleted: '0', encoder: 'bm25, k1 0.9, b 0.4, analyzer lucene-english-porter' })
    const fields = await page.locator('#info table.fields tr').evaluateAll((rows) => rows.map((row: any) => Array.from(row.cells, (cell: any) => String(cell.textContent))))
    expect(fields).toEqual([
      ['field', 'type', 'use'], ['title + text', 'encoder field', ''], ['meta.n', 'long', 'sort, filter'], ['tag', 'text', ''], ['tag.keyword', 'keyword', 'sort, filter'],
    ])
    await page.close()
  })

  it('searches quoted words as a phrase and highlights each occurrence as one unit', async () => {
    const page = await openPage()
    const rows = await searchFor(page, 'sample', '"document frequency" logarithm')
    // s04 holds the phrase in its title and text, and logarithm; s03 only the phrase, in its text.
    expect(await shownIds(page)).toEqual(['s04', 's03'])
    expect(await page.locator('.hit h3').allInnerTexts()).toEqual(['Inverse document frequency', 'BM25 ranking'])
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('Inverse <em>document frequency</em>')
    expect(await page.locator('.hit .snippet em').allTextContents()).toEqual(['document frequency', 'logarithm', 'document frequency'])
    // The best field's phrase (the short title), then the word; a phrase's factors have the same names.
    expect(rows.slice(1, -1).map((r) => r[0])).toEqual(['title:"document frequency"', 'text:logarithm'])
    expect(rows[0]).toEqual(['term', 'query weight', 'idf', 'tf norm', 'score'])
    expect(await page.locator('.hit .explain tr >> nth=1').locator('td >> nth=3').getAttribute('title')).toMatch(/^freq \/ \(freq \+ k1/)
    await page.close()
  })

  it('shows every value of a document as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.__xss = 1">'
    await send(`${server.url}/shop`, 'PUT', { mappings: { properties: { name: { type: 'text' }, brand: { type: 'keyword' }, price: { type: 'float' } } } })
    await send(`${server.url}/shop/_doc/p1?refresh=true`, 'PUT', {
      name: `Espresso ${hostile}`, description: `A compact espresso maker <script>window.__xss = 2</script>`, brand: '<b onmouseover="window.__xss = 3">Bold</b>', price: 199,
      // A field name is the document's too: dynamically mapped, it shows in the fields and the sort options.
      '<i>odd</i>': 5,
    })
    await send(`${server.url}/shop/_doc/p2?refresh=true`, 'PUT', { name: hostile, brand: hostile, price: 5 })
    const page = await openPage('#index=shop')
    // The name field is the heading; the description is the snippet.
    const rows = await searchFor(page, 'shop', 'espresso')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('<em>Espresso</em> &lt;img src=x onerror="window.__xss = 1"&gt;')
    expect(await page.locator('.hit .snippet').first().innerHTML()).toBe('A compact <em>espresso</em> maker &lt;script&gt;window.__xss = 2&lt;/script&gt;')
    expect(rows.slice(1, -1)).toHaveLength(1)
    expect(await page.locator('.hit .values').first().textContent()).toContain('brand: <b onmouseover="window.__xss = 3">Bold</b>')
    await page.click('.hit .toggle-document >> nth=0')
    await expect.poll(() => page.locator('.hit .document pre').first().textContent()).toContain(`"name": "Espresso ${hostile.replace(/"/g, '\\"')}"`)
    await page.click('#info summary')
    expect(await page.locator('#info table.fields').textContent()).toContain('<i>odd</i>long')
    expect(await page.locator('#sort option').allTextContents()).toContain('<i>odd</i> ascending')

    // Every document, the hostile heading highlighted and not: no element came from a value.
    await searched(page, () => page.fill('#q', '').then(() => page.click('button[type=submit]')))
    expect(await page.locator('.hit h3').allTextContents()).toEqual([`Espresso ${hostile}`, hostile])
    expect(await page.locator('.facet[data-field="brand"] .name').allTextContents()).toEqual(['<b onmouseover="window.__xss = 3">Bold</b>', hostile])
    await searched(page, () => page.fill('#q', 'img').then(() => page.click('button[type=submit]')))
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('&lt;<em>img</em> src=x onerror="window.__xss = 1"&gt;')
    expect(await page.locator('img, script:not(head script, body > script), b[onmouseover], i').count()).toBe(0)
    // An error names what the URL asked for: as text too.
    await searched(page, () => page.goto(`${server.url}/_ui#index=shop&sort=${encodeURIComponent('<img src=y onerror="window.__xss = 4">')}:asc`))
    expect(await page.locator('#status').textContent()).toMatch(/^Error: .*<img src=y onerror="window.__xss = 4">/)
    // A selection the API refuses stays listed, to be taken back.
    await searched(page, () => page.goto(`${server.url}/_ui#index=shop&f.price=cheap`))
    expect(await page.locator('#status').textContent()).toMatch(/^Error: /)
    await searched(page, () => page.click('#chips a:text-is("price: cheap ×")'))
    expect(await page.locator('#status').textContent()).toMatch(/^2 matches/)
    expect(await page.locator('img, script:not(head script, body > script), b[onmouseover], i').count()).toBe(0)
    expect(await page.evaluate(() => window.__xss)).toBeUndefined()
    await page.close()
  })

  it('names a phrase of stacked tokens in full in the explanation', async () => {
    // asciifolding keeping the original stacks two tokens per accented word: the phrase shows them as (x|y).
    const analysis = { filter: { fold: { type: 'asciifolding', preserve_original: true } }, analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'fold'] } } }
    await send(`${server.url}/cafe`, 'PUT', { settings: { analysis }, mappings: { properties: { name: { type: 'text', analyzer: 'folded' } } } })
    await send(`${server.url}/cafe/_doc/c1?refresh=true`, 'PUT', { name: 'Un café crème, merci' })
    const page = await openPage('#index=cafe')
    const rows = await searchFor(page, 'cafe', '"café crème"')
    expect(await page.locator('.hit h3').first().innerHTML()).toBe('Un <em>café crème</em>, merci')
    expect(rows[1][0]).toMatch(/^name:"\((cafe\|café|café\|cafe)\) \((creme\|crème|crème\|creme)\)"$/)
    await page.close()
  })

  it('keeps the index, query, page, sort and filters in the URL: pages, back and forward, a shared link', async () => {
    const page = await openPage('#index=sample')
    // An empty query lists every document, ten a page, as the API ranks them.
    const all = (from: number, extra: object = {}) => apiSearch('sample', { query: { match_all: {} }, from, size: 10, ...extra })
      .then((body) => body.hits.hits.map((hit: { _id: string }) => hit._id))
    expect(await page.locator('#status').textContent()).toMatch(/^30 matches in \d+ ms$/)
    expect(await shownIds(page)).toEqual(await all(0))
    expect(await page.locator('#pages').textContent()).toBe('123next ›')

    await searched(page, () => page.click('#pages a:text-is("2")'))
    expect(new URL(page.url()).hash).toBe('#index=sample&page=2')
    expect(await shownIds(page)).toEqual(await all(10))
    expect(await page.locator('#pages').textContent()).toBe('‹ previous123next ›')

    // A sort starts again at page 1.
    await searched(page, () => page.selectOption('#sort', 'meta.n:desc'))
    expect(new URL(page.url()).hash).toBe('#index=sample&sort=meta.n%3Adesc')
    expect(await shownIds(page)).toEqual(await all(0, { sort: [{ 'meta.n': 'desc' }] }))
    expect((await shownIds(page))[0]).toBe('s30')

    // A range of meta.n: its bounds are inclusive.
    const bound = (which: string) => page.locator(`input[data-field="meta.n"][data-bound=${which}]`)
    await searched(page, () => bound('min').fill('5').then(() => bound('min').press('Tab')))
    await searched(page, () => bound('max').fill('12').then(() => bound('max').press('Tab')))
    expect(new URL(page.url()).hash).toBe('#index=sample&sort=meta.n%3Adesc&r.meta.n=5..12')
    expect(await shownIds(page)).toEqual(['s12', 's11', 's10', 's09', 's08', 's07', 's06', 's05'])
    expect(await page.locator('#chips').textContent()).toBe('5 ≤ meta.n ≤ 12 ×')
    expect(await page.locator('#pages').textContent()).toBe('')

    // Back: the lower bound only, then no range, then page 2 unsorted; forward again.
    await searched(page, () => page.goBack())
    expect(await bound('min').inputValue()).toBe('5')
    expect(await bound('max').inputValue()).toBe('')
    expect(await page.locator('#status').textContent()).toMatch(/^26 matches/)
    await searched(page, () => page.goBack())
    expect(await page.inputValue('#sort')).toBe('meta.n:desc')
    expect(await page.locator('#chips').textContent()).toBe('')
    await searched(page, () => page.goBack())
    expect(await page.inputValue('#sort')).toBe('')
    expect(await shownIds(page)).toEqual(await all(10))
    await searched(page, () => page.goForward())
    await searched(page, () => page.goForward())
    await searched(page, () => page.goForward())
    expect(await shownIds(page)).toEqual(['s12', 's11', 's10', 's09', 's08', 's07', 's06', 's05'])

    // The URL is the whole state: a new page opens on the same hits; removing the range widens them.
    const shared = await openPage(new URL(page.url()).hash)
    expect(await shownIds(shared)).toEqual(['s12', 's11', 's10', 's09', 's08', 's07', 's06', 's05'])
    expect(await shared.inputValue('#sort')).toBe('meta.n:desc')
    await searched(shared, () => shared.click('#chips a'))
    expect(new URL(shared.url()).hash).toBe('#index=sample&sort=meta.n%3Adesc')
    // A query of the search box keeps the sort and is in the URL too.
    await shared.fill('#q', 'bitmaps')
    await searched(shared, () => shared.click('button[type=submit]'))
    expect(new URL(shared.url()).hash).toBe('#index=sample&q=bitmaps&sort=meta.n%3Adesc')
    expect(await shownIds(shared)).toEqual(await apiSearch('sample', { query: { multi_match: { query: 'bitmaps', fields: ['*'] } }, sort: [{ 'meta.n': 'desc' }] })
      .then((body) => body.hits.hits.map((hit: { _id: string }) => hit._id)))
    await shared.close()
    await page.close()
  })

  it('filters by facets: the hits and every other facet\'s counts are what _search answers for the same selections', async () => {
    const colors = ['red', 'blue', 'green', 'black']
    const brands = ['acme', 'globex', 'initech']
    await send(`${server.url}/catalog`, 'PUT', { mappings: { properties: { name: { type: 'text' }, color: { type: 'keyword' }, brand: { type: 'keyword' }, inStock: { type: 'boolean' }, price: { type: 'float' } } } })
    // Some documents have two colors, some none; brand, stock and price vary independently.
    const lines = Array.from({ length: 48 }, (_, i) => [{ index: { _id: `c${String(i).padStart(2, '0')}` } }, {
      name: i % 2 === 0 ? 'table lamp' : 'desk lamp', brand: brands[(i * 5) % 3], inStock: i % 5 < 3, price: ((i * 37) % 200) + 0.5,
      ...(i % 11 === 0 ? {} : { color: i % 7 === 0 ? [colors[i % 4], colors[(i + 1) % 4]] : colors[(i * 3) % 4] }),
    }]).flat()
    await send(`${server.url}/catalog/_bulk?refresh=true`, 'POST', lines.map((line) => JSON.stringify(line)).join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
    const page = await openPage('#index=catalog')

    /** A facet's values and counts as the page shows them, and whether each is checked. */
    const facet = (field: string) => page.locator(`.facet[data-field="${field}"] label`).evaluateAll((labels) => labels.map((label: any) =>
      [label.dataset.value, Number(label.querySelector('.count').textContent), label.querySelector('input').checked]))
    const counts = async (field: string) => (await facet(field)).map(([value, count]) => [value, count])
    /** What _search counts for a field's values under `filters` (written as a plain bool filter, not the page's post_filter). */
    const expected = async (field: string, filters: unknown[]) => {
      const body = await apiSearch('catalog', { size: 0, query: { bool: { filter: filters } }, aggs: { v: { terms: { field, size: 10 } } } })
      return body.aggregations.v.buckets.map((b: { key: unknown; key_as_string?: string; doc_count: number }) => [b.key_as_string ?? String(b.key), b.doc_count])
    }
    /** The hits _search finds under `filters`: ids of the first page and the total. */
    const hits = async (filters: unknown[]) => {
      const body = await apiSearch('catalog', { query: { bool: { filter: filters } }, size: 10 })
      return [body.hits.hits.map((hit: { _id: string }) => hit._id), body.hits.total.value]
    }
    const shownHits = async () => [await shownIds(page), Number((await page.locator('#status').textContent())!.split(' ')[0])]
    /** Clicks a facet value; returns the _search body the page sent (to send again from here). */
    const choose = async (field: string, value: string) => {
      const sent = page.waitForRequest((request) => request.url().endsWith('/catalog/_search'))
      await searched(page, () => page.click(`.facet[data-field="${field}"] label[data-value="${value}"] input`))
      return (await sent).postDataJSON()
    }
    /** The page's own request sent again: the hits and facet counts it shows are its answer. */
    const sameAnswer = async (body: any) => {
      const answer = await apiSearch('catalog', body)
      expect(await shownIds(page)).toEqual(answer.hits.hits.map((hit: { _id: string }) => hit._id))
      // The aggregations are f<i>, i the field's place among the fields with a facet.
      const mapping = (await send(`${server.url}/catalog/_mapping`, 'GET')).body.catalog.mappings.properties
      const facets = pageFields(mapping).filter((f) => f.facet !== undefined).map((f) => f.name)
      for (const field of ['color', 'brand', 'inStock']) {
        const i = facets.indexOf(field)
        const buckets = answer.aggregations[`f${i}`].values.buckets.map((b: { key: unknown; key_as_string?: string; doc_count: number }) => [b.key_as_string ?? String(b.key), b.doc_count])
        expect((await counts(field)).slice(0, buckets.length)).toEqual(buckets)
      }
    }

    const red = { terms: { color: ['red'] } }
    const acme = { terms: { brand: ['acme'] } }
    const inStock = { terms: { inStock: [true] } }
    for (const field of ['color', 'brand', 'inStock']) expect(await counts(field)).toEqual(await expected(field, []))
    expect(await shownHits()).toEqual(await hits([]))

    // One color: the hits narrow; the other facets count under it, the colors still over everything.
    await sameAnswer(await choose('color', 'red'))
    expect(new URL(page.url()).hash).toBe('#index=catalog&f.color=red')
    expect(await shownHits()).toEqual(await hits([red]))
    expect(await counts('color')).toEqual(await expected('color', []))
    expect(await counts('brand')).toEqual(await expected('brand', [red]))
    expect(await counts('inStock')).toEqual(await expected('inStock', [red]))

    // And a brand: each facet counts under the other's choice.
    await sameAnswer(await choose('brand', 'acme'))
    expect(await shownHits()).toEqual(await hits([red, acme]))
    expect(await counts('color')).toEqual(await expected('color', [acme]))
    expect(await counts('brand')).toEqual(await expected('brand', [red]))
    expect(await counts('inStock')).toEqual(await expected('inStock', [red, acme]))

    // Two values of one facet are either; a boolean facet filters by true.
    await sameAnswer(await choose('color', 'blue'))
    await sameAnswer(await choose('inStock', 'true'))
    const redOrBlue = { terms: { color: ['red', 'blue'] } }
    expect(await shownHits()).toEqual(await hits([redOrBlue, acme, inStock]))
    expect(await counts('brand')).toEqual(await expected('brand', [redOrBlue, inStock]))
    expect((await facet('color')).filter(([, , checked]) => checked).map(([value]) => value).sort()).toEqual(['blue', 'red'])

    // The price histogram counts under the three choices, in buckets over the whole index's prices.
    const stats = (await apiSearch('catalog', { size: 0, aggs: { p: { stats: { field: 'price' } } } })).aggregations.p
    const interval = niceInterval(stats.min, stats.max, false)
    const histogram = async (filters: unknown[]) => (await apiSearch('catalog', {
      size: 0, query: { bool: { filter: filters } }, aggs: { h: { histogram: { field: 'price', interval, extended_bounds: { min: Math.floor(stats.min / interval) * interval, max: stats.max } } } },
    })).aggregations.h.buckets.map((b: { key: number; doc_count: number }) => [b.key, b.doc_count])
    const bars = () => page.locator('.range[data-field="price"] .bucket').evaluateAll((spans) => spans.map((span: any) => [Number(span.dataset.key), Number(span.dataset.count)]))
    expect(await bars()).toEqual(await histogram([redOrBlue, acme, inStock]))
    // A lower bound: the hits and the other facets narrow; the histogram keeps every price.
    const min = page.locator('input[data-field="price"][data-bound=min]')
    await searched(page, () => min.fill('50').then(() => min.press('Tab')))
    const cheap = { range: { price: { gte: 50 } } }
    expect(await shownHits()).toEqual(await hits([redOrBlue, acme, inStock, cheap]))
    expect(await counts('brand')).toEqual(await expected('brand', [redOrBlue, inStock, cheap]))
    expect(await bars()).toEqual(await histogram([redOrBlue, acme, inStock]))
    expect(await page.locator('.range[data-field="price"] .bucket.in').count()).toBe((await bars()).filter(([key]) => key + interval > 50).length)

    // Back: the range goes, then the boolean; the checkboxes follow.
    await searched(page, () => page.goBack())
    await searched(page, () => page.goBack())
    expect(await facet('inStock')).toEqual((await expected('inStock', [redOrBlue, acme])).map(([value, count]: [string, number]) => [value, count, false]))
    expect(await shownHits()).toEqual(await hits([redOrBlue, acme]))
    await page.close()
  })

  it('counts a multi-field\'s facet (title.keyword) only once it is opened or chosen', async () => {
    const page = await browser.newPage()
    const sent: any[] = []
    page.on('request', (request) => {
      if (request.url().endsWith('/sample/_search') && request.postDataJSON().size !== 0) sent.push(request.postDataJSON())
    })
    await page.goto(`${server.url}/_ui#index=sample`)
    await page.waitForFunction(() => Number(document.body.dataset.searches ?? 0) > 0)
    // meta.n is counted (its histogram); tag.keyword, text.keyword and title.keyword are folded, without aggregations.
    expect(await page.locator('.facet').evaluateAll((facets) => facets.map((f: any) => [f.dataset.field, f.open]))).toEqual([['tag.keyword', false], ['text.keyword', false], ['title.keyword', false]])
    expect(Object.keys(sent[0].aggs)).toEqual(['f0'])
    await searched(page, () => page.click('.facet[data-field="tag.keyword"] summary'))
    expect(Object.keys(sent.at(-1).aggs)).toEqual(['f0', 'f1'])
    expect(await page.locator('.facet[data-field="tag.keyword"] label').allTextContents()).toEqual(['even15', 'odd15'])
    await searched(page, () => page.click('.facet[data-field="tag.keyword"] label[data-value="odd"] input'))
    expect(new URL(page.url()).hash).toBe('#index=sample&f.tag.keyword=odd')
    expect(await page.locator('#status').textContent()).toMatch(/^15 matches/)
    // Chosen, it stays counted and open in a page opened on the same URL.
    const shared = await openPage(new URL(page.url()).hash)
    expect(await shared.locator('.facet[data-field="tag.keyword"]').evaluate((f: any) => f.open)).toBe(true)
    expect(await shared.locator('.facet[data-field="tag.keyword"] label').allTextContents()).toEqual(['even15', 'odd15'])
    await shared.close()
    await page.close()
  })

  it('fits a 400 px wide screen without a horizontal scrollbar', async () => {
    const long = 'x'.repeat(300)
    await send(`${server.url}/narrow`, 'PUT', { mappings: { properties: { title: { type: 'text' }, code: { type: 'keyword' }, size: { type: 'integer' } } } })
    await send(`${server.url}/narrow/_doc/${'d'.repeat(80)}?refresh=true`, 'PUT', { title: `Wide ${long}`, text: `A ${long} b`, code: long, size: 3, nested: { deeper: { [long.slice(0, 60)]: long } } })
    const page = await openPage('#index=narrow&q=wide', { width: 400, height: 800 })
    await page.click('.hit .toggle-explain >> nth=0')
    await page.click('.hit .toggle-document >> nth=0')
    await page.waitForSelector('.hit .document pre')
    await page.click('#info summary')
    await page.click('#filters summary')
    const widths: number[] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth])
    expect(widths[1]).toBeLessThanOrEqual(400)
    // Nothing reaches past the right edge (a failure names what does).
    const past = await page.evaluate((width) => Array.from(document.querySelectorAll('body *'))
      .filter((e: any) => e.getBoundingClientRect().right > width + 0.5 && !e.closest('.scroll')).map((e: any) => e.tagName + '.' + e.className), widths[1])
    expect(past).toEqual([])
    expect(widths[0]).toBeLessThanOrEqual(widths[1])
    await page.close()
  })
})

describe('the search page\'s state, request and explanation', () => {
  const fields = pageFields({
    title: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
    color: { type: 'keyword' }, inStock: { type: 'boolean' }, price: { type: 'scaled_float', scaling_factor: 100 },
    added: { type: 'date' }, meta: { properties: { rank: { type: 'long' }, note: { type: 'keyword', doc_values: false } } },
  })

  it('keeps the state in the URL fragment, defaults left out, anything malformed dropped', () => {
    const state: PageState = { index: 'shop', q: 'red & "blue"', page: 3, sort: 'price:desc', terms: { color: ['red', 'a b'], inStock: ['true'] }, ranges: { price: { min: 10 }, 'meta.rank': { min: -1, max: 2.5 } } }
    const fragment = queryOfState(state)
    expect(fragment).toBe('#index=shop&q=red+%26+%22blue%22&sort=price%3Adesc&f.color=red&f.color=a+b&f.inStock=true&r.price=10..&r.meta.rank=-1..2.5&page=3')
    expect(stateFromQuery(fragment)).toEqual(state)
    expect(queryOfState(stateFromQuery(''))).toBe('#')
    expect(stateFromQuery('#index=x&page=0&sort=price&r.price=a..b&r.size=..&f.=y')).toEqual({ index: 'x', q: '', page: 1, sort: '', terms: {}, ranges: {} })
  })

  it('finds the sortable and filterable fields of a mapping', () => {
    expect(fields).toEqual([
      { name: 'title', type: 'text', sub: false, sortable: false },
      { name: 'title.keyword', type: 'keyword', sub: true, sortable: true, facet: 'terms' },
      { name: 'color', type: 'keyword', sub: false, sortable: true, facet: 'terms' },
      { name: 'inStock', type: 'boolean', sub: false, sortable: true, facet: 'terms' },
      { name: 'price', type: 'scaled_float', sub: false, sortable: true, facet: 'range' },
      { name: 'added', type: 'date', sub: false, sortable: true },
      { name: 'meta.rank', type: 'long', sub: false, sortable: true, facet: 'range' },
      { name: 'meta.note', type: 'keyword', sub: false, sortable: false },
    ])
  })

  it('asks for a page of hits under every selection (the post_filter), each facet counted under the others\' selections', () => {
    const state: PageState = { index: 'shop', q: 'lamp', page: 2, sort: 'price:asc', terms: { color: ['red', 'blue'], inStock: ['true'] }, ranges: { price: { max: 50 } } }
    expect(selectionFilters(state, fields)).toEqual([{ terms: { color: ['red', 'blue'] } }, { terms: { inStock: [true] } }, { range: { price: { lte: 50 } } }])
    expect(selectionFilters(state, fields, 'color')).toEqual([{ terms: { inStock: [true] } }, { range: { price: { lte: 50 } } }])
    const bounds = { price: { min: 0, max: 95, interval: 5 } }
    const only = (...filters: unknown[]) => ({ bool: { filter: filters } })
    const [color, inStock, price] = selectionFilters(state, fields)
    expect(searchBody(state, false, fields, bounds)).toEqual({
      query: { multi_match: { query: 'lamp', fields: ['*'] } },
      post_filter: only(color, inStock, price),
      from: 10, size: 10, explain: true, sort: [{ price: { order: 'asc' } }], track_scores: true,
      highlight: { fields: { '*': {} }, pre_tags: ['\uE000'], post_tags: ['\uE001'], fragment_size: 200, number_of_fragments: 2 },
      aggs: {
        f0: { filter: only(color, inStock, price), aggs: { values: { terms: { field: 'title.keyword', size: 10 } } } },
        f1: { filter: only(inStock, price), aggs: { values: { terms: { field: 'color', size: 10 } }, selected: { terms: { field: 'color', include: ['red', 'blue'], size: 2 } } } },
        f2: { filter: only(color, price), aggs: { values: { terms: { field: 'inStock', size: 10 } } } },
        f3: { filter: only(color, inStock), aggs: { histogram: { histogram: { field: 'price', interval: 5, extended_bounds: { min: 0, max: 95 } } } } },
        // meta.rank (f4) has no bounds: no values, no histogram.
      },
    })
    expect(Object.keys(searchBody(state, false, fields, bounds, ['title.keyword', 'price']).aggs as object)).toEqual(['f1', 'f2'])
    const plain = searchBody({ ...state, q: ' ', terms: {}, ranges: {}, sort: '', page: 1 }, true, fields)
    expect(plain).toMatchObject({ query: { match_all: {} }, from: 0 })
    expect(plain).not.toHaveProperty('post_filter')
    expect((plain.aggs as Record<string, { filter: unknown }>).f1.filter).toEqual({ match_all: {} })
  })

  it('finds each numeric facet\'s bounds with a stats aggregation', () => {
    expect(boundsBody(fields)).toEqual({ size: 0, track_total_hits: false, aggs: { f3: { stats: { field: 'price' } }, f4: { stats: { field: 'meta.rank' } } } })
    expect(boundsOf(fields, { f3: { count: 4, min: 12.5, max: 97 }, f4: { count: 0, min: null, max: null } })).toEqual({ price: { min: 10, max: 97, interval: 5 } })
    expect(boundsOf(fields, { f3: { count: 2, min: 3, max: 3 }, f4: { count: 3, min: -7, max: 9 } })).toEqual({ price: { min: 3, max: 3, interval: 1 }, 'meta.rank': { min: -7, max: 9, interval: 1 } })
  })

  it('names each factor of a term\'s score, and counts a dis_max\'s best field only', () => {
    const leaf = (value: number, description: string) => ({ value, description, details: [] })
    const weight = (term: string, value: number) => ({
      value, description: `weight(${term}) = query weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`,
      details: [leaf(2, 'query weight (occurrences of the term in the query, times boosts)'), leaf(1.5, 'idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = 3, df = 1'), leaf(value / 3, 'tf / (tf + k1 * (1 - b + b * dl / avgdl)), tf = 1, k1 = 1.2, b = 0.75, dl = 2, avgdl = 2.3333333333333335')],
    })
    const rows = explanationRows({
      value: 3.5, description: 'sum of:', details: [
        { value: 3, description: 'max plus 0 times others of:', details: [weight('title:a', 3), weight('text:a', 1)] },
        leaf(0.5, 'constant score of the match_all, range, exists, prefix, ids and constant_score clauses (x boost)'),
      ],
    })
    expect(rows.map((row) => [row.term, row.factors.map((f) => [f.label, f.detail]), row.score])).toEqual([
      ['title:a', [['query weight', ''], ['idf', 'N = 3, df = 1'], ['tf norm', 'tf = 1, k1 = 1.2, b = 0.75, dl = 2, avgdl = 2.3333']], 3],
      ['constant score of the match_all, range, exists, prefix, ids and constant_score clauses (x boost)', [], 0.5],
    ])
    const learned = explanationRows({ value: 0.6, description: 'weight(lamp) = query weight * document weight', details: [leaf(2, 'query weight = corpus idf = ln(1 + (N - df + 0.5) / (df + 0.5))'), leaf(0.3, 'document weight (learned, stored with relative error <= 2^-9)')] })
    expect(learned[0].factors.map((f) => [f.label, f.detail])).toEqual([['query weight', 'the corpus idf'], ['document weight', '']])
  })

  it('picks histogram intervals of 1, 2 or 5 times a power of ten', () => {
    expect(niceInterval(0, 100, false)).toBe(5)
    expect(niceInterval(0, 1, false)).toBe(0.05)
    expect(niceInterval(3, 9, true)).toBe(1)
    expect(niceInterval(0, 3000, true)).toBe(200)
    expect(niceInterval(4, 4, true)).toBe(1)
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
      const state = (q: string): PageState => ({ index: 'shop', q, page: 1, sort: '', terms: {}, ranges: {} })
      const search = (index: string, input: string, encoder: boolean) => send(`${url}/${index}/_search`, 'POST', searchBody(state(input), encoder, []))
      const { status, body } = await search('shop', '"red shoes" lamp', false)
      expect(status).toBe(200)
      // p2 and p3 hold red, shoes and lamp, but not "red shoes"; the lamp ranks p1 first.
      expect(body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['p1', 'p4'])
      expect(body.hits.hits[0].highlight).toEqual({ name: ['\uE000Red shoes\uE001'], description: ['\uE000Red shoes\uE001 and a reading \uE000lamp\uE001'] })
      expect(body.hits.hits[1].highlight).toEqual({ description: ['Dark \uE000red shoes\uE001 for winter'] })

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
