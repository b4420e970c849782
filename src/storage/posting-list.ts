/**
 * One term's posting list in memory. A list opened from disk holds only its segment directory
 * (from the term entry); the first query that needs the term reads its segments from LevelDB and
 * decodes them into typed arrays, which stay cached. Opening an index therefore reads no postings,
 * and merges and compaction rewrite lists no query has loaded without loading them.
 * @module
 */
import { decodePostings, type SegmentRef } from './format.js'
import { buildBlockMaxima, type BlockMaxima } from './block-maxima.js'
import { ensureCapacity } from './growable.js'
import { positionStarts } from './position-codec.js'
import { RoaringBitmap32 } from './roaring.js'
import { LsrError } from '../errors.js'

/** Decoded postings: ascending doc ids and their integer values, `length` entries. */
export interface PostingsView {
  readonly docs: Uint32Array
  readonly values: Uint32Array
  readonly length: number
}

/** Reads one stored posting segment of a term (synchronously: queries are synchronous). */
export type SegmentReader = (termId: number, segment: number) => Buffer

/**
 * The positions of a list's postings (position-codec.ts): posting `p` of {@link PostingList.view}
 * has `values[p]` positions encoded in `bytes[starts[p] .. starts[p + 1])`.
 */
export interface PositionsView {
  readonly bytes: Uint8Array
  readonly starts: Uint32Array
}

/** Shared by every list holding nothing (never written: growing reallocates); an index has one list per term. */
const EMPTY = new Uint32Array(0)

export class PostingList {
  /** The on-disk segments holding this list, ascending. */
  readonly segments: SegmentRef[] = []
  #loaded = false
  #docs: Uint32Array = EMPTY
  #values: Uint32Array = EMPTY
  #length = 0
  /**
   * The doc ids as a bitmap, built on first use for counting and filtering, then kept up to date:
   * appends add to it; merges keep it (they only drop deleted documents, which every user of the
   * bitmap removes anyway). So it holds every live posting's doc id plus, maybe, deleted ones.
   */
  #bitmap: RoaringBitmap32 | undefined
  /** Block maxima, built on first use; dropped on change. */
  #blockMaxima: BlockMaxima | undefined
  /** Positions of every posting, read on first use by a phrase query; dropped on change. */
  #positions: PositionsView | undefined

  /** @param readPositions reads a stored positions segment; absent for a term without positions */
  constructor(
    readonly termId: number,
    private readonly read: SegmentReader,
    readonly readPositions?: SegmentReader,
  ) {}

  /** True when the term's postings have positions (a text field indexed with positions). */
  get positional(): boolean {
    return this.readPositions !== undefined
  }

  /** True when the postings are decoded in memory. */
  get loaded(): boolean {
    return this.#loaded
  }

  /** Registers stored segments (from the term entry, when opening), read on first use. */
  addStored(segments: readonly SegmentRef[]): void {
    this.segments.push(...segments)
  }

