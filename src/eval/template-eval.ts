/**
 * `lsr eval --query-template`: several runs over one index of a dataset, one per query template
 * (BM25 over mapped fields, `neural_sparse` over a learned field, a `hybrid` of both, …), each
 * scored with trec_eval's metrics and compared with the first run by a paired randomization test.
 * @module
 */
import { ModelRegistry } from '../encode/neural/model-registry.js'
import { LsrError } from '../errors.js'
import { withEvalIndex, type EvalIndexOptions } from './eval-index.js'
import { reportOf, type DatasetReport } from './evaluate.js'
import { readJudgedQueries } from './judged-queries.js'
import type { Run } from './metrics.js'
import type { QueryTemplate } from './query-template.js'
import { compareWithFirst, type Comparison } from './report.js'
import { runTemplate } from './template-search.js'

/** Options of {@link evaluateTemplates}. */
export interface TemplateEvalOptions extends EvalIndexOptions {
  /** `test`, `dev` or `train`. @default 'test' */
  split?: string
  /** Hits retrieved per query. @default 1000 */
  depth?: number
  /** Keep hits whose id equals the query id (BEIR drops them by default). @default false */
  keepIdenticalIds?: boolean
  /** A search pipeline definition every template's searches run with; a hybrid template needs one to fuse its sub-queries. */
  searchPipeline?: unknown
}

/** One template's run. */
export interface TemplateRun {
  report: DatasetReport
  run: Run
}

/** The runs of {@link evaluateTemplates}, in the templates' order. */
export interface TemplateEvaluation {
  runs: TemplateRun[]
  /** Each run after the first against the first (nDCG@10, paired randomization test), in order. */
  comparisons: Comparison[]
}

/**
 * Checks a list of templates before anything is built: at least one, distinct names, and a
 * search pipeline for each hybrid one.
 * @throws LsrError `invalid_argument` naming the template
 */
export function checkTemplates(templates: readonly QueryTemplate[], searchPipeline: unknown): void {
  if (templates.length === 0) throw new LsrError('invalid_argument', 'no query template to evaluate')
  const seen = new Set<string>()
  for (const template of templates) {
    if (seen.has(template.name)) throw new LsrError('invalid_argument', `query template name ${template.name} is given twice (each names a run)`)
    seen.add(template.name)
    if (template.hybrid && searchPipeline === undefined) {
      throw new LsrError('invalid_argument', `query template ${template.name} (${template.file}) is a hybrid query: it needs a search pipeline (--search-pipeline FILE) with a normalization-processor or score-ranker-processor to fuse its sub-queries`)
    }
  }
}

/**
 * Evaluates each template on one index of the dataset in `dir` (BEIR layout).
 * @param name - the dataset's name in the reports
 * @example
 * const { runs, comparisons } = await evaluateTemplates('scifact', dir, [bm25, neural, hybrid], {
 *   schema: { mappings }, pipeline: { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'emb' } } }] },
 *   models: new ModelRegistry('models'), searchPipeline,
 * })
 */
export async function evaluateTemplates(name: string, dir: string, templates: readonly QueryTemplate[], options: TemplateEvalOptions = {}): Promise<TemplateEvaluation> {
  checkTemplates(templates, options.searchPipeline)
  const split = options.split ?? 'test'
  const depth = options.depth ?? 1000
  const keepIdenticalIds = options.keepIdenticalIds ?? false
  const models = options.models ?? new ModelRegistry(undefined, options.runtime)
  const { qrels, queries } = await readJudgedQueries(dir, split)
  return withEvalIndex(dir, { ...options, models }, async (built) => {
    const runs: TemplateRun[] = []
    for (const template of templates) {
      const searchPipeline = options.searchPipeline
      const timed = await runTemplate(built.index, template, queries, { depth, keepIdenticalIds, searchPipeline, models })
      const settings = { file: template.file, query: template.json, ...(searchPipeline === undefined ? {} : { searchPipeline }) }
      const report = await reportOf({ dataset: name, run: template.name, split, depth, keepIdenticalIds, template: settings }, built, timed, qrels)
      runs.push({ report, run: timed.run })
    }
    return { runs, comparisons: compareWithFirst(runs.map((r) => r.report)) }
  })
}
