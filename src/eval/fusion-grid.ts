/**
 * The fusion settings `lsr eval --tune` sweeps, each as the phase-results processor a search
 * pipeline would hold, in one documented order (the first of equally good settings wins):
 *
 * 1. `normalization-processor`: normalization `min_max`, then `l2`, then `z_score`; for each,
 *    combination `arithmetic_mean`, `geometric_mean`, `harmonic_mean` (`z_score` only with
 *    `arithmetic_mean`, as OpenSearch allows); for each, every weight vector of the grid below,
 *    in lexicographic order (the first sub-query's weight rising from 0).
 * 2. `score-ranker-processor` (RRF, equal weights) with rank_constant 10, 20, 40, 60, 80, 100.
 *
 * Weights are the points of the simplex (each >= 0, summing to 1) in steps of 1/n: for 2
 * sub-queries n = 10 (steps of 0.1: 11 vectors, 83 settings in all), for 3 n = 5 (steps of
 * 0.2: 21 vectors), for 4 n = 4 (0.25: 35), for 5 n = 3 (1/3: 35); one sub-query has weight 1.
 * @module
 */
import type { Fusion } from '../engine/hybrid/fusion.js'
import { parseSearchPipeline } from '../engine/hybrid/search-pipeline.js'
import type { Json } from '../engine/json-shapes.js'

/** Steps of the weight grid, 1/n, by number of sub-queries. */
export const WEIGHT_DIVISIONS: Readonly<Record<number, number>> = { 1: 1, 2: 10, 3: 5, 4: 4, 5: 3 }
/** RRF rank constants swept. */
export const RRF_RANK_CONSTANTS: readonly number[] = [10, 20, 40, 60, 80, 100]
/** Normalizations swept, each with the combinations OpenSearch allows it. */
const NORMALIZATIONS: ReadonlyArray<[string, readonly string[]]> = [
  ['min_max', ['arithmetic_mean', 'geometric_mean', 'harmonic_mean']],
  ['l2', ['arithmetic_mean', 'geometric_mean', 'harmonic_mean']],
  ['z_score', ['arithmetic_mean']],
]

/** One setting of the sweep. */
export interface FusionCandidate {
  /** e.g. `min_max + arithmetic_mean [0.3, 0.7]`, `rrf rank_constant 60`. */
  label: string
  /** The phase-results processor, as a search pipeline's `phase_results_processors` holds it. */
  processor: Json
  /** What the processor parses to (the same parser as any search pipeline's). */
  fusion: Fusion
}

/**
 * Every weight vector of `subQueries` weights in steps of 1/n (see the module's table), in lexicographic order.
 * @example weightGrid(2).slice(0, 3) // [[0, 1], [0.1, 0.9], [0.2, 0.8]]
 */
export function weightGrid(subQueries: number): number[][] {
  const n = WEIGHT_DIVISIONS[subQueries]
  if (n === undefined) throw new RangeError(`a hybrid query has 1 to 5 sub-queries, got ${subQueries}`)
  const vectors: number[][] = []
  const extend = (parts: number[], left: number) => {
    if (parts.length === subQueries - 1) return vectors.push([...parts, left].map((part) => part / n))
    for (let part = 0; part <= left; part++) extend([...parts, part], left - part)
  }
  extend([], n)
  return vectors
}

/**
 * The sweep's settings for a hybrid query of `subQueries` sub-queries, in the module's order.
 * @example fusionGrid(2).length // 83: 7 normalization/combination pairs x 11 weight vectors + 6 RRF
 */
export function fusionGrid(subQueries: number): FusionCandidate[] {
  const candidates: FusionCandidate[] = []
  for (const [normalization, combinations] of NORMALIZATIONS) {
    for (const combination of combinations) {
      for (const weights of weightGrid(subQueries)) {
        const processor = { 'normalization-processor': { normalization: { technique: normalization }, combination: { technique: combination, parameters: { weights } } } }
        candidates.push(candidate(`${normalization} + ${combination} [${weights.join(', ')}]`, processor))
      }
    }
  }
  for (const rankConstant of RRF_RANK_CONSTANTS) {
    candidates.push(candidate(`rrf rank_constant ${rankConstant}`, { 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: rankConstant } } }))
  }
  return candidates
}

function candidate(label: string, processor: Json): FusionCandidate {
  return { label, processor, fusion: parseSearchPipeline({ phase_results_processors: [processor] }).fusion! }
}

/**
 * A search pipeline definition with its phase-results processor replaced by `processor` (its
 * request processors, description and version kept).
 */
export function withPhaseResultsProcessor(searchPipeline: unknown, processor: Json): Json {
  return { ...(searchPipeline as Json), phase_results_processors: [processor] }
}
