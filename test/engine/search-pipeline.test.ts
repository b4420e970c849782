import { describe, expect, it } from 'vitest'
import { parseSearchPipeline } from '../../src/engine/hybrid/search-pipeline.js'
import { LsrError } from '../../src/errors.js'

const phase = (type: string, config: unknown) => ({ phase_results_processors: [{ [type]: config }] })
const normalizationProcessor = (config: unknown) => phase('normalization-processor', config)
const scoreRanker = (config: unknown) => phase('score-ranker-processor', config)
const request = (type: string, config: unknown) => ({ request_processors: [{ [type]: config }] })
const twoPhase = (parameter: unknown) => request('neural_sparse_two_phase_processor', { two_phase_parameter: parameter })

/** Expects an invalid_argument error whose message starts with the key path. */
function rejects(json: unknown, path: string, where?: string) {
  let error: unknown
  try {
    parseSearchPipeline(json, where)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(LsrError)
  expect((error as LsrError).code).toBe('invalid_argument')
  const message = (error as LsrError).message
  expect(message.slice(0, path.length + 1)).toBe(`${path} `)
  return message
}

const NP = '[phase_results_processors][0][normalization-processor]'
const SR = '[phase_results_processors][0][score-ranker-processor]'
const TP = '[request_processors][0][neural_sparse_two_phase_processor]'
const QE = '[request_processors][0][neural_query_enricher]'

describe('pipeline body', () => {
  it('accepts an empty pipeline, description, version and empty processor lists', () => {
    expect(parseSearchPipeline({})).toEqual({})
    expect(parseSearchPipeline({ description: 'hybrid', version: 3, request_processors: [], response_processors: [], phase_results_processors: [] }))
      .toEqual({ description: 'hybrid', version: 3 })
    expect(parseSearchPipeline({ version: '7' })).toEqual({ version: 7 })
  })

  it('refuses unknown keys and wrong types', () => {
    rejects({ processors: [] }, '[processors]')
    rejects({ description: 5 }, '[description]')
    rejects({ version: 1.5 }, '[version]')
    rejects({ phase_results_processors: {} }, '[phase_results_processors]')
    rejects('pipeline', '[search pipeline]')
  })

  it('prefixes paths with where', () => {
    rejects({ extra: true }, '[search_pipeline][extra]', '[search_pipeline]')
    rejects(normalizationProcessor({ combination: { technique: 'sum' } }), `[search_pipeline]${NP}[combination][technique]`, '[search_pipeline]')
  })
})

describe('processor lists', () => {
  it('refuses processors lsr does not have, naming them', () => {
    rejects(request('filter_query', { query: { match_all: {} } }), '[request_processors][0][filter_query]')
    rejects(request('script', { source: '' }), '[request_processors][0][script]')
    rejects(request('oversample', { sample_factor: 2 }), '[request_processors][0][oversample]')
    for (const type of ['rename_field', 'collapse', 'truncate_hits', 'rerank']) {
      rejects({ response_processors: [{ [type]: {} }] }, `[response_processors][0][${type}]`)
    }
  })

  it('refuses a processor in the wrong list', () => {
    rejects(request('normalization-processor', {}), '[request_processors][0][normalization-processor]')
    rejects(phase('neural_query_enricher', { default_model_id: 'm' }), '[phase_results_processors][0][neural_query_enricher]')
  })

  it('refuses entries that are not one-key objects with an object config', () => {
    rejects({ phase_results_processors: [{}] }, '[phase_results_processors][0]')
    rejects({ phase_results_processors: [{ 'normalization-processor': {}, 'score-ranker-processor': {} }] }, '[phase_results_processors][0]')
    rejects({ phase_results_processors: ['normalization-processor'] }, '[phase_results_processors][0]')
    rejects(normalizationProcessor(null), NP)
  })

  it('accepts tag, description and ignore_failure false; refuses ignore_failure true', () => {
    expect(parseSearchPipeline(normalizationProcessor({ tag: 't', description: 'd', ignore_failure: false })).fusion?.kind).toBe('normalization')
    rejects(normalizationProcessor({ ignore_failure: true }), `${NP}[ignore_failure]`)
    rejects(normalizationProcessor({ ignore_failure: 'no' }), `${NP}[ignore_failure]`)
    rejects(normalizationProcessor({ tag: 1 }), `${NP}[tag]`)
  })

  it('allows one phase results processor', () => {
    const two = { phase_results_processors: [{ 'normalization-processor': {} }, { 'score-ranker-processor': {} }] }
    rejects(two, '[phase_results_processors][1][score-ranker-processor]')
  })
})

describe('normalization-processor', () => {
  it('defaults to min_max and arithmetic_mean', () => {
    const fusion = { kind: 'normalization', normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean' } }
    expect(parseSearchPipeline(normalizationProcessor({})).fusion).toEqual(fusion)
    expect(parseSearchPipeline(normalizationProcessor({ normalization: {}, combination: { parameters: {} } })).fusion).toEqual(fusion)
  })

  it('reads techniques and weights', () => {
    const pipeline = parseSearchPipeline(normalizationProcessor({
      normalization: { technique: 'l2' },
      combination: { technique: 'harmonic_mean', parameters: { weights: [0.4, 0.6] } },
    }))
    expect(pipeline.fusion).toEqual({ kind: 'normalization', normalization: { technique: 'l2' }, combination: { technique: 'harmonic_mean', weights: [0.4, 0.6] } })
    const geometric = parseSearchPipeline(normalizationProcessor({ combination: { technique: 'geometric_mean', parameters: { weights: [0.2, 0.3, 0.5] } } }))
    expect(geometric.fusion).toEqual({ kind: 'normalization', normalization: { technique: 'min_max' }, combination: { technique: 'geometric_mean', weights: [0.2, 0.3, 0.5] } })
  })

  it('reads min_max bounds with their defaults', () => {
    const pipeline = parseSearchPipeline(normalizationProcessor({
      normalization: {
        technique: 'min_max',
        parameters: {
          lower_bounds: [{ mode: 'apply', min_score: 0.1 }, { mode: 'CLIP', min_score: '0.5' }, {}],
          upper_bounds: [{ mode: 'ignore' }, { max_score: 0.9 }, { mode: 'clip', max_score: -2 }],
        },
      },
    }))
    expect(pipeline.fusion).toEqual({
      kind: 'normalization',
      normalization: {
        technique: 'min_max',
        lowerBounds: [{ mode: 'apply', score: 0.1 }, { mode: 'clip', score: 0.5 }, { mode: 'apply', score: 0 }],
        upperBounds: [{ mode: 'ignore', score: 1 }, { mode: 'apply', score: 0.9 }, { mode: 'clip', score: -2 }],
      },
      combination: { technique: 'arithmetic_mean' },
    })
  })

  it('refuses bad bounds', () => {
    const bounds = (lower: unknown) => normalizationProcessor({ normalization: { parameters: { lower_bounds: lower } } })
    const at = `${NP}[normalization][parameters][lower_bounds]`
    rejects(bounds({ mode: 'apply' }), at)
    rejects(bounds([{}, {}, {}, {}, {}, {}]), at)
    rejects(bounds([{ mode: 'round' }]), `${at}[0][mode]`)
    rejects(bounds([{ min_score: 10_001 }]), `${at}[0][min_score]`)
    rejects(bounds([{ min_score: 'low' }]), `${at}[0][min_score]`)
    rejects(bounds([{ max_score: 1 }]), `${at}[0][max_score]`)
    rejects(bounds([5]), `${at}[0]`)
    rejects(normalizationProcessor({ normalization: { parameters: { upper_bounds: [{ min_score: 1 }] } } }), `${NP}[normalization][parameters][upper_bounds][0][min_score]`)
    rejects(normalizationProcessor({ normalization: { parameters: { bounds: [] } } }), `${NP}[normalization][parameters][bounds]`)
  })

  it('allows z_score only with arithmetic_mean', () => {
    expect(parseSearchPipeline(normalizationProcessor({ normalization: { technique: 'z_score' } })).fusion)
      .toEqual({ kind: 'normalization', normalization: { technique: 'z_score' }, combination: { technique: 'arithmetic_mean' } })
    const message = rejects(normalizationProcessor({ normalization: { technique: 'z_score' }, combination: { technique: 'geometric_mean' } }), `${NP}[combination][technique]`)
    expect(message).toContain('not supported for normalization technique z_score')
  })

  it('accepts rrf as a normalization, with rank_constant', () => {
    const pipeline = parseSearchPipeline(normalizationProcessor({ normalization: { technique: 'rrf', parameters: { rank_constant: 10 } } }))
    expect(pipeline.fusion).toEqual({ kind: 'normalization', normalization: { technique: 'rrf', rankConstant: 10 }, combination: { technique: 'arithmetic_mean' } })
  })

  it('refuses unknown techniques, rrf as its combination and parameters a technique does not take', () => {
    rejects(normalizationProcessor({ normalization: { technique: 'sigmoid' } }), `${NP}[normalization][technique]`)
    rejects(normalizationProcessor({ normalization: { technique: 7 } }), `${NP}[normalization][technique]`)
    rejects(normalizationProcessor({ combination: { technique: 'rrf' } }), `${NP}[combination][technique]`)
    rejects(normalizationProcessor({ combination: { technique: 'max' } }), `${NP}[combination][technique]`)
    rejects(normalizationProcessor({ normalization: { technique: 'l2', parameters: { p: 2 } } }), `${NP}[normalization][parameters][p]`)
    rejects(normalizationProcessor({ normalization: { technique: 'z_score', parameters: { lower_bounds: [] } } }), `${NP}[normalization][parameters][lower_bounds]`)
    rejects(normalizationProcessor({ normalization: { technique: 'min_max', mode: 'x' } }), `${NP}[normalization][mode]`)
    rejects(normalizationProcessor({ combination: { technique: 'arithmetic_mean', weights: [1] } }), `${NP}[combination][weights]`)
    rejects(normalizationProcessor({ combination: { parameters: { weights: [1], scale: 2 } } }), `${NP}[combination][parameters][scale]`)
    rejects(normalizationProcessor({ normalization: 'min_max' }), `${NP}[normalization]`)
    rejects(normalizationProcessor({ rank_constant: 60 }), `${NP}[rank_constant]`)
  })

  it('refuses weights out of [0, 1], not summing to 1, or not numbers', () => {
    const weights = (w: unknown) => normalizationProcessor({ combination: { parameters: { weights: w } } })
    const at = `${NP}[combination][parameters][weights]`
    expect(parseSearchPipeline(weights([0.333, 0.333, 0.333])).fusion).toMatchObject({ combination: { weights: [0.333, 0.333, 0.333] } }) // sum 0.999, within 0.01
    expect(parseSearchPipeline(weights([1])).fusion).toMatchObject({ combination: { weights: [1] } })
    rejects(weights([0.5, 0.4]), at) // sum 0.9
    rejects(weights([0.7, 0.4]), at) // sum 1.1
    rejects(weights([1.5, -0.5]), at) // sum 1 but out of range
    rejects(weights([]), at) // sum 0
    rejects(weights(0.5), at)
    rejects(weights([0.5, '0.5']), `${at}[1]`)
  })
})

describe('score-ranker-processor', () => {
  it('defaults to rrf with rank_constant 60', () => {
    expect(parseSearchPipeline(scoreRanker({})).fusion).toEqual({ kind: 'rrf', rankConstant: 60 })
    expect(parseSearchPipeline(scoreRanker({ combination: { technique: 'rrf' } })).fusion).toEqual({ kind: 'rrf', rankConstant: 60 })
  })

  it('reads rank_constant (an integer, or a string of one) and weights', () => {
    expect(parseSearchPipeline(scoreRanker({ combination: { rank_constant: 1 } })).fusion).toEqual({ kind: 'rrf', rankConstant: 1 })
    expect(parseSearchPipeline(scoreRanker({ combination: { rank_constant: '10000' } })).fusion).toEqual({ kind: 'rrf', rankConstant: 10_000 })
    expect(parseSearchPipeline(scoreRanker({ combination: { technique: 'rrf', rank_constant: 20, parameters: { weights: [0.3, 0.7] } } })).fusion)
      .toEqual({ kind: 'rrf', rankConstant: 20, weights: [0.3, 0.7] })
  })

  it('refuses bad rank constants, techniques, weights and keys', () => {
    const at = `${SR}[combination]`
    for (const k of [0, 10_001, 1.5, 'sixty', -3]) rejects(scoreRanker({ combination: { rank_constant: k } }), `${at}[rank_constant]`)
    rejects(scoreRanker({ combination: { technique: 'arithmetic_mean' } }), `${at}[technique]`)
    rejects(scoreRanker({ combination: { parameters: { weights: [0.6, 0.6] } } }), `${at}[parameters][weights]`)
    rejects(scoreRanker({ combination: { window_size: 10 } }), `${at}[window_size]`)
    rejects(scoreRanker({ rank_constant: 60 }), `${SR}[rank_constant]`)
  })
})

describe('neural_sparse_two_phase_processor', () => {
  it('has defaults prune_ratio 0.4, expansion_rate 5, max_window_size 10000', () => {
    const defaults = { pruneRatio: 0.4, expansionRate: 5, maxWindowSize: 10_000 }
    expect(parseSearchPipeline(request('neural_sparse_two_phase_processor', {})).twoPhase).toEqual(defaults)
    expect(parseSearchPipeline(request('neural_sparse_two_phase_processor', { enabled: true, tag: 'tp' })).twoPhase).toEqual(defaults)
  })

  it('reads two_phase_parameter', () => {
    const pipeline = parseSearchPipeline(twoPhase({ prune_ratio: 0.6, expansion_rate: 2, max_window_size: 50, prune_type: 'max_ratio' }))
    expect(pipeline.twoPhase).toEqual({ pruneRatio: 0.6, expansionRate: 2, maxWindowSize: 50 })
  })

  it('does nothing when disabled or with prune_ratio 0', () => {
    expect(parseSearchPipeline(request('neural_sparse_two_phase_processor', { enabled: false }))).toEqual({})
    expect(parseSearchPipeline(twoPhase({ prune_ratio: 0 }))).toEqual({})
  })

  it('refuses out-of-range and unknown parameters', () => {
    const at = `${TP}[two_phase_parameter]`
    rejects(twoPhase({ prune_ratio: 1 }), `${at}[prune_ratio]`)
    rejects(twoPhase({ prune_ratio: -0.1 }), `${at}[prune_ratio]`)
    rejects(twoPhase({ prune_ratio: '0.4' }), `${at}[prune_ratio]`)
    rejects(twoPhase({ expansion_rate: 0.5 }), `${at}[expansion_rate]`)
    rejects(twoPhase({ max_window_size: 49 }), `${at}[max_window_size]`)
    rejects(twoPhase({ max_window_size: 100.5 }), `${at}[max_window_size]`)
    rejects(twoPhase({ prune_type: 'top_k' }), `${at}[prune_type]`)
    rejects(twoPhase({ window: 10 }), `${at}[window]`)
    rejects(twoPhase([]), at)
    rejects(request('neural_sparse_two_phase_processor', { enabled: 'yes' }), `${TP}[enabled]`)
    rejects(request('neural_sparse_two_phase_processor', { prune_ratio: 0.4 }), `${TP}[prune_ratio]`)
  })

  it('allows one per pipeline', () => {
    const two = { request_processors: [{ neural_sparse_two_phase_processor: {} }, { neural_sparse_two_phase_processor: {} }] }
    rejects(two, '[request_processors][1][neural_sparse_two_phase_processor]')
  })
})

describe('neural_query_enricher', () => {
  it('reads default_model_id and neural_field_default_id', () => {
    expect(parseSearchPipeline(request('neural_query_enricher', { default_model_id: 'm1' })).defaultModel).toEqual({ all: 'm1', byField: {} })
    expect(parseSearchPipeline(request('neural_query_enricher', { neural_field_default_id: { body: 'm2', title: 'm3' } })).defaultModel)
      .toEqual({ byField: { body: 'm2', title: 'm3' } })
    const both = parseSearchPipeline({
      description: 'sparse',
      request_processors: [
        { neural_query_enricher: { default_model_id: 'm1', neural_field_default_id: { body: 'm2' } } },
        { neural_sparse_two_phase_processor: { two_phase_parameter: { prune_ratio: 0.5 } } },
      ],
      phase_results_processors: [{ 'score-ranker-processor': {} }],
    })
    expect(both).toEqual({
      description: 'sparse',
      defaultModel: { all: 'm1', byField: { body: 'm2' } },
      twoPhase: { pruneRatio: 0.5, expansionRate: 5, maxWindowSize: 10_000 },
      fusion: { kind: 'rrf', rankConstant: 60 },
    })
  })

  it('refuses a missing model, non-string ids and unknown keys', () => {
    rejects(request('neural_query_enricher', {}), QE)
    rejects(request('neural_query_enricher', { default_model_id: 3 }), `${QE}[default_model_id]`)
    rejects(request('neural_query_enricher', { neural_field_default_id: { body: 3 } }), `${QE}[neural_field_default_id][body]`)
    rejects(request('neural_query_enricher', { neural_field_default_id: ['m'] }), `${QE}[neural_field_default_id]`)
    rejects(request('neural_query_enricher', { default_model_id: 'm', model_id: 'x' }), `${QE}[model_id]`)
    rejects({ request_processors: [{ neural_query_enricher: { default_model_id: 'a' } }, { neural_query_enricher: { default_model_id: 'b' } }] }, '[request_processors][1][neural_query_enricher]')
  })
})
