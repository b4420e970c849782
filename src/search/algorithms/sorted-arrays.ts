/**
 * Searches in ascending doc-id arrays, shared by the top-k algorithms and two-phase rescoring.
 * @module
 */

/** First index in [from, to) with array[index] >= value, or `to`. */
export function lowerBound(array: Uint32Array, from: number, to: number, value: number): number {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (array[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index >= from with array[index] >= value, or length: galloping, cheap for nearby targets. */
export function gallop(array: Uint32Array, from: number, length: number, value: number): number {
  if (from >= length || array[from] >= value) return from
  let step = 1
  let low = from
  let high = from + 1
  while (high < length && array[high] < value) {
    low = high
    step *= 2
    high = from + step
  }
  return lowerBound(array, low + 1, Math.min(high, length), value)
}
