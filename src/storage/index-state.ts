/**
 * The in-memory side of an open index: term dictionary, posting lists (read from LevelDB on first
 * use, then kept as typed arrays), document lengths, external ids and deletion flags; writes
 * change it only after their LevelDB batch has been written.
 * @module
 */
import { own, type ColumnValue, type CorpusStats, type TermEntry } from './format.js'
import { Columns } from './columns.js'
import { ensureCapacity } from './growable.js'
import { PostingList, type SegmentReader } from './posting-list.js'
import { RoaringBitmap32 } from './roaring.js'
import { LsrError } from '../errors.js'

const EMPTY_LENGTHS = new Uint32Array(0)

const noPositions: SegmentReader = (termId) => {
  throw new LsrError('data_corruption', `index data corruption: term ${termId} has positions in a state made to read none`)
}

/** Prefix of the terms of mapped text fields: U+0001 path U+0001 token (format.ts). */
export const TEXT_TERM_MARK = '\u0001'

/** The term of `token` in mapped text field `path`. */
export function textTerm(path: string, token: string): string {
  return `${TEXT_TERM_MARK}${path}${TEXT_TERM_MARK}${token}`
}

/** Prefix of the terms of learned-sparse fields: U+0002 path U+0002 token (format.ts). */
export const SPARSE_TERM_MARK = '\u0002'

/** The term of feature `token` in learned-sparse field `path`. */
export function sparseTerm(path: string, token: string): string {
  return `${SPARSE_TERM_MARK}${path}${SPARSE_TERM_MARK}${token}`
}

/** The mapped text field of a term, or undefined for encoder-field and exact terms. */
export function textFieldOf(term: string): string | undefined {
  if (term.charCodeAt(0) !== 1) return undefined
  const end = term.indexOf(TEXT_TERM_MARK, 1)
  return end < 0 ? undefined : term.slice(1, end)
}

export class IndexState {
  /**
   * @param readSegment reads a stored posting segment (lists load on first use)
   * @param readPositions reads a stored positions segment (phrase queries read them on first use)
   * @param positionalField whether a text field's terms have positions (its schema says so; format.ts)
   */
  constructor(
    private readonly readSegment: SegmentReader,
    private readonly readPositions: SegmentReader = noPositions,
    private readonly positionalField: (path: string) => boolean = () => false,
  ) {}

  /** term -> term id */
  readonly termIds = new Map<string, number>()
  /** term id -> term */
  readonly terms: string[] = []
  /** Per term id: the mapped text field holding it (its path), undefined for encoder-field and exact terms. */
  readonly termField: Array<string | undefined> = []
  /** Per term id: live document frequency, max value and min document length (see format.ts). */
  df = new Uint32Array(16)
  maxValue = new Uint32Array(16)
  minLength = new Uint32Array(16)
  readonly postings: PostingList[] = []

  /** Per internal doc id: length, external id, and 1 when live. */
  docLength = new Uint32Array(16)
  /** Per mapped text field path: each document's length in it (every array spans all doc ids). */
  readonly fieldLengths = new Map<string, Uint32Array>()
  /** Per mapped text field path: the longest length ever added. */
  readonly fieldMaxLength = new Map<string, number>()
  /** Doc values of keyword/numeric/date/boolean fields. */
  readonly columns = new Columns()
  /** The longest document length ever added (an upper bound over live documents). */
  maxLength = 0
  docIdOf: string[] = []
  live = new Uint8Array(16)
  /** external id -> internal doc id, live docs only; built on first use (queries do not need it). */
  #docByExternalId: Map<string, number> | undefined
  deleted = new RoaringBitmap32()

  stats: CorpusStats = { numDocs: 0, sumLength: 0, nextDocId: 0, nextSegment: 0 }
  /**
   * Per doc id: sequence number and version (format.ts), allocated when a document first has
   * others than the defaults (its doc id, 1), so an index that only ever added documents holds none.
   */
  #seqNos: Float64Array | undefined
  #versions: Float64Array | undefined
  /** Docs whose version is stored under their own `v` key (an identical write; format.ts). */
  readonly versionKeys = new RoaringBitmap32()
  /**
   * Bumped when documents are added or deleted; caches derived from corpus statistics and
   * document lengths (BM25 norms) key on it. Merges and compaction only move postings, and
   * posting lists invalidate their own caches.
   */
  version = 0

