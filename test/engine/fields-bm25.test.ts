/**
 * Per-field BM25 of an index of mapped fields, against a brute force written here from raw token
 * counts: Lucene's BM25Similarity without the (k1 + 1) factor, per field, over live documents,
 * through updates, deletes, compaction and reopen.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex, type SearchOptions, type SearchResult } from '../../src/engine/sparse-index.js'
import type { SourceDocument } from '../../src/encode/encoder.js'
import type { Query } from '../../src/engine/query/types.js'
import { seededRandom } from '../helpers.js'

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima']
const FIELDS = ['title', 'body', 'tags'] as const
type Field = (typeof FIELDS)[number]

/** Elasticsearch's default BM25 for title and body; `tags` names its own similarity. */
const PARAMS: Record<Field, { k1: number; b: number }> = { title: { k1: 1.2, b: 0.75 }, body: { k1: 1.2, b: 0.75 }, tags: { k1: 2, b: 0.3 } }
const SCHEMA = {
  mappings: {
    dynamic: 'strict',
    properties: { title: { type: 'text' }, body: { type: 'text' }, tags: { type: 'text', similarity: 'tight' }, n: { type: 'integer' } },
  },
  similarity: { tight: { type: 'BM25', k1: 2, b: 0.3 } },
}

/** Tokens as the standard analyzer makes them from plain lowercase ASCII words. */
const tokenize = (text: string): string[] => text.toLowerCase().split(/\s+/).filter((t) => t !== '')

/** The test's own model of the index: live documents with their tokens, in doc-id order. */
class Model {
  /** id -> [insertion sequence (the doc-id order), source] */
  readonly docs = new Map<string, { seq: number; source: Record<string, unknown>; tokens: Record<Field, string[]> }>()
  #seq = 0

  /** One add call: of a repeated id the last source wins, written at the id's first position. Returns how many were unchanged. */
  add(docs: Array<{ id: string; source: Record<string, unknown> }>): number {
    const latest = new Map<string, Record<string, unknown>>()
    for (const { id, source } of docs) latest.set(id, source)
    let unchanged = 0
    for (const [id, source] of latest) {
      const old = this.docs.get(id)
      // An identical source is left as it is (same doc id); anything else gets a new doc id.
      if (old && JSON.stringify(old.source) === JSON.stringify(source)) {
        unchanged++
        continue
      }
      this.docs.delete(id)
      this.docs.set(id, { seq: this.#seq++, source, tokens: tokensOf(source) })
    }
    return unchanged
  }

  delete(ids: string[]): void {
    for (const id of ids) this.docs.delete(id)
  }

  /** BM25 of query tokens (each occurrence counts) in one field of one document, times `boost`. */
  fieldScore(id: string, field: Field, query: string[], boost = 1): number {
    const doc = this.docs.get(id)!
    const tokens = doc.tokens[field]
    if (tokens.length === 0) return 0
    let withField = 0
    let sumLength = 0
    for (const other of this.docs.values()) {
      if (other.tokens[field].length === 0) continue
      withField++
      sumLength += other.tokens[field].length
    }
    const avgdl = sumLength / withField
    const { k1, b } = PARAMS[field]
    let score = 0
    for (const term of query) {
      const tf = tokens.filter((t) => t === term).length
      if (tf === 0) continue
      let df = 0
      for (const other of this.docs.values()) if (other.tokens[field].includes(term)) df++
      const idf = Math.log(1 + (withField - df + 0.5) / (df + 0.5))
      score += boost * idf * (tf / (tf + k1 * (1 - b + (b * tokens.length) / avgdl)))
    }
    return score
  }

  matches(id: string, field: Field, query: string[]): boolean {
    return query.some((term) => this.docs.get(id)!.tokens[field].includes(term))
  }

  /** Every live document the predicate scores (undefined: no match), best first, ties by doc-id order. */
  rank(score: (id: string) => number | undefined): Array<{ id: string; score: number }> {
    const hits: Array<{ id: string; score: number; seq: number }> = []
    for (const [id, doc] of this.docs) {
      const s = score(id)
      if (s !== undefined) hits.push({ id, score: s, seq: doc.seq })
    }
    const tie = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))
    hits.sort((a, b) => (tie(a.score, b.score) ? a.seq - b.seq : b.score - a.score))
    return hits.map(({ id, score: s }) => ({ id, score: s }))
  }
}

