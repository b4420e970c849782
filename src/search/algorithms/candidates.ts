/**
 * Candidate-driven top-k for selective filters: when a filter leaves few documents that can
 * match, score exactly those. For each query term (in query order, so sums equal exhaustive.ts's),
 * the sorted candidates and the term's postings are intersected by galloping through the postings,
 * so the cost follows the number of candidates rather than the length of the posting lists.
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import type { AlgorithmOptions } from './maxscore.js'
import { gallop } from './sorted-arrays.js'
import { LsrError } from '../../errors.js'

/**
 * @param options - `candidates` (required): ascending doc ids that may match, live and allowed by
 *   the filter; `counters` receives the number of postings scored
 */
export function candidateTopK(query: ScoredQuery, k: number, live: Uint8Array, { candidates, counters }: AlgorithmOptions = {}): ScoredDoc[] {
  if (!candidates) throw new LsrError('invalid_argument', 'the candidates algorithm applies to filtered searches only')
  const scores = new Float64Array(candidates.length)
  // Flagged apart from the sums: a sum of 0 is a real score.
  const matched = new Uint8Array(candidates.length)
  let scored = 0
  query.postings.forEach(({ docs, values, length }, i) => {
    let p = 0
    for (let c = 0; c < candidates.length && p < length; c++) {
      const doc = candidates[c]
      p = gallop(docs, p, length, doc)
      if (p < length && docs[p] === doc) {
        scores[c] += query.contribution(i, values[p], doc)
        matched[c] = 1
        scored++
      }
    }
  })
  if (counters) counters.postingsScored += scored
  const top = new TopK(k)
  for (let c = 0; c < candidates.length; c++) if (matched[c] === 1 && live[candidates[c]] === 1) top.push(candidates[c], scores[c])
  return top.sorted()
}
