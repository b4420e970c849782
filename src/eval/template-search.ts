/**
 * The searches of one query template over a split's queries: each query's text in the template,
 * searched as `_search` would with `size` = depth (and, for a `hybrid` query, `pagination_depth`
 * = depth unless the template sets it), on one reader of the index.
 * @module
 */
import type { BeirQuery } from '../corpus/beir.js'
import type { ModelRegistry } from '../encode/neural/model-registry.js'
import { hybridOf } from '../engine/hybrid/hybrid-query.js'
import { parseSearchPipeline, type SearchPipeline } from '../engine/hybrid/search-pipeline.js'
import type { QueryModels } from '../engine/query/context.js'
import { loadQueryModels } from '../engine/query/models.js'
import type { Query } from '../engine/query/types.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import { LsrError } from '../errors.js'
import { instantiate, type QueryTemplate } from './query-template.js'
import { runQueries, type TimedRun } from './query-run.js'

/** How a template's queries are searched. */
export interface TemplateSearchOptions {
  /** Hits kept per query (and per hybrid sub-query). */
  depth: number
  /** Keep hits whose id equals the query id (BEIR drops them). */
  keepIdenticalIds: boolean
  /**
   * A search pipeline definition every search runs with, as an index's default search pipeline:
   * its fusion combines a hybrid query's sub-queries; its request processors act on `neural_sparse`.
   */
  searchPipeline?: unknown
  /** Where `neural_sparse` query_text finds the models it names. */
  models: ModelRegistry
}

/** A template's parsed search pipeline and the models its queries name, loaded (compiling is synchronous). */
export interface PreparedTemplate {
  pipeline?: SearchPipeline
  models: QueryModels
}

/**
 * Parses the search pipeline and loads the models a template's queries name (the same for every query text).
 * @throws LsrError naming the pipeline's offending key, or an unknown model
 */
export async function prepareTemplate(template: QueryTemplate, searchPipeline: unknown, models: ModelRegistry): Promise<PreparedTemplate> {
  const pipeline = searchPipeline === undefined ? undefined : parseSearchPipeline(searchPipeline, '[search pipeline]')
  return { pipeline, models: await inTemplate(template, () => loadQueryModels(instantiate(template, ''), models, pipeline)) }
}

/**
 * Runs every query through the template on one reader of the index.
 * @throws LsrError naming the template and the query when a search fails
 * @example const { run } = await runTemplate(index, template, queries, { depth: 1000, keepIdenticalIds: false, models })
 */
export async function runTemplate(index: SparseIndex, template: QueryTemplate, queries: readonly BeirQuery[], options: TemplateSearchOptions): Promise<TimedRun> {
  const { models, pipeline } = await prepareTemplate(template, options.searchPipeline, options.models)
  const { depth } = options
  const reader = index.reader()
  try {
    return runQueries(queries, (query) => inTemplate(template, () => {
      return reader.search({ query: atDepth(instantiate(template, query.text), depth), size: depth }, { models, pipeline }).hits
    }, query.id), options.keepIdenticalIds)
  } finally {
    reader.release()
  }
}

/** A hybrid query keeps `size` hits per sub-query unless told: an evaluation at depth d needs d of each. */
export function atDepth(query: Query, depth: number): Query {
  const hybrid = hybridOf(query)
  if (!hybrid || hybrid.paginationDepth !== undefined) return query
  return { hybrid: { ...(query as { hybrid: object }).hybrid, pagination_depth: depth } } as Query
}

/** Runs `work`, naming the template (and the query) in an LsrError it throws. */
export function inTemplate<T>(template: QueryTemplate, work: () => T, queryId?: string): T {
  const name = (error: unknown) => {
    if (!(error instanceof LsrError)) return error
    const query = queryId === undefined ? '' : `, query ${queryId}`
    return new LsrError(error.code, `query template ${template.name} (${template.file}${query}): ${error.message}`, { cause: error })
  }
  try {
    const result = work()
    return result instanceof Promise ? (result.catch((error: unknown) => { throw name(error) }) as T) : result
  } catch (error) {
    throw name(error)
  }
}
