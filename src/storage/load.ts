/**
 * Reads an index's LevelDB database into an {@link IndexState}: statistics, segment doc tables and
 * the term dictionary, one sequential pass per key range. Posting segments are not read here; each
 * term's list reads them on first use (posting-list.ts).
 * @module
 */
import type { Level } from 'level'
import {
  decodeDeleted, decodeDocVersion, decodeJson, decodeTermEntry, encodeJson, encodeTermEntry, FORMAT_VERSION, KEY_DELETED, KEY_META,
  KEY_STATS, postingCount, postingsKey, prefixRange, PREFIX_POSTINGS, PREFIX_SEGMENT, PREFIX_TERM, PREFIX_VERSION,
  positionsKey, segmentFromPostingsKey, termFromKey, termIdFromPostingsKey, termKey, type CorpusStats, type IndexMeta, type SegmentDocs,
} from './format.js'
import { IndexState } from './index-state.js'
import { LsrError } from '../errors.js'

export type IndexDb = Level<Buffer, Buffer>

const PAGE = 1000

type Snapshot = ReturnType<IndexDb['snapshot']>

/** Calls `visit` for every entry with the given one-byte key prefix, in key order (as of `snapshot` when given). */
export function scanPrefix(db: IndexDb, prefix: number, visit: (key: Buffer, value: Buffer) => void, snapshot?: Snapshot): Promise<void> {
  return scanRange(db, prefixRange(prefix), visit, snapshot)
}

/** Calls `visit` for every entry in the key range, in key order (as of `snapshot` when given). */
export async function scanRange(db: IndexDb, range: { gte: Buffer; lt: Buffer }, visit: (key: Buffer, value: Buffer) => void, snapshot?: Snapshot): Promise<void> {
  const iterator = db.iterator(snapshot ? { ...range, snapshot } : range)
  try {
    for (;;) {
      const entries = await iterator.nextv(PAGE)
      if (entries.length === 0) break
      for (const [key, value] of entries) visit(key, value)
    }
  } finally {
    await iterator.close()
  }
}

/** The error for a posting (or positions) segment that a term entry lists but the database lacks. */
export function missingSegment(termId: number, segment: number, what = 'posting'): LsrError {
  return new LsrError('data_corruption', `index data corruption: ${what} segment ${segment} of term id ${termId} is missing`)
}

/**
 * The database as of the last write applied in memory: a LevelDB snapshot that advances right
 * after each batch's in-memory `apply`. Lazy posting reads go through it, so a posting list finds
 * exactly the segments its directory lists even while a later batch that rewrites them (a merge,
 * a compaction) is being written. Readers pin the current snapshot to read stored documents
 * asynchronously as of the moment they started (index-reader.ts); a snapshot is closed once it is
 * neither current nor pinned.
 */
export class SegmentStore {
  #current: PinnedSnapshot
  /** Bumped by every {@link advance}: a reader taken at another generation sees another state. */
  generation = 0

  /**
   * @param frozen - a snapshot to read forever (a frozen view of the index: never advanced); the
   *   store holds a pin on it until {@link releaseFrozen}
   */
  constructor(private readonly db: IndexDb, frozen?: PinnedSnapshot) {
    if (frozen) frozen.pins++
    this.#current = frozen ?? new PinnedSnapshot(db.snapshot())
  }

  /** The snapshot reads go through now. */
  get snapshot(): Snapshot {
    return this.#current.snapshot
  }

  /** Ends a frozen store's pin on its snapshot (see the constructor). */
  releaseFrozen(): void {
    this.#current.release()
  }