  /**
   * Registers a term from the dictionary or a new one. Whether a new term has positions is
   * `positional` when a write says so (it carries them), else its field's schema.
   */
  setTerm(term: string, entry: TermEntry, positional?: boolean): void {
    const id = entry.id
    if (!this.termIds.has(term)) {
      const field = textFieldOf(term)
      this.termIds.set(term, id)
      this.terms[id] = term
      this.termField[id] = field
      const hasPositions = positional ?? (field !== undefined && this.positionalField(field))
      this.postings[id] = new PostingList(id, this.readSegment, hasPositions ? this.readPositions : undefined)
    }
    this.df = ensureCapacity(this.df, id + 1)
    this.maxValue = ensureCapacity(this.maxValue, id + 1)
    this.minLength = ensureCapacity(this.minLength, id + 1)
    this.df[id] = entry.df
    this.maxValue[id] = entry.maxValue
    this.minLength[id] = entry.minLength
  }

  /** Each document's length in the field of term `id` (the encoder field's or a mapped text field's). */
  lengthsOf(id: number): Uint32Array {
    const field = this.termField[id]
    return field === undefined ? this.docLength : (this.fieldLengths.get(field) ?? EMPTY_LENGTHS)
  }

  termEntry(id: number): TermEntry {
    return { id, df: this.df[id], maxValue: this.maxValue[id], minLength: this.minLength[id] }
  }

