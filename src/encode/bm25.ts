/**
 * The built-in `bm25` encoder, the embedded default: Lucene-English analysis of `title + " " + text`
 * into term frequencies. Scores are computed at query time from the current corpus statistics
 * (see `src/search/scorer.ts`), so nothing stale is baked into the index.
 * @module
 */
import { analyzeEnglish } from './english-analyzer.js'
import { encoderInput, type EncodedDocument, type Encoder, type EncoderConfig, type QueryTerm, type SourceDocument } from './encoder.js'
import { LsrError } from '../errors.js'

/** Settings of the `bm25` encoder. */
export interface Bm25Config extends EncoderConfig {
  name: 'bm25'
  /** Term-frequency saturation; >= 0. @default 0.9 (Anserini's) */
  k1: number
  /** Length normalization; in [0, 1]. @default 0.4 (Anserini's) */
  b: number
  /** Analysis chain identifier, so that a future chain cannot silently mix with this one. */
  analyzer: 'lucene-english-porter'
}

/** Anserini's BM25 defaults. */
export const BM25_DEFAULTS: Bm25Config = { name: 'bm25', k1: 0.9, b: 0.4, analyzer: 'lucene-english-porter' }

/** Validates and completes a partial bm25 config. */
export function bm25Config(settings: { k1?: number; b?: number } = {}): Bm25Config {
  const k1 = settings.k1 ?? BM25_DEFAULTS.k1
  const b = settings.b ?? BM25_DEFAULTS.b
  if (!Number.isFinite(k1) || k1 < 0) throw new LsrError('invalid_argument', `bm25: k1 must be a number >= 0, got ${k1}`)
  if (!Number.isFinite(b) || b < 0 || b > 1) throw new LsrError('invalid_argument', `bm25: b must be in [0, 1], got ${b}`)
  return { ...BM25_DEFAULTS, k1, b }
}

/** Counts terms: distinct terms in first-seen order with their frequencies. */
export function countTerms(tokens: readonly string[]): { terms: string[]; counts: number[] } {
  const index = new Map<string, number>()
  const terms: string[] = []
  const counts: number[] = []
  for (const token of tokens) {
    const at = index.get(token)
    if (at === undefined) {
      index.set(token, terms.length)
      terms.push(token)
      counts.push(1)
    } else {
      counts[at]++
    }
  }
  return { terms, counts }
}

/** Creates the bm25 encoder. */
export function createBm25Encoder(config: Bm25Config): Encoder {
  return {
    config,
    scoring: 'bm25',
    async encodeDocuments(docs: readonly SourceDocument[]): Promise<EncodedDocument[]> {
      return docs.map((doc) => {
        const tokens = analyzeEnglish(encoderInput(doc))
        const { terms, counts } = countTerms(tokens)
        return { terms, values: counts, length: tokens.length }
      })
    },
    wordTerms: analyzeEnglish,
    // A term that occurs n times in the query contributes n times, as in Anserini.
    encodeQuery(text: string): QueryTerm[] {
      const { terms, counts } = countTerms(analyzeEnglish(text))
      return terms.map((term, i) => ({ term, weight: counts[i] }))
    },
  }
}
