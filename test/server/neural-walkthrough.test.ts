/**
 * OpenSearch's neural sparse search walk-through, end to end over a real port with the official
 * `@opensearch-project/opensearch` client: the model, an ingest pipeline with a `sparse_encoding`
 * processor, an index whose default pipeline encodes `passage_text` into a `rank_features` field,
 * bulk indexing, `neural_sparse` with `query_text` and `query_tokens`, a search pipeline with a
 * `normalization-processor` and a `hybrid` query (named by URL parameter and by the index's
 * `index.search.default_pipeline`), and the RRF `score-ranker-processor`.
 *
 * Relevance of the tiny test model means nothing, so every score is checked against its formula:
 * a neural_sparse score is the dot product of the query's IDF weights (the model's idf.json) with
 * the document's stored weights (16-bit codes: relative error at most 2^-9, checked within
 * 0.4 %); a hybrid score is min_max then the weighted arithmetic mean (or RRF) of its sub-queries,
 * run separately here and combined by hand.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { ROOT } from '../helpers.js'
import { portServer } from './helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const IDF: Record<string, number> = JSON.parse(readFileSync(join(MODELS, 'tiny-bert/idf.json'), 'utf8'))
const VOCAB = new Set(readFileSync(join(MODELS, 'tiny-bert/vocab.txt'), 'utf8').split('\n').filter(Boolean))

const INGEST = 'nlp-ingest-pipeline-sparse'
const SEARCH = 'nlp-search-pipeline'
const RRF = 'nlp-rrf-pipeline'
const INDEX = 'my-nlp-index'
const INDEX2 = 'my-nlp-index-defaults'

const INGEST_PIPELINE = {
  description: 'An sparse encoding ingest pipeline',
  processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: 'passage_embedding' } } }],
}
const MAPPINGS = { properties: { id: { type: 'text' }, passage_embedding: { type: 'rank_features' }, passage_text: { type: 'text' } } }
const SEARCH_PIPELINE = {
  description: 'Post processor for hybrid search',
  phase_results_processors: [{
    'normalization-processor': {
      normalization: { technique: 'min_max' },
      combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } },
    },
  }],
}
const RRF_PIPELINE = { phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf' } } }] }

// Words of the test model's vocabulary; no two documents tie on the sub-queries below.
const TEXTS = [
  'sparse retrieval with learned weights',
  'the weather in new york is rainy',
  'roaring bitmaps compress sorted integers',
  'an inverted index stores sparse posting lists',
  'query terms and document terms for search',
  'fast search engine for sparse text search',
]
const DOCS = TEXTS.map((passage_text, i) => ({ _id: String(i + 1), id: `s${i + 1}`, passage_text }))

/** The query text of the walk-through; each of its words is one token of the model's vocabulary. */
const QUERY_TEXT = 'sparse search'
const QUERY_WORDS = QUERY_TEXT.split(' ')
const NEURAL = { neural_sparse: { passage_embedding: { query_text: QUERY_TEXT, model_id: 'tiny-bert' } } }
const MATCH = { match: { passage_text: { query: QUERY_TEXT } } }
const HYBRID = { hybrid: { queries: [MATCH, NEURAL] } }
const EXCLUDE = { excludes: ['passage_embedding'] }

type Hit = { _id: string; _score: number; _source?: Record<string, unknown> }
type Scores = Record<string, number>

const scoresOf = (hits: Hit[]): Scores => Object.fromEntries(hits.map((h) => [h._id, h._score]))
/** Hit ids ordered by score descending; ties would make the order ambiguous, so there must be none. */
const ranked = (scores: Scores) => {
  const ids = Object.keys(scores).sort((a, b) => scores[b] - scores[a])
  for (let i = 1; i < ids.length; i++) expect(scores[ids[i]], `tie between ${ids[i - 1]} and ${ids[i]}`).not.toBe(scores[ids[i - 1]])
  return ids
}

/** min_max of one sub-query's list: (s - min) / (max - min), the lowest 0.001, a list of equal scores 1; absent: undefined. */
function minMax(list: Scores, id: string): number | undefined {
  if (!(id in list)) return undefined
  const values = Object.values(list)
  const [min, max] = [Math.min(...values), Math.max(...values)]
  if (max === min) return 1
  const n = (list[id] - min) / (max - min)
  return n === 0 ? 0.001 : n
}

