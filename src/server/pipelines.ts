/**
 * Ingest pipelines over HTTP, as Elasticsearch and OpenSearch serve them: `PUT`, `GET`,
 * `DELETE /_ingest/pipeline/{id}` (ids as comma lists and `*` patterns where Elasticsearch takes
 * them), `GET /_ingest/pipeline`, and `_simulate` with a stored or an inline pipeline; and which
 * pipelines a write runs: the request's `?pipeline=` (or the index's `default_pipeline`; `_none`
 * for none), then the index's `final_pipeline`.
 * @module
 */
import type { Context, Hono } from 'hono'
import type { ModelRegistry } from '../encode/neural/model-registry.js'
import { IngestPipeline, runPipelines, type IngestResult } from '../engine/pipelines/ingest-pipeline.js'
import type { IndexPipelines } from '../storage/format.js'
import type { AppEnv } from './app.js'
import type { BulkIngest } from './bulk.js'
import { badRequest, errorBody, HttpError } from './http-error.js'
import { isObject, type Json } from './json.js'
import { pipelineRoutes, PipelineStore } from './pipeline-store.js'
import { acceptsParams } from './url-params.js'

/** The pipeline name that means "no pipeline" (Elasticsearch's `_none`). */
export const NO_PIPELINE = '_none'

/** The store's file in the data directory. */
const FILE_NAME = '_ingest_pipelines.json'

/** One document of a write, for the pipelines: its id and source. */
export interface IngestInput {
  id: string
  source: Json
}

/** The ingest pipelines of a server and the models they encode with. */
export class IngestPipelines {
  readonly store: PipelineStore<IngestPipeline>

  constructor(
    dataDir: string,
    readonly models: ModelRegistry,
  ) {
    this.store = new PipelineStore(dataDir, FILE_NAME, {
      what: 'pipeline',
      create: (definition) => IngestPipeline.create(definition, models),
      parse: (definition) => IngestPipeline.parse(definition),
    })
  }

  /**
   * The pipelines a write runs, in order: the requested one or else the index's default (none
   * for `_none`), then the index's final one.
   * @throws HttpError 400 naming a pipeline that does not exist
   */
  async chain(index: IndexPipelines | undefined, requested?: string): Promise<IngestPipeline[]> {
    const names = [requested ?? index?.default, index?.final].filter((name): name is string => name !== undefined && name !== NO_PIPELINE)
    return Promise.all(names.map(async (name) => {
      const pipeline = await this.store.get(name)
      if (!pipeline) throw badRequest(`pipeline with id [${name}] does not exist`)
      return pipeline
    }))
  }

  /**
   * What `_bulk` runs over each index's batch: documents are grouped by the pipeline they name
   * (their action's, else the request's), so each group's texts are encoded together. A pipeline
   * that does not exist fails its documents (their items), as in Elasticsearch.
   */
  forBulk(requested: string | undefined): BulkIngest {
    return {
      pipeline: requested,
      run: async (index, name, docs) => {
        const results: Array<{ source?: Json; error?: unknown }> = []
        const groups = new Map<string | undefined, number[]>()
        docs.forEach((doc, i) => {
          const positions = groups.get(doc.pipeline)
          if (positions) positions.push(i)
          else groups.set(doc.pipeline, [i])
        })
        for (const [pipeline, positions] of groups) {
          const chain = await this.chain(index.meta.pipelines, pipeline).catch((error: Error) => error)
          const outcomes = chain instanceof Error ? positions.map(() => ({ error: chain })) : await this.run(chain, name, positions.map((i) => docs[i]))
          outcomes.forEach((outcome, j) => (results[positions[j]] = outcome))
        }
        return results
      },
    }
  }

  /** Runs a chain over a write's documents: one result per document, in order. */
  run(chain: readonly IngestPipeline[], index: string, docs: readonly IngestInput[]): Promise<IngestResult[]> {
    if (chain.length === 0) return Promise.resolve(docs.map(({ source }) => ({ source })))
    return runPipelines(chain, docs.map((doc) => doc.source), this.models, { meta: docs.map(({ id }) => ({ index, id })) })
  }
}

/** Reads a request's JSON object body (the app's reader: size limit, nesting limit). */
export type JsonBodyReader = (c: Context<AppEnv>, required?: boolean) => Promise<Json>

