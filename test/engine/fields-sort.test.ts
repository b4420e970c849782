/**
 * Sorting by fields (numeric, date, keyword, boolean; multi-valued with `mode`; `missing`), by
 * `_score` either way and by `_doc`, on several keys, against a brute-force sort written here; pages
 * of `search_after` and of `from`/`size` concatenate to the full sorted order.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex, type SearchBody, type SortedHit } from '../../src/engine/sparse-index.js'
import { LsrError } from '../../src/errors.js'
import type { Query, SearchAfterValue, SortEntry } from '../../src/engine/query/types.js'
import { seededRandom } from '../helpers.js'

const SCHEMA = {
  mappings: {
    properties: {
      code: { type: 'keyword' },
      sku: { type: 'keyword' },
      name: { type: 'text' },
      category: { type: 'keyword' },
      price: { type: 'float' },
      stock: { type: 'integer' },
      released: { type: 'date' },
      active: { type: 'boolean' },
    },
  },
}

type Values = Record<string, Array<number | string>>

function randomProduct(next: () => number, code: string): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]
  const int = (n: number) => Math.floor(next() * n)
  const source: Record<string, unknown> = { code }
  if (next() < 0.85) source.sku = pick(['AB-1', 'AB-2', 'AC-1', 'B-7', 'XY-3', 'ab-1', 'Zed'])
  if (next() < 0.9) source.name = Array.from({ length: 1 + int(4) }, () => pick(['red', 'green', 'lamp', 'chair', 'table'])).join(' ')
  if (next() < 0.8) source.category = next() < 0.4 ? Array.from({ length: 2 + int(2) }, () => pick(['books', 'garden', 'toys', 'tools'])) : pick(['books', 'garden', 'toys', 'tools'])
  if (next() < 0.85) source.price = next() < 0.2 ? [pick([1.5, 9.99, 20]), pick([0.5, 19.99, 100])] : pick([0.5, 1.5, 9.99, 19.99, 20, 100, 7.25])
  if (next() < 0.85) source.stock = next() < 0.3 ? [int(10), int(10), int(10)] : int(10)
  if (next() < 0.85) source.released = new Date(Date.UTC(2024, 0, 1) + int(40) * 86_400_000 + pick([0, 3_600_000])).toISOString()
  if (next() < 0.85) source.active = pick([true, false])
  return source
}

function parse(source: Record<string, unknown>): Values {
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])
  return {
    code: list(source.code).map(String),
    sku: list(source.sku).map(String),
    category: list(source.category).map(String),
    price: list(source.price).map((v) => Math.fround(Number(v))),
    stock: list(source.stock).map(Number),
    released: list(source.released).map((v) => Date.parse(String(v))),
    active: list(source.active).map((v) => (v === true ? 1 : 0)),
  }
}

/** One sort key as the test reads it. */
type Key = { by: 'score'; desc: boolean } | { by: 'doc'; desc: boolean } | { by: 'field'; field: string; desc: boolean; missingFirst: boolean; mode: 'min' | 'max' }

/** Reads an Elasticsearch sort spec (the test's own reading of ES's rules: defaults, mode, missing). */
function keysOf(spec: unknown[]): Key[] {
  return spec.map((entry) => {
    const [name, raw] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry as Record<string, unknown>)[0]
    const options = (typeof raw === 'string' ? { order: raw } : raw) as { order?: string; missing?: string; mode?: 'min' | 'max' }
    const desc = (options.order ?? (name === '_score' ? 'desc' : 'asc')) === 'desc'
    if (name === '_score') return { by: 'score', desc }
    if (name === '_doc') return { by: 'doc', desc }
    return { by: 'field', field: name, desc, missingFirst: options.missing === '_first', mode: options.mode ?? (desc ? 'max' : 'min') }
  })
}

interface Row {
  id: string
  docId: number
  score: number
  values: Values
}

/** The sort values of a row: the field's min or max (mode), null when missing; score; doc id. */
function sortValues(keys: Key[], row: Row): Array<number | string | null> {
  return keys.map((key) => {
    if (key.by === 'score') return row.score
    if (key.by === 'doc') return row.docId
    const values = row.values[key.field] ?? []
    if (values.length === 0) return null
    return values.reduce((a, b) => (key.mode === 'min' ? (b < a ? b : a) : b > a ? b : a))
  })
}

/** Brute-force sort: key by key (missing first/last whatever the order), then doc id ascending. */
function bruteSort(keys: Key[], rows: Row[]): Array<{ id: string; sort: Array<number | string | null> }> {
  const withValues = rows.map((row) => ({ row, sort: sortValues(keys, row) }))
  withValues.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = a.sort[i]
      const y = b.sort[i]
      if (x === y) continue
      const key = keys[i]
      if (x === null || y === null) {
        const first = key.by === 'field' && key.missingFirst
        return (x === null) === first ? -1 : 1
      }
      const order = x < y ? -1 : 1
      return key.desc ? -order : order
    }
    return a.row.docId - b.row.docId
  })
  return withValues.map(({ row, sort }) => ({ id: row.id, sort }))
}

