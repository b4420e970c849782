/**
 * Document-side pooling of masked-LM logits into sparse vectors, following OpenSearch's doc-only
 * model cards: max over the sequence of the logits (padding masked out), then the activation
 * (`log(1 + relu(x))`, or `log(1 + log(1 + relu(x)))` for the v3 models), special tokens zeroed.
 *
 * This is the hot path next to the forward pass: one pass over the [batch x seq x vocab] tensor
 * with typed arrays and no allocation per position. Max-pooling then relu equals relu of the
 * masked max, so padding positions are simply skipped.
 * @module
 */
import { LsrError } from '../../errors.js'

/** `log1p_relu` for v1/v2 models, `log1p_log1p_relu` for v3 models. */
export type Activation = 'log1p_relu' | 'log1p_log1p_relu'

export const ACTIVATIONS: readonly Activation[] = ['log1p_relu', 'log1p_log1p_relu']

/** A document's sparse vector as vocabulary ids and weights (ascending ids). */
export interface SparseIds {
  ids: Uint32Array
  weights: Float32Array
}

/**
 * @param logits - [batch, seq, vocab] row-major
 * @param mask - [batch, seq] attention mask (non-zero = token)
 * @param special - per vocab id, 1 for special tokens whose weight is forced to 0
 */
export function poolLogits(logits: Float32Array, mask: ArrayLike<bigint | number>, batch: number, seq: number, vocab: number, activation: Activation, special: Uint8Array): SparseIds[] {
  const max = new Float32Array(vocab)
  const out: SparseIds[] = []
  const twice = activation === 'log1p_log1p_relu'
  for (let b = 0; b < batch; b++) {
    max.fill(0) // relu: only positive maxima matter
    for (let s = 0; s < seq; s++) {
      if (Number(mask[b * seq + s]) === 0) continue
      const row = (b * seq + s) * vocab
      for (let v = 0; v < vocab; v++) {
        const x = logits[row + v]
        if (x > max[v]) max[v] = x
      }
    }
    let count = 0
    for (let v = 0; v < vocab; v++) if (max[v] > 0 && special[v] === 0) count++
    const ids = new Uint32Array(count)
    const weights = new Float32Array(count)
    for (let v = 0, i = 0; v < vocab; v++) {
      if (!(max[v] > 0) || special[v] === 1) continue
      const w = Math.log1p(max[v])
      ids[i] = v
      weights[i++] = twice ? Math.log1p(w) : w
    }
    out.push({ ids, weights })
  }
  return out
}

/** Pruning as OpenSearch's `sparse_encoding` processor offers it. */
export type Pruning =
  | { method: 'none' }
  | { method: 'max_ratio'; ratio: number }
  | { method: 'top_k'; k: number }
  | { method: 'abs_value'; threshold: number }
  | { method: 'alpha_mass'; alpha: number }

/** Parses `none`, `max_ratio:0.1`, `top_k:64`, `abs_value:0.5`, `alpha_mass:0.9`. */
export function parsePruning(spec: string): Pruning {
  const [method, raw] = spec.split(':')
  const value = Number(raw)
  const need = (ok: boolean, range: string) => {
    if (!ok) throw new LsrError('invalid_argument', `pruning "${spec}": ${method} needs a value ${range}`)
  }
  switch (method) {
    case 'none':
      return { method }
    case 'max_ratio':
      need(value >= 0 && value <= 1, 'in [0, 1]')
      return { method, ratio: value }
    case 'top_k':
      need(Number.isInteger(value) && value > 0, '> 0 (an integer)')
      return { method, k: value }
    case 'abs_value':
      need(value >= 0, '>= 0')
      return { method, threshold: value }
    case 'alpha_mass':
      need(value > 0 && value <= 1, 'in (0, 1]')
      return { method, alpha: value }
    default:
      throw new LsrError('invalid_argument', `pruning "${spec}": unknown method (none, max_ratio, top_k, abs_value, alpha_mass)`)
  }
}

/**
 * Applies pruning as OpenSearch's PruneUtils does, in its float32 arithmetic (thresholds are
 * float products; alpha_mass keeps the largest weights while their running float sum stays at
 * most alpha x the total); keeps ascending id order. Ties of top_k keep the lower ids.
 */
export function prune(vector: SparseIds, pruning: Pruning): SparseIds {
  const { ids, weights } = vector
  if (pruning.method === 'none' || ids.length === 0) return vector
  const f32 = Math.fround
  let keep: (i: number) => boolean
  if (pruning.method === 'max_ratio') {
    const threshold = f32(f32(pruning.ratio) * weights.reduce((max, w) => Math.max(max, w), 0))
    keep = (i) => weights[i] >= threshold
  } else if (pruning.method === 'abs_value') {
    const threshold = f32(pruning.threshold)
    keep = (i) => weights[i] >= threshold
  } else {
    const order = Array.from(ids.keys()).sort((a, b) => weights[b] - weights[a] || a - b)
    let n = order.length
    if (pruning.method === 'top_k') n = Math.min(pruning.k, n)
    else {
      // Java sums the floats as doubles, then casts; the running sum is a float.
      const limit = f32(f32(pruning.alpha) * f32(weights.reduce((s, w) => s + w, 0)))
      let mass = 0
      for (n = 0; n < order.length && (mass = f32(mass + weights[order[n]])) <= limit; n++);
    }
    const kept = new Set(order.slice(0, n))
    keep = (i) => kept.has(i)
  }
  const at = Array.from(ids.keys()).filter(keep)
  return { ids: Uint32Array.from(at, (i) => ids[i]), weights: Float32Array.from(at, (i) => weights[i]) }
}
