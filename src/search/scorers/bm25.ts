/**
 * BM25 scoring of term-frequency postings from the live corpus statistics.
 * @module
 */
import type { Bm25Config } from '../../encode/bm25.js'
import type { PostingsView } from '../../storage/posting-list.js'
import type { IndexState } from '../../storage/index-state.js'
import type { BlockMaxima } from '../../storage/block-maxima.js'
import { blockMaximaOf, bm25Idf, leaf, type Explanation, type ScoredQuery, type Scorer } from './scored-query.js'

/**
 * BM25 length norms k1 * (1 - b + b * dl / avgdl) per document length (not per document), as
 * Lucene's BM25Scorer caches one per encoded norm byte: lengths are few, so a write (which moves
 * avgdl) costs a table of the lengths seen rather than a pass over every document. Lengths past
 * the table are computed on the fly with the same expression.
 */
class Bm25Norms {
  private version = -1
  private table = new Float64Array(0)

  get(state: IndexState, k1: number, b: number): Float64Array {
    if (state.version !== this.version) {
      const avgdl = state.stats.numDocs > 0 ? state.stats.sumLength / state.stats.numDocs : 0
      const table = new Float64Array(Math.min(state.maxLength, MAX_TABLED_LENGTH) + 1)
      for (let length = 0; length < table.length; length++) table[length] = bm25Norm(k1, b, length, avgdl)
      this.table = table
      this.version = state.version
    }
    return this.table
  }
}

/** Longest document length with a tabled norm (64k doubles: 512 KiB). */
const MAX_TABLED_LENGTH = 0xffff

function bm25Norm(k1: number, b: number, length: number, avgdl: number): number {
  return avgdl > 0 ? k1 * (1 - b + (b * length) / avgdl) : k1
}

/**
 * BM25 as Lucene's BM25Similarity (Lucene >= 8, without the constant (k1 + 1) factor):
 * weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)), with exact (not byte-quantized) lengths.
 */
class Bm25Query implements ScoredQuery {
  readonly upperBounds: Float64Array
  readonly weights: Float64Array
  private readonly idfs: Float64Array
  private readonly avgdl: number
  /** The state's lengths array as of this query (queries run synchronously). */
  private readonly docLength: Uint32Array

  constructor(
    readonly postings: readonly PostingsView[],
    private readonly termIds: readonly number[],
    queryWeights: readonly number[],
    private readonly state: IndexState,
    private readonly config: Bm25Config,
    /** Norm per document length (Bm25Norms). */
    private readonly norms: Float64Array,
  ) {
    const { numDocs, sumLength } = state.stats
    const avgdl = numDocs > 0 ? sumLength / numDocs : 0
    this.avgdl = avgdl
    this.docLength = state.docLength
    this.weights = new Float64Array(termIds.length)
    this.idfs = new Float64Array(termIds.length)
    this.upperBounds = new Float64Array(termIds.length)
    termIds.forEach((id, i) => {
      this.idfs[i] = bm25Idf(numDocs, state.df[id])
      this.weights[i] = queryWeights[i] * this.idfs[i]
      const maxTf = state.maxValue[id]
      this.upperBounds[i] = this.weights[i] * (maxTf / (maxTf + bm25Norm(config.k1, config.b, state.minLength[id], avgdl)))
    })
  }

  contribution(i: number, tf: number, doc: number): number {
    return this.weights[i] * (tf / (tf + this.#norm(doc)))
  }

  #norm(doc: number): number {
    const length = this.docLength[doc]
    return length < this.norms.length ? this.norms[length] : bm25Norm(this.config.k1, this.config.b, length, this.avgdl)
  }

  blockMaxima(blockSize?: number): readonly BlockMaxima[] {
    return blockMaximaOf(this.termIds.map((id) => this.state.postings[id]), this.state.docLength, blockSize)
  }

  blockBound(i: number, maxTf: number, minLength: number): number {
    return this.weights[i] * (maxTf / (maxTf + bm25Norm(this.config.k1, this.config.b, minLength, this.avgdl)))
  }

  explain(i: number, tf: number, doc: number): Explanation {
    const { k1, b } = this.config
    const { numDocs } = this.state.stats
    const df = this.state.df[this.termIds[i]]
    const dl = this.state.docLength[doc]
    return {
      value: this.contribution(i, tf, doc),
      description: `weight(${this.state.terms[this.termIds[i]]}) = query weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`,
      details: [
        leaf(this.weights[i] / this.idfs[i], 'query weight (occurrences of the term in the query)'),
        leaf(this.idfs[i], `idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = ${numDocs}, df = ${df}`),
        leaf(tf / (tf + this.#norm(doc)), `tf / (tf + k1 * (1 - b + b * dl / avgdl)), tf = ${tf}, k1 = ${k1}, b = ${b}, dl = ${dl}, avgdl = ${this.avgdl}`),
      ],
    }
  }
}

/** Builds the scored queries of one index; holds the caches that depend on its statistics. */
export class Bm25Scorer implements Scorer {
  private readonly norms = new Bm25Norms()

  constructor(private readonly config: Bm25Config) {}

  /** Scores the given distinct term ids with their query weights (terms with df 0 must be left out). */
  prepare(state: IndexState, termIds: readonly number[], queryWeights: readonly number[]): ScoredQuery {
    const norms = this.norms.get(state, this.config.k1, this.config.b)
    return new Bm25Query(termIds.map((id) => state.postings[id].view()), termIds, queryWeights, state, this.config, norms)
  }
}
