/**
 * Learned-sparse fields (rank_features, sparse_vector) beside BM25 text fields in one index:
 * mapping, per-document validation, neural_sparse per field with query_tokens and with query_text
 * through a model of the committed tiny fixtures (its IDF table, or the field's corpus IDF), sums
 * with BM25 clauses, and hybrid queries fused by a search pipeline. Expected scores are computed
 * here from the documents' weights (chosen exact in 16-bit codes: 9 significant bits), the
 * models' idf.json and Lucene's BM25 formula.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { IngestPipeline } from '../../src/engine/pipelines/ingest-pipeline.js'
import { decodeWeight, encodeWeight } from '../../src/storage/weight-codec.js'
import { ROOT, tempDir } from '../helpers.js'
import tinyBertIdf from '../fixtures/models/tiny-bert/idf.json' with { type: 'json' }

const MODELS = join(ROOT, 'test/fixtures/models')
const SCHEMA = {
  mappings: {
    properties: {
      title: { type: 'text' },
      emb_a: { type: 'rank_features' },
      emb_b: { type: 'sparse_vector' },
      year: { type: 'integer' },
    },
  },
}

const DOCS = [
  { id: '1', source: { title: 'sparse retrieval', emb_a: { sparse: 1.5, search: 0.5 }, emb_b: { rain: 2 }, year: 2020 } },
  { id: '2', source: { title: 'weather today', emb_a: { search: 2, model: 0.25 }, emb_b: { weather: 3, rain: 0.5 }, year: 2021 } },
  { id: '3', source: { title: 'sparse models of search', emb_a: { sparse: 0.75 }, year: 2022 } },
  { id: '4', source: { title: 'nothing learned here', year: 2023 } },
]

async function mixedIndex(): Promise<SparseIndex> {
  const index = await SparseIndex.open(join(await tempDir(), 'mixed'), { create: true, encoder: null, schema: SCHEMA })
  const result = await index.add(DOCS)
  expect(result.errors.filter(Boolean)).toEqual([])
  return index
}

/** Lucene BM25 without (k1 + 1), k1 = 1.2, b = 0.75, for one term of a field. */
function bm25(tf: number, dl: number, df: number, docCount: number, avgdl: number): number {
  const idf = Math.log(1 + (docCount - df + 0.5) / (df + 0.5))
  return (idf * tf) / (tf + 1.2 * (1 - 0.75 + (0.75 * dl) / avgdl))
}

const scores = (hits: Array<{ id: string; score: number }>) => Object.fromEntries(hits.map((h) => [h.id, h.score]))

