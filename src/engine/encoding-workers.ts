/**
 * Parsing and encoding a JSONL corpus in worker threads, for ingest: the calling thread reads the
 * file in chunks of whole lines and hands them out in turn; each worker (encoding-worker.ts)
 * parses, checks and encodes its chunk; the records come back in file order, with their vectors,
 * to the one thread that writes. The writer's share of the work is what is left: planning and
 * writing batches (Lucene's DWPT gives each thread a segment of its own instead).
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { DocumentFields } from '../corpus/documents.js'
import { readJsonlChunks, type JsonlError, type JsonlRecord } from '../corpus/jsonl.js'
import type { EncodedDocument, EncoderConfig } from '../encode/encoder.js'
import { InvalidInputError } from '../errors.js'

/** What a worker is started with. */
export interface WorkerSetup {
  /** The corpus file, as errors name it. */
  file: string
  fields: DocumentFields
  /** The index's encoder; absent: records are only parsed. */
  encoder?: EncoderConfig
}

/**
 * A worker's answer for one chunk: its records in order, and their vectors and stored sources in
 * flat arrays. A record with a vector comes without the fields its encoder read (the writer needs
 * only the mapped ones: copying a learned vector back would cost as much as parsing it).
 */
export interface ChunkReply {
  records: Array<JsonlRecord | { line: number; error: string }>
  /** Per record: its vector's number of terms, or {@link NOT_ENCODED}. */
  termCounts: Uint32Array<ArrayBuffer>
  /** Per record: its vector's length. */
  lengths: Uint32Array<ArrayBuffer>
  /** Every vector's terms, as ids into the worker's vocabulary, and their values. */
  termIds: Uint32Array<ArrayBuffer>
  values: Float64Array<ArrayBuffer>
  /** Terms the worker's vocabulary gained with this chunk, in id order. */
  newTerms: string[]
  /** The stored sources (format.ts encodeJson) of the records with a vector, one after another, and where each ends. */
  sources: Uint8Array<ArrayBuffer>
  sourceEnds: Uint32Array<ArrayBuffer>
}

/** The term count of a record without a vector (not a document, or one its encoder refused). */
export const NOT_ENCODED = 0xffffffff

/**
 * A record with its document's vector and stored source, when a worker could encode it (`value`
 * then lacks the fields the encoder read).
 */
export interface EncodedRecord extends JsonlRecord {
  encoded?: EncodedDocument
  storedSource?: Buffer
}

export interface EncodingWorkersOptions extends WorkerSetup {
  threads: number
  /** As readJsonl's. */
  onBytes?: (bytesRead: number) => void
}

/**
 * The records of a JSONL corpus in file order, parsed and encoded by `threads` worker threads.
 * Invalid lines come as {@link JsonlError}s (the caller throws or skips them, as with readJsonl).
 * A file that breaks (a gzip error) ends the records after every whole line read before it, as
 * readJsonl does. The workers stop when the iteration ends, however it ends.
 */
export async function* encodedJsonl({ threads, onBytes, ...setup }: EncodingWorkersOptions): AsyncGenerator<EncodedRecord | JsonlError> {
  const workers: Array<ReturnType<typeof startWorker>> = []
  // Chunks in flight, in file order: enough for the workers to run on while the caller writes a batch.
  const inFlight: Array<Promise<Array<EncodedRecord | JsonlError>>> = []
  let next = 0
  try {
    for (let i = 0; i < threads; i++) workers.push(startWorker(setup))
    try {
      for await (const chunk of readJsonlChunks(setup.file, { onBytes })) {
        inFlight.push(workers[next++ % threads].encode(chunk.firstLine, chunk.bytes))
        if (inFlight.length >= CHUNKS_AHEAD * threads) yield* await inFlight.shift()!
      }
    } catch (error) {
      // The lines read before the break come first (one of them may be an earlier error).
      while (inFlight.length > 0) yield* await inFlight.shift()!
      throw error
    }
    while (inFlight.length > 0) yield* await inFlight.shift()!
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()))
  }
}

/** Chunks in flight per worker (a read each: 64 KiB of a plain file, about 12,000 short documents or 1,200 learned vectors in 64; 16 KiB of gzip output). */
const CHUNKS_AHEAD = 64

/** A worker, answering chunks in the order they were given. */
function startWorker(setup: WorkerSetup) {
  const worker = new Worker(new URL('./encoding-worker.js', import.meta.url), { workerData: setup })
  const waiting: Array<{ resolve: (reply: ChunkReply) => void; reject: (error: unknown) => void }> = []
  /** The worker's vocabulary: term strings by id, one string per term however many postings it has. */
  const vocabulary: string[] = []
  let failed: unknown
  const failAll = (error: unknown) => {
    failed ??= error
    for (const { reject } of waiting.splice(0)) reject(failed)
  }
  worker.on('message', (reply: ChunkReply) => {
    for (const term of reply.newTerms) vocabulary.push(term)
    waiting.shift()?.resolve(reply)
  })
  worker.on('error', failAll)
  worker.on('exit', (code) => failAll(new Error(`an ingest worker thread stopped (exit code ${code})`)))
  return {
    encode(firstLine: number, bytes: Buffer): Promise<Array<EncodedRecord | JsonlError>> {
      const reply = new Promise<ChunkReply>((resolve, reject) => {
        if (failed) return reject(failed)
        waiting.push({ resolve, reject })
        // A copy: the read's buffer may share its memory with others (Node's pool), and the copy's moves.
        const copy = new Uint8Array(bytes)
        worker.postMessage({ firstLine, bytes: copy }, [copy.buffer])
      })
      const records = reply.then((answer) => recordsOf(answer, vocabulary))
      records.catch(() => undefined) // awaited in order later; not an unhandled rejection meanwhile
      return records
    },
    async stop(): Promise<void> {
      worker.removeAllListeners('exit')
      await worker.terminate()
    },
  }
}

/** A chunk's records with their vectors, terms as strings of the worker's vocabulary. */
function recordsOf({ records, termCounts, lengths, termIds, values, sources, sourceEnds }: ChunkReply, vocabulary: readonly string[]): Array<EncodedRecord | JsonlError> {
  const sourceBytes = Buffer.from(sources.buffer, sources.byteOffset, sources.byteLength)
  let posting = 0
  let encoded = 0
  return records.map((record, i): EncodedRecord | JsonlError => {
    if ('error' in record) return { line: record.line, error: new InvalidInputError(record.error, record.line) }
    const count = termCounts[i]
    if (count === NOT_ENCODED) return record
    const terms = new Array<string>(count)
    const vectorValues = new Array<number>(count)
    for (let t = 0; t < count; t++, posting++) {
      terms[t] = vocabulary[termIds[posting]]
      vectorValues[t] = values[posting]
    }
    const storedSource = sourceBytes.subarray(encoded === 0 ? 0 : sourceEnds[encoded - 1], sourceEnds[encoded++])
    return { ...record, encoded: { terms, values: vectorValues, length: lengths[i] }, storedSource }
  })
}
