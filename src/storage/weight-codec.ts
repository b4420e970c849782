/**
 * Storage of learned (float) term weights as 16-bit codes. Weights are non-negative, so the sign
 * bit of the IEEE-754 float32 carries nothing: a code is bits 30..15 of the float, rounded to
 * nearest (8 exponent bits and 8 mantissa bits, i.e. 9 significant bits with the implicit one),
 * the precision Elasticsearch's `rank_features` keeps. The relative error of a stored weight is at
 * most 2^-9 (0.195 %), and the code is monotone in the weight, so per-term maxima of codes are
 * maxima of weights (safe upper bounds).
 *
 * Consequence for scores: a dot product of non-negative query weights with quantized document
 * weights is within a factor (1 ± 2^-9) of the float score, so two documents keep their float
 * order whenever their float scores differ by more than 2 · 2^-9 relative.
 * @module
 */

/** Largest relative error of a decoded weight. */
export const WEIGHT_RELATIVE_ERROR = 2 ** -9

const MAX_CODE = 0xfeff // the largest finite float32
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** Encodes a non-negative finite weight as a 16-bit code (0 stays 0). */
export function encodeWeight(weight: number): number {
  if (!(weight > 0)) return 0
  f32[0] = weight
  const bits = u32[0]
  // round half to even on the 15 dropped bits
  const rounded = bits + 0x3fff + ((bits >>> 15) & 1)
  return Math.min(rounded >>> 15, MAX_CODE)
}

/** Decoding table: code -> weight. */
export const WEIGHT_OF_CODE: Float64Array = (() => {
  const table = new Float64Array(0x10000)
  for (let code = 0; code <= MAX_CODE; code++) {
    u32[0] = code << 15
    table[code] = f32[0]
  }
  return table
})()

/** Decodes a 16-bit code. */
export function decodeWeight(code: number): number {
  return WEIGHT_OF_CODE[code]
}
