/**
 * Binary search over ascending arrays of numbers or strings (JS `<` order): the doc-value columns,
 * keyword ordinals and sorted term lists share it.
 * @module
 */

/** First position whose value is >= x (or > x with `after`); the length when there is none. */
export function searchSorted<T extends number | string>(values: ArrayLike<T>, x: T, after = false): number {
  let lo = 0
  let hi = values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid] < x || (after && values[mid] === x)) lo = mid + 1
    else hi = mid
  }
  return lo
}
