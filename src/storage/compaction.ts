/**
 * Compaction: rewrites each term whose postings span several segments, or still hold deleted
 * documents, as one segment of live postings (at the key of its first segment, so later segments
 * still sort after it), with bounds recomputed. Each chunk of terms is one atomic batch, and each
 * term's rewrite lies within one chunk, so an interrupted compaction leaves a consistent index.
 *
 * Between compactions, every write merges the segments it appended to as Lucene's log merge
 * policy does: when the newest MERGE_FACTOR segments of a term are of the same size level
 * (log10 of their posting count), they become one, cascading; so many small writes (HTTP bulk
 * requests) keep a term at O(MERGE_FACTOR · log N) segments and rewrite each posting O(log N) times.
 * @module
 */
import { encodePostings, encodeTermEntry, positionsKey, postingsKey, termKey } from './format.js'
import { missingSegment, scanRange, type IndexDb } from './load.js'
import type { IndexState } from './index-state.js'
import type { PostingList, PostingsView, SegmentReader } from './posting-list.js'
import type { BatchOp } from './write-plan.js'
import { TimeSlices } from './time-slices.js'
import { positionStarts, PositionWriter } from './position-codec.js'

/** Terms rewritten per atomic batch. */
export const TERMS_PER_BATCH = 4096
/** Posting segments per asynchronous read of a log merge. */
const READ_SLICE = 2048
/** Segments of one size level that get merged into one. */
export const MERGE_FACTOR = 10

export interface CompactionBatch {
  /** Terms this batch rewrites. */
  terms: number
  /** Posting segments read from disk to plan it. */
  segmentsRead?: number
  ops: BatchOp[]
  apply(): void
}

/** Terms that need rewriting, in term id order. */
function termsToCompact(state: IndexState): number[] {
  const ids: number[] = []
  state.postings.forEach((list, id) => {
    if (list.segments.length > 1 || list.size !== state.df[id]) ids.push(id)
  })
  return ids
}

/** Plans the compaction as a sequence of independent atomic batches. */
export async function* planCompaction(state: IndexState, db: IndexDb): AsyncGenerator<CompactionBatch> {
  const ids = termsToCompact(state)
  const slices = new TimeSlices()
  for (let start = 0; start < ids.length; start += TERMS_PER_BATCH) {
    const ops: BatchOp[] = []
    const changes: Array<() => void> = []
    const chunk = ids.slice(start, start + TERMS_PER_BATCH)
    const { readStored, readStoredPositions, segmentsRead } = await readTermSegments(state, db, chunk)
    for (const id of chunk) {
      if (slices.due) await slices.next()
      const list = state.postings[id]
      const postings = list.peek(0, readStored)
      const { docs, values, length } = postings
      const keptDocs = new Uint32Array(state.df[id])
      const keptValues = new Uint32Array(state.df[id])
      let kept = 0
      let maxValue = 0
      let minLength = 0xffffffff
      const docLength = state.lengthsOf(id)
      for (let p = 0; p < length; p++) {
        const doc = docs[p]
        if (state.live[doc] !== 1) continue
        keptDocs[kept] = doc
        keptValues[kept++] = values[p]
        if (values[p] > maxValue) maxValue = values[p]
        if (docLength[doc] < minLength) minLength = docLength[doc]
      }
      const encoded = kept > 0 ? encodePostings(keptDocs, keptValues) : undefined
      const first = rewrite(ops, list, 0, encoded, postings, state.live, readStoredPositions)
      const entry = { id, df: kept, maxValue, minLength }
      const merged = encoded && { segment: first, postings: kept, bytes: encoded.length }
      ops.push({ type: 'put', key: termKey(state.terms[id]), value: encodeTermEntry(entry, merged ? [merged] : []) })
      changes.push(() => {
        list.reset(merged, keptDocs, keptValues)
        state.setTerm(state.terms[id], entry)
      })
    }
    yield {
      terms: changes.length,
      segmentsRead,
      ops,
      apply() {
        for (const change of changes) change()
      },
    }
  }
}

/**
 * Reads the stored posting and positions segments of the given terms (ascending term ids), with one
 * sequential scan per run of consecutive ids (much faster than a get per segment).
 */
export async function readTermSegments(
  state: IndexState,
  db: IndexDb,
  ids: readonly number[],
): Promise<{ readStored: SegmentReader; readStoredPositions: SegmentReader; segmentsRead: number }> {
  const stored: StoredSegments = new Map()
  for (const [first, last] of runsOf(ids)) {
    await scanRange(db, { gte: postingsKey(first, 0), lt: postingsKey(last + 1, 0) }, (key, value) => stored.set(storedKey(key), value))
  }
  for (const [first, last] of runsOf(ids.filter((id) => state.postings[id].positional))) {
    await scanRange(db, { gte: positionsKey(first, 0), lt: positionsKey(last + 1, 0) }, (key, value) => stored.set(storedKey(key), value))
  }
  return { readStored: readerOf(stored), readStoredPositions: readerOf(stored, positionsKey, 'positions'), segmentsRead: stored.size }
}

/**
 * The ops that replace a term's segments `from ..` by one segment stored at the first of them
 * holding `encoded` (undefined: no posting is left), with the positions of the live postings of
 * `postings` (those segments' postings) when the term has positions (copied posting by posting,
 * never decoded).
 * @returns the number of the segment the merged one is stored at
 */