const SPECS: Array<{ name: string; query?: Query; sort: SortEntry[] }> = [
  { name: 'price asc (missing last), _doc', sort: [{ price: 'asc' }, '_doc'] },
  { name: 'price desc missing first, _doc desc', sort: [{ price: { order: 'desc', missing: '_first' } }, { _doc: 'desc' }] },
  { name: 'released desc, sku asc, _doc', sort: [{ released: { order: 'desc' } }, { sku: 'asc' }, '_doc'] },
  { name: 'active desc, stock asc by max, _doc', sort: [{ active: 'desc' }, { stock: { order: 'asc', mode: 'max' } }, '_doc'] },
  { name: 'category asc by max missing first, code', sort: [{ category: { order: 'asc', mode: 'max', missing: '_first' } }, { code: 'asc' }] },
  { name: 'category desc by min, price asc missing first, code desc', sort: [{ category: { order: 'desc', mode: 'min' } }, { price: { missing: '_first' } }, { code: 'desc' }] },
  { name: 'sku desc, released asc missing first, _doc', sort: [{ sku: 'desc' }, { released: { order: 'asc', missing: '_first' } }, '_doc'] },
  { name: '_score, _doc (a text query)', query: { match: { name: 'lamp red' } }, sort: ['_score', '_doc'] },
  { name: '_score asc, _doc desc (a text query)', query: { match: { name: 'lamp chair' } }, sort: [{ _score: 'asc' }, { _doc: 'desc' }] },
  { name: 'stock desc by min, _score, _doc (a text query)', query: { match: { name: 'green table' } }, sort: [{ stock: { order: 'desc', mode: 'min' } }, { _score: 'desc' }, '_doc'] },
  { name: '_doc alone', query: { range: { price: { gte: 5 } } }, sort: ['_doc'] },
  { name: 'code desc alone (unique)', sort: [{ code: { order: 'desc' } }] },
]