describe('learned-sparse fields', () => {
  it('maps rank_features and sparse_vector, and shows them in the mapping', async () => {
    const index = await mixedIndex()
    expect(index.schema!.field('emb_a')).toEqual({ type: 'rank_features', index: true })
    expect(index.schema!.toStored().mappings).toMatchObject({ properties: { emb_a: { type: 'rank_features' }, emb_b: { type: 'sparse_vector' } } })
    await index.close()
  })

  it('refuses non-positive, non-finite and non-numeric weights per document, and bad definitions', async () => {
    const index = await mixedIndex()
    const result = await index.add([
      { id: 'z', source: { emb_a: { a: 0 } } },
      { id: 'n', source: { emb_a: { a: -1 } } },
      { id: 's', source: { emb_a: { a: '1.5' } } },
      { id: 'v', source: { emb_a: 1.5 } },
      { id: 'ok', source: { emb_a: { a: 1 } } },
    ], { perDocumentErrors: true })
    expect(result.outcomes).toEqual(['failed', 'failed', 'failed', 'failed', 'created'])
    expect(String(result.errors[0]?.cause ?? result.errors[0])).toContain('the weight of feature [a] must be a positive normal float')
    expect(String(result.errors[3]?.cause ?? result.errors[3])).toContain('[rank_features] fields must be json objects')
    expect((await index.get('ok'))).toBeDefined()
    expect(await index.get('z')).toBeUndefined()
    await index.close()
    const dir = join(await tempDir(), 'bad')
    await expect(SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties: { e: { type: 'rank_features', positive_score_impact: false } } } } })).rejects.toThrow('positive_score_impact')
    await expect(SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties: { t: { type: 'text', fields: { e: { type: 'rank_features' } } } } } } })).rejects.toThrow('cannot be used in multi field')
  })

  it('neural_sparse query_tokens on a field: the dot product with the stored weights, that field only', async () => {
    const index = await mixedIndex()
    const a = await index.search({ query: { neural_sparse: { emb_a: { query_tokens: { sparse: 2, search: 1 } } } } })
    // doc 1: 2 x 1.5 + 1 x 0.5 = 3.5; doc 2: 1 x 2 = 2; doc 3: 2 x 0.75 = 1.5
    expect(a.hits.map((h) => [h.id, h.score])).toEqual([['1', 3.5], ['2', 2], ['3', 1.5]])
    expect(a.total).toBe(3)
    const b = await index.search({ query: { neural_sparse: { emb_b: { query_tokens: { rain: 1, sparse: 5 }, boost: 2 } } } })
    // 'sparse' is not in emb_b: each field is its own term space. doc 1: 2 x 1 x 2 = 4; doc 2: 2 x 1 x 0.5 = 1
    expect(b.hits.map((h) => [h.id, h.score])).toEqual([['1', 4], ['2', 1]])
    // Elasticsearch 8's sparse_vector query: the same dot product.
    const es = await index.search({ query: { sparse_vector: { field: 'emb_a', query_vector: { sparse: 2, search: 1 } } } })
    expect(es.hits.map((h) => [h.id, h.score])).toEqual([['1', 3.5], ['2', 2], ['3', 1.5]])
    const byModel = await index.search({ query: { sparse_vector: { field: 'emb_a', inference_id: 'tiny-bert', query: 'sparse' } } }, { models: new ModelRegistry(MODELS) })
    expect(byModel.hits[0].score).toBeCloseTo((tinyBertIdf as Record<string, number>).sparse * 1.5, 12)
    await expect(index.search({ query: { sparse_vector: { field: 'emb_a', query_vector: { a: 1 }, prune: true } as never } })).rejects.toThrow('[prune] is not supported')
    await index.close()
  })

  it('sums BM25 and learned-sparse clauses of one bool query', async () => {
    const index = await mixedIndex()
    const result = await index.search({ query: { bool: { should: [{ match: { title: 'sparse' } }, { neural_sparse: { emb_a: { query_tokens: { search: 1 } } } }] } } })
    // title lengths 2, 2, 4, 3: avgdl 11/4; "sparse" in docs 1 and 3 (df 2 of 4).
    const avgdl = 11 / 4
    expect(scores(result.hits)['1']).toBeCloseTo(bm25(1, 2, 2, 4, avgdl) + 0.5, 12)
    expect(scores(result.hits)['2']).toBe(2)
    expect(scores(result.hits)['3']).toBeCloseTo(bm25(1, 4, 2, 4, avgdl), 12)
    expect(result.total).toBe(3)
    await index.close()
  })

  it('query_text through a model: its tokens weighted by the model\'s IDF table', async () => {
    const index = await mixedIndex()
    const models = new ModelRegistry(MODELS)
    const result = await index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse search', model_id: 'tiny-bert' } } } }, { models })
    const idf = tinyBertIdf as Record<string, number>
    expect(scores(result.hits)['1']).toBeCloseTo(idf.sparse * 1.5 + idf.search * 0.5, 12)
    expect(scores(result.hits)['2']).toBeCloseTo(idf.search * 2, 12)
    expect(scores(result.hits)['3']).toBeCloseTo(idf.sparse * 0.75, 12)
    await expect(index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse' } } } }, { models })).rejects.toThrow('needs a model_id')
    await expect(index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse', model_id: 'nope' } } } }, { models })).rejects.toThrow('nope')
    await expect(index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse', model_id: '../tiny-bert' } } } }, { models })).rejects.toThrow('is not a model id')
    await expect(index.search({ query: { neural_sparse: { title: { query_tokens: { a: 1 } } } } })).rejects.toThrow('neural_sparse searches a rank_features or sparse_vector field')
    await index.close()
  })

  it('two learned-sparse fields filled by the two fixture models through an ingest pipeline, beside BM25 text', async () => {
    const models = new ModelRegistry(MODELS, { threads: 1 })
    const pipeline = await IngestPipeline.create({
      processors: [
        { sparse_encoding: { model_id: 'tiny-bert', field_map: { title: 'emb_a' } } },
        { sparse_encoding: { model_id: 'tiny-distilbert', field_map: { title: 'emb_b' }, prune_type: 'top_k', prune_ratio: 20 } },
      ],
    }, models)
    const titles = ['sparse retrieval of documents', 'the weather in new york', 'learned sparse models score terms']
    const encoded = await pipeline.run(titles.map((title) => ({ title })), models)
    const index = await SparseIndex.open(join(await tempDir(), 'two-models'), { create: true, encoder: null, schema: SCHEMA })
    await index.add(encoded.map((result, i) => ({ id: String(i), source: result.source! })))
    const idfOf = async (model: string) => JSON.parse(await readFile(join(MODELS, model, 'idf.json'), 'utf8')) as Record<string, number>
    for (const [field, model] of [['emb_a', 'tiny-bert'], ['emb_b', 'tiny-distilbert']] as const) {
      const idf = await idfOf(model)
      const text = 'sparse weather'
      const tokens = (await models.model(model)).encodeQuery(text).map((t) => t.term)
      const result = await index.search({ query: { neural_sparse: { [field]: { query_text: text, model_id: model } } }, size: 10 }, { models })
      // Expected from the stored vectors (as the index keeps them: 16-bit codes) and the model's idf.json.
      encoded.forEach((doc, i) => {
        const vector = doc.source![field] as Record<string, number>
        const score = tokens.reduce((sum, t) => sum + (vector[t] === undefined || !(idf[t] > 0) ? 0 : idf[t] * decodeWeight(encodeWeight(vector[t]))), 0)
        const hit = result.hits.find((h) => h.id === String(i))
        if (score === 0) expect(hit).toBeUndefined()
        else expect(hit!.score).toBeCloseTo(score, 9)
      })
    }
    // The fields are separate term spaces: emb_b's vectors hold at most 20 tokens (top_k), emb_a's all of tiny-bert's.
    expect(Object.keys(encoded[0].source!.emb_b as object).length).toBeLessThanOrEqual(20)
    expect(Object.keys(encoded[0].source!.emb_a as object).length).toBeGreaterThan(20)
    await index.close()
  })

  it('a model without an IDF table weighs each token by its IDF over the documents that have the field', async () => {
    const models = await tempDir()
    await cp(join(MODELS, 'tiny-bert'), join(models, 'no-idf'), { recursive: true })
    await rm(join(models, 'no-idf', 'idf.json'))
    const index = await mixedIndex()
    const result = await index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse search', model_id: 'no-idf' } } } }, { models: new ModelRegistry(models) })
    // emb_a is in 3 documents; "sparse" in 2 of them, "search" in 2.
    const idf = (df: number) => Math.log(1 + (3 - df + 0.5) / (df + 0.5))
    expect(scores(result.hits)['1']).toBeCloseTo(idf(2) * 1.5 + idf(2) * 0.5, 12)
    expect(scores(result.hits)['3']).toBeCloseTo(idf(2) * 0.75, 12)
    await index.close()
  })

  it('analyzer names the tokenizer of the model: accepted where the model\'s tokenizer is that one, else a 400', async () => {
    const models = await tempDir()
    // tiny-bert's tokenizer with its vocabulary padded to bert-base-uncased's 30,522 entries.
    await cp(join(MODELS, 'tiny-bert'), join(models, 'bert-like'), { recursive: true })
    const tokenizerFile = join(models, 'bert-like', 'tokenizer.json')
    const tokenizer = JSON.parse(await readFile(tokenizerFile, 'utf8'))
    const vocab = tokenizer.model.vocab as Record<string, number>
    for (let id = Object.keys(vocab).length; id < 30_522; id++) vocab[`[unused${id}]`] = id
    await writeFile(tokenizerFile, JSON.stringify(tokenizer))
    await cp(join(MODELS, 'tiny-bert'), join(models, 'tiny-bert'), { recursive: true })
    const registry = new ModelRegistry(models)
    const index = await mixedIndex()
    const query = (spec: object) => index.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse search', ...spec } } } }, { models: registry })
    const plain = await query({ model_id: 'bert-like' })
    expect((await query({ model_id: 'bert-like', analyzer: 'bert-uncased' })).hits).toEqual(plain.hits)
    await expect(query({ model_id: 'tiny-bert', analyzer: 'bert-uncased' })).rejects.toThrow('is not the tokenizer of model [tiny-bert]')
    await expect(query({ model_id: 'bert-like', analyzer: 'mbert-uncased' })).rejects.toThrow('is not the tokenizer of model [bert-like] (bert-uncased)')
    await expect(query({ analyzer: 'bert-uncased' })).rejects.toThrow('needs a model whose tokenizer is [bert-uncased]')
    await expect(query({ model_id: 'bert-like', analyzer: 'standard' })).rejects.toThrow("OpenSearch's inference-free analyzers")
    await index.close()
  })

  it('keeps fields, weights and statistics through updates, deletes, compaction and reopen', async () => {
    const index = await mixedIndex()
    await index.add([{ id: '3', source: { title: 'x', emb_a: { sparse: 4 } } }])
    await index.delete(['2'])
    await index.compact()
    const dir = index.dir
    await index.close()
    const reopened = await SparseIndex.open(dir)
    const result = await reopened.search({ query: { neural_sparse: { emb_a: { query_tokens: { sparse: 1, search: 1 } } } } })
    expect(result.hits.map((h) => [h.id, h.score])).toEqual([['3', 4], ['1', 2]])
    // The field's statistics followed: emb_a is in docs 1 and 3, "sparse" in both (corpus IDF of a model without a table).
    const models = await tempDir()
    await cp(join(MODELS, 'tiny-bert'), join(models, 'no-idf'), { recursive: true })
    await rm(join(models, 'no-idf', 'idf.json'))
    const byCorpus = await reopened.search({ query: { neural_sparse: { emb_a: { query_text: 'sparse', model_id: 'no-idf' } } } }, { models: new ModelRegistry(models) })
    expect(scores(byCorpus.hits)['3']).toBeCloseTo(Math.log(1 + 0.5 / 2.5) * 4, 12)
    await reopened.close()
  })

  it('hybrid: each sub-query its own top-k, fused by the pipeline (min_max + arithmetic_mean)', async () => {
    const index = await mixedIndex()
    const pipeline = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.4, 0.6] } } } }] }
    const result = await index.search({
      query: { hybrid: { queries: [{ match: { title: 'sparse' } }, { neural_sparse: { emb_a: { query_tokens: { sparse: 2, search: 1 } } } }] } },
      searchPipeline: pipeline,
    })
    // Sub-query 1 (BM25 "sparse"): docs 1 > 3 (shorter title); min_max: doc 1 -> 1, doc 3 -> 0.001.
    // Sub-query 2 (dot): 1 -> 3.5, 2 -> 2, 3 -> 1.5; min_max: 1 -> 1, 2 -> (2 - 1.5) / 2 = 0.25, 3 -> 0.001.
    // arithmetic mean, weights 0.4 / 0.6 (absent: 0, weight kept):
    // 1: 0.4 + 0.6 = 1; 2: 0.6 x 0.25 = 0.15; 3: 0.4 x 0.001 + 0.6 x 0.001 = 0.001.
    expect(result.hits.map((h) => h.id)).toEqual(['1', '2', '3'])
    expect(result.hits[0].score).toBeCloseTo(1, 12)
    expect(result.hits[1].score).toBeCloseTo(0.15, 12)
    expect(result.hits[2].score).toBeCloseTo(0.001, 12)
    expect(result.total).toBe(3)
    expect(result.maxScore).toBeCloseTo(1, 12)
    // A filter applies to every sub-query.
    const filtered = await index.search({
      query: { hybrid: { queries: [{ match: { title: 'sparse' } }, { neural_sparse: { emb_a: { query_tokens: { sparse: 2, search: 1 } } } }], filter: { range: { year: { gte: 2021 } } } } },
      searchPipeline: { phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf' } } }] },
    })
    // Sub-query 1: [3]; sub-query 2: [2, 3]. RRF: 3 -> 1/61 + 1/62, 2 -> 1/61.
    expect(filtered.hits.map((h) => [h.id, h.score])).toEqual([['3', 1 / 61 + 1 / 62], ['2', 1 / 61]])
    await expect(index.search({ query: { hybrid: { queries: [{ match_all: {} }] } } })).rejects.toThrow('needs a search pipeline')
    await expect(index.search({ query: { bool: { must: { hybrid: { queries: [{ match_all: {} }] } } } } as never, searchPipeline: pipeline })).rejects.toThrow('must be the top-level query')
    await expect(index.search({ query: { hybrid: { queries: [{ match_all: {} }] } }, from: 1, searchPipeline: pipeline })).rejects.toThrow('pagination_depth is required')
    await index.close()
  })
})

