/**
 * Search pipeline definitions as OpenSearch accepts them in `PUT /_search/pipeline/{id}`, or inline
 * as a search body's `search_pipeline`. lsr implements the neural-search plugin's processors:
 * `normalization-processor` and `score-ranker-processor` (phase results), and
 * `neural_sparse_two_phase_processor` and `neural_query_enricher` (request). Anything else is an
 * error naming its key path; nothing is accepted and then ignored. Where OpenSearch silently
 * ignores an unknown key inside a processor's clauses, lsr refuses it too.
 * @module
 */
import { LsrError } from '../../errors.js'
import type { TwoPhase } from '../../search/searcher.js'
import { isObject, type Json } from '../json-shapes.js'
import {
  DEFAULT_RANK_CONSTANT,
  MAX_BOUND_SCORE,
  MAX_RANK_CONSTANT,
  MAX_SUB_QUERIES,
  MIN_BOUND_SCORE,
  MIN_RANK_CONSTANT,
  type BoundMode,
  type Combination,
  type Fusion,
  type Normalization,
  type ScoreBound,
} from './fusion.js'

/** A parsed search pipeline: what lsr does with each processor it holds. */
export interface SearchPipeline {
  description?: string
  /** The pipeline's `version`, an integer. */
  version?: number
  /** From a phase_results_processors normalization-processor or score-ranker-processor. */
  fusion?: Fusion
  /** From request_processors neural_sparse_two_phase_processor, when enabled and prune_ratio > 0 (else the processor does nothing). */
  twoPhase?: TwoPhase
  /** From request_processors neural_query_enricher: default_model_id and neural_field_default_id {field: model_id}. */
  defaultModel?: { all?: string; byField: Record<string, string> }
}

/** The two-phase processor's defaults (NeuralSparseTwoPhaseProcessor). */
export const TWO_PHASE_DEFAULTS = { pruneRatio: 0.4, expansionRate: 5, maxWindowSize: 10_000 } as const

const REQUEST_PROCESSORS = ['neural_query_enricher', 'neural_sparse_two_phase_processor']
const PHASE_RESULTS_PROCESSORS = ['normalization-processor', 'score-ranker-processor']
const COMMON_KEYS = ['tag', 'description', 'ignore_failure']
const BOUND_MODES: readonly BoundMode[] = ['apply', 'clip', 'ignore']

const fail = (path: string, message: string) => new LsrError('invalid_argument', `${path} ${message}`)

/**
 * Parses a search pipeline definition.
 * @param json the request body of `PUT /_search/pipeline/{id}`, or a search body's `search_pipeline`
 * @param where the key path to prefix error messages with, e.g. `[search_pipeline]`
 * @throws LsrError `invalid_argument` whose message starts with the offending key path, e.g.
 *   `[phase_results_processors][0][normalization-processor][combination][technique]`
 * @example
 * parseSearchPipeline({ phase_results_processors: [{ 'normalization-processor': { combination: { technique: 'harmonic_mean' } } }] })
 * // { fusion: { kind: 'normalization', normalization: { technique: 'min_max' }, combination: { technique: 'harmonic_mean' } } }
 */
export function parseSearchPipeline(json: unknown, where = ''): SearchPipeline {
  const body = object(json, where || '[search pipeline]')
  allowOnly(body, where, ['description', 'version', 'request_processors', 'response_processors', 'phase_results_processors'])
  const pipeline: SearchPipeline = {}
  if (body.description !== undefined) pipeline.description = string(body.description, `${where}[description]`)
  if (body.version !== undefined) pipeline.version = integer(body.version, `${where}[version]`)
  const seen = new Set<string>()
  for (const [type, config, path] of processors(body, where, 'request_processors', REQUEST_PROCESSORS)) {
    if (seen.has(type)) throw fail(path, `is the second ${type}; a pipeline may have one`)
    seen.add(type)
    if (type === 'neural_query_enricher') pipeline.defaultModel = enricherProcessor(config, path)
    else {
      const twoPhase = twoPhaseProcessor(config, path)
      if (twoPhase) pipeline.twoPhase = twoPhase
    }
  }
  // lsr has no response processors: any entry is an error naming it.
  processors(body, where, 'response_processors', [])
  for (const [type, config, path] of processors(body, where, 'phase_results_processors', PHASE_RESULTS_PROCESSORS)) {
    if (pipeline.fusion) throw fail(path, 'is a second phase results processor; a pipeline may have one normalization-processor or score-ranker-processor')
    pipeline.fusion = type === 'normalization-processor' ? normalizationProcessor(config, path) : scoreRankerProcessor(config, path)
  }
  return pipeline
}

