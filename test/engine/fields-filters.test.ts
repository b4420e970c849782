/**
 * Typed exact queries (term, terms, range, exists, prefix, ids, bool of them) on random products
 * with keyword, text, float, double, integer, date and boolean fields (some missing, null or empty,
 * some multi-valued, some numbers and booleans written as strings), against brute-force filters
 * written here from the raw values; date math under a fixed clock.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex, type SearchBody, type SearchResult } from '../../src/engine/sparse-index.js'
import { LsrError } from '../../src/errors.js'
import type { Query } from '../../src/engine/query/types.js'
import { seededRandom } from '../helpers.js'

const DAY = 86_400_000
/** The clock of date math: 2024-06-15T13:45:00Z. */
const NOW = Date.UTC(2024, 5, 15, 13, 45)

const SCHEMA = {
  mappings: {
    properties: {
      sku: { type: 'keyword' },
      name: { type: 'text' },
      category: { type: 'keyword' },
      price: { type: 'float' },
      weight: { type: 'double' },
      stock: { type: 'integer' },
      released: { type: 'date', format: 'yyyy-MM-dd||epoch_millis' },
      updated: { type: 'date' },
      active: { type: 'boolean' },
    },
  },
}

type Value = number | string
/** A product as the test reads its raw source: every field's values, parsed as the field's type reads them. */
type Parsed = Record<string, Value[]>

const PRICES: unknown[] = [0.1, 5, 9.99, 19.5, '19.50', 19.99, '19.99', 20, 100.25, 33.3, 0.001]
const CATEGORIES = ['books', 'garden', 'toys', 'tools', 'tool']
const NAME_WORDS = ['red', 'green', 'lamp', 'chair', 'lantern', 'lamb', 'table']

const isoDay = (millis: number) => new Date(millis).toISOString().slice(0, 10)

function randomProduct(next: () => number): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]
  const int = (n: number) => Math.floor(next() * n)
  const maybe = (p: number, make: () => unknown) => (next() < p ? make() : undefined)
  const oneOrMany = (make: () => unknown, many = 0.2) => (next() < many ? [make(), make()] : make())
  // A day from 2024-05-25 to 2024-06-20: a date string, or epoch millis with a time of day.
  const released = () => {
    const day = Date.UTC(2024, 4, 25) + int(27) * DAY
    return next() < 0.7 ? isoDay(day) : day + int(24) * 3_600_000
  }
  const updated = () => {
    const at = NOW - int(5 * 24) * 3_600_000 + pick([0, 30 * 60_000])
    return new Date(at).toISOString().replace('.000Z', 'Z')
  }
  const source: Record<string, unknown> = {
    sku: maybe(0.9, () => `${pick(['AB', 'AC', 'B', 'XY'])}-${int(30)}`),
    name: maybe(0.9, () => Array.from({ length: 1 + int(3) }, () => pick(NAME_WORDS)).join(' ')),
    category: next() < 0.1 ? pick([null, []]) : maybe(0.85, () => (next() < 0.3 ? Array.from({ length: 1 + int(3) }, () => pick(CATEGORIES)) : pick(CATEGORIES))),
    price: maybe(0.9, () => oneOrMany(() => pick(PRICES), 0.1)),
    weight: maybe(0.8, () => int(1000) / 100),
    stock: maybe(0.9, () => oneOrMany(() => (next() < 0.2 ? String(int(7)) : int(7)))),
    released: maybe(0.9, () => oneOrMany(released, 0.15)),
    updated: maybe(0.85, updated),
    active: maybe(0.85, () => pick([true, false, 'true', 'false'])),
  }
  for (const key of Object.keys(source)) if (source[key] === undefined) delete source[key]
  return source
}

/** The values each field holds, parsed as the engine's field types read them (written independently of it). */
function parse(source: Record<string, unknown>): Parsed {
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.filter((x) => x !== null) : [v])
  const dayOrMillis = (v: unknown) => {
    if (typeof v === 'number') return v
    const [y, m, d] = String(v).split('-').map(Number)
    return Date.UTC(y, m - 1, d)
  }
  return {
    sku: list(source.sku).map(String),
    name: list(source.name).flatMap((v) => String(v).split(' ')),
    category: list(source.category).map(String),
    price: list(source.price).map((v) => Math.fround(Number(v))),
    weight: list(source.weight).map(Number),
    stock: list(source.stock).map((v) => Math.trunc(Number(v))),
    released: list(source.released).map(dayOrMillis),
    updated: list(source.updated).map((v) => Date.parse(String(v))),
    active: list(source.active).map((v) => (v === true || v === 'true' ? 1 : 0)),
  }
}

