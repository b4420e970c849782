/**
 * Score fusion of a `hybrid` query: each sub-query's ranked list is normalized on its own, then
 * the per-document scores are combined, as OpenSearch's neural-search plugin does in its
 * `normalization-processor` and `score-ranker-processor` (RRF).
 *
 * The formulas follow the plugin's source (opensearch-project/neural-search, main of August 2026,
 * `processor/normalization/*`, `processor/combination/*`), with two differences of precision:
 * lsr computes in double precision where the plugin uses float32, and RRF's 1/(k + rank) is not
 * rounded to 10 decimals first (the plugin divides BigDecimals to 10 places).
 * @module
 */
import { LsrError } from '../../errors.js'

/** Most sub-queries a `hybrid` query may have (the plugin's HybridQueryBuilder.MAX_NUMBER_OF_SUB_QUERIES). */
export const MAX_SUB_QUERIES = 5
/** RRF's rank constant when none is given, and its allowed range. */
export const DEFAULT_RANK_CONSTANT = 60
export const MIN_RANK_CONSTANT = 1
export const MAX_RANK_CONSTANT = 10_000
/** Allowed range of a min_max bound's score. */
export const MIN_BOUND_SCORE = -10_000
export const MAX_BOUND_SCORE = 10_000

/** One sub-query's ranked result list, best first (internal doc ids and raw scores). */
export interface SubQueryHits {
  docs: ArrayLike<number>
  scores: ArrayLike<number>
}

/**
 * How a min_max bound changes a sub-query's min (lower bound) or max (upper bound):
 * `apply` uses the bound for scores beyond it, `clip` also maps scores past it to 0.001 (lower)
 * or 1.0 (upper), `ignore` leaves the list's own min or max.
 */
export type BoundMode = 'apply' | 'clip' | 'ignore'

/** A min_max bound of one sub-query. */
export interface ScoreBound {
  /** @default 'apply' */
  mode: BoundMode
  /** The bound: `min_score` of a lower bound (default 0), `max_score` of an upper bound (default 1), in [-10000, 10000]. */
  score: number
}

/** How each sub-query's list is normalized. Bounds, when given, have one entry per sub-query. */
export type Normalization =
  | { technique: 'min_max'; lowerBounds?: readonly ScoreBound[]; upperBounds?: readonly ScoreBound[] }
  | { technique: 'l2' }
  | { technique: 'z_score' }
  /** The normalization-processor also accepts rrf as a normalization (then combined by a mean). */
  | { technique: 'rrf'; rankConstant: number }

/** How the normalized scores of a document are combined. Weights, when given, have one entry per sub-query. */
export interface Combination {
  technique: 'arithmetic_mean' | 'geometric_mean' | 'harmonic_mean'
  /** In [0, 1], summing to 1 (within 0.01). @default 1 for every sub-query */
  weights?: readonly number[]
}

/** A phase-results processor: normalization-processor or score-ranker-processor (RRF). */
export type Fusion =
  | { kind: 'normalization'; normalization: Normalization; combination: Combination }
  | { kind: 'rrf'; rankConstant: number; weights?: readonly number[] }

/** One fused document: combined score, and per sub-query its raw and normalized score (undefined where the sub-query did not return it). */
export interface FusedHit {
  doc: number
  score: number
  raw: Array<number | undefined>
  normalized: Array<number | undefined>
}

