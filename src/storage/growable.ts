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