/** min_max, then the weighted arithmetic mean: an absent document adds 0 and keeps its weight in the divisor. */
function minMaxMean(lists: Scores[], weights: number[]): Scores {
  const ids = [...new Set(lists.flatMap((list) => Object.keys(list)))]
  const total = weights.reduce((a, b) => a + b, 0)
  return Object.fromEntries(ids.map((id) => [id, lists.reduce((sum, list, q) => sum + weights[q] * (minMax(list, id) ?? 0), 0) / total]))
}

/** RRF: the sum over the sub-queries that return a document of 1 / (k + its 1-based rank there). */
function rrf(lists: Scores[], k: number): Scores {
  const out: Scores = {}
  for (const list of lists) ranked(list).forEach((id, i) => (out[id] = (out[id] ?? 0) + 1 / (k + i + 1)))
  return out
}

/** The dot product of query token weights with a stored document vector. */
const dot = (query: Record<string, number>, doc: Record<string, number>) => Object.entries(query).reduce((sum, [token, w]) => sum + w * (doc[token] ?? 0), 0)

/** Checks hits against expected scores: the same documents, best first, each within `relative` of its score. */
function expectScores(hits: Hit[], expected: Scores, relative: number): void {
  expect(hits.map((h) => h._id).sort()).toEqual(Object.keys(expected).sort())
  for (let i = 1; i < hits.length; i++) expect(hits[i]._score).toBeLessThanOrEqual(hits[i - 1]._score)
  for (const hit of hits) {
    const want = expected[hit._id]
    expect(Math.abs(hit._score - want), `${hit._id}: ${hit._score} vs ${want}`).toBeLessThanOrEqual(relative * want)
  }
}

