/**
 * The processor contract and the options every processor takes (`tag`, `description`,
 * `ignore_failure`; `if` and `on_failure` are refused: lsr runs no scripts and no failure
 * handlers). A processor runs over a batch of documents, so that model-based ones can batch
 * inference across them; each document fails or succeeds on its own.
 * @module
 */
import type { ModelRegistry } from '../../encode/neural/model-registry.js'
import type { Json } from '../json-shapes.js'
import type { ProcessorOptions } from './options.js'
import type { TemplateScope } from './templates.js'

/** A document going through a pipeline: its source (changed in place) and its metadata. */
export type IngestDocument = TemplateScope

/** One document's outcome of a processor: undefined when it went through. */
export type ProcessorFailure = Error | undefined

/** A configured processor. */
export interface Processor {
  /** Runs over documents (each changed in place); one outcome per document. */
  run(docs: readonly IngestDocument[], models: ModelRegistry): Promise<ProcessorFailure[]>
  /** Models the processor encodes with (checked when the pipeline is defined). */
  readonly modelIds?: readonly string[]
}

/** Builds a processor from its options (each read, then `finish()`ed by the caller). */
export type ProcessorFactory = (options: ProcessorOptions) => Processor

/** A processor of one document at a time: its failures (thrown) are that document's. */
export function eachDocument(process: (doc: IngestDocument) => void): Processor {
  return {
    async run(docs) {
      return docs.map((doc) => {
        try {
          process(doc)
          return undefined
        } catch (error) {
          return error as Error
        }
      })
    },
  }
}

/**
 * Reads the options every processor takes and wraps the processor accordingly:
 * `ignore_failure` lets a failing document go on as it is.
 */
export function withCommonOptions(options: ProcessorOptions, processor: Processor): Processor {
  options.string('tag')
  options.string('description')
  for (const key of ['if', 'on_failure']) {
    if (options.has(key)) throw options.fail(key, key === 'if' ? 'is not supported: lsr runs no scripts' : 'is not supported by lsr')
  }
  if (!options.boolean('ignore_failure', false)) return processor
  return {
    ...processor,
    run: async (docs, models) => (await processor.run(docs, models)).map(() => undefined),
  }
}

/** A processor's definition: `{"<type>": {options}}`. */
export type ProcessorDefinition = Record<string, Json>
