/**
 * The on-disk format of an lsr index: one LevelDB database per index directory. This file is the
 * only place that knows keys and bytes.
 *
 * Keys (binary; integers in keys are big-endian so that LevelDB's byte order is numeric order):
 *
 * | key                              | value                                                        |
 * |----------------------------------|--------------------------------------------------------------|
 * | `M`                              | metadata JSON: `{format: "lsr-index", version, encoder?, createdAt, schema?, pipelines?}` |
 * | `S`                              | corpus statistics JSON: `{numDocs, sumLength, nextDocId, nextSegment, nextSeqNo?, compactedDeletions?}` (live docs only; the last: deleted docs at the last full compaction, 0 when absent) |
 * | `X`                              | RoaringBitmap32 (portable format) of deleted internal doc ids |
 * | `t` + term (UTF-8)               | term entry, LE: termId u32, df u32 (live docs), maxValue u32, minLength u32, then per posting segment of the term (ascending): segment u32, postings u32, encoded bytes u32 |
 * | `p` + termId u32 + segment u32   | posting segment (below) for the docs added by one write batch |
 * | `g` + segment u32                | segment doc table JSON: `{firstDoc, ids, lengths, fieldLengths?, columns?, seqNos?, versions?}`; docs `firstDoc + i` (below) |
 * | `d` + docId u32                  | the document's original source JSON (UTF-8)                   |
 * | `f` + docId u32                  | forward vector: n termIds u32 LE, then n values u32 LE       |
 * | `q` + termId u32 + segment u32   | positions of posting segment `p` + termId + segment (version 4; position-codec.ts) |
 * | `v` + docId u32                  | the document's sequence number and version since an identical write (version 4, below): seqNo f64 LE, version f64 LE |
 * | `r` + key                        | a key of the layout a reorder is writing (version 4, "Reordering" below): staged, read by nothing else |
 * | `R`                              | reorder commit marker: `delete` or `move` (UTF-8), the replacing step in progress |
 *
 * Fields (version 3). An index has an optional encoder, which turns each document's `title` + `text`
 * into the terms of the encoder field (terms as the encoder makes them, e.g. `fever`), and a
 * schema: the Elasticsearch mapping (`mappings` JSON), analysis and similarity settings of its
 * other fields. Terms of the other fields live in the same dictionary under reserved prefixes:
 * - mapped text field `path`: `U+0001 path U+0001 token`, value = term frequency;
 * - exact terms (keyword, numeric, date, boolean values, canonical strings; see src/mapping): `U+0000 path U+0000 value`, value 1;
 * - presence (the `exists` query): `U+0000 path`, value 1, for every field with a value;
 * - learned-sparse field `path` (rank_features, sparse_vector): `U+0002 path U+0002 feature`, value =
 *   the weight's 16-bit code (weight-codec.ts), scored by dot product; the field's length is its
 *   feature count (so its `docCount` counts the documents that have it, for corpus IDF).
 * Positions (version 4): a term of a text field whose `index_options` is `positions` (the default)
 * or `offsets` has, beside each posting segment, a positions segment under the same term id and
 * segment number: each posting's positions as varint gaps (position-codec.ts). Which terms have
 * them follows from the schema alone; every write, merge and compaction writes, merges and drops a
 * term's positions segments in the same batch as its posting segments. Exact, learned-sparse and
 * encoder terms, and text fields with `docs` or `freqs`, have none. Indexes of version 3 and older
 * stored no positions: opening one sets `index_options: freqs` on every text field of its stored
 * mapping (what it holds), then writes the new version into `M`.
 * `lengths` in a segment doc table are the encoder field's lengths; `fieldLengths[path]` those of a
 * mapped text field (0 where a document has none). `columns[path]` holds the doc values of a
 * keyword/numeric/date/boolean field per document: null (none), a value, or an array of values.
 * Indexes of version 2 and older have an encoder and no schema: their metadata fields are exact
 * terms as above (every scalar leaf a string), and they read as they are; opening one writes the
 * new version into `M`.
 *
 * Versions (version 4; added to it before it was released, so no version number of their own):
 * every write operation of an index (an add, a replace, a delete; not a refused or failed one)
 * takes the next sequence number, `S.nextSeqNo` (absent: `nextDocId`, which exceeds every doc id).
 * A document's sequence number and version (1 when new, one more per write, or the external
 * version a write gave it) are stored in its segment doc table: `seqNos[i]` and `versions[i]` of
 * doc `firstDoc + i`; `seqNos` is absent when every doc's equals its doc id, `versions` when every
 * one is 1, which is also what segments written before versions mean. A write whose document is
 * identical to the stored one leaves it where it is (no new doc id, no postings) and stores its
 * new sequence number and version under `v` + docId instead, which then overrides the segment's
 * (integers below 2^53, as float64 LE); deleting or replacing the document deletes that key in
 * the same batch. Deleted documents keep no version (no tombstones): an id added again starts at
 * version 1. The primary term is always 1 and not stored.
 *
 * Posting segment: `[width u8][roaringLength u32 LE][RoaringBitmap32 portable bytes][values]`, the
 * values in doc-id order, each `width` (1, 2 or 4) bytes LE. A value is the term frequency (bm25) or
 * the quantized weight (dot scoring). Segments of a term, read in key order, list ascending doc ids.
 *
 * The term entry lists the term's posting segments so that opening an index reads only the term
 * dictionary and the doc tables; a posting segment is read when a query first needs the term. Every
 * batch that adds, replaces or removes a term's segment rewrites its entry. Version 1 entries were
 * the 16-byte head alone; opening a version 1 index upgrades them in one batch (load.ts).
 *
 * Upper bounds: `maxValue` and `minLength` are taken over every posting ever written for the term,
 * deleted ones included, so they stay safe bounds without being rewritten on delete.
 *
 * Reordering (version 4, added before it was released; reorder.ts): `compact --reorder` gives the
 * live documents new doc ids `0 .. numDocs - 1` and rewrites every key above that holds or is keyed
 * by doc ids (one posting segment per term at segment `nextSegment`, new doc tables after it,
 * sequence numbers and versions in the tables, no `v` keys, no `X`), in four steps:
 * 1. the new layout is written under `r` + its key, in batches (`S` too; `M` does not change);
 * 2. one batch writes `R` = `delete` (the commit point);
 * 3. batches delete every `t`, `p`, `q`, `g`, `d`, `f` and `v` key, then one batch deletes `X` and
 *    sets `R` = `move`;
 * 4. batches move each `r` + key to key (put and delete in the same batch); then `R` is deleted.
 * Opening an index first finishes a reorder whose `R` exists (steps 3 and 4 are idempotent), and
 * otherwise deletes any `r` keys (a reorder that did not commit), so an index always opens as it
 * was before or after a whole reorder. A build without reordering must not open an index a
 * reorder was interrupted in; version 4 was not released before it.
 *
 * Write protocol: each add or delete is ONE LevelDB batch holding every key it changes plus `S`
 * (and `X` when docs are deleted; `v` keys of identical writes). LevelDB applies a batch atomically through its write-ahead log,
 * so after a crash each document is either fully indexed or absent.
 * @module
 */
