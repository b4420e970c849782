/**
 * Exhaustive term-at-a-time scoring: every posting of every query term is scored, a window of doc
 * ids at a time for top-k, into a dense accumulator of every document for match-all scoring. The
 * reference the pruned algorithms must equal exactly; also the fastest choice when nearly every
 * posting would be scored anyway.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import type { AlgorithmOptions, QueryCounters } from './maxscore.js'
import { lowerBound } from './sorted-arrays.js'

/** Doc ids per window of {@link exhaustiveTopK} by default (Lucene's BooleanScorer uses 2,048), and postings per run of the accumulator. */
const WINDOW = 2048

/** A window with at least window size / DENSE_SHARE postings is scanned whole rather than through a list of touched slots. */
const DENSE_SHARE = 4

/**
 * Below this many postings per window their doc ids span, a query is scored into the shared
 * accumulator instead of window by window: rare terms over a large index (1,000 postings across a
 * million doc ids are 500 windows of two) spent their time setting windows up.
 */
const SPARSE_POSTINGS_PER_WINDOW = 8

/**
 * Window arrays of {@link exhaustiveTopK} shared by all queries, as the accumulator is: per slot a
 * sum and whether it is touched (both cleared when the slot is collected, so zero between
 * queries), the touched slots, per term its first posting in the window (`positions`) and the
 * first past it (`stops`), and a run of contributions.
 */
let window = { sums: new Float64Array(WINDOW), seen: new Uint8Array(WINDOW), slots: new Int32Array(WINDOW), positions: new Int32Array(0), stops: new Int32Array(0), run: new Float64Array(WINDOW) }

function windowArrays(size: number, terms: number): typeof window {
  if (window.sums.length < size) window = { ...window, sums: new Float64Array(size), seen: new Uint8Array(size), slots: new Int32Array(size), run: new Float64Array(size) }
  if (window.positions.length < terms) window = { ...window, positions: new Int32Array(terms), stops: new Int32Array(terms) }
  return window
}

/**
 * One accumulator shared by all queries: allocating (and zeroing) maxDoc doubles per query cost
 * more than the scoring itself on large indexes. Searches run synchronously, so it is never in
 * use twice; {@link withAccumulator} clears the touched entries before returning. `seen` marks
 * the touched documents: a score of 0 is a real score (a zero boost), not "unseen".
 */
let scratch = { scores: new Float64Array(0), seen: new Uint8Array(0), touched: new Int32Array(0) }

/**
 * Scores every posting of the query into the shared accumulator (dense scores of every document,
 * summed in query-term order), calls `use` with it and the documents touched (`touched[0 .. count)`,
 * in no order), then clears it.
 */
export function withAccumulator<T>(
  query: ScoredQuery,
  maxDoc: number,
  use: (scores: Float64Array, touched: Int32Array, count: number) => T,
  counters?: QueryCounters,
): T {
  if (scratch.scores.length < maxDoc) scratch = { scores: new Float64Array(maxDoc), seen: new Uint8Array(maxDoc), touched: new Int32Array(maxDoc) }
  const { scores, seen, touched } = scratch
  const count = accumulate(query, counters)
  try {
    return use(scores, touched, count)
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
  const { run } = window
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
 * @param options - `counters` receives the number of postings scored, `window` sets the doc ids per window (alpha does not apply: nothing is pruned)
 */
export function exhaustiveTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters, window: given }: AlgorithmOptions = {}): ScoredDoc[] {
  // A window size given (tests, tuning) always scores window by window.
  if (given === undefined && sparse(query)) return sparseTopK(query, k, live, counters)
  const size = given ?? WINDOW
  const { postings } = query
  const n = postings.length
  const { sums, seen, slots, positions, stops, run } = windowArrays(size, n)
  positions.fill(0, 0, n)
  const top = new TopK(k)
  let threshold = -Infinity
  let scored = 0
  for (;;) {
    // The next window starts at the smallest doc id left.
    let base = -1
    for (let i = 0; i < n; i++) {
      const p = positions[i]
      if (p < postings[i].length && (base < 0 || postings[i].docs[p] < base)) base = postings[i].docs[p]
    }
    if (base < 0) break
    const end = base + size
    let inWindow = 0
    for (let i = 0; i < n; i++) {
      const { docs, length } = postings[i]
      // A window holds at most `size` postings of a term (its doc ids are distinct).
      stops[i] = lowerBound(docs, positions[i], Math.min(length, positions[i] + size), end)
      inWindow += stops[i] - positions[i]
    }
    // A dense window is scanned whole afterwards; a sparse one lists the slots it touches.
    const dense = inWindow >= size / DENSE_SHARE
    let count = 0
    for (let i = 0; i < n; i++) {
      const { docs } = postings[i]
      const start = positions[i]
      const stop = stops[i]
      query.contributions(i, start, stop, run)
      if (dense) {
        for (let p = start; p < stop; p++) {
          const slot = docs[p] - base
          sums[slot] += run[p - start]
          seen[slot] = 1
        }
      } else {
        for (let p = start; p < stop; p++) {
          const slot = docs[p] - base
          sums[slot] += run[p - start]
          if (seen[slot] === 0) {
            seen[slot] = 1
            slots[count++] = slot
          }
        }
      }
      positions[i] = stop
    }
    scored += inWindow
    const visited = dense ? size : count
    for (let s = 0; s < visited; s++) {
      const slot = dense ? s : slots[s]
      if (seen[slot] === 0) continue
      const score = sums[slot]
      // Below the k-th score a document cannot enter (an equal one may: a smaller doc id wins).
      if (score >= threshold && live[base + slot] === 1) {
        top.push(base + slot, score)
        threshold = top.threshold
      }
      sums[slot] = 0
      seen[slot] = 0
    }
  }
  if (counters) counters.postingsScored += scored
  return top.sorted()
}

/** True when the query's postings are too few for the windows their doc ids span ({@link SPARSE_POSTINGS_PER_WINDOW}). */
function sparse({ postings }: ScoredQuery): boolean {
  let total = 0
  let first = Infinity
  let last = -1
  for (const { docs, length } of postings) {
    if (length === 0) continue
    total += length
    first = Math.min(first, docs[0])
    last = Math.max(last, docs[length - 1])
  }
  return total < SPARSE_POSTINGS_PER_WINDOW * Math.ceil((last - first + 1) / WINDOW)
}

/**
 * Every posting into the shared accumulator (summed in query-term order from 0, as the windows
 * sum them), then each touched live document to the top k (its tie rule does not depend on the
 * order documents come in).
 */
function sparseTopK(query: ScoredQuery, k: number, live: Uint8Array, counters?: QueryCounters): ScoredDoc[] {
  return withAccumulator(query, live.length, (scores, touched, count) => {
    const top = new TopK(k)
    for (let t = 0; t < count; t++) {
      const doc = touched[t]
      if (live[doc] === 1 && scores[doc] >= top.threshold) top.push(doc, scores[doc])
    }
    return top.sorted()
  }, counters)
}