describe('the OpenSearch neural sparse search walk-through, with the official client', () => {
  const models = new ModelRegistry(MODELS, { threads: 1 })
  let close: () => Promise<void>
  let client: Client
  /** Each document's stored passage_embedding, by _id. */
  const stored: Record<string, Record<string, number>> = {}
  /** The model's weights of the query text's tokens. */
  const queryWeights = Object.fromEntries(QUERY_WORDS.map((word) => [word, IDF[word]]))

  const search = async (index: string, body: Record<string, unknown>, params: Record<string, unknown> = {}) => {
    const response = await client.search({ index, body: body as never, ...params })
    expect(response.statusCode).toBe(200)
    return response.body as unknown as { hits: { total: { value: number; relation: string }; max_score: number | null; hits: Hit[] } }
  }

  beforeAll(async () => {
    const server = await portServer({ modelsDir: MODELS, models })
    close = server.close
    client = new Client({ node: server.url })
  })
  afterAll(async () => {
    await client?.close()
    await close?.()
  })

  it('step 1: the model is deployed (GET /_plugins/_ml/models/tiny-bert)', async () => {
    expect(QUERY_WORDS.every((word) => VOCAB.has(word) && IDF[word] > 0)).toBe(true)
    const model = await client.ml.getModel({ model_id: 'tiny-bert' })
    expect(model.body).toMatchObject({ model_id: 'tiny-bert', name: 'tiny-bert', algorithm: 'SPARSE_ENCODING', model_state: 'DEPLOYED', model_format: 'ONNX' })
    expect(JSON.stringify(model.body)).not.toContain(MODELS)
    await expect(client.ml.getModel({ model_id: 'no-such-model' })).rejects.toMatchObject({ meta: { statusCode: 404 } })
  })

  it('step 2: an ingest pipeline with a sparse_encoding processor; _simulate shows what it writes', async () => {
    expect((await client.ingest.putPipeline({ id: INGEST, body: INGEST_PIPELINE as never })).body).toEqual({ acknowledged: true })
    expect((await client.ingest.getPipeline({ id: INGEST })).body).toEqual({ [INGEST]: INGEST_PIPELINE })
    const simulated = await client.ingest.simulate({ id: INGEST, body: { docs: [{ _index: INDEX, _id: '1', _source: { passage_text: TEXTS[0] } }] } })
    const doc = (simulated.body as unknown as { docs: Array<{ doc: { _index: string; _id: string; _source: { passage_text: string; passage_embedding: Record<string, number> } } }> }).docs[0].doc
    expect(doc).toMatchObject({ _index: INDEX, _id: '1', _source: { passage_text: TEXTS[0] } })
    const embedding = doc._source.passage_embedding
    expect(Object.keys(embedding).length).toBeGreaterThan(0)
    for (const [token, weight] of Object.entries(embedding)) {
      expect(VOCAB.has(token), token).toBe(true)
      expect(Number.isFinite(weight) && weight > 0, `${token}: ${weight}`).toBe(true)
    }
    stored.simulated = embedding
    // An inline pipeline gives the same vector.
    const inline = await client.ingest.simulate({ body: { pipeline: INGEST_PIPELINE as never, docs: [{ _source: { passage_text: TEXTS[0] } }] } })
    expect((inline.body as unknown as { docs: Array<{ doc: { _source: unknown } }> }).docs[0].doc._source).toEqual(doc._source)
  })

  it('step 3: an index whose default pipeline is the ingest pipeline, passage_embedding a rank_features field', async () => {
    const created = await client.indices.create({ index: INDEX, body: { settings: { index: { default_pipeline: INGEST } }, mappings: MAPPINGS } as never })
    expect(created.body).toMatchObject({ acknowledged: true, index: INDEX })
    const settings = (await client.indices.getSettings({ index: INDEX })).body as unknown as Record<string, { settings: { index: Record<string, unknown> } }>
    expect(settings[INDEX].settings.index.default_pipeline).toBe(INGEST)
    const mapping = (await client.indices.getMapping({ index: INDEX })).body as unknown as Record<string, { mappings: unknown }>
    expect(mapping[INDEX].mappings).toEqual(MAPPINGS)
  })

  it('step 4: bulk indexing (refresh) stores a passage_embedding of positive weights in each document', async () => {
    const body = DOCS.flatMap(({ _id, ...source }) => [{ index: { _index: INDEX, _id } }, source])
    const bulk = await client.bulk({ body, refresh: true })
    expect(bulk.body.errors).toBe(false)
    expect(bulk.body.items.map((item) => item.index?.status)).toEqual(DOCS.map(() => 201))
    expect((await client.count({ index: INDEX })).body.count).toBe(DOCS.length)
    for (const { _id, id, passage_text } of DOCS) {
      const got = await client.get({ index: INDEX, id: _id })
      const source = got.body._source as { id: string; passage_text: string; passage_embedding: Record<string, number> }
      expect(source).toMatchObject({ id, passage_text })
      const embedding = source.passage_embedding
      expect(typeof embedding).toBe('object')
      expect(Object.keys(embedding).length).toBeGreaterThan(0)
      for (const [token, weight] of Object.entries(embedding)) {
        expect(VOCAB.has(token), token).toBe(true)
        expect(typeof weight === 'number' && Number.isFinite(weight) && weight > 0, `${token}: ${weight}`).toBe(true)
      }
      stored[_id] = embedding
    }
    // What _simulate showed for the same text is what the default pipeline wrote.
    expect(stored['1']).toEqual(stored.simulated)
  })

  it('step 5: neural_sparse with query_text scores the dot product of the model\'s IDF weights with the stored weights', async () => {
    const expected: Scores = {}
    for (const { _id } of DOCS) {
      const score = dot(queryWeights, stored[_id])
      if (score > 0) expected[_id] = score
    }
    expect(Object.keys(expected).length).toBeGreaterThan(1)
    const result = await search(INDEX, { _source: EXCLUDE, query: NEURAL })
    expect(result.hits.total).toEqual({ value: Object.keys(expected).length, relation: 'eq' })
    expectScores(result.hits.hits, expected, 0.004)
    expect(result.hits.max_score).toBe(result.hits.hits[0]._score)
    for (const hit of result.hits.hits) {
      expect(hit._source).toEqual({ id: `s${hit._id}`, passage_text: TEXTS[Number(hit._id) - 1] })
    }
  })

  it('step 6: neural_sparse with query_tokens: the same tokens and weights give the same scores; others their own dot product', async () => {
    const byText = await search(INDEX, { _source: EXCLUDE, query: NEURAL })
    const byTokens = await search(INDEX, { _source: EXCLUDE, query: { neural_sparse: { passage_embedding: { query_tokens: queryWeights } } } })
    expect(byTokens.hits.hits.map((h) => [h._id, h._score])).toEqual(byText.hits.hits.map((h) => [h._id, h._score]))

    const tokens = { weather: 2.5, bitmaps: 0.75, sparse: 1.25 }
    const expected: Scores = {}
    for (const { _id } of DOCS) {
      const score = dot(tokens, stored[_id])
      if (score > 0) expected[_id] = score
    }
    const custom = await search(INDEX, { _source: EXCLUDE, query: { neural_sparse: { passage_embedding: { query_tokens: tokens } } } })
    expect(custom.hits.total.value).toBe(Object.keys(expected).length)
    expectScores(custom.hits.hits, expected, 0.004)
  })

  it('step 7: a search pipeline with a normalization-processor (min_max, arithmetic_mean, weights [0.3, 0.7])', async () => {
    expect((await client.searchPipeline.put({ id: SEARCH, body: SEARCH_PIPELINE as never })).body).toEqual({ acknowledged: true })
    expect((await client.searchPipeline.get({ id: SEARCH })).body).toEqual({ [SEARCH]: SEARCH_PIPELINE })
  })

  it('step 8: hybrid search with ?search_pipeline= fuses the sub-queries as min_max + weighted arithmetic mean', async () => {
    const [bm25, neural] = await Promise.all([MATCH, NEURAL].map(async (query) => scoresOf((await search(INDEX, { query, _source: false })).hits.hits)))
    // The match sub-query misses some documents the neural one finds: they keep the match weight in the divisor.
    expect(Object.keys(bm25).length).toBeLessThan(Object.keys(neural).length)
    const expected = minMaxMean([bm25, neural], [0.3, 0.7])
    const result = await search(INDEX, { _source: EXCLUDE, query: HYBRID }, { search_pipeline: SEARCH })
    expect(result.hits.total).toEqual({ value: Object.keys(expected).length, relation: 'eq' })
    expectScores(result.hits.hits, expected, 1e-9)
    expect(result.hits.max_score).toBeCloseTo(Math.max(...Object.values(expected)), 9)
    for (const hit of result.hits.hits) expect(Object.keys(hit._source!).sort()).toEqual(['id', 'passage_text'])
    // A document only the neural sub-query returns: 0.7 * n / (0.3 + 0.7).
    const onlyNeural = Object.keys(neural).find((id) => !(id in bm25))!
    expect(result.hits.hits.find((h) => h._id === onlyNeural)!._score).toBeCloseTo(0.7 * minMax(neural, onlyNeural)!, 9)
    // The lowest of a list normalizes to 0.001, not 0.
    const lowest = ranked(neural).at(-1)!
    expect(minMax(neural, lowest)).toBe(0.001)

    // A sub-query that finds one document (a list of equal scores) normalizes it to 1.
    const weather = { match: { passage_text: 'weather' } }
    const single = scoresOf((await search(INDEX, { query: weather, _source: false })).hits.hits)
    expect(Object.keys(single)).toEqual(['2'])
    const fused = await search(INDEX, { _source: EXCLUDE, query: { hybrid: { queries: [weather, NEURAL] } } }, { search_pipeline: SEARCH })
    expectScores(fused.hits.hits, minMaxMean([single, neural], [0.3, 0.7]), 1e-9)
    expect(fused.hits.hits.find((h) => h._id === '2')!._score).toBeCloseTo(0.3 * 1 + 0.7 * minMax(neural, '2')!, 9)

    // Paged with pagination_depth: the pages are cuts of the same fused list.
    const page = async (from: number, size: number) => (await search(INDEX, { query: { hybrid: { ...HYBRID.hybrid, pagination_depth: 10 } }, from, size, _source: false }, { search_pipeline: SEARCH })).hits.hits.map((h) => h._id)
    expect([...(await page(0, 2)), ...(await page(2, 2)), ...(await page(4, 10))]).toEqual(ranked(expected))
  })

  it('step 9: index.search.default_pipeline on a second index (loaded with helpers.bulk) fuses the same way without naming it', async () => {
    const settings = { index: { default_pipeline: INGEST, search: { default_pipeline: SEARCH } } }
    expect((await client.indices.create({ index: INDEX2, body: { settings, mappings: MAPPINGS } as never })).body).toMatchObject({ acknowledged: true })
    const index2Settings = (await client.indices.getSettings({ index: INDEX2 })).body as unknown as Record<string, { settings: { index: Record<string, unknown> } }>
    expect(index2Settings[INDEX2].settings.index).toMatchObject({ default_pipeline: INGEST, search: { default_pipeline: SEARCH } })
    const stats = await client.helpers.bulk({
      datasource: DOCS.map(({ _id, ...source }) => source),
      onDocument: ({ id }) => ({ index: { _index: INDEX2, _id: id.slice(1) } }),
      refreshOnCompletion: INDEX2,
    })
    expect(stats).toMatchObject({ total: DOCS.length, successful: DOCS.length, failed: 0 })
    // The same texts through the same pipeline: the same vectors.
    for (const { _id } of DOCS) expect((await client.get({ index: INDEX2, id: _id })).body._source).toMatchObject({ passage_embedding: stored[_id] })

    const viaParam = await search(INDEX, { _source: EXCLUDE, query: HYBRID }, { search_pipeline: SEARCH })
    const viaDefault = await search(INDEX2, { _source: EXCLUDE, query: HYBRID })
    expect(viaDefault.hits.hits.map((h) => [h._id, h._score, h._source])).toEqual(viaParam.hits.hits.map((h) => [h._id, h._score, h._source]))
    expect(viaDefault.hits.total).toEqual(viaParam.hits.total)
    // _none turns the default off, and a hybrid query cannot run without a pipeline.
    await expect(client.search({ index: INDEX2, search_pipeline: '_none', body: { query: HYBRID } as never })).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { reason: expect.stringMatching(/search pipeline/) } } },
    })
    // Over both indexes: each sub-query is one list across the indexes, so every score is fused over twice the documents.
    const both = await search(`${INDEX},${INDEX2}`, { _source: false, query: HYBRID, size: 20 }, { search_pipeline: SEARCH })
    expect(both.hits.total.value).toBe(2 * viaParam.hits.total.value)
  })

  it('step 10: the RRF score-ranker-processor sums 1 / (60 + rank) over the sub-queries', async () => {
    expect((await client.searchPipeline.put({ id: RRF, body: RRF_PIPELINE as never })).body).toEqual({ acknowledged: true })
    const [bm25, neural] = await Promise.all([MATCH, NEURAL].map(async (query) => scoresOf((await search(INDEX, { query, _source: false })).hits.hits)))
    const expected = rrf([bm25, neural], 60)
    const result = await search(INDEX, { _source: EXCLUDE, query: HYBRID }, { search_pipeline: RRF })
    expectScores(result.hits.hits, expected, 1e-9)
    // rank_constant 1 and weights, inline.
    const weighted = { phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: 1, parameters: { weights: [0.25, 0.75] } } } }] }
    const inline = await search(INDEX, { _source: false, query: HYBRID, search_pipeline: weighted })
    const expectedWeighted: Scores = {}
    ;[bm25, neural].forEach((list, q) => ranked(list).forEach((id, i) => (expectedWeighted[id] = (expectedWeighted[id] ?? 0) + [0.25, 0.75][q] / (1 + i + 1))))
    expectScores(inline.hits.hits, expectedWeighted, 1e-9)
  })

  // OpenSearch documents `"search_pipeline": "<id>"` in the search body (Using a search pipeline,
  // "Specifying the pipeline in the request body"), and the client types it as a string; lsr
  // takes only an inline definition there and answers 400.
  it('the search body may name a stored search pipeline: {"search_pipeline": "nlp-search-pipeline"}', async () => {
    const viaParam = await search(INDEX, { _source: false, query: HYBRID }, { search_pipeline: SEARCH })
    const viaBody = await search(INDEX, { _source: false, query: HYBRID, search_pipeline: SEARCH })
    expect(viaBody.hits.hits).toEqual(viaParam.hits.hits)
  })
})