/** Live products in doc-id order (an update moves a product to the end, as it gets a new doc id). */
class Model {
  readonly docs = new Map<string, { source: Record<string, unknown>; values: Parsed }>()

  add(id: string, source: Record<string, unknown>): void {
    this.docs.delete(id)
    this.docs.set(id, { source, values: parse(source) })
  }

  /** Ids of live products that the predicate accepts, in doc-id order. */
  where(test: (values: Parsed, id: string) => boolean): string[] {
    return [...this.docs].filter(([id, doc]) => test(doc.values, id)).map(([id]) => id)
  }
}

const any = (field: string, test: (v: Value) => boolean) => (values: Parsed) => values[field].some(test)
/** The same for a numeric, date or boolean field (values are numbers). */
const num = (field: string, test: (v: number) => boolean) => any(field, (v) => test(v as number))
const f32 = Math.fround

/** Each query with its brute-force predicate. */
function cases(model: Model): Array<{ query: Query; test: (values: Parsed, id: string) => boolean; bm25?: true; filterOnly?: true; score?: (values: Parsed) => number }> {
  const first = (field: string) => [...model.docs.values()].map((d) => d.values[field][0]).find((v) => v !== undefined)!
  const sku = first('sku')
  const weight = first('weight') as number
  const updated = first('updated') as number
  const updatedText = new Date(updated).toISOString()
  const cmp = {
    gt: (a: number, b: number) => a > b,
    gte: (a: number, b: number) => a >= b,
    lt: (a: number, b: number) => a < b,
    lte: (a: number, b: number) => a <= b,
  }
  const priceRanges = [0.1, 9.99, 19.5, 19.99, 20, 33.3].flatMap((bound) =>
    (['gt', 'gte', 'lt', 'lte'] as const).map((op) => ({ query: { range: { price: { [op]: bound } } }, test: num('price', (v) => cmp[op](v, f32(bound))) })),
  )
  const dayStart = (iso: string) => Date.parse(`${iso}T00:00:00Z`)
  const dayEnd = (iso: string) => dayStart(iso) + DAY - 1
  return [
    { query: { term: { sku } }, test: any('sku', (v) => v === sku) },
    { query: { term: { sku: 'no-such-sku' } }, test: () => false },
    { query: { term: { price: '19.50' } }, test: num('price', (v) => v === 19.5) },
    { query: { term: { price: 19.5 } }, test: num('price', (v) => v === 19.5) },
    { query: { term: { price: 19.99 } }, test: num('price', (v) => v === f32(19.99)) },
    { query: { term: { price: { value: '19.99' } } }, test: num('price', (v) => v === f32(19.99)) },
    { query: { term: { price: 0.001 } }, test: num('price', (v) => v === f32(0.001)) },
    { query: { term: { weight } }, test: num('weight', (v) => v === weight) },
    { query: { term: { stock: '3' } }, test: num('stock', (v) => v === 3) },
    { query: { term: { stock: 3.5 } }, test: () => false },
    { query: { term: { active: true } }, test: num('active', (v) => v === 1) },
    { query: { term: { active: 'false' } }, test: num('active', (v) => v === 0) },
    { query: { term: { released: '2024-06-01' } }, test: num('released', (v) => v === Date.UTC(2024, 5, 1)) },
    { query: { term: { updated: updatedText } }, test: num('updated', (v) => v === updated) },
    { query: { term: { updated } }, test: num('updated', (v) => v === updated) },
    { query: { term: { category: 'toys' } }, test: any('category', (v) => v === 'toys') },
    // A term on a text field finds the token as given (not analyzed) and scores it with BM25.
    { query: { term: { name: 'lamp' } }, test: any('name', (v) => v === 'lamp'), bm25: true },
    { query: { terms: { category: ['toys', 'tool'] } }, test: any('category', (v) => v === 'toys' || v === 'tool') },
    { query: { terms: { stock: [1, '2', 5] } }, test: num('stock', (v) => v === 1 || v === 2 || v === 5) },
    { query: { terms: { price: [5, '19.5', 19.99] } }, test: num('price', (v) => v === 5 || v === 19.5 || v === f32(19.99)) },
    { query: { terms: { active: [true] } }, test: num('active', (v) => v === 1) },
    { query: { terms: { released: ['2024-06-01', '2024-06-02'] } }, test: num('released', (v) => v === Date.UTC(2024, 5, 1) || v === Date.UTC(2024, 5, 2)) },
    { query: { terms: { sku: [] } }, test: () => false },
    ...priceRanges,
    { query: { range: { price: { gte: 9.99, lt: 20 } } }, test: num('price', (v) => v >= f32(9.99) && v < 20) },
    { query: { range: { price: { gt: '5', lte: '19.99' } } }, test: num('price', (v) => v > 5 && v <= f32(19.99)) },
    { query: { range: { weight: { gte: weight } } }, test: num('weight', (v) => v >= weight) },
    { query: { range: { weight: { gt: weight, lte: 7.5 } } }, test: num('weight', (v) => v > weight && v <= 7.5) },
    { query: { range: { stock: { gte: 2.5 } } }, test: num('stock', (v) => v >= 3) },
    { query: { range: { stock: { gt: 2 } } }, test: num('stock', (v) => v > 2) },
    { query: { range: { stock: { lte: 2.5 } } }, test: num('stock', (v) => v <= 2) },
    { query: { range: { stock: { gte: '2', lt: 4 } } }, test: num('stock', (v) => v >= 2 && v < 4) },
    // A plain date: gte/lt take its start, gt/lte its last millisecond.
    { query: { range: { released: { gte: '2024-06-01' } } }, test: num('released', (v) => v >= dayStart('2024-06-01')) },
    { query: { range: { released: { gt: '2024-06-01' } } }, test: num('released', (v) => v > dayEnd('2024-06-01')) },
    { query: { range: { released: { lt: '2024-06-01' } } }, test: num('released', (v) => v < dayStart('2024-06-01')) },
    { query: { range: { released: { lte: '2024-06-01' } } }, test: num('released', (v) => v <= dayEnd('2024-06-01')) },
    { query: { range: { released: { gte: '01/06/2024', lte: '05/06/2024', format: 'dd/MM/yyyy' } } }, test: num('released', (v) => v >= dayStart('2024-06-01') && v <= dayEnd('2024-06-05')) },
    // Date math under the fixed clock: rounding down for gte/lt, up for gt/lte.
    { query: { range: { released: { gte: 'now-7d/d' } } }, test: num('released', (v) => v >= Date.UTC(2024, 5, 8)) },
    { query: { range: { released: { lt: 'now/d' } } }, test: num('released', (v) => v < Date.UTC(2024, 5, 15)) },
    { query: { range: { released: { gt: 'now-7d/d', lte: 'now/d' } } }, test: num('released', (v) => v >= Date.UTC(2024, 5, 9) && v < Date.UTC(2024, 5, 16)) },
    { query: { range: { released: { gte: '2024-06-01||+1w/d', lt: '2024-06-01||+1M' } } }, test: num('released', (v) => v >= Date.UTC(2024, 5, 8) && v < Date.UTC(2024, 6, 1)) },
    { query: { range: { updated: { gte: 'now-2d', lt: 'now' } } }, test: num('updated', (v) => v >= NOW - 2 * DAY && v < NOW) },
    { query: { range: { updated: { gte: updatedText } } }, test: num('updated', (v) => v >= updated) },
    { query: { range: { updated: { gt: updated } } }, test: num('updated', (v) => v > updated) },
    { query: { range: { updated: { gte: '2024-06-14', time_zone: '+02:00' } } }, test: num('updated', (v) => v >= Date.UTC(2024, 5, 13, 22)) },
    { query: { range: { updated: { lte: '2024-06-13||/d' } } }, test: num('updated', (v) => v < Date.UTC(2024, 5, 14)) },
    { query: { range: { active: { gte: true } } }, test: num('active', (v) => v === 1) },
    { query: { range: { missing_field: { gte: 1 } } }, test: () => false },
    ...['sku', 'name', 'category', 'price', 'weight', 'stock', 'released', 'updated', 'active'].map((field) => ({ query: { exists: { field } }, test: (values: Parsed) => values[field].length > 0 })),
    { query: { exists: { field: 'missing_field' } }, test: () => false },
    { query: { prefix: { sku: 'AB' } }, test: any('sku', (v) => (v as string).startsWith('AB')) },
    { query: { prefix: { sku: 'A' } }, test: any('sku', (v) => (v as string).startsWith('A')) },
    { query: { prefix: { sku: { value: 'XY-1' } } }, test: any('sku', (v) => (v as string).startsWith('XY-1')) },
    { query: { prefix: { category: 'tool' } }, test: any('category', (v) => (v as string).startsWith('tool')) },
    { query: { prefix: { name: 'la' } }, test: any('name', (v) => (v as string).startsWith('la')) },
    { query: { ids: { values: [...model.docs.keys()].slice(0, 5).concat(['nope']) } }, test: (_, id) => [...model.docs.keys()].slice(0, 5).includes(id) },
    {
      query: {
        bool: {
          filter: [{ range: { price: { gte: 5 } } }, { exists: { field: 'released' } }],
          must_not: [{ term: { active: false } }],
          should: [{ term: { category: 'toys' } }, { prefix: { sku: 'AB' } }, { range: { stock: { lt: 2 } } }],
          minimum_should_match: 2,
        },
      },
      // Should clauses scoring a constant (prefix, range) cannot be scored yet: a filter only.
      filterOnly: true,
      test: (values) =>
        values.price.some((v) => (v as number) >= 5) &&
        values.released.length > 0 &&
        !values.active.includes(0) &&
        [values.category.includes('toys'), values.sku.some((v) => (v as string).startsWith('AB')), values.stock.some((v) => (v as number) < 2)].filter(Boolean).length >= 2,
    },
    {
      query: { bool: { should: [{ term: { stock: 0 } }, { bool: { must: [{ term: { active: true } }, { terms: { category: ['garden', 'books'] } }] } }] } },
      test: (values) => values.stock.includes(0) || (values.active.includes(1) && values.category.some((v) => v === 'garden' || v === 'books')),
      // Each matching clause adds its score: 1 for the stock term, 1 + 1 for the inner bool.
      score: (values) => (values.stock.includes(0) ? 1 : 0) + (values.active.includes(1) && values.category.some((v) => v === 'garden' || v === 'books') ? 2 : 0),
    },
  ]
}

