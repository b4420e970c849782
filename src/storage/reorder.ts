/**
 * Reordering document ids (`lsr compact --reorder`): the live documents get new internal ids
 * `0 .. n - 1` in the order of recursive graph bisection (doc-order/bisection.ts), so that
 * documents sharing terms get neighbouring ids: block-max blocks then hold similar documents and
 * can be skipped, and posting containers are denser. Everything keyed or ordered by doc id is
 * rewritten: posting and positions segments (one per term, deleted documents dropped, as a
 * compaction leaves them), segment doc tables (ids, lengths, field lengths, doc values, sequence
 * numbers and versions, identical writes' `v` versions folded in), stored sources, forward
 * vectors, the deleted bitmap (empty after) and the statistics.
 *
 * Crash safety (the protocol is in format.ts, "Reordering"): the new layout is first written under
 * the staging prefix, invisible to readers; one batch then writes the commit marker; from there the
 * old layout is deleted and the staged keys moved into place in batches that a reopen finishes
 * (roll forward). A crash before the marker leaves staged keys that a reopen deletes (roll back).
 * Either way the index opens as it was before or after the whole reorder, never between.
 * @module
 */
import { failPoint } from './fail-points.js'
import {
  decodeForward, decodeJson, encodeJson, encodePostings, encodeTermEntry, forwardKey, KEY_DELETED, KEY_REORDER, KEY_STATS, positionsKey,
  postingsKey, prefixRange, PREFIX_FORWARD, PREFIX_POSITIONS, PREFIX_POSTINGS, PREFIX_SEGMENT, PREFIX_SOURCE, PREFIX_STAGED, PREFIX_TERM,
  PREFIX_VERSION, segmentKey, sourceKey, stagedKey, termKey, type ColumnValue, type CorpusStats, type SegmentDocs,
} from './format.js'
import type { IndexState } from './index-state.js'
import { scanPrefix, type IndexDb } from './load.js'
import { readTermSegments, TERMS_PER_BATCH } from './compaction.js'
import { bisectionOrder, DocTermsBuilder, type BisectionOptions } from './doc-order/bisection.js'
import { positionStarts, PositionWriter } from './position-codec.js'
import { TimeSlices, writeBatch } from './time-slices.js'
import type { BatchOp } from './write-plan.js'
import { LsrError } from '../errors.js'

/** Documents per new segment doc table. */
const DOCS_PER_TABLE = 16_384
/** A staging or replacing batch is written once it holds this many operations or bytes. */
const BATCH_OPS = 10_000
const BATCH_BYTES = 16 << 20
/** Entries per read of a scan. */
const PAGE = 1000

/** The new ids: `newId[old]` (-1: not live, dropped) and `oldId[new]`. */
export interface DocMapping {
  readonly newId: Int32Array
  readonly oldId: Uint32Array
}

/** What a reorder did. */
export interface ReorderResult {
  documents: number
  terms: number
  /** Milliseconds spent ordering (the bisection) and rewriting (staging, commit, replacing). */
  orderMs: number
  rewriteMs: number
}

/** Reorders the index's document ids (see the module comment); the caller reloads the state after. */
export async function reorderDocuments(state: IndexState, db: IndexDb, options: BisectionOptions = {}): Promise<ReorderResult> {
  const started = performance.now()
  const mapping = await bisectionMapping(state, db, options)
  const ordered = performance.now()
  await stageReordered(state, db, mapping)
  failPoint('reorder:before-commit')
  await db.put(KEY_REORDER, Buffer.from(DELETE_PHASE), { sync: true })
  failPoint('reorder:after-commit')
  await replaceWithStaged(db)
  return { documents: mapping.oldId.length, terms: state.terms.length, orderMs: ordered - started, rewriteMs: performance.now() - ordered }
}

/**
 * Finishes or undoes a reorder a crash interrupted, before an index is loaded: past the commit
 * marker it is finished, else its staged keys are deleted. Nothing to do (one seek) otherwise.
 */
export async function recoverReorder(db: IndexDb): Promise<void> {
  if ((await db.get(KEY_REORDER)) !== undefined) await replaceWithStaged(db)
  else await deleteRange(db, prefixRange(PREFIX_STAGED))
}

/** The bisection order of the live documents, from their forward vectors (every term of each). */
export async function bisectionMapping(state: IndexState, db: IndexDb, options: BisectionOptions = {}): Promise<DocMapping> {
  const n = state.stats.numDocs
  const builder = new DocTermsBuilder(n, state.df)
  const liveIds = new Uint32Array(n)
  let count = 0
  await scanPrefix(db, PREFIX_FORWARD, (key, value) => {
    const doc = key.readUInt32BE(1)
    if (state.live[doc] !== 1) return
    liveIds[count++] = doc
    builder.add(decodeForward(value).termIds)
  })
  const order = bisectionOrder(builder.build(), options)
  return mappingOf(state.maxDoc, Uint32Array.from(order, (i) => liveIds[i]))
}