  /** The stored bytes of one posting segment (synchronous: queries are synchronous). */
  read(termId: number, segment: number): Buffer {
    const bytes = this.db.getSync(postingsKey(termId, segment), { snapshot: this.#current.snapshot })
    if (!bytes) throw missingSegment(termId, segment)
    return bytes
  }

  /** The stored positions of one posting segment. */
  readPositions(termId: number, segment: number): Buffer {
    const bytes = this.db.getSync(positionsKey(termId, segment), { snapshot: this.#current.snapshot })
    if (!bytes) throw missingSegment(termId, segment, 'positions')
    return bytes
  }

  /** Pins the current snapshot until the returned handle is released. */
  pin(): PinnedSnapshot {
    this.#current.pins++
    return this.#current
  }

  /** Moves reads to the database as it is now; call right after applying a batch in memory. */
  advance(): void {
    this.#current.retire()
    this.#current = new PinnedSnapshot(this.db.snapshot())
    this.generation++
  }
}

/** A LevelDB snapshot with a count of the readers using it. */
export class PinnedSnapshot {
  pins = 0
  #retired = false

  constructor(readonly snapshot: ReturnType<IndexDb['snapshot']>) {}

  /** Ends one reader's use; the last one out closes a retired snapshot. */
  release(): void {
    if (--this.pins === 0 && this.#retired) void this.snapshot.close()
  }

  /** No new reader will pin it; closed now or when its last reader releases it. */
  retire(): void {
    this.#retired = true
    if (this.pins === 0) void this.snapshot.close()
  }
}

/**
 * Loads what queries need to start: statistics, doc tables, term dictionary with segment lists.
 * @param positionalField whether the terms of a text field have positions (from the schema; default: none)
 */
export async function loadState(db: IndexDb, meta: IndexMeta, store: SegmentStore, positionalField?: (path: string) => boolean): Promise<IndexState> {
  const state = new IndexState((termId, segment) => store.read(termId, segment), (termId, segment) => store.readPositions(termId, segment), positionalField)
  // Everything through the store's snapshot: a frozen store loads the index as of its moment.
  const { snapshot } = store
  const [statsValue, deletedValue] = await db.getMany([KEY_STATS, KEY_DELETED], { snapshot })
  if (!statsValue) throw new LsrError('data_corruption', 'index data corruption: corpus statistics are missing')
  state.stats = decodeJson<CorpusStats>(statsValue, 'corpus statistics')
  if (deletedValue) state.deleted = decodeDeleted(deletedValue)

  await scanPrefix(db, PREFIX_SEGMENT, (_key, value) => {
    const segment = decodeJson<SegmentDocs>(value, 'segment doc table')
    state.addDocs(segment.firstDoc, segment.ids, segment.lengths, segment.fieldLengths, segment.columns, segment.seqNos, segment.versions)
  }, snapshot)
  // Versions of identical writes override their segments' (format.ts).
  await scanPrefix(db, PREFIX_VERSION, (key, value) => {
    const docId = key.length === 5 ? key.readUInt32BE(1) : -1
    if (docId < 0 || docId >= state.maxDoc) throw new LsrError('data_corruption', `index data corruption: version key ${key.toString('hex')} names no document`)
    const { seqNo, version } = decodeDocVersion(value, docId)
    state.setKeyedVersion(docId, seqNo, version)
  }, snapshot)
  await scanPrefix(db, PREFIX_TERM, (key, value) => {
    const { entry, segments } = decodeTermEntry(value, key, meta.version)
    state.setTerm(termFromKey(key), entry)
    state.postings[entry.id].addStored(segments)
  }, snapshot)
  if (meta.version === 1) await upgradeFromVersion1(db, state, meta)
  else if (meta.version < FORMAT_VERSION) await upgradeMeta(db, meta)
  return state
}

/**
 * Version 1 term entries did not list their posting segments: list them from the posting keys and
 * rewrite every term entry, with the new version in the metadata, as one atomic batch.
 */
async function upgradeFromVersion1(db: IndexDb, state: IndexState, meta: IndexMeta): Promise<void> {
  await scanPrefix(db, PREFIX_POSTINGS, (key, value) => {
    const termId = termIdFromPostingsKey(key)
    const list = state.postings[termId]
    if (!list) throw new LsrError('data_corruption', `index data corruption: postings of unknown term id ${termId}`)
    list.addStored([{ segment: segmentFromPostingsKey(key), postings: postingCount(value), bytes: value.length }])
  })
  const ops = state.postings.map((list, id) => ({
    type: 'put' as const,
    key: termKey(state.terms[id]),
    value: encodeTermEntry(state.termEntry(id), list.segments),
  }))
  meta.version = FORMAT_VERSION
  await db.batch([...ops, { type: 'put', key: KEY_META, value: encodeJson(meta) }])
  // (Posting keys are unchanged, so the store's snapshot needs no advance.)
}

/**
 * Format 3 and older stored no positions: their text fields are what Elasticsearch calls
 * `index_options: freqs` (format.ts). Marks them so in the stored mapping, in memory, before the
 * schema is parsed; {@link loadState} writes the upgraded metadata.
 */
export function upgradeSchema(meta: IndexMeta): void {
  if (meta.version >= 4 || !meta.schema) return
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    const field = node as Record<string, unknown>
    if (field.type === 'text' && field.index_options === undefined) field.index_options = 'freqs'
    for (const key of ['properties', 'fields']) {
      const children = field[key]
      if (typeof children === 'object' && children !== null) for (const child of Object.values(children)) visit(child)
    }
  }
  visit(meta.schema.mappings)
}

/**
 * Versions 2 and 3 read as version 4 once {@link upgradeSchema} ran (format.ts): only the metadata
 * changes, so that an older lsr refuses the index once it may hold newer data.
 */
async function upgradeMeta(db: IndexDb, meta: IndexMeta): Promise<void> {
  meta.version = FORMAT_VERSION
  await db.put(KEY_META, encodeJson(meta))
}
