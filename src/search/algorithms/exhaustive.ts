/**
 * Exhaustive term-at-a-time scoring: every posting of every query term is scored into a dense
 * accumulator. The reference the pruned algorithms must equal exactly; also the fastest choice
 * when nearly every posting would be scored anyway.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import type { AlgorithmOptions, QueryCounters } from './maxscore.js'

/** Dense scores of every document (summed in query-term order) and the documents touched. */
export interface Accumulated {
  scores: Float64Array
  touched: number[]
}

/**
 * One accumulator shared by all queries: allocating (and zeroing) maxDoc doubles per query cost
 * more than the scoring itself on large indexes. Searches run synchronously, so it is never in
 * use twice; {@link withAccumulator} clears the touched entries before returning. `seen` marks
 * the touched documents: a score of 0 is a real score (a zero boost), not "unseen".
 */
let scratch = { scores: new Float64Array(0), seen: new Uint8Array(0) }

/** Scores every posting of the query into the shared accumulator, calls `use`, then clears it. */
export function withAccumulator<T>(query: ScoredQuery, maxDoc: number, use: (accumulated: Accumulated) => T, counters?: QueryCounters): T {
  if (scratch.scores.length < maxDoc) scratch = { scores: new Float64Array(maxDoc), seen: new Uint8Array(maxDoc) }
  const { scores, seen } = scratch
  const accumulated = accumulate(query, scores, seen, counters)
  try {
    return use(accumulated)
  } finally {
    for (const doc of accumulated.touched) {
      scores[doc] = 0
      seen[doc] = 0
    }
  }
}

function accumulate(query: ScoredQuery, scores: Float64Array, seen: Uint8Array, counters?: QueryCounters): Accumulated {
  const touched: number[] = []
  let scored = 0
  query.postings.forEach(({ docs, values, length }, i) => {
    for (let p = 0; p < length; p++) {
      const doc = docs[p]
      if (seen[doc] === 0) {
        seen[doc] = 1
        touched.push(doc)
      }
      scores[doc] += query.contribution(i, values[p], doc)
    }
    scored += length
  })
  if (counters) counters.postingsScored += scored
  return { scores, touched }
}

/**
 * @param query - resolved query terms
 * @param k - number of hits wanted
 * @param live - per doc id, 1 when the document may be returned
 * @param options - `counters` receives the number of postings scored (alpha does not apply: nothing is pruned)
 */
export function exhaustiveTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters }: AlgorithmOptions = {}): ScoredDoc[] {
  return withAccumulator(query, live.length, ({ scores, touched }) => {
    const top = new TopK(k)
    for (const doc of touched) if (live[doc] === 1) top.push(doc, scores[doc])
    return top.sorted()
  }, counters)
}
