/**
 * MaxScore (Turtle & Flood, 1995), document-at-a-time, exact.
 *
 * Terms are sorted by upper bound; the lowest-bound terms whose bounds sum below the current k-th
 * score are "non-essential": a document matching only them cannot enter the top k, so candidates
 * come from the essential terms only, and non-essential terms are probed (galloping search) only
 * while the candidate can still beat the threshold.
 *
 * Exactness: every document that is fully scored gets the same floating-point sum as
 * {@link exhaustiveTopK} (contributions summed in query order), and a document is dropped only when
 * its bound is below the threshold by more than a rounding margin, so the results are identical.
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

/** Exhausted-cursor sentinel: above every doc id (doc ids are u32). */
const END = 0x100000000

export function maxScoreTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters, alpha }: AlgorithmOptions = {}): ScoredDoc[] {
  const n = query.postings.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => query.upperBounds[a] - query.upperBounds[b])
  const docs = order.map((i) => query.postings[i].docs)
  const values = order.map((i) => query.postings[i].values)
  const lengths = Int32Array.from(order, (i) => query.postings[i].length)
  const cumulativeBound = new Float64Array(n)
  for (let j = 0, sum = 0; j < n; j++) cumulativeBound[j] = sum += query.upperBounds[order[j]]
  const positions = new Int32Array(n)
  // current doc id of each cursor, END once exhausted
  const current = Float64Array.from(lengths, (length, j) => (length > 0 ? docs[j][0] : END))
  const contributions = new Float64Array(n)
  const top = new TopK(k)
  let firstEssential = 0
  let scored = 0
  let cutoff = -Infinity

  while (firstEssential < n) {
    let doc = END
    for (let j = firstEssential; j < n; j++) if (current[j] < doc) doc = current[j]
    if (doc === END) break

    let partial = 0
    for (let j = firstEssential; j < n; j++) {
      if (current[j] !== doc) continue
      const p = positions[j]
      const c = query.contribution(order[j], values[j][p], doc)
      contributions[order[j]] = c
      partial += c
      positions[j] = p + 1
      current[j] = p + 1 < lengths[j] ? docs[j][p + 1] : END
      scored++
    }
    let pruned = live[doc] !== 1
    for (let j = firstEssential - 1; j >= 0 && !pruned; j--) {
      if (partial + cumulativeBound[j] < cutoff) {
        pruned = true
        break
      }
      const p = gallop(docs[j], positions[j], lengths[j], doc)
      positions[j] = p
      if (p < lengths[j] && docs[j][p] === doc) {
        const c = query.contribution(order[j], values[j][p], doc)
        contributions[order[j]] = c
        partial += c
        scored++
      }
    }
    if (!pruned) {
      let score = 0
      for (let i = 0; i < n; i++) score += contributions[i]
      top.push(doc, score)
      if (top.full) {
        cutoff = cutoffOf(top.threshold, alpha)
        while (firstEssential < n && cumulativeBound[firstEssential] < cutoff) firstEssential++
      }
    }
    contributions.fill(0)
  }
  if (counters) counters.postingsScored += scored
  return top.sorted()
}
