/**
 * The contract between scorers and top-k algorithms: a query resolved against an index, with
 * per-posting contributions and per-term upper bounds. Algorithms never see how a score is made.
 * @module
 */
import type { IndexState } from '../../index/index-state.js'
import type { PostingsView } from '../../index/posting-list.js'

/** A query resolved against an index: one entry per distinct matched term, in query order. */
export interface ScoredQuery {
  /** Posting lists, in the canonical (query) order used to sum a document's score. */
  readonly postings: readonly PostingsView[]
  /** Upper bound of each term's contribution to any document. */
  readonly upperBounds: Float64Array
  /** Contribution of term `i` with posting value `value` to document `doc`. */
  contribution(i: number, value: number, doc: number): number
  /** The same contribution as an explanation tree whose text gives the formula. */
  explain(i: number, value: number, doc: number): Explanation
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
}

/** Lucene's BM25 idf, also the corpus IDF of learned-sparse indexes without a table: ln(1 + (N - df + 0.5) / (df + 0.5)). */
export function bm25Idf(numDocs: number, df: number): number {
  return Math.log(1 + (numDocs - df + 0.5) / (df + 0.5))
}

export const leaf = (value: number, description: string): Explanation => ({ value, description, details: [] })