/** The processors of one list, each `[type, config, path]`, after the common keys are checked. */
function processors(body: Json, where: string, key: string, known: readonly string[]): Array<[string, Json, string]> {
  if (body[key] === undefined) return []
  const path = `${where}[${key}]`
  if (!Array.isArray(body[key])) throw fail(path, 'must be an array of processors')
  return (body[key] as unknown[]).map((entry, i): [string, Json, string] => {
    const entries = Object.entries(object(entry, `${path}[${i}]`))
    if (entries.length !== 1) throw fail(`${path}[${i}]`, `must be an object with one key, the processor type (got ${entries.length} keys)`)
    const [type, config] = entries[0]
    const at = `${path}[${i}][${type}]`
    if (!known.includes(type)) {
      throw fail(at, known.length ? `is not a processor lsr has in ${key} (it has ${known.join(', ')})` : 'is not a processor lsr has (it has no response processors)')
    }
    return [type, commonKeys(object(config, at), at), at]
  })
}

/** Checks tag, description and ignore_failure (only false: lsr does not skip failing processors). */
function commonKeys(config: Json, path: string): Json {
  if (config.tag !== undefined) string(config.tag, `${path}[tag]`)
  if (config.description !== undefined) string(config.description, `${path}[description]`)
  if (config.ignore_failure !== undefined && boolean(config.ignore_failure, `${path}[ignore_failure]`)) {
    throw fail(`${path}[ignore_failure]`, 'true is not supported: lsr does not skip a failing processor')
  }
  return config
}

// neural_sparse_two_phase_processor: enabled (default true) and two_phase_parameter {prune_ratio,
// expansion_rate, max_window_size, prune_type}. Disabled, or with prune_ratio 0, it does nothing.
function twoPhaseProcessor(config: Json, path: string): TwoPhase | undefined {
  allowOnly(config, path, [...COMMON_KEYS, 'enabled', 'two_phase_parameter'])
  const enabled = config.enabled === undefined || boolean(config.enabled, `${path}[enabled]`)
  const at = `${path}[two_phase_parameter]`
  const spec = config.two_phase_parameter === undefined ? {} : object(config.two_phase_parameter, at)
  allowOnly(spec, at, ['prune_ratio', 'expansion_rate', 'max_window_size', 'prune_type'])
  if (spec.prune_type !== undefined && string(spec.prune_type, `${at}[prune_type]`) !== 'max_ratio') {
    throw fail(`${at}[prune_type]`, `[${String(spec.prune_type)}] is not supported; lsr prunes by max_ratio only`)
  }
  const pruneRatio = spec.prune_ratio === undefined ? TWO_PHASE_DEFAULTS.pruneRatio : number(spec.prune_ratio, `${at}[prune_ratio]`)
  if (!(pruneRatio >= 0 && pruneRatio < 1)) throw fail(`${at}[prune_ratio]`, `must be in [0, 1) for prune_type max_ratio, got ${pruneRatio}`)
  const expansionRate = spec.expansion_rate === undefined ? TWO_PHASE_DEFAULTS.expansionRate : number(spec.expansion_rate, `${at}[expansion_rate]`)
  if (!(expansionRate >= 1)) throw fail(`${at}[expansion_rate]`, `must be >= 1.0, got ${expansionRate}`)
  const maxWindowSize = spec.max_window_size === undefined ? TWO_PHASE_DEFAULTS.maxWindowSize : number(spec.max_window_size, `${at}[max_window_size]`)
  if (!Number.isInteger(maxWindowSize)) throw fail(`${at}[max_window_size]`, 'must be an integer')
  if (maxWindowSize < 50) throw fail(`${at}[max_window_size]`, `must be >= 50, got ${maxWindowSize}`)
  return enabled && pruneRatio > 0 ? { pruneRatio, expansionRate, maxWindowSize } : undefined
}

