/**
 * The body of one of ingest's worker threads (see encoding-workers.ts): parses chunks of JSONL
 * lines, checks each record as the calling thread would, and encodes the documents with the
 * index's encoder. Vectors travel back as ids into a vocabulary of the worker's own (each term's
 * string is sent once), so the writing thread gets one string per term instead of one per posting.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { parseJsonlChunk } from '../corpus/jsonl.js'
import { toSourceDocument } from '../corpus/documents.js'
import type { EncodedDocument, SourceDocument } from '../encode/encoder.js'
import type { JsonlRecord } from '../corpus/jsonl.js'
import { encodeJson } from '../storage/format.js'
import { createEncoder } from '../encode/registry.js'
import { NOT_ENCODED, type ChunkReply, type WorkerSetup } from './encoding-workers.js'

const { file, fields, encoder: config } = workerData as WorkerSetup
const encoder = config ? await createEncoder(config) : undefined
// Term -> id, in a null-prototype object: one lookup per posting, faster than a Map's here.
const vocabulary: Record<string, number> = Object.create(null)
let vocabularySize = 0

/** Source fields the encoder reads, left out of the records sent back with a vector (ChunkReply); never the id. */
const encoderFields = new Set([fields.title, fields.text, ...(encoder?.sourceFields ?? [])].filter((field) => field !== fields.id))

// One chunk at a time, in the order given: replies and the vocabulary's new terms must reach the
// calling thread in that order, whatever an encoder awaits.
let queue = Promise.resolve()
parentPort!.on('message', (chunk: { firstLine: number; bytes: Uint8Array }) => {
  queue = queue.then(() => answer(chunk))
})

async function answer({ firstLine, bytes }: { firstLine: number; bytes: Uint8Array }): Promise<void> {
  const records: ChunkReply['records'] = []
  const docs: SourceDocument[] = []
  /** Record number of each of `docs`. */
  const at: number[] = []
  const chunk = { firstLine, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  for (const record of parseJsonlChunk(file, chunk, { skipInvalid: true })) {
    if ('error' in record) {
      records.push({ line: record.line, error: record.error.message })
      continue
    }
    records.push(record)
    try {
      docs.push(toSourceDocument(record.value, fields, `${file}:${record.line}`, record.line))
      at.push(records.length - 1)
    } catch {
      // The calling thread checks the record again and reports (or skips) it.
    }
  }
  const reply = packVectors(records, encoder ? await encodeEach(docs) : [], at)
  const { termCounts, lengths, termIds, values, sources, sourceEnds } = reply
  parentPort!.postMessage(reply, [termCounts.buffer, lengths.buffer, termIds.buffer, values.buffer, sources.buffer, sourceEnds.buffer])
}

/**
 * The documents' vectors; a document the encoder refuses gets none, and the calling thread encodes
 * it again, so that its error is thrown where and as it would be without threads.
 */
async function encodeEach(docs: SourceDocument[]): Promise<Array<EncodedDocument | undefined>> {
  try {
    return await encoder!.encodeDocuments(docs)
  } catch {
    return Promise.all(docs.map(async (doc) => {
      try {
        return (await encoder!.encodeDocuments([doc]))[0]
      } catch {
        return undefined
      }
    }))
  }
}

/**
 * The reply: per record its vector's term count (NOT_ENCODED for none) and length, the vectors'
 * term ids and values, and the stored sources of the records with a vector, which go back without
 * the encoder's fields.
 */
function packVectors(records: ChunkReply['records'], vectors: Array<EncodedDocument | undefined>, at: number[]): ChunkReply {
  let postings = 0
  for (const vector of vectors) postings += vector?.terms.length ?? 0
  const termCounts = new Uint32Array(records.length).fill(NOT_ENCODED)
  const lengths = new Uint32Array(records.length)
  const termIds = new Uint32Array(postings)
  const values = new Float64Array(postings)
  const newTerms: string[] = []
  const sources: Buffer[] = []
  const sourceEnds = new Uint32Array(vectors.filter((vector) => vector !== undefined).length)
  let posting = 0
  let sourceBytes = 0
  vectors.forEach((vector, n) => {
    if (!vector) return
    const record = records[at[n]] as JsonlRecord
    termCounts[at[n]] = vector.terms.length
    lengths[at[n]] = vector.length
    for (let i = 0; i < vector.terms.length; i++) {
      const term = vector.terms[i]
      let id = vocabulary[term]
      if (id === undefined) {
        id = vocabulary[term] = vocabularySize++
        newTerms.push(term)
      }
      termIds[posting] = id
      values[posting++] = vector.values[i]
    }
    const source = encodeJson(record.value)
    sourceEnds[sources.length] = sourceBytes += source.length
    sources.push(source)
    records[at[n]] = { ...record, value: withoutEncoderFields(record.value as Record<string, unknown>) }
  })
  const joined = new Uint8Array(sourceBytes)
  let offset = 0
  for (const source of sources) {
    joined.set(source, offset)
    offset += source.length
  }
  return { records, termCounts, lengths, termIds, values, newTerms, sources: joined, sourceEnds }
}

// fromEntries defines own properties: a record's "__proto__" key stays a field.
function withoutEncoderFields(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !encoderFields.has(key)))
}
