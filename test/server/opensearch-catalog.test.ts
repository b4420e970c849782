/**
 * A product catalog through the official OpenSearch JavaScript client over a real port: an
 * explicit strict mapping, helpers.bulk, field-aware search (multi_match with boosts, filters,
 * sorts with tiebreakers, search_after pages), count, and the mapping APIs. Expected values are
 * computed here from the products (catalog.ts), never read back from the server.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { bestFields, CATALOG_MAPPING, PRODUCTS, type Product } from './catalog.js'

type Hit = { _id: string; _score: number | null; _source?: Partial<Product>; sort?: unknown[] }
/** `hits` of a search answer, typed as lsr answers (the client's types are looser). */
type Hits = { total: { value: number; relation: string }; max_score: number | null; hits: Hit[] }
const hitsOf = (body: unknown) => (body as { hits: Hits }).hits

/** Price ascending, then rating descending, then sku ascending: a total order. */
const byPriceRatingSku = (a: Product, b: Product) => a.price - b.price || b.rating - a.rating || a.sku.localeCompare(b.sku)
const SORT: Array<Record<string, 'asc' | 'desc'>> = [{ price: 'asc' }, { rating: 'desc' }, { sku: 'asc' }]

describe('a product catalog through the official OpenSearch client', () => {
  let server: RunningServer
  let client: Client
  let dataDir: string

  beforeAll(async () => {
    // Its own folder: tempDir() folders are removed after each test, this one serves them all.
    dataDir = await mkdtemp(join(tmpdir(), 'lsr-catalog-'))
    server = await startServer({ dataDir, port: 0 })
    client = new Client({ node: server.url })
    const created = await client.indices.create({ index: 'catalog', body: { mappings: CATALOG_MAPPING as never } })
    expect(created.body).toMatchObject({ acknowledged: true, index: 'catalog' })
    const loaded = await client.helpers.bulk({
      datasource: PRODUCTS,
      onDocument: (product) => ({ index: { _index: 'catalog', _id: product.sku } }),
      refreshOnCompletion: true,
    })
    expect(loaded).toMatchObject({ total: 30, successful: 30, failed: 0 })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('shows the mapping as it was given, in Elasticsearch shape', async () => {
    expect((await client.indices.getMapping({ index: 'catalog' })).body).toEqual({ catalog: { mappings: CATALOG_MAPPING } })
    expect((await client.count({ index: 'catalog' })).body.count).toBe(30)
  })

  it('honours size, from and _source sent in the URL', async () => {
    const hits = hitsOf((await client.search({ index: 'catalog', size: 4, from: 2, _source: ['name', 'price'], body: { query: { match_all: {} }, sort: SORT } })).body)
    const expected = [...PRODUCTS].sort(byPriceRatingSku).slice(2, 6)
    expect(hits.hits.map((h) => h._id)).toEqual(expected.map((p) => p.sku))
    expect(hits.hits.map((h) => h._source)).toEqual(expected.map((p) => ({ name: p.name, price: p.price })))
    expect(hits.total).toEqual({ value: 30, relation: 'eq' })
  })

  it('multi_match over name^3 and description ranks by the best field, with BM25 scores computed here', async () => {
    const query = 'espresso grinder'
    const hits = hitsOf((await client.search({ index: 'catalog', body: { query: { multi_match: { query, fields: ['name^3', 'description'] } }, size: 30 } })).body)
    const expected = bestFields(PRODUCTS, query, 3)
    expect(hits.total.value).toBe(expected.length)
    expect(hits.hits.map((h) => h._id)).toEqual(expected.map(([sku]) => sku))
    hits.hits.forEach((hit, i) => expect(hit._score, hit._id).toBeCloseTo(expected[i][1], 10))
    expect(hits.max_score).toBeCloseTo(expected[0][1], 10)
    // Without the boost, the name's scores are a third: descriptions win where they score higher.
    const plain = hitsOf((await client.search({ index: 'catalog', body: { query: { multi_match: { query, fields: ['name', 'description'] } }, size: 30 } })).body)
    const unboosted = bestFields(PRODUCTS, query, 1)
    expect(plain.hits.map((h) => h._id)).toEqual(unboosted.map(([sku]) => sku))
    plain.hits.forEach((hit, i) => expect(hit._score, hit._id).toBeCloseTo(unboosted[i][1], 10))
    expect(unboosted.some(([sku, score], i) => expected[i][0] !== sku || expected[i][1] !== score * 3)).toBe(true)
  })

  it('bool filters (range on price, term on category, boolean, date range) restrict without changing scores', async () => {
    const query = 'espresso coffee'
    const filter: Array<Record<string, Record<string, unknown>>> = [
      { range: { price: { gte: 10, lte: 50 } } },
      { term: { category: 'coffee' } },
      { term: { in_stock: true } },
      { range: { added: { gte: '2024-01-02', lt: '2024-01-10' } } },
    ]
    const hits = hitsOf((await client.search({ index: 'catalog', body: { query: { bool: { must: { multi_match: { query, fields: ['name^3', 'description'] } }, filter } }, size: 30 } })).body)
    const kept = new Set(PRODUCTS.filter((p) => p.price >= 10 && p.price <= 50 && p.category === 'coffee' && p.in_stock && p.added >= '2024-01-02' && p.added < '2024-01-10').map((p) => p.sku))
    const expected = bestFields(PRODUCTS, query, 3).filter(([sku]) => kept.has(sku))
    expect(expected.length).toBeGreaterThan(2)
    expect(hits.hits.map((h) => h._id)).toEqual(expected.map(([sku]) => sku))
    hits.hits.forEach((hit, i) => expect(hit._score, hit._id).toBeCloseTo(expected[i][1], 10))
    const counted = await client.count({ index: 'catalog', body: { query: { bool: { filter } } } })
    expect(counted.body.count).toBe(kept.size)
  })

  it('sorts by price with rating and sku as tiebreakers, returning the sort values and no scores', async () => {
    const hits = hitsOf((await client.search({ index: 'catalog', body: { sort: SORT, size: 30, _source: false } })).body)
    const expected = [...PRODUCTS].sort(byPriceRatingSku)
    expect(hits.hits.map((h) => h._id)).toEqual(expected.map((p) => p.sku))
    expect(hits.hits.map((h) => h.sort)).toEqual(expected.map((p) => [p.price, p.rating, p.sku]))
    expect(hits.hits.every((h) => h._score === null)).toBe(true)
    expect(hits.max_score).toBeNull()
    // Ties on price exist, so the order really rests on the tiebreakers.
    expect(new Set(PRODUCTS.map((p) => p.price)).size).toBeLessThan(PRODUCTS.length)
  })

  it('search_after pages concatenate to the whole sorted result, with a filter and a query', async () => {
    const query = { bool: { filter: { range: { rating: { gte: 4 } } } } }
    const expected = PRODUCTS.filter((p) => p.rating >= 4).sort(byPriceRatingSku).map((p) => p.sku)
    const pages: string[][] = []
    let after: unknown[] | undefined
    for (;;) {
      const hits = hitsOf((await client.search({ index: 'catalog', body: { query, sort: SORT, size: 4, ...(after ? { search_after: after } : {}) } as never })).body)
      expect(hits.total.value).toBe(expected.length) // the total counts every match, not what follows
      if (hits.hits.length === 0) break
      pages.push(hits.hits.map((h) => h._id))
      after = hits.hits.at(-1)!.sort
    }
    expect(pages.flat()).toEqual(expected)
    expect(pages).toHaveLength(Math.ceil(expected.length / 4))
  })

  it('a strict mapping refuses unknown fields until put_mapping adds them; a conflicting change is a 400', async () => {
    const brand = { sku: 'SKU-100', name: 'Moka pot', description: 'A stovetop moka pot', category: 'coffee', price: 32, rating: 4, in_stock: true, added: '2024-02-01', brand: 'Bialetti' }
    await expect(client.index({ index: 'catalog', id: brand.sku, body: brand, refresh: true })).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { type: 'strict_dynamic_mapping_exception', reason: expect.stringMatching(/\[brand\]/) } } },
    })
    expect((await client.count({ index: 'catalog' })).body.count).toBe(30)

    expect((await client.indices.putMapping({ index: 'catalog', body: { properties: { brand: { type: 'keyword' } } } })).body).toEqual({ acknowledged: true })
    const mapping = (await client.indices.getMapping({ index: 'catalog' })).body.catalog.mappings
    expect(mapping).toEqual({ ...CATALOG_MAPPING, properties: { ...CATALOG_MAPPING.properties, brand: { type: 'keyword' } } })
    await expect(client.indices.putMapping({ index: 'catalog', body: { properties: { price: { type: 'long' } } } })).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { reason: expect.stringMatching(/mapper \[price\] cannot be changed from type \[scaled_float\] to \[long\]/) } } },
    })
    expect((await client.indices.getMapping({ index: 'catalog' })).body.catalog.mappings).toEqual(mapping)

    expect((await client.index({ index: 'catalog', id: brand.sku, body: brand, refresh: true })).body.result).toBe('created')
    const found = hitsOf((await client.search({ index: 'catalog', body: { query: { term: { brand: 'Bialetti' } } } })).body)
    expect(found.hits.map((h) => h._id)).toEqual(['SKU-100'])
    await client.delete({ index: 'catalog', id: brand.sku, refresh: true })
    expect((await client.count({ index: 'catalog' })).body.count).toBe(30)
  })

  it('bulk answers a price that is not a number with a per-item 400 and writes nothing of that document', async () => {
    const good = { ...PRODUCTS[0], sku: 'SKU-200', name: 'Travel mug' }
    const bad = { ...PRODUCTS[0], sku: 'SKU-201', name: 'Broken mug', price: 'abc' }
    const { body } = await client.bulk({
      refresh: true,
      body: [{ index: { _index: 'catalog', _id: good.sku } }, good, { index: { _index: 'catalog', _id: bad.sku } }, bad],
    })
    expect(body.errors).toBe(true)
    expect(body.items[0].index).toMatchObject({ _id: 'SKU-200', status: 201 })
    expect(body.items[1].index).toMatchObject({
      _id: 'SKU-201', status: 400, error: { type: 'mapper_parsing_exception', reason: expect.stringMatching(/failed to parse field \[price\] of type \[scaled_float\]/) },
    })
    await expect(client.get({ index: 'catalog', id: 'SKU-201' })).rejects.toMatchObject({ meta: { statusCode: 404 } })
    expect((await client.count({ index: 'catalog', body: { query: { match: { name: 'mug' } } } })).body.count).toBe(1)
    await client.delete({ index: 'catalog', id: 'SKU-200', refresh: true })
    expect((await client.count({ index: 'catalog' })).body.count).toBe(30)
  })
})
