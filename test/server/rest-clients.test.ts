/**
 * The official OpenSearch JavaScript client over a real port, through the document and
 * multi-request APIs: refresh (which it sends as GET), helpers.bulk with refreshOnCompletion,
 * update, mget, msearch, getSource, deleteByQuery and updateByQuery.
 */
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { portServer } from './helpers.js'

describe('the OpenSearch client through the document, multi-request and by-query APIs', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  let client: Client

  beforeAll(async () => {
    server = await portServer()
    client = new Client({ node: server.url })
    await client.indices.create({ index: 'books', body: { mappings: { properties: { title: { type: 'text' }, genre: { type: 'keyword' }, year: { type: 'integer' } } } } })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('indices.refresh (a GET) of one index, a list and all; helpers.bulk with refreshOnCompletion', async () => {
    expect((await client.indices.refresh({ index: 'books' })).body).toEqual({ _shards: { total: 1, successful: 1, failed: 0 } })
    expect((await client.indices.refresh()).statusCode).toBe(200)
    await expect(client.indices.refresh({ index: 'nope' })).rejects.toMatchObject({ meta: { statusCode: 404 } })
    const books = [
      { title: 'Dune', genre: 'sf', year: 1965 },
      { title: 'Emma', genre: 'novel', year: 1815 },
      { title: 'Solaris', genre: 'sf', year: 1961 },
      { title: 'Ulysses', genre: 'novel', year: 1922 },
    ]
    const stats = await client.helpers.bulk({
      datasource: books,
      onDocument: (doc) => ({ index: { _index: 'books', _id: String(books.indexOf(doc) + 1) } }),
      refreshOnCompletion: true,
    })
    expect(stats).toMatchObject({ total: 4, successful: 4, failed: 0, aborted: false })
    const named = await client.helpers.bulk({ datasource: [{ title: 'Kindred', genre: 'sf', year: 1979 }], onDocument: () => ({ index: { _index: 'books', _id: '5' } }), refreshOnCompletion: 'books' })
    expect(named.successful).toBe(1)
    expect((await client.count({ index: 'books' })).body.count).toBe(5)
  })

  it('update: doc merged, noop, upsert, doc_as_upsert, _source; a missing document is a 404', async () => {
    const updated = await client.update({ index: 'books', id: '1', body: { doc: { year: 1966, tags: { classic: true } } } })
    // The five documents written first took sequence numbers 0-4.
    expect(updated.body).toEqual({ _index: 'books', _id: '1', _version: 2, result: 'updated', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 5, _primary_term: 1 })
    const noop = await client.update({ index: 'books', id: '1', body: { doc: { year: 1966 } } })
    expect(noop.body).toMatchObject({ result: 'noop', _shards: { total: 0, successful: 0, failed: 0 } })
    const upserted = await client.update({ index: 'books', id: '9', body: { doc: { title: 'x' }, upsert: { title: 'Beloved', genre: 'novel', year: 1987 } } })
    expect(upserted).toMatchObject({ statusCode: 201, body: { result: 'created' } })
    const asUpsert = await client.update({ index: 'books', id: '10', body: { doc: { title: 'Neuromancer', genre: 'sf' }, doc_as_upsert: true }, _source_includes: 'title' })
    expect(asUpsert.body).toMatchObject({ result: 'created', get: { found: true, _source: { title: 'Neuromancer' } } })
    const withSource = await client.update({ index: 'books', id: '9', body: { doc: { year: 1988 }, _source: true }, retry_on_conflict: 3, refresh: true })
    expect(withSource.body.get).toEqual({ _seq_no: 8, _primary_term: 1, found: true, _source: { title: 'Beloved', genre: 'novel', year: 1988 } })
    await expect(client.update({ index: 'books', id: '404', body: { doc: { a: 1 } } })).rejects.toMatchObject({
      meta: { statusCode: 404, body: { error: { type: 'document_missing_exception', reason: '[404]: document missing' } } },
    })
    await expect(client.update({ index: 'books', id: '1', body: { script: { source: 'ctx._source.year++' } } as never })).rejects.toMatchObject({ meta: { statusCode: 400 } })
    expect((await client.get({ index: 'books', id: '1' })).body._source).toEqual({ title: 'Dune', genre: 'sf', year: 1966, tags: { classic: true } })
  })

  it('20 concurrent updates of one document over the network, each adding its own key, lose nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.update({ index: 'books', id: '2', body: { doc: { tags: { [`k_${i}`]: true } } } })))
    expect(answers.map((a) => a.body.result)).toEqual(Array(20).fill('updated'))
    const { tags, ...rest } = (await client.getSource({ index: 'books', id: '2' })).body as { tags: Record<string, boolean> }
    expect(rest).toEqual({ title: 'Emma', genre: 'novel', year: 1815 })
    expect(Object.keys(tags).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k_${i}`).sort())
  })

  it('mget by docs and by ids, getSource and existsSource', async () => {
    const byDocs = await client.mget({ body: { docs: [{ _index: 'books', _id: '2', _source: ['title'] }, { _index: 'books', _id: '99' }, { _index: 'nope', _id: '1' }] } })
    // Written once, then updated 20 times (sequence numbers 9-28).
    expect(byDocs.body.docs[0]).toEqual({ _index: 'books', _id: '2', _version: 21, _seq_no: 28, _primary_term: 1, found: true, _source: { title: 'Emma' } })
    expect(byDocs.body.docs[1]).toEqual({ _index: 'books', _id: '99', found: false })
    expect(byDocs.body.docs[2]).toMatchObject({ _index: 'nope', _id: '1', error: { type: 'index_not_found_exception' } })
    const byIds = await client.mget({ index: 'books', body: { ids: ['3', '4'] }, _source_excludes: 'year,genre' })
    expect(byIds.body.docs.map((d) => (d as { _source?: unknown })._source)).toEqual([{ title: 'Solaris' }, { title: 'Ulysses' }])
    expect((await client.getSource({ index: 'books', id: '4', _source_includes: 'genre' })).body).toEqual({ genre: 'novel' })
    await expect(client.getSource({ index: 'books', id: '404' })).rejects.toMatchObject({ meta: { statusCode: 404, body: { error: { type: 'resource_not_found_exception' } } } })
    expect((await client.existsSource({ index: 'books', id: '4' })).body).toBe(true)
    expect((await client.existsSource({ index: 'books', id: '404' })).body).toBe(false)
  })

  it('msearch: several searches, one failing alone', async () => {
    const response = await client.msearch({
      index: 'books',
      body: [
        {}, { query: { term: { genre: 'sf' } }, sort: [{ year: 'asc' }], _source: ['title'] },
        { index: 'books' }, { query: { match: { title: 'emma' } } },
        { index: 'nope' }, { query: { match_all: {} } },
      ],
    })
    const [sf, emma, missing] = response.body.responses as Array<Record<string, any>>
    expect(sf.status).toBe(200)
    // Neuromancer has no year: last, as Elasticsearch sorts a missing value.
    expect(sf.hits.hits.map((h: { _source: { title: string } }) => h._source.title)).toEqual(['Solaris', 'Dune', 'Kindred', 'Neuromancer'])
    expect(emma).toMatchObject({ status: 200, hits: { total: { value: 1 }, hits: [{ _id: '2' }] } })
    expect(missing).toMatchObject({ status: 404, error: { type: 'index_not_found_exception' } })
    const asInt = await client.msearch({ body: [{ index: 'books' }, { size: 0 }], rest_total_hits_as_int: true, max_concurrent_searches: 2 })
    expect((asInt.body.responses[0] as { hits: { total: number } }).hits.total).toBe(7)
  })

  it('updateByQuery and deleteByQuery', async () => {
    const updated = await client.updateByQuery({ index: 'books', body: { query: { term: { genre: 'novel' } } }, conflicts: 'proceed', refresh: true })
    expect(updated.body).toMatchObject({ total: 3, updated: 3, version_conflicts: 0, failures: [] })
    const deleted = await client.deleteByQuery({ index: 'books', body: { query: { term: { genre: 'sf' } } }, refresh: true })
    expect(deleted.body).toMatchObject({ timed_out: false, total: 4, deleted: 4, batches: 1, version_conflicts: 0, noops: 0, failures: [] })
    const limited = await client.deleteByQuery({ index: 'books', q: 'genre:novel', max_docs: 1, body: {} })
    expect(limited.body).toMatchObject({ total: 1, deleted: 1 })
    expect((await client.count({ index: 'books' })).body.count).toBe(2)
    await expect(client.deleteByQuery({ index: 'books', body: { query: { match_all: {} } }, wait_for_completion: false })).rejects.toMatchObject({ meta: { statusCode: 400 } })
    expect((await client.count({ index: 'books' })).body.count).toBe(2)
  })
})