import { RoaringBitmap32 } from './roaring.js'
import type { EncoderConfig } from '../encode/encoder.js'
import { LsrError } from '../errors.js'

/** Current on-disk format version. */
export const FORMAT_VERSION = 4
/** Oldest format version this build can read. */
export const OLDEST_READABLE_FORMAT = 1
/** Value of `format` in the metadata; anything else is not an lsr index. */
export const FORMAT_NAME = 'lsr-index'

/** Index metadata (`M`). */
export interface IndexMeta {
  format: typeof FORMAT_NAME
  version: number
  /** The encoder of `title` + `text`; absent in an index of mapped fields only. */
  encoder?: EncoderConfig
  createdAt: string
  /** Mapped fields (version 3); absent in indexes made before fields (their metadata are exact strings). */
  schema?: StoredSchema
  /** Pipelines named by the index's settings (a server's, by name); absent: none. */
  pipelines?: IndexPipelines
}

/**
 * The pipelines an index names: Elasticsearch's `index.default_pipeline` and `index.final_pipeline`
 * (ingest) and OpenSearch's `index.search.default_pipeline`. Names only: the pipelines themselves
 * belong to the server that runs them.
 */
export interface IndexPipelines {
  default?: string
  final?: string
  search?: string
}

/** The field schema as stored: Elasticsearch's JSON shapes, parsed on open (src/mapping, src/analysis). */
export interface StoredSchema {
  /** `mappings`: `{dynamic, properties, ...}`. */
  mappings: Record<string, unknown>
  /** `settings.analysis`, when the index declares analyzers. */
  analysis?: Record<string, unknown>
  /** `settings.index.similarity`: named similarities, `default` included. */
  similarity?: Record<string, unknown>
}

