/**
 * OpenSearch's `sparse_encoding` processor: encodes text fields of documents with a neural
 * sparse model (a model id of the server's {@link ModelRegistry}) and writes each pruned vector
 * as a `{token: weight}` object, what a `rank_features` field indexes.
 *
 * Options as OpenSearch's SparseEncodingProcessorFactory reads them: `model_id`, `field_map`
 * (see field-map.ts), `prune_type` (none, max_ratio, top_k, abs_value, alpha_mass) with its
 * `prune_ratio` (required with a prune type, refused without one, in OpenSearch's ranges),
 * `batch_size`; `skip_existing: true` is refused (it would read the stored document).
 *
 * Batching: the texts of all documents go through the model together (the model length-sorts
 * them into forward passes of its own batch size). `batch_size` documents per model call, where
 * given; without it, all the documents of the request — OpenSearch's default is 1 document per
 * call, which only changes speed here: a text's vector does not depend on its batch.
 * @module
 */
import { parsePruning, prune, type Pruning } from '../../encode/neural/pooling.js'
import type { EncodedDocument } from '../../encode/encoder.js'
import { modelIdProblem, type ModelRegistry } from '../../encode/neural/model-registry.js'
import type { Json } from '../json-shapes.js'
import { expandDottedKeys, parseFieldMap, textSlots, type FieldMap, type TextSlot } from './field-map.js'
import type { ProcessorOptions } from './options.js'
import type { IngestDocument, ProcessorFactory, ProcessorFailure } from './processor.js'

/** prune_type values, and the prune_ratio range OpenSearch's PruneUtils.isValidPruneRatio allows for each. */
const PRUNE_RATIOS: ReadonlyMap<string, { valid: (ratio: number) => boolean; range: string }> = new Map([
  ['top_k', { valid: (r: number) => r > 0 && Number.isInteger(r), range: 'prune_ratio should be positive integer.' }],
  ['max_ratio', { valid: (r: number) => r >= 0 && r < 1, range: 'prune_ratio should be in the range [0, 1).' }],
  ['alpha_mass', { valid: (r: number) => r >= 0 && r < 1, range: 'prune_ratio should be in the range [0, 1).' }],
  ['abs_value', { valid: (r: number) => r >= 0, range: 'prune_ratio should be non-negative.' }],
])

export const sparseEncodingProcessor: ProcessorFactory = (options) => {
  const modelId = options.requiredString('model_id')
  const problem = modelIdProblem(modelId)
  if (problem !== undefined) throw options.fail('model_id', problem)
  const fieldMap = parseFieldMap(options.object('field_map'), `${options.path}[field_map]`)
  const pruning = pruningOf(options)
  const batchSize = options.number('batch_size')
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) throw options.fail('batch_size', 'batch_size must be a positive integer')
  if (options.boolean('skip_existing', false)) throw options.fail('skip_existing', 'is not supported by lsr (it would compare with the stored document)')
  return {
    modelIds: [modelId],
    run: (docs, models) => encodeDocuments(docs, models, { modelId, fieldMap, pruning, batchSize }),
  }
}

/** `prune_type` and `prune_ratio` as a {@link Pruning}, checked as OpenSearch checks them, then as lsr's pruning does. */
function pruningOf(options: ProcessorOptions): Pruning {
  const type = options.string('prune_type') ?? ''
  const ratio = options.number('prune_ratio')
  if (type === '' || type === 'none') {
    if (ratio !== undefined) throw options.fail('prune_ratio', 'prune_ratio field is not supported when prune_type is not provided')
    return { method: 'none' }
  }
  const rule = PRUNE_RATIOS.get(type)
  if (!rule) throw options.fail('prune_type', `Unknown prune type: ${type} (none, ${[...PRUNE_RATIOS.keys()].join(', ')})`)
  if (ratio === undefined) throw options.fail('prune_ratio', 'required property is missing')
  if (!rule.valid(ratio)) throw options.fail('prune_ratio', `Illegal prune_ratio ${ratio} for prune_type: ${type}. ${rule.range}`)
  try {
    return parsePruning(`${type}:${ratio}`)
  } catch (error) {
    throw options.fail('prune_ratio', (error as Error).message)
  }
}

interface Settings {
  modelId: string
  fieldMap: FieldMap
  pruning: Pruning
  batchSize?: number
}

/** Encodes the documents' texts in batches of documents; a failed model call fails its batch. */
async function encodeDocuments(docs: readonly IngestDocument[], models: ModelRegistry, settings: Settings): Promise<ProcessorFailure[]> {
  const failures: ProcessorFailure[] = docs.map(() => undefined)
  const slots: TextSlot[][] = docs.map((doc, i) => {
    try {
      doc.source = expandDottedKeys(doc.source, settings.fieldMap) as Json
      return textSlots(doc.source, settings.fieldMap)
    } catch (error) {
      failures[i] = error as Error
      return []
    }
  })
  const pending = docs.flatMap((_, i) => (failures[i] === undefined && slots[i].length > 0 ? [i] : []))
  if (pending.length === 0) return failures
  const model = await models.model(settings.modelId).catch((error: Error) => error)
  const size = settings.batchSize ?? pending.length
  for (let start = 0; start < pending.length; start += size) {
    const batch = pending.slice(start, start + size)
    const texts = batch.flatMap((i) => slots[i].flatMap((slot) => slot.texts))
    const vectors = model instanceof Error ? model : await model.encodeTexts(texts).catch((error: Error) => error)
    if (vectors instanceof Error) {
      for (const i of batch) failures[i] = vectors
      continue
    }
    let next = 0
    for (const i of batch) {
      const written = slots[i].map((slot) => ({ slot, vectors: vectors.slice(next, (next += slot.texts.length)) }))
      try {
        for (const { slot, vectors: own } of written) slot.write(own.map((vector) => tokenWeights(vector, settings.pruning)))
      } catch (error) {
        failures[i] = error as Error
      }
    }
  }
  return failures
}

/**
 * A document vector pruned as the neural encoder prunes (pooling.ts, on the same float32
 * weights), as a `{token: weight}` object.
 */
function tokenWeights(vector: EncodedDocument, pruning: Pruning): Json {
  // Positions stand in for vocabulary ids: terms are in ascending id order, and prune breaks ties by position.
  const { ids, weights } = prune({ ids: Uint32Array.from(vector.terms.keys()), weights: Float32Array.from(vector.values) }, pruning)
  return Object.fromEntries(Array.from(ids, (at, i) => [vector.terms[at], weights[i]]))
}
