/**
 * Streams a corpus file into an index in batches (one atomic write per batch). A bad record stops
 * the ingest with `file:line` after committing every document before it; with `skipInvalid` bad
 * records are counted and skipped instead.
 * @module
 */
import { stat } from 'node:fs/promises'
import { resolveCorpusFile } from '../corpus/beir.js'
import { BEIR_FIELDS, toSourceDocument, type DocumentFields } from '../corpus/documents.js'
import { readJsonl, type JsonlError } from '../corpus/jsonl.js'
import type { EncodedDocument, SourceDocument } from '../encode/encoder.js'
import { InvalidInputError, LsrError } from '../errors.js'
import { encodedJsonl, type EncodedRecord } from './encoding-workers.js'
import type { AddResult, SparseIndex } from './sparse-index.js'
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
   * Documents per atomic write. @default the encoder's commitSize (64 for neural), else as many
   * documents as {@link WRITE_BUDGET_BYTES} of memory holds (see {@link estimatedBytes})
   */
  batchSize?: number
  /** Skip and count malformed lines, invalid records and documents the index refuses instead of stopping. @default false */
  skipInvalid?: boolean
  /** Compact the index when done (one segment per term; see compaction.ts). @default true */
  compact?: boolean
  /** Called after each committed batch. */
  onProgress?: (progress: IngestProgress) => void
  /**
   * Worker threads that parse and encode the documents (`bm25`, `vectors`, or no encoder) while
   * the calling thread writes; 1 does all of it on the calling thread. The index is the same
   * whatever the number. The `neural` encoder runs its model on onnxruntime's own threads instead
   * (its runtime `threads`). @default 1
   */
  threads?: number
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
 * The memory a default write may take while it is built, Lucene's indexing buffer: a write is one
 * posting segment per term, and every later write's segments are merged with it (a log merge, then
 * the final compaction), so the larger the writes the less is merged. Writes of 10,000 documents
 * spent over half of a 100,000-document ingest merging; one write of all of them, none.
 */
export const WRITE_BUDGET_BYTES = 256 * 2 ** 20

/**
 * Heap a document takes until its write is done, estimated from its JSONL line: the parsed
 * source, its terms and postings, and its encoded source and forward vector in the batch
 * (measured about 2.7 KB for a 350-byte line of text and 15 KB for a 3.5 KB learned vector).
 */
export function estimatedBytes(lineBytes: number): number {
  return 1024 + 4 * lineBytes
}

/**
 * Ingests a BEIR `corpus.jsonl(.gz)`, a dataset folder holding one, or any JSONL with the named fields.
 * @example await ingestCorpus(index, '../shared/datasets/scifact')
 */
