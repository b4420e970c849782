/**
 * Query templates and fusion tuning through the library (src/eval): a synthetic BEIR dataset with
 * BM25 text fields and a learned-sparse field filled by the tiny-bert ingest pipeline; the
 * sweep's numbers checked against searches through `index.search` with each setting's pipeline;
 * and SciFact (skipped without ../shared) with the three runs in one table and a tune.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readJudgedQueries } from '../../src/eval/judged-queries.js'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { fusionGrid, weightGrid } from '../../src/eval/fusion-grid.js'
import { evaluateRun, type Run } from '../../src/eval/metrics.js'
import { instantiate, parseQueryTemplate, readQueryTemplate, type QueryTemplate } from '../../src/eval/query-template.js'
import { formatRunTable } from '../../src/eval/report.js'
import { evaluateTemplates } from '../../src/eval/template-eval.js'
import { atDepth } from '../../src/eval/template-search.js'
import { tuneFusion } from '../../src/eval/tune.js'
import { formatTuneResult } from '../../src/eval/tune-report.js'
import { ROOT, tempDir } from '../helpers.js'
import { INGEST_PIPELINE, MAPPING, MODELS, SEARCH_PIPELINE, TEMPLATES, writeHybridDataset } from './hybrid-dataset.js'

const SCIFACT = join(ROOT, '..', 'shared', 'datasets', 'scifact')
const models = new ModelRegistry(MODELS, { threads: 1 })

async function templates(files: Record<string, string>): Promise<QueryTemplate[]> {
  return Promise.all(Object.entries(files).map(([name, file]) => readQueryTemplate(name, file)))
}

describe('query templates', () => {
  it('put each query text in every placeholder, JSON-escaped, and read a search body\'s query', () => {
    const template = parseQueryTemplate('t', 't.json', '{"query": {"bool": {"should": [{"match": {"title": "{{query}}"}}, {"match": {"text": "{{ query }}"}}]}}}')
    expect(template.hybrid).toBe(false)
    const text = 'say "no" \\ to\nthat'
    expect(instantiate(template, text)).toEqual({ bool: { should: [{ match: { title: text } }, { match: { text } }] } })
    expect(parseQueryTemplate('h', 'h.json', JSON.stringify(TEMPLATES.hybrid)).hybrid).toBe(true)
  })

  it('refuses, naming the file: no placeholder, a placeholder outside a string, other body keys, a bad name, a malformed hybrid', () => {
    expect(() => parseQueryTemplate('t', 'plain.json', '{"match": {"text": "fixed"}}')).toThrow(/^plain\.json: a query template needs the placeholder \{\{query\}\}/)
    expect(() => parseQueryTemplate('t', 'bare.json', '{"match": {"text": {{query}}}}')).toThrow(/^bare\.json: not valid JSON .*inside a JSON string/)
    expect(() => parseQueryTemplate('t', 'size.json', '{"query": {"match": {"text": "{{query}}"}}, "size": 5}')).toThrow('size.json: [size]: a query template holds a query')
    expect(() => parseQueryTemplate('a/b', 'x.json', '{"match": {"text": "{{query}}"}}')).toThrow('query template name "a/b"')
    expect(() => parseQueryTemplate('t', 'h.json', '{"hybrid": {"queries": [], "q": "{{query}}"}}')).toThrow('h.json: [hybrid] query does not support [q]')
  })

  it('give a hybrid query the evaluation depth per sub-query unless it sets its own', () => {
    expect(atDepth(TEMPLATES.hybrid as never, 100)).toEqual({ hybrid: { ...TEMPLATES.hybrid.hybrid, pagination_depth: 100 } })
    const own = { hybrid: { queries: [{ match_all: {} }], pagination_depth: 7 } }
    expect(atDepth(own, 100)).toBe(own)
    expect(atDepth({ match_all: {} }, 100)).toEqual({ match_all: {} })
  })
})

describe('fusion grid', () => {
  it('sweeps weights in steps of 0.1 for two sub-queries: 7 normalization x combination pairs x 11 vectors + 6 RRF settings', () => {
    expect(weightGrid(2)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [i / 10, (10 - i) / 10]))
    const grid = fusionGrid(2)
    expect(grid).toHaveLength(83)
    expect(grid[0].label).toBe('min_max + arithmetic_mean [0, 1]')
    expect(grid.filter((c) => c.label.startsWith('z_score'))).toHaveLength(11)
    expect(grid.slice(-6).map((c) => c.fusion)).toEqual([10, 20, 40, 60, 80, 100].map((rankConstant) => ({ kind: 'rrf', rankConstant })))
  })

  it('uses coarser simplex grids for more sub-queries, every vector summing to 1', () => {
    expect([1, 2, 3, 4, 5].map((k) => weightGrid(k).length)).toEqual([1, 11, 21, 35, 35])
    for (const k of [3, 4, 5]) for (const w of weightGrid(k)) expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9)
    expect(fusionGrid(3)).toHaveLength(7 * 21 + 6)
  })
})

describe('evaluateTemplates and tuneFusion on a synthetic dataset', () => {
  it('runs three templates over one index built through the ingest pipeline, each compared with the first', async () => {
    const data = await writeHybridDataset(await tempDir())
    const { runs, comparisons } = await evaluateTemplates('tiny', data.dir, await templates(data.templates), { schema: { mappings: MAPPING }, pipeline: INGEST_PIPELINE, models, searchPipeline: SEARCH_PIPELINE })
    expect(runs.map((r) => r.report.run)).toEqual(['bm25', 'neural', 'hybrid'])
    expect(runs.map((r) => r.report.counts)).toEqual(Array(3).fill({ documents: 48, queries: 8 }))
    expect(runs[0].report.settings).toMatchObject({ encoder: null, depth: 1000, template: { file: data.templates.bm25, query: TEMPLATES.bm25, searchPipeline: SEARCH_PIPELINE } })
    expect(runs[1].report.metrics.ndcg_cut_10).toBeGreaterThan(0)
    expect(comparisons.map((c) => c.run)).toEqual(['neural', 'hybrid'])
    // Weights [1, 0]: the hybrid ranks as its BM25 sub-query, and documents only the neural one found score 0.
    for (const [qid, bm25] of runs[0].run) {
      const hybrid = runs[2].run.get(qid)!
      expect(hybrid.filter((h) => h.score > 0).map((h) => h.docId)).toEqual(bm25.map((h) => h.docId))
    }
    expect(comparisons[1].difference).toBe(0)
    expect(formatRunTable(runs.map((r) => r.report), comparisons).split('\n')[0]).toMatch(/^run\s+docs\s+queries\s+nDCG@10 .* vs bm25 nDCG@10\s+p \(randomization\)$/)
  })

  it('tunes the fusion on train: the best train nDCG@10 of the sweep, each setting scoring as a search with its pipeline', async () => {
    const data = await writeHybridDataset(await tempDir())
    const indexDir = join(await tempDir(), 'index')
    const [hybrid] = await templates({ hybrid: data.templates.hybrid })
    const result = await tuneFusion('tiny', data.dir, hybrid, { schema: { mappings: MAPPING }, pipeline: INGEST_PIPELINE, models, searchPipeline: SEARCH_PIPELINE, indexDir, depth: 20 })
    expect(result.grid).toEqual({ subQueries: 2, weightStep: 0.1, settings: 83 })
    expect(result.candidates).toHaveLength(83)
    const max = Math.max(...result.candidates.map((c) => c.trainNdcg10))
    expect(result.best.trainNdcg10).toBe(max)
    expect(result.best.label).toBe(result.candidates.find((c) => c.trainNdcg10 === max)!.label)
    expect(result.best.searchPipeline).toEqual({ phase_results_processors: [result.best.processor] })
    expect(result.test.tuned.run).toBe('hybrid-tuned')
    expect(result.test.comparison.b).toBe(result.test.tuned.metrics.ndcg_cut_10)
    expect(formatTuneResult(result)).toContain(`search pipeline: ${JSON.stringify(result.best.searchPipeline)}`)

    // Two settings searched afresh through index.search with their whole pipeline, on the train split.
    const train = await readJudgedQueries(data.dir, 'train')
    const index = await SparseIndex.open(indexDir)
    try {
      for (const candidate of [result.best, result.candidates.at(-1)!, result.candidates[40]]) {
        const run: Run = new Map()
        for (const query of train.queries) {
          const body = { query: atDepth(instantiate(hybrid, query.text), 20), size: 20, searchPipeline: { phase_results_processors: [candidate.processor] } }
          const { hits } = await index.search(body, { models })
          run.set(query.id, hits.map((h) => ({ docId: h.id, score: h.score })))
        }
        expect(evaluateRun(run, train.qrels).mean.ndcg_cut_10).toBe(candidate.trainNdcg10)
      }
      expect(result.untunedTrainNdcg10).toBe(result.candidates.find((c) => c.label === 'min_max + arithmetic_mean [1, 0]')!.trainNdcg10)
    } finally {
      await index.close()
    }
  })

  it('names what is missing: the train split, a hybrid template\'s search pipeline, a hybrid query to tune', async () => {
    const data = await writeHybridDataset(await tempDir())
    const [bm25, , hybrid] = await templates(data.templates)
    const options = { schema: { mappings: MAPPING }, models }
    await expect(tuneFusion('tiny', data.dir, hybrid, { ...options, searchPipeline: SEARCH_PIPELINE, trainSplit: 'dev' })).rejects.toThrow(`${join(data.dir, 'qrels', 'dev.tsv')}: no such file (the dataset has no dev split)`)
    await expect(evaluateTemplates('tiny', data.dir, [bm25, hybrid], options)).rejects.toThrow(`query template hybrid (${data.templates.hybrid}) is a hybrid query: it needs a search pipeline`)
    await expect(tuneFusion('tiny', data.dir, bm25, { ...options, searchPipeline: SEARCH_PIPELINE })).rejects.toThrow('--tune sweeps the fusion of a hybrid query: query template bm25')
  })
})

describe.skipIf(!existsSync(SCIFACT))('SciFact: BM25 fields, a learned field (tiny-bert) and their hybrid', () => {
  // Indexes SciFact with a neural field and evaluates four runs: about a minute on a 2-core machine.
  it('evaluates the three runs in one table over one index, then tunes the hybrid on train', { timeout: 180_000 }, async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const indexDir = join(root, 'scifact-index')
    const evaluation = await evaluateTemplates('scifact', SCIFACT, await templates(data.templates), { schema: { mappings: MAPPING }, pipeline: INGEST_PIPELINE, models, searchPipeline: SEARCH_PIPELINE, indexDir })
    const [bm25, neural, hybrid] = evaluation.runs.map((r) => r.report)
    for (const report of [bm25, neural, hybrid]) expect(report.counts).toEqual({ documents: 5183, queries: 300 })
    // Per-field BM25 with Elasticsearch's k1 1.2, b 0.75 over title and text (most_fields): not the encoder's
    // one-field Anserini BM25 (0.6777), but in its neighbourhood.
    expect(bm25.metrics.ndcg_cut_10).toBeGreaterThan(0.6)
    expect(bm25.metrics.ndcg_cut_10).toBeLessThan(0.7)
    expect(bm25.metrics.recall_100).toBeGreaterThan(0.85)
    // The tiny model's vocabulary has no biomedical words: its run is near zero, and a hybrid of weights [1, 0] is BM25's.
    expect(neural.metrics.ndcg_cut_10).toBeLessThan(0.1)
    expect(hybrid.metrics).toEqual(bm25.metrics)
    expect(evaluation.comparisons.map((c) => c.run)).toEqual(['neural', 'hybrid'])
    console.log(formatRunTable([bm25, neural, hybrid], evaluation.comparisons))

    const [template] = await templates({ hybrid: data.templates.hybrid })
    const tuned = await tuneFusion('scifact', SCIFACT, template, { models, searchPipeline: SEARCH_PIPELINE, indexDir, depth: 100 })
    expect(tuned.trainQueries).toBe(809)
    expect(tuned.test.tuned.counts.queries).toBe(300)
    expect(tuned.best.trainNdcg10).toBeGreaterThanOrEqual(tuned.untunedTrainNdcg10)
    expect(tuned.test.tuned.metrics.ndcg_cut_10).toBeGreaterThan(0.5)
    console.log(formatTuneResult(tuned))
  })
})
