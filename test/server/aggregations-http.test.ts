/**
 * Aggregations and post_filter over HTTP: `_search` on two indexes at once (`/a,b/_search` and a
 * wildcard), `aggs` and `aggregations`, `_msearch`, errors naming what they refuse, and a faceted
 * search through the official OpenSearch JavaScript client on a real port. Expected answers are
 * computed here by brute force from the random documents, after Elasticsearch's documented shapes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../helpers.js'
import { portServer, testApp, type Call } from './helpers.js'

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const MAPPINGS = {
  properties: {
    name: { type: 'text' },
    category: { type: 'keyword' },
    brand: { type: 'keyword' },
    tags: { type: 'keyword' },
    price: { type: 'double' },
    qty: { type: 'integer' },
    seq: { type: 'long' },
    released: { type: 'date' },
  },
}

const CATEGORIES = ['books', 'garden', 'toys', 'tools', 'music', 'games', 'food', 'home', 'sport', 'kids', 'auto', 'art']
const BRANDS = ['acme', 'zeta', 'nova', 'orbit', 'delta']
const TAGS = ['new', 'sale', 'eco', 'gift', 'rare']
const WORDS = ['red', 'green', 'lamp', 'chair', 'table']
const HOUR = 3_600_000

interface Product {
  index: string
  id: string
  source: Record<string, Json>
}

function randomSource(seq: number, next: () => number): Record<string, Json> {
  const int = (n: number) => Math.floor(next() * n)
  const skewed = <T>(values: readonly T[]) => values[Math.floor(next() * next() * values.length)]
  const distinct = <T>(count: number, make: () => T) => {
    const out: T[] = []
    for (let i = 0; i < 10 && out.length < count; i++) {
      const v = make()
      if (!out.includes(v)) out.push(v)
    }
    return out
  }
  const source: Record<string, Json> = { seq, name: Array.from({ length: 1 + int(3) }, () => WORDS[int(WORDS.length)]).join(' ') }
  const c = next()
  if (c < 0.25) source.category = distinct(2, () => skewed(CATEGORIES))
  else if (c < 0.92) source.category = skewed(CATEGORIES)
  if (next() < 0.85) source.brand = skewed(BRANDS)
  if (next() < 0.7) source.tags = distinct(1 + int(3), () => TAGS[int(TAGS.length)])
  if (next() < 0.9) source.price = next() < 0.15 ? distinct(2, () => int(30000) / 100) : int(30000) / 100
  source.qty = int(30)
  if (next() < 0.9) {
    // Around the end of February 2024 (the leap day) and of the year, often near midnight.
    const at = Date.UTC(2023, 11, 20) + int(80 * 24) * HOUR + int(4) * 15 * 60_000
    source.released = next() < 0.5 ? at : new Date(at).toISOString()
  }
  return source
}

const list = (v: unknown): Json[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])
const valuesOf = (p: Product, field: string): Json[] => list(p.source[field]).map((v) => (field === 'released' && typeof v === 'string' ? Date.parse(v) : v))

// --- brute force, after Elasticsearch's reference ---------------------------------------------

function terms(docs: Product[], field: string, size = 10, sub: (docs: Product[]) => Record<string, Json> = () => ({})): Json {
  const groups = new Map<string, Product[]>()
  for (const d of docs) {
    for (const v of new Set(valuesOf(d, field).map(String))) groups.set(v, [...(groups.get(v) ?? []), d])
  }
  const sorted = [...groups].sort(([ka, a], [kb, b]) => b.length - a.length || (ka < kb ? -1 : ka > kb ? 1 : 0))
  return {
    doc_count_error_upper_bound: 0,
    sum_other_doc_count: sorted.slice(size).reduce((n, [, ds]) => n + ds.length, 0),
    buckets: sorted.slice(0, size).map(([key, ds]) => ({ key, doc_count: ds.length, ...sub(ds) })),
  }
}
const numbers = (docs: Product[], field: string): number[] => docs.flatMap((d) => valuesOf(d, field) as number[])
function stats(values: number[]): Json {
  if (values.length === 0) return { count: 0, min: null, max: null, avg: null, sum: 0 }
  const sum = values.reduce((a, b) => a + b, 0)
  return { count: values.length, min: Math.min(...values), max: Math.max(...values), avg: sum / values.length, sum }
}
function percentile(values: number[], p: number): number | null {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const rank = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo])
}
const javaDouble = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n))
function percentiles(values: number[], percents: number[]): Json {
  return { values: Object.fromEntries(percents.map((p) => [javaDouble(p), percentile(values, p)])) }
}
const cardinality = (docs: Product[], field: string) => ({ value: new Set(docs.flatMap((d) => valuesOf(d, field))).size })
/** Calendar months at a fixed offset east of UTC (ms), empty months filled, keys at local midnight. */
function months(docs: Product[], field: string, offset: number, zone: string): Json {
  const groups = new Map<number, number>()
  for (const d of docs) {
    const starts = new Set(valuesOf(d, field).map((v: number) => {
      const local = new Date(v + offset)
      return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1)
    }))
    for (const s of starts) groups.set(s, (groups.get(s) ?? 0) + 1)
  }
  const starts = [...groups.keys()].sort((a, b) => a - b)
  const buckets = []
  if (starts.length > 0) {
    for (let s = starts[0]; s <= starts[starts.length - 1]; s = Date.UTC(new Date(s).getUTCFullYear(), new Date(s).getUTCMonth() + 1, 1)) {
      buckets.push({ key_as_string: `${new Date(s).toISOString().slice(0, 23)}${zone}`, key: s - offset, doc_count: groups.get(s) ?? 0 })
    }
  }
  return { buckets }
}
function ranges(docs: Product[], field: string, bounds: Array<{ from?: number; to?: number }>): Json {
  return {
    buckets: bounds.map(({ from, to }) => ({
      key: `${from === undefined ? '*' : javaDouble(from)}-${to === undefined ? '*' : javaDouble(to)}`,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      doc_count: docs.filter((d) => valuesOf(d, field).some((v: number) => (from === undefined || v >= from) && (to === undefined || v < to))).length,
    })),
  }
}
const has = (field: string, value: unknown) => (p: Product) => valuesOf(p, field).includes(value)
const hasWord = (word: string) => (p: Product) => String(p.source.name).split(' ').includes(word)