function tokensOf(source: Record<string, unknown>): Record<Field, string[]> {
  const out = {} as Record<Field, string[]>
  for (const field of FIELDS) {
    const value = source[field]
    const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]
    out[field] = values.flatMap((v) => tokenize(String(v)))
  }
  return out
}

function sourceDoc(id: string, source: Record<string, unknown>): SourceDocument {
  return { id, title: '', text: '', source }
}

/** A random document: each field missing, empty, one string, or (tags) an array of strings. */
function randomSource(next: () => number, n: number): Record<string, unknown> {
  const words = (max: number) => Array.from({ length: 1 + Math.floor(next() * max) }, () => WORDS[Math.floor(next() * next() * WORDS.length)]).join(' ')
  const source: Record<string, unknown> = { n }
  const r = next()
  if (r < 0.8) source.title = words(4)
  else if (r < 0.85) source.title = ''
  if (next() < 0.9) source.body = words(14)
  const t = next()
  if (t < 0.4) source.tags = [words(2), words(2)]
  else if (t < 0.7) source.tags = words(3)
  else if (t < 0.75) source.tags = []
  return source
}

/** The queries of one check: a name, the query DSL, and the brute-force score of a document (undefined: no match). */
function queries(model: Model): Array<{ name: string; query: Query; score: (id: string) => number | undefined }> {
  const q = (text: string) => tokenize(text)
  const matchOne = (field: Field, text: string, boost = 1) => (id: string) => (model.matches(id, field, q(text)) ? model.fieldScore(id, field, q(text), boost) : undefined)
  const multi = (text: string, fields: Array<[Field, number]>, combine: (scores: number[]) => number) => (id: string) => {
    if (!fields.some(([f]) => model.matches(id, f, q(text)))) return undefined
    return combine(fields.map(([f, boost]) => model.fieldScore(id, f, q(text), boost)))
  }
  const bestFields = (tie: number) => (scores: number[]) => {
    const best = Math.max(...scores)
    return best + tie * (scores.reduce((a, b) => a + b, 0) - best)
  }
  return [
    { name: 'match title', query: { match: { title: 'alpha delta' } }, score: matchOne('title', 'alpha delta') },
    { name: 'match body, a repeated term counts twice', query: { match: { body: 'bravo bravo golf' } }, score: matchOne('body', 'bravo bravo golf') },
    { name: 'match tags (own similarity), boosted', query: { match: { tags: { query: 'charlie echo', boost: 2.5 } } }, score: matchOne('tags', 'charlie echo', 2.5) },
    { name: 'match on rare terms', query: { match: { body: 'kilo lima' } }, score: matchOne('body', 'kilo lima') },
    {
      name: 'multi_match best_fields with boosts and tie_breaker',
      query: { multi_match: { query: 'alpha charlie hotel', fields: ['title^2', 'body', 'tags^0.5'], tie_breaker: 0.3 } },
      score: multi('alpha charlie hotel', [['title', 2], ['body', 1], ['tags', 0.5]], bestFields(0.3)),
    },
    {
      name: 'multi_match best_fields without tie_breaker',
      query: { multi_match: { query: 'bravo delta', fields: ['title', 'body^1.5'] } },
      score: multi('bravo delta', [['title', 1], ['body', 1.5]], bestFields(0)),
    },
    {
      name: 'multi_match most_fields',
      query: { multi_match: { query: 'alpha echo', type: 'most_fields', fields: ['title^3', 'body', 'tags'] } },
      score: multi('alpha echo', [['title', 3], ['body', 1], ['tags', 1]], (s) => s.reduce((a, b) => a + b, 0)),
    },
    {
      name: 'bool must + should',
      query: { bool: { must: [{ match: { body: 'alpha bravo' } }], should: [{ match: { title: 'charlie' } }, { match: { tags: { query: 'delta', boost: 2 } } }] } },
      score: (id) => {
        if (!model.matches(id, 'body', q('alpha bravo'))) return undefined
        return model.fieldScore(id, 'body', q('alpha bravo')) + model.fieldScore(id, 'title', q('charlie')) + model.fieldScore(id, 'tags', q('delta'), 2)
      },
    },
    {
      name: 'bool should only (one must match)',
      query: { bool: { should: [{ match: { title: 'golf' } }, { match: { body: 'hotel india' } }] } },
      score: (id) => {
        const m = model.matches(id, 'title', q('golf')) || model.matches(id, 'body', q('hotel india'))
        return m ? model.fieldScore(id, 'title', q('golf')) + model.fieldScore(id, 'body', q('hotel india')) : undefined
      },
    },
    {
      name: 'bool should: a match with operator and scores only where all its terms are',
      query: { bool: { should: [{ match: { title: { query: 'alpha bravo', operator: 'and' } } }, { match: { body: 'charlie' } }] } },
      score: (id) => {
        const all = q('alpha bravo').every((t) => model.matches(id, 'title', [t]))
        const body = model.matches(id, 'body', q('charlie'))
        if (!all && !body) return undefined
        return (all ? model.fieldScore(id, 'title', q('alpha bravo')) : 0) + (body ? model.fieldScore(id, 'body', q('charlie')) : 0)
      },
    },
    {
      name: 'bool should: a nested bool adds its score only where it matches as a whole',
      query: { bool: { should: [{ bool: { must: [{ match: { title: 'alpha' } }, { match: { body: 'delta' } }] } }, { match: { tags: 'echo' } }] } },
      score: (id) => {
        const nested = model.matches(id, 'title', q('alpha')) && model.matches(id, 'body', q('delta'))
        const tags = model.matches(id, 'tags', q('echo'))
        if (!nested && !tags) return undefined
        return (nested ? model.fieldScore(id, 'title', q('alpha')) + model.fieldScore(id, 'body', q('delta')) : 0) + (tags ? model.fieldScore(id, 'tags', q('echo')) : 0)
      },
    },
    {
      name: 'bool must + should with minimum_should_match on a match',
      query: { bool: { must: [{ match: { body: 'alpha' } }], should: [{ match: { title: { query: 'bravo charlie delta', minimum_should_match: 2 } } }] } },
      score: (id) => {
        if (!model.matches(id, 'body', q('alpha'))) return undefined
        const hits = q('bravo charlie delta').filter((t) => model.matches(id, 'title', [t])).length
        return model.fieldScore(id, 'body', q('alpha')) + (hits >= 2 ? model.fieldScore(id, 'title', q('bravo charlie delta')) : 0)
      },
    },
    {
      name: 'dis_max of a match and a match with operator and, tie_breaker 0.5',
      query: { dis_max: { queries: [{ match: { title: 'alpha bravo' } }, { match: { body: { query: 'alpha bravo', operator: 'and' } } }], tie_breaker: 0.5 } },
      score: (id) => {
        const title = model.matches(id, 'title', q('alpha bravo'))
        const body = q('alpha bravo').every((t) => model.matches(id, 'body', [t]))
        if (!title && !body) return undefined
        return bestFields(0.5)([title ? model.fieldScore(id, 'title', q('alpha bravo')) : 0, body ? model.fieldScore(id, 'body', q('alpha bravo')) : 0])
      },
    },
    {
      name: 'multi_match best_fields with operator and: each field must hold every term',
      query: { multi_match: { query: 'alpha bravo', fields: ['title^2', 'body'], operator: 'and', tie_breaker: 0.2 } },
      score: (id) => {
        const all = (f: Field) => q('alpha bravo').every((t) => model.matches(id, f, [t]))
        if (!all('title') && !all('body')) return undefined
        return bestFields(0.2)([all('title') ? model.fieldScore(id, 'title', q('alpha bravo'), 2) : 0, all('body') ? model.fieldScore(id, 'body', q('alpha bravo')) : 0])
      },
    },
    {
      name: 'a boosted bool, with a constant_score clause in must',
      query: { bool: { must: [{ match: { body: 'alpha' } }, { constant_score: { filter: { match: { title: 'bravo' } }, boost: 0.7 } }], should: [{ match: { tags: 'charlie' } }], boost: 2 } },
      score: (id) => {
        if (!model.matches(id, 'body', q('alpha')) || !model.matches(id, 'title', q('bravo'))) return undefined
        return 2 * (model.fieldScore(id, 'body', q('alpha')) + 0.7 + model.fieldScore(id, 'tags', q('charlie')))
      },
    },
    {
      name: 'bool must with a scored term clause on a number (its boost)',
      query: { bool: { must: [{ match: { title: 'alpha' } }, { range: { n: { gte: 0 } } }] } },
      score: (id) => (model.matches(id, 'title', q('alpha')) ? model.fieldScore(id, 'title', q('alpha')) + 1 : undefined),
    },
  ]
}

