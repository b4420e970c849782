/**
 * `lsr eval`: BEIR-style evaluation of one or more datasets, `--compare` of two reports, runs of
 * query templates over one index (`--query-template NAME=FILE`, with `--mapping`, `--pipeline`,
 * `--search-pipeline`), and `--tune` of a hybrid query's fusion on the train split.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { ModelRegistry } from '../../encode/neural/model-registry.js'
import { parseSearchPipeline } from '../../engine/hybrid/search-pipeline.js'
import { LsrError } from '../../errors.js'
import { resolveDataset, type ResolvedDataset } from '../../eval/dataset.js'
import type { EvalIndexOptions } from '../../eval/eval-index.js'
import { evaluateDataset, type DatasetReport } from '../../eval/evaluate.js'
import { parseTemplateFlag, readQueryTemplate } from '../../eval/query-template.js'
import { compareReports, formatComparison, formatReportTable, formatRunTable, readReports } from '../../eval/report.js'
import { writeRunOutput } from '../../eval/run-output.js'
import { evaluateTemplates } from '../../eval/template-eval.js'
import { formatTuneResult } from '../../eval/tune-report.js'
import { tuneFusion } from '../../eval/tune.js'
import { addEncoderOptions, encoderRuntime, requestedEncoder, type EncoderFlags } from '../encoder-options.js'
import { parsePositiveInt } from '../format.js'
import { checkNewSchema, readMappingFile } from '../mapping-file.js'
import { readPipelineFile } from '../../engine/pipelines/pipeline-corpus.js'
import { ingestProgressBar } from '../progress.js'
import { Upstream } from '../../server/upstream.js'
import { evaluateUpstream } from '../../eval/upstream-eval.js'
import { addUpstreamOptions, defaultModelsFrom, upstreamFrom, type UpstreamFlags } from '../upstream-options.js'

interface EvalFlags extends EncoderFlags, UpstreamFlags {
  split: string
  cache: string
  baseUrl?: string
  index?: string
  depth: number
  out?: string
  keepIdenticalIds?: boolean
  compare?: boolean
  json?: boolean
  queryTemplate: string[]
  mapping?: string
  pipeline?: string
  models: string
  searchPipeline?: string
  tune?: boolean
  name?: string
}

/** Flags that only query template runs take. */
const TEMPLATE_FLAGS: ReadonlyArray<[keyof EvalFlags, string]> = [['mapping', '--mapping'], ['pipeline', '--pipeline'], ['searchPipeline', '--search-pipeline'], ['tune', '--tune']]

export function registerEvalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description('evaluate on BEIR datasets (folders or names such as scifact, nfcorpus) with trec_eval-exact metrics')
    .argument('<datasets...>', 'dataset folders or BEIR names; with --compare, two report.json files or --out folders')
    .option('--split <split>', 'qrels split: test | dev | train', 'test')
    .option('--cache <dir>', 'download cache for BEIR names', 'index-data/beir')
    .option('--base-url <url>', 'where BEIR names are downloaded from (default: BEIR\'s public URL)')
    .option('--index <dir>', 'reuse this index (checked to hold the same corpus), or build it here and keep it')
  addEncoderOptions(command, { allowNone: true })
    .option('--depth <n>', 'hits retrieved per query', parsePositiveInt('--depth'), 1000)
    .option('--out <dir>', 'write report.json and run.trec here (a sub-folder per dataset, or per query template, when several)')
    .option('--keep-identical-ids', 'keep hits whose id equals the query id (BEIR drops them)')
    .option('--compare', 'compare two reports: per-dataset nDCG@10 difference and paired randomization test')
    .option('--json', 'print the report(s) as JSON instead of a table')
    .option('--query-template <name=file>', 'a run of a JSON query DSL file whose "{{query}}" placeholders take each query\'s text (repeat for several runs over one index: one table, each run tested against the first)', (value: string, all: string[]) => [...all, value], [])
    .option('--mapping <file>', 'query templates: JSON mappings of the index built (as lsr index --mapping; then no encoder unless --encoder)')
    .option('--pipeline <file>', 'query templates: an ingest pipeline (JSON) every corpus record goes through when the index is built')
    .option('--models <dir>', 'query templates: folder of the models that --pipeline sparse_encoding and neural_sparse model_id name', 'index-data/models')
    .option('--search-pipeline <file>', 'query templates: a search pipeline (JSON) every search runs with; a hybrid template needs one to fuse its sub-queries')
    .option('--tune', 'with one hybrid --query-template: sweep its fusion (weights, normalization x combination, rrf) on the train split, then report the best on --split')
    .option('--name <index>', 'with --upstream: the cluster\'s index (or alias) to evaluate')
  addUpstreamOptions(command, 'evaluate the index --name of this OpenSearch/Elasticsearch cluster with the --query-template runs (nothing is built here)')
    .action(async (datasets: string[], flags: EvalFlags) => {
      if (flags.compare) return compare(datasets)
      const upstream = upstreamFrom(flags)
      if (upstream) return evaluateOnUpstream(datasets, flags, upstream)
      if (flags.name !== undefined) throw new LsrError('invalid_argument', '--name names the index of an --upstream cluster')
      if (flags.index && datasets.length > 1) throw new LsrError('invalid_argument', '--index works with one dataset at a time')
      if (flags.queryTemplate.length > 0) return evaluateQueryTemplates(datasets, flags)
      const unused = TEMPLATE_FLAGS.find(([flag]) => flags[flag] !== undefined)
      if (unused) throw new LsrError('invalid_argument', `${unused[1]} applies to runs of query templates: add --query-template NAME=FILE`)
      const encoder = requestedEncoder(flags)
      if (encoder === null) throw new LsrError('invalid_argument', 'lsr eval ranks by the encoder of title + text: --encoder bm25 | neural (or evaluate mapped fields with --query-template)')
      const reports: DatasetReport[] = []
      for (const spec of datasets) {
        const dataset = await resolve(spec, flags)
        const progress = ingestProgressBar()
        const { report, run } = await evaluateDataset(dataset.name, dataset.dir, {
          split: flags.split,
          depth: flags.depth,
          encoder,
          runtime: encoderRuntime(flags),
          indexDir: flags.index,
          keepIdenticalIds: flags.keepIdenticalIds,
          onIndexProgress: progress.onProgress,
        }).finally(() => progress.stop())
        reports.push(report)
        if (flags.out) await writeRunOutput(datasets.length > 1 ? join(flags.out, dataset.name) : flags.out, report, run)
      }
      console.log(flags.json ? JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) : formatReportTable(reports))
    })
}

