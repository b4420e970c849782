/** What an attack run from outside found after the first round of fixes; each case failed before its fix. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { BM25_ENCODER, sampleApp, testApp } from './helpers.js'

describe('hostile documents and queries', () => {
  it('a lone surrogate in a keyword value or token is a 400, and the index reopens intact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lsr-surrogate-'))
    try {
      let server = await startServer({ dataDir, port: 0 })
      const put = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      await put('/two', {})
      expect((await put('/two/_doc/1', { text: 'hello', tag: '\ud800' })).status).toBe(400)
      expect((await put('/two/_doc/2', { text: 'hello', tag: '\ufffd' })).status).toBe(201)
      await put('/vec', { settings: { encoder: { name: 'vectors' } } })
      expect((await put('/vec/_doc/1', { vector: { '\udfff': 1 } })).status).toBe(400)
      expect((await put('/vec/_doc/2', { vector: { '😀': 1, '\ufffd': 2 } })).status).toBe(201)
      await server.close()
      server = await startServer({ dataDir, port: 0 })
      expect((await fetch(`${server.url}/_cat/indices?format=json`)).status).toBe(200)
      await server.close()
      for (const name of ['two', 'vec']) {
        const index = await SparseIndex.open(join(dataDir, name))
        expect(await index.check()).toEqual([])
        await index.close()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('scores that would overflow, weights past float32 and too many scored terms are 400s', async () => {
    const { call } = await sampleApp({}, BM25_ENCODER)
    const overflow = await call('POST', '/sample/_search', { query: { neural_sparse: { text: { query_tokens: { roar: 1e308, bitmap: 1e308 } } } } })
    expect(overflow.status).toBe(400)
    expect(overflow.body.error.reason).toMatch(/overflow/)
    const many = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`t${i}`, 1]))
    const clauses = await call('POST', '/sample/_search', { query: { neural_sparse: { text: { query_tokens: many } } } })
    expect(clauses.body.error.type).toBe('too_many_clauses')
    const values = await call('POST', '/sample/_search', { query: { terms: { tag: Array.from({ length: 65_537 }, (_, i) => `v${i}`) } } })
    expect(values.body.error.reason).toMatch(/index\.max_terms_count/)
    await call('PUT', '/vec', { settings: { encoder: { name: 'vectors' } } })
    expect((await call('PUT', '/vec/_doc/1', { vector: { a: 1e39 } })).status).toBe(400)
  })

  it('on mapped text fields too: boosts that would overflow and more than 1024 scored terms are 400s', async () => {
    const { call } = await sampleApp()
    const boosted = (field: string) => ({ match: { [field]: { query: 'roaring bitmaps', boost: 1e308 } } })
    for (const query of [boosted('text'), { bool: { should: [boosted('text'), boosted('title')] } }]) {
      const overflow = await call('POST', '/sample/_search', { query })
      expect(overflow.status).toBe(400)
      expect(overflow.body.error.reason).toMatch(/overflow/)
    }
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ')
    expect((await call('POST', '/sample/_search', { query: { match: { text: words(1024) } } })).status).toBe(200)
    const clauses = await call('POST', '/sample/_search', { query: { match: { text: words(1025) } } })
    expect(clauses.body.error.type).toBe('too_many_clauses')
  })

  it('a document with an _id field, a size of 0x10 or empty, and C1 controls in index names are 400s', async () => {
    const { call } = await testApp()
    await call('PUT', '/docs', {})
    const withId = await call('PUT', '/docs/_doc/1', { _id: 'other', text: 'x' })
    expect(withId.body.error.type).toBe('mapper_parsing_exception')
    const bulk = await call('POST', '/docs/_bulk', '{"index":{"_id":"2"}}\n{"_id":"3","text":"y"}\n', { 'content-type': 'application/x-ndjson' })
    expect(bulk.body.items[0].index.status).toBe(400)
    for (const size of ['0x10', '', '1e1', '-1']) expect((await call('POST', `/docs/_search?size=${size}`, {})).status, size).toBe(400)
    expect((await call('PUT', '/a%C2%85b', {})).body.error.type).toBe('invalid_index_name_exception')
  })
})

describe('read-only anonymous access', () => {
  it('a write to a path that merely ends in _search, _count or _explain still needs the key', async () => {
    const { call } = await sampleApp({ apiKey: 's3cret', readOnlyAnonymous: true })
    for (const path of ['/sample/_doc/_search', '/sample/_doc/_count', '/sample/_doc/_explain', '/sample/_create/_search']) {
      expect((await call('POST', path, { text: 'written anonymously' })).status, path).toBe(401)
    }
    expect((await call('POST', '/sample/_search', { query: { match: { text: 'bitmaps' } } })).status).toBe(200)
    expect((await call('POST', '/sample/_explain/s01', { query: { match: { text: 'bitmaps' } } })).status).toBe(200)
    expect((await call('GET', '/sample/_doc/_search', undefined, { authorization: 'ApiKey s3cret' })).status).toBe(404)
  })
})

describe('the official OpenSearch client helpers', () => {
  let server: RunningServer
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lsr-helpers-'))
    server = await startServer({ dataDir, port: 0 })
  })
  afterAll(async () => {
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('indices.refresh (GET), helpers.bulk with refreshOnCompletion and helpers.search (filter_path) work', async () => {
    const client = new Client({ node: server.url })
    await client.indices.create({ index: 'books' })
    const docs = Array.from({ length: 30 }, (_, i) => ({ id: `b${i}`, text: `book number ${i} about ${i % 2 ? 'cats' : 'dogs'}` }))
    const result = await client.helpers.bulk({ datasource: docs, onDocument: (doc) => ({ index: { _index: 'books', _id: doc.id } }), refreshOnCompletion: true })
    expect(result).toMatchObject({ total: 30, successful: 30, failed: 0 })
    expect((await client.indices.refresh({ index: 'books' })).statusCode).toBe(200)
    const found = await client.helpers.search({ index: 'books', body: { query: { match: { text: 'cats' } }, size: 20 } })
    expect(found).toHaveLength(15)
    expect((found as Array<Record<string, unknown>>).every((doc) => String(doc.text).includes('cats'))).toBe(true)
    await client.close()
  })

  it('filter_path keeps the named paths (wildcards, ** and exclusions) of successful answers', async () => {
    const get = async (query: string): Promise<Record<string, any>> => (await fetch(`${server.url}/books/_search?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { text: 'cats' } }, size: 2 }) })).json() as Record<string, any>
    const ids = (await get('filter_path=hits.hits._id')) as { hits: { hits: Array<Record<string, unknown>> } }
    expect(ids.hits.hits).toHaveLength(2)
    expect(ids.hits.hits.every((h) => Object.keys(h).join() === '_id')).toBe(true)
    expect(Object.keys(await get('filter_path=took,hits.total'))).toEqual(['took', 'hits'])
    expect(await get('filter_path=**._index')).toEqual({ hits: { hits: [{ _index: 'books' }, { _index: 'books' }] } })
    const without = (await get('filter_path=-hits.hits._source,-_shards')) as Record<string, any>
    expect(without._shards).toBeUndefined()
    expect(without.hits.hits[0]._source).toBeUndefined()
    expect(without.hits.hits[0]._id).toBeDefined()
    expect(await get('filter_path=h*.t*.value')).toEqual({ hits: { total: { value: 15 } } })
    expect(await get('filter_path=nothing.here')).toEqual({})
  })
})
