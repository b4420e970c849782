/**
 * Exhaustive term-at-a-time scoring: every posting of every query term is scored into a dense
 * accumulator. The reference the pruned algorithms must equal exactly; also the fastest choice
 * when nearly every posting would be scored anyway.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import type { QueryCounters } from './maxscore.js'

/** Dense scores of every document (summed in query-term order) and the documents touched. */
export interface Accumulated {
  scores: Float64Array
  touched: number[]
}

/** Scores every posting of the query into an accumulator of `maxDoc` entries. */
export function accumulate(query: ScoredQuery, maxDoc: number, counters?: QueryCounters): Accumulated {
  const scores = new Float64Array(maxDoc)
  const touched: number[] = []
  let scored = 0
  query.postings.forEach(({ docs, values, length }, i) => {
    for (let p = 0; p < length; p++) {
      const doc = docs[p]
      if (scores[doc] === 0) touched.push(doc)
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
 * @param counters - optional; receives the number of postings scored
 */
export function exhaustiveTopK(query: ScoredQuery, k: number, live: Uint8Array, counters?: QueryCounters): ScoredDoc[] {
  const { scores, touched } = accumulate(query, live.length, counters)
  const top = new TopK(k)
  for (const doc of touched) if (live[doc] === 1) top.push(doc, scores[doc])
  return top.sorted()
}
