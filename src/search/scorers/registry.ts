/**
 * Picks the scorer for an index from its encoder.
 * @module
 */
import type { Bm25Config } from '../../encode/bm25.js'
import type { Encoder } from '../../encode/encoder.js'
import { Bm25Scorer } from './bm25.js'
import { DotScorer } from './dot.js'
import type { Scorer } from './scored-query.js'

export function createScorer(encoder: Encoder): Scorer {
  return encoder.scoring === 'bm25' ? new Bm25Scorer(encoder.config as Bm25Config) : new DotScorer(encoder.config.idf === 'corpus')
}