/** The mapping that gives document `oldId[k]` the new id `k`. */
export function mappingOf(maxDoc: number, oldId: Uint32Array): DocMapping {
  const newId = new Int32Array(maxDoc).fill(-1)
  oldId.forEach((doc, k) => (newId[doc] = k))
  return { newId, oldId }
}

/** Writes a batch once enough operations are pending, in time slices. */
class StagingWriter {
  #ops: BatchOp[] = []
  #bytes = 0
  readonly slices = new TimeSlices()

  constructor(private readonly db: IndexDb) {}

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.#ops.push({ type: 'put', key: stagedKey(key), value })
    this.#bytes += key.length + value.length
    if (this.#ops.length >= BATCH_OPS || this.#bytes >= BATCH_BYTES) await this.flush()
    else if (this.slices.due) await this.slices.next()
  }

  async flush(): Promise<void> {
    if (this.#ops.length === 0) return
    failPoint('reorder:stage-batch')
    await writeBatch(this.db, this.#ops)
    this.#ops = []
    this.#bytes = 0
  }
}

/** Writes the reordered index under the staging prefix. */
async function stageReordered(state: IndexState, db: IndexDb, mapping: DocMapping): Promise<void> {
  const writer = new StagingWriter(db)
  const firstSegment = state.stats.nextSegment
  await stagePostings(state, db, mapping, firstSegment, writer)
  const tables = await stageDocTables(state, db, mapping, firstSegment, writer)
  for (const [prefix, keyOf] of [[PREFIX_SOURCE, sourceKey], [PREFIX_FORWARD, forwardKey]] as const) {
    const iterator = db.iterator(prefixRange(prefix))
    try {
      for (let page = await iterator.nextv(PAGE); page.length > 0; page = await iterator.nextv(PAGE)) {
        for (const [key, value] of page) {
          const doc = mapping.newId[key.readUInt32BE(1)]
          if (doc >= 0) await writer.put(keyOf(doc), value)
        }
      }
    } finally {
      await iterator.close()
    }
  }
  const stats: CorpusStats = { ...state.stats, nextDocId: mapping.oldId.length, nextSegment: firstSegment + tables, nextSeqNo: state.nextSeqNo }
  delete stats.compactedDeletions
  await writer.put(KEY_STATS, encodeJson(stats))
  await writer.flush()
}

/** Stages every term's entry and its one posting (and positions) segment, at `segment`, in new id order. */
async function stagePostings(state: IndexState, db: IndexDb, { newId, oldId }: DocMapping, segment: number, writer: StagingWriter): Promise<void> {
  // Per new id, while one term is remapped: its value and its posting's index in the old list.
  const valueOf = new Uint32Array(oldId.length)
  const postingOf = new Uint32Array(oldId.length)
  const ids = state.terms.map((_, id) => id)
  for (let start = 0; start < ids.length; start += TERMS_PER_BATCH) {
    const chunk = ids.slice(start, start + TERMS_PER_BATCH)
    const { readStored, readStoredPositions } = await readTermSegments(state, db, chunk)
    for (const id of chunk) {
      const list = state.postings[id]
      const { docs, values, length } = list.peek(0, readStored)
      const lengths = state.lengthsOf(id)
      const newDocs = new Uint32Array(state.df[id])
      let kept = 0
      let maxValue = 0
      let minLength = 0xffffffff
      for (let p = 0; p < length; p++) {
        const doc = newId[docs[p]]
        if (doc < 0) continue
        newDocs[kept++] = doc
        valueOf[doc] = values[p]
        postingOf[doc] = p
        if (values[p] > maxValue) maxValue = values[p]
        if (lengths[docs[p]] < minLength) minLength = lengths[docs[p]]
      }
      if (kept !== newDocs.length) throw new LsrError('data_corruption', `index data corruption: term ${id} has ${kept} live postings, its df is ${newDocs.length}`)
      newDocs.sort()
      const newValues = newDocs.map((doc) => valueOf[doc])
      const entry = { id, df: kept, maxValue, minLength }
      if (kept === 0) {
        await writer.put(termKey(state.terms[id]), encodeTermEntry(entry, []))
        continue
      }
      const encoded = encodePostings(newDocs, newValues)
      await writer.put(termKey(state.terms[id]), encodeTermEntry(entry, [{ segment, postings: kept, bytes: encoded.length }]))
      await writer.put(postingsKey(id, segment), encoded)
      if (!list.positional) continue
      const bytes = list.peekPositions(0, readStoredPositions)
      const starts = positionStarts(bytes, values, length, `term ${id}`)
      const positions = new PositionWriter()
      for (const doc of newDocs) positions.addEncoded(bytes.subarray(starts[postingOf[doc]], starts[postingOf[doc] + 1]))
      await writer.put(positionsKey(id, segment), positions.toBuffer())
    }
  }
}

/**
 * Stages the new segment doc tables, {@link DOCS_PER_TABLE} documents each from `firstSegment` on.
 * Doc values are copied as stored (the old tables are read: memory holds them sorted, not as
 * written); versions are those the index answers, so identical writes' `v` keys fold in.
 * @returns the number of tables
 */
async function stageDocTables(state: IndexState, db: IndexDb, { newId, oldId }: DocMapping, firstSegment: number, writer: StagingWriter): Promise<number> {
  const n = oldId.length
  const columns = new Map<string, ColumnValue[]>()
  await scanPrefix(db, PREFIX_SEGMENT, (_key, value) => {
    const table = decodeJson<SegmentDocs>(value, 'segment doc table')
    for (const [path, values] of Object.entries(table.columns ?? {})) {
      let column = columns.get(path)
      if (!column) columns.set(path, (column = new Array<ColumnValue>(n).fill(null)))
      values.forEach((v, i) => {
        const doc = newId[table.firstDoc + i]
        if (doc >= 0) column[doc] = v
      })
    }
  })
  let tables = 0
  for (let firstDoc = 0; firstDoc < n; firstDoc += DOCS_PER_TABLE, tables++) {
    const olds = Array.from(oldId.subarray(firstDoc, firstDoc + DOCS_PER_TABLE))
    const table: SegmentDocs = { firstDoc, ids: olds.map((doc) => state.docIdOf[doc]), lengths: olds.map((doc) => state.docLength[doc]) }
    const fieldLengths = Object.fromEntries(
      [...state.fieldLengths].map(([path, lengths]) => [path, olds.map((doc) => lengths[doc])] as const).filter(([, lengths]) => lengths.some((l) => l > 0)),
    )
    const docColumns = Object.fromEntries(
      [...columns].map(([path, values]) => [path, values.slice(firstDoc, firstDoc + olds.length)] as const).filter(([, values]) => values.some((v) => v !== null)),
    )
    if (Object.keys(fieldLengths).length > 0) table.fieldLengths = fieldLengths
    if (Object.keys(docColumns).length > 0) table.columns = docColumns
    const versions = olds.map((doc) => state.docVersion(doc))
    // Stored only where they differ from the defaults (format.ts), as a write stores them.
    if (versions.some(({ seqNo }, i) => seqNo !== firstDoc + i)) table.seqNos = versions.map((v) => v.seqNo)
    if (versions.some(({ version }) => version !== 1)) table.versions = versions.map((v) => v.version)
    await writer.put(segmentKey(firstSegment + tables), encodeJson(table))
  }
  return tables
}

/** Values of the commit marker: the replacing step in progress. */
const DELETE_PHASE = 'delete'
const MOVE_PHASE = 'move'

/** Every key of the layout a reorder replaces (the metadata stays; statistics are overwritten). */
const REPLACED_PREFIXES = [PREFIX_TERM, PREFIX_POSTINGS, PREFIX_POSITIONS, PREFIX_SEGMENT, PREFIX_SOURCE, PREFIX_FORWARD, PREFIX_VERSION]

/**
 * Past the commit marker: deletes the old layout, then moves the staged keys into place, in
 * batches; each step is idempotent, so a reopen after a crash runs it again from where it stopped.
 */
async function replaceWithStaged(db: IndexDb): Promise<void> {
  if ((await db.get(KEY_REORDER))?.toString() === DELETE_PHASE) {
    for (const prefix of REPLACED_PREFIXES) await deleteRange(db, prefixRange(prefix))
    await db.batch([{ type: 'del', key: KEY_DELETED }, { type: 'put', key: KEY_REORDER, value: Buffer.from(MOVE_PHASE) }])
  }
  const range = prefixRange(PREFIX_STAGED)
  for (;;) {
    const entries = await db.iterator({ ...range, limit: BATCH_OPS / 2 }).all()
    if (entries.length === 0) break
    const ops: BatchOp[] = entries.flatMap(([key, value]) => [{ type: 'put' as const, key: key.subarray(1), value }, { type: 'del' as const, key }])
    failPoint('reorder:replace-batch')
    await writeBatch(db, ops)
  }
  await db.del(KEY_REORDER, { sync: true })
}

/** Deletes every key in the range, in batches. */
async function deleteRange(db: IndexDb, range: { gte: Buffer; lt: Buffer }): Promise<void> {
  for (;;) {
    const keys = await db.keys({ ...range, limit: BATCH_OPS }).all()
    if (keys.length === 0) return
    failPoint('reorder:replace-batch')
    await writeBatch(db, keys.map((key) => ({ type: 'del' as const, key })))
  }
}
