/**
 * The typed library API: searches written with the exported `Query` and `Sort` types on an index of
 * mapped fields only, checked against answers computed here from the raw products; documents added
 * without `title`/`text`; and `@ts-expect-error` lines proving that misspelled options and query
 * types the compiler refuses are type errors too (tsconfig.test.json type-checks this file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LsrError, SparseIndex, type Query, type SearchAfterValue, type SearchBody, type Sort, type SourceDocument } from '../../src/index.js'
import { tempDir } from '../helpers.js'

const SCHEMA = {
  mappings: {
    properties: {
      name: { type: 'text' },
      brand: { type: 'keyword' },
      tags: { type: 'keyword' },
      price: { type: 'float' },
      stock: { type: 'integer' },
      released: { type: 'date' },
      active: { type: 'boolean' },
    },
  },
}

interface Product {
  name: string
  brand: string
  tags: string[]
  price?: number
  stock: number
  released: string
  active: boolean
}

const PRODUCTS: Record<string, Product> = {
  p01: { name: 'red lamp', brand: 'acme', tags: ['home', 'light'], price: 19.5, stock: 3, released: '2024-01-10', active: true },
  p02: { name: 'green lamp shade', brand: 'acme', tags: ['home'], price: 7.25, stock: 0, released: '2023-11-02', active: false },
  p03: { name: 'red chair', brand: 'sitwell', tags: ['home', 'furniture'], price: 89, stock: 12, released: '2024-03-01', active: true },
  p04: { name: 'oak table', brand: 'sitwell', tags: ['furniture'], stock: 1, released: '2022-06-30', active: true },
  p05: { name: 'garden lantern', brand: 'glowco', tags: ['garden', 'light'], price: 34, stock: 7, released: '2024-05-20', active: true },
  p06: { name: 'red garden chair', brand: 'glowco', tags: ['garden', 'furniture'], price: 45.5, stock: 0, released: '2023-07-14', active: false },
  p07: { name: 'desk lamp', brand: 'acme-pro', tags: ['office', 'light'], price: 29.75, stock: 25, released: '2024-02-29', active: true },
  p08: { name: 'office chair', brand: 'acme-pro', tags: ['office', 'furniture'], price: 149, stock: 4, released: '2023-01-05', active: true },
  p09: { name: 'lamp oil', brand: 'glowco', tags: [], price: 4.5, stock: 40, released: '2021-12-12', active: false },
  p10: { name: 'green table lamp', brand: 'acme', tags: ['home', 'office', 'light'], price: 24, stock: 9, released: '2024-04-04', active: true },
}

const ALL = Object.keys(PRODUCTS)
const where = (test: (p: Product) => boolean) => ALL.filter((id) => test(PRODUCTS[id]))
const words = (p: Product) => p.name.split(' ')

describe('typed search API on an index of mapped fields', () => {
  let index: SparseIndex

  beforeAll(async () => {
    index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema: SCHEMA })
    // No title and no text: an index without an encoder reads only the source.
    const docs: SourceDocument[] = Object.entries(PRODUCTS).map(([id, p]) => ({ id, source: { ...p } }))
    await index.add(docs)
  })

  afterAll(async () => {
    await index.close()
  })

  /** Ids of every match, in doc-id (insertion) order. */
  const matches = async (query: Query): Promise<string[]> => {
    const { hits, total } = await index.search({ query: { bool: { filter: query } }, size: 100 })
    expect(hits).toHaveLength(total)
    return hits.map((hit) => hit.id)
  }

  it('adds documents without title or text, and reads them back', async () => {
    const dir = await tempDir()
    const small = await SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties: { name: { type: 'keyword' } } } } })
    try {
      await small.add([{ id: 'p1', source: { name: 'x' } }])
      expect(await small.get('p1')).toEqual({ name: 'x' })
      const { hits, total } = await small.search({ query: { term: { name: 'x' } } })
      expect(total).toBe(1)
      expect(hits.map((hit) => [hit.id, hit.source])).toEqual([['p1', { name: 'x' }]])
    } finally {
      await small.close()
    }
  })

  it('answers typed exact queries as filters written here', async () => {
    const cases: Array<[Query, (p: Product) => boolean]> = [
      [{ term: { brand: 'acme' } }, (p) => p.brand === 'acme'],
      [{ term: { brand: { value: 'acme-pro', boost: 2 } } }, (p) => p.brand === 'acme-pro'],
      [{ term: { active: false } }, (p) => !p.active],
      [{ terms: { tags: ['garden', 'office'] } }, (p) => p.tags.some((t) => t === 'garden' || t === 'office')],
      [{ terms: { tags: ['light'], boost: 3 } }, (p) => p.tags.includes('light')],
      [{ range: { price: { gte: 20, lt: 50 } } }, (p) => p.price !== undefined && p.price >= 20 && p.price < 50],
      [{ range: { stock: { gt: 0, lte: '9' } } }, (p) => p.stock > 0 && p.stock <= 9],
      [{ range: { released: { gte: '2024-01-01', lt: null } } }, (p) => p.released >= '2024-01-01'],
      [{ range: { released: { gte: '01/2024', format: 'MM/yyyy' } } }, (p) => p.released >= '2024-01-01'],
      [{ exists: { field: 'price' } }, (p) => p.price !== undefined],
      [{ prefix: { brand: 'acme' } }, (p) => p.brand.startsWith('acme')],
      [{ prefix: { brand: { value: 'glow' } } }, (p) => p.brand.startsWith('glow')],
      [{ ids: { values: ['p03', 'p07', 'missing'] } }, (p) => p === PRODUCTS.p03 || p === PRODUCTS.p07],
      [{ match_all: {} }, () => true],
      [{ match_none: {} }, () => false],
      [{ match: { name: 'lamp' } }, (p) => words(p).includes('lamp')],
      [{ match: { name: { query: 'red chair', operator: 'and' } } }, (p) => words(p).includes('red') && words(p).includes('chair')],
      [{ match: { name: { query: 'red green oak lamp', minimum_should_match: '50%' } } }, (p) => words(p).filter((w) => ['red', 'green', 'oak', 'lamp'].includes(w)).length >= 2],
      [{ multi_match: { query: 'garden', fields: ['name^2', 'tags'] } }, (p) => words(p).includes('garden') || p.tags.includes('garden')],
      [
        { bool: { must: { term: { active: true } }, filter: [{ range: { price: { lte: 30 } } }], must_not: [{ term: { brand: 'acme-pro' } }] } },
        (p) => p.active && p.price !== undefined && p.price <= 30 && p.brand !== 'acme-pro',
      ],
      [
        { bool: { should: [{ term: { tags: 'office' } }, { term: { tags: 'home' } }, { term: { tags: 'light' } }], minimum_should_match: 2 } },
        (p) => p.tags.filter((t) => ['office', 'home', 'light'].includes(t)).length >= 2,
      ],
      [{ constant_score: { filter: { exists: { field: 'tags' } }, boost: 2 } }, (p) => p.tags.length > 0],
      [{ dis_max: { queries: [{ match: { name: 'chair' } }, { term: { brand: 'glowco' } }], tie_breaker: 0.3 } }, (p) => words(p).includes('chair') || p.brand === 'glowco'],
    ]
    for (const [query, test] of cases) {
      const expected = where(test)
      expect(await matches(query), JSON.stringify(query)).toEqual(expected)
    }
    // Every case is selective and none matches everything but match_all: the filters really filter.
    expect(cases.filter(([, test]) => where(test).length === ALL.length)).toHaveLength(1)
  })

  it('combines a typed query, filter and sort, and pages with typed search_after values', async () => {
    const query: Query = { match: { name: 'lamp chair' } }
    const filter: Query = { range: { stock: { gt: 0 } } }
    const sort: Sort = [{ price: { order: 'desc', missing: '_last' } }, '_doc']
    const expected = where((p) => p.stock > 0 && words(p).some((w) => w === 'lamp' || w === 'chair'))
      .sort((a, b) => (PRODUCTS[b].price ?? -Infinity) - (PRODUCTS[a].price ?? -Infinity))
    expect(expected.length).toBeGreaterThan(3)

    const full = await index.search({ query, filter, sort, size: 100 })
    expect(full.total).toBe(expected.length)
    expect(full.hits.map((hit) => hit.id)).toEqual(expected)
    expect(full.hits.map((hit) => hit.sort?.[0])).toEqual(expected.map((id) => PRODUCTS[id].price))

    const pages: string[] = []
    let searchAfter: readonly SearchAfterValue[] | undefined
    for (;;) {
      const body: SearchBody = { query, filter, sort, size: 2, searchAfter }
      const { hits } = await index.search(body)
      if (hits.length === 0) break
      pages.push(...hits.map((hit) => hit.id))
      searchAfter = hits[hits.length - 1].sort as SearchAfterValue[]
    }
    expect(pages).toEqual(expected)

    // Ascending, documents without a price first.
    const byPrice: Sort = [{ price: { order: 'asc', missing: '_first' } }, { _doc: 'asc' }]
    const ascending = await index.search({ sort: byPrice, size: 100 })
    const withoutPrice = where((p) => p.price === undefined)
    const withPrice = where((p) => p.price !== undefined).sort((a, b) => PRODUCTS[a].price! - PRODUCTS[b].price!)
    expect(ascending.hits.map((hit) => hit.id)).toEqual([...withoutPrice, ...withPrice])
  })

  it('refuses at run time what the types refuse at compile time', async () => {
    const queries: Query[] = [
      // @ts-expect-error: a misspelled match option
      { match: { name: { query: 'lamp', operater: 'and' } } },
      // @ts-expect-error: a query type lsr does not run
      { fuzzy: { name: 'lamb' } },
      // @ts-expect-error: two query types in one object
      { term: { brand: 'acme' }, match: { name: 'lamp' } },
      // @ts-expect-error: a misspelled bool clause
      { bool: { must_nt: [{ term: { brand: 'acme' } }] } },
      // @ts-expect-error: a misspelled option inside a nested clause
      { bool: { filter: [{ range: { price: { lte: 10, boots: 2 } } }] } },
      // @ts-expect-error: both gt and gte
      { range: { price: { gt: 1, gte: 2 } } },
      // @ts-expect-error: most_fields sums every field: it takes no tie_breaker
      { multi_match: { query: 'lamp', fields: ['name'], type: 'most_fields', tie_breaker: 0.5 } },
      // @ts-expect-error: a multi_match type lsr does not run
      { multi_match: { query: 'red lamp', type: 'bool_prefix' } },
      // @ts-expect-error: a phrase multi_match takes no operator
      { multi_match: { query: 'red lamp', type: 'phrase', operator: 'and' } },
      // @ts-expect-error: case-insensitive term queries are not supported
      { term: { brand: { value: 'ACME', case_insensitive: true } } },
      // @ts-expect-error: an exists query names its field under `field`
      { exists: { name: 'price' } },
      // @ts-expect-error: a prefix is a string
      { prefix: { brand: 7 } },
    ]
    const sorts: Sort[] = [
      // @ts-expect-error: a sort order is asc or desc
      [{ price: 'up' }],
      // @ts-expect-error: a misspelled sort option
      [{ price: { order: 'asc', missng: '_first' } }],
      // @ts-expect-error: a sort mode lsr does not have
      { price: { mode: 'avg' } },
      // @ts-expect-error: _score sorts take only an order
      { _score: { order: 'desc', mode: 'max' } },
    ]
    const bodies: SearchBody[] = [...queries.map((query) => ({ query })), ...queries.map((filter) => ({ filter })), ...sorts.map((sort) => ({ sort }))]
    for (const body of bodies) {
      await expect(index.search(body), JSON.stringify(body)).rejects.toBeInstanceOf(LsrError)
    }
  })

  it('types a search body: JSON read at run time is searched after a cast, and checked by the query compiler', async () => {
    // @ts-expect-error: a search body's query is a Query
    const misspelled: SearchBody = { query: { match_al: {} } }
    // @ts-expect-error: search_after values are sort values
    const nested: SearchBody = { sort: ['_doc'], searchAfter: [{ doc: 1 }] }
    for (const body of [misspelled, nested]) await expect(index.search(body)).rejects.toBeInstanceOf(LsrError)

    const json: unknown = JSON.parse('{"bool": {"filter": {"term": {"brand": "glowco"}}}}')
    // @ts-expect-error: unknown JSON is not a Query until the caller says so
    const unchecked: SearchBody = { query: json }
    expect(unchecked.query).toBe(json)
    const { total } = await index.search({ query: json as Query })
    expect(total).toBe(where((p) => p.brand === 'glowco').length)
  })
})
