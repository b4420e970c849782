/**
 * Ingest pipelines as Elasticsearch and OpenSearch define them (`PUT _ingest/pipeline/{id}`):
 * `description`, `version` and a list of `processors`, run in order over each document's source
 * before it is indexed. lsr runs `set`, `remove`, `rename`, `lowercase` and OpenSearch's
 * `sparse_encoding`; anything else (another processor, an option lsr does not honour, a
 * pipeline-level `on_failure`) is refused by its path (`[processors][0][set][foo]`), never
 * accepted and ignored.
 *
 * A pipeline runs over a batch of documents: each processor over all documents still going, so
 * that `sparse_encoding` encodes the texts of many documents together. A document's failure
 * (a missing field, a text that is not one) is its own, as a bulk item's.
 *
 * @example
 * const pipeline = await IngestPipeline.create({ processors: [{ sparse_encoding: { model_id: 'doc-v3', field_map: { text: 'embedding' } } }] }, models)
 * const [result] = await pipeline.run([{ text: 'hello' }], models)
 * @module
 */
import type { ModelRegistry } from '../../encode/neural/model-registry.js'
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'
import { typeName } from './document-paths.js'
import { lowercaseProcessor, removeProcessor, renameProcessor, setProcessor } from './field-processors.js'
import { ProcessorOptions } from './options.js'
import { withCommonOptions, type IngestDocument, type Processor, type ProcessorFactory } from './processor.js'
import { sparseEncodingProcessor } from './sparse-encoding.js'

// A Map: processor names come from clients ("__proto__" and "toString" are not processors).
const PROCESSORS = new Map<string, ProcessorFactory>([
  ['set', setProcessor],
  ['remove', removeProcessor],
  ['rename', renameProcessor],
  ['lowercase', lowercaseProcessor],
  ['sparse_encoding', sparseEncodingProcessor],
])

/** Names of the processors lsr runs. */
export const PROCESSOR_NAMES: readonly string[] = [...PROCESSORS.keys()]

/** Keys of a pipeline definition lsr takes. */
const DEFINITION_KEYS = ['description', 'processors', 'version']

/** One document's outcome of a pipeline: its new source, or why it failed. */
export type IngestResult = { source: Json; error?: undefined } | { error: Error; source?: undefined }

/** What a run knows of the documents besides their sources (for `{{_index}}`, `{{_id}}` templates). */
export interface RunOptions {
  /** Per document, in order. */
  meta?: ReadonlyArray<{ index?: string; id?: string }>
  /** The time the documents are ingested (`_ingest.timestamp`). @default now */
  now?: Date
}

const invalid = (message: string) => new LsrError('invalid_argument', message)

export class IngestPipeline {
  private constructor(
    /** The definition as given (what `GET _ingest/pipeline` shows). */
    readonly definition: Json,
    private readonly processors: readonly Processor[],
  ) {}

  /**
   * Parses a definition (no model is checked: see {@link create}).
   * @throws LsrError `invalid_argument` naming the first unknown or malformed key by its path
   */
  static parse(definition: unknown): IngestPipeline {
    if (!isObject(definition)) throw invalid(`a pipeline definition must be a JSON object, got ${typeName(definition)}`)
    for (const key of Object.keys(definition)) {
      if (key === 'on_failure') throw invalid('[on_failure] is not supported by lsr: a failing document fails')
      if (!DEFINITION_KEYS.includes(key)) throw invalid(`[${key}] is not a pipeline option (options: ${DEFINITION_KEYS.join(', ')})`)
    }
    const { description, version, processors } = definition
    if (description !== undefined && description !== null && typeof description !== 'string') throw invalid(`[description] must be a string, got ${typeName(description)}`)
    if (version !== undefined && version !== null && !Number.isSafeInteger(version)) throw invalid(`[version] must be an integer, got ${JSON.stringify(version)}`)
    if (processors === undefined || processors === null) throw invalid('[processors] required property is missing')
    if (!Array.isArray(processors)) throw invalid(`[processors] must be a list, got ${typeName(processors)}`)
    return new IngestPipeline(definition, processors.map((entry, i) => parseProcessor(entry, `[processors][${i}]`)))
  }

  /**
   * Parses a definition and checks that every model it names can encode documents (loading it).
   * @throws LsrError `invalid_argument` for a bad definition or an unknown model
   */
  static async create(definition: unknown, models: ModelRegistry): Promise<IngestPipeline> {
    const pipeline = IngestPipeline.parse(definition)
    for (const id of pipeline.modelIds) {
      const info = await models.info(id)
      if (info.algorithm !== 'SPARSE_ENCODING') throw invalid(`model [${id}] is a tokenizer (${info.algorithm}): it cannot encode documents`)
      await models.model(id)
    }
    return pipeline
  }

  /** The models the pipeline encodes with. */
  get modelIds(): string[] {
    return [...new Set(this.processors.flatMap((processor) => processor.modelIds ?? []))]
  }

  /**
   * Runs the processors over copies of the sources; one result per source, in order.
   * @param models - where `sparse_encoding` finds its model
   */
  async run(sources: readonly Json[], models: ModelRegistry, options: RunOptions = {}): Promise<IngestResult[]> {
    const timestamp = (options.now ?? new Date()).toISOString()
    const docs: IngestDocument[] = sources.map((source, i) => ({ source: structuredClone(source), ...options.meta?.[i], timestamp }))
    const failures: Array<Error | undefined> = docs.map(() => undefined)
    for (const processor of this.processors) {
      const going = docs.flatMap((_, i) => (failures[i] === undefined ? [i] : []))
      if (going.length === 0) break
      const outcomes = await processor.run(going.map((i) => docs[i]), models)
      outcomes.forEach((failure, j) => (failures[going[j]] = failure))
    }
    return docs.map((doc, i) => (failures[i] ? { error: failures[i] } : { source: doc.source }))
  }
}

/**
 * Runs pipelines one after the other (a request's or default pipeline, then a final one): a
 * document that fails in one goes no further.
 */
export async function runPipelines(pipelines: readonly IngestPipeline[], sources: readonly Json[], models: ModelRegistry, options: RunOptions = {}): Promise<IngestResult[]> {
  let results: IngestResult[] = sources.map((source) => ({ source }))
  const now = options.now ?? new Date()
  for (const pipeline of pipelines) {
    const going = results.flatMap((result, i) => (result.error ? [] : [i]))
    const outcomes = await pipeline.run(going.map((i) => results[i].source!), models, { now, meta: options.meta && going.map((i) => options.meta![i]) })
    results = results.slice()
    outcomes.forEach((outcome, j) => (results[going[j]] = outcome))
  }
  return results
}

/** `{"<type>": {options}}` as a processor, checked option by option. */
function parseProcessor(entry: unknown, path: string): Processor {
  if (!isObject(entry) || Object.keys(entry).length !== 1) throw invalid(`${path} must be an object naming one processor, as {"set": {...}}`)
  const [[type, config]] = Object.entries(entry)
  const factory = PROCESSORS.get(type)
  if (!factory) throw invalid(`${path}[${type}] No processor type exists with name [${type}] (lsr runs: ${PROCESSOR_NAMES.join(', ')})`)
  if (!isObject(config)) throw invalid(`${path}[${type}] must be an object of options, got ${typeName(config)}`)
  const options = new ProcessorOptions(`${path}[${type}]`, type, config)
  const processor = withCommonOptions(options, factory(options))
  options.finish()
  return processor
}
