/**
 * Streams a corpus file into an index in batches (one atomic write per batch). A bad record stops
 * the ingest with `file:line` after committing every document before it; with `skipInvalid` bad
 * records are counted and skipped instead.
 * @module
 */
import { stat } from 'node:fs/promises'
import { resolveCorpusFile } from '../corpus/beir.js'
import { BEIR_FIELDS, toSourceDocument, type DocumentFields } from '../corpus/documents.js'
import { readJsonl } from '../corpus/jsonl.js'
import type { SourceDocument } from '../encode/encoder.js'
import type { SparseIndex } from './sparse-index.js'
import { failPoint } from '../storage/fail-points.js'

export interface IngestProgress {
  /** Documents committed so far. */
  docs: number
  /** Input bytes read so far, and in all (compressed bytes for .gz input). */
  bytesRead: number
  totalBytes: number
}

export interface IngestOptions {
  /** @default BEIR's `_id`, `title`, `text` */
  fields?: DocumentFields
  /**
   * Documents per atomic write. @default the encoder's commitSize (64 for neural), else a write
   * per {@link DEFAULT_BATCH_DOCS} documents or {@link DEFAULT_BATCH_BYTES} of input, whichever
   * comes first
   */
  batchSize?: number
  /** Skip and count malformed lines and invalid records instead of stopping. @default false */
  skipInvalid?: boolean
  /** Compact the index when done (one segment per term; see compaction.ts). @default true */
  compact?: boolean
  /** Called after each committed batch. */
  onProgress?: (progress: IngestProgress) => void
}

export interface IngestResult {
  file: string
  /** Valid records read. */
  read: number
  added: number
  replaced: number
  unchanged: number
  /** Invalid lines skipped (with `skipInvalid`). */
  skipped: number
  seconds: number
}

/**
 * The default write: large enough that merging a write's segments into the earlier ones costs
 * little per document (writes of 1,000 documents spent about a third of a 100,000-document ingest
 * in merges), bounded by input bytes so that a write's in-memory postings stay small.
 */
export const DEFAULT_BATCH_DOCS = 10_000
/** Bytes of the input file (compressed ones for a .gz corpus, which hold several times more JSON). */
export const DEFAULT_BATCH_BYTES = 32 * 2 ** 20

/**
 * Ingests a BEIR `corpus.jsonl(.gz)`, a dataset folder holding one, or any JSONL with the named fields.
 * @example await ingestCorpus(index, '../shared/datasets/scifact')
 */
export async function ingestCorpus(index: SparseIndex, input: string, options: IngestOptions = {}): Promise<IngestResult> {
  const started = performance.now()
  const file = await resolveCorpusFile(input)
  const totalBytes = (await stat(file)).size
  const fields = options.fields ?? BEIR_FIELDS
  const batchSize = options.batchSize ?? index.encoder?.commitSize ?? DEFAULT_BATCH_DOCS
  // Only the default is bounded by bytes: a size the caller or the encoder sets is exact.
  const batchBytes = (options.batchSize ?? index.encoder?.commitSize) !== undefined ? Infinity : DEFAULT_BATCH_BYTES
  const result: IngestResult = { file, read: 0, added: 0, replaced: 0, unchanged: 0, skipped: 0, seconds: 0 }
  let bytesRead = 0
  let batchStart = 0
  let batch: SourceDocument[] = []

  const flush = async () => {
    if (batch.length === 0) return
    const { added, replaced, unchanged } = await index.add(batch)
    failPoint('ingest:after-commit')
    result.added += added
    result.replaced += replaced
    result.unchanged += unchanged
    batch = []
    batchStart = bytesRead
    options.onProgress?.({ docs: result.added + result.replaced + result.unchanged, bytesRead, totalBytes })
  }

  try {
    for await (const record of readJsonl(file, { skipInvalid: options.skipInvalid, onBytes: (n) => (bytesRead = n) })) {
      if (!('value' in record)) {
        result.skipped++
        continue
      }
      let doc: SourceDocument
      try {
        doc = toSourceDocument(record.value, fields, `${file}:${record.line}`, record.line)
      } catch (error) {
        if (!options.skipInvalid) throw error
        result.skipped++
        continue
      }
      batch.push(doc)
      result.read++
      if (batch.length >= batchSize || bytesRead - batchStart >= batchBytes) await flush()
    }
  } catch (error) {
    await flush()
    throw error
  }
  await flush()
  if (options.compact ?? true) await index.compact()
  result.seconds = (performance.now() - started) / 1000
  return result
}