/** `--query-template` runs (one table), or `--tune` of one hybrid template. */
async function evaluateQueryTemplates(datasets: string[], flags: EvalFlags): Promise<void> {
  if (datasets.length > 1) throw new LsrError('invalid_argument', '--query-template works with one dataset at a time')
  if (flags.tune && flags.queryTemplate.length !== 1) throw new LsrError('invalid_argument', `--tune takes one --query-template (a hybrid query), got ${flags.queryTemplate.length}`)
  const templates = await Promise.all(flags.queryTemplate.map(parseTemplateFlag).map(({ name, file }) => readQueryTemplate(name, file)))
  const options = { ...(await indexOptions(flags)), split: flags.split, depth: flags.depth, keepIdenticalIds: flags.keepIdenticalIds, searchPipeline: await searchPipelineFile(flags.searchPipeline) }
  const dataset = await resolve(datasets[0], flags)
  const progress = ingestProgressBar()
  try {
    if (flags.tune) {
      const result = await tuneFusion(dataset.name, dataset.dir, templates[0], { ...options, onIndexProgress: progress.onProgress })
      progress.stop()
      if (flags.out) {
        await writeRunOutput(join(flags.out, result.test.untuned.run!), result.test.untuned, result.runs.untuned)
        await writeRunOutput(join(flags.out, result.test.tuned.run!), result.test.tuned, result.runs.tuned)
      }
      const { runs: _runs, ...printed } = result
      if (flags.out) await writeFile(join(flags.out, 'tune.json'), `${JSON.stringify(printed, null, 2)}\n`)
      console.log(flags.json ? JSON.stringify(printed, null, 2) : formatTuneResult(result))
      return
    }
    const { runs, comparisons } = await evaluateTemplates(dataset.name, dataset.dir, templates, { ...options, onIndexProgress: progress.onProgress })
    progress.stop()
    if (flags.out) for (const { report, run } of runs) await writeRunOutput(join(flags.out, report.run!), report, run)
    const reports = runs.map((r) => r.report)
    console.log(flags.json ? JSON.stringify({ runs: reports, comparisons }, null, 2) : formatRunTable(reports, comparisons))
  } finally {
    progress.stop()
  }
}

/** Flags that build or pick a local index: nothing is built with --upstream. */
const LOCAL_INDEX_FLAGS: ReadonlyArray<[keyof EvalFlags, string]> = [['index', '--index'], ['mapping', '--mapping'], ['pipeline', '--pipeline'], ['tune', '--tune'], ['encoder', '--encoder'], ['model', '--model']]

