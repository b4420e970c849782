/**
 * Paired two-sided randomization (permutation) test over per-query scores, as used to compare
 * retrieval runs (Smucker, Allan & Carterette, 2007): under the null hypothesis each query's pair
 * of scores is exchangeable, so the sign of each difference is flipped at random.
 * @module
 */

/** Seeded PRNG (mulberry32) so that p-values are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface PairedTest {
  /** Mean of b - a. */
  meanDifference: number
  /** Two-sided p-value. */
  pValue: number
  pairs: number
}

/**
 * @param a - per-query scores of system A
 * @param b - per-query scores of system B, same queries in the same order
 * @param trials - random sign flips @default 10000
 */
export function pairedRandomizationTest(a: readonly number[], b: readonly number[], trials = 10_000, seed = 42): PairedTest {
  const n = a.length
  if (n === 0) return { meanDifference: 0, pValue: 1, pairs: 0 }
  const diffs = a.map((x, i) => b[i] - x)
  const observed = Math.abs(diffs.reduce((s, d) => s + d, 0))
  const random = mulberry32(seed)
  let atLeastAsExtreme = 0
  for (let t = 0; t < trials; t++) {
    let sum = 0
    for (let i = 0; i < n; i++) sum += random() < 0.5 ? -diffs[i] : diffs[i]
    if (Math.abs(sum) >= observed - 1e-12) atLeastAsExtreme++
  }
  return { meanDifference: diffs.reduce((s, d) => s + d, 0) / n, pValue: (atLeastAsExtreme + 1) / (trials + 1), pairs: n }
}