/** Runs a search under the fixed clock. */
function run(index: SparseIndex, body: SearchBody): SearchResult {
  const reader = index.reader()
  try {
    return reader.search(body, { now: NOW })
  } finally {
    reader.release()
  }
}

function expectAgreement(index: SparseIndex, model: Model, stage: string): void {
  const size = model.docs.size + 10
  let matched = 0
  for (const { query, test, bm25, filterOnly, score } of cases(model)) {
    const expected = model.where(test)
    const where = `${stage}: ${JSON.stringify(query)}`
    if (expected.length > 0) matched++
    // As a filter: no scores, every match in doc-id order.
    const filtered = run(index, { query: { bool: { filter: query } }, size })
    expect(filtered.hits.map((h) => h.id), where).toEqual(expected)
    expect(filtered.total, where).toBe(expected.length)
    expect(run(index, { filter: query, size: 3 }).hits.map((h) => h.id), where).toEqual(expected.slice(0, 3))
    expect(run(index, { query: { constant_score: { filter: query } }, size }).hits.map((h) => h.id), where).toEqual(expected)
    if (filterOnly) {
      expect(() => run(index, { query, size }), where).toThrow(/should clauses that score a constant/)
      continue
    }
    // As a scored query: a constant (the boost, 1) for every match, so still in doc-id order.
    const scored = run(index, { query, size })
    expect(scored.total, where).toBe(expected.length)
    if (bm25) {
      expect(scored.hits.map((h) => h.id).sort(), where).toEqual([...expected].sort())
      continue
    }
    if (score) {
      const ranked = expected.map((id, seq) => ({ id, seq, score: score(model.docs.get(id)!.values) })).sort((a, b) => b.score - a.score || a.seq - b.seq)
      expect(scored.hits.map((h) => [h.id, h.score]), where).toEqual(ranked.map((h) => [h.id, h.score]))
      continue
    }
    expect(scored.hits.map((h) => h.id), where).toEqual(expected)
    for (const hit of scored.hits) expect(hit.score, where).toBe(1)
  }
  // The random corpus exercises the cases: most of them match something.
  expect(matched).toBeGreaterThan(60)
}