/** The normalization-processor's default: min_max, then arithmetic_mean with equal weights. */
export const DEFAULT_FUSION: Fusion = { kind: 'normalization', normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean' } }

/** min_max's score for a list's lowest score: 0.001, so that the document still counts as found. */
const MIN_MAX_LOWEST = 0.001
/**
 * The plugin seeds each sub-query's maximum with Java's Float.MIN_VALUE, the smallest positive
 * float (not the most negative), so a list whose scores are all 0 maps to 0.001, not 1.
 */
const FLOAT_MIN_VALUE = 1.4e-45
/** z_score's floor for scores at or below the mean. */
const Z_SCORE_FLOOR = 0.001

const fail = (message: string) => new LsrError('invalid_argument', message)

/**
 * Fuses the sub-queries' lists. Sorted as OpenSearch sorts them: combined score descending, ties
 * by ascending doc id (the plugin sorts a HashMap's keys with a stable sort; a HashMap of small
 * Integer keys iterates in ascending order).
 * @param lists one ranked list per sub-query, in the order of the hybrid query's `queries`
 * @param fusion the phase-results processor's settings
 * @param limit the most hits to return (the best ones)
 * @returns every document of any list (at most `limit`), each once
 * @throws LsrError `invalid_argument` for more than 5 lists, weights or bounds not one per list,
 *   or a z_score normalization with a combination other than arithmetic_mean
 * @example
 * fuse([{ docs: [7, 3], scores: [4, 2] }, { docs: [3], scores: [0.9] }], DEFAULT_FUSION)
 * // [{ doc: 3, score: 0.5005, ... }, { doc: 7, score: 0.5, ... }]
 */
export function fuse(lists: readonly SubQueryHits[], fusion: Fusion, limit = Infinity): FusedHit[] {
  checkFusion(lists, fusion)
  const subQueries = lists.length
  const normalized = lists.map((list, q) => normalizeList(list, q, fusion))
  const combine = fusion.kind === 'rrf' ? weightedSum(fusion.weights) : combiner(fusion.combination)
  // One slot per distinct document; per slot and sub-query its raw and normalized score (NaN:
  // not returned), in typed arrays: no object per document until the kept ones are built.
  const total = lists.reduce((sum, list) => sum + list.docs.length, 0)
  const slotOf = new Map<number, number>()
  const docs = new Float64Array(total)
  const raw = new Float64Array(total * subQueries).fill(Number.NaN)
  const norm = new Float64Array(total * subQueries).fill(Number.NaN)
  let slots = 0
  lists.forEach((list, q) => {
    for (let i = 0; i < list.docs.length; i++) {
      let slot = slotOf.get(list.docs[i])
      if (slot === undefined) {
        slotOf.set(list.docs[i], (slot = slots++))
        docs[slot] = list.docs[i]
      }
      raw[slot * subQueries + q] = list.scores[i]
      norm[slot * subQueries + q] = normalized[q][i]
    }
  })
  // A sub-query that did not return the document gives 0, as in the plugin's ScoreCombiner.
  const scores = new Float64Array(slots)
  const values = new Float64Array(subQueries)
  for (let slot = 0; slot < slots; slot++) {
    for (let q = 0; q < subQueries; q++) {
      const value = norm[slot * subQueries + q]
      values[q] = Number.isNaN(value) ? 0 : value
    }
    scores[slot] = combine(values)
  }
  const order = new Uint32Array(slots)
  for (let slot = 0; slot < slots; slot++) order[slot] = slot
  order.sort((a, b) => scores[b] - scores[a] || docs[a] - docs[b])
  const present = (array: Float64Array, slot: number) => {
    const out: Array<number | undefined> = new Array(subQueries)
    for (let q = 0; q < subQueries; q++) {
      const value = array[slot * subQueries + q]
      out[q] = Number.isNaN(value) ? undefined : value
    }
    return out
  }
  const kept: FusedHit[] = new Array(Math.min(limit, slots))
  for (let i = 0; i < kept.length; i++) {
    const slot = order[i]
    kept[i] = { doc: docs[slot], score: scores[slot], raw: present(raw, slot), normalized: present(norm, slot) }
  }
  return kept
}

/**
 * Checks the settings against the lists: weights and bounds one per sub-query (the plugin checks
 * these per query, when it has the lists), and z_score's only combination, arithmetic_mean.
 */
function checkFusion(lists: readonly SubQueryHits[], fusion: Fusion): void {
  if (lists.length > MAX_SUB_QUERIES) throw fail(`a hybrid query has at most ${MAX_SUB_QUERIES} sub-queries, got ${lists.length}`)
  for (const [q, list] of lists.entries()) {
    if (list.docs.length !== list.scores.length) throw fail(`sub-query ${q} has ${list.docs.length} docs but ${list.scores.length} scores`)
  }
  const weights = fusion.kind === 'rrf' ? fusion.weights : fusion.combination.weights
  if (weights && weights.length !== lists.length) {
    throw fail(`number of weights [${weights.length}] must match number of sub-queries [${lists.length}] in hybrid query`)
  }
  if (fusion.kind === 'rrf') return
  const { normalization, combination } = fusion
  if (normalization.technique === 'z_score' && combination.technique !== 'arithmetic_mean') {
    throw fail(`provided combination technique ${combination.technique} is not supported for normalization technique z_score. Supported techniques are: arithmetic_mean`)
  }
  if (normalization.technique !== 'min_max') return
  for (const [name, bounds] of [['lower_bounds', normalization.lowerBounds], ['upper_bounds', normalization.upperBounds]] as const) {
    if (bounds && bounds.length !== lists.length) {
      throw fail(`expected ${name} to contain ${lists.length} elements matching the number of sub-queries, got ${bounds.length}`)
    }
  }
}

/** One list's normalized scores, in its order; each sub-query is normalized over its own list only. */
function normalizeList(list: SubQueryHits, q: number, fusion: Fusion): Float64Array {
  if (fusion.kind === 'rrf') return reciprocalRanks(list.scores.length, fusion.rankConstant)
  const n = fusion.normalization
  switch (n.technique) {
    case 'min_max': return minMax(list.scores, n.lowerBounds?.[q], n.upperBounds?.[q])
    case 'l2': return l2(list.scores)
    case 'z_score': return zScore(list.scores)
    case 'rrf': return reciprocalRanks(list.scores.length, n.rankConstant)
  }
}

// min_max (MinMaxScoreNormalizationTechnique): n = (s - min) / (max - min) over the list; a result
// of 0 becomes 0.001; s = min = max gives 1. Bounds replace min or max by the bound (see below).
function minMax(scores: ArrayLike<number>, lower: ScoreBound | undefined, upper: ScoreBound | undefined): Float64Array {
  let min = Infinity
  let max = FLOAT_MIN_VALUE
  for (let i = 0; i < scores.length; i++) {
    min = Math.min(min, scores[i])
    max = Math.max(max, scores[i])
  }
  const out = new Float64Array(scores.length)
  for (let i = 0; i < scores.length; i++) out[i] = minMaxScore(scores[i], min, max, lower, upper)
  return out
}

function minMaxScore(s: number, min: number, max: number, lower: ScoreBound | undefined, upper: ScoreBound | undefined): number {
  if (max === min && max === s) return 1
  const low = lower ? effectiveMin(s, min, max, lower) : min
  const high = upper ? effectiveMax(s, min, max, upper) : max
  if (lower?.mode === 'clip' && s < low) return MIN_MAX_LOWEST
  if (upper?.mode === 'clip' && s > high) return 1
  if (high === low) return 1
  const n = (s - low) / (high - low)
  return n === 0 ? MIN_MAX_LOWEST : n
}

// Lower bound b (LowerBound.determineEffectiveScore): apply: min' = b if max > b and s > b, else
// min; clip: min' = b unless max < b (then s < b gives 0.001); ignore: min' = min.
function effectiveMin(s: number, min: number, max: number, { mode, score: b }: ScoreBound): number {
  if (mode === 'apply') return max > b && s > b ? b : min
  if (mode === 'clip') return max < b ? min : b
  return min
}

// Upper bound b (UpperBound.determineEffectiveScore): apply: max' = b if min < b and s < b, else
// max; clip: max' = b unless min > b (then s > b gives 1); ignore: max' = max.
function effectiveMax(s: number, min: number, max: number, { mode, score: b }: ScoreBound): number {
  if (mode === 'apply') return min < b && s < b ? b : max
  if (mode === 'clip') return min > b ? max : b
  return max
}

// l2 (L2ScoreNormalizationTechnique): n = s / sqrt(sum of s^2 over the list); 0 when that norm is 0.
function l2(scores: ArrayLike<number>): Float64Array {
  let squares = 0
  for (let i = 0; i < scores.length; i++) squares += scores[i] * scores[i]
  let norm = Math.sqrt(squares)
  if (!Number.isFinite(norm) || (norm === 0 && hasNonZero(scores))) {
    // Squares past the double range (or below it): the same norm, computed on scores scaled by the largest.
    const scale = largestMagnitude(scores)
    squares = 0
    for (let i = 0; i < scores.length; i++) squares += (scores[i] / scale) ** 2
    norm = Math.sqrt(squares) * scale
  }
  const out = new Float64Array(scores.length)
  for (let i = 0; i < scores.length; i++) out[i] = norm === 0 ? 0 : scores[i] / norm
  return out
}

// z_score (ZScoreNormalizationTechnique): n = (s - mean) / stddev, with the sample stddev
// (n - 1 divisor, commons-math DescriptiveStatistics); n <= 0 becomes 0.001. Two cases come first:
// s = mean gives the list's raw max score, and stddev 0 gives the list's raw min score.
function zScore(raw: ArrayLike<number>): Float64Array {
  // z is the same for scores scaled by any factor: scores whose squares would leave the double
  // range are scaled by the largest first (the s = mean and stddev = 0 cases still give raw scores).
  const scale = zScoreScale(raw)
  const scores = scale === 1 ? raw : Float64Array.from(raw, (s) => s / scale)
  let rawMin = Infinity
  let rawMax = -Infinity
  for (let i = 0; i < raw.length; i++) {
    rawMin = Math.min(rawMin, raw[i])
    rawMax = Math.max(rawMax, raw[i])
  }
  const n = scores.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += scores[i]
  // commons-math's two-pass Mean and Variance: the correction terms make a list of equal scores
  // give exactly that score as its mean (so it takes the s = mean case, as in the plugin).
  let mean = sum / n
  let deviation = 0
  for (let i = 0; i < n; i++) deviation += scores[i] - mean
  mean += deviation / n
  let squares = 0
  deviation = 0
  for (let i = 0; i < n; i++) {
    squares += (scores[i] - mean) ** 2
    deviation += scores[i] - mean
  }
  const stddev = n > 1 ? Math.sqrt((squares - (deviation * deviation) / n) / (n - 1)) : 0
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const s = scores[i]
    const z = (s - mean) / stddev
    out[i] = s === mean ? rawMax : stddev === 0 ? rawMin : z <= 0 ? Z_SCORE_FLOOR : z
  }
  return out
}