/** `--upstream URL --name NAME`: the template runs against the cluster's index. */
async function evaluateOnUpstream(datasets: string[], flags: EvalFlags, options: NonNullable<ReturnType<typeof upstreamFrom>>): Promise<void> {
  const local = LOCAL_INDEX_FLAGS.find(([flag]) => flags[flag] !== undefined)
  if (local) throw new LsrError('invalid_argument', `${local[1]} does not apply with --upstream: the cluster's index --name is evaluated as it is`)
  if (flags.name === undefined || flags.name === '') throw new LsrError('invalid_argument', '--upstream needs --name INDEX: the cluster\'s index to evaluate')
  if (flags.queryTemplate.length === 0) throw new LsrError('invalid_argument', '--upstream evaluates query templates (the cluster has no lsr encoder): add --query-template NAME=FILE, such as {"match": {"text": "{{query}}"}}')
  if (datasets.length > 1) throw new LsrError('invalid_argument', '--upstream works with one dataset at a time')
  const templates = await Promise.all(flags.queryTemplate.map(parseTemplateFlag).map(({ name, file }) => readQueryTemplate(name, file)))
  const searchPipeline = await searchPipelineFile(flags.searchPipeline)
  const defaultModels = defaultModelsFrom(flags.upstreamModel)
  const dataset = await resolve(datasets[0], flags)
  const upstream = new Upstream(options)
  try {
    const { runs, comparisons } = await evaluateUpstream(dataset.name, dataset.dir, templates, {
      upstream, index: flags.name, models: new ModelRegistry(flags.models, encoderRuntime(flags)), defaultModels,
      split: flags.split, depth: flags.depth, keepIdenticalIds: flags.keepIdenticalIds, searchPipeline,
    })
    if (flags.out) for (const { report, run } of runs) await writeRunOutput(join(flags.out, report.run!), report, run)
    const reports = runs.map((r) => r.report)
    console.log(flags.json ? JSON.stringify({ runs: reports, comparisons }, null, 2) : formatRunTable(reports, comparisons))
  } finally {
    upstream.close()
  }
}

/** The index flags of template runs, each file checked (and named in its errors) before anything is built. */
async function indexOptions(flags: EvalFlags): Promise<EvalIndexOptions> {
  const encoder = requestedEncoder(flags)
  const schema = flags.mapping === undefined ? undefined : await readMappingFile(flags.mapping)
  if (schema) checkNewSchema(flags.mapping!, schema, encoder === undefined || encoder === null ? undefined : encoder.name)
  const runtime = encoderRuntime(flags)
  // The pipeline's registry (its models loaded) serves the templates' neural_sparse too.
  const read = flags.pipeline === undefined ? undefined : await readPipelineFile(flags.pipeline, flags.models, runtime)
  return { encoder, schema, pipeline: read?.pipeline.definition, models: read?.models ?? new ModelRegistry(flags.models, runtime), runtime, indexDir: flags.index }
}

/** A search pipeline file, checked before anything is built; any error names the file. */
async function searchPipelineFile(file: string | undefined): Promise<unknown> {
  if (file === undefined) return undefined
  const text = await readFile(file, 'utf8')
  try {
    const json: unknown = JSON.parse(text)
    parseSearchPipeline(json)
    return json
  } catch (error) {
    const code = error instanceof LsrError && error.code !== 'invalid_argument' ? error.code : 'invalid_input'
    throw new LsrError(code, `${file}: ${(error as Error).message}`, { cause: error })
  }
}

async function resolve(spec: string, flags: EvalFlags): Promise<ResolvedDataset> {
  return resolveDataset(spec, { cacheDir: flags.cache, baseUrl: flags.baseUrl, onDownload: downloadBar(spec) })
}

async function compare(paths: string[]): Promise<void> {
  if (paths.length !== 2) throw new LsrError('invalid_argument', '--compare takes exactly two reports (report.json files or --out folders)')
  const comparisons = compareReports(await readReports(paths[0]), await readReports(paths[1]))
  if (comparisons.length === 0) throw new LsrError('invalid_argument', 'the two reports share no dataset')
  console.log(`A = ${paths[0]}\nB = ${paths[1]}\n${formatComparison(comparisons)}`)
}

/** A download bar on a terminal, nothing elsewhere. */
function downloadBar(name: string): ((received: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  let bar: cliProgress.SingleBar | undefined
  return (received, total) => {
    if (!bar) {
      bar = new cliProgress.SingleBar({ format: `downloading ${name} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta_formatted}`, stream: process.stderr }, cliProgress.Presets.shades_classic)
      bar.start(total || received, 0)
    }
    bar.update(received)
    if (total && received >= total) bar.stop()
  }
}