  /** Appends a segment written by this process; its doc ids exceed all held ones. */
  append(segment: SegmentRef, docs: ArrayLike<number>, values: ArrayLike<number>): void {
    this.segments.push(segment)
    this.#positions = undefined
    if (this.#loaded) this.#push(docs, values)
  }

  /** Replaces the whole list (after compaction) with one segment, or none when empty. */
  reset(merged: SegmentRef | undefined, docs: Uint32Array, values: Uint32Array): void {
    this.mergeTail(this.segments.length, merged, docs, values)
    // Compaction is when the bitmap sheds the deleted documents it kept (rebuilt on next use).
    this.#bitmap = undefined
  }

  /**
   * Replaces the last `count` segments with `merged` holding `docs` (their live postings,
   * ascending; stored under the first of them, so later segments still sort after it), or drops
   * them when `merged` is undefined (no docs). A list not loaded only updates its directory.
   */
  mergeTail(count: number, merged: SegmentRef | undefined, docs: ArrayLike<number>, values: ArrayLike<number>): void {
    const removed = this.segments.splice(this.segments.length - count, count)
    if (merged) this.segments.push(merged)
    this.#positions = undefined
    if (!this.#loaded) return
    this.#length -= removed.reduce((n, s) => n + s.postings, 0)
    if (merged) this.#push(docs, values, false)
    this.#blockMaxima = undefined
  }

  /**
   * The postings of segments `fromSegment ..` without loading the list: views into memory when it
   * is loaded (valid until it changes), else decoded from disk, or from segment bytes the caller
   * already read (`read`), for merges, compaction and checks.
   */
  peek(fromSegment = 0, read: SegmentReader = this.read): PostingsView {
    let skipped = 0
    for (let i = 0; i < fromSegment; i++) skipped += this.segments[i].postings
    if (this.#loaded) return { docs: this.#docs.subarray(skipped), values: this.#values.subarray(skipped), length: this.#length - skipped }
    const parts = this.segments.slice(fromSegment).map(({ segment }) => decodePostings(read(this.termId, segment), this.termId))
    if (parts.length === 1) return { ...parts[0], length: parts[0].docs.length }
    const length = parts.reduce((n, part) => n + part.docs.length, 0)
    const docs = new Uint32Array(length)
    const values = new Uint32Array(length)
    let at = 0
    for (const part of parts) {
      docs.set(part.docs, at)
      values.set(part.values, at)
      at += part.docs.length
    }
    return { docs, values, length }
  }

  /**
   * The stored positions of segments `fromSegment ..`, concatenated in posting order (undecoded:
   * merges copy them posting by posting), from disk or from bytes the caller already read.
   */
  peekPositions(fromSegment = 0, read: SegmentReader | undefined = this.readPositions): Buffer {
    if (!read) throw new LsrError('invalid_argument', `term ${this.termId} has no positions`)
    const parts = this.segments.slice(fromSegment).map(({ segment }) => read(this.termId, segment))
    return parts.length === 1 ? parts[0] : Buffer.concat(parts)
  }

  /**
   * The positions of every posting of {@link view}, read from disk on first use and kept until
   * the list changes (valid with the view taken at the same moment).
   * @throws LsrError invalid_argument for a term without positions; data_corruption when the stored positions disagree with the postings
   */
  positions(): PositionsView {
    if (this.#positions) return this.#positions
    const { values, length } = this.view()
    const bytes = this.peekPositions()
    this.#positions = { bytes, starts: positionStarts(bytes, values, length, `term ${this.termId}`) }
    return this.#positions
  }

  /** The decoded postings (reading the stored segments first if needed). */
  view(): PostingsView {
    this.#load()
    return { docs: this.#docs, values: this.#values, length: this.#length }
  }

  /** The doc ids as a roaring bitmap, plus maybe deleted documents' (cached; do not modify it). */
  bitmap(): RoaringBitmap32 {
    if (!this.#bitmap) {
      const { docs, length } = this.view()
      this.#bitmap = new RoaringBitmap32(docs.subarray(0, length))
    }
    return this.#bitmap
  }

  /** Block maxima of the list (cached). */
  blockMaxima(docLength: Uint32Array, blockSize?: number): BlockMaxima {
    if (blockSize !== undefined) return buildBlockMaxima(this.view(), docLength, blockSize)
    this.#blockMaxima ??= buildBlockMaxima(this.view(), docLength)
    return this.#blockMaxima
  }

  /** Bytes this list holds in memory: decoded arrays, cached bitmap and block maxima. */
  memoryBytes(): number {
    let bytes = this.#docs.byteLength + this.#values.byteLength
    if (this.#positions) bytes += this.#positions.bytes.byteLength + this.#positions.starts.byteLength
    if (this.#bitmap) bytes += this.#bitmap.getSerializationSizeInBytes('portable')
    if (this.#blockMaxima) {
      const { blocks, starts, maxValues, minLengths } = this.#blockMaxima
      bytes += blocks.byteLength + starts.byteLength + maxValues.byteLength + minLengths.byteLength
    }
    return bytes
  }

  /** Number of postings (from the segment directory; nothing is read). */
  get size(): number {
    return this.segments.reduce((n, s) => n + s.postings, 0)
  }

  /** Encoded bytes of the list's segments on disk (before LevelDB's own compression). */
  get encodedBytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0)
  }

  #load(): void {
    if (this.#loaded) return
    try {
      for (const { segment, postings } of this.segments) {
        const { docs, values } = decodePostings(this.read(this.termId, segment), this.termId)
        if (docs.length !== postings) {
          throw new LsrError('data_corruption', `index data corruption: term ${this.termId} segment ${segment} holds ${docs.length} postings, its term entry lists ${postings}`)
        }
        this.#push(docs, values)
      }
      this.#loaded = true
    } catch (error) {
      this.#length = 0
      throw error
    }
  }

  /** Appends postings after the held ones; `newDocs` when they are documents the bitmap lacks. */
  #push(docs: ArrayLike<number>, values: ArrayLike<number>, newDocs = true): void {
    if (newDocs) this.#bitmap?.addMany(docs as Uint32Array | number[])
    this.#blockMaxima = undefined
    const end = this.#length + docs.length
    this.#docs = ensureCapacity(this.#docs, end)
    this.#values = ensureCapacity(this.#values, end)
    this.#docs.set(docs, this.#length)
    this.#values.set(values, this.#length)
    this.#length = end
  }
}