/** Statistics of one mapped text field over live documents (Lucene's docCount and sumTotalTermFreq). */
export interface FieldStats {
  /** Live documents with at least one token in the field. */
  docCount: number
  sumLength: number
}

/** One document's doc values of a field: none, one, or several. */
export type ColumnValue = null | number | string | Array<number | string>

/** Corpus statistics over live documents (`S`). */
export interface CorpusStats {
  numDocs: number
  sumLength: number
  /** Next internal doc id; ids are never reused. */
  nextDocId: number
  /** Next posting segment number; one per write batch that adds documents. */
  nextSegment: number
  /** Next sequence number, one per write operation; absent: `nextDocId` (indexes written before versions). */
  nextSeqNo?: number
  /**
   * Deleted documents when the last full compaction ended (whose postings it dropped); absent in
   * indexes never compacted since it was added (read as 0). Deleted documents past it are the
   * ones still taking space, Elasticsearch's `docs.deleted`.
   */
  compactedDeletions?: number
  /** Per mapped text or learned-sparse field path (absent: no such field has been written). */
  fields?: Record<string, FieldStats>
}

/** Term dictionary entry (`t` + term). */
export interface TermEntry {
  id: number
  df: number
  maxValue: number
  minLength: number
}

/** One posting segment of a term, as listed in its term entry. */
export interface SegmentRef {
  segment: number
  postings: number
  /** Encoded size (doc ids + values, before LevelDB's compression). */
  bytes: number
}

/** Segment doc table (`g` + segment). */
export interface SegmentDocs {
  firstDoc: number
  ids: string[]
  /** Encoder-field lengths. */
  lengths: number[]
  /** Per mapped text field path: each document's length in it (0 where absent). */
  fieldLengths?: Record<string, number[]>
  /** Per keyword/numeric/date/boolean field path: each document's doc values. */
  columns?: Record<string, ColumnValue[]>
  /** Each document's sequence number; absent: its doc id. */
  seqNos?: number[]
  /** Each document's version; absent: 1. */
  versions?: number[]
}

export const KEY_META = Buffer.from('M')
export const KEY_STATS = Buffer.from('S')
export const KEY_DELETED = Buffer.from('X')
export const PREFIX_TERM = 0x74 // 't'
export const PREFIX_POSTINGS = 0x70 // 'p'
export const PREFIX_SEGMENT = 0x67 // 'g'
export const PREFIX_SOURCE = 0x64 // 'd'
export const PREFIX_FORWARD = 0x66 // 'f'
export const PREFIX_POSITIONS = 0x71 // 'q'
export const PREFIX_VERSION = 0x76 // 'v'
export const PREFIX_STAGED = 0x72 // 'r'
export const KEY_REORDER = Buffer.from('R')

/**
 * The value of `key` in a record keyed by field paths, own properties only: a field may be named
 * `toString` or `constructor`, which a plain lookup would find on Object.prototype.
 */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined
}

/** A record keyed by field paths: no prototype, so any path is an ordinary key. */
export function byPath<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

/** Key range `[gte, lt)` covering every key with a one-byte prefix. */
export function prefixRange(prefix: number): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) }
}

export function termKey(term: string): Buffer {
  return Buffer.concat([Buffer.from([PREFIX_TERM]), Buffer.from(term, 'utf8')])
}

export function termFromKey(key: Buffer): string {
  return key.toString('utf8', 1)
}

function u32Key(prefix: number, a: number, b?: number): Buffer {
  const key = Buffer.allocUnsafe(b === undefined ? 5 : 9)
  key[0] = prefix
  key.writeUInt32BE(a, 1)
  if (b !== undefined) key.writeUInt32BE(b, 5)
  return key
}

