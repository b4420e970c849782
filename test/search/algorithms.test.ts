import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bm25Config, createBm25Encoder } from '../../src/encode/bm25.js'
import { SparseIndex, type SearchAlgorithm } from '../../src/engine/sparse-index.js'
import { decodeWeight, encodeWeight } from '../../src/storage/weight-codec.js'
import { doc, tempDir } from '../helpers.js'

/** Every algorithm, with block-max, MaxScore and exhaustive also at tiny block and window sizes so that blocks and windows really matter. */
const ALGORITHM_OPTIONS: Array<{ algorithm: SearchAlgorithm; blockSize?: number; window?: number }> = [
  { algorithm: 'auto' }, { algorithm: 'maxscore' }, { algorithm: 'exhaustive' }, { algorithm: 'exhaustive', window: 1 }, { algorithm: 'exhaustive', window: 5 },
  { algorithm: 'maxscore', window: 1 }, { algorithm: 'maxscore', window: 3 }, { algorithm: 'maxscore', window: 16 },
  { algorithm: 'blockmax' }, { algorithm: 'blockmax', blockSize: 1 }, { algorithm: 'blockmax', blockSize: 4 }, { algorithm: 'blockmax', blockSize: 16 },
]

const WORDS = ['alpha', 'bravo', 'charli', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima']
const encoder = createBm25Encoder(bm25Config())

/** Independent brute force: BM25 of every live document, summed in query-term order. */
async function bruteForce(texts: Map<string, string>, query: string, k: number) {
  const ids = [...texts.keys()]
  const vectors = await encoder.encodeDocuments(ids.map((id) => doc(id, texts.get(id)!)))
  const n = ids.length
  const avgdl = vectors.reduce((s, v) => s + v.length, 0) / n
  const { k1, b } = bm25Config()
  const scored = ids.map((id, d) => {
    let score = 0
    let matched = false
    for (const { term, weight } of encoder.encodeQuery(query)) {
      const df = vectors.filter((v) => v.terms.includes(term)).length
      const at = vectors[d].terms.indexOf(term)
      if (at < 0) continue
      matched = true
      const tf = vectors[d].values[at]
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5))
      score += weight * idf * (tf / (tf + k1 * (1 - b + (b * vectors[d].length) / avgdl)))
    }
    return { id, score, matched }
  })
  // Internal doc ids follow insertion order, which `texts` keeps (replaced docs move to the end, unchanged ones stay).
  return scored.filter((s) => s.matched).sort((x, y) => y.score - x.score).slice(0, k).map(({ id, score }) => ({ id, score }))
}

/** Independent brute force for learned vectors: each matching document's dot product with the query (stored weights), in query order. */
function dotBruteForce(docs: Record<string, number>[], query: { term: string; weight: number }[]) {
  return docs
    .map((vector, i) => {
      let score = 0
      let matched = false
      for (const { term, weight } of query) {
        if (vector[term] === undefined) continue
        matched = true
        score += weight * decodeWeight(encodeWeight(vector[term]))
      }
      return { id: `d${i}`, score, matched }
    })
    .filter((d) => d.matched)
    .map(({ id, score }) => ({ id, score }))
}

const corpusArb = fc.record({
  docs: fc.array(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 120 }),
  deletes: fc.array(fc.nat(), { maxLength: 20 }),
  queries: fc.array(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
  k: fc.integer({ min: 1, max: 25 }),
  batch: fc.integer({ min: 1, max: 50 }),
  finish: fc.constantFrom('none', 'compact', 'reopen', 'compact+reopen'),
})

const learnedArb = fc.record({
  docs: fc.array(fc.dictionary(fc.constantFrom(...WORDS), fc.double({ min: 0.01, max: 3, noNaN: true }), { minKeys: 1, maxKeys: 8 }), { minLength: 1, maxLength: 150 }),
  queries: fc.array(fc.dictionary(fc.constantFrom(...WORDS), fc.double({ min: 0.05, max: 8, noNaN: true }), { minKeys: 1, maxKeys: 6 }), { minLength: 1, maxLength: 5 }),
  deletes: fc.array(fc.nat(), { maxLength: 10 }),
  k: fc.integer({ min: 1, max: 20 }),
})