describe('typed term, terms, range, exists and prefix queries against brute-force filters', () => {
  let dir: string
  let index: SparseIndex
  const model = new Model()
  const next = seededRandom(77)
  let n = 0
  const write = async (sources: Array<[string, Record<string, unknown>]>) => {
    const result = await index.add(sources.map(([id, source]) => ({ id, title: '', text: '', source })))
    expect(result.errors.every((e) => e === undefined)).toBe(true)
    for (const [id, source] of sources) model.add(id, source)
  }
  const fresh = (count: number) => Array.from({ length: count }, (): [string, Record<string, unknown>] => [`p${n++}`, randomProduct(next)])

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsr-fields-filters-'))
    index = await SparseIndex.open(dir, { create: true, encoder: null, schema: SCHEMA })
  })
  afterAll(async () => {
    await index?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('agrees on a fresh index written in several batches', async () => {
    await write(fresh(120))
    await write(fresh(80))
    await write(fresh(100))
    expectAgreement(index, model, 'after adds')
    expect(await index.check()).toEqual([])
  })

  it('agrees after updates (values changed, fields removed) and deletes: deleted values never match', async () => {
    const ids = [...model.docs.keys()]
    const updates = ids.filter((_, i) => i % 6 === 1).map((id): [string, Record<string, unknown>] => [id, randomProduct(next)])
    const stripped = ids.filter((_, i) => i % 9 === 4).map((id): [string, Record<string, unknown>] => {
      const { price: _p, released: _r, ...rest } = model.docs.get(id)!.source
      return [id, rest]
    })
    await write(updates)
    await write(stripped)
    const deleted = ids.filter((_, i) => i % 4 === 3)
    expect(await index.delete(deleted)).toBe(deleted.length)
    for (const id of deleted) model.docs.delete(id)
    await write(fresh(30))
    expectAgreement(index, model, 'after updates and deletes')
    expect(await index.check()).toEqual([])
  })

  it('agrees after compact() and after reopen', async () => {
    await index.compact()
    expectAgreement(index, model, 'after compact')
    expect(await index.check()).toEqual([])
    await index.close()
    index = await SparseIndex.open(dir)
    expectAgreement(index, model, 'after reopen')
    await write(fresh(20))
    expectAgreement(index, model, 'after a write following reopen')
    expect(await index.check()).toEqual([])
  })

  it('scores term, terms, range, exists and prefix with their boost; a terms query counts a document once', () => {
    const boosts: Array<[Query, number]> = [
      [{ term: { category: { value: 'toys', boost: 2.5 } } }, 2.5],
      [{ terms: { category: ['toys', 'tools', 'tool', 'books', 'garden'], boost: 3 } }, 3],
      [{ range: { price: { gte: 5, boost: 0.5 } } }, 0.5],
      [{ exists: { field: 'sku', boost: 4 } }, 4],
      [{ prefix: { sku: { value: 'A', boost: 1.5 } } }, 1.5],
      [{ constant_score: { filter: { term: { active: true } }, boost: 7 } }, 7],
    ]
    for (const [query, boost] of boosts) {
      const { hits, maxScore } = run(index, { query, size: 1000 })
      expect(hits.length, JSON.stringify(query)).toBeGreaterThan(0)
      for (const hit of hits) expect(hit.score, JSON.stringify(query)).toBe(boost)
      expect(maxScore).toBe(boost)
    }
    // Multi-valued documents holding two of the values still score the boost once.
    const multi = model.where((v) => v.category.includes('toys') && v.category.includes('tools'))
    expect(multi.length).toBeGreaterThan(0)
  })

  it('agrees with docsWithKeyword (a terms query) on typed fields', () => {
    const docsOf = (field: string, values: string[]) => {
      const bitmap = index.docsWithKeyword(field, values)
      return run(index, { query: { ids: { values: [...model.docs.keys()] } }, size: 10_000 }).hits.filter((h) => bitmap.has(h.docId)).map((h) => h.id)
    }
    expect(docsOf('price', ['19.50'])).toEqual(model.where(num('price', (v) => v === 19.5)))
    expect(docsOf('active', ['true'])).toEqual(model.where(num('active', (v) => v === 1)))
    expect(docsOf('category', ['toys', 'garden'])).toEqual(model.where(any('category', (v) => v === 'toys' || v === 'garden')))
    expect(docsOf('released', ['2024-06-03'])).toEqual(model.where(num('released', (v) => v === Date.UTC(2024, 5, 3))))
  })

  it('refuses query values the field type cannot read, and ranges on keyword and text fields, naming the field', () => {
    const refused = (query: Query) => {
      try {
        run(index, { query })
      } catch (error) {
        expect(error).toBeInstanceOf(LsrError)
        return (error as LsrError).message
      }
      throw new Error(`no error for ${JSON.stringify(query)}`)
    }
    expect(refused({ term: { price: 'abc' } })).toMatch(/price/)
    expect(refused({ term: { active: 'yes' } })).toMatch(/active/)
    expect(refused({ term: { released: 'June' } })).toMatch(/released/)
    expect(refused({ range: { price: { gte: 'cheap' } } })).toMatch(/price/)
    expect(refused({ range: { released: { gte: 'not a date' } } })).toMatch(/not a date|released/)
    expect(refused({ range: { sku: { gte: 'A' } } })).toMatch(/sku/)
    expect(refused({ range: { name: { gte: 'a' } } })).toMatch(/name/)
    expect(refused({ prefix: { price: '1' } })).toMatch(/price/)
  })
})
