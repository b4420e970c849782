import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'
import { sampleBulk } from './helpers.js'

describe('the official OpenSearch JavaScript client against a running server', () => {
  let server: RunningServer
  let client: Client

  beforeAll(async () => {
    server = await startServer({ dataDir: await tempDir(), port: 0 })
    client = new Client({ node: server.url })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('creates an index with an encoder, bulk-loads, searches (match and neural_sparse), gets, counts and deletes', async () => {
    // lsr's encoder of title + text (neural_sparse searches it), and a similarity for the other
    // fields. The client's typings know neither `encoder` nor the `default` similarity name.
    const settings = { encoder: { name: 'bm25' }, index: { similarity: { default: { type: 'BM25', k1: 0.9, b: 0.4 } } } } as unknown as Record<string, never>
    const created = await client.indices.create({ index: 'docs', body: { settings } })
    expect(created.body).toMatchObject({ acknowledged: true, index: 'docs' })
    expect((await client.indices.exists({ index: 'docs' })).body).toBe(true)

    const bulk = await client.bulk({ index: 'docs', body: sampleBulk().trim().split('\n').map((line) => JSON.parse(line)), refresh: true })
    expect(bulk.body.errors).toBe(false)
    expect(bulk.body.items).toHaveLength(30)

    const match = await client.search({ index: 'docs', body: { query: { match: { text: 'roaring bitmaps compress posting lists' } }, size: 3 } })
    expect(match.body.hits.hits[0]._id).toBe('s01')
    expect(match.body.hits.total).toMatchObject({ relation: 'eq' })

    const sparse = await client.search({ index: 'docs', body: { query: { neural_sparse: { text: { query_tokens: { roar: 2.0, bitmap: 1.0 } } } } } })
    expect(sparse.body.hits.hits[0]._id).toBe('s01')
    expect(sparse.body.hits.hits[0]._score).toBeGreaterThan(0)

    const doc = await client.get({ index: 'docs', id: 's05' })
    expect(doc.body).toMatchObject({ found: true, _source: { title: 'Learned sparse retrieval' } })
    const index = (await client.indices.get({ index: 'docs' })).body.docs
    expect(index.settings?.index).toMatchObject({ encoder: { name: 'bm25', k1: 0.9, b: 0.4 }, similarity: { default: { type: 'BM25', k1: 0.9, b: 0.4 } } })
    expect(index.mappings?.properties).toMatchObject({ tag: { type: 'text' }, meta: { properties: { n: { type: 'long' } } } })
    expect((await client.count({ index: 'docs' })).body.count).toBe(30)

    await client.delete({ index: 'docs', id: 's05', refresh: true })
    expect((await client.count({ index: 'docs' })).body.count).toBe(29)
    await expect(client.get({ index: 'docs', id: 's05' })).rejects.toMatchObject({ meta: { statusCode: 404 } })

    expect((await client.indices.delete({ index: 'docs' })).body).toEqual({ acknowledged: true })
    expect((await client.indices.exists({ index: 'docs' })).body).toBe(false)
  })

  it('reports query errors to the client as 400s with the reason', async () => {
    await client.indices.create({ index: 'errs' })
    await expect(client.search({ index: 'errs', body: { query: { regexp: { text: 'a.*' } } } })).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { type: 'illegal_argument_exception', reason: expect.stringMatching(/query type \[regexp\] is not supported/) } } },
    })
  })
})
