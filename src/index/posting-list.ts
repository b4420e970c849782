/**
 * One term's posting list in memory. Opening an index keeps each posting segment's bytes as read
 * from LevelDB; they are decoded into typed arrays the first time a query needs the term, so
 * opening costs no per-posting work.
 * @module
 */
import { decodePostings } from './format.js'
import { buildBlockMaxima, type BlockMaxima } from './block-maxima.js'
import { ensureCapacity } from './growable.js'
import { RoaringBitmap32 } from './roaring.js'

/** Decoded postings: ascending doc ids and their integer values, `length` entries. */
export interface PostingsView {
  readonly docs: Uint32Array
  readonly values: Uint32Array
  readonly length: number
}

export class PostingList {
  /** Numbers of the on-disk segments holding this list, ascending. */
  readonly segments: number[] = []
  /** Postings in each segment (same order). */
  readonly segmentSizes: number[] = []
  /** Bytes of the list's encoded segments on disk (before LevelDB's own compression). */
  encodedBytes = 0
  /** Encoded bytes of each segment (same order). */
  readonly #segmentBytes: number[] = []
  #encoded: Buffer[] = []
  #docs: Uint32Array = new Uint32Array(0)
  #values: Uint32Array = new Uint32Array(0)
  #length = 0
  /** The doc ids as a bitmap, built on first use for counting and filtering; dropped on change. */
  #bitmap: RoaringBitmap32 | undefined
  /** Block maxima, built on first use; dropped on change. */
  #blockMaxima: BlockMaxima | undefined

  constructor(readonly termId: number) {}

  /** Adds a segment read from disk, decoded lazily. */
  addEncoded(segment: number, bytes: Buffer): void {
    this.#addSegment(segment, decodedCount(bytes), bytes.length)
    this.#encoded.push(bytes)
  }

  /** Appends a segment written by this process; its doc ids exceed all held ones. */
  append(segment: number, docs: ArrayLike<number>, values: ArrayLike<number>, encodedBytes: number): void {
    this.#decode()
    this.#addSegment(segment, docs.length, encodedBytes)
    this.#push(docs, values)
  }

  /** Replaces the whole list (after compaction) with one segment, or none when empty. */
  reset(segment: number, docs: Uint32Array, values: Uint32Array, encodedBytes: number): void {
    this.mergeTail(this.segments.length, segment, docs, values, encodedBytes)
  }

  /**
   * Replaces the last `count` segments with one holding `docs` (their live postings, ascending),
   * stored under `segment` (the first of them, so later segments still sort after it); with no
   * docs the segments are just dropped.
   */
  mergeTail(count: number, segment: number, docs: ArrayLike<number>, values: ArrayLike<number>, encodedBytes: number): void {
    this.#decode()
    const from = this.#length - this.segmentSizes.slice(this.segments.length - count).reduce((a, b) => a + b, 0)
    for (let i = 0; i < count; i++) {
      this.segments.pop()
      this.segmentSizes.pop()
      this.encodedBytes -= this.#segmentBytes.pop()!
    }
    this.#length = from
    if (docs.length > 0) {
      this.#addSegment(segment, docs.length, encodedBytes)
      this.#push(docs, values)
    }
    this.#bitmap = undefined
    this.#blockMaxima = undefined
  }

  /** The decoded postings (decoding pending segments first). */
  view(): PostingsView {
    this.#decode()
    return { docs: this.#docs, values: this.#values, length: this.#length }
  }

  /** The doc ids as a roaring bitmap (cached; do not modify it). */
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

  /** Bytes this list holds in memory: pending encoded segments, decoded arrays, cached bitmap and block maxima. */
  memoryBytes(): number {
    let bytes = this.#docs.byteLength + this.#values.byteLength
    for (const encoded of this.#encoded) bytes += encoded.length
    if (this.#bitmap) bytes += this.#bitmap.getSerializationSizeInBytes('portable')
    if (this.#blockMaxima) {
      const { blocks, starts, maxValues, minLengths } = this.#blockMaxima
      bytes += blocks.byteLength + starts.byteLength + maxValues.byteLength + minLengths.byteLength
    }
    return bytes
  }

  /** Number of postings, without decoding. */
  get size(): number {
    return this.#length + this.#encoded.reduce((n, bytes) => n + decodedCount(bytes), 0)
  }

  #addSegment(segment: number, size: number, bytes: number): void {
    this.segments.push(segment)
    this.segmentSizes.push(size)
    this.#segmentBytes.push(bytes)
    this.encodedBytes += bytes
  }

  #decode(): void {
    if (this.#encoded.length === 0) return
    const encoded = this.#encoded
    this.#encoded = []
    for (const bytes of encoded) {
      const { docs, values } = decodePostings(bytes, this.termId)
      this.#push(docs, values)
    }
  }

  #push(docs: ArrayLike<number>, values: ArrayLike<number>): void {
    this.#bitmap = undefined
    this.#blockMaxima = undefined
    const end = this.#length + docs.length
    this.#docs = ensureCapacity(this.#docs, end)
    this.#values = ensureCapacity(this.#values, end)
    this.#docs.set(docs, this.#length)
    this.#values.set(values, this.#length)
    this.#length = end
  }
}

/** Posting count of an encoded segment, read from its header (see format.ts). */
function decodedCount(bytes: Buffer): number {
  const width = bytes[0]
  return (bytes.length - 5 - bytes.readUInt32LE(1)) / width
}
