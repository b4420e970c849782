/**
 * The index an evaluation searches: one kept in `indexDir` (reused when it holds exactly the
 * dataset's corpus, else built there), or a temporary one built for the evaluation and removed
 * after it. A new index is built from the corpus with an encoder of title + text, or with mapped
 * fields (`schema`), optionally through an ingest pipeline (run over the corpus first, as
 * `lsr index --pipeline` does).
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveCorpusFile } from '../corpus/beir.js'
import { readJsonl } from '../corpus/jsonl.js'
import type { EncoderConfig } from '../encode/encoder.js'
import { ModelRegistry } from '../encode/neural/model-registry.js'
import type { EncoderRuntime } from '../encode/registry.js'
import { ingestCorpus, ingestThreadsFrom, type IngestProgress } from '../engine/ingest.js'
import { IngestPipeline } from '../engine/pipelines/ingest-pipeline.js'
import { SparseIndex } from '../engine/sparse-index.js'
import { LsrError } from '../errors.js'
import type { StoredSchema } from '../storage/format.js'
import { runPipelineOverCorpus } from '../engine/pipelines/pipeline-corpus.js'

/** Records per ingest pipeline run: `sparse_encoding` encodes their texts together. */
const PIPELINE_BATCH = 256

/** How the evaluated index is found or built. */
export interface EvalIndexOptions {
  /**
   * Encoder of title + text for a new index; null: none (title and text are mapped text fields).
   * @default bm25 with Anserini's k1/b; none when `schema` is given
   */
  encoder?: EncoderConfig | null
  /** Encoder and model speed settings (threads, batch size). */
  runtime?: EncoderRuntime
  /** Mappings (and analysis, similarity) of a new index. @default dynamic mapping */
  schema?: StoredSchema
  /** An ingest pipeline definition every corpus record goes through when the index is built. */
  pipeline?: unknown
  /** Where the pipeline's `sparse_encoding` and the queries' `neural_sparse` find models by id. */
  models?: ModelRegistry
  /** Reuse (or build and keep) the index here; otherwise a temporary index is built and removed. */
  indexDir?: string
  onIndexProgress?: (progress: IngestProgress) => void
}

/** The index an evaluation runs on. */
export interface EvalIndex {
  index: SparseIndex
  /** 0 for a reused index. */
  buildSeconds: number
  reused: boolean
}

/**
 * Opens or builds the dataset's index, gives it to `use`, then closes it (and removes it when temporary).
 * @throws LsrError `invalid_argument` when a reused index holds another corpus, or when `schema`
 *   or `pipeline` is given for an index that already exists (they apply only when it is built)
 */
export async function withEvalIndex<T>(dataset: string, options: EvalIndexOptions, use: (built: EvalIndex) => Promise<T>): Promise<T> {
  // A bad pipeline or an unknown model must fail before anything is built.
  const models = options.models ?? new ModelRegistry(undefined, options.runtime)
  const pipeline = options.pipeline === undefined ? undefined : await IngestPipeline.create(options.pipeline, models)
  const temporary = options.indexDir ? undefined : await mkdtemp(join(tmpdir(), 'lsr-eval-'))
  const indexDir = options.indexDir ?? temporary!
  try {
    const built = (await reuse(dataset, indexDir, options)) ?? (await build(dataset, indexDir, options, pipeline, models))
    try {
      return await use(built)
    } finally {
      await built.index.close()
    }
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true })
  }
}

async function reuse(dataset: string, indexDir: string, options: EvalIndexOptions): Promise<EvalIndex | undefined> {
  const index = await SparseIndex.open(indexDir, { encoder: options.encoder ?? undefined, runtime: options.runtime }).catch((error) => {
    if (error instanceof LsrError && error.code === 'not_found') return undefined
    throw error
  })
  if (!index) return undefined
  try {
    if (options.schema || options.pipeline !== undefined) {
      throw new LsrError('invalid_argument', `${indexDir} already holds an index: a mapping and an ingest pipeline apply only when the index is built (reuse it without them, or build a new one)`)
    }
    await assertSameCorpus(index, dataset)
  } catch (error) {
    await index.close()
    throw error
  }
  return { index, buildSeconds: 0, reused: true }
}

async function build(dataset: string, indexDir: string, options: EvalIndexOptions, pipeline: IngestPipeline | undefined, models: ModelRegistry): Promise<EvalIndex> {
  const started = performance.now()
  // The pipeline runs before the index is created: a record it fails leaves no index behind.
  const pipelined = pipeline && (await runPipelineOverCorpus(await resolveCorpusFile(dataset), { pipeline, models }, { batchSize: PIPELINE_BATCH, idField: '_id' }))
  try {
    // A mapping describes the documents' fields, as `lsr index --mapping` does: no encoder unless one is asked for.
    const encoder = options.encoder === undefined && options.schema ? null : options.encoder
    const index = await SparseIndex.open(indexDir, { create: true, encoder, runtime: options.runtime, schema: options.schema })
    await ingestCorpus(index, pipelined?.file ?? dataset, { threads: ingestThreadsFrom(index, options.runtime?.threads), onProgress: options.onIndexProgress }).catch(async (error: unknown) => {
      await index.close()
      throw error
    })
    return { index, buildSeconds: (performance.now() - started) / 1000, reused: false }
  } finally {
    await pipelined?.remove()
  }
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