export const postingsKey = (termId: number, segment: number): Buffer => u32Key(PREFIX_POSTINGS, termId, segment)
export const termIdFromPostingsKey = (key: Buffer): number => key.readUInt32BE(1)
export const segmentFromPostingsKey = (key: Buffer): number => key.readUInt32BE(5)
export const positionsKey = (termId: number, segment: number): Buffer => u32Key(PREFIX_POSITIONS, termId, segment)
export const segmentKey = (segment: number): Buffer => u32Key(PREFIX_SEGMENT, segment)
export const sourceKey = (docId: number): Buffer => u32Key(PREFIX_SOURCE, docId)
export const forwardKey = (docId: number): Buffer => u32Key(PREFIX_FORWARD, docId)
export const versionKey = (docId: number): Buffer => u32Key(PREFIX_VERSION, docId)
/** The key under which a reorder stages `key` (see "Reordering"). */
export const stagedKey = (key: Buffer): Buffer => Buffer.concat([Buffer.from([PREFIX_STAGED]), key])

const TERM_HEAD_BYTES = 16
const SEGMENT_REF_BYTES = 12

export function encodeTermEntry(entry: TermEntry, segments: readonly SegmentRef[]): Buffer {
  const buf = Buffer.allocUnsafe(TERM_HEAD_BYTES + SEGMENT_REF_BYTES * segments.length)
  buf.writeUInt32LE(entry.id, 0)
  buf.writeUInt32LE(entry.df, 4)
  buf.writeUInt32LE(entry.maxValue, 8)
  buf.writeUInt32LE(entry.minLength, 12)
  segments.forEach(({ segment, postings, bytes }, i) => {
    const at = TERM_HEAD_BYTES + SEGMENT_REF_BYTES * i
    buf.writeUInt32LE(segment, at)
    buf.writeUInt32LE(postings, at + 4)
    buf.writeUInt32LE(bytes, at + 8)
  })
  return buf
}

/** Decodes a term entry; a version 1 entry (the head alone) has no segment list. */
export function decodeTermEntry(buf: Buffer, key: Buffer, version: number): { entry: TermEntry; segments: SegmentRef[] } {
  const size = buf.length - TERM_HEAD_BYTES
  if (size < 0 || size % SEGMENT_REF_BYTES !== 0 || (version === 1 && size !== 0)) {
    throw corrupt(`term entry "${termFromKey(key)}" has ${buf.length} bytes`)
  }
  const entry = { id: buf.readUInt32LE(0), df: buf.readUInt32LE(4), maxValue: buf.readUInt32LE(8), minLength: buf.readUInt32LE(12) }
  const segments: SegmentRef[] = []
  for (let at = TERM_HEAD_BYTES; at < buf.length; at += SEGMENT_REF_BYTES) {
    segments.push({ segment: buf.readUInt32LE(at), postings: buf.readUInt32LE(at + 4), bytes: buf.readUInt32LE(at + 8) })
  }
  return { entry, segments }
}

function valueWidth(values: ArrayLike<number>): 1 | 2 | 4 {
  let max = 0
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i]
  return max < 0x100 ? 1 : max < 0x10000 ? 2 : 4
}

/** Encodes one posting segment: ascending doc ids and their integer values. */
export function encodePostings(docs: Uint32Array, values: Uint32Array): Buffer {
  const bitmap = new RoaringBitmap32(docs).serialize('portable')
  const width = valueWidth(values)
  const buf = Buffer.allocUnsafe(5 + bitmap.length + values.length * width)
  buf[0] = width
  buf.writeUInt32LE(bitmap.length, 1)
  buf.set(bitmap, 5)
  // Packed little-endian through a typed array of the width (hosts are little-endian, as decodeValues assumes).
  const packed = width === 1 ? Uint8Array.from(values) : width === 2 ? Uint16Array.from(values) : values
  buf.set(new Uint8Array(packed.buffer, packed.byteOffset, values.length * width), 5 + bitmap.length)
  return buf
}

/** Posting count of an encoded segment, read from its header. */
export function postingCount(buf: Buffer): number {
  return (buf.length - 5 - buf.readUInt32LE(1)) / buf[0]
}

