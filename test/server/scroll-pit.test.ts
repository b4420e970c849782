import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_OPEN_SCROLLS, readerContexts } from '../../src/server/reader-contexts.js'
import { portServer, sampleApp, send, type Call } from './helpers.js'

const ndjson = { 'content-type': 'application/x-ndjson' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every page of a scroll, the first one's answer included. */
async function scrollAll(call: Call, first: { body: any }): Promise<any[]> {
  const pages = [first.body]
  for (;;) {
    const next = await call('POST', '/_search/scroll', { scroll: '1m', scroll_id: pages.at(-1)._scroll_id })
    expect(next.status).toBe(200)
    pages.push(next.body)
    if (next.body.hits.hits.length === 0) return pages
  }
}

/** Ids and sources of hits, what a frozen view must reproduce. */
const seen = (hits: any[]) => hits.map((hit) => ({ _id: hit._id, _source: hit._source }))

/** Bulk NDJSON: replace `replace`, delete `remove`, add `add` (ids `n<i>`), all tagged `even`. */
function writes({ replace = [], remove = [], add = 0, from = 0 }: { replace?: string[]; remove?: string[]; add?: number; from?: number }): string {
  const lines = [
    ...replace.flatMap((id) => [{ index: { _id: id } }, { title: 'rewritten', text: 'roaring bitmaps everywhere', tag: 'even', meta: { n: 0 } }]),
    ...remove.map((id) => ({ delete: { _id: id } })),
    ...Array.from({ length: add }, (_, i) => [{ index: { _id: `n${from + i}` } }, { title: `new ${from + i}`, text: 'roaring bitmaps, new document', tag: 'even', meta: { n: 1000 + from + i } }]).flat(),
  ]
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
}

describe('scroll', () => {
  it('pages through every hit of the query in order, keeps _source filtering and highlighting, and ends with an empty page', async () => {
    const { call } = await sampleApp()
    const query = { match: { text: 'the' } }
    const all = await call('POST', '/sample/_search', { query, size: 100, _source: ['title'], highlight: { fields: { text: {} } } })
    const first = await call('POST', '/sample/_search?scroll=1m', { query, size: 4, _source: ['title'], highlight: { fields: { text: {} } } })
    expect(first.status).toBe(200)
    expect(first.body._scroll_id).toMatch(/^[\w-]+$/)
    expect(first.body.hits.total).toEqual({ value: all.body.hits.total.value, relation: 'eq' })
    const pages = await scrollAll(call, first)
    expect(pages.slice(0, -1).every((page) => page.hits.hits.length > 0 && page.hits.hits.length <= 4)).toBe(true)
    const hits = pages.flatMap((page) => page.hits.hits)
    expect(hits).toEqual(all.body.hits.hits)
    expect(hits.some((hit) => hit.highlight?.text)).toBe(true)
    expect(hits.every((hit) => Object.keys(hit._source).join() === 'title')).toBe(true)
    // Past the end: still empty pages, with the scroll's total.
    const after = await call('GET', `/_search/scroll?scroll_id=${first.body._scroll_id}`)
    expect(after.body).toMatchObject({ _scroll_id: first.body._scroll_id, hits: { total: { value: all.body.hits.total.value }, hits: [] } })
  })

  it('takes the scroll id in the body, the path or the URL, on GET and POST, with rest_total_hits_as_int', async () => {
    const { call } = await sampleApp()
    const first = await call('GET', '/_search?scroll=30s&size=2&sort=_doc')
    const id = first.body._scroll_id
    const ids = (r: any) => r.body.hits.hits.map((hit: any) => hit._id)
    expect(ids(first)).toEqual(['s01', 's02'])
    expect(ids(await call('POST', '/_search/scroll', { scroll_id: id }))).toEqual(['s03', 's04'])
    expect(ids(await call('POST', `/_search/scroll/${id}?scroll=1m`))).toEqual(['s05', 's06'])
    const asInt = await call('GET', `/_search/scroll?scroll_id=${id}&rest_total_hits_as_int=true`)
    expect(asInt.body.hits).toMatchObject({ total: 30, hits: [{ _id: 's07' }, { _id: 's08' }] })
  })

  it('sees the index as it was when the scroll started, whatever is written between pages', async () => {
    const { call } = await sampleApp()
    const before = await call('POST', '/sample/_search', { query: { match: { text: 'roaring bitmaps' } }, sort: ['_doc'], size: 100 })
    const first = await call('POST', '/sample/_search?scroll=1m', { query: { match: { text: 'roaring bitmaps' } }, sort: ['_doc'], size: 2 })
    // Replace the hits' documents, delete others, add new matches.
    const ids = before.body.hits.hits.map((hit: any) => hit._id)
    const bulk = await call('POST', '/sample/_bulk', writes({ replace: ids.slice(0, 2), remove: ['s02', 's03', ...ids.slice(2, 3)], add: 20 }), ndjson)
    expect(bulk.body.errors).toBe(false)
    const pages = await scrollAll(call, first)
    expect(seen(pages.flatMap((page) => page.hits.hits))).toEqual(seen(before.body.hits.hits))
    expect(pages.every((page) => page.hits.total.value === before.body.hits.total.value)).toBe(true)
    // A new search sees the writes.
    const now = await call('POST', '/sample/_search', { query: { match: { text: 'roaring bitmaps' } }, size: 100 })
    expect(now.body.hits.total.value).toBeGreaterThan(before.body.hits.total.value)
  })

  it('is freed by DELETE (ids, a comma list in the path, _all), then a 404 search_context_missing_exception', async () => {
    const { call } = await sampleApp()
    const open = async () => (await call('POST', '/sample/_search?scroll=1m', { size: 1 })).body._scroll_id as string
    const [a, b, c, d] = [await open(), await open(), await open(), await open()]
    expect(await call('DELETE', '/_search/scroll', { scroll_id: [a] })).toMatchObject({ status: 200, body: { succeeded: true, num_freed: 1 } })
    const missing = await call('POST', '/_search/scroll', { scroll_id: a })
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatchObject({ type: 'search_context_missing_exception', reason: `No search context found for id [${a}]` })
    // Nothing freed: Elasticsearch's 404 with the same body.
    expect(await call('DELETE', '/_search/scroll', { scroll_id: a })).toMatchObject({ status: 404, body: { succeeded: true, num_freed: 0 } })
    expect(await call('DELETE', `/_search/scroll/${b},${c}`)).toMatchObject({ status: 200, body: { num_freed: 2 } })
    expect(await call('DELETE', '/_search/scroll/_all')).toMatchObject({ status: 200, body: { num_freed: 1 } })
    expect((await call('GET', `/_search/scroll/${d}`)).status).toBe(404)
    expect((await call('DELETE', '/_search/scroll')).status).toBe(400)
    expect((await call('PUT', '/_search/scroll')).status).toBe(405)
  })

  it('expires after its keep-alive without a request, and each page restarts it', async () => {
    const { call } = await sampleApp()
    const first = await call('POST', '/sample/_search?scroll=300ms', { size: 1 })
    await sleep(200)
    expect((await call('POST', '/_search/scroll', { scroll_id: first.body._scroll_id })).status).toBe(200)
    await sleep(200)
    expect((await call('POST', '/_search/scroll', { scroll_id: first.body._scroll_id, scroll: '200ms' })).status).toBe(200)
    await sleep(450)
    expect((await call('POST', '/_search/scroll', { scroll_id: first.body._scroll_id })).body.error.type).toBe('search_context_missing_exception')
  })

  it('refuses what a scroll cannot do, in Elasticsearch\'s words where it has them', async () => {
    const { call, registry } = await sampleApp()
    const refused = async (path: string, body: unknown) => {
      const answer = await call('POST', path, body)
      expect(answer.status, JSON.stringify(answer.body)).toBe(400)
      return answer.body.error.reason as string
    }
    expect(await refused('/sample/_search?scroll=1m', { from: 5 })).toBe('using [from] is not allowed in a scroll context')
    expect(await refused('/sample/_search?scroll=1m', { sort: ['_doc'], search_after: [3] })).toBe('[search_after] cannot be used in a scroll context')
    expect(await refused('/sample/_search?scroll=1m', { size: 0 })).toBe('[size] cannot be [0] in a scroll context')
    expect(await refused('/sample/_search?scroll=1m', { track_total_hits: false })).toBe('disabling [track_total_hits] is not allowed in a scroll context')
    expect(await refused('/sample/_search?scroll=1m', { explain: true })).toMatch(/\[explain\] is not supported in a scroll/)
    expect(await refused('/sample/_search?scroll=1x', {})).toMatch(/\[scroll\] must be a time value/)
    expect(await refused('/sample/_search?scroll=2d', {})).toMatch(/^Keep alive for request \(2d\) is too large/)
    expect(await refused('/_search/scroll', { scroll_id: 'x', size: 3 })).toMatch(/\[size\] is not a scroll option/)
    expect(await refused('/_search/scroll', {})).toMatch(/\[scroll_id\] is required/)
    expect(readerContexts(registry).list('scroll')).toHaveLength(0)
  })

  it(`opens at most ${MAX_OPEN_SCROLLS} scrolls (429), and frees their readers when cleared`, async () => {
    const { call, registry } = await sampleApp()
    for (let i = 0; i < MAX_OPEN_SCROLLS; i++) expect((await call('POST', '/sample/_search?scroll=1m', { size: 1 })).status).toBe(200)
    const over = await call('POST', '/sample/_search?scroll=1m', { size: 1 })
    expect(over.status).toBe(429)
    expect(over.body.error.reason).toMatch(/^Trying to create too many scroll contexts\. Must be less than or equal to: \[500\]/)
    expect(await call('DELETE', '/_search/scroll/_all')).toMatchObject({ body: { num_freed: MAX_OPEN_SCROLLS } })
    expect(readerContexts(registry).list('scroll')).toHaveLength(0)
    // Every reader released: closing the index does not wait.
    await registry.closeAll()
  })

  it('is freed when its index is deleted, which does not wait for its keep-alive', async () => {
    const { call } = await sampleApp()
    const scroll = (await call('POST', '/sample/_search?scroll=1h', { size: 1 })).body._scroll_id
    const pit = (await call('POST', '/sample/_search/point_in_time?keep_alive=1h')).body.pit_id
    expect((await call('DELETE', '/sample')).status).toBe(200)
    expect((await call('POST', '/_search/scroll', { scroll_id: scroll })).status).toBe(404)
    expect((await call('POST', '/_search', { pit: { id: pit } })).status).toBe(404)
    expect((await call('GET', '/_search/point_in_time/_all')).body).toEqual({ pits: [] })
  })

  it('continues for a read-only anonymous client, like _search', async () => {
    const { call } = await sampleApp({ apiKey: 's3cret', readOnlyAnonymous: true })
    const first = await call('POST', '/sample/_search?scroll=1m', { size: 1 })
    expect((await call('POST', '/_search/scroll', { scroll_id: first.body._scroll_id })).status).toBe(200)
    expect((await call('POST', '/sample/_pit?keep_alive=1m')).status).toBe(200)
    expect((await call('DELETE', '/_search/scroll/_all')).status).toBe(401)
  })
})

describe('point in time', () => {
  /** Every page of a PIT search after `search_after`, `size` at a time. */
  async function pitPages(call: Call, pit: string, body: Record<string, unknown>, size: number): Promise<any[]> {
    const hits: any[] = []
    let after: unknown
    for (;;) {
      const page = await call('POST', '/_search', { ...body, size, pit: { id: pit, keep_alive: '1m' }, ...(after ? { search_after: after } : {}) })
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      expect(page.body.pit_id).toBe(pit)
      if (page.body.hits.hits.length === 0) return hits
      hits.push(...page.body.hits.hits)
      after = page.body.hits.hits.at(-1).sort
    }
  }

  it('opens (OpenSearch), lists, searches with sort and search_after, and deletes', async () => {
    const { call } = await sampleApp()
    const opened = await call('POST', '/sample/_search/point_in_time?keep_alive=1m')
    expect(opened.body).toMatchObject({ pit_id: expect.any(String), _shards: { total: 1, successful: 1 }, creation_time: expect.any(Number) })
    const pit = opened.body.pit_id
    expect((await call('GET', '/_search/point_in_time/_all')).body).toEqual({ pits: [{ pit_id: pit, creation_time: opened.body.creation_time, keep_alive: 60_000 }] })
    // Ties on tag: the implicit tiebreaker pages through them without skipping or repeating.
    const sort = [{ 'tag.keyword': 'asc' }]
    const all = await call('POST', '/sample/_search', { sort, size: 100 })
    const hits = await pitPages(call, pit, { sort }, 4)
    expect(hits.map((hit) => hit._id)).toEqual(all.body.hits.hits.map((hit: any) => hit._id))
    expect(hits[0].sort).toEqual(['even', expect.any(Number)])
    // Score order without a sort: [score, tiebreaker].
    const scored = await pitPages(call, pit, { query: { match: { text: 'roaring bitmaps' } } }, 3)
    const direct = await call('POST', '/sample/_search', { query: { match: { text: 'roaring bitmaps' } }, size: 100 })
    expect(scored.map((hit) => [hit._id, hit._score])).toEqual(direct.body.hits.hits.map((hit: any) => [hit._id, hit._score]))
    // search_after with the sort's values alone skips the ties of the last hit, as Elasticsearch does.
    const afterEven = await call('POST', '/_search', { sort, size: 100, pit: { id: pit }, search_after: ['even'] })
    expect(afterEven.body.hits.hits.every((hit: any) => hit._source.tag === 'odd')).toBe(true)
    // from pages too.
    const second = await call('POST', '/_search', { sort, size: 5, from: 5, pit: { id: pit } })
    expect(second.body.hits.hits.map((hit: any) => hit._id)).toEqual(all.body.hits.hits.slice(5, 10).map((hit: any) => hit._id))
    expect(await call('DELETE', '/_search/point_in_time', { pit_id: [pit, 'nope'] })).toMatchObject({ status: 200, body: { pits: [{ pit_id: pit, successful: true }, { pit_id: 'nope', successful: false }] } })
    expect((await call('POST', '/_search', { pit: { id: pit } })).body.error.type).toBe('search_context_missing_exception')
  })

  it('opens and deletes Elasticsearch\'s way (_pit, {id}), and DELETE _all frees every one', async () => {
    const { call } = await sampleApp()
    const opened = await call('POST', '/sample/_pit?keep_alive=1m')
    expect(opened.body).toEqual({ id: expect.any(String), _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } })
    const page = await call('POST', '/_search', { pit: { id: opened.body.id, keep_alive: '1m' }, size: 2, sort: ['_doc'] })
    expect(page.body.hits.hits.map((hit: any) => hit._id)).toEqual(['s01', 's02'])
    expect(await call('DELETE', '/_pit', { id: opened.body.id })).toMatchObject({ status: 200, body: { succeeded: true, num_freed: 1 } })
    expect(await call('DELETE', '/_pit', { id: opened.body.id })).toMatchObject({ status: 404, body: { succeeded: true, num_freed: 0 } })
    const ids = [(await call('POST', '/sample/_pit?keep_alive=1m')).body.id, (await call('POST', '/sample,sample/_search/point_in_time?keep_alive=1m')).body.pit_id]
    const freed = await call('DELETE', '/_search/point_in_time/_all')
    expect(freed.body.pits.map((p: any) => p.pit_id).sort()).toEqual(ids.sort())
  })

  it('refuses an index in the path, scroll, a missing keep_alive and explain', async () => {
    const { call } = await sampleApp()
    const pit = (await call('POST', '/sample/_pit?keep_alive=1m')).body.id
    const reason = async (method: string, path: string, body?: unknown) => {
      const answer = await call(method, path, body)
      expect(answer.status, JSON.stringify(answer.body)).toBe(400)
      return answer.body.error.reason as string
    }
    expect(await reason('POST', '/sample/_search', { pit: { id: pit } })).toBe('[indices] cannot be used with point in time. Do not specify any index with point in time.')
    expect(await reason('POST', '/_search?scroll=1m', { pit: { id: pit } })).toBe('using [point in time] is not allowed in a scroll context')
    expect(await reason('POST', '/sample/_pit')).toBe('[keep_alive] is not specified')
    expect(await reason('POST', '/_search', { pit: { id: pit }, explain: true })).toMatch(/\[explain\] is not supported/)
    expect(await reason('POST', '/_search', { pit: { id: pit, routing: 'x' } })).toMatch(/\[pit\] option \[routing\]/)
    expect(await reason('POST', '/_search', { pit: { id: pit }, sort: ['_doc'], search_after: [1, 2, 3] })).toMatch(/\[search_after\] must be an array/)
    expect(await reason('POST', '/_search', { pit: { id: pit }, sort: ['_doc'], search_after: [1], from: 2 })).toMatch(/\[from\] parameter must be set to 0/)
  })

  it('keeps its results while the index changes, and ranks new queries over the index as it was', async () => {
    const { call } = await sampleApp()
    // What the index answers before any write, for queries the point in time has not run yet.
    const fresh = async (body: Record<string, unknown>) => (await call('POST', '/sample/_search', { ...body, size: 100 })).body
    const query = { match: { text: 'bitmaps' } }
    const bitmaps = await fresh({ query, aggs: { tags: { terms: { field: 'tag.keyword' } } } })
    const counted = await fresh({ query: { match_all: {} }, sort: ['_doc'] })
    const roaringBefore = await fresh({ query: { match: { text: 'roaring' } }, sort: ['_doc'] })
    const pit = (await call('POST', '/sample/_search/point_in_time?keep_alive=1m')).body.pit_id
    const sort = [{ 'meta.n': 'desc' }]
    const before = await pitPages(call, pit, { sort, query: { match: { text: 'the' } } }, 5)
    expect((await call('POST', '/sample/_bulk', writes({ replace: ['s01', 's05'], remove: ['s07'], add: 50 }), ndjson)).body.errors).toBe(false)
    const after = await pitPages(call, pit, { sort, query: { match: { text: 'the' } } }, 7)
    expect(seen(after)).toEqual(seen(before))
    // A query first run after the writes: the hits, scores and aggregations of the index as it was.
    const late = await call('POST', '/_search', { pit: { id: pit }, query, size: 100, aggs: { tags: { terms: { field: 'tag.keyword' } } } })
    expect(late.status).toBe(200)
    expect(late.body.hits.hits.map((hit: any) => [hit._id, hit._score, hit._source])).toEqual(bitmaps.hits.hits.map((hit: any) => [hit._id, hit._score, hit._source]))
    expect(late.body.aggregations).toEqual(bitmaps.aggregations)
    const all = await pitPages(call, pit, { sort: ['_doc'] }, 9)
    expect(seen(all)).toEqual(seen(counted.hits.hits))
    // Another write after the frozen copy is loaded changes nothing either.
    expect((await call('POST', '/sample/_bulk', writes({ remove: ['s02'], add: 5, from: 50 }), ndjson)).body.errors).toBe(false)
    const roaring = await pitPages(call, pit, { sort: ['_doc'], query: { match: { text: 'roaring' } } }, 4)
    expect(seen(roaring)).toEqual(seen(roaringBefore.hits.hits))
    expect(roaring.some((hit) => hit._id === 's02')).toBe(roaringBefore.hits.hits.some((hit: any) => hit._id === 's02'))
  })

  it('answers aggregations on every page, before and after writes, and keeps a post_filter ranking apart', async () => {
    const { call } = await sampleApp()
    const pit = (await call('POST', '/sample/_search/point_in_time?keep_alive=1m')).body.pit_id
    const query = { match: { text: 'the' } }
    const aggs = { tags: { terms: { field: 'tag.keyword' } } }
    const direct = await call('POST', '/sample/_search', { query, aggs, size: 0 })
    const sort = ['_doc']
    const first = await call('POST', '/_search', { pit: { id: pit }, query, aggs, sort, size: 3 })
    const second = await call('POST', '/_search', { pit: { id: pit }, query, aggs, sort, size: 3, search_after: first.body.hits.hits.at(-1).sort })
    expect(first.body.aggregations).toEqual(direct.body.aggregations)
    expect(second.body.aggregations).toEqual(direct.body.aggregations)
    // The same query with a post_filter is another ranking: only odd hits, the same aggregations.
    const odd = await call('POST', '/_search', { pit: { id: pit }, query, aggs, sort, size: 100, post_filter: { term: { 'tag.keyword': 'odd' } } })
    expect(odd.body.hits.hits.length).toBeGreaterThan(0)
    expect(odd.body.hits.hits.every((hit: any) => hit._source.tag === 'odd')).toBe(true)
    expect(odd.body.aggregations).toEqual(direct.body.aggregations)
    expect((await call('POST', '/sample/_bulk', writes({ add: 3 }), ndjson)).body.errors).toBe(false)
    // After a write: the same aggregations, counted over the index as it was.
    const later = await call('POST', '/_search', { pit: { id: pit }, query, aggs, sort, size: 3 })
    expect(later.status).toBe(200)
    expect(later.body.aggregations).toEqual(direct.body.aggregations)
    expect(later.body.hits.hits).toEqual(first.body.hits.hits)
  })
})

