/**
 * `lsr eval --tune`: chooses a hybrid query's fusion on the train split and reports it on the
 * test split. The settings of fusion-grid.ts are each scored by train nDCG@10 from sub-query
 * lists searched once (fusion-sweep.ts); the best (the first of equals, in the grid's order)
 * then runs on the test split beside the given, untuned search pipeline, with the paired
 * randomization test between the two.
 * @module
 */
import { ModelRegistry } from '../encode/neural/model-registry.js'
import { hybridOf } from '../engine/hybrid/hybrid-query.js'
import type { Json } from '../engine/json-shapes.js'
import { LsrError } from '../errors.js'
import { withEvalIndex, type EvalIndex } from './eval-index.js'
import { reportOf, type DatasetReport } from './evaluate.js'
import { fusionGrid, WEIGHT_DIVISIONS, withPhaseResultsProcessor } from './fusion-grid.js'
import { collectSubQueryLists, fusedNdcg } from './fusion-sweep.js'
import { readJudgedQueries, type JudgedQueries } from './judged-queries.js'
import type { Run } from './metrics.js'
import { instantiate, type QueryTemplate } from './query-template.js'
import { compareReports, type Comparison } from './report.js'
import { checkTemplates, type TemplateEvalOptions } from './template-eval.js'
import { prepareTemplate, runTemplate } from './template-search.js'

/** Options of {@link tuneFusion}: `split` is the split the chosen fusion is reported on. */
export interface TuneOptions extends TemplateEvalOptions {
  /** The split the fusion is chosen on. @default 'train' */
  trainSplit?: string
}

/** One swept setting and its score. */
export interface ScoredFusion {
  label: string
  /** Its phase-results processor. */
  processor: Json
  trainNdcg10: number
}

/** What {@link tuneFusion} found. */
export interface TuneResult {
  dataset: string
  template: string
  trainSplit: string
  trainQueries: number
  /** The weight grid: sub-queries and its step (1/n). */
  grid: { subQueries: number; weightStep: number; settings: number }
  /** Every setting, in the sweep's order. */
  candidates: ScoredFusion[]
  /** The chosen setting, with the whole search pipeline it makes. */
  best: ScoredFusion & { searchPipeline: Json }
  /** The given search pipeline's train nDCG@10. */
  untunedTrainNdcg10: number
  /** Wall time: the sub-queries searched once, every setting fused and scored, and both together. */
  timing: { subQuerySeconds: number; fusionSeconds: number; sweepSeconds: number }
  /** The test split: the given pipeline (run `<template>`), the chosen one (`<template>-tuned`), and the tuned against the untuned. */
  test: { untuned: DatasetReport; tuned: DatasetReport; comparison: Comparison }
  runs: { untuned: Run; tuned: Run }
}

/**
 * Sweeps the fusion of a hybrid template on the train split, then evaluates the best on the test split.
 * @throws LsrError `invalid_argument` when the template is not a hybrid query or has no search
 *   pipeline; `not_found` naming qrels/train.tsv when the dataset has no train split
 * @example const result = await tuneFusion('scifact', dir, hybrid, { schema, pipeline, models, searchPipeline })
 */
export async function tuneFusion(name: string, dir: string, template: QueryTemplate, options: TuneOptions = {}): Promise<TuneResult> {
  if (!template.hybrid) throw new LsrError('invalid_argument', `--tune sweeps the fusion of a hybrid query: query template ${template.name} (${template.file}) is not one`)
  checkTemplates([template], options.searchPipeline)
  const depth = options.depth ?? 1000
  const keepIdenticalIds = options.keepIdenticalIds ?? false
  const models = options.models ?? new ModelRegistry(undefined, options.runtime)
  const train = await readJudgedQueries(dir, options.trainSplit ?? 'train')
  const test = await readJudgedQueries(dir, options.split ?? 'test')
  return withEvalIndex(dir, { ...options, models }, async (built) => {
    const sweep = await sweepFusions(built, template, train, { ...options, depth, keepIdenticalIds, models })
    const searchPipeline = withPhaseResultsProcessor(options.searchPipeline, sweep.best.processor)
    const evaluate = async (run: string, pipeline: unknown) => {
      const timed = await runTemplate(built.index, template, test.queries, { depth, keepIdenticalIds, searchPipeline: pipeline, models })
      const settings = { file: template.file, query: template.json, searchPipeline: pipeline }
      return { report: await reportOf({ dataset: name, run, split: test.split, depth, keepIdenticalIds, template: settings }, built, timed, test.qrels), run: timed.run }
    }
    const untuned = await evaluate(template.name, options.searchPipeline)
    const tuned = await evaluate(`${template.name}-tuned`, searchPipeline)
    return {
      dataset: name,
      template: template.name,
      trainSplit: train.split,
      trainQueries: train.queries.length,
      ...sweep,
      best: { ...sweep.best, searchPipeline },
      test: { untuned: untuned.report, tuned: tuned.report, comparison: compareReports([untuned.report], [tuned.report])[0] },
      runs: { untuned: untuned.run, tuned: tuned.run },
    }
  })
}

type SweepOptions = Required<Pick<TuneOptions, 'depth' | 'keepIdenticalIds' | 'models'>> & Pick<TuneOptions, 'searchPipeline'>

/** Scores every setting of the grid, and the given pipeline's own fusion, on the train split. */
async function sweepFusions(built: EvalIndex, template: QueryTemplate, train: JudgedQueries, options: SweepOptions) {
  const { depth, keepIdenticalIds } = options
  const prepared = await prepareTemplate(template, options.searchPipeline, options.models)
  if (!prepared.pipeline?.fusion) throw new LsrError('invalid_argument', `the search pipeline of query template ${template.name} has no normalization-processor or score-ranker-processor to tune`)
  const subQueries = hybridOf(instantiate(template, ''))!.queries.length
  const grid = fusionGrid(subQueries)
  const started = performance.now()
  const reader = built.index.reader()
  try {
    const collected = collectSubQueryLists(reader, template, train.queries, depth, prepared)
    const searched = performance.now()
    const score = (fusion: Parameters<typeof fusedNdcg>[2]) => fusedNdcg(reader, collected, fusion, train.qrels, depth, keepIdenticalIds)
    const candidates = grid.map(({ label, processor, fusion }): ScoredFusion => ({ label, processor, trainNdcg10: score(fusion) }))
    const finished = performance.now()
    // Strictly greater: of equal scores, the first in the grid's order stays.
    const best = candidates.reduce((a, b) => (b.trainNdcg10 > a.trainNdcg10 ? b : a))
    return {
      grid: { subQueries, weightStep: 1 / WEIGHT_DIVISIONS[subQueries], settings: grid.length },
      candidates,
      best,
      untunedTrainNdcg10: score(prepared.pipeline.fusion),
      timing: { subQuerySeconds: (searched - started) / 1000, fusionSeconds: (finished - searched) / 1000, sweepSeconds: (finished - started) / 1000 },
    }
  } finally {
    reader.release()
  }
}