/** Numbers to 1e-9 relative (sums summed in another order), everything else exactly. */
function expectClose(actual: unknown, expected: unknown, path = 'aggregations'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(expected))) expect(actual, path).toBe(expected)
    return
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path}: ${JSON.stringify(actual)?.slice(0, 800)}`).toBe(true)
    const a = actual as Record<string, unknown>
    const e = expected as Record<string, unknown>
    expect(Object.keys(a).sort(), `${path} keys: ${JSON.stringify(a).slice(0, 1200)}\nexpected ${JSON.stringify(e).slice(0, 1200)}`).toEqual(Object.keys(e).sort())
    for (const key of Object.keys(e)) expectClose(a[key], e[key], `${path}.${key}`)
    return
  }
  expect(actual, path).toEqual(expected)
}

// --- the indexes ---------------------------------------------------------------------------------

const NDJSON = { 'content-type': 'application/x-ndjson' }
const ndjson = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

describe('aggregations over HTTP, across two indexes', () => {
  let dataDir: string
  let call: Call
  const live = new Map<string, Product>()
  const next = seededRandom(2024)

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lsr-aggs-http-'))
    ;({ call } = await testApp({}, dataDir))
    for (const index of ['a', 'b']) expect((await call('PUT', `/${index}`, { mappings: MAPPINGS })).status).toBe(200)
    // A field only b maps: unmapped in a.
    expect((await call('PUT', '/b/_mapping', { properties: { color: { type: 'keyword' } } })).status).toBe(200)
    const write = async (products: Product[]) => {
      const lines = products.flatMap((p) => [{ index: { _index: p.index, _id: p.id } }, p.source])
      const response = await call('POST', '/_bulk', ndjson(lines), NDJSON)
      expect(response.body.errors, JSON.stringify(response.body).slice(0, 500)).toBe(false)
      for (const p of products) live.set(`${p.index}/${p.id}`, p)
    }
    const products = Array.from({ length: 260 }, (_, seq): Product => {
      const index = seq % 3 === 0 ? 'b' : 'a'
      const source = randomSource(seq, next)
      if (index === 'b' && next() < 0.8) source.color = ['red', 'blue', 'black'][Math.floor(next() * 3)]
      return { index, id: `p${seq}`, source }
    })
    await write(products.slice(0, 150))
    await write(products.slice(150))
    // Updates (new values for the same id) and deletes in both indexes.
    await write(products.filter((_, i) => i % 8 === 1).map((p) => ({ ...p, source: randomSource(p.source.seq, next) })))
    const deleted = products.filter((_, i) => i % 6 === 4)
    const response = await call('POST', '/_bulk', ndjson(deleted.map((p) => ({ delete: { _index: p.index, _id: p.id } }))), NDJSON)
    expect(response.body.errors).toBe(false)
    for (const p of deleted) live.delete(`${p.index}/${p.id}`)
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  const AGGS = {
    cats: { terms: { field: 'category', size: 5 }, aggs: { tags: { cardinality: { field: 'tags' } }, median: { percentiles: { field: 'price', percents: [50] } } } },
    brands: { terms: { field: 'brand' } },
    price: { stats: { field: 'price' } },
    spread: { percentiles: { field: 'price' } },
    distinct_brands: { cardinality: { field: 'brand' } },
    months: { date_histogram: { field: 'released', calendar_interval: 'month', time_zone: '+05:30' } },
    price_ranges: { range: { field: 'price', ranges: [{ to: 100 }, { from: 100, to: 200 }, { from: 200 }] } },
    latest: { top_hits: { size: 4, sort: [{ seq: 'desc' }], _source: ['seq'] } },
  }
  const expectedAggs = (docs: Product[]) => ({
    cats: terms(docs, 'category', 5, (ds) => ({ tags: cardinality(ds, 'tags'), median: percentiles(numbers(ds, 'price'), [50]) })),
    brands: terms(docs, 'brand'),
    price: stats(numbers(docs, 'price')),
    spread: percentiles(numbers(docs, 'price'), [1, 5, 25, 50, 75, 95, 99]),
    distinct_brands: cardinality(docs, 'brand'),
    months: months(docs, 'released', 5.5 * HOUR, '+05:30'),
    price_ranges: ranges(docs, 'price', [{ to: 100 }, { from: 100, to: 200 }, { from: 200 }]),
  })
  const expectTopHits = (actual: Json, docs: Product[], size: number) => {
    const top = [...docs].sort((x, y) => y.source.seq - x.source.seq).slice(0, size)
    expect(actual.hits.total).toEqual({ value: docs.length, relation: 'eq' })
    expect(actual.hits.hits.map((h: Json) => [h._index, h._id, h._source, h.sort])).toEqual(top.map((p) => [p.index, p.id, { seq: p.source.seq }, [p.source.seq]]))
  }

  it('/a,b/_search: exact aggregations over both indexes with query + post_filter; hits restricted by post_filter only', async () => {
    const docs = [...live.values()]
    const matched = docs.filter(hasWord('red'))
    const hits = matched.filter(has('brand', 'acme'))
    expect(hits.length).toBeGreaterThan(5)
    expect(hits.length).toBeLessThan(matched.length)
    const response = await call('POST', '/a,b/_search', { query: { match: { name: 'red' } }, post_filter: { term: { brand: 'acme' } }, size: 500, aggs: AGGS })
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(200)
    expect(response.body.hits.total).toEqual({ value: hits.length, relation: 'eq' })
    expect(response.body.hits.hits.map((h: Json) => `${h._index}/${h._id}`).sort()).toEqual(hits.map((p) => `${p.index}/${p.id}`).sort())
    const { latest, ...rest } = response.body.aggregations
    expectClose(rest, expectedAggs(matched))
    expectTopHits(latest, matched, 4)
    // Both indexes contribute: the top hits come from each.
    expect(new Set(latest.hits.hits.map((h: Json) => h._index)).size).toBe(2)
  })

  it('a wildcard and `aggregations` answer the same; one index alone answers its own part', async () => {
    const both = await call('POST', '/a,b/_search', { size: 0, aggs: AGGS })
    const wildcard = await call('POST', '/*/_search', { size: 0, aggregations: AGGS })
    expect(wildcard.status).toBe(200)
    expect(wildcard.body.aggregations).toEqual(both.body.aggregations)
    const docs = [...live.values()]
    const { latest, ...rest } = both.body.aggregations
    expectClose(rest, expectedAggs(docs))
    expectTopHits(latest, docs, 4)
    const onlyB = await call('POST', '/b/_search', { size: 0, aggs: { brands: AGGS.brands, spread: AGGS.spread } })
    const inB = docs.filter((p) => p.index === 'b')
    expectClose(onlyB.body.aggregations, { brands: terms(inB, 'brand'), spread: percentiles(numbers(inB, 'price'), [1, 5, 25, 50, 75, 95, 99]) })
    expect(onlyB.body.hits).toEqual({ total: { value: inB.length, relation: 'eq' }, max_score: null, hits: [] })
  })

  it('a field only one index maps: buckets and counts from that index, missing counts the other', async () => {
    const docs = [...live.values()]
    expect(docs.filter((p) => p.source.color !== undefined).length).toBeGreaterThan(20)
    const response = await call('POST', '/a,b/_search', { size: 0, aggs: { colors: { terms: { field: 'color' } }, no_color: { missing: { field: 'color' } }, n: { cardinality: { field: 'color' } } } })
    expect(response.status).toBe(200)
    expectClose(response.body.aggregations, { colors: terms(docs, 'color'), no_color: { doc_count: docs.filter((p) => p.source.color === undefined).length }, n: cardinality(docs, 'color') })
    const onlyA = await call('POST', '/a/_search', { size: 0, aggs: { colors: { terms: { field: 'color' } }, avg: { avg: { field: 'color' } } } })
    expect(onlyA.body.aggregations).toEqual({ colors: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [] }, avg: { value: null } })
  })

  it('a search without aggs answers no aggregations key; filter_path can keep only them', async () => {
    const plain = await call('POST', '/a,b/_search', { size: 1 })
    expect(plain.body).not.toHaveProperty('aggregations')
    const only = await call('POST', '/a,b/_search?filter_path=aggregations', { size: 3, aggs: { brands: AGGS.brands } })
    expect(only.body).toEqual({ aggregations: { brands: terms([...live.values()], 'brand') } })
  })

  it('rest_total_hits_as_int gives top_hits totals as numbers too, and too many buckets is a too_many_buckets_exception', async () => {
    const answer = await call('POST', '/a/_search?rest_total_hits_as_int=true', { size: 0, aggs: { c: { terms: { field: 'category', size: 2 }, aggs: { top: { top_hits: { size: 1 } } } } } })
    expect(answer.status).toBe(200)
    expect(typeof answer.body.hits.total).toBe('number')
    for (const bucket of answer.body.aggregations.c.buckets) expect(bucket.top.hits.total).toBe(bucket.doc_count)
    const tooMany = await call('POST', '/a/_search', { size: 0, aggs: { h: { histogram: { field: 'price', interval: 0.0001 } } } })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.error.type).toBe('too_many_buckets_exception')
  })

  it('terms counts each index by its own mapping: a keyword indexed in one and doc-values-only in the other', async () => {
    expect((await call('PUT', '/kw1', { mappings: { properties: { tag: { type: 'keyword' } } } })).status).toBe(200)
    expect((await call('PUT', '/kw2', { mappings: { properties: { tag: { type: 'keyword', index: false } } } })).status).toBe(200)
    const docs = Array.from({ length: 40 }, (_, i) => ({ index: { _id: String(i) } })).flatMap((head, i) => [head, { tag: `t${i % 2}` }])
    for (const name of ['kw1', 'kw2']) expect((await call('POST', `/${name}/_bulk`, ndjson(docs), NDJSON)).body.errors).toBe(false)
    for (const hint of ['bitmaps', 'map']) {
      const answer = await call('POST', '/kw1,kw2/_search', { size: 0, aggs: { t: { terms: { field: 'tag', execution_hint: hint } } } })
      expect(answer.body.aggregations.t.buckets, hint).toEqual([{ key: 't0', doc_count: 40 }, { key: 't1', doc_count: 40 }])
    }
    for (const name of ['kw1', 'kw2']) await call('DELETE', `/${name}`)
  })

  it('typed_keys names each result type#name as Elasticsearch (the Java and .NET clients ask for it)', async () => {
    const aggs = {
      cats: { terms: { field: 'category', size: 2 }, aggs: { p: { percentiles: { field: 'price', percents: [50] } }, top: { top_hits: { size: 1 } } } },
      prices: { terms: { field: 'price', size: 1 } },
      nothing: { terms: { field: 'no_such_field' } },
      hist: { histogram: { field: 'price', interval: 100 }, aggs: { s: { stats: { field: 'price' } } } },
    }
    const typed = (await call('POST', '/a/_search?typed_keys=true', { size: 0, aggs })).body.aggregations
    expect(Object.keys(typed).sort()).toEqual(['dterms#prices', 'histogram#hist', 'sterms#cats', 'umterms#nothing'])
    expect(Object.keys(typed['sterms#cats'].buckets[0]).sort()).toEqual(['doc_count', 'key', 'tdigest_percentiles#p', 'top_hits#top'])
    expect(Object.keys(typed['histogram#hist'].buckets[0])).toContain('stats#s')
    const plain = (await call('POST', '/a/_search', { size: 0, aggs })).body.aggregations
    expect(typed['sterms#cats'].buckets.map((b: Json) => b.doc_count)).toEqual(plain.cats.buckets.map((b: Json) => b.doc_count))
    expect((await call('POST', '/a/_search?typed_keys=maybe', { size: 0 })).status).toBe(400)
  })

  it('_msearch runs each search\'s aggregations', async () => {
    const docs = [...live.values()]
    const response = await call('POST', '/_msearch', ndjson([
      { index: 'a' }, { size: 0, aggs: { brands: AGGS.brands } },
      { index: 'a,b' }, { size: 0, query: { term: { category: 'toys' } }, aggregations: { price: AGGS.price } },
      { index: 'b' }, { size: 0, aggs: { bad: { no_such_agg: {} } } },
    ]), NDJSON)
    expect(response.status).toBe(200)
    const [first, second, third] = response.body.responses
    expect(first.status).toBe(200)
    expectClose(first.aggregations, { brands: terms(docs.filter((p) => p.index === 'a'), 'brand') })
    expectClose(second.aggregations, { price: stats(numbers(docs.filter(has('category', 'toys')), 'price')) })
    expect(third.status).toBe(400)
    expect(JSON.stringify(third.error)).toContain('no_such_agg')
  })

  it('refuses `aggs` with `aggregations`, unknown types and options, regex include and text fields with a 400 naming them', async () => {
    const refused: Array<[Json, RegExp[]]> = [
      [{ aggs: { x: { terms: { field: 'brand' } } }, aggregations: { y: { terms: { field: 'brand' } } } }, [/aggs|aggregations/]],
      [{ aggs: { x: { significant_terms: { field: 'brand' } } } }, [/significant_terms/]],
      [{ aggs: { x: { terms: { field: 'brand', bogus_option: 3 } } } }, [/bogus_option/]],
      [{ aggs: { x: { terms: { field: 'brand', include: 'ac.*' } } } }, [/include/]],
      [{ aggs: { x: { terms: { field: 'name' } } } }, [/name/]],
      [{ aggs: { x: { avg: { field: 'price' }, aggs: { y: { max: { field: 'price' } } } } } }, [/avg/]],
      [{ aggs: { x: { date_histogram: { field: 'released', calendar_interval: '3M' } } } }, [/3M/]],
      [{ aggs: { x: { histogram: { field: 'price', interval: -5 } } } }, [/interval/]],
      [{ aggs: { x: 'terms' } }, [/\bx\b/]],
    ]
    for (const [body, names] of refused) {
      const response = await call('POST', '/a,b/_search', body)
      const where = JSON.stringify(body)
      expect(response.status, `${where} -> ${JSON.stringify(response.body)}`).toBe(400)
      expect(response.body.status, where).toBe(400)
      expect(response.body.error?.type, where).toBeTypeOf('string')
      for (const name of names) expect(JSON.stringify(response.body.error), where).toMatch(name)
    }
  })
})

describe('a faceted search through the official OpenSearch client', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  let client: Client
  const next = seededRandom(99)
  const products = Array.from({ length: 180 }, (_, seq): Product => ({ index: 'shop', id: `s${seq}`, source: randomSource(seq, next) }))

  beforeAll(async () => {
    server = await portServer()
    client = new Client({ node: server.url })
    await client.indices.create({ index: 'shop', body: { mappings: MAPPINGS as never } })
    const loaded = await client.helpers.bulk({
      datasource: products.map((p) => p.source),
      onDocument: (source) => ({ index: { _index: 'shop', _id: `s${(source as { seq: number }).seq}` } }),
      refreshOnCompletion: true,
    })
    expect(loaded).toMatchObject({ total: products.length, failed: 0 })
  })
  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  it('query + facet aggregations + post_filter: hits filtered by the selected facet, facets counted before it', async () => {
    const selected = { term: { category: 'toys' } }
    const response = await client.search({
      index: 'shop',
      body: {
        query: { match: { name: 'green' } },
        size: 200,
        post_filter: selected,
        aggs: {
          categories: { terms: { field: 'category', size: 20 } },
          // The other facets count under the selection, as faceting UIs ask for them.
          brands: { filter: selected, aggs: { brands: { terms: { field: 'brand' } } } },
          prices: { filter: selected, aggs: { ranges: { range: { field: 'price', ranges: [{ to: 50 }, { from: 50, to: 150 }, { from: 150 }] } }, stats: { stats: { field: 'price' } } } },
        },
      } as never,
    })
    const body = response.body as Json
    const matched = products.filter(hasWord('green'))
    const shown = matched.filter(has('category', 'toys'))
    expect(shown.length).toBeGreaterThan(3)
    expect(body.hits.total).toEqual({ value: shown.length, relation: 'eq' })
    expect(body.hits.hits.map((h: Json) => h._id).sort()).toEqual(shown.map((p) => p.id).sort())
    // _source comes back as it was sent.
    for (const hit of body.hits.hits) expect(hit._source).toEqual(products.find((p) => p.id === hit._id)!.source)
    expectClose(body.aggregations, {
      categories: terms(matched, 'category', 20),
      brands: { doc_count: shown.length, brands: terms(shown, 'brand') },
      prices: { doc_count: shown.length, ranges: ranges(shown, 'price', [{ to: 50 }, { from: 50, to: 150 }, { from: 150 }]), stats: stats(numbers(shown, 'price')) },
    })
    const toys = body.aggregations.categories.buckets.find((b: Json) => b.key === 'toys')
    expect(toys.doc_count).toBe(shown.length)
  })
})