describe('point in time: frozen copies only when needed', () => {
  it('pages a ranking it kept after a write without loading a copy; a new query loads one, once', async () => {
    const { call, registry } = await sampleApp()
    const index = await registry.get('sample')
    let freezes = 0
    const freeze = index.freeze.bind(index)
    index.freeze = (reader) => {
      freezes++
      return freeze(reader)
    }
    const pit = (await call('POST', '/sample/_search/point_in_time?keep_alive=1m')).body.pit_id
    const first = await call('POST', '/_search', { pit: { id: pit }, sort: ['_doc'], size: 3 })
    expect((await call('POST', '/sample/_bulk', writes({ add: 2 }), ndjson)).body.errors).toBe(false)
    const second = await call('POST', '/_search', { pit: { id: pit }, sort: ['_doc'], size: 3, search_after: first.body.hits.hits.at(-1).sort })
    expect(second.status).toBe(200)
    expect(freezes).toBe(0)
    for (const text of ['bitmaps', 'roaring', 'bitmaps']) expect((await call('POST', '/_search', { pit: { id: pit }, query: { match: { text } } })).status).toBe(200)
    expect(freezes).toBe(1)
  })
})

describe('scroll with aggregations', () => {
  it('answers them on the first page only, as Elasticsearch does', async () => {
    const { call } = await sampleApp()
    const aggs = { tags: { terms: { field: 'tag.keyword' } } }
    const direct = await call('POST', '/sample/_search', { aggs, size: 0 })
    const first = await call('POST', '/sample/_search?scroll=1m', { aggs, size: 10 })
    expect(first.body.aggregations).toEqual(direct.body.aggregations)
    const pages = await scrollAll(call, first)
    expect(pages.slice(1).every((page) => page.aggregations === undefined)).toBe(true)
  })
})

