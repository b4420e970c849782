/**
 * One BEIR evaluation: build (or reuse) an index of the dataset's corpus, run every judged query,
 * score the run with trec_eval's metrics, and time both phases.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readQrels, readQueries, resolveCorpusFile } from '../corpus/beir.js'
import { readJsonl } from '../corpus/jsonl.js'
import type { EncoderConfig } from '../encode/encoder.js'
import type { EncoderRuntime } from '../encode/registry.js'
import { LsrError } from '../errors.js'
import { ingestCorpus, type IngestProgress } from '../engine/ingest.js'
import { SparseIndex } from '../engine/sparse-index.js'
import { evaluateRun, type MetricValues, type Run } from './metrics.js'

export interface EvaluateOptions {
  /** `test`, `dev` or `train`. @default 'test' */
  split?: string
  /** Hits retrieved per query. @default 1000 */
  depth?: number
  /** Encoder for a newly built index. @default bm25 with Anserini's k1/b */
  encoder?: EncoderConfig
  /** Encoder speed settings (threads, batch size). */
  runtime?: EncoderRuntime
  /** Reuse (or build and keep) the index here; otherwise a temporary index is built and removed. */
  indexDir?: string
  /** Keep hits whose id equals the query id (BEIR drops them by default). @default false */
  keepIdenticalIds?: boolean
  onIndexProgress?: (progress: IngestProgress) => void
}

/** Everything `lsr eval` reports for one dataset (`report.json`). */
export interface DatasetReport {
  dataset: string
  split: string
  settings: { encoder: EncoderConfig; depth: number; keepIdenticalIds: boolean; indexReused: boolean }
  counts: { documents: number; queries: number }
  timing: { indexBuildSeconds: number; queryP50Ms: number; queryP99Ms: number; queriesPerSecond: number }
  metrics: MetricValues
  perQuery: Record<string, MetricValues>
}

export interface DatasetEvaluation {
  report: DatasetReport
  run: Run
}

const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0

/** Evaluates the dataset in `dir` (BEIR layout). */
export async function evaluateDataset(name: string, dir: string, options: EvaluateOptions = {}): Promise<DatasetEvaluation> {
  const split = options.split ?? 'test'
  const depth = options.depth ?? 1000
  const qrels = await readQrels(join(dir, 'qrels', `${split}.tsv`)).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LsrError('not_found', `${dir}: no qrels/${split}.tsv`)
    throw error
  })
  const queries = (await readQueries(join(dir, 'queries.jsonl'))).filter((q) => qrels.has(q.id))

  const temporary = options.indexDir ? undefined : await mkdtemp(join(tmpdir(), 'lsr-eval-'))
  const indexDir = options.indexDir ?? temporary!
  try {
    const { index, buildSeconds, reused } = await openOrBuild(dir, indexDir, options)
    try {
      const run: Run = new Map()
      const times: number[] = []
      const started = performance.now()
      for (const query of queries) {
        const t = performance.now()
        const hits = index.searchIds(query.text, { k: depth })
        times.push(performance.now() - t)
        run.set(query.id, hits.filter((h) => options.keepIdenticalIds || h.id !== query.id).map((h) => ({ docId: h.id, score: h.score })))
      }
      const querySeconds = (performance.now() - started) / 1000
      times.sort((a, b) => a - b)
      const evaluation = evaluateRun(run, qrels)
      const report: DatasetReport = {
        dataset: name,
        split,
        settings: { encoder: index.meta.encoder!, depth, keepIdenticalIds: options.keepIdenticalIds ?? false, indexReused: reused },
        counts: { documents: (await index.stats()).documents, queries: evaluation.queries },
        timing: {
          indexBuildSeconds: buildSeconds,
          queryP50Ms: percentile(times, 50),
          queryP99Ms: percentile(times, 99),
          queriesPerSecond: queries.length / Math.max(querySeconds, 1e-9),
        },
        metrics: evaluation.mean,
        perQuery: Object.fromEntries(evaluation.perQuery),
      }
      return { report, run }
    } finally {
      await index.close()
    }
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true })
  }
}

async function openOrBuild(dataset: string, indexDir: string, options: EvaluateOptions) {
  const started = performance.now()
  const existing = await SparseIndex.open(indexDir, { encoder: options.encoder, runtime: options.runtime }).catch((error) => {
    if (error instanceof LsrError && error.code === 'not_found') return undefined
    throw error
  })
  if (existing) {
    await assertSameCorpus(existing, dataset).catch(async (error) => {
      await existing.close()
      throw error
    })
    if (!existing.meta.encoder) {
      await existing.close()
      throw new LsrError('invalid_argument', `${indexDir} has no encoder of title + text to evaluate (it holds mapped fields only)`)
    }
    return { index: existing, buildSeconds: 0, reused: true }
  }
  const index = await SparseIndex.open(indexDir, { create: true, encoder: options.encoder, runtime: options.runtime })
  await ingestCorpus(index, dataset, { onProgress: options.onIndexProgress })
  return { index, buildSeconds: (performance.now() - started) / 1000, reused: false }
}

/** An index is reused only if it holds exactly the corpus' document ids. */
async function assertSameCorpus(index: SparseIndex, dataset: string): Promise<void> {
  const file = await resolveCorpusFile(dataset)
  let count = 0
  for await (const record of readJsonl(file)) {
    const id = String((record as { value: { _id?: unknown } }).value?._id)
    count++
    if (!index.has(id)) throw new LsrError('invalid_argument', `${index.dir} was not built from ${file}: it lacks document ${id}`)
  }
  const { documents } = await index.stats()
  if (documents !== count) throw new LsrError('invalid_argument', `${index.dir} was not built from ${file}: ${documents} documents, the corpus has ${count}`)
}
