/**
 * Exhaustive scoring of rare terms over a large doc-id space goes through the shared accumulator
 * instead of windows (exhaustive.ts, SPARSE_POSTINGS_PER_WINDOW): the same hits, scores to the
 * bit and tie order as window by window and as an independent brute force.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { exhaustiveTopK } from '../../src/search/algorithms/exhaustive.js'
import type { ScoredQuery } from '../../src/search/scorers/scored-query.js'

/** A query over posting lists with a fixed contribution per posting (coarse values, so ties happen). */
function query(lists: Array<Map<number, number>>): ScoredQuery {
  const postings = lists.map((list) => {
    const docs = Uint32Array.from([...list.keys()].sort((a, b) => a - b))
    return { docs, values: Uint32Array.from(docs, (doc) => list.get(doc)!), length: docs.length }
  })
  const contribution = (i: number, value: number) => value * (0.1 + i)
  return {
    postings,
    contribution,
    contributions(i: number, from: number, to: number, out: Float64Array) {
      for (let p = from; p < to; p++) out[p - from] = contribution(i, postings[i].values[p])
    },
  } as unknown as ScoredQuery
}

/** Every matching live document's score summed in query-term order, best first, ties by doc id. */
function bruteForce(lists: Array<Map<number, number>>, k: number, live: Uint8Array) {
  const scores = new Map<number, number>()
  lists.forEach((list, i) => {
    for (const [doc, value] of list) scores.set(doc, (scores.get(doc) ?? 0) + value * (0.1 + i))
  })
  return [...scores].filter(([doc]) => live[doc] === 1).map(([doc, score]) => ({ doc, score }))
    .sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, k)
}

describe('exhaustive top-k of sparse postings', () => {
  it('equals windows and brute force over a million doc ids', () => {
    const MAX_DOC = 1_000_000
    const list = fc.array(fc.tuple(fc.integer({ min: 0, max: MAX_DOC - 1 }), fc.integer({ min: 1, max: 4 })), { maxLength: 300 }).map((pairs) => new Map(pairs))
    fc.assert(fc.property(fc.array(list, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2 ** 31 }), (lists, k, seed) => {
      const live = new Uint8Array(MAX_DOC).fill(1)
      for (let doc = seed % 7; doc < MAX_DOC; doc += 7) live[doc] = 0
      const expected = bruteForce(lists, k, live)
      expect(exhaustiveTopK(query(lists), k, live)).toEqual(expected)
      expect(exhaustiveTopK(query(lists), k, live, { window: 2048 })).toEqual(expected)
    }), { numRuns: 60 })
  })

  it('counts every posting scored and ranks by score, then doc id', () => {
    const lists = [new Map([[5, 1], [400_000, 2], [999_999, 1]]), new Map([[400_000, 3]])]
    const counters = { postingsScored: 0 }
    expect(exhaustiveTopK(query(lists), 2, new Uint8Array(1_000_000).fill(1), { counters })).toEqual([{ doc: 400_000, score: 2 * 0.1 + 3 * 1.1 }, { doc: 5, score: 0.1 }])
    expect(counters.postingsScored).toBe(4)
  })
})
