/**
 * The in-memory side of an open index: term dictionary, posting lists (read from LevelDB on first
 * use, then kept as typed arrays), document lengths, external ids and deletion flags; writes
 * change it only after their LevelDB batch has been written.
 * @module
 */
import type { CorpusStats, TermEntry } from './format.js'
import { ensureCapacity } from './growable.js'
import { PostingList, type SegmentReader } from './posting-list.js'
import { RoaringBitmap32 } from './roaring.js'

export class IndexState {
  /** @param readSegment reads a stored posting segment (lists load on first use) */
  constructor(private readonly readSegment: SegmentReader) {}

  /** term -> term id */
  readonly termIds = new Map<string, number>()
  /** term id -> term */
  readonly terms: string[] = []
  /** Per term id: live document frequency, max value and min document length (see format.ts). */
  df = new Uint32Array(16)
  maxValue = new Uint32Array(16)
  minLength = new Uint32Array(16)
  readonly postings: PostingList[] = []

  /** Per internal doc id: length, external id, and 1 when live. */
  docLength = new Uint32Array(16)
  /** The longest document length ever added (an upper bound over live documents). */
  maxLength = 0
  docIdOf: string[] = []
  live = new Uint8Array(16)
  /** external id -> internal doc id, live docs only; built on first use (queries do not need it). */
  #docByExternalId: Map<string, number> | undefined
  deleted = new RoaringBitmap32()

  stats: CorpusStats = { numDocs: 0, sumLength: 0, nextDocId: 0, nextSegment: 0 }
  /**
   * Bumped when documents are added or deleted; caches derived from corpus statistics and
   * document lengths (BM25 norms) key on it. Merges and compaction only move postings, and
   * posting lists invalidate their own caches.
   */
  version = 0

  /** Registers a term from the dictionary or a new one; returns its id. */
  setTerm(term: string, entry: TermEntry): void {
    const id = entry.id
    if (!this.termIds.has(term)) {
      this.termIds.set(term, id)
      this.terms[id] = term
      this.postings[id] = new PostingList(id, this.readSegment)
    }
    this.df = ensureCapacity(this.df, id + 1)
    this.maxValue = ensureCapacity(this.maxValue, id + 1)
    this.minLength = ensureCapacity(this.minLength, id + 1)
    this.df[id] = entry.df
    this.maxValue[id] = entry.maxValue
    this.minLength[id] = entry.minLength
  }

  termEntry(id: number): TermEntry {
    return { id, df: this.df[id], maxValue: this.maxValue[id], minLength: this.minLength[id] }
  }

  /** Records documents `firstDoc ..` with their ids and lengths, live unless in `deleted`. */
  addDocs(firstDoc: number, ids: readonly string[], lengths: readonly number[]): void {
    const end = firstDoc + ids.length
    this.docLength = ensureCapacity(this.docLength, end)
    this.live = ensureCapacity(this.live, end)
    this.docLength.set(lengths, firstDoc)
    for (const length of lengths) if (length > this.maxLength) this.maxLength = length
    this.live.fill(1, firstDoc, end)
    for (let i = 0; i < ids.length; i++) this.docIdOf[firstDoc + i] = ids[i]
    if (this.deleted.rangeCardinality(firstDoc, end) > 0) {
      for (let doc = firstDoc; doc < end; doc++) if (this.deleted.has(doc)) this.live[doc] = 0
    }
    if (this.#docByExternalId) for (let doc = firstDoc; doc < end; doc++) if (this.live[doc] === 1) this.#docByExternalId.set(this.docIdOf[doc], doc)
  }

  markDeleted(doc: number): void {
    this.live[doc] = 0
    this.deleted.add(doc)
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
    let bytes = this.docLength.byteLength + this.live.byteLength + this.df.byteLength + this.maxValue.byteLength + this.minLength.byteLength
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
