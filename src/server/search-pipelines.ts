/**
 * Search pipelines over HTTP, as OpenSearch serves them: `PUT`, `GET`, `DELETE
 * /_search/pipeline/{id}` and `GET /_search/pipeline`, kept in `<data>/_search_pipelines.json`
 * (pipeline-store.ts); and which pipeline a search runs: the body's inline `search_pipeline`,
 * else `?search_pipeline=` (`_none`: none), else the index's `index.search.default_pipeline`.
 * @module
 */
import type { Hono } from 'hono'
import { parseSearchPipeline, type SearchPipeline } from '../engine/hybrid/search-pipeline.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import type { AppEnv } from './app.js'
import { badRequest } from './http-error.js'
import { isObject } from './json.js'
import { pipelineRoutes, PipelineStore } from './pipeline-store.js'
import { NO_PIPELINE, type JsonBodyReader } from './pipelines.js'

/** The store's file in the data directory. */
const FILE_NAME = '_search_pipelines.json'

/** The search pipelines of a server. */
export class SearchPipelines {
  readonly store: PipelineStore<SearchPipeline>

  constructor(dataDir: string) {
    this.store = new PipelineStore(dataDir, FILE_NAME, {
      what: 'search pipeline',
      // Models named by a neural_query_enricher are checked when a query uses them.
      create: async (definition) => parseSearchPipeline(definition),
      parse: (definition) => parseSearchPipeline(definition),
    })
  }

  /**
   * The pipeline a search runs, or undefined for none.
   * @param inline - the body's `search_pipeline`: a definition or a stored pipeline's name
   * @param requested - the `search_pipeline` URL parameter
   * @param indexes - the searched indexes: their default pipeline applies when neither is given
   * @throws HttpError 400 naming a pipeline that does not exist, or indexes whose defaults differ
   */
  async resolve(inline: unknown, requested: string | undefined, indexes: ReadonlyArray<[string, SparseIndex]>): Promise<SearchPipeline | undefined> {
    // The body's search_pipeline: a definition, or the name of a stored pipeline (as the URL's).
    if (inline !== undefined && typeof inline !== 'string') {
      if (!isObject(inline)) throw badRequest('[search_pipeline] must be a pipeline definition (an object) or the name of a stored pipeline')
      return parseSearchPipeline(inline, '[search_pipeline]')
    }
    if (typeof inline === 'string' && requested !== undefined && inline !== requested) throw badRequest(`[search_pipeline] names [${inline}] in the body and [${requested}] in the URL`)
    let name = (inline as string | undefined) ?? requested
    if (name === undefined) {
      const defaults = new Set(indexes.map(([, index]) => index.meta.pipelines?.search))
      if (defaults.size > 1) {
        throw badRequest(`the searched indexes have different index.search.default_pipeline settings (${[...defaults].map((d) => d ?? 'none').join(', ')}): name one with ?search_pipeline=`)
      }
      name = [...defaults][0]
    }
    if (name === undefined || name === NO_PIPELINE) return undefined
    const pipeline = await this.store.get(name)
    if (!pipeline) throw badRequest(`search pipeline [${name}] does not exist`)
    return pipeline
  }
}

/** The `_search/pipeline` routes. */
export function searchPipelineRoutes(app: Hono<AppEnv>, pipelines: SearchPipelines, jsonBody: JsonBodyReader): void {
  pipelineRoutes(app, '/_search/pipeline', pipelines.store, jsonBody)
}