describe('sort, search_after and from/size on fields against a brute-force sort', () => {
  let dir: string
  let index: SparseIndex
  /** Live products by id, with their internal doc id (assigned in write order, as the index does). */
  const model = new Map<string, { docId: number; values: Values }>()
  let nextDocId = 0
  const next = seededRandom(4242)
  let n = 0

  const write = async (entries: Array<[string, Record<string, unknown>]>) => {
    const result = await index.add(entries.map(([id, source]) => ({ id, title: '', text: '', source })))
    expect(result.unchanged).toBe(0)
    for (const [id, source] of entries) {
      model.delete(id)
      model.set(id, { docId: nextDocId++, values: parse(source) })
    }
  }
  const fresh = (count: number) => Array.from({ length: count }, (): [string, Record<string, unknown>] => {
    const id = `p${n++}`
    return [id, randomProduct(next, `c${String(n).padStart(4, '0')}`)]
  })

  /** Every live row matching the query, with the engine's scores (BM25 is tested in fields-bm25.test.ts). */
  const rows = async (query: Query | undefined): Promise<Row[]> => {
    const { hits, total } = await index.search({ query, size: 10_000 })
    expect(hits).toHaveLength(total)
    return hits.map((hit) => {
      const doc = model.get(hit.id)!
      expect(hit.docId).toBe(doc.docId)
      return { id: hit.id, docId: hit.docId, score: hit.score, values: doc.values }
    })
  }

  const run = (body: SearchBody) => index.search(body)

  async function expectSorted(stage: string): Promise<void> {
    for (const { name, query, sort } of SPECS) {
      const where = `${stage}: ${name}`
      const expected = bruteSort(keysOf(sort), await rows(query))
      expect(expected.length, where).toBeGreaterThan(10)
      const full = await run({ query, sort, size: expected.length + 3 })
      expect(full.total, where).toBe(expected.length)
      expect(full.hits.map((h) => [h.id, h.sort]), where).toEqual(expected.map((h) => [h.id, h.sort]))
      const scored = sort.some((key) => key === '_score' || (typeof key === 'object' && '_score' in (key as object)))
      expect(full.maxScore === null, where).toBe(!scored)

      // search_after pages concatenate to the full order.
      const pages: SortedHit[] = []
      let after: SearchAfterValue[] | undefined
      for (let page = 0; page < 100; page++) {
        const { hits } = await run({ query, sort, size: 7, searchAfter: after })
        if (hits.length === 0) break
        pages.push(...hits)
        after = hits[hits.length - 1].sort
      }
      expect(pages.map((h) => h.id), `${where} (search_after)`).toEqual(expected.map((h) => h.id))

      // from/size pages too.
      const fromPages: SortedHit[] = []
      for (let from = 0; from < expected.length; from += 9) fromPages.push(...(await run({ query, sort, from, size: 9 })).hits)
      expect(fromPages.map((h) => h.id), `${where} (from/size)`).toEqual(expected.map((h) => h.id))
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsr-fields-sort-'))
    index = await SparseIndex.open(dir, { create: true, encoder: null, schema: SCHEMA })
  })
  afterAll(async () => {
    await index?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('sorts a fresh index written in several batches', async () => {
    await write(fresh(90))
    await write(fresh(70))
    await write(fresh(40))
    await expectSorted('after adds')
    expect(await index.check()).toEqual([])
  })

  it('sorts after updates (new values, a new doc id) and deletes: deleted values never sort', async () => {
    const ids = [...model.keys()]
    await write(ids.filter((_, i) => i % 5 === 0).map((id): [string, Record<string, unknown>] => [id, randomProduct(next, `u${id}`)]))
    const deleted = ids.filter((_, i) => i % 7 === 3)
    expect(await index.delete(deleted)).toBe(deleted.length)
    for (const id of deleted) model.delete(id)
    await write(fresh(15))
    await expectSorted('after updates and deletes')
    expect(await index.check()).toEqual([])
  })

  it('sorts after compact() and after reopen', async () => {
    await index.compact()
    await expectSorted('after compact')
    await index.close()
    index = await SparseIndex.open(dir)
    await expectSorted('after reopen')
    expect(await index.check()).toEqual([])
  })

  it('computes scores when sorting by fields only with track_scores', async () => {
    const query = { match: { name: 'lamp' } }
    const plain = new Map((await run({ query, size: 1000 })).hits.map((h) => [h.id, h.score]))
    const untracked = await run({ query, sort: [{ price: 'asc' }], size: 1000 })
    expect(untracked.maxScore).toBeNull()
    const tracked = await run({ query, sort: [{ price: 'asc' }], size: 1000, trackScores: true })
    expect(tracked.hits.map((h) => h.id)).toEqual(untracked.hits.map((h) => h.id))
    for (const hit of tracked.hits) expect(hit.score).toBe(plain.get(hit.id))
    expect(tracked.maxScore).toBe(Math.max(...plain.values()))
  })

  it('sort: [_score] alone is the default order (ties by doc id), and pages of from/size follow it', async () => {
    const query = { match: { name: 'red table' } }
    const plain = await run({ query, size: 1000 })
    const sorted = await run({ query, sort: ['_score'], size: 1000 })
    expect(sorted.hits.map((h) => [h.id, h.score, h.sort])).toEqual(plain.hits.map((h) => [h.id, h.score, [h.score]]))
    expect(sorted.maxScore).toBe(plain.maxScore)
    const expected = bruteSort(keysOf(['_score']), await rows(query))
    expect(plain.hits.map((h) => h.id)).toEqual(expected.map((h) => h.id))
    const pages: SortedHit[] = []
    for (let from = 0; from < expected.length; from += 6) pages.push(...(await run({ query, sort: [{ _score: 'desc' }], from, size: 6 })).hits)
    expect(pages.map((h) => h.id)).toEqual(expected.map((h) => h.id))
  })

  it('search_after skips hits whose sort values equal the last ones (as Elasticsearch): a unique last key keeps them', async () => {
    const sort: SortEntry[] = [{ category: 'asc' }]
    const first = await run({ sort, size: 1 })
    const value = first.hits[0].sort![0]
    const after = await run({ sort, size: 1000, searchAfter: [value] })
    const all = await run({ sort, size: 1000 })
    const same = all.hits.filter((h) => h.sort![0] === value).length
    expect(same).toBeGreaterThan(1)
    expect(after.hits.map((h) => h.id)).toEqual(all.hits.slice(same).map((h) => h.id))
    // Dates are accepted as date strings in search_after, as they are returned formatted by the server.
    const byDate = await run({ sort: [{ released: 'asc' }, '_doc'], size: 5 })
    const last = byDate.hits[4]
    const next5 = await run({ sort: [{ released: 'asc' }, '_doc'], size: 5, searchAfter: [new Date(last.sort![0] as number).toISOString(), last.sort![1]] })
    const ten = await run({ sort: [{ released: 'asc' }, '_doc'], size: 10 })
    expect(next5.hits.map((h) => h.id)).toEqual(ten.hits.slice(5).map((h) => h.id))
  })

  it('refuses sorts Elasticsearch refuses, naming the field', async () => {
    const refused = async (body: unknown) => {
      try {
        await run(body as SearchBody)
      } catch (error) {
        expect(error).toBeInstanceOf(LsrError)
        return (error as Error).message
      }
      throw new Error(`no error for ${JSON.stringify(body)}`)
    }
    expect(await refused({ sort: [{ name: 'asc' }] })).toMatch(/Text fields are not optimised.*\[name\]/)
    expect(await refused({ sort: [{ nowhere: 'asc' }] })).toMatch(/No mapping found for \[nowhere\]/)
    expect(await refused({ sort: [{ price: { mode: 'avg' } }] })).toMatch(/mode/)
    expect(await refused({ sort: [{ price: 'up' }] })).toMatch(/order/)
    expect(await refused({ sort: ['_doc'], searchAfter: [1, 2] })).toMatch(/search_after/)
    expect(await refused({ searchAfter: [1] })).toMatch(/search_after needs a sort/)
    // unmapped_type: every document misses the field.
    const { hits } = await run({ sort: [{ nowhere: { unmapped_type: 'long' } }, '_doc'], size: 3 })
    expect(hits.map((h) => h.sort![0])).toEqual([null, null, null])
  })
})
