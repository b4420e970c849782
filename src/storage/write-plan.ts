/**
 * Turns one add/delete request into a single LevelDB batch plus the matching in-memory change.
 * The batch is written first; `apply` runs only after it succeeded, so a failed write leaves both
 * the disk and the memory as they were (see the write protocol in format.ts).
 * @module
 */
import type { EncodedDocument, SourceDocument } from '../encode/encoder.js'
import {
  encodeDeleted, encodeDocVersion, encodeForward, encodeJson, encodePostings, encodeTermEntry, forwardKey, KEY_DELETED,
  KEY_STATS, byPath, positionsKey, postingsKey, segmentKey, sourceKey, termKey, versionKey, type ColumnValue, type CorpusStats, type FieldStats, type SegmentDocs,
  type SegmentRef, type TermEntry,
} from './format.js'
import { textFieldOf, type IndexState } from './index-state.js'
import { InvalidInputError } from '../errors.js'
import { TimeSlices } from './time-slices.js'
import { PositionWriter } from './position-codec.js'

/** One operation of a LevelDB batch. */
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }

/** A document to add, with its integer-valued sparse vector. */
export interface DocToAdd {
  doc: SourceDocument
  /** Every term of the document: encoder field, mapped text fields, exact and presence terms. */
  vector: EncodedDocument
  /**
   * Parallel to `vector.terms`: the ascending positions of each term of a text field indexed with
   * positions (as many as its value, the tf); undefined for every other term.
   */
  positions?: ReadonlyArray<Uint32Array | undefined>
  /** Length of each mapped text field the document has (`vector.length` is the encoder field's). */
  fieldLengths?: Readonly<Record<string, number>>
  /** Doc values per keyword/numeric/date/boolean field path. */
  columns?: Readonly<Record<string, ColumnValue>>
  /** The sequence number of the write that adds it, and its version (format.ts). */
  seqNo: number
  version: number
}

/** A live document left as it is (an identical write) that takes a new sequence number and version. */
export interface DocToTouch {
  docId: number
  seqNo: number
  version: number
}

/** What a write changes besides adding and deleting documents. */
export interface WriteExtras {
  /** Further ops of the same batch (a changed schema's metadata). */
  extraOps?: readonly BatchOp[]
  /** Documents whose version alone changes. */
  touches?: readonly DocToTouch[]
  /** The next sequence number once the write is done (absent: unchanged). */
  nextSeqNo?: number
}

/** A document to delete, with its stored forward vector (needed to decrement document frequencies). */
export interface DocToDelete {
  docId: number
  termIds: Uint32Array
}

/** The batch and the in-memory change to make once it is written. */
export interface WritePlan {
  ops: BatchOp[]
  apply(): void
  /** Terms that received a new posting segment. */
  appendedTermIds: number[]
}

/** A term's entry as this write leaves it (its fields inline: one object to reach per posting). */
interface TermUpdate extends TermEntry {
  term: string
  /** Number among the terms this write adds postings to, in first-seen order (-1: none yet). */
  slot: number
  /** The last document given a posting of the term (to refuse a term twice in one vector). */
  lastDoc: number
  /** The postings this write adds: views into the write's postings sorted by term. */
  docs?: Uint32Array
  values?: Uint32Array
  /** The posting segment written (when the batch adds postings of the term). */
  segment?: SegmentRef
  /** Whether the term has positions: as stored, or for a new term as its first posting carries. */
  positional?: boolean
  /** The positions of `docs`, for a term with positions. */
  positions?: PositionWriter
}

/**
 * Records one posting's positions: a term has them for every posting or for none (its field's
 * index_options decide), and as many as the posting's tf, in order (equal ones stacked).
 */
function addPositions(term: TermUpdate, positions: Uint32Array | undefined, tf: number, owner: string, name: string): void {
  term.positional ??= positions !== undefined
  if (term.positional !== (positions !== undefined)) {
    throw new InvalidInputError(`document ${owner}: term ${JSON.stringify(name)} ${term.positional ? 'needs' : 'takes no'} positions`)
  }
  if (!positions) return
  if (positions.length !== tf) throw new InvalidInputError(`document ${owner}: term ${JSON.stringify(name)} has tf ${tf} but ${positions.length} positions`)
  for (let i = 1; i < positions.length; i++) {
    // Equal positions are allowed: a filter may stack a token on an equal one (Lucene indexes both).
    if (positions[i] < positions[i - 1]) throw new InvalidInputError(`document ${owner}: positions of term ${JSON.stringify(name)} are not ascending`)
  }
  ;(term.positions ??= new PositionWriter()).add(positions)
}

/**
 * Sorts the write's postings by term (a counting sort by slot, stable, so each term's documents
 * stay ascending) and gives each term views of its own.
 */
