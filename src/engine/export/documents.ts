/**
 * The documents of an index as a cluster indexes them: each live document's stored source, in
 * doc id order, read through one LevelDB snapshot (SparseIndex.storedDocuments), one batch at a
 * time. A source goes as it was stored, except:
 * - `_id`, which lsr keeps in sources read from JSONL files, is left out: it is the bulk action's
 *   `_id`, and Elasticsearch refuses it inside a document;
 * - a neural encoder's vector, which only the index holds, is added as {@link ENCODER_VECTOR_FIELD}:
 *   `{token: weight}` decoded from its stored 16-bit code (weight-codec.ts), so each weight is
 *   within a relative 2^-9 (WEIGHT_RELATIVE_ERROR) of what the model produced, the precision
 *   Lucene's `FeatureField` keeps anyway. Written as the shortest decimal that reads back as the
 *   same float32, so the cluster stores exactly the weight lsr scored with.
 * Learned-sparse fields of a mapping (`rank_features`, `sparse_vector`, written by a client or a
 * `sparse_encoding` pipeline) are in the sources at the precision they were written: exact.
 * @module
 */
import type { SparseIndex } from '../sparse-index.js'
import { decodeWeight } from '../../storage/weight-codec.js'
import { ENCODER_VECTOR_FIELD } from './index-body.js'

/** One document of an export: the bulk action's `_id` and the document. */
export interface ExportedDocument {
  id: string
  /** Internal doc id: the export's order, and where a resumed export continues. */
  docId: number
  source: Record<string, unknown>
}

/** Options of {@link exportDocuments}. */
export interface ExportDocumentsOptions {
  /** Documents read per LevelDB read. @default 256 */
  batchSize?: number
  /** Start after this internal doc id (a resumed export). */
  afterDocId?: number
}

/** True when the index's encoder vectors are only in the index (a neural encoder's). */
export function hasEncoderVectors(index: SparseIndex): boolean {
  return index.encoder?.config.name === 'neural'
}

/**
 * Every live document, in doc id order, as of the moment of the first `next()` (one snapshot for
 * the whole iteration; see SparseIndex.storedDocuments).
 */
export async function* exportDocuments(index: SparseIndex, { batchSize = 256, afterDocId }: ExportDocumentsOptions = {}): AsyncGenerator<ExportedDocument> {
  const vectors = hasEncoderVectors(index)
  for await (const batch of index.storedDocuments({ batchSize, encoderTerms: vectors, afterDocId })) {
    for (const { id, docId, source, encoderTerms } of batch) {
      const { _id, ...rest } = source
      if (encoderTerms) {
        const vector: Record<string, number> = {}
        for (let i = 0; i < encoderTerms.terms.length; i++) vector[encoderTerms.terms[i]] = weightOfCode(encoderTerms.values[i])
        rest[ENCODER_VECTOR_FIELD] = vector
      }
      yield { id, docId, source: rest }
    }
  }
}

/** Each 16-bit code's weight as {@link shortestFloat32} writes it, computed on first use. */
const SHORTEST = new Float64Array(0x10000).fill(Number.NaN)

function weightOfCode(code: number): number {
  let weight = SHORTEST[code]
  if (Number.isNaN(weight)) weight = SHORTEST[code] = shortestFloat32(decodeWeight(code))
  return weight
}

/** The shortest decimal number that reads back as the float32 `value` (which it is: a decoded code). */
export function shortestFloat32(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits))
    if (Math.fround(candidate) === value) return candidate
  }
  return value
}