// neural_query_enricher: default_model_id and/or neural_field_default_id {field: model_id}.
function enricherProcessor(config: Json, path: string): NonNullable<SearchPipeline['defaultModel']> {
  allowOnly(config, path, [...COMMON_KEYS, 'default_model_id', 'neural_field_default_id'])
  if (config.default_model_id === undefined && config.neural_field_default_id === undefined) {
    throw fail(path, 'needs default_model_id or neural_field_default_id (or both)')
  }
  const byField: Record<string, string> = {}
  if (config.neural_field_default_id !== undefined) {
    const at = `${path}[neural_field_default_id]`
    for (const [field, model] of Object.entries(object(config.neural_field_default_id, at))) byField[field] = string(model, `${at}[${field}]`)
  }
  const all = config.default_model_id === undefined ? undefined : string(config.default_model_id, `${path}[default_model_id]`)
  return all === undefined ? { byField } : { all, byField }
}

// normalization-processor: normalization {technique (default min_max), parameters} and
// combination {technique (default arithmetic_mean), parameters {weights}}.
function normalizationProcessor(config: Json, path: string): Fusion {
  allowOnly(config, path, [...COMMON_KEYS, 'normalization', 'combination'])
  const normAt = `${path}[normalization]`
  const norm = config.normalization === undefined ? {} : object(config.normalization, normAt)
  allowOnly(norm, normAt, ['technique', 'parameters'])
  const normalization = normalizationOf(norm, normAt)
  const combAt = `${path}[combination]`
  const comb = config.combination === undefined ? {} : object(config.combination, combAt)
  allowOnly(comb, combAt, ['technique', 'parameters'])
  const technique = comb.technique === undefined ? 'arithmetic_mean' : string(comb.technique, `${combAt}[technique]`)
  const allowed = normalization.technique === 'z_score' ? ['arithmetic_mean'] : ['arithmetic_mean', 'geometric_mean', 'harmonic_mean']
  if (!allowed.includes(technique)) {
    const known = technique === 'rrf' || ['arithmetic_mean', 'geometric_mean', 'harmonic_mean'].includes(technique)
    throw fail(`${combAt}[technique]`, known
      ? `${technique} is not supported for normalization technique ${normalization.technique}; supported: ${allowed.join(', ')}${technique === 'rrf' ? ' (rrf combines in a score-ranker-processor)' : ''}`
      : `[${technique}] is not a combination technique; supported: ${allowed.join(', ')}`)
  }
  const combination: Combination = { technique: technique as Combination['technique'] }
  const weights = weightsOf(comb.parameters, `${combAt}[parameters]`)
  if (weights) combination.weights = weights
  return { kind: 'normalization', normalization, combination }
}

function normalizationOf(norm: Json, path: string): Normalization {
  const technique = norm.technique === undefined ? 'min_max' : string(norm.technique, `${path}[technique]`)
  const at = `${path}[parameters]`
  const params = norm.parameters === undefined ? {} : object(norm.parameters, at)
  switch (technique) {
    case 'min_max': {
      allowOnly(params, at, ['lower_bounds', 'upper_bounds'])
      const lowerBounds = boundsOf(params.lower_bounds, `${at}[lower_bounds]`, 'min_score', 0)
      const upperBounds = boundsOf(params.upper_bounds, `${at}[upper_bounds]`, 'max_score', 1)
      return { technique, ...(lowerBounds && { lowerBounds }), ...(upperBounds && { upperBounds }) }
    }
    case 'l2':
    case 'z_score':
      allowOnly(params, at, [])
      return { technique }
    case 'rrf':
      allowOnly(params, at, ['rank_constant'])
      return { technique, rankConstant: rankConstantOf(params.rank_constant, `${at}[rank_constant]`) }
    default:
      throw fail(`${path}[technique]`, `[${technique}] is not a normalization technique; supported: min_max, l2, z_score, rrf`)
  }
}

