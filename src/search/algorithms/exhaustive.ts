/**
 * Exhaustive term-at-a-time scoring: every posting of every query term is scored into a dense
 * accumulator. The reference the pruned algorithms must equal exactly; also the fastest choice
 * when nearly every posting would be scored anyway.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import { windowArrays, type AlgorithmOptions, type QueryCounters } from './maxscore.js'
import { lowerBound } from './sorted-arrays.js'

/** Doc ids per window of {@link exhaustiveTopK} (Lucene's BooleanScorer uses 2,048), and postings per run of the accumulator. */
const WINDOW = 2048

/**
 * One accumulator shared by all queries: allocating (and zeroing) maxDoc doubles per query cost
 * more than the scoring itself on large indexes. Searches run synchronously, so it is never in
 * use twice; {@link withAccumulator} clears the touched entries before returning. `seen` marks
 * the touched documents: a score of 0 is a real score (a zero boost), not "unseen".
 */
let scratch = { scores: new Float64Array(0), seen: new Uint8Array(0), touched: new Int32Array(0) }

/**
 * Scores every posting of the query into the shared accumulator (dense scores of every document,
 * summed in query-term order), calls `use` with it, then clears it.
 */
export function withAccumulator<T>(query: ScoredQuery, maxDoc: number, use: (scores: Float64Array) => T, counters?: QueryCounters): T {
  if (scratch.scores.length < maxDoc) scratch = { scores: new Float64Array(maxDoc), seen: new Uint8Array(maxDoc), touched: new Int32Array(maxDoc) }
  const { scores, seen, touched } = scratch
  const count = accumulate(query, counters)
  try {
    return use(scores)
  } finally {
    for (let t = 0; t < count; t++) {
      scores[touched[t]] = 0
      seen[touched[t]] = 0
    }
  }
}

/** Adds every posting's contribution to the scratch scores, in query-term order; returns the number of documents touched. */
function accumulate(query: ScoredQuery, counters?: QueryCounters): number {
  const { scores, seen, touched } = scratch
  const { run } = windowArrays(WINDOW, 0)
  let count = 0
  let scored = 0
  for (let i = 0; i < query.postings.length; i++) {
    const { docs, length } = query.postings[i]
    for (let from = 0; from < length; from += WINDOW) {
      const to = Math.min(from + WINDOW, length)
      query.contributions(i, from, to, run)
      for (let p = from; p < to; p++) {
        const doc = docs[p]
        if (seen[doc] === 0) {
          seen[doc] = 1
          touched[count++] = doc
        }
        scores[doc] += run[p - from]
      }
    }
    scored += length
  }
  if (counters) counters.postingsScored += scored
  return count
}

/**
 * Term-at-a-time over windows of doc ids, as Lucene's BooleanScorer: each term's postings in the
 * window are added into window-local sums (summed in query-term order from 0, as the accumulator
 * sums them), then the window's documents go to the top k. Every array it touches stays in the
 * L1/L2 cache, where a dense accumulator of every document took a cache miss per posting (to add,
 * then to clear).
 * @param query - resolved query terms
 * @param k - number of hits wanted
 * @param live - per doc id, 1 when the document may be returned
 * @param options - `counters` receives the number of postings scored (alpha does not apply: nothing is pruned)
 */
export function exhaustiveTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters }: AlgorithmOptions = {}): ScoredDoc[] {
  const { postings } = query
  const n = postings.length
  const { partial: sums, touched: seen, slots, positions, run } = windowArrays(WINDOW, n)
  positions.fill(0, 0, n)
  const top = new TopK(k)
  let scored = 0
  for (;;) {
    // The next window starts at the smallest doc id left.
    let base = -1
    for (let i = 0; i < n; i++) {
      const p = positions[i]
      if (p < postings[i].length && (base < 0 || postings[i].docs[p] < base)) base = postings[i].docs[p]
    }
    if (base < 0) break
    const end = base + WINDOW
    let count = 0
    for (let i = 0; i < n; i++) {
      const { docs, length } = postings[i]
      const start = positions[i]
      // A window holds at most WINDOW postings of a term (its doc ids are distinct).
      const stop = lowerBound(docs, start, Math.min(length, start + WINDOW), end)
      query.contributions(i, start, stop, run)
      for (let p = start; p < stop; p++) {
        const slot = docs[p] - base
        sums[slot] += run[p - start]
        if (seen[slot] === 0) {
          seen[slot] = 1
          slots[count++] = slot
        }
      }
      scored += stop - start
      positions[i] = stop
    }
    for (let s = 0; s < count; s++) {
      const slot = slots[s]
      if (live[base + slot] === 1) top.push(base + slot, sums[slot])
      sums[slot] = 0
      seen[slot] = 0
    }
  }
  if (counters) counters.postingsScored += scored
  return top.sorted()
}
