/**
 * One BEIR evaluation: build (or reuse) an index of the dataset's corpus, run every judged query,
 * score the run with trec_eval's metrics, and time both phases.
 * @module
 */
import type { Qrels } from '../corpus/beir.js'
import type { EncoderConfig } from '../encode/encoder.js'
import { LsrError } from '../errors.js'
import { withEvalIndex, type EvalIndex, type EvalIndexOptions } from './eval-index.js'
import { readJudgedQueries } from './judged-queries.js'
import { evaluateRun, type MetricValues, type Run } from './metrics.js'
import { runQueries, type TimedRun } from './query-run.js'

export interface EvaluateOptions extends Omit<EvalIndexOptions, 'encoder' | 'schema' | 'pipeline'> {
  /** `test`, `dev` or `train`. @default 'test' */
  split?: string
  /** Hits retrieved per query. @default 1000 */
  depth?: number
  /** Encoder for a newly built index. @default bm25 with Anserini's k1/b */
  encoder?: EncoderConfig
  /** Keep hits whose id equals the query id (BEIR drops them by default). @default false */
  keepIdenticalIds?: boolean
}

/** How a run of a query template searched (see query-template.ts). */
export interface TemplateSettings {
  /** The template file. */
  file: string
  /** The template as written, `{{query}}` placeholders in place. */
  query: unknown
  /** The search pipeline its searches ran with, when any. */
  searchPipeline?: unknown
}

/** Everything `lsr eval` reports for one dataset and one run (`report.json`). */
export interface DatasetReport {
  dataset: string
  /** The run's name (its query template's); absent for the run of the index's encoder. */
  run?: string
  split: string
  settings: {
    /** The encoder of title + text; null for an index of mapped fields only. */
    encoder: EncoderConfig | null
    depth: number
    keepIdenticalIds: boolean
    indexReused: boolean
    /** The query template of the run, when it has one. */
    template?: TemplateSettings
    /** The cluster whose index was searched (`lsr eval --upstream`; its URL without credentials). */
    upstream?: { url: string; flavor: string; index: string }
  }
  counts: { documents: number; queries: number }
  timing: { indexBuildSeconds: number; queryP50Ms: number; queryP99Ms: number; queriesPerSecond: number }
  metrics: MetricValues
  perQuery: Record<string, MetricValues>
}

export interface DatasetEvaluation {
  report: DatasetReport
  run: Run
}

/** What a report says of a run besides its metrics and timing. */
export interface RunDescription {
  dataset: string
  run?: string
  split: string
  depth: number
  keepIdenticalIds: boolean
  template?: TemplateSettings
}

/**
 * Scores a timed run against the split's judgments and describes it as a report.
 * @example const report = await reportOf({ dataset: 'scifact', split: 'test', depth: 1000, keepIdenticalIds: false }, built, timed, qrels)
 */
export async function reportOf(description: RunDescription, { index, buildSeconds, reused }: EvalIndex, { run, timing }: TimedRun, qrels: Qrels): Promise<DatasetReport> {
  const { dataset, run: name, split, depth, keepIdenticalIds, template } = description
  const evaluation = evaluateRun(run, qrels)
  return {
    dataset,
    ...(name === undefined ? {} : { run: name }),
    split,
    settings: { encoder: index.meta.encoder ?? null, depth, keepIdenticalIds, indexReused: reused, ...(template ? { template } : {}) },
    counts: { documents: (await index.stats()).documents, queries: evaluation.queries },
    timing: { indexBuildSeconds: buildSeconds, ...timing },
    metrics: evaluation.mean,
    perQuery: Object.fromEntries(evaluation.perQuery),
  }
}

/** Evaluates the dataset in `dir` (BEIR layout) by the index's encoder of title + text. */
export async function evaluateDataset(name: string, dir: string, options: EvaluateOptions = {}): Promise<DatasetEvaluation> {
  const split = options.split ?? 'test'
  const depth = options.depth ?? 1000
  const keepIdenticalIds = options.keepIdenticalIds ?? false
  const { qrels, queries } = await readJudgedQueries(dir, split)
  return withEvalIndex(dir, options, async (built) => {
    if (!built.index.meta.encoder) {
      throw new LsrError('invalid_argument', `${built.index.dir} has no encoder of title + text to evaluate (it holds mapped fields only: evaluate it with query templates)`)
    }
    const timed = runQueries(queries, (query) => built.index.searchIds(query.text, { k: depth }), keepIdenticalIds)
    return { report: await reportOf({ dataset: name, split, depth, keepIdenticalIds }, built, timed, qrels), run: timed.run }
  })
}
