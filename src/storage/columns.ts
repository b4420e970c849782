/**
 * Doc values in memory: per keyword/numeric/date/boolean field, each document's smallest and
 * largest value (what a sort reads: ascending sorts use the minimum, descending the maximum, as
 * Elasticsearch's default sort mode), every value of each document in doc id order (what
 * aggregations read: Lucene's SortedNumeric/SortedSet doc values), and for numbers every
 * (value, doc) pair in value order, so that a range is a slice of doc ids (a multi-valued document
 * matches when any value does).
 *
 * Why sorted columns for ranges (and not a bit-sliced index or numeric terms): a range is two
 * binary searches plus one bitmap built from the slice, whatever its width; the index is one
 * Float64Array + one Uint32Array per field (12 bytes per value), sorted on the first range query
 * and kept sorted by merging the values written since in (O(n) per write, not a re-sort). Lucene's
 * points (BKD trees) do the same job on disk; this engine keeps columns in memory.
 * @module
 */
import type { ColumnValue } from './format.js'
import { searchSorted } from './binary-search.js'
import { ensureCapacity } from './growable.js'
import { RoaringBitmap32 } from './roaring.js'

/** The values of one document, flattened (missing: none). */
function valuesOf(value: ColumnValue | undefined): Array<number | string> {
  if (value === null || value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** Growable Float64Array holding NaN where a document has no value. */
function grownFloat(array: Float64Array, needed: number): Float64Array {
  if (needed <= array.length) return array
  const grown = new Float64Array(Math.max(needed, array.length * 2, 16)).fill(NaN)
  grown.set(array)
  return grown
}

/**
 * Each document's values, in doc id order (compressed sparse rows): the values of doc `d` are
 * `values[starts[d] .. starts[d + 1])` for `d < docs`; later docs have none. Documents arrive in
 * increasing doc id order (writes append doc ids; loading reads segments in doc id order), so a
 * write appends and never rewrites.
 */
export interface DocValues<V extends Float64Array | Uint32Array> {
  readonly starts: Uint32Array
  readonly values: V
  /** Docs covered by `starts` (`starts` has `docs + 1` entries). */
  readonly docs: number
}

/** A growable {@link DocValues}. */
class DocValueRows<V extends Float64Array | Uint32Array> implements DocValues<V> {
  starts = new Uint32Array(16)
  docs = 0
  count = 0

  constructor(public values: V, private readonly grow: (array: V, needed: number) => V) {}

  append(doc: number, values: ArrayLike<number>): void {
    // Out of order would make the rows wrong, not slow: a programming error.
    if (doc < this.docs) throw new Error(`doc values of doc ${doc} added after doc ${this.docs - 1}`)
    this.starts = ensureCapacity(this.starts, doc + 2)
    this.starts.fill(this.count, this.docs, doc + 1)
    this.values = this.grow(this.values, this.count + values.length)
    for (let i = 0; i < values.length; i++) this.values[this.count++] = values[i]
    this.starts[doc + 1] = this.count
    this.docs = doc + 1
  }
}

/** Sorted pairs per chunk bitmap: a wide range ORs ~n / 4096 bitmaps instead of adding n doc ids. */
const CHUNK = 4096

/** A numeric column: numbers, date millis, booleans as 0/1. */
export class NumberColumn {
  readonly kind = 'number'
  min: Float64Array = new Float64Array(0)
  max: Float64Array = new Float64Array(0)
  /** Every (value, doc) pair, value-sorted up to `#sortedCount`; later pairs are merged in on the next range. */
  #values: Float64Array = new Float64Array(16)
  #docs: Uint32Array = new Uint32Array(16)
  #count = 0
  #sortedCount = 0
  /** See #chunkBitmaps; dropped when pairs are merged in. */
  #chunks: RoaringBitmap32[] | undefined
  readonly #rows = new DocValueRows(new Float64Array(16), grownFloat)

  /** Every value of each document, ascending (duplicates kept, as Lucene's SortedNumericDocValues). */
  docValues(): DocValues<Float64Array> {
    return this.#rows
  }

  add(doc: number, value: ColumnValue | undefined): void {
    const values = valuesOf(value) as number[]
    if (values.length === 0) return
    this.min = grownFloat(this.min, doc + 1)
    this.max = grownFloat(this.max, doc + 1)
    // A loop, not Math.min(...values): a document may hold more values than a call takes arguments.
    let lo = Infinity
    let hi = -Infinity
    for (const v of values) {
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    this.min[doc] = lo
    this.max[doc] = hi
    // Sorted, as Lucene's SortedNumericDocValues: a document's repeated values are neighbours.
    this.#rows.append(doc, values.length > 1 ? Float64Array.from(values).sort() : values)
    for (const v of values) {
      if (this.#count === this.#values.length) {
        this.#values = grownFloat(this.#values, this.#count + 1)
        this.#docs = ensureCapacity(this.#docs, this.#count + 1)
      }
      this.#values[this.#count] = v
      this.#docs[this.#count++] = doc
    }
  }

  /**
   * Documents with a value in the range (deleted ones included: callers remove them): the
   * chunks of the sorted pairs wholly inside the range are ORed as bitmaps, the pairs of the two
   * partial chunks at its ends are added one by one.
   */
  range(from: number, fromInclusive: boolean, to: number, toInclusive: boolean): RoaringBitmap32 {
    this.#sort()
    const values = this.#values.subarray(0, this.#count)
    const start = searchSorted(values, from, !fromInclusive)
    const end = searchSorted(values, to, toInclusive)
    if (end <= start) return new RoaringBitmap32()
    const firstChunk = Math.ceil(start / CHUNK)
    const lastChunk = Math.floor(end / CHUNK)
    if (firstChunk >= lastChunk) return new RoaringBitmap32(this.#docs.subarray(start, end))
    const chunks = this.#chunkBitmaps()
    const docs = RoaringBitmap32.orMany(chunks.slice(firstChunk, lastChunk))
    docs.addMany(this.#docs.subarray(start, firstChunk * CHUNK))
    docs.addMany(this.#docs.subarray(lastChunk * CHUNK, end))
    return docs
  }

  /** Bitmaps of the docs of each full chunk of CHUNK sorted pairs, built on first use after a sort. */
  #chunkBitmaps(): RoaringBitmap32[] {
    if (!this.#chunks) {
      this.#chunks = []
      for (let at = 0; at + CHUNK <= this.#count; at += CHUNK) this.#chunks.push(new RoaringBitmap32(this.#docs.subarray(at, at + CHUNK)))
    }
    return this.#chunks
  }

  /** Sorts the pairs added since the last range and merges them into the sorted prefix: O(n + m log m). */
  #sort(): void {
    if (this.#sortedCount === this.#count) return
    const from = this.#sortedCount
    const order = Uint32Array.from({ length: this.#count - from }, (_, i) => from + i)
    order.sort((a, b) => this.#values[a] - this.#values[b] || this.#docs[a] - this.#docs[b])
    const newValues = Float64Array.from(order, (i) => this.#values[i])
    const newDocs = Uint32Array.from(order, (i) => this.#docs[i])
    const values = new Float64Array(this.#values.length)
    const docs = new Uint32Array(this.#docs.length)
    let i = 0
    let j = 0
    for (let k = 0; k < this.#count; k++) {
      if (j >= newValues.length || (i < from && this.#values[i] <= newValues[j])) {
        values[k] = this.#values[i]
        docs[k] = this.#docs[i++]
      } else {
        values[k] = newValues[j]
        docs[k] = newDocs[j++]
      }
    }
    this.#values = values
    this.#docs = docs
    this.#sortedCount = this.#count
    this.#chunks = undefined
  }
}

/** A keyword column: each document's smallest and largest string (UTF-16 order, as JS compares). */
export class StringColumn {
  readonly kind = 'string'
  min: Array<string | undefined> = []
  max: Array<string | undefined> = []
  /** Bumped by every add: ordinals of another version are stale. */
  #version = 0
  #ordinals: (Ordinals & { version: number }) | undefined
  /** Each distinct value's number, in the order values were first written (grows with writes, never renumbers). */
  readonly #numbers = new Map<string, number>()
  readonly #dictionary: string[] = []
  readonly #rows = new DocValueRows(new Uint32Array(16), ensureCapacity)

  /**
   * Each document's distinct values as numbers into `dictionary` (as Lucene's SortedSetDocValues,
   * but numbered in first-written order, not sorted, so that a write appends). The dictionary may
   * hold values that only deleted documents had.
   */
  docValues(): DocValues<Uint32Array> & { dictionary: readonly string[] } {
    return { starts: this.#rows.starts, values: this.#rows.values, docs: this.#rows.docs, dictionary: this.#dictionary }
  }

  add(doc: number, value: ColumnValue | undefined): void {
    const values = valuesOf(value).map(String)
    if (values.length === 0) return
    let lo = values[0]
    let hi = values[0]
    for (const v of values) {
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    this.min[doc] = lo
    this.max[doc] = hi
    this.#version++
    const numbers: number[] = []
    for (const v of values) {
      let n = this.#numbers.get(v)
      if (n === undefined) {
        n = this.#dictionary.push(v) - 1
        this.#numbers.set(v, n)
      }
      numbers.push(n)
    }
    // Distinct, as Lucene's SortedSetDocValues; most documents have one value.
    this.#rows.append(doc, numbers.length === 1 ? numbers : [...new Set(numbers)])
  }

  /**
   * Each document's smallest and largest value as its rank among the column's distinct values
   * (NaN: none), so that a sort compares numbers, not strings (Lucene's sorted doc values
   * ordinals). Built on first use after a write: O(documents + distinct values x log).
   */
  ordinals(): Ordinals {
    if (this.#ordinals?.version !== this.#version) {
      const distinct = new Set<string>()
      for (const v of this.min) if (v !== undefined) distinct.add(v)
      for (const v of this.max) if (v !== undefined) distinct.add(v)
      // JS string order (UTF-16 code units), as `<` compares them everywhere else.
      const sorted = [...distinct].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const rank = new Map(sorted.map((v, i) => [v, i]))
      const ranks = (values: Array<string | undefined>) => Float64Array.from({ length: values.length }, (_, doc) => (values[doc] === undefined ? NaN : rank.get(values[doc]!)!))
      this.#ordinals = { version: this.#version, sorted, min: ranks(this.min), max: ranks(this.max) }
    }
    return this.#ordinals
  }
}

/** A keyword column's distinct values in order, and each document's minimum and maximum as ranks. */
export interface Ordinals {
  sorted: readonly string[]
  min: Float64Array
  max: Float64Array
}

export type Column = NumberColumn | StringColumn

/** Columns by field path. */
export class Columns {
  readonly #byPath = new Map<string, Column>()

  get(path: string): Column | undefined {
    return this.#byPath.get(path)
  }

  /** Records one write batch's doc values: `columns[path][i]` belongs to doc `firstDoc + i`. */
  addSegment(firstDoc: number, columns: Record<string, ColumnValue[]> | undefined): void {
    if (!columns) return
    for (const [path, values] of Object.entries(columns)) {
      let column = this.#byPath.get(path)
      values.forEach((value, i) => {
        const sample = valuesOf(value)[0]
        if (sample === undefined) return
        column ??= typeof sample === 'number' ? new NumberColumn() : new StringColumn()
        column.add(firstDoc + i, value)
      })
      if (column) this.#byPath.set(path, column)
    }
  }
}
