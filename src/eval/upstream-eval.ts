/**
 * `lsr eval DATASET --upstream URL --name NAME --query-template ...`: the runs of query templates
 * over an index of an OpenSearch or Elasticsearch cluster, scored and reported as `lsr eval`
 * scores a local index, so the metrics of an index moved to a cluster compare with the original's.
 * Each query is one `POST /{name}/_search` (`size` = depth, no sources), its `neural_sparse`
 * query_text rewritten to tokens here exactly as `lsr serve --upstream` rewrites it.
 * @module
 */
import type { BeirQuery } from '../corpus/beir.js'
import type { ModelSource } from '../engine/query/models.js'
import type { Json } from '../engine/json-shapes.js'
import { LsrError } from '../errors.js'
import type { Upstream } from '../server/upstream.js'
import { rewriteSearchBody, type DefaultModels } from '../server/upstream-rewrite.js'
import type { DatasetReport } from './evaluate.js'
import { readJudgedQueries } from './judged-queries.js'
import { evaluateRun, type Run } from './metrics.js'
import { instantiate, type QueryTemplate } from './query-template.js'
import type { QueryTiming } from './query-run.js'
import { compareWithFirst } from './report.js'
import { atDepth, inTemplate } from './template-search.js'
import { checkTemplates, type TemplateEvaluation } from './template-eval.js'

/** Options of {@link evaluateUpstream}. */
export interface UpstreamEvalOptions {
  /** The cluster. */
  upstream: Upstream
  /** The cluster's index (or alias) to search. */
  index: string
  /** Where `neural_sparse` `model_id` finds models (their tokenizer and IDF table). */
  models: ModelSource
  /** Each field's model when a template names none. */
  defaultModels?: DefaultModels
  /** @default 'test' */
  split?: string
  /** @default 1000 */
  depth?: number
  /** @default false */
  keepIdenticalIds?: boolean
  /** A search pipeline definition sent inline with every search (`search_pipeline` in the body). */
  searchPipeline?: unknown
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0

/**
 * Evaluates each template against the cluster's index `options.index`.
 * @throws LsrError naming the template and query when the cluster refuses a search, or the index does not exist
 */
export async function evaluateUpstream(name: string, dir: string, templates: readonly QueryTemplate[], options: UpstreamEvalOptions): Promise<TemplateEvaluation> {
  checkTemplates(templates, options.searchPipeline)
  const split = options.split ?? 'test'
  const depth = options.depth ?? 1000
  const keepIdenticalIds = options.keepIdenticalIds ?? false
  const { upstream, index } = options
  const { qrels, queries } = await readJudgedQueries(dir, split)
  const path = `/${encodeURIComponent(index)}`
  const counted = (await upstream.json('GET', `${path}/_count`)).body as { count?: unknown }
  if (typeof counted?.count !== 'number') throw new LsrError('invalid_argument', `the upstream cluster's answer to GET ${path}/_count has no count`)
  const runs: Array<{ report: DatasetReport; run: Run }> = []
  for (const template of templates) {
    const { run, timing } = await runUpstream(template, queries, options, depth, keepIdenticalIds)
    const evaluation = evaluateRun(run, qrels)
    const report: DatasetReport = {
      dataset: name,
      run: template.name,
      split,
      settings: {
        encoder: null,
        depth,
        keepIdenticalIds,
        indexReused: true,
        template: { file: template.file, query: template.json, ...(options.searchPipeline === undefined ? {} : { searchPipeline: options.searchPipeline }) },
        upstream: { url: upstream.display, flavor: upstream.flavor, index },
      },
      counts: { documents: counted.count, queries: evaluation.queries },
      timing: { indexBuildSeconds: 0, ...timing },
      metrics: evaluation.mean,
      perQuery: Object.fromEntries(evaluation.perQuery),
    }
    runs.push({ report, run })
  }
  return { runs, comparisons: compareWithFirst(runs.map((r) => r.report)) }
}

/** One template's queries, one search at a time, timed as lsr eval times a local run (HTTP included). */
async function runUpstream(template: QueryTemplate, queries: readonly BeirQuery[], options: UpstreamEvalOptions, depth: number, keepIdenticalIds: boolean): Promise<{ run: Run; timing: QueryTiming }> {
  const run: Run = new Map()
  const times: number[] = []
  const target = `/${encodeURIComponent(options.index)}/_search`
  const started = performance.now()
  for (const query of queries) {
    const body: Json = { query: atDepth(instantiate(template, query.text), depth), size: depth, _source: false }
    if (options.searchPipeline !== undefined) body.search_pipeline = options.searchPipeline
    const t = performance.now()
    const hits = await inTemplate(template, async () => {
      await rewriteSearchBody(body, { flavor: options.upstream.flavor, models: options.models, defaults: options.defaultModels })
      const answer = (await options.upstream.json('POST', target, body)).body as { hits?: { hits?: Array<{ _id?: unknown; _score?: unknown }> } }
      const list = answer?.hits?.hits
      if (!Array.isArray(list)) throw new LsrError('invalid_argument', `the upstream cluster's answer to POST ${target} has no hits.hits`)
      return list.map((hit) => ({ id: String(hit._id), score: Number(hit._score) }))
    }, query.id)
    times.push(performance.now() - t)
    run.set(query.id, hits.filter((h) => keepIdenticalIds || h.id !== query.id).map((h) => ({ docId: h.id, score: h.score })))
  }
  const seconds = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  return { run, timing: { queryP50Ms: percentile(times, 50), queryP99Ms: percentile(times, 99), queriesPerSecond: queries.length / Math.max(seconds, 1e-9) } }
}