/** Decodes one posting segment into typed arrays. */
export function decodePostings(buf: Buffer, termId: number): { docs: Uint32Array; values: Uint32Array } {
  const width = buf[0]
  if (width !== 1 && width !== 2 && width !== 4) throw corrupt(`postings of term ${termId}: value width ${width}`)
  const bitmapLength = buf.readUInt32LE(1)
  const docs = RoaringBitmap32.deserialize(buf.subarray(5, 5 + bitmapLength), 'portable').toUint32Array()
  const start = 5 + bitmapLength
  if (buf.length - start !== docs.length * width) {
    throw corrupt(`postings of term ${termId}: ${docs.length} docs but ${buf.length - start} value bytes`)
  }
  return { docs, values: decodeValues(buf.subarray(start), width, docs.length) }
}

/** Widens packed little-endian values without a per-value read call (hosts are little-endian). */
function decodeValues(bytes: Uint8Array, width: 1 | 2 | 4, count: number): Uint32Array {
  if (width === 4 && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count).slice()
  const aligned = width === 1 || bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes)
  const view = width === 1
    ? aligned
    : width === 2
      ? new Uint16Array(aligned.buffer, aligned.byteOffset, count)
      : new Uint32Array(aligned.buffer, aligned.byteOffset, count)
  const values = new Uint32Array(count)
  values.set(view)
  return values
}

/** Encodes a forward vector given as its term ids then their values (u32 LE each, hosts being little-endian): its bytes, not copied. */
export function encodeForward(termIdsThenValues: Uint32Array): Buffer {
  return Buffer.from(termIdsThenValues.buffer, termIdsThenValues.byteOffset, termIdsThenValues.byteLength)
}

export function decodeForward(buf: Buffer): { termIds: Uint32Array; values: Uint32Array } {
  if (buf.length % 8 !== 0) throw corrupt(`forward vector of ${buf.length} bytes`)
  const n = buf.length / 8
  const termIds = new Uint32Array(n)
  const values = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    termIds[i] = buf.readUInt32LE(4 * i)
    values[i] = buf.readUInt32LE(4 * (n + i))
  }
  return { termIds, values }
}

/** Encodes a document's sequence number and version (the value of `v` + docId). */
export function encodeDocVersion(seqNo: number, version: number): Buffer {
  const buf = Buffer.allocUnsafe(16)
  buf.writeDoubleLE(seqNo, 0)
  buf.writeDoubleLE(version, 8)
  return buf
}

export function decodeDocVersion(buf: Buffer, docId: number): { seqNo: number; version: number } {
  if (buf.length !== 16) throw corrupt(`version of doc ${docId} has ${buf.length} bytes`)
  const seqNo = buf.readDoubleLE(0)
  const version = buf.readDoubleLE(8)
  if (!Number.isSafeInteger(seqNo) || seqNo < 0 || !Number.isSafeInteger(version) || version < 0) throw corrupt(`version of doc ${docId} is [${seqNo}, ${version}]`)
  return { seqNo, version }
}

export function encodeDeleted(bitmap: RoaringBitmap32): Buffer {
  const bytes = bitmap.serialize('portable')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function decodeDeleted(buf: Buffer): RoaringBitmap32 {
  return RoaringBitmap32.deserialize(buf, 'portable')
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}

export function decodeJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T
  } catch (error) {
    throw corrupt(`${what} is not valid JSON`, error)
  }
}

/**
 * Checks the metadata of an index being opened.
 * @throws LsrError `not_an_index` or `incompatible_format`, naming the directory and versions
 */
export function checkMeta(meta: IndexMeta | undefined, dir: string): IndexMeta {
  if (typeof meta !== 'object' || meta === null) meta = undefined
  if (!meta || meta.format !== FORMAT_NAME) throw new LsrError('not_an_index', `${dir} is not an lsr index (no lsr metadata)`)
  if (!Number.isInteger(meta.version)) throw new LsrError('incompatible_format', `${dir} has no valid index format version (${JSON.stringify(meta.version)})`)
  if (meta.version > FORMAT_VERSION || meta.version < OLDEST_READABLE_FORMAT) {
    throw new LsrError(
      'incompatible_format',
      `${dir} has index format version ${meta.version}; this lsr reads versions ${OLDEST_READABLE_FORMAT}..${FORMAT_VERSION}`,
    )
  }
  return meta
}

function corrupt(message: string, cause?: unknown): LsrError {
  return new LsrError('data_corruption', `index data corruption: ${message}`, { cause })
}