/** 1, or the largest magnitude when a square of the scores would overflow or vanish. */
function zScoreScale(scores: ArrayLike<number>): number {
  const largest = largestMagnitude(scores)
  return largest > 1e150 || (largest > 0 && largest < 1e-150) ? largest : 1
}

function largestMagnitude(scores: ArrayLike<number>): number {
  let largest = 0
  for (let i = 0; i < scores.length; i++) largest = Math.max(largest, Math.abs(scores[i]))
  return largest
}

function hasNonZero(scores: ArrayLike<number>): boolean {
  for (let i = 0; i < scores.length; i++) if (scores[i] !== 0) return true
  return false
}

// rrf (RRFNormalizationTechnique): n = 1 / (rank_constant + rank), rank 1-based in the list.
function reciprocalRanks(length: number, rankConstant: number): Float64Array {
  const out = new Float64Array(length)
  for (let i = 0; i < length; i++) out[i] = 1 / (rankConstant + i + 1)
  return out
}

/** Combines one document's normalized scores (0 where a sub-query did not return it). */
type Combine = (values: ArrayLike<number>) => number

const weightOf = (weights: readonly number[] | undefined, q: number) => weights?.[q] ?? 1

function combiner({ technique, weights }: Combination): Combine {
  switch (technique) {
    case 'arithmetic_mean': return arithmeticMean(weights)
    case 'geometric_mean': return geometricMean(weights)
    case 'harmonic_mean': return harmonicMean(weights)
  }
}

