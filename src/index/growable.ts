/**
 * Growable typed arrays for the in-memory index (capacity doubles, so appends are amortized O(1)).
 * @module
 */

type UintArray = Uint32Array | Uint8Array

/** Returns `array` if it holds `needed` elements, else a copy with at least double the capacity. */
export function ensureCapacity<T extends UintArray>(array: T, needed: number): T {
  if (needed <= array.length) return array
  const grown = new (array.constructor as new (length: number) => T)(Math.max(needed, array.length * 2, 16))
  grown.set(array)
  return grown
}

/** One term's posting list in memory: ascending doc ids and their integer values. */
export class PostingList {
  docs = new Uint32Array(4)
  values = new Uint32Array(4)
  length = 0

  /** Appends postings whose doc ids are all greater than the last one held. */
  append(docs: ArrayLike<number>, values: ArrayLike<number>): void {
    const end = this.length + docs.length
    this.docs = ensureCapacity(this.docs, end)
    this.values = ensureCapacity(this.values, end)
    this.docs.set(docs, this.length)
    this.values.set(values, this.length)
    this.length = end
  }
}