export async function ingestCorpus(index: SparseIndex, input: string, options: IngestOptions = {}): Promise<IngestResult> {
  const started = performance.now()
  const file = await resolveCorpusFile(input)
  const totalBytes = (await stat(file)).size
  const fields = options.fields ?? BEIR_FIELDS
  // A size the caller or the encoder sets is exact; the default is the memory budget.
  const batchSize = options.batchSize ?? index.encoder?.commitSize ?? Infinity
  const budget = batchSize === Infinity ? WRITE_BUDGET_BYTES : Infinity
  const threads = ingestThreads(index, options.threads)
  const result: IngestResult = { file, read: 0, added: 0, replaced: 0, unchanged: 0, skipped: 0, seconds: 0 }
  let bytesRead = 0
  let batch: Batch = { docs: [], encoded: [], lines: [] }
  let batchBytes = 0

  // A document the index refuses (a value its mapped field cannot hold, a field a strict mapping
  // lacks) stops the ingest with its file:line after the documents before it are committed, as a
  // bad line does, or is skipped with skipInvalid.
  const flush = async () => {
    let rest = batch
    batch = { docs: [], encoded: [], lines: [] }
    batchBytes = 0
    while (rest.docs.length > 0) {
      const { written, refusal } = await addUntilRefused(index, rest, options.skipInvalid ?? false)
      failPoint('ingest:after-commit')
      result.added += written.added
      result.replaced += written.replaced
      result.unchanged += written.unchanged
      result.read -= written.failed
      result.skipped += written.failed
      options.onProgress?.({ docs: result.added + result.replaced + result.unchanged, bytesRead, totalBytes })
      if (!refusal) break
      const line = rest.lines[refusal.at]
      if (!options.skipInvalid) throw new InvalidInputError(`${file}:${line}: ${refusal.error.message}`, line, { cause: refusal.error })
      result.read--
      result.skipped++
      rest = sliceBatch(rest, refusal.at + 1)
    }
  }

  try {
    const onBytes = (n: number) => (bytesRead = n)
    // Both yield bad lines as errors; the loop throws or skips them.
    const records: AsyncIterable<EncodedRecord | JsonlError> = threads > 1
      ? encodedJsonl({ file, fields, encoder: index.encoder?.config, threads, onBytes })
      : readJsonl(file, { skipInvalid: true, onBytes })
    for await (const record of records) {
      if (!('value' in record)) {
        if (!options.skipInvalid) throw record.error
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
      if (record.encoded) doc.storedSource = record.storedSource
      batch.docs.push(doc)
      batch.encoded.push(record.encoded)
      batch.lines.push(record.line)
      batchBytes += estimatedBytes(record.bytes)
      result.read++
      if (batch.docs.length >= batchSize || batchBytes >= budget) await flush()
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

/** Documents to write together, with their vectors from worker threads (where they made one) and their lines. */
interface Batch {
  docs: SourceDocument[]
  encoded: Array<EncodedDocument | undefined>
  lines: number[]
}

function sliceBatch({ docs, encoded, lines }: Batch, from: number, to?: number): Batch {
  return { docs: docs.slice(from, to), encoded: encoded.slice(from, to), lines: lines.slice(from, to) }
}

/** The error codes of a document the index refuses (its mapping, its values), not of the index or the write. */
const REFUSALS = new Set(['mapper_parsing', 'strict_dynamic_mapping', 'invalid_argument', 'invalid_input'])

/** What a write did; `failed`: documents it skipped (refused by the mapping, with `skipRefused`). */
type Written = Pick<AddResult, 'added' | 'replaced' | 'unchanged'> & { failed: number }

/**
 * Adds the batch in one write; when the index refuses a document of it, the longest run of
 * documents before it is found by halving (a refused write writes nothing) and added, and the
 * refused one returned with its error (its position in the batch). With `skipRefused` the
 * documents the mapping refuses are left out of the write itself (one write, however many), and
 * only a refusal found later (a term or value the write cannot store) needs halving.
 */
async function addUntilRefused(index: SparseIndex, batch: Batch, skipRefused: boolean): Promise<{ written: Written; refusal?: { at: number; error: LsrError } }> {
  try {
    const { added, replaced, unchanged, outcomes } = await index.add(batch.docs, { encoded: batch.encoded, perDocumentErrors: skipRefused })
    return { written: { added, replaced, unchanged, failed: outcomes.filter((outcome) => outcome === 'failed').length } }
  } catch (error) {
    if (!(error instanceof LsrError && REFUSALS.has(error.code))) throw error
    if (batch.docs.length === 1) return { written: { added: 0, replaced: 0, unchanged: 0, failed: 0 }, refusal: { at: 0, error } }
    const half = batch.docs.length >> 1
    const first = await addUntilRefused(index, sliceBatch(batch, 0, half), skipRefused)
    if (first.refusal) return first
    const second = await addUntilRefused(index, sliceBatch(batch, half), skipRefused)
    const sum = (key: keyof Written) => first.written[key] + second.written[key]
    const written = { added: sum('added'), replaced: sum('replaced'), unchanged: sum('unchanged'), failed: sum('failed') }
    return { written, refusal: second.refusal && { at: half + second.refusal.at, error: second.refusal.error } }
  }
}

/**
 * Ingest's `threads` from the encoder's runtime `threads` (one flag, `--threads`, for both): the
 * neural encoder's model runs on them, any other index's ingest gets them as worker threads.
 */
export function ingestThreadsFrom(index: SparseIndex, runtimeThreads: number | undefined): number | undefined {
  return index.encoder?.config.name === 'neural' ? undefined : runtimeThreads
}

/**
 * The worker threads an ingest may use (1: none).
 * @throws LsrError `invalid_argument` for a count that is not a positive integer, or more than one thread with the neural encoder
 */
function ingestThreads(index: SparseIndex, threads = 1): number {
  if (!Number.isInteger(threads) || threads < 1) throw new LsrError('invalid_argument', `threads must be a positive integer, got ${threads}`)
  if (threads > 1 && index.encoder?.config.name === 'neural') {
    throw new LsrError('invalid_argument', 'threads: the neural encoder runs its model on onnxruntime threads of its own (the encoder runtime\'s threads), not on ingest worker threads')
  }
  return threads
}
