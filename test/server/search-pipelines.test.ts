/**
 * Search pipelines and hybrid queries over HTTP: pipeline CRUD and persistence, the three ways a
 * search names its pipeline, `hybrid` fused as the pipeline says (checked against the fusion of
 * its sub-queries run separately, by hand), explain, pagination, and neural_sparse with a model
 * of the server's models folder.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { ROOT, tempDir } from '../helpers.js'
import { testApp } from './helpers.js'
import tinyBertIdf from '../fixtures/models/tiny-bert/idf.json' with { type: 'json' }

const MODELS = join(ROOT, 'test/fixtures/models')
const models = new ModelRegistry(MODELS, { threads: 1 })
const app = (dataDir?: string) => testApp({ modelsDir: MODELS, models }, dataDir)

const MIN_MAX = { description: 'hybrid', phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } } } }] }
const RRF = { phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: 10 } } }] }
const INDEX = { mappings: { properties: { text: { type: 'text' }, emb: { type: 'rank_features' } } } }
const DOCS = [
  { id: 'a', text: 'sparse retrieval', emb: { sparse: 1.5, search: 0.5 } },
  { id: 'b', text: 'weather report', emb: { search: 2 } },
  { id: 'c', text: 'sparse sparse models', emb: { model: 1 } },
]
const HYBRID = { hybrid: { queries: [{ match: { text: 'sparse' } }, { neural_sparse: { emb: { query_tokens: { sparse: 2, search: 1 } } } }] } }

async function loaded(dataDir?: string) {
  const server = await app(dataDir)
  expect((await server.call('PUT', '/docs', INDEX)).status).toBe(200)
  for (const { id, ...source } of DOCS) expect((await server.call('PUT', `/docs/_doc/${id}?refresh=true`, source)).status).toBe(201)
  return server
}

const ids = (body: { hits: { hits: Array<{ _id: string }> } }) => body.hits.hits.map((h) => h._id)

describe('search pipelines over HTTP', () => {
  it('puts, gets, deletes and keeps pipelines across a restart; refuses bad definitions with a 400 naming the key', async () => {
    const dataDir = await tempDir()
    const { call, registry } = await app(dataDir)
    expect((await call('PUT', '/_search/pipeline/hybrid', MIN_MAX)).body).toEqual({ acknowledged: true })
    expect((await call('GET', '/_search/pipeline/hybrid')).body).toEqual({ hybrid: MIN_MAX })
    const bad = await call('PUT', '/_search/pipeline/bad', { phase_results_processors: [{ 'normalization-processor': { combination: { technique: 'median' } } }] })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('[combination][technique]')
    expect((await call('PUT', '/_search/pipeline/x', { response_processors: [{ rename_field: { field: 'a', target_field: 'b' } }] })).status).toBe(400)
    expect((await call('GET', '/_search/pipeline/bad')).status).toBe(404)
    await registry.closeAll()
    const restarted = await app(dataDir)
    expect((await restarted.call('GET', '/_search/pipeline')).body).toEqual({ hybrid: MIN_MAX })
    expect((await restarted.call('DELETE', '/_search/pipeline/hybrid')).body).toEqual({ acknowledged: true })
    expect((await restarted.call('GET', '/_search/pipeline/hybrid')).status).toBe(404)
    await restarted.registry.closeAll()
  })

  it('fuses a hybrid query as its sub-queries run separately, combined by hand', async () => {
    const { call, registry } = await loaded()
    await call('PUT', '/_search/pipeline/hybrid', MIN_MAX)
    const bm25 = (await call('POST', '/docs/_search', { query: HYBRID.hybrid.queries[0] })).body
    const dot = (await call('POST', '/docs/_search', { query: HYBRID.hybrid.queries[1] })).body
    const raw = (body: typeof bm25) => Object.fromEntries(body.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score]))
    const [s1, s2] = [raw(bm25), raw(dot)]
    // min_max per sub-query, 0.001 for its lowest; arithmetic mean with weights 0.3 / 0.7.
    const minMax = (scores: Record<string, number>, id: string) => {
      const values = Object.values(scores)
      const [min, max] = [Math.min(...values), Math.max(...values)]
      if (!(id in scores)) return 0
      const n = (scores[id] - min) / (max - min)
      return n === 0 ? 0.001 : n
    }
    const expected = Object.fromEntries(['a', 'b', 'c'].map((id) => [id, 0.3 * minMax(s1, id) + 0.7 * minMax(s2, id)]))
    const hybrid = await call('POST', '/docs/_search?search_pipeline=hybrid', { query: HYBRID, explain: true })
    expect(hybrid.status).toBe(200)
    const hits = hybrid.body.hits.hits as Array<{ _id: string; _score: number; _explanation: { value: number; details: Array<{ value: number }> } }>
    expect(hits.map((h) => h._id)).toEqual(Object.keys(expected).sort((x, y) => expected[y] - expected[x]))
    for (const hit of hits) expect(hit._score).toBeCloseTo(expected[hit._id], 6)
    expect(hybrid.body.hits.total).toEqual({ value: 3, relation: 'eq' })
    expect(hybrid.body.hits.max_score).toBeCloseTo(Math.max(...Object.values(expected)), 6)
    // explain: the combination over each sub-query's normalized score, over its raw explanation.
    expect(hits[0]._explanation.value).toBeCloseTo(hits[0]._score, 9)
    expect(hits[0]._explanation.details.map((d) => d.value).sort()).toEqual([minMax(s1, hits[0]._id), minMax(s2, hits[0]._id)].filter((v) => v > 0).sort())
    await registry.closeAll()
  })

  it('takes the pipeline inline, by URL parameter or from the index default; _none and missing ones as OpenSearch', async () => {
    const { call, registry } = await app()
    await call('PUT', '/_search/pipeline/rrf', RRF)
    expect((await call('PUT', '/docs', { ...INDEX, settings: { index: { search: { default_pipeline: 'rrf' } } } })).status).toBe(200)
    expect((await call('GET', '/docs/_settings')).body.docs.settings.index.search).toEqual({ default_pipeline: 'rrf' })
    for (const { id, ...source } of DOCS) await call('PUT', `/docs/_doc/${id}?refresh=true`, source)
    // RRF with rank_constant 10: sub-query 1 ranks c (tf 2), a; sub-query 2 ranks a (3.5), b (2); c has neither token.
    // a: 1/12 + 1/11; c: 1/11; b: 1/12.
    const byDefault = (await call('POST', '/docs/_search', { query: HYBRID })).body
    expect(byDefault.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score])).toEqual([['a', 1 / 12 + 1 / 11], ['c', 1 / 11], ['b', 1 / 12]])
    const inline = (await call('POST', '/docs/_search', { query: HYBRID, search_pipeline: MIN_MAX })).body
    expect(inline.hits.hits[0]._score).toBeLessThanOrEqual(1)
    const none = await call('POST', '/docs/_search?search_pipeline=_none', { query: HYBRID })
    expect(none.status).toBe(400)
    expect(JSON.stringify(none.body)).toContain('needs a search pipeline')
    const missing = await call('POST', '/docs/_search?search_pipeline=nope', { query: HYBRID })
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.body)).toContain('search pipeline [nope] does not exist')
    await registry.closeAll()
  })

  it('pages a hybrid query with pagination_depth, applies its filter to every sub-query, refuses sort and nesting', async () => {
    const { call, registry } = await loaded()
    const page = (from: number, size: number) => call('POST', `/docs/_search`, { query: { hybrid: { ...HYBRID.hybrid, pagination_depth: 10 } }, from, size, search_pipeline: RRF })
    const all = ids((await page(0, 3)).body)
    expect([...ids((await page(0, 1)).body), ...ids((await page(1, 2)).body)]).toEqual(all)
    expect((await call('POST', '/docs/_search', { query: HYBRID, from: 1, search_pipeline: RRF })).status).toBe(400)
    const filtered = (await call('POST', '/docs/_search', { query: { hybrid: { ...HYBRID.hybrid, filter: { ids: { values: ['b', 'c'] } } } }, search_pipeline: RRF })).body
    expect(ids(filtered).sort()).toEqual(['b', 'c'])
    expect(filtered.hits.total.value).toBe(2)
    expect((await call('POST', '/docs/_search', { query: HYBRID, sort: ['_doc'], search_pipeline: RRF })).status).toBe(400)
    const nested = await call('POST', '/docs/_search', { query: { bool: { must: HYBRID } }, search_pipeline: RRF })
    expect(nested.status).toBe(400)
    expect(JSON.stringify(nested.body)).toContain('must be the top-level query')
    // Aggregations count every document a sub-query matches (a: both, b: the neural one, c: the match), within the filter.
    const counted = (await call('POST', '/docs/_search', { query: { hybrid: { ...HYBRID.hybrid, filter: { ids: { values: ['a', 'b'] } } } }, aggs: { docs: { filters: { filters: { a: { ids: { values: ['a'] } }, c: { ids: { values: ['c'] } } } } } }, search_pipeline: RRF, size: 0 })).body
    expect(counted.aggregations).toEqual({ docs: { buckets: { a: { doc_count: 1 }, c: { doc_count: 0 } } } })
    const every = (await call('POST', '/docs/_search', { query: HYBRID, aggs: { all: { filters: { filters: [{ match_all: {} }] } } }, search_pipeline: RRF, size: 0 })).body
    expect(every.aggregations).toEqual({ all: { buckets: [{ doc_count: 3 }] } })
    expect((await call('POST', '/docs/_search', { query: HYBRID, aggs: { n: { value_count: { field: '_id' } } }, search_pipeline: RRF })).body.error.reason).toBe('[value_count] on the metadata field [_id] is not supported')
    expect((await call('POST', '/docs/_search', { query: HYBRID, post_filter: { ids: { values: ['a'] } }, search_pipeline: RRF })).status).toBe(400)
    await registry.closeAll()
  })

  it('neural_sparse query_text with a model of the models folder, or the pipeline\'s neural_query_enricher default', async () => {
    const { call, registry } = await loaded()
    const idf = tinyBertIdf as Record<string, number>
    const direct = (await call('POST', '/docs/_search', { query: { neural_sparse: { emb: { query_text: 'sparse', model_id: 'tiny-bert' } } } })).body
    expect(direct.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score])).toEqual([['a', expect.closeTo(idf.sparse * 1.5, 6)]])
    const enricher = { request_processors: [{ neural_query_enricher: { neural_field_default_id: { emb: 'tiny-bert' } } }] }
    const byDefault = (await call('POST', '/docs/_search', { query: { neural_sparse: { emb: { query_text: 'sparse' } } }, search_pipeline: enricher })).body
    expect(byDefault.hits.hits[0]._score).toBeCloseTo(idf.sparse * 1.5, 6)
    for (const model of ['nope', '../tiny-bert', '/etc']) {
      const refused = await call('POST', '/docs/_search', { query: { neural_sparse: { emb: { query_text: 'sparse', model_id: model } } } })
      expect(refused.status).toBe(400)
      expect(JSON.stringify(refused.body)).not.toContain(MODELS)
    }
    expect((await call('POST', '/docs/_search', { query: { neural_sparse: { emb: { query_text: 'sparse' } } } })).status).toBe(400)
    // Models load for query_text in post_filter and in aggregations' filters too.
    const sparse = { neural_sparse: { emb: { query_text: 'sparse', model_id: 'tiny-bert' } } }
    const filtered = await call('POST', '/docs/_search', { post_filter: sparse, aggs: { f: { filter: sparse } } })
    expect(filtered.status).toBe(200)
    expect(filtered.body.hits.hits.map((h: { _id: string }) => h._id)).toEqual(['a'])
    expect(filtered.body.aggregations).toEqual({ f: { doc_count: 1 } })
    await registry.closeAll()
  })

  it('PUT /{index}/_settings sets and removes the pipelines an index names (kept across a restart); other settings are a 400', async () => {
    const dataDir = await tempDir()
    const { call, registry } = await app(dataDir)
    await call('PUT', '/_search/pipeline/rrf', RRF)
    expect((await call('PUT', '/docs', INDEX)).status).toBe(200)
    for (const { id, ...source } of DOCS) await call('PUT', `/docs/_doc/${id}?refresh=true`, source)
    expect((await call('POST', '/docs/_search', { query: HYBRID })).status).toBe(400)
    expect((await call('PUT', '/docs/_settings', { index: { search: { default_pipeline: 'rrf' } } })).body).toEqual({ acknowledged: true })
    expect((await call('POST', '/docs/_search', { query: HYBRID })).body.hits.hits[0]._score).toBe(1 / 12 + 1 / 11) // RRF's rank_constant 10: a is 2nd and 1st
    expect((await call('PUT', '/docs/_settings', { 'index.default_pipeline': 'nope', 'index.number_of_replicas': 0 })).status).toBe(200)
    expect((await call('GET', '/docs/_settings')).body.docs.settings.index).toMatchObject({ default_pipeline: 'nope', search: { default_pipeline: 'rrf' } })
    // A write now names a pipeline that does not exist: refused, as Elasticsearch refuses it.
    expect((await call('PUT', '/docs/_doc/z', { text: 'x' })).status).toBe(400)
    for (const [body, reason] of [
      [{ index: { analysis: {} } }, "Can't update non dynamic settings [[index.analysis]]"],
      [{ index: { number_of_shards: 2 } }, "Can't update non dynamic settings [[index.number_of_shards]]"],
      [{ index: { refresh_interval: '1s' } }, '[settings.index.refresh_interval] is not a supported setting'],
      [{ index: { default_pipeline: '_bad' } }, 'default_pipeline'],
    ] as const) {
      const refused = await call('PUT', '/docs/_settings', body)
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(refused.body.error.reason).toContain(reason)
    }
    await registry.closeAll()
    const restarted = await app(dataDir)
    expect((await restarted.call('GET', '/docs/_settings')).body.docs.settings.index).toMatchObject({ default_pipeline: 'nope', search: { default_pipeline: 'rrf' } })
    expect((await restarted.call('PUT', '/docs/_settings', { index: { default_pipeline: null } })).status).toBe(200)
    expect((await restarted.call('PUT', '/docs/_doc/z', { text: 'x' })).status).toBe(201)
    expect((await restarted.call('GET', '/docs/_settings')).body.docs.settings.index.default_pipeline).toBeUndefined()
    await restarted.registry.closeAll()
  })
})
