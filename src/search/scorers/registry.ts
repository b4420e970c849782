/**
 * Picks the scorer for an index from its encoder.
 * @module
 */
import type { Bm25Config } from '../../encode/bm25.js'
import type { Encoder } from '../../encode/encoder.js'
import { Bm25Scorer, type Bm25Params } from './bm25.js'
import { DotScorer } from './dot.js'
import type { Scorer } from './scored-query.js'
import { LsrError } from '../../errors.js'

/**
 * The scorer of an index: BM25 for mapped text fields (with `fieldParams`) and, when the encoder
 * scores with BM25, for the encoder field too; a dot-product encoder field gets the dot scorer.
 */
export function createScorer(encoder: Encoder | undefined, fieldParams: (field: string) => Bm25Params): Scorer {
  const config = encoder?.scoring === 'bm25' ? (encoder.config as Bm25Config) : undefined
  const bm25 = new Bm25Scorer((field) => (field === undefined ? { k1: config?.k1 ?? 0, b: config?.b ?? 0 } : fieldParams(field)))
  if (encoder?.scoring !== 'dot') return bm25
  const dot = new DotScorer(encoder.config.idf === 'corpus')
  return {
    prepare(state, termIds, weights) {
      // Encoder terms are the ones outside the reserved prefixes of mapped fields (format.ts).
      const encoderTerms = termIds.filter((id) => state.terms[id].charCodeAt(0) > 1).length
      if (encoderTerms === termIds.length) return dot.prepare(state, termIds, weights)
      if (encoderTerms === 0) return bm25.prepare(state, termIds, weights)
      throw new LsrError('invalid_argument', 'one scored query cannot mix the learned-sparse encoder field with BM25 text fields yet (hybrid queries are not supported)')
    },
  }
}