// min_max lower_bounds / upper_bounds: at most 5 objects {mode (apply, clip or ignore; default
// apply), min_score / max_score (default 0 / 1, in [-10000, 10000])}.
function boundsOf(value: unknown, path: string, scoreKey: string, defaultScore: number): ScoreBound[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw fail(path, 'must be an array of bounds, one per sub-query')
  if (value.length > MAX_SUB_QUERIES) throw fail(path, `has ${value.length} bounds; at most ${MAX_SUB_QUERIES}, one per sub-query`)
  return value.map((item, i) => {
    const at = `${path}[${i}]`
    const bound = object(item, at)
    allowOnly(bound, at, ['mode', scoreKey])
    const mode = bound.mode === undefined ? '' : string(bound.mode, `${at}[mode]`).toLowerCase()
    if (mode !== '' && !BOUND_MODES.includes(mode as BoundMode)) throw fail(`${at}[mode]`, `[${String(bound.mode)}] is not a bound mode; valid values are: ${BOUND_MODES.join(', ')}`)
    const score = bound[scoreKey] === undefined ? defaultScore : numeric(bound[scoreKey], `${at}[${scoreKey}]`)
    if (!(score >= MIN_BOUND_SCORE && score <= MAX_BOUND_SCORE)) throw fail(`${at}[${scoreKey}]`, `must be between ${MIN_BOUND_SCORE} and ${MAX_BOUND_SCORE}, got ${score}`)
    return { mode: (mode || 'apply') as BoundMode, score }
  })
}

// score-ranker-processor: combination {technique (only rrf, the default), rank_constant (integer
// in [1, 10000], default 60), parameters {weights}}.
function scoreRankerProcessor(config: Json, path: string): Fusion {
  allowOnly(config, path, [...COMMON_KEYS, 'combination'])
  const at = `${path}[combination]`
  const comb = config.combination === undefined ? {} : object(config.combination, at)
  allowOnly(comb, at, ['technique', 'rank_constant', 'parameters'])
  if (comb.technique !== undefined && string(comb.technique, `${at}[technique]`) !== 'rrf') {
    throw fail(`${at}[technique]`, `[${String(comb.technique)}] is not supported by score-ranker-processor; supported: rrf`)
  }
  const fusion: Fusion = { kind: 'rrf', rankConstant: rankConstantOf(comb.rank_constant, `${at}[rank_constant]`) }
  const weights = weightsOf(comb.parameters, `${at}[parameters]`)
  if (weights) fusion.weights = weights
  return fusion
}

function rankConstantOf(value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_RANK_CONSTANT
  // The plugin parses String.valueOf(value) as an integer, so "60" is accepted as well as 60.
  const k = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value
  if (typeof k !== 'number' || !Number.isInteger(k)) throw fail(path, 'must be an integer')
  if (k < MIN_RANK_CONSTANT || k > MAX_RANK_CONSTANT) throw fail(path, `must be in the interval between ${MIN_RANK_CONSTANT} and ${MAX_RANK_CONSTANT}, got ${k}`)
  return k
}

// Weights (ScoreCombinationUtil): each in [0, 1] and summing to 1 within 0.01. Their count must
// match the hybrid query's sub-queries, which fuse() checks when it has them.
function weightsOf(parameters: unknown, path: string): number[] | undefined {
  if (parameters === undefined) return undefined
  const params = object(parameters, path)
  allowOnly(params, path, ['weights'])
  if (params.weights === undefined) return undefined
  const at = `${path}[weights]`
  if (!Array.isArray(params.weights)) throw fail(at, 'must be an array of numbers')
  const weights = params.weights.map((w, i) => number(w, `${at}[${i}]`))
  if (weights.some((w) => !(w >= 0 && w <= 1))) throw fail(at, `all weights must be in range [0.0 ... 1.0], got [${weights.join(', ')}]`)
  const sum = weights.reduce((a, b) => a + b, 0)
  if (!(Math.abs(sum - 1) <= 0.01)) throw fail(at, `must sum to 1.0 (within 0.01), got [${weights.join(', ')}] summing to ${+sum.toFixed(6)}`)
  return weights
}

function allowOnly(config: Json, path: string, keys: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (!keys.includes(key)) throw fail(`${path}[${key}]`, keys.length ? `is not a known parameter (known: ${keys.join(', ')})` : 'is not a known parameter (this takes none)')
  }
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) throw fail(path, 'must be an object')
  return value
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw fail(path, 'must be a string')
  return value
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw fail(path, 'must be a boolean')
  return value
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(path, 'must be a number')
  return value
}

/** A number, or a string holding one (the plugin parses bound scores with Float.parseFloat(String.valueOf(value))). */
function numeric(value: unknown, path: string): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return number(parsed, path)
}

/** An integer, or a string holding one (OpenSearch's readIntProperty parses value.toString()). */
function integer(value: unknown, path: string): number {
  const parsed = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed)) throw fail(path, 'must be an integer')
  return parsed
}
