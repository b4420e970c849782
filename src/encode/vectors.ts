/**
 * The `vectors` encoder: documents arrive already encoded (by a GPU job, another engine, a
 * synthetic generator) as `{"<token>": weight, ...}` in a source field, and are indexed as they
 * are with dot-product scoring. Queries are best given as weighted tokens (`neural_sparse`
 * `query_tokens`, or `QueryTerm[]` in the API); query text is split on whitespace, each distinct
 * token weighing 1.
 * @module
 */
import type { EncodedDocument, Encoder, EncoderConfig, QueryTerm, SourceDocument } from './encoder.js'
import { InvalidInputError, LsrError } from '../errors.js'

/** Settings of the `vectors` encoder. */
export interface VectorsConfig extends EncoderConfig {
  name: 'vectors'
  /** Source field holding the sparse vector. @default 'vector' */
  field: string
  /** Query weights are used as given (no IDF). */
  idf: 'none'
}

/** The largest float32. */
const MAX_FLOAT32 = 3.4028234663852886e38

export function vectorsConfig(settings: { field?: unknown; [setting: string]: unknown } = {}): VectorsConfig {
  const field = settings.field ?? 'vector'
  if (typeof field !== 'string' || field === '') throw new LsrError('invalid_argument', 'vectors: field must be a non-empty string')
  return { name: 'vectors', field, idf: 'none' }
}

export function createVectorsEncoder(config: VectorsConfig): Encoder {
  return {
    config,
    scoring: 'dot',
    sourceFields: [config.field],
    async encodeDocuments(docs: readonly SourceDocument[]): Promise<EncodedDocument[]> {
      return docs.map((doc) => {
        const vector = doc.source[config.field]
        if (typeof vector !== 'object' || vector === null || Array.isArray(vector)) {
          throw new InvalidInputError(`document ${doc.id}: field "${config.field}" must be an object of token: weight`)
        }
        const terms: string[] = []
        const values: number[] = []
        for (const [token, weight] of Object.entries(vector)) {
          // Stored as float32 codes (weight-codec.ts): a larger weight would be clamped without a word.
          if (typeof weight !== 'number' || !(weight >= 0 && weight <= MAX_FLOAT32)) {
            throw new InvalidInputError(`document ${doc.id}: weight of "${token}" in "${config.field}" must be a number from 0 to ${MAX_FLOAT32} (float32)`)
          }
          if (weight > 0) {
            terms.push(token)
            values.push(weight)
          }
        }
        return { terms, values, length: 0 }
      })
    },
    encodeQuery(text: string): QueryTerm[] {
      return [...new Set(text.split(/\s+/).filter((t) => t !== ''))].map((term) => ({ term, weight: 1 }))
    },
    wordTerms: (word: string) => [word],
  }
}