/** Runs every query at several page sizes and compares with the brute force: ids, order, scores, totals. */
function expectAgreement(index: SparseIndex, model: Model, stage: string): void {
  for (const { name, query, score } of queries(model)) {
    const expected = model.rank(score)
    const where = `${stage}: ${name}`
    expect(expected.length, `${where}: the corpus should give this query matches`).toBeGreaterThan(3)
    const runs: Array<{ size: number; options: SearchOptions }> = [
      { size: expected.length + 5, options: {} },
      { size: 7, options: {} },
      { size: 1, options: {} },
      // Every top-k algorithm, blocks forced small so that block-max skips some.
      { size: 7, options: { algorithm: 'exhaustive' } },
      { size: 7, options: { algorithm: 'maxscore', window: 64 } },
      { size: 7, options: { algorithm: 'blockmax', blockSize: 16 } },
    ]
    for (const { size, options } of runs) {
      const reader = index.reader()
      let result: SearchResult
      try {
        result = reader.search({ query, size }, options)
      } finally {
        reader.release()
      }
      expect(result.total, where).toBe(expected.length)
      const want = expected.slice(0, size)
      expect(result.hits.map((h) => h.id), `${where} (size ${size}, ${JSON.stringify(options)})`).toEqual(want.map((h) => h.id))
      result.hits.forEach((hit, i) => {
        const relative = Math.abs(hit.score - want[i].score) / Math.max(1e-300, Math.abs(want[i].score))
        expect(relative, `${where}: score of ${hit.id}: ${hit.score} vs ${want[i].score}`).toBeLessThan(1e-9)
      })
      if (want.length > 0) expect(result.maxScore! / want[0].score, where).toBeCloseTo(1, 9)
    }
    // A page further down: from/size over the same order.
    const reader = index.reader()
    try {
      const page = reader.search({ query, from: 3, size: 4 })
      expect(page.hits.map((h) => h.id), `${where} (from 3)`).toEqual(expected.slice(3, 7).map((h) => h.id))
    } finally {
      reader.release()
    }
  }
}

