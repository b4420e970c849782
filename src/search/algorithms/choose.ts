/**
 * The `auto` algorithm choice. Measured with scripts/bench/beir-bm25.js (SciFact, 2 cores):
 * with ~4k postings per query (SciFact as is) term-at-a-time exhaustive scoring beats MaxScore by
 * 1.1-1.9x; with ~44k (SciFact x10) MaxScore wins 2.5x at top-10 and 1.2x at top-100 but loses
 * 1.4x at top-1000, where k is no longer small next to the postings. Both give identical results.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { exhaustiveTopK } from './exhaustive.js'
import { maxScoreTopK } from './maxscore.js'

/** Below this many postings in a query, pruning costs more than it saves. */
const MIN_POSTINGS_FOR_PRUNING = 20_000
/** Pruning pays only while the postings outnumber k by this factor. */
const MIN_POSTINGS_PER_HIT = 50

/** Picks the faster exact algorithm for this query. */
export function chooseAlgorithm(query: ScoredQuery, k: number): typeof maxScoreTopK {
  let postings = 0
  for (const list of query.postings) postings += list.length
  return postings < MIN_POSTINGS_FOR_PRUNING || postings < k * MIN_POSTINGS_PER_HIT ? exhaustiveTopK : maxScoreTopK
}