// arithmetic_mean: sum(w_i * n_i) / sum(w_i) over the sub-queries with n_i >= 0. An absent
// document's n_i is 0, so it adds nothing while its weight stays in the divisor. 0 if sum(w_i) = 0.
const arithmeticMean = (weights?: readonly number[]): Combine => (values) => {
  let sum = 0
  let sumOfWeights = 0
  for (let q = 0; q < values.length; q++) {
    if (values[q] < 0) continue
    const w = weightOf(weights, q)
    sum += w * values[q]
    sumOfWeights += w
  }
  return sumOfWeights === 0 ? 0 : sum / sumOfWeights
}

// geometric_mean: exp(sum(w_i * ln n_i) / sum(w_i)) over the sub-queries with n_i > 0, so absent
// sub-queries and their weights are left out. 0 if no sub-query is left.
const geometricMean = (weights?: readonly number[]): Combine => (values) => {
  let weightedLogs = 0
  let sumOfWeights = 0
  for (let q = 0; q < values.length; q++) {
    if (values[q] <= 0) continue
    const w = weightOf(weights, q)
    weightedLogs += w * Math.log(values[q])
    sumOfWeights += w
  }
  return sumOfWeights === 0 ? 0 : Math.exp(weightedLogs / sumOfWeights)
}

