/**
 * evaluateUpstream (`lsr eval --upstream URL --name NAME`): the cluster is a second lsr server
 * over the very index a local evaluation built, so the runs must be the same hits with the same
 * scores, and every metric equal. The tiny BEIR-shaped dataset of hybrid-dataset.ts gives a BM25,
 * a learned-sparse (query_text rewritten to query_tokens here) and a hybrid run; SciFact, where
 * present, a BM25 run over 5,183 documents.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { readQueryTemplate, parseQueryTemplate } from '../../src/eval/query-template.js'
import { evaluateTemplates, type TemplateEvaluation } from '../../src/eval/template-eval.js'
import { evaluateUpstream } from '../../src/eval/upstream-eval.js'
import { startServer } from '../../src/server/serve.js'
import { Upstream } from '../../src/server/upstream.js'
import { ROOT, tempDir } from '../helpers.js'
import { INGEST_PIPELINE, MAPPING, MODELS, SEARCH_PIPELINE, writeHybridDataset } from './hybrid-dataset.js'

const SCIFACT = join(ROOT, '..', 'shared', 'datasets', 'scifact')

/** The two evaluations agree on every run: the same hits and scores per query, the same metrics. */
function expectSame(local: TemplateEvaluation, remote: TemplateEvaluation): void {
  expect(remote.runs.map((r) => r.report.run)).toEqual(local.runs.map((r) => r.report.run))
  for (const [i, { report, run }] of remote.runs.entries()) {
    const want = local.runs[i]
    expect([...run.entries()]).toEqual([...want.run.entries()])
    expect(report.metrics).toEqual(want.report.metrics)
    expect(report.perQuery).toEqual(want.report.perQuery)
    expect(report.counts).toEqual(want.report.counts)
  }
  expect(remote.comparisons).toEqual(local.comparisons)
}

describe('lsr eval --upstream', () => {
  it('gives the runs and metrics of evaluating the same index directly: BM25, neural_sparse and hybrid templates', async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const templates = await Promise.all(Object.entries(data.templates).map(([name, file]) => readQueryTemplate(name, file)))
    const models = new ModelRegistry(MODELS, { threads: 1 })
    const dataDir = join(root, 'data')
    const local = await evaluateTemplates('tiny', data.dir, templates, {
      schema: { mappings: MAPPING }, pipeline: INGEST_PIPELINE, models, searchPipeline: SEARCH_PIPELINE, indexDir: join(dataDir, 'tiny'), depth: 100,
    })
    expect(local.runs[1].report.metrics.ndcg_cut_10).toBeGreaterThan(0)
    const server = await startServer({ dataDir, port: 0, modelsDir: MODELS, models })
    const upstream = new Upstream({ url: server.url })
    try {
      const remote = await evaluateUpstream('tiny', data.dir, templates, { upstream, index: 'tiny', models, searchPipeline: SEARCH_PIPELINE, depth: 100 })
      expectSame(local, remote)
      expect(remote.runs[0].report.settings).toMatchObject({ encoder: null, upstream: { url: server.url, flavor: 'opensearch', index: 'tiny' } })
      // An index the cluster does not have: its 404, named.
      await expect(evaluateUpstream('tiny', data.dir, templates.slice(0, 1), { upstream, index: 'nope', models })).rejects.toThrow(/upstream cluster answered GET \/nope\/_count with 404: index_not_found_exception/)
      // A search the cluster refuses: named by template and query.
      const broken = parseQueryTemplate('broken', 'broken.json', '{"match": {"nope": "{{query}}", "x": 1}}')
      await expect(evaluateUpstream('tiny', data.dir, [broken], { upstream, index: 'tiny', models })).rejects.toThrow(/query template broken \(broken.json, query q\d+b\): the upstream cluster answered POST \/tiny\/_search with 400/)
    } finally {
      upstream.close()
      await server.close()
    }
  }, 60_000)

  it.skipIf(!existsSync(SCIFACT))('SciFact: a BM25 template over 5,183 documents gives the same run and metrics', async () => {
    const root = await tempDir()
    const dataDir = join(root, 'data')
    const templates = [parseQueryTemplate('bm25', 'bm25.json', JSON.stringify({ multi_match: { query: '{{query}}', fields: ['title', 'text'], type: 'most_fields' } }))]
    const schema = { mappings: { properties: { title: { type: 'text' }, text: { type: 'text' } } } } as const
    const local = await evaluateTemplates('scifact', SCIFACT, templates, { schema: schema as never, indexDir: join(dataDir, 'scifact'), depth: 100 })
    expect(local.runs[0].report.counts).toEqual({ documents: 5183, queries: 300 })
    const server = await startServer({ dataDir, port: 0 })
    const upstream = new Upstream({ url: server.url })
    try {
      const remote = await evaluateUpstream('scifact', SCIFACT, templates, { upstream, index: 'scifact', models: new ModelRegistry(undefined), depth: 100 })
      expectSame(local, remote)
      expect(remote.runs[0].report.metrics.ndcg_cut_10.toFixed(4)).toBe(local.runs[0].report.metrics.ndcg_cut_10.toFixed(4))
    } finally {
      upstream.close()
      await server.close()
    }
  }, 60_000)
})