describe('top-k algorithms', () => {
  it('every algorithm equals brute-force BM25 on random corpora (with deletes, compaction, reopen)', async () => {
    await fc.assert(
      fc.asyncProperty(corpusArb, async ({ docs, deletes, queries, k, batch, finish }) => {
        const dir = await tempDir()
        let index = await SparseIndex.open(dir, { create: true })
        const texts = new Map<string, string>()
        const all = docs.map((words, i) => doc(`d${i % 97}`, words.join(' ')))
        for (let i = 0; i < all.length; i += batch) {
          const chunk = all.slice(i, i + batch)
          await index.add(chunk)
          // SparseIndex.add as documented: within a batch the last of a repeated id wins (in the
          // place of its first occurrence); a document whose source is unchanged is left untouched
          // (it keeps its place); a changed one is replaced, which appends it.
          const latest = new Map<string, string>()
          for (const d of chunk) latest.set(d.id, d.text ?? '')
          for (const [id, text] of latest) {
            if (texts.get(id) === text) continue
            texts.delete(id)
            texts.set(id, text)
          }
        }
        const doomed = deletes.map((n) => `d${n % 97}`)
        await index.delete(doomed)
        for (const id of doomed) texts.delete(id)
        if (finish.startsWith('compact')) await index.compact()
        if (finish.endsWith('reopen')) {
          await index.close()
          index = await SparseIndex.open(dir)
        }
        expect(await index.check()).toEqual([])
        for (const words of queries) {
          const query = words.join(' ')
          const expected = texts.size > 0 ? await bruteForce(texts, query, k) : []
          for (const options of ALGORITHM_OPTIONS) {
            const got = index.searchIds(query, { k, ...options }).map(({ id, score }) => ({ id, score }))
            expect(got, JSON.stringify(options)).toEqual(expected)
          }
        }
        await index.close()
      }),
      {
        numRuns: 60,
        // Always run: d0 and d1 tie; d0 comes again, unchanged, in a later batch (docs 0 and 97 both
        // have id d0), so it keeps its place and still wins the tie.
        examples: [[{ docs: [['alpha'], ['alpha'], ...Array.from({ length: 95 }, () => ['bravo']), ['alpha']], deletes: [], queries: [['alpha']], k: 5, batch: 50, finish: 'none' as const }]],
      },
    )
  })

  it('every algorithm equals a brute-force dot product on random learned-sparse vectors (with deletes)', async () => {
    await fc.assert(
      fc.asyncProperty(learnedArb, async ({ docs, queries, deletes, k }) => {
        const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'vectors' } })
        await index.add(docs.map((vector, i) => ({ id: `d${i}`, title: '', text: '', source: { vector } })))
        const doomed = new Set(deletes.map((n) => `d${n % docs.length}`))
        await index.delete([...doomed])
        for (const weights of queries) {
          const query = Object.entries(weights).map(([term, weight]) => ({ term, weight }))
          const expected = dotBruteForce(docs, query)
            .filter((d) => !doomed.has(d.id))
            .sort((a, b) => b.score - a.score)
            .slice(0, k)
            .map(({ id, score }) => ({ id, score }))
          for (const options of ALGORITHM_OPTIONS) {
            expect(index.searchIds(query, { k, ...options }).map(({ id, score }) => ({ id, score })), JSON.stringify(options)).toEqual(expected)
          }
        }
        await index.close()
      }),
      { numRuns: 60 },
    )
  })

  it('filtered top-k: every algorithm, candidate-driven scoring included, equals a brute force over the allowed documents', async () => {
    const filteredArb = fc.record({
      docs: learnedArb.map((r) => r.docs),
      queries: learnedArb.map((r) => r.queries),
      allowed: fc.array(fc.nat(), { maxLength: 60 }),
      excluded: fc.array(fc.nat(), { maxLength: 20 }),
      useAllowed: fc.boolean(),
      deletes: fc.array(fc.nat(), { maxLength: 10 }),
      k: fc.integer({ min: 1, max: 20 }),
    })
    await fc.assert(
      fc.asyncProperty(filteredArb, async ({ docs, queries, allowed, excluded, useAllowed, deletes, k }) => {
        const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'vectors' } })
        await index.add(docs.map((vector, i) => ({ id: `d${i}`, title: '', text: '', source: { vector } })))
        const doomed = new Set(deletes.map((n) => `d${n % docs.length}`))
        await index.delete([...doomed])
        const allowedIds = new Set(allowed.map((n) => `d${n % docs.length}`))
        const excludedIds = new Set(excluded.map((n) => `d${n % docs.length}`))
        const passes = (id: string) => (!useAllowed || allowedIds.has(id)) && !excludedIds.has(id) && !doomed.has(id)
        for (const weights of queries) {
          const terms = Object.entries(weights).map(([term, weight]) => ({ term, weight }))
          const matching = dotBruteForce(docs, terms).filter((d) => passes(d.id))
          const expected = matching.sort((a, b) => b.score - a.score).slice(0, k).map(({ id, score }) => ({ id, score }))
          const request = {
            terms,
            allowed: useAllowed ? index.docsWithIds([...allowedIds]) : undefined,
            excluded: index.docsWithIds([...excludedIds]),
            matchAnyTerm: true,
          }
          for (const options of [...ALGORITHM_OPTIONS, { algorithm: 'candidates' as const }]) {
            const { hits, total } = index.execute(request, { k, ...options })
            expect(hits.map(({ id, score }) => ({ id, score })), JSON.stringify(options)).toEqual(expected)
            expect(total).toBe(matching.length)
          }
        }
        await index.close()
      }),
      { numRuns: 60 },
    )
  })

  it('candidate-driven scoring of a selective filter reads a fraction of the postings; block-max skips blocks without candidates', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add(Array.from({ length: 4000 }, (_, i) => doc(`d${i}`, `alpha bravo ${i % 3 === 0 ? 'charli' : 'delta'}`)))
    const allowed = index.docsWithIds(['d10', 'd2000', 'd3999'])
    const request = { terms: [{ term: 'alpha', weight: 1 }, { term: 'charli', weight: 1 }], allowed, matchAnyTerm: true }
    const counted = (algorithm: SearchAlgorithm) => {
      const counters = { postingsScored: 0 }
      const { hits } = index.execute(request, { k: 2, algorithm, counters })
      return { ids: hits.map((h) => h.id), scored: counters.postingsScored }
    }
    // All three hold 'alpha' (equal scores: equal lengths, so d10 wins the tie); only d3999 holds 'charli'.
    expect(counted('exhaustive')).toEqual({ ids: ['d3999', 'd10'], scored: 4000 + 1334 })
    expect(counted('candidates')).toEqual({ ids: ['d3999', 'd10'], scored: 3 + 1 })
    expect(counted('auto')).toEqual(counted('candidates'))
    expect(counted('blockmax').scored).toBeLessThan(3 * 2 * 128)
    await index.close()
  })

  it('maxscore scores fewer postings than exhaustive when k is small', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const docs = Array.from({ length: 2000 }, (_, i) => doc(`d${i}`, `alpha bravo ${i % 50 === 0 ? 'zulu zulu' : 'charli'}`))
    await index.add(docs)
    const pruned = { postingsScored: 0 }
    const full = { postingsScored: 0 }
    const a = index.searchIds('alpha zulu', { k: 5, algorithm: 'maxscore', window: 64, counters: pruned })
    const b = index.searchIds('alpha zulu', { k: 5, algorithm: 'exhaustive', counters: full })
    expect(a).toEqual(b)
    expect(full.postingsScored).toBe(2040)
    // Windows [0, 64) .. [192, 256) score every posting (256 'alpha', 6 'zulu': docs 0, 50, .., 250)
    // and hold the 5th 'zulu' doc (200); then 'alpha' is non-essential: windows start at the next
    // 'zulu' doc, and each of the 34 left (300 .. 1950) probes 'alpha' once.
    expect(pruned.postingsScored).toBe(256 + 6 + 34 + 34)
    await index.close()
  })
})
