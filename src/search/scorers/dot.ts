/**
 * Dot-product scoring of learned-sparse postings: contribution = query weight x document weight,
 * the document weight decoded from its 16-bit code (see weight-codec.ts). With `idf: "corpus"`
 * (a model folder without an IDF table) the query weight of each token is its IDF over the
 * indexed documents, computed from the live statistics at query time.
 * @module
 */
import type { IndexState } from '../../storage/index-state.js'
import type { PostingsView } from '../../storage/posting-list.js'
import { WEIGHT_OF_CODE } from '../../storage/weight-codec.js'
import type { BlockMaxima } from '../../storage/block-maxima.js'
import type { PostingList } from '../../storage/posting-list.js'
import { blockMaximaOf, bm25Idf, displayTerm, leaf, type Explanation, type ScoredQuery, type Scorer } from './scored-query.js'

class DotQuery implements ScoredQuery {
  readonly upperBounds: Float64Array

  constructor(
    private readonly lists: readonly PostingList[],
    private readonly docLength: Uint32Array,
    readonly postings: readonly PostingsView[],
    private readonly terms: readonly string[],
    readonly weights: Float64Array,
    maxCodes: readonly number[],
    private readonly corpusIdf: boolean,
  ) {
    this.upperBounds = Float64Array.from(weights, (w, i) => w * WEIGHT_OF_CODE[maxCodes[i]])
  }

  contribution(i: number, code: number): number {
    return this.weights[i] * WEIGHT_OF_CODE[code]
  }

  contributions(i: number, from: number, to: number, out: Float64Array): void {
    const { values } = this.postings[i]
    const weight = this.weights[i]
    for (let p = from; p < to; p++) out[p - from] = weight * WEIGHT_OF_CODE[values[p]]
  }

  blockMaxima(blockSize?: number): readonly BlockMaxima[] {
    return blockMaximaOf(this.lists, this.docLength, blockSize)
  }

  blockBound(i: number, maxCode: number): number {
    return this.weights[i] * WEIGHT_OF_CODE[maxCode]
  }

  explain(i: number, code: number): Explanation {
    return {
      value: this.contribution(i, code),
      description: `weight(${displayTerm(this.terms[i])}) = query weight * document weight`,
      details: [
        leaf(this.weights[i], this.corpusIdf ? 'query weight = corpus idf = ln(1 + (N - df + 0.5) / (df + 0.5))' : 'query weight (IDF table of the model)'),
        leaf(WEIGHT_OF_CODE[code], 'document weight (learned, stored with relative error <= 2^-9)'),
      ],
    }
  }
}

export class DotScorer implements Scorer {
  constructor(private readonly corpusIdf: boolean) {}

  prepare(state: IndexState, termIds: readonly number[], queryWeights: readonly number[]): ScoredQuery {
    const weights = Float64Array.from(termIds, (id, i) => (this.corpusIdf ? queryWeights[i] * bm25Idf(state.stats.numDocs, state.df[id]) : queryWeights[i]))
    const lists = termIds.map((id) => state.postings[id])
    return new DotQuery(
      lists,
      state.docLength,
      lists.map((list) => list.view()),
      termIds.map((id) => state.terms[id]),
      weights,
      termIds.map((id) => state.maxValue[id]),
      this.corpusIdf,
    )
  }
}