function rewrite(
  ops: BatchOp[],
  list: PostingList,
  from: number,
  encoded: Buffer | undefined,
  postings: PostingsView,
  live: Uint8Array,
  readPositions: SegmentReader,
): number {
  const [first, ...rest] = list.segments.slice(from).map((s) => s.segment)
  const keys = list.positional ? [postingsKey, positionsKey] : [postingsKey]
  for (const segment of rest) for (const key of keys) ops.push({ type: 'del', key: key(list.termId, segment) })
  if (!encoded) {
    for (const key of keys) ops.push({ type: 'del', key: key(list.termId, first) })
    return first
  }
  ops.push({ type: 'put', key: postingsKey(list.termId, first), value: encoded })
  if (!list.positional) return first
  const { docs, values, length } = postings
  const bytes = list.peekPositions(from, readPositions)
  const starts = positionStarts(bytes, values, length, `term ${list.termId}`)
  const writer = new PositionWriter()
  for (let p = 0; p < length; p++) if (live[docs[p]] === 1) writer.addEncoded(bytes.subarray(starts[p], starts[p + 1]))
  ops.push({ type: 'put', key: positionsKey(list.termId, first), value: writer.toBuffer() })
  return first
}

/** Segments read ahead of a merge or compaction, by posting (or positions) key. */
type StoredSegments = Map<string, Buffer>

const storedKey = (key: Buffer) => key.toString('latin1')

/** Reads segments from what was read ahead; a listed segment absent there is corruption. */
function readerOf(stored: StoredSegments, keyOf = postingsKey, what = 'posting'): SegmentReader {
  return (termId, segment) => {
    const bytes = stored.get(storedKey(keyOf(termId, segment)))
    if (!bytes) throw missingSegment(termId, segment, what)
    return bytes
  }
}

/** Ascending ids as [first, last] runs of consecutive ids. */
function runsOf(ids: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = []
  for (const id of ids) {
    const run = runs[runs.length - 1]
    if (run && run[1] === id - 1) run[1] = id
    else runs.push([id, id])
  }
  return runs
}

const levelOf = (size: number) => (size < MERGE_FACTOR ? 0 : Math.floor(Math.log10(size) / Math.log10(MERGE_FACTOR)))

/** How many of the newest segments the log-merge cascade merges into one (0: none). */
export function segmentsToMerge(sizes: readonly number[]): number {
  const tail = sizes.map((size) => ({ size, count: 1 }))
  for (;;) {
    if (tail.length < MERGE_FACTOR) break
    const group = tail.slice(-MERGE_FACTOR)
    const level = levelOf(group[group.length - 1].size)
    if (!group.every((s) => levelOf(s.size) === level)) break
    tail.splice(-MERGE_FACTOR, MERGE_FACTOR, { size: group.reduce((n, s) => n + s.size, 0), count: group.reduce((n, s) => n + s.count, 0) })
  }
  const last = tail[tail.length - 1]
  return last && last.count > 1 ? last.count : 0
}

/**
 * Plans the log merges of the given terms (those a write just appended to), as one atomic batch.
 * The segments of lists not loaded in memory are read first with one asynchronous getMany (reading
 * them one synchronous get at a time stalled every other request: 20,000 terms took seconds).
 */
export async function planLogMerges(state: IndexState, termIds: readonly number[], db: IndexDb): Promise<CompactionBatch> {
  const merging = termIds.flatMap((id) => {
    const count = segmentsToMerge(state.postings[id].segments.map((s) => s.postings))
    return count === 0 ? [] : [{ id, count }]
  })
  const keys = merging.flatMap(({ id, count }) => {
    const list = state.postings[id]
    const segments = list.segments.slice(-count)
    const postings = list.loaded ? [] : segments.map(({ segment }) => postingsKey(id, segment))
    return list.positional ? [...postings, ...segments.map(({ segment }) => positionsKey(id, segment))] : postings
  })
  const stored: StoredSegments = new Map()
  // In slices: one huge getMany converts all its results in one go on the main thread.
  for (let start = 0; start < keys.length; start += READ_SLICE) {
    const slice = keys.slice(start, start + READ_SLICE)
    ;(await db.getMany(slice)).forEach((value, i) => value && stored.set(storedKey(slice[i]), value))
  }
  const readStored = readerOf(stored)
  const readStoredPositions = readerOf(stored, positionsKey, 'positions')
  const ops: BatchOp[] = []
  const changes: Array<() => void> = []
  const slices = new TimeSlices()
  for (const { id, count } of merging) {
    if (slices.due) await slices.next()
    const list = state.postings[id]
    const postings = list.peek(list.segments.length - count, readStored)
    const { docs, values, length } = postings
    const keptDocs: number[] = []
    const keptValues: number[] = []
    for (let p = 0; p < length; p++) {
      if (state.live[docs[p]] !== 1) continue
      keptDocs.push(docs[p])
      keptValues.push(values[p])
    }
    const encoded = keptDocs.length > 0 ? encodePostings(Uint32Array.from(keptDocs), Uint32Array.from(keptValues)) : undefined
    const first = rewrite(ops, list, list.segments.length - count, encoded, postings, state.live, readStoredPositions)
    const merged = encoded && { segment: first, postings: keptDocs.length, bytes: encoded.length }
    const segments = [...list.segments.slice(0, -count), ...(merged ? [merged] : [])]
    ops.push({ type: 'put', key: termKey(state.terms[id]), value: encodeTermEntry(state.termEntry(id), segments) })
    changes.push(() => list.mergeTail(count, merged, keptDocs, keptValues))
  }
  return {
    terms: changes.length,
    ops,
    apply() {
      for (const change of changes) change()
    },
  }
}
