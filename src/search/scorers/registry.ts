/**
 * Picks the scorer of each term of a query by the term's field: one query may sum terms of BM25
 * fields and of learned-sparse fields (a `bool` of `match` and `neural_sparse`).
 * @module
 */
import type { Bm25Config } from '../../encode/bm25.js'
import type { Encoder } from '../../encode/encoder.js'
import type { BlockMaxima } from '../../storage/block-maxima.js'
import type { IndexState } from '../../storage/index-state.js'
import type { PostingsView } from '../../storage/posting-list.js'
import { Bm25Scorer, type Bm25Params } from './bm25.js'
import { DotScorer } from './dot.js'
import type { Explanation, ScoredQuery, Scorer } from './scored-query.js'

/**
 * The scorer of an index: BM25 for mapped text fields (with `fieldParams`), exact terms and a BM25
 * encoder field; the dot product for learned-sparse fields (query weights already final) and for a
 * dot-product encoder field (with the corpus IDF when its model has no table).
 */
export function createScorer(encoder: Encoder | undefined, fieldParams: (field: string) => Bm25Params): Scorer {
  const config = encoder?.scoring === 'bm25' ? (encoder.config as Bm25Config) : undefined
  const bm25 = new Bm25Scorer((field) => (field === undefined ? { k1: config?.k1 ?? 0, b: config?.b ?? 0 } : fieldParams(field)))
  const encoderDot = encoder?.scoring === 'dot' ? new DotScorer(encoder.config.idf === 'corpus') : undefined
  const fieldDot = new DotScorer(false)
  // Term prefixes (format.ts): U+0000 exact, U+0001 text field, U+0002 learned-sparse field, else the encoder field.
  const scorerOf = (term: string): Scorer => {
    const mark = term.charCodeAt(0)
    return mark === 2 ? fieldDot : mark > 2 && encoderDot ? encoderDot : bm25
  }
  return {
    prepare(state, termIds, weights) {
      const scorers = termIds.map((id) => scorerOf(state.terms[id]))
      if (scorers.every((scorer) => scorer === scorers[0])) return (scorers[0] ?? bm25).prepare(state, termIds, weights)
      return MixedQuery.of(state, termIds, weights, scorers)
    },
    // Phrases are of text fields: BM25.
    preparePhrases: (state, phrases, weights) => bm25.preparePhrases(state, phrases, weights),
  }
}

/** Queries scored one after the other as one: the terms of `parts[0]`, then those of `parts[1]`, ... */
export function concatQueries(parts: readonly ScoredQuery[]): ScoredQuery {
  if (parts.length === 1) return parts[0]
  const part = Uint8Array.from(parts.flatMap((query, p) => query.postings.map(() => p)))
  const local = Uint32Array.from(parts.flatMap((query) => query.postings.map((_, i) => i)))
  return new MixedQuery(parts, part, local)
}

/**
 * Terms of several scorers (or terms and phrases): each part scores its own terms; term `i` of the
 * query is term `local[i]` of part `part[i]`. Only mixed queries pay the indirection.
 */
class MixedQuery implements ScoredQuery {
  readonly postings: PostingsView[]
  readonly upperBounds: Float64Array
  readonly weights: Float64Array

  constructor(
    private readonly parts: readonly ScoredQuery[],
    private readonly part: Uint8Array,
    private readonly local: Uint32Array,
  ) {
    const n = part.length
    this.postings = Array.from({ length: n }, (_, i) => parts[part[i]].postings[local[i]])
    this.upperBounds = Float64Array.from({ length: n }, (_, i) => parts[part[i]].upperBounds[local[i]])
    this.weights = Float64Array.from({ length: n }, (_, i) => parts[part[i]].weights[local[i]])
  }

  static of(state: IndexState, termIds: readonly number[], weights: readonly number[], scorers: readonly Scorer[]): MixedQuery {
    const distinct = [...new Set(scorers)]
    const part = Uint8Array.from(scorers, (scorer) => distinct.indexOf(scorer))
    const local = new Uint32Array(termIds.length)
    const parts = distinct.map((scorer, p) => {
      const ids: number[] = []
      const partWeights: number[] = []
      termIds.forEach((id, i) => {
        if (part[i] !== p) return
        local[i] = ids.length
        ids.push(id)
        partWeights.push(weights[i])
      })
      return scorer.prepare(state, ids, partWeights)
    })
    return new MixedQuery(parts, part, local)
  }

  contribution(i: number, value: number, doc: number): number {
    return this.parts[this.part[i]].contribution(this.local[i], value, doc)
  }

  contributions(i: number, from: number, to: number, out: Float64Array): void {
    this.parts[this.part[i]].contributions(this.local[i], from, to, out)
  }

  explain(i: number, value: number, doc: number): Explanation {
    return this.parts[this.part[i]].explain(this.local[i], value, doc)
  }

  blockMaxima(blockSize?: number): readonly BlockMaxima[] {
    const maxima = this.parts.map((part) => part.blockMaxima(blockSize))
    return Array.from(this.part, (p, i) => maxima[p][this.local[i]])
  }

  blockBound(i: number, maxValue: number, minLength: number): number {
    return this.parts[this.part[i]].blockBound(this.local[i], maxValue, minLength)
  }
}
