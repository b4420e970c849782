import { request } from 'node:http'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hono } from 'hono'
import { createApp, type AppEnv } from '../../src/server/app.js'
import { jsonBytes, RawJson } from '../../src/server/raw-json.js'
import { IndexRegistry } from '../../src/server/registry.js'
import { sourceKey } from '../../src/storage/format.js'
import { tempDir } from '../helpers.js'
import { portServer, send } from './helpers.js'

/** Sends a body in chunks without a Content-Length (Transfer-Encoding: chunked). */
function sendChunked(url: string, chunks: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

describe('request bodies over a socket', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  beforeAll(async () => {
    server = await portServer({ maxBodyBytes: 1000 })
    await send(`${server.url}/b`, 'PUT')
  })
  afterAll(() => server.close())

  it('refuses a body over the limit with a 413, whether its length is declared or chunked', async () => {
    const big = JSON.stringify({ query: { match: { text: 'x'.repeat(2000) } } })
    for (const answer of [await send(`${server.url}/b/_search`, 'POST', big), await sendChunked(`${server.url}/b/_search`, [big.slice(0, 600), big.slice(600)])]) {
      expect(answer.status).toBe(413)
      expect(answer.body.error.type).toBe('content_too_long_exception')
    }
  })

  it('reads a body under the limit, declared or chunked', async () => {
    const body = JSON.stringify({ query: { match_all: {} }, size: 0 })
    expect((await send(`${server.url}/b/_search`, 'POST', body)).status).toBe(200)
    expect((await sendChunked(`${server.url}/b/_search`, [body.slice(0, 10), body.slice(10)])).body.hits.total).toEqual({ value: 0, relation: 'eq' })
  })
})

/**
 * Sources whose JSON text is easy to get wrong: escapes, non-ASCII, integer-like keys, extreme
 * numbers, nesting; what the mapping would refuse (a lone surrogate, numbers out of a long's range) is under an unindexed object.
 */
const TRICKY_SOURCES = [
  { title: 'emoji 😀, ü and 中文', text: 'line\nbreak "quoted" \\ back\u2028sep\u0000nul', kept: { n: 1e21, m: -0, tiny: 5e-324, sum: 0.1 + 0.2 } },
  { title: 'integer-like keys', '10': 'ten', '2': 'two', b: 'after', kept: { lone: 'surrogate \ud800 here', big: 9007199254740993, neg: -1.5e-7 } },
  { title: 'nested', meta: { list: [1, 2], inner: { flag: true, none: null } }, kept: { mixed: [1, 'two', { three: [null, true, false] }, []], empty: {} } },
  { title: `long ${'word '.repeat(2000)}` },
]

describe('_source sent as stored', () => {
  /** The answer's text without `took` (the one part that may differ between two runs). */
  const answerText = async (app: Hono<AppEnv>, path: string, body: string) => {
    const response = await app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    return (await response.text()).replaceAll(/"took":\d+/g, '"took":0')
  }

  it('answers byte for byte what parsing and filtering the sources answers, for _search and _msearch', async () => {
    const app = createApp(new IndexRegistry(await tempDir()))
    const mappings = { properties: { kept: { type: 'object', enabled: false } } }
    expect((await app.request('/t', { method: 'PUT', body: JSON.stringify({ mappings }), headers: { 'content-type': 'application/json' } })).status).toBe(200)
    const bulk = TRICKY_SOURCES.map((source, i) => `${JSON.stringify({ index: { _index: 't', _id: `d${i}` } })}\n${JSON.stringify(source)}\n`).join('')
    const written = (await (await app.request('/_bulk', { method: 'POST', body: bulk, headers: { 'content-type': 'application/x-ndjson' } })).json()) as { items: Array<{ index: { status: number } }> }
    expect(written.items.filter((item) => item.index.status !== 201)).toEqual([])
    for (const options of [{}, { version: true, seq_no_primary_term: true, explain: true }, { sort: [{ 'meta.list': { order: 'desc' } }], track_scores: true }]) {
      const plain = { query: { match_all: {} }, ...options }
      // `includes: ['*']` keeps every field, through the parsed path.
      const filtered = { ...plain, _source: { includes: ['*'] } }
      const stored = await answerText(app, '/t/_search', JSON.stringify(plain))
      expect(JSON.parse(stored).hits.hits.map((hit: { _source: unknown }) => hit._source)).toEqual(expect.arrayContaining(TRICKY_SOURCES.map((source) => JSON.parse(JSON.stringify(source)))))
      expect(stored).toBe(await answerText(app, '/t/_search', JSON.stringify(filtered)))
      const lines = (body: unknown) => `{"index":"t"}\n${JSON.stringify(body)}\n`.repeat(2)
      expect(await answerText(app, '/_msearch', lines(plain))).toBe(await answerText(app, '/_msearch', lines(filtered)))
    }
  })
})

describe('a cut-off stored source', () => {
  it('is refused as corrupt whether _source is sent as stored or filtered', async () => {
    const dataDir = await tempDir()
    const registry = new IndexRegistry(dataDir)
    const writer = createApp(registry)
    await writer.request('/t/_doc/a', { method: 'PUT', body: JSON.stringify({ text: 'alpha' }), headers: { 'content-type': 'application/json' } })
    const reader = (await registry.get('t')).reader()
    const docId = reader.docId('a')!
    reader.release()
    await registry.closeAll()
    const db = new Level<Buffer, Buffer>(join(dataDir, 't'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.put(sourceKey(docId), Buffer.from('{"text":"alp'))
    await db.close()
    const app = createApp(new IndexRegistry(dataDir))
    for (const body of [{}, { _source: { includes: ['*'] } }]) {
      const response = await app.request('/t/_search', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      expect(response.status).toBe(500)
      expect(((await response.json()) as { error: { reason: string } }).error.reason).toMatch(/source of doc \d+ is not valid JSON/)
    }
  })
})

describe('jsonBytes', () => {
  it('splices raw JSON in place of each RawJson, anywhere in the value', () => {
    const raw = (value: unknown) => new RawJson(Buffer.from(JSON.stringify(value)))
    const value = { a: raw({ x: '😀' }), list: [raw([1, 2]), 'text', raw('s')], nested: { deep: raw(null) } }
    const expected = JSON.stringify({ a: { x: '😀' }, list: [[1, 2], 'text', 's'], nested: { deep: null } })
    expect(jsonBytes(value).toString('utf8')).toBe(expected)
    // Serialized otherwise, a RawJson is its parsed value.
    expect(JSON.stringify(value)).toBe(expected)
  })
})
