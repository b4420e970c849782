/**
 * The encoder contract. A document encoder turns documents into sparse vectors offline; the query
 * side turns query text into weighted terms without running any model. Both sides of one index use
 * the same term space, so the index stores the encoder's config and rebuilds the encoder from it.
 * @module
 */

/** A document as the engine ingests it. */
export interface SourceDocument {
  /** External id (BEIR `_id`). */
  id: string
  /** What an encoder reads before the text; absent: none (an index without an encoder ignores it). */
  title?: string
  /** What an encoder reads; absent: empty (an index without an encoder ignores it). */
  text?: string
  /** The original record, stored verbatim and returned with hits. */
  source: Record<string, unknown>
  /**
   * The source fields `id`, `title` and `text` were read from (a corpus may name them otherwise):
   * in an index with an encoder they are not mapped fields. @default ['_id', 'title', 'text']
   */
  sourceFields?: readonly string[]
  /**
   * Exact-match metadata (`[field path, value]` pairs) for `term`/`terms` filters; see
   * `src/corpus/keywords.ts`. Not scored and not part of the text. Absent: computed from the source
   * by an index that stores them (one without a schema), skipping `sourceFields`.
   */
  keywords?: Array<[string, string]>
  /**
   * The source as it is stored (its JSON in UTF-8), when made beforehand (ingest's worker threads
   * make it). With it, `source` needs only the fields the index maps: the fields its encoder reads
   * may be left out of it, their vector being given too (`AddOptions.encoded`).
   */
  storedSource?: Buffer
}

/**
 * The text an encoder reads of a document: the title and the text, separated by a space (the text
 * alone when there is no title).
 * @example encoderInput({ id: '1', title: 'Statins', text: 'lower cholesterol', source: {} }) // 'Statins lower cholesterol'
 */
export function encoderInput(doc: SourceDocument): string {
  const text = doc.text ?? ''
  return doc.title ? `${doc.title} ${text}` : text
}

/** A document's sparse vector: parallel term / value arrays with distinct terms. */
export interface EncodedDocument {
  terms: string[]
  /** Integer term frequencies for `bm25` scoring; non-negative float weights for `dot` scoring. */
  values: number[]
  /** Token count after analysis (BM25's document length); 0 where the scoring ignores it. */
  length: number
}

/** One weighted query term; a query is a list of distinct terms. */
export interface QueryTerm {
  term: string
  weight: number
}

/**
 * How a posting value turns into a score contribution:
 * - `bm25`: value = tf; contribution = weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)).
 * - `dot`: value = the document's term weight; contribution = weight * value.
 */
export type ScoringModel = 'bm25' | 'dot'

/** Serializable encoder settings, stored in the index metadata. `name` selects the encoder. */
export interface EncoderConfig {
  name: string
  [setting: string]: unknown
}

/** An encoder instance built from an {@link EncoderConfig}. */
export interface Encoder {
  readonly config: EncoderConfig
  readonly scoring: ScoringModel
  /** Source fields the encoder reads its input from (not indexed as keyword metadata). */
  readonly sourceFields?: readonly string[]
  /** Documents per atomic write during ingest, when the caller does not choose. */
  readonly commitSize?: number
  /** Encodes a batch of documents (batched so that model-based encoders can batch inference). */
  encodeDocuments(docs: readonly SourceDocument[]): Promise<EncodedDocument[]>
  /** Encodes query text into distinct weighted terms; no model runs. Empty text gives `[]`. */
  encodeQuery(text: string): QueryTerm[]
  /** The index terms one word of text maps to (for highlighting). */
  wordTerms(word: string): string[]
}
