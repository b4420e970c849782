/**
 * The contract between scorers and top-k algorithms: a query resolved against an index, with
 * per-posting contributions and per-term upper bounds. Algorithms never see how a score is made.
 * @module
 */
import type { IndexState } from '../../storage/index-state.js'
import type { BlockMaxima } from '../../storage/block-maxima.js'
import type { PostingList, PostingsView } from '../../storage/posting-list.js'
import type { Phrase } from '../phrase.js'

/** A query resolved against an index: one entry per distinct matched term, in query order. */
export interface ScoredQuery {
  /** Posting lists, in the canonical (query) order used to sum a document's score. */
  readonly postings: readonly PostingsView[]
  /** Upper bound of each term's contribution to any document. */
  readonly upperBounds: Float64Array
  /** Each term's effective weight (BM25: occurrences x idf; dot: the query weight, x corpus idf where used). */
  readonly weights: Float64Array
  /** Contribution of term `i` with posting value `value` to document `doc`. */
  contribution(i: number, value: number, doc: number): number
  /**
   * The contributions of term `i`'s postings `from .. to` (indexes into `postings[i]`) into
   * `out[0 .. to - from)`, each exactly what {@link contribution} gives: one call and one tight
   * loop per run of postings instead of a call per posting.
   */
  contributions(i: number, from: number, to: number, out: Float64Array): void
  /** The same contribution as an explanation tree whose text gives the formula. */
  explain(i: number, value: number, doc: number): Explanation
  /** Block maxima of each term, in the order of `postings` (block size: the index default). */
  blockMaxima(blockSize?: number): readonly BlockMaxima[]
  /** Upper bound of term `i`'s contribution within a block, from the block's maxima. */
  blockBound(i: number, maxValue: number, minLength: number): number
}

/** A score and how it was computed (the shape of Elasticsearch's `_explanation`). */
export interface Explanation {
  value: number
  description: string
  details: Explanation[]
}

/** Builds scored queries for one index; may cache what depends on its statistics. */
export interface Scorer {
  /** Scores distinct term ids with their query weights (terms with df 0 must be left out). */
  prepare(state: IndexState, termIds: readonly number[], queryWeights: readonly number[]): ScoredQuery
  /** Scores phrases of text fields (phrases without matches must be left out); absent: the scorer has no phrases. */
  preparePhrases?(state: IndexState, phrases: readonly Phrase[], queryWeights: readonly number[]): ScoredQuery
}

/** Lucene's BM25 idf, also the corpus IDF of learned-sparse indexes without a table: ln(1 + (N - df + 0.5) / (df + 0.5)). */
export function bm25Idf(numDocs: number, df: number): number {
  return Math.log(1 + (numDocs - df + 0.5) / (df + 0.5))
}

/** Block maxima of the given lists (cached in the lists unless a block size is forced). */
export function blockMaximaOf(lists: readonly PostingList[], docLength: Uint32Array, blockSize?: number): BlockMaxima[] {
  return lists.map((list) => list.blockMaxima(docLength, blockSize))
}

/** {@link ScoredQuery.contributions} one {@link ScoredQuery.contribution} call at a time, for the rare queries (phrases) without a loop of their own. */
export function contributionsOneByOne(query: ScoredQuery, i: number, from: number, to: number, out: Float64Array): void {
  const { docs, values } = query.postings[i]
  for (let p = from; p < to; p++) out[p - from] = query.contribution(i, values[p], docs[p])
}

export const leaf = (value: number, description: string): Explanation => ({ value, description, details: [] })

/** A term as users write it: `field:token` for mapped fields (format.ts gives their prefixes), `field` for presence. */
export function displayTerm(term: string): string {
  const mark = term.charCodeAt(0)
  if (mark > 2) return term
  const end = term.indexOf(String.fromCharCode(mark), 1)
  return end < 0 ? `${term.slice(1)} (has a value)` : `${term.slice(1, end)}:${term.slice(end + 1)}`
}