/** The `_ingest/pipeline` routes. */
export function ingestPipelineRoutes(app: Hono<AppEnv>, pipelines: IngestPipelines, jsonBody: JsonBodyReader, errorOf: (error: unknown) => HttpError): void {
  const simulate = async (c: Context<AppEnv>) => {
    const body = await jsonBody(c, true)
    const id = c.req.param('id')
    return c.json(await simulated(pipelines, body, id, errorOf))
  }
  // _simulate before {id}: a pipeline id cannot start with "_".
  app.on(['GET', 'POST'], '/_ingest/pipeline/_simulate', acceptsParams(), simulate)
  app.on(['GET', 'POST'], '/_ingest/pipeline/:id/_simulate', acceptsParams(), simulate)
  pipelineRoutes(app, '/_ingest/pipeline', pipelines.store, jsonBody)
}

/** Keys of a `_simulate` body, and of each of its documents. */
const SIMULATE_KEYS = ['pipeline', 'docs']
const SIMULATE_DOC_KEYS = ['_index', '_id', '_source']

/**
 * `_simulate`: runs a stored pipeline (`id`) or the body's inline `pipeline` over the body's
 * `docs`, without writing anything. Answers Elasticsearch's shape: per document
 * `{doc: {_index, _id, _source, _ingest: {timestamp}}}` or `{error}`.
 */
async function simulated(pipelines: IngestPipelines, body: Json, id: string | undefined, errorOf: (error: unknown) => HttpError): Promise<Json> {
  for (const key of Object.keys(body)) {
    if (!SIMULATE_KEYS.includes(key) || (key === 'pipeline' && id !== undefined)) {
      throw badRequest(`[${key}] is not a ${id === undefined ? '' : 'stored pipeline\'s '}_simulate option (options: ${id === undefined ? SIMULATE_KEYS.join(', ') : 'docs'})`)
    }
  }
  let pipeline: IngestPipeline
  if (id === undefined) {
    if (!isObject(body.pipeline)) throw badRequest('[pipeline] required property is missing (an inline pipeline, or POST /_ingest/pipeline/{id}/_simulate)')
    pipeline = await IngestPipeline.create(body.pipeline, pipelines.models)
  } else {
    const stored = await pipelines.store.get(id)
    if (!stored) throw new HttpError(404, 'resource_not_found_exception', `pipeline [${id}] does not exist`)
    pipeline = stored
  }
  const docs = simulateDocs(body.docs)
  const now = new Date()
  const results = await pipeline.run(docs.map((doc) => doc._source), pipelines.models, { now, meta: docs.map((doc) => ({ index: doc._index, id: doc._id })) })
  return {
    docs: results.map((result, i) => (result.error
      ? { error: errorBody(errorOf(result.error)).error }
      : { doc: { _index: docs[i]._index, _id: docs[i]._id, _source: result.source, _ingest: { timestamp: now.toISOString() } } })),
  }
}

interface SimulateDoc {
  _index: string
  _id: string
  _source: Json
}

/** The `docs` of a `_simulate` body; `_index` and `_id` default to "_index" and "_id", as in Elasticsearch. */
function simulateDocs(docs: unknown): SimulateDoc[] {
  if (!Array.isArray(docs) || docs.length === 0) throw badRequest('must specify at least one document in [docs]')
  return docs.map((doc, i) => {
    if (!isObject(doc)) throw badRequest(`[docs][${i}] must be an object`)
    const unknown = Object.keys(doc).find((key) => !SIMULATE_DOC_KEYS.includes(key))
    if (unknown !== undefined) throw badRequest(`[docs][${i}][${unknown}] is not supported (only ${SIMULATE_DOC_KEYS.join(', ')})`)
    if (!isObject(doc._source)) throw badRequest(`[docs][${i}][_source] required property is missing`)
    for (const key of ['_index', '_id'] as const) {
      if (doc[key] !== undefined && typeof doc[key] !== 'string') throw badRequest(`[docs][${i}][${key}] must be a string`)
    }
    return { _index: (doc._index as string | undefined) ?? '_index', _id: (doc._id as string | undefined) ?? '_id', _source: doc._source }
  })
}