describe('query walks over hostile shapes', () => {
  it('a query holding a 300,000-element array loads its models without overflowing the stack', async () => {
    const index = await mixedIndex()
    const values = Array.from({ length: 300_000 }, (_, i) => `v${i}`)
    const result = await index.search({ query: { bool: { filter: { terms: { title: values.slice(0, 60_000) } }, should: values.slice(0, 200_000).map(() => ({ match_all: {} })) } } as never }, { models: new ModelRegistry(MODELS) }).catch((error: Error) => error)
    // Refused by the compiler (or answered), never a RangeError from the walk.
    expect(result instanceof RangeError).toBe(false)
    const two = await index.search({ query: { match: { title: 'neural_sparse' } }, searchPipeline: { request_processors: [{ neural_sparse_two_phase_processor: {} }] } })
    expect(two.total).toBe(0) // the word neural_sparse in a text is not a nested neural_sparse query
    await index.close()
  })
})

describe('documents too large for a spread', () => {
  it('indexes a text field of 200,000 distinct tokens (joined by spaces, or by U+202F inside one word)', async () => {
    const index = await SparseIndex.open(join(await tempDir(), 'big'), { create: true, encoder: null })
    const words = Array.from({ length: 200_000 }, (_, i) => `w${i.toString(36)}`)
    const result = await index.add([{ id: 'a', source: { body: words.join(' ') } }, { id: 'b', source: { body: words.join('\u202f') } }])
    expect(result.outcomes).toEqual(['created', 'created'])
    expect((await index.search({ query: { match: { body: 'w5' } } })).total).toBe(2)
    await index.close()
  })
})
