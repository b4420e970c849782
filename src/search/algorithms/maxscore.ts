/**
 * MaxScore (Turtle & Flood, 1995), exact, evaluated a window of doc ids at a time as Lucene's
 * MaxScoreBulkScorer does.
 *
 * Terms are sorted by upper bound; the lowest-bound terms whose bounds sum below the current k-th
 * score are "non-essential": a document matching only them cannot enter the top k. Per window,
 * the essential terms' postings are scored term at a time into window-local arrays (a tight loop
 * over typed arrays, as exhaustive scoring), then the window's candidates are visited in doc-id
 * order: each one's partial score plus the non-essential bounds is tested against the threshold,
 * and the non-essential terms are probed (galloping search) only while it can still enter.
 * Compared with document-at-a-time MaxScore this drops the per-document cursor juggling, which
 * dominated when many long lists stay essential. Measured against the document-at-a-time version
 * (scripts/bench/auto-choice.js, 300k learned-sparse documents, mean latency): SciFact queries
 * top-10 2.48 -> 1.57 ms, top-100 4.31 -> 2.55 ms; tokens sampled by document frequency top-10
 * 11.0 -> 8.1 ms; SciFact x10 with bm25 (beir-bm25.js --repeat 10) top-10 p99 1.8 -> 1.3 ms at an
 * unchanged p50. Windows of 512 to 8,192 doc ids were tried; 1,024 was best or within noise.
 *
 * Exactness: each term's contribution to a window document is kept per term, and a document that
 * survives is summed in query order from 0, as {@link exhaustiveTopK} sums it, so scores are
 * identical; a document is dropped only when its bound is below the threshold by more than a
 * rounding margin.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import { gallop } from './sorted-arrays.js'

/** Work counters a caller may pass in to measure pruning. */
export interface QueryCounters {
  postingsScored: number
}

/** Per-call settings of the top-k algorithms. */
export interface AlgorithmOptions {
  /** Receives the number of postings scored. */
  counters?: QueryCounters
  /**
   * APPROXIMATE when below 1: a document or block is skipped when alpha x its bound is below the
   * k-th score, trading recall for speed. @default 1 (exact)
   */
  alpha?: number
  /** Doc ids per window (MaxScore and exhaustive; for tests and tuning). @default 1024 (MaxScore), 2048 (exhaustive) */
  window?: number
  /** Documents per block (block-max only). */
  blockSize?: number
  /**
   * Set for filtered searches: the ascending doc ids that may match (live, allowed by the filter,
   * holding a query term). Block-max skips blocks without one; candidate-driven scoring needs it.
   */
  candidates?: Uint32Array
}

/** The pruning cutoff for a k-th score: a rounding margin below it, divided by alpha. */
export function cutoffOf(threshold: number, alpha = 1): number {
  return (threshold - Math.abs(threshold) * ROUNDING_MARGIN) / alpha
}

/** Relative margin for float rounding in bound sums; pruning only happens below threshold*(1-margin). */
const ROUNDING_MARGIN = 1e-9

/** Doc ids per window; the per-term contribution table holds window x terms doubles. */
const WINDOW = 1024

/**
 * Window arrays shared by all queries (searches run synchronously, so never twice at once):
 * allocating and zeroing them per query cost more than scoring a short query. Every slot a query
 * writes is cleared when the slot is visited, so they are all zero between queries.
 */
let scratch = { partial: new Float64Array(0), touched: new Uint8Array(0), slots: new Int32Array(0), contributions: new Float64Array(0) }

function windowArrays(window: number, terms: number): typeof scratch {
  if (scratch.partial.length < window || scratch.contributions.length < window * terms) {
    const size = Math.max(window, scratch.partial.length)
    scratch = {
      partial: new Float64Array(size),
      touched: new Uint8Array(size),
      slots: new Int32Array(size),
      contributions: new Float64Array(Math.max(window * terms, scratch.contributions.length)),
    }
  }
  return scratch
}

/** Below this share of touched slots, a window's candidates are sorted instead of scanned for. */
const SPARSE_WINDOW = 1 / 16

export function maxScoreTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters, alpha, window = WINDOW }: AlgorithmOptions = {}): ScoredDoc[] {
  const n = query.postings.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => query.upperBounds[a] - query.upperBounds[b])
  const docs = order.map((i) => query.postings[i].docs)
  const values = order.map((i) => query.postings[i].values)
  const lengths = Int32Array.from(order, (i) => query.postings[i].length)
  const cumulativeBound = new Float64Array(n)
  for (let j = 0, sum = 0; j < n; j++) cumulativeBound[j] = sum += query.upperBounds[order[j]]
  const positions = new Int32Array(n)
  // Per window slot: essential partial score, whether touched, and each term's contribution (query order).
  const { partial, touched, slots, contributions } = windowArrays(window, n)
  const top = new TopK(k)
  let firstEssential = 0
  let scored = 0
  let cutoff = -Infinity

  while (firstEssential < n) {
    // The next window starts at the smallest doc id left in an essential list.
    let base = Infinity
    for (let j = firstEssential; j < n; j++) if (positions[j] < lengths[j] && docs[j][positions[j]] < base) base = docs[j][positions[j]]
    if (base === Infinity) break
    const end = base + window
    const essential = firstEssential
    let count = 0
    for (let j = essential; j < n; j++) {
      const list = docs[j]
      const listValues = values[j]
      const i = order[j]
      let p = positions[j]
      const start = p
      for (; p < lengths[j] && list[p] < end; p++) {
        const doc = list[p]
        const slot = doc - base
        const c = query.contribution(i, listValues[p], doc)
        partial[slot] += c
        if (touched[slot] === 0) {
          touched[slot] = 1
          slots[count++] = slot
        }
        contributions[slot * n + i] = c
      }
      scored += p - start
      positions[j] = p
    }
    const nonEssentialBound = essential > 0 ? cumulativeBound[essential - 1] : 0
    // Candidates in doc-id order: sort the few touched slots, or scan the window when many are.
    const sparse = count < window * SPARSE_WINDOW
    if (sparse) slots.subarray(0, count).sort()
    for (let s = 0, slot = 0; sparse ? s < count : slot < window; s++, slot++) {
      if (sparse) slot = slots[s]
      if (touched[slot] === 0) continue
      touched[slot] = 0
      const doc = base + slot
      let score = partial[slot]
      partial[slot] = 0
      const row = slot * n
      let pruned = live[doc] !== 1 || score + nonEssentialBound < cutoff
      for (let j = essential - 1; j >= 0 && !pruned; j--) {
        if (score + cumulativeBound[j] < cutoff) {
          pruned = true
          break
        }
        const p = gallop(docs[j], positions[j], lengths[j], doc)
        positions[j] = p
        if (p < lengths[j] && docs[j][p] === doc) {
          const c = query.contribution(order[j], values[j][p], doc)
          contributions[row + order[j]] = c
          score += c
          scored++
        }
      }
      if (!pruned) {
        score = 0
        for (let i = 0; i < n; i++) score += contributions[row + i]
        top.push(doc, score)
        if (top.full) cutoff = cutoffOf(top.threshold, alpha)
      }
      contributions.fill(0, row, row + n)
    }
    while (firstEssential < n && cumulativeBound[firstEssential] < cutoff) firstEssential++
  }
  if (counters) counters.postingsScored += scored
  return top.sorted()
}