  /**
   * Records documents `firstDoc ..` with their ids, lengths and doc values, live unless in
   * `deleted`. `lengths` may be shorter than `ids` (older segments of indexes without an encoder).
   */
  addDocs(
    firstDoc: number,
    ids: readonly string[],
    lengths: readonly number[],
    fieldLengths: Readonly<Record<string, readonly number[]>> = {},
    columns?: Record<string, ColumnValue[]>,
    seqNos?: readonly number[],
    versions?: readonly number[],
  ): void {
    const end = firstDoc + ids.length
    this.docLength = ensureCapacity(this.docLength, end)
    this.live = ensureCapacity(this.live, end)
    this.docLength.set(lengths, firstDoc)
    for (const length of lengths) if (length > this.maxLength) this.maxLength = length
    for (const [path, values] of Object.entries(fieldLengths)) {
      if (!this.fieldLengths.has(path)) this.fieldLengths.set(path, new Uint32Array(end))
      let max = this.fieldMaxLength.get(path) ?? 0
      for (const length of values) if (length > max) max = length
      this.fieldMaxLength.set(path, max)
    }
    // Every field's array spans every doc id, so that a length read is never out of bounds.
    for (const [path, array] of this.fieldLengths) {
      const grown = ensureCapacity(array, end)
      const values = own(fieldLengths, path)
      if (values) grown.set(values, firstDoc)
      this.fieldLengths.set(path, grown)
    }
    this.columns.addSegment(firstDoc, columns)
    this.#addVersions(firstDoc, end, seqNos, versions)
    this.live.fill(1, firstDoc, end)
    for (let i = 0; i < ids.length; i++) this.docIdOf[firstDoc + i] = ids[i]
    if (this.deleted.rangeCardinality(firstDoc, end) > 0) {
      for (let doc = firstDoc; doc < end; doc++) if (this.deleted.has(doc)) this.live[doc] = 0
    }
    if (this.#docByExternalId) for (let doc = firstDoc; doc < end; doc++) if (this.live[doc] === 1) this.#docByExternalId.set(this.docIdOf[doc], doc)
  }

  /** Records the sequence numbers and versions of docs `firstDoc .. end` (absent: the defaults). */
  #addVersions(firstDoc: number, end: number, seqNos: readonly number[] | undefined, versions: readonly number[] | undefined): void {
    if (seqNos || this.#seqNos) {
      const array = (this.#seqNos = this.#grown(this.#seqNos, end, (doc) => doc))
      for (let doc = firstDoc; doc < end; doc++) array[doc] = seqNos ? seqNos[doc - firstDoc] : doc
    }
    if (versions || this.#versions) {
      const array = (this.#versions = this.#grown(this.#versions, end, () => 1))
      array.fill(1, firstDoc, end)
      if (versions) array.set(versions, firstDoc)
    }
  }

  /** `array` holding at least `needed` entries (capacity doubling), made with the defaults when absent. */
  #grown(array: Float64Array | undefined, needed: number, initial: (doc: number) => number): Float64Array {
    if (array && needed <= array.length) return array
    const grown = new Float64Array(Math.max(needed, (array?.length ?? 0) * 2, 16))
    if (array) grown.set(array)
    else for (let doc = 0; doc < this.maxDoc; doc++) grown[doc] = initial(doc)
    return grown
  }

  /** The sequence number and version of a doc id (live or deleted). */
  docVersion(doc: number): { seqNo: number; version: number } {
    return { seqNo: this.#seqNos ? this.#seqNos[doc] : doc, version: this.#versions ? this.#versions[doc] : 1 }
  }

  /** The next sequence number a write takes. */
  get nextSeqNo(): number {
    return this.stats.nextSeqNo ?? this.stats.nextDocId
  }

  /**
   * Gives doc `doc` (already added) the sequence number and version stored under its `v` key:
   * those an identical write gave it (format.ts), written or loaded.
   */
  setKeyedVersion(doc: number, seqNo: number, version: number): void {
    if (seqNo !== doc || this.#seqNos) (this.#seqNos = this.#grown(this.#seqNos, this.maxDoc, (d) => d))[doc] = seqNo
    if (version !== 1 || this.#versions) (this.#versions = this.#grown(this.#versions, this.maxDoc, () => 1))[doc] = version
    this.versionKeys.add(doc)
  }

  markDeleted(doc: number): void {
    this.live[doc] = 0
    this.deleted.add(doc)
    this.versionKeys.delete(doc)
    const id = this.docIdOf[doc]
    if (this.#docByExternalId?.get(id) === doc) this.#docByExternalId.delete(id)
  }

  /** external id -> internal doc id of live documents. */
  get docByExternalId(): ReadonlyMap<string, number> {
    if (!this.#docByExternalId) {
      const map = new Map<string, number>()
      for (let doc = 0; doc < this.maxDoc; doc++) if (this.live[doc] === 1) map.set(this.docIdOf[doc], doc)
      this.#docByExternalId = map
    }
    return this.#docByExternalId
  }

  /** Number of doc ids ever assigned (the size of per-doc arrays). */
  get maxDoc(): number {
    return this.stats.nextDocId
  }

  /** Bytes of all encoded posting segments (doc ids + values, before LevelDB compression). */
  postingBytes(): number {
    let n = 0
    for (const list of this.postings) n += list.encodedBytes
    return n
  }

  /**
   * Bytes held by the loaded (decoded) posting lists with their caches and the per-document arrays;
   * the term dictionary and the external-id map (JS strings and maps) are not counted.
   */
  memoryBytes(): number {
    let bytes = this.docLength.byteLength + this.live.byteLength + (this.#seqNos?.byteLength ?? 0) + (this.#versions?.byteLength ?? 0)
    for (const lengths of this.fieldLengths.values()) bytes += lengths.byteLength + this.df.byteLength + this.maxValue.byteLength + this.minLength.byteLength
    for (const list of this.postings) bytes += list.memoryBytes()
    return bytes
  }

  /** Postings of the lists loaded into memory (read by a query since open, or written since). */
  loadedPostingCount(): number {
    let n = 0
    for (const list of this.postings) if (list.loaded) n += list.size
    return n
  }

  /** Total postings, deleted documents' included (from the segment directories; nothing is read). */
  postingCount(): number {
    let n = 0
    for (const list of this.postings) n += list.size
    return n
  }
}
