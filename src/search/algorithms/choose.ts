/**
 * The `auto` algorithm choice. Measured with scripts/bench/beir-bm25.js (SciFact, 2 cores):
 * with ~4k postings per query (SciFact as is) term-at-a-time exhaustive scoring beats MaxScore by
 * 1.1-1.9x; with ~44k (SciFact x10) MaxScore wins 2.5x at top-10 and 1.2x at top-100 but loses
 * 1.4x at top-1000, where k is no longer small next to the postings. Both give identical results.
 *
 * Filtered searches (scripts/bench/synthetic.js, 300k learned-sparse documents, top-10 p50):
 * scoring the filter's candidates directly takes 0.24 / 0.83 / 3.6 ms when the filter allows
 * 0.1 / 1 / 10 % of the documents, against MaxScore's 10.4 / 4.5 / 2.4 ms (a selective filter keeps
 * its threshold low); the crossover sits near candidates x terms = postings / 2.
 *
 * Known miss, measured with scripts/bench/auto-choice.js (300k learned-sparse documents): with
 * queries of tokens sampled by document frequency (all frequent, similar upper bounds) exhaustive
 * beats MaxScore on ~71 % of queries (top-10 mean 6.5 vs 7.3 ms) and auto picks MaxScore. Two
 * bound-aware rules were tried (against the older document-at-a-time MaxScore, which lost by
 * 1.6x there): "share of postings in the lowest-bound terms summing below the largest bound
 * >= 0.7" sent SciFact-x10 BM25 queries to exhaustive (top-10 p99 1.8 -> 3.4 ms); estimating the
 * k-th score from an exact 1/16 sample of the doc ids (and priming MaxScore with it) cost realistic
 * queries 10-15 %. Realistic queries mix rare heavy tokens with frequent light ones, where MaxScore
 * wins on every query, so the posting-count rule stays.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { candidateTopK } from './candidates.js'
import { exhaustiveTopK } from './exhaustive.js'
import { maxScoreTopK } from './maxscore.js'

/** Below this many postings in a query, pruning costs more than it saves. */
const MIN_POSTINGS_FOR_PRUNING = 20_000
/** Pruning pays only while the postings outnumber k by this factor. */
const MIN_POSTINGS_PER_HIT = 50

/** Candidate-driven scoring wins while candidates x terms stay below the postings over this factor. */
const POSTINGS_PER_CANDIDATE_PROBE = 2

/** Picks the faster exact algorithm for this query (and its filter's candidates, when filtered). */
export function chooseAlgorithm(query: ScoredQuery, k: number, candidates?: Uint32Array): typeof maxScoreTopK {
  let postings = 0
  for (const list of query.postings) postings += list.length
  if (candidates && candidates.length * query.postings.length * POSTINGS_PER_CANDIDATE_PROBE < postings) return candidateTopK
  return postings < MIN_POSTINGS_FOR_PRUNING || postings < k * MIN_POSTINGS_PER_HIT ? exhaustiveTopK : maxScoreTopK
}
