/**
 * An ingest pipeline (the body of a `PUT _ingest/pipeline/{id}`, in a JSON file) over a corpus
 * before it is indexed, for `lsr index --pipeline` and `lsr eval --pipeline`. The records go
 * through the pipeline in batches (so `sparse_encoding` encodes many texts per model call) into a
 * temporary JSONL file, which the ordinary ingest then reads: the index never sees a record the
 * pipeline did not finish. A record the pipeline fails stops the run with `file:line`, or with
 * `--skip-invalid` is counted and left out.
 * @module
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readJsonl } from '../../corpus/jsonl.js'
import type { NeuralRuntime } from '../../encode/neural/neural-encoder.js'
import { ModelRegistry } from '../../encode/neural/model-registry.js'
import { isObject, type Json } from '../json-shapes.js'
import { IngestPipeline } from './ingest-pipeline.js'
import { InvalidInputError, LsrError } from '../../errors.js'

/** A pipeline read from a file, with the models it encodes with. */
export interface PipelineFile {
  pipeline: IngestPipeline
  models: ModelRegistry
}

/**
 * Reads and checks a pipeline file (its models loaded), before anything is indexed.
 * @param modelsDir - where its `model_id`s are folders
 * @throws LsrError naming the file: not JSON, a bad definition, an unknown model
 */
export async function readPipelineFile(file: string, modelsDir: string, runtime: NeuralRuntime): Promise<PipelineFile> {
  let definition: unknown
  try {
    definition = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    throw new LsrError('invalid_input', `${file}: not valid JSON (${error.message})`)
  }
  const models = new ModelRegistry(modelsDir, runtime)
  try {
    return { pipeline: await IngestPipeline.create(definition, models), models }
  } catch (error) {
    if (!(error instanceof LsrError)) throw error
    throw new LsrError(error.code, `${file}: ${error.message}`, { cause: error })
  }
}

/** The corpus after the pipeline: a temporary file to ingest, then to remove. */
export interface PipelinedCorpus {
  file: string
  /** Records the pipeline processed. */
  processed: number
  /** Records left out (malformed lines and pipeline failures, with `skipInvalid`). */
  skipped: number
  remove(): Promise<void>
}

export interface PipelineRunOptions {
  /** Records per pipeline run. */
  batchSize: number
  /** The record field holding the id (`{{_id}}` in templates). */
  idField: string
  skipInvalid?: boolean
}

/**
 * Runs the pipeline over every record of a JSONL corpus, batch by batch, into a temporary file.
 * @throws InvalidInputError `file:line: reason` for a record the pipeline fails (unless `skipInvalid`)
 */
export async function runPipelineOverCorpus(input: string, { pipeline, models }: PipelineFile, options: PipelineRunOptions): Promise<PipelinedCorpus> {
  const dir = await mkdtemp(join(tmpdir(), 'lsr-pipeline-'))
  const file = join(dir, 'corpus.jsonl')
  const remove = () => rm(dir, { recursive: true, force: true })
  const out = createWriteStream(file)
  const result = { file, processed: 0, skipped: 0, remove }
  let batch: Array<{ line: number; record: Json }> = []

  const flush = async () => {
    const results = await pipeline.run(batch.map(({ record }) => record), models, { meta: batch.map(({ record }) => ({ id: idOf(record, options.idField) })) })
    let text = ''
    results.forEach((outcome, i) => {
      if (outcome.error) {
        if (!options.skipInvalid) throw new InvalidInputError(`${input}:${batch[i].line}: the pipeline failed: ${outcome.error.message}`, batch[i].line)
        result.skipped++
      } else {
        text += `${JSON.stringify(outcome.source)}\n`
        result.processed++
      }
    })
    batch = []
    if (!out.write(text)) await once(out, 'drain')
  }

  try {
    for await (const record of readJsonl(input, { skipInvalid: options.skipInvalid })) {
      if (!('value' in record) || !isObject(record.value)) {
        // Not a JSON object: the ingest that follows would refuse it; here it is left out or stopped on.
        if (!options.skipInvalid) throw new InvalidInputError(`${input}:${record.line}: record is not a JSON object`, record.line)
        result.skipped++
        continue
      }
      batch.push({ line: record.line, record: record.value })
      if (batch.length >= options.batchSize) await flush()
    }
    if (batch.length > 0) await flush()
    out.end()
    await once(out, 'close')
    return result
  } catch (error) {
    out.destroy()
    await remove()
    throw error
  }
}

function idOf(record: Json, field: string): string | undefined {
  const id = record[field]
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined
}