describe('per-field BM25 (mapped text fields, no encoder) against a brute force from raw counts', () => {
  let dir: string
  let index: SparseIndex
  const model = new Model()
  const next = seededRandom(20240611)
  let n = 0
  const batch = (count: number, prefix = 'd') =>
    Array.from({ length: count }, () => {
      const id = `${prefix}${n}`
      return { id, source: randomSource(next, n++) }
    })
  const write = async (docs: Array<{ id: string; source: Record<string, unknown> }>) => {
    await index.add(docs.map(({ id, source }) => sourceDoc(id, source)))
    model.add(docs)
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsr-fields-bm25-'))
    index = await SparseIndex.open(dir, { create: true, encoder: null, schema: SCHEMA })
  })
  afterAll(async () => {
    await index?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('knows its fields: text fields with their similarity, no encoder', () => {
    expect(index.encoder).toBeUndefined()
    expect(index.schema!.bm25('title')).toEqual({ k1: 1.2, b: 0.75 })
    expect(index.schema!.bm25('tags')).toEqual({ k1: 2, b: 0.3 })
  })

  it('scores a hand-checked case: one field, three documents', async () => {
    const small = await mkdtemp(join(tmpdir(), 'lsr-fields-bm25-small-'))
    const tiny = await SparseIndex.open(small, { create: true, encoder: null, schema: { mappings: { properties: { body: { type: 'text' } } } } })
    await tiny.add([sourceDoc('x', { body: 'alpha alpha bravo' }), sourceDoc('y', { body: 'alpha' }), sourceDoc('z', { body: 'bravo charlie delta echo' })])
    const { hits } = await tiny.search({ query: { match: { body: 'alpha' } } })
    // N = 3, df = 2, avgdl = 8 / 3
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    const norm = (dl: number) => 1.2 * (1 - 0.75 + (0.75 * dl) / (8 / 3))
    expect(hits.map((h) => h.id)).toEqual(['y', 'x'])
    expect(hits[0].score).toBeCloseTo(idf * (1 / (1 + norm(1))), 14)
    expect(hits[1].score).toBeCloseTo(idf * (2 / (2 + norm(3))), 14)
    expect(await tiny.check()).toEqual([])
    await tiny.close()
    await rm(small, { recursive: true, force: true })
  })

  it('agrees after several add batches (with duplicate documents: equal scores tie in insertion order)', async () => {
    await write(batch(150))
    const copies = [...model.docs.entries()].slice(0, 6).map(([id, doc]) => ({ id: `copy-of-${id}`, source: doc.source }))
    await write(copies)
    await write(batch(120))
    await write(batch(90))
    expect(model.docs.size).toBe(366)
    expectAgreement(index, model, 'after adds')
    expect(await index.check()).toEqual([])
  })

  it('agrees after updates (changed, unchanged, and a field removed) and deletes', async () => {
    const ids = [...model.docs.keys()]
    const updates = ids.filter((_, i) => i % 7 === 0).map((id, i) => ({ id, source: randomSource(next, 1000 + i) }))
    const unchanged = ids.filter((_, i) => i % 11 === 5).map((id) => ({ id, source: model.docs.get(id)!.source }))
    const dropped = ids.filter((_, i) => i % 13 === 3).map((id) => {
      const { title: _title, ...rest } = model.docs.get(id)!.source
      return { id, source: rest }
    })
    // Some ids are in both lists: the last document of an id wins.
    expect(updates.some((u) => unchanged.some((x) => x.id === u.id))).toBe(true)
    const result = await index.add([...updates, ...unchanged].map(({ id, source }) => sourceDoc(id, source)))
    expect(result.unchanged).toBe(model.add([...updates, ...unchanged]))
    expect(result.unchanged).toBeGreaterThan(0)
    await write(dropped)
    const deleted = ids.filter((_, i) => i % 5 === 2)
    expect(await index.delete(deleted)).toBe(deleted.length)
    model.delete(deleted)
    // A field's statistics follow its live documents only: delete every document with tags but a few.
    const withTags = [...model.docs.entries()].filter(([, doc]) => doc.tokens.tags.length > 0).map(([id]) => id)
    await index.delete(withTags.slice(5))
    model.delete(withTags.slice(5))
    await write(batch(40, 'late'))
    expectAgreement(index, model, 'after updates and deletes')
    expect(await index.check()).toEqual([])
  })

  it('agrees after compact() and after reopen', async () => {
    await index.compact()
    expect(await index.check()).toEqual([])
    expectAgreement(index, model, 'after compact')
    await index.close()
    index = await SparseIndex.open(dir)
    expectAgreement(index, model, 'after reopen')
    expect(await index.check()).toEqual([])
    // Writes after reopen keep agreeing.
    await write(batch(25, 'reopened'))
    await index.delete([...model.docs.keys()].slice(0, 10))
    model.delete([...model.docs.keys()].slice(0, 10))
    expectAgreement(index, model, 'after writes following reopen')
    expect(await index.check()).toEqual([])
  })

  it('a field no live document has any more matches nothing and scores nothing', async () => {
    const small = await mkdtemp(join(tmpdir(), 'lsr-fields-bm25-gone-'))
    const tiny = await SparseIndex.open(small, { create: true, encoder: null, schema: { mappings: { properties: { a: { type: 'text' }, b: { type: 'text' } } } } })
    await tiny.add([sourceDoc('x', { a: 'alpha', b: 'bravo' }), sourceDoc('y', { b: 'alpha bravo' })])
    await tiny.delete(['x'])
    expect((await tiny.search({ query: { match: { a: 'alpha' } } })).total).toBe(0)
    const { hits } = await tiny.search({ query: { multi_match: { query: 'alpha', fields: ['a', 'b'] } } })
    // N = 1, df = 1 in b: idf = ln(1 + 0.5 / 1.5); dl = avgdl = 2
    expect(hits).toHaveLength(1)
    expect(hits[0].score).toBeCloseTo(Math.log(1 + 0.5 / 1.5) * (1 / (1 + 1.2)), 14)
    expect(await tiny.check()).toEqual([])
    await tiny.close()
    await rm(small, { recursive: true, force: true })
  })
})
