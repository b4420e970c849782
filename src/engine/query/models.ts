/**
 * The models a query's `neural_sparse` clauses name, loaded before the query compiles (compiling
 * is synchronous: it runs against one moment of the index, with no await in between).
 * @module
 */
import { LsrError } from '../../errors.js'
import type { SearchPipeline } from '../hybrid/search-pipeline.js'
import { isObject, valuesUnderKeys } from '../json-shapes.js'
import type { QueryModel, QueryModels } from './context.js'

/** Where models come from: a server's models folder (see encode/neural/model-registry.ts). */
export interface ModelSource {
  /** Loads a model by id. @throws LsrError naming the model when there is none of that id */
  model(id: string): Promise<QueryModel>
}

/** `models` with the pipeline's `neural_query_enricher` defaults (the query's own model_id still wins). */
export function withDefaultModels(models: QueryModels | undefined, pipeline: SearchPipeline | undefined): QueryModels | undefined {
  const defaults = pipeline?.defaultModel
  if (!defaults) return models
  return {
    loaded: (id) => models?.loaded(id),
    problem: (id) => models?.problem?.(id),
    defaultFor: (field) => (Object.hasOwn(defaults.byField, field) ? defaults.byField[field] : defaults.all) ?? models?.defaultFor?.(field),
  }
}

/**
 * Loads every model the query's `neural_sparse` query_text clauses use (their `model_id`, else the
 * field's default from the pipeline), and gives them to the compiler. A model that fails to load
 * is an error only where the compiler needs it (a clause may be refused first for another reason).
 */
export async function loadQueryModels(query: unknown, source: ModelSource, pipeline?: SearchPipeline): Promise<QueryModels> {
  const defaults = withDefaultModels(undefined, pipeline)
  const ids = new Set<string>()
  for (const [type, body] of valuesUnderKeys(query, ['neural_sparse', 'sparse_vector'])) {
    if (!isObject(body)) continue
    if (type === 'sparse_vector') {
      if (typeof body.inference_id === 'string') ids.add(body.inference_id)
      continue
    }
    for (const [field, spec] of Object.entries(body)) {
      if (!isObject(spec) || spec.query_text === undefined) continue
      const id = spec.model_id ?? defaults?.defaultFor?.(field)
      if (typeof id === 'string') ids.add(id)
    }
  }
  const loaded = new Map<string, QueryModel>()
  const problems = new Map<string, string>()
  for (const id of ids) {
    try {
      loaded.set(id, await source.model(id))
    } catch (error) {
      if (!(error instanceof LsrError)) throw error
      problems.set(id, error.message)
    }
  }
  return withDefaultModels({ loaded: (id) => loaded.get(id), problem: (id) => problems.get(id) }, pipeline)!
}