function postingsByTerm(terms: readonly TermUpdate[], slots: Uint32Array, docs: Uint32Array, values: Uint32Array): void {
  const starts = new Uint32Array(terms.length + 1)
  for (let i = 0; i < slots.length; i++) starts[slots[i] + 1]++
  for (let slot = 0; slot < terms.length; slot++) starts[slot + 1] += starts[slot]
  const sortedDocs = new Uint32Array(docs.length)
  const sortedValues = new Uint32Array(values.length)
  const next = starts.slice(0, terms.length)
  for (let i = 0; i < slots.length; i++) {
    const at = next[slots[i]]++
    sortedDocs[at] = docs[i]
    sortedValues[at] = values[i]
  }
  for (let slot = 0; slot < terms.length; slot++) {
    terms[slot].docs = sortedDocs.subarray(starts[slot], starts[slot + 1])
    terms[slot].values = sortedValues.subarray(starts[slot], starts[slot + 1])
  }
}

/** With the u flag a pair is one code point: this matches lone surrogates only. */
const LONE_SURROGATE = /[\ud800-\udfff]/u

/**
 * Plans adding `adds` (with fresh doc ids), deleting `deletes` and re-versioning `touches`, as one atomic write. Encoding
 * the segments yields to the event loop every few milliseconds (a bulk of documents with tens of
 * thousands of distinct terms would otherwise hold every other request back).
 */