describe('scroll and point in time over a real port', () => {
  let close: () => Promise<void>
  let url: string
  let client: Client
  let registry: Parameters<typeof readerContexts>[0]

  beforeAll(async () => {
    const server = await portServer()
    ;({ url, close } = server)
    registry = server.server.registry
    client = new Client({ node: url })
  })
  afterAll(async () => {
    await client.close()
    // Closing the indexes waits for every reader: a failed test's scroll would hold it a minute.
    readerContexts(registry).freeAll()
    await close()
  })

  it('serves the OpenSearch client\'s helpers.scrollSearch, which clears its scroll at the end', async () => {
    await client.indices.create({ index: 'docs' })
    const docs = Array.from({ length: 95 }, (_, i) => [{ index: { _index: 'docs', _id: `d${i}` } }, { n: i, text: `document ${i}` }]).flat()
    expect((await client.bulk({ body: docs })).body.errors).toBe(false)
    const ids: string[] = []
    let pages = 0
    for await (const page of client.helpers.scrollSearch<{ n: number }>({ index: 'docs', size: 10, body: { sort: [{ n: 'asc' }] } })) {
      pages++
      ids.push(...page.documents.map((doc) => `d${doc.n}`))
    }
    expect(pages).toBe(10)
    expect(ids).toEqual(Array.from({ length: 95 }, (_, i) => `d${i}`))
    expect(readerContexts(registry).list('scroll')).toHaveLength(0)
    // The client's own point in time calls.
    const pit = await client.createPit({ index: ['docs'], keep_alive: '1m' })
    expect((await client.getAllPits()).body.pits).toEqual([expect.objectContaining({ pit_id: pit.body.pit_id })])
    expect((await client.deleteAllPits()).body.pits).toEqual([{ pit_id: pit.body.pit_id, successful: true }])
  })

  it('a scroll\'s and a point in time\'s pages do not change while 1,000 documents are bulk-written', async () => {
    await send(`${url}/load`, 'PUT', {})
    const initial = Array.from({ length: 300 }, (_, i) => [{ index: { _id: `d${i}` } }, { n: i, tag: i % 3 === 0 ? 'a' : 'b', text: `roaring document ${i}` }]).flat()
    expect((await send(`${url}/load/_bulk`, 'POST', initial.map((line) => JSON.stringify(line)).join('\n') + '\n', ndjson)).body.errors).toBe(false)
    const query = { bool: { must: { match: { text: 'roaring' } }, filter: { term: { tag: 'a' } } } }
    const sort = [{ n: 'desc' }]
    const expected = seen((await send(`${url}/load/_search`, 'POST', { query, sort, size: 1000 })).body.hits.hits)
    expect(expected).toHaveLength(100)

    const scroll = await send(`${url}/load/_search?scroll=1m`, 'POST', { query, sort, size: 3 })
    const pit = (await send(`${url}/load/_search/point_in_time?keep_alive=1m`, 'POST')).body.pit_id
    const pitPage = (after?: unknown) => send(`${url}/_search`, 'POST', { query, sort, size: 4, pit: { id: pit, keep_alive: '1m' }, ...(after ? { search_after: after } : {}) })
    const firstPit = await pitPage()
    expect(firstPit.status).toBe(200)

    // 1,000 documents in 20 bulks while both page through: replacements of matching documents
    // (now tag b), deletions, and new matches (tag a).
    const bulks = Array.from({ length: 20 }, (_, b) => {
      const lines = Array.from({ length: 50 }, (_, i) => {
        const k = b * 50 + i
        if (k < 200) return [{ index: { _id: `d${(k * 3) % 300}` } }, { n: -k, tag: 'b', text: 'replaced' }]
        if (k < 300) return [{ delete: { _id: `d${k}` } }]
        return [{ index: { _id: `x${k}` } }, { n: 10_000 + k, tag: 'a', text: 'roaring newcomer' }]
      }).flat()
      return lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
    })
    const scrolled: any[] = [...scroll.body.hits.hits]
    const pitHits: any[] = [...firstPit.body.hits.hits]
    let [scrollDone, pitDone] = [false, false]
    const nextScroll = async () => {
      if (scrollDone) return
      const page = await send(`${url}/_search/scroll`, 'POST', { scroll: '1m', scroll_id: scroll.body._scroll_id })
      expect(page.status).toBe(200)
      scrollDone = page.body.hits.hits.length === 0
      scrolled.push(...page.body.hits.hits)
    }
    const nextPit = async () => {
      if (pitDone) return
      const page = await pitPage(pitHits.at(-1).sort)
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      pitDone = page.body.hits.hits.length === 0
      pitHits.push(...page.body.hits.hits)
    }
    // Each bulk sent together with the next page of each (the requests overlap on the server).
    for (const body of bulks) {
      const [answer] = await Promise.all([send(`${url}/load/_bulk`, 'POST', body, ndjson), nextScroll(), nextPit()])
      expect(answer.body.errors).toBe(false)
    }
    // A few pages came while the writes went on; the rest after them.
    expect([scrolled.length, pitHits.length]).toEqual([63, 84])
    while (!scrollDone || !pitDone) await Promise.all([nextScroll(), nextPit()])
    expect(seen(scrolled)).toEqual(expected)
    expect(seen(pitHits)).toEqual(expected)
    // After every write, the point in time still answers as before; the index has changed.
    const again: any[] = []
    for (let page = await pitPage(); page.body.hits.hits.length > 0; page = await pitPage(again.at(-1).sort)) again.push(...page.body.hits.hits)
    expect(seen(again)).toEqual(expected)
    const now = (await send(`${url}/load/_search`, 'POST', { query, sort, size: 1000 })).body.hits
    // Every matching document replaced (tag b), and 700 new ones.
    expect(now.total.value).toBe(700)
    expect(now.hits[0]._id).toBe('x999')
    expect((await send(`${url}/_search/scroll`, 'DELETE', { scroll_id: scroll.body._scroll_id })).body).toEqual({ succeeded: true, num_freed: 1 })
    expect((await send(`${url}/_search/point_in_time`, 'DELETE', { pit_id: pit })).body).toEqual({ pits: [{ pit_id: pit, successful: true }] })
  })
})

describe('shutting down with open search contexts', () => {
  it('frees open scrolls and PITs instead of waiting out their keep-alive', async () => {
    const { url, close } = await portServer()
    expect((await send(`${url}/docs/_doc/1?refresh=true`, 'PUT', { text: 'open scroll' })).status).toBe(201)
    const scroll = await send(`${url}/docs/_search?scroll=10m`, 'POST', { size: 1, query: { match_all: {} } })
    expect(scroll.body._scroll_id).toEqual(expect.any(String))
    expect((await send(`${url}/docs/_search/point_in_time?keep_alive=10m`, 'POST')).status).toBe(200)
    const started = performance.now()
    await close()
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})