// harmonic_mean: sum(w_i) / sum(w_i / n_i) over the sub-queries with n_i > 0 (absent ones and
// their weights left out). 0 if the divisor is not positive.
const harmonicMean = (weights?: readonly number[]): Combine => (values) => {
  let sumOfWeights = 0
  let harmonics = 0
  for (let q = 0; q < values.length; q++) {
    if (values[q] <= 0) continue
    const w = weightOf(weights, q)
    sumOfWeights += w
    harmonics += w / values[q]
  }
  return harmonics > 0 ? sumOfWeights / harmonics : 0
}

// rrf (RRFScoreCombinationTechnique): sum(w_i * n_i) over the sub-queries, n_i = 1 / (k + rank_i)
// where the sub-query returned the document and 0 where not; w_i = 1 without weights. Not divided.
const weightedSum = (weights?: readonly number[]): Combine => (values) => {
  let sum = 0
  for (let q = 0; q < values.length; q++) if (values[q] >= 0) sum += weightOf(weights, q) * values[q]
  return sum
}

/**
 * A one-line description of the formula, for `explain` output. It opens with the plugin's own
 * description (e.g. `min_max, lower bounds [(apply, 0.2)]` and `arithmetic_mean, weights [0.3, 0.7]`).
 * @example
 * describeFusion(DEFAULT_FUSION)
 * // 'min_max normalization, arithmetic_mean combination: score = sum(w_i * n_i) / sum(w_i) ...'
 */
export function describeFusion(fusion: Fusion): string {
  if (fusion.kind === 'rrf') {
    const weights = fusion.weights ? `, weights ${list(fusion.weights)}` : ''
    return `rrf, rank_constant [${fusion.rankConstant}]${weights}: score = sum over the sub-queries that returned the document of w_i / (${fusion.rankConstant} + rank_i), rank 1-based, w_i = 1 without weights`
  }
  const { normalization, combination } = fusion
  const weights = combination.weights ? `, weights ${list(combination.weights)}` : ''
  return `${describeNormalization(normalization)} normalization, ${combination.technique}${weights} combination: ` +
    `score = ${COMBINATION_FORMULAS[combination.technique]}, n_i = ${NORMALIZATION_FORMULAS[normalization.technique]}`
}

function describeNormalization(n: Normalization): string {
  if (n.technique === 'rrf') return `rrf, rank_constant [${n.rankConstant}]`
  if (n.technique !== 'min_max') return n.technique
  const bounds = (label: string, b?: readonly ScoreBound[]) => b ? `, ${label} bounds [${b.map((x) => `(${x.mode}, ${x.score})`).join(', ')}]` : ''
  return `min_max${bounds('lower', n.lowerBounds)}${bounds('upper', n.upperBounds)}`
}

const list = (values: readonly number[]) => `[${values.join(', ')}]`

const NORMALIZATION_FORMULAS: Record<Normalization['technique'], string> = {
  min_max: '(s - min) / (max - min) over sub-query i\'s list (its lowest 0.001, all equal 1)',
  l2: 's / sqrt(sum of s^2 over sub-query i\'s list) (0 if that is 0)',
  z_score: '(s - mean) / sample stddev over sub-query i\'s list (<= 0 gives 0.001, s = mean gives the raw max, stddev 0 the raw min)',
  rrf: '1 / (rank_constant + rank of the document in sub-query i)',
}

const COMBINATION_FORMULAS: Record<Combination['technique'], string> = {
  arithmetic_mean: 'sum(w_i * n_i) / sum(w_i) over all sub-queries (n_i = 0 where absent)',
  geometric_mean: 'exp(sum(w_i * ln n_i) / sum(w_i)) over the sub-queries with n_i > 0',
  harmonic_mean: 'sum(w_i) / sum(w_i / n_i) over the sub-queries with n_i > 0',
}
