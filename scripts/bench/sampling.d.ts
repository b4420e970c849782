// Types of sampling.js, for the tests that share its seeded PRNG.
/** A seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number
/** Inverse-CDF sampler over 0..n-1 with P(i) ~ weights[i]. */
export function sampler(weights: ArrayLike<number>, random: () => number): () => number