export async function planWrite(
  state: IndexState,
  adds: readonly DocToAdd[],
  deletes: readonly DocToDelete[],
  { extraOps = [], touches = [], nextSeqNo }: WriteExtras = {},
): Promise<WritePlan> {
  const ops: BatchOp[] = [...extraOps]
  const fields = byPath<FieldStats>()
  for (const [path, field] of Object.entries(state.stats.fields ?? {})) fields[path] = { ...field }
  const stats: CorpusStats = { ...state.stats, fields, ...(nextSeqNo === undefined ? {} : { nextSeqNo }) }
  const fieldStats = (path: string) => (fields[path] ??= { docCount: 0, sumLength: 0 })
  // By term, in a null-prototype object: one lookup per posting, measured 1.7x faster than a Map's.
  const updates = byPath<TermUpdate>()
  /** The same, in first-seen order. */
  const updated: TermUpdate[] = []
  let nextTermId = state.terms.length

  const update = (term: string, owner?: string): TermUpdate => {
    let found = updates[term]
    if (!found) {
      const id = state.termIds.get(term)
      // Terms are UTF-8 keys on disk: a lone surrogate would share its key with U+FFFD and
      // corrupt the dictionary on reopen. (Terms already in it are well-formed.)
      if (id === undefined && LONE_SURROGATE.test(term)) throw new InvalidInputError(`document ${owner}: term ${JSON.stringify(term)} is not well-formed Unicode (a lone surrogate)`)
      const entry = id === undefined
        ? { id: nextTermId++, df: 0, maxValue: 0, minLength: 0xffffffff }
        : state.termEntry(id)
      found = { term, id: entry.id, df: entry.df, maxValue: entry.maxValue, minLength: entry.minLength, slot: -1, lastDoc: -1, positional: id === undefined ? undefined : state.postings[id].positional }
      updates[term] = found
      updated.push(found)
    }
    return found
  }

  const deleted = state.deleted.clone()
  for (const { docId, termIds } of deletes) {
    for (const termId of termIds) update(state.terms[termId]).df--
    stats.numDocs--
    stats.sumLength -= state.docLength[docId]
    for (const [path, lengths] of state.fieldLengths) {
      const length = lengths[docId]
      if (length === 0) continue
      const field = fieldStats(path)
      field.docCount--
      field.sumLength -= length
    }
    deleted.add(docId)
    ops.push({ type: 'del', key: sourceKey(docId) }, { type: 'del', key: forwardKey(docId) })
    if (state.versionKeys.has(docId)) ops.push({ type: 'del', key: versionKey(docId) })
  }
  for (const { docId, seqNo, version } of touches) ops.push({ type: 'put', key: versionKey(docId), value: encodeDocVersion(seqNo, version) })

  const segment: SegmentDocs = { firstDoc: stats.nextDocId, ids: [], lengths: [] }
  const fieldLengths = byPath<number[]>()
  const columns = byPath<ColumnValue[]>()
  const seqNos: number[] = []
  const versions: number[] = []
  // Every posting of the write in document order, then sorted by term (postingsByTerm): flat typed
  // arrays, not one growing array per term, which cost a third of planning in allocation and GC.
  let postings = 0
  for (const { vector } of adds) postings += vector.terms.length
  const postingSlots = new Uint32Array(postings)
  const postingDocs = new Uint32Array(postings)
  const postingValues = new Uint32Array(postings)
  const slotTerms: TermUpdate[] = []
  let posting = 0
  for (const [n, { doc, vector, positions, fieldLengths: lengths = {}, columns: values = {}, seqNo, version }] of adds.entries()) {
    const docId = stats.nextDocId++
    seqNos.push(seqNo)
    versions.push(version)
    for (const [path, length] of Object.entries(lengths)) {
      if (!(Number.isInteger(length) && length >= 0 && length <= 0xffffffff)) throw new InvalidInputError(`document ${doc.id}: length ${length} of field ${path} is not a 32-bit integer`)
      if (length === 0) continue
      ;(fieldLengths[path] ??= new Array<number>(adds.length).fill(0))[n] = length
      const field = fieldStats(path)
      field.docCount++
      field.sumLength += length
    }
    for (const [path, value] of Object.entries(values)) (columns[path] ??= new Array<ColumnValue>(adds.length).fill(null))[n] = value
    const forward = new Uint32Array(2 * vector.terms.length)
    for (let i = 0; i < vector.terms.length; i++) {
      const value = vector.values[i]
      // Enforced here, before anything is written: one posting per (term, doc), positive u32 values.
      if (!(value >= 1 && value <= 0xffffffff && Number.isInteger(value))) {
        throw new InvalidInputError(`document ${doc.id}: value ${value} of term ${JSON.stringify(vector.terms[i])} is not a positive 32-bit integer`)
      }
      const term = update(vector.terms[i], doc.id)
      if (term.lastDoc === docId) throw new InvalidInputError(`document ${doc.id}: term ${JSON.stringify(vector.terms[i])} occurs twice in its vector`)
      term.lastDoc = docId
      if (term.slot < 0) term.slot = slotTerms.push(term) - 1
      term.df++
      if (value > term.maxValue) term.maxValue = value
      const field = textFieldOf(vector.terms[i])
      const length = field === undefined ? vector.length : (lengths[field] ?? 0)
      if (length < term.minLength) term.minLength = length
      addPositions(term, positions?.[i], value, doc.id, vector.terms[i])
      postingSlots[posting] = term.slot
      postingDocs[posting] = docId
      postingValues[posting++] = value
      forward[i] = term.id
      forward[vector.terms.length + i] = value
    }
    segment.ids.push(doc.id)
    segment.lengths.push(vector.length)
    stats.numDocs++
    stats.sumLength += vector.length
    ops.push({ type: 'put', key: sourceKey(docId), value: doc.storedSource ?? encodeJson(doc.source) })
    ops.push({ type: 'put', key: forwardKey(docId), value: encodeForward(forward) })
  }
  postingsByTerm(slotTerms, postingSlots, postingDocs, postingValues)

  if (Object.keys(fieldLengths).length > 0) segment.fieldLengths = fieldLengths
  if (Object.keys(columns).length > 0) segment.columns = columns
  // Stored only where they differ from the defaults (format.ts): a bulk load into a new index stores neither.
  if (seqNos.some((seqNo, i) => seqNo !== segment.firstDoc + i)) segment.seqNos = seqNos
  if (versions.some((version) => version !== 1)) segment.versions = versions
  if (Object.keys(fields).length === 0) delete stats.fields
  const seg = adds.length > 0 ? stats.nextSegment++ : -1
  const slices = new TimeSlices()
  for (const update of updated) {
    if (slices.due) await slices.next()
    const stored = state.postings[update.id]?.segments ?? []
    if (update.docs) {
      const value = encodePostings(update.docs, update.values!)
      update.segment = { segment: seg, postings: update.docs.length, bytes: value.length }
      ops.push({ type: 'put', key: postingsKey(update.id, seg), value })
      if (update.positions) ops.push({ type: 'put', key: positionsKey(update.id, seg), value: update.positions.toBuffer() })
    }
    const segments = update.segment ? [...stored, update.segment] : stored
    ops.push({ type: 'put', key: termKey(update.term), value: encodeTermEntry(update, segments) })
  }
  if (adds.length > 0) ops.push({ type: 'put', key: segmentKey(seg), value: encodeJson(segment) })
  if (deletes.length > 0) ops.push({ type: 'put', key: KEY_DELETED, value: encodeDeleted(deleted) })
  ops.push({ type: 'put', key: KEY_STATS, value: encodeJson(stats) })

  return {
    ops,
    appendedTermIds: slotTerms.map((u) => u.id),
    apply() {
      for (const { docId } of deletes) state.markDeleted(docId)
      for (const update of updated) {
        const { term, id, docs, values, segment, positional } = update
        state.setTerm(term, update, positional)
        if (segment) state.postings[id].append(segment, docs!, values!)
      }
      state.stats = stats
      state.addDocs(segment.firstDoc, segment.ids, segment.lengths, segment.fieldLengths, segment.columns, segment.seqNos, segment.versions)
      for (const { docId, seqNo, version } of touches) state.setKeyedVersion(docId, seqNo, version)
      state.version++
    },
  }
}
