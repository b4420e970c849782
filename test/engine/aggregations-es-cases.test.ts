/**
 * Aggregation answers checked case by case against what Elasticsearch's source does (found by the
 * brute-force suite's author, who read HistogramAggregator, DoubleBounds, InternalOrder): hard and
 * extended bounds, bounds in a time zone, ordering by an empty min or max, refusals; and the
 * library refusing a search option it does not know.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LsrError } from '../../src/errors.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import type { Aggregations } from '../../src/index.js'

let index: SparseIndex
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsr-aggs-es-'))
  index = await SparseIndex.open(dir, {
    create: true,
    encoder: null,
    schema: { mappings: { properties: { k: { type: 'keyword' }, n: { type: 'integer' }, t: { type: 'keyword' }, d: { type: 'date' } } } },
  })
  await index.add([
    { id: '1', title: '', text: '', source: { k: 'a', n: 5, t: 'sale', d: '2024-02-29T10:00:00Z' } },
    { id: '2', title: '', text: '', source: { k: 'b', n: 7 } },
    { id: '3', title: '', text: '', source: { k: 'c', n: 1, t: 'sale' } },
    { id: '4', title: '', text: '', source: { k: 'd', n: 2 } },
  ])
})

afterAll(async () => {
  await index.close()
  await rm(dir, { recursive: true, force: true })
})

async function aggs(request: Aggregations): Promise<Record<string, any>> {
  return (await index.search({ aggs: request, size: 0 })).aggregations!
}

const keys = (result: any) => result.buckets.map((b: { key: number | string }) => b.key)

describe('aggregations as Elasticsearch computes them', () => {
  it('hard_bounds keep a value whose bucket key lies within [min, max], both included', async () => {
    expect(keys((await aggs({ h: { histogram: { field: 'n', interval: 2, hard_bounds: { min: 2, max: 5 } } } })).h)).toEqual([2, 4])
    expect(keys((await aggs({ h: { histogram: { field: 'n', interval: 2, hard_bounds: { min: 2, max: 6 } } } })).h)).toEqual([2, 4, 6])
  })

  it('date hard_bounds are rounded and test each value\'s bucket start, max excluded', async () => {
    const dir3 = await mkdtemp(join(tmpdir(), 'lsr-aggs-dates-'))
    const dated = await SparseIndex.open(dir3, { create: true, encoder: null, schema: { mappings: { properties: { d: { type: 'date' } } } } })
    await dated.add(['2024-01-10', '2024-01-20', '2024-03-20'].map((d, i) => ({ id: String(i), title: '', text: '', source: { d } })))
    const months = async (extra: object) => ((await dated.search({ aggs: { m: { date_histogram: { field: 'd', calendar_interval: 'month', ...extra } } } as never, size: 0 })).aggregations!.m as any).buckets.map((b: any) => [b.key_as_string.slice(0, 7), b.doc_count])
    // [Jan 15, Mar 15) rounds to [Jan 1, Mar 1): both January documents, not the one of March.
    expect(await months({ hard_bounds: { min: '2024-01-15', max: '2024-03-15' } })).toEqual([['2024-01', 2]])
    // Extended bounds are compared after rounding too (Mar 20 and Mar 15 are the same month), and
    // fill up to the hard max, which is excluded.
    expect(await months({ hard_bounds: { min: '2024-01-15', max: '2024-03-15' }, extended_bounds: { min: '2024-01-01', max: '2024-03-20' } })).toEqual([['2024-01', 2], ['2024-02', 0]])
    await dated.close()
    await rm(dir3, { recursive: true, force: true })
  })

  it('extended_bounds outside hard_bounds are a 400, not clipped', async () => {
    await expect(aggs({ h: { histogram: { field: 'n', interval: 2, extended_bounds: { min: 0, max: 20 }, hard_bounds: { min: 2, max: 10 } } } }))
      .rejects.toThrow(/Extended bounds have to be inside hard bounds/)
  })

  it('date_histogram reads extended_bounds in its format and time zone', async () => {
    const result = await aggs({ h: { date_histogram: { field: 'd', calendar_interval: 'day', time_zone: '-08:00', format: 'yyyy-MM-dd', extended_bounds: { min: '2024-02-28', max: '2024-03-01' } } } })
    expect(result.h.buckets.map((b: any) => [b.key_as_string, b.doc_count])).toEqual([['2024-02-28', 0], ['2024-02-29', 1], ['2024-03-01', 0]])
  })

  it('ordering by an empty max puts it first ascending; by an empty min, first descending; an empty avg always last', async () => {
    const by = async (metric: 'max' | 'min' | 'avg', order: 'asc' | 'desc') =>
      keys((await aggs({ k: { terms: { field: 'k', order: { 'f>m': order } }, aggs: { f: { filter: { term: { t: 'sale' } }, aggs: { m: { [metric]: { field: 'n' } } as never } } } } })).k)
    expect(await by('max', 'asc')).toEqual(['b', 'd', 'c', 'a'])
    expect(await by('max', 'desc')).toEqual(['a', 'c', 'b', 'd'])
    expect(await by('min', 'desc')).toEqual(['b', 'd', 'a', 'c'])
    expect(await by('min', 'asc')).toEqual(['c', 'a', 'b', 'd'])
    expect(await by('avg', 'asc')).toEqual(['c', 'a', 'b', 'd'])
    expect(await by('avg', 'desc')).toEqual(['a', 'c', 'b', 'd'])
  })

  it('refuses empty filters, and too many buckets with too_many_buckets', async () => {
    await expect(aggs({ f: { filters: { filters: {} } } })).rejects.toThrow(/\[filters\] cannot be empty/)
    const tooMany = await aggs({ h: { histogram: { field: 'n', interval: 0.00001 } } }).catch((error: unknown) => error)
    expect(tooMany).toBeInstanceOf(LsrError)
    expect((tooMany as LsrError).code).toBe('too_many_buckets')
  })
})

describe('limits and formats', () => {
  it('a boolean metric shows any value but 0 as true; a thousand sibling top_hits are refused before they rank', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'lsr-aggs-bool-'))
    const flags = await SparseIndex.open(dir2, { create: true, encoder: null, schema: { mappings: { properties: { f: { type: 'boolean' } } } } })
    await flags.add([true, true, false].map((f, i) => ({ id: String(i), title: '', text: '', source: { f } })))
    const result = (await flags.search({ aggs: { s: { sum: { field: 'f' } }, z: { min: { field: 'f' } } }, size: 0 })).aggregations!
    expect(result).toEqual({ s: { value: 2, value_as_string: 'true' }, z: { value: 0, value_as_string: 'false' } })
    await flags.close()
    await rm(dir2, { recursive: true, force: true })
    const siblings = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`t${i}`, { top_hits: { size: 4 } }]))
    await expect(aggs(siblings)).rejects.toThrow(/top_hits aggregations would show more than 10000 hits/)
  })

  it('missing on a field no index maps is a bucket keyed as given; percents take numeric strings', async () => {
    expect((await aggs({ t: { terms: { field: 'nosuch', missing: 'N/A' } } })).t.buckets).toEqual([{ key: 'N/A', doc_count: 4 }])
    expect((await aggs({ p: { percentiles: { field: 'n', percents: ['50'] as never } } })).p).toEqual({ values: { '50.0': 3.5 } })
  })

  it('an other bucket named as a filter is refused; null is not an aggregation', async () => {
    await expect(aggs({ f: { filters: { other_bucket: true, filters: { _other_: { match_all: {} } } } } })).rejects.toThrow(/also the name of a filter/)
    await expect(aggs({ a: null } as never)).rejects.toThrow('Expected [START_OBJECT] under [a], but got null in [a]')
    await expect(index.search({ aggs: null } as never)).rejects.toThrow(/must be an object/)
  })
})

describe('review findings', () => {
  it('meta keeps an empty min ordered first descending; sums overflow to Infinity, not null; format needs a date field', async () => {
    const plain = keys((await aggs({ k: { terms: { field: 'k', order: { lo: 'desc' } }, aggs: { lo: { min: { field: 'n' } } } } })).k)
    const withMeta = keys((await aggs({ k: { terms: { field: 'k', order: { lo: 'desc' } }, aggs: { lo: { min: { field: 'n' }, meta: { x: 1 } } } } })).k)
    expect(withMeta).toEqual(plain)
    await expect(aggs({ a: { avg: { field: 'n', format: '0.00' } } })).rejects.toThrow(/\[format\] applies to date fields here/)
    const dir4 = await mkdtemp(join(tmpdir(), 'lsr-aggs-big-'))
    const big = await SparseIndex.open(dir4, { create: true, encoder: null, schema: { mappings: { properties: { x: { type: 'double' } } } } })
    await big.add([1e308, 1e308, 1].map((x, i) => ({ id: String(i), title: '', text: '', source: { x } })))
    const result = (await big.search({ aggs: { s: { sum: { field: 'x' } }, st: { stats: { field: 'x' } } }, size: 0 })).aggregations as any
    expect(result.s.value).toBe(Infinity)
    expect(result.st).toMatchObject({ count: 3, sum: Infinity, avg: Infinity, max: 1e308 })
    await big.close()
    await rm(dir4, { recursive: true, force: true })
  })

  it('a document\'s repeated values count once in terms and histogram', async () => {
    const dir5 = await mkdtemp(join(tmpdir(), 'lsr-aggs-many-'))
    const many = await SparseIndex.open(dir5, { create: true, encoder: null, schema: { mappings: { properties: { v: { type: 'integer' } } } } })
    const values = Array.from({ length: 20_000 }, (_, i) => i % 7)
    await many.add([{ id: 'm', title: '', text: '', source: { v: values } }])
    const result = (await many.search({ aggs: { t: { terms: { field: 'v' } }, h: { histogram: { field: 'v', interval: 2 } } }, size: 0 })).aggregations as any
    expect(result.t.buckets.map((b: any) => [b.key, b.doc_count])).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => [k, 1]))
    expect(result.h.buckets.map((b: any) => [b.key, b.doc_count])).toEqual([[0, 1], [2, 1], [4, 1], [6, 1]])
    await many.close()
    await rm(dir5, { recursive: true, force: true })
  })
})

describe('names a request chooses', () => {
  it('__proto__ and constructor are ordinary names of aggregations, filters and ranges', async () => {
    const request = JSON.parse('{"__proto__": {"filters": {"filters": {"__proto__": {"term": {"t": "sale"}}, "constructor": {"match_all": {}}}}}, "r": {"range": {"field": "n", "keyed": true, "ranges": [{"key": "__proto__", "to": 3}]}}}')
    const result = JSON.parse(JSON.stringify(await aggs(request)))
    expect(result).toEqual(JSON.parse('{"__proto__": {"buckets": {"__proto__": {"doc_count": 2}, "constructor": {"doc_count": 4}}}, "r": {"buckets": {"__proto__": {"to": 3, "doc_count": 2}}}}'))
    expect(Object.keys(result)).toEqual(['__proto__', 'r'])
  })
})

describe('the library search body', () => {
  it('refuses a key it does not know, naming the library spelling of an Elasticsearch one', async () => {
    const bad = (body: object) => index.search(body as never)
    await expect(bad({ post_filter: { match_all: {} } })).rejects.toThrow('search option [post_filter] is not supported (the library names it postFilter)')
    await expect(bad({ aggregations: {} })).rejects.toThrow('search option [aggregations] is not supported (the library names it aggs)')
    await expect(bad({ colour: 1 })).rejects.toThrow('search option [colour] is not supported')
  })
})
