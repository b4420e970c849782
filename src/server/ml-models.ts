/**
 * The models of the server's models folder as OpenSearch's ML plugin lists deployed models:
 * `GET /_plugins/_ml/models/{model_id}` and `GET|POST /_plugins/_ml/models/_search`. A model id
 * is its folder's name (`org/name` is sent as `org%2Fname`); every model is DEPLOYED (loaded on
 * first use), and nothing shown tells where it lives.
 * @module
 */
import type { Hono } from 'hono'
import { UnknownModelError, type ModelInfo, type ModelRegistry } from '../encode/neural/model-registry.js'
import type { AppEnv } from './app.js'
import { badRequest, HttpError } from './http-error.js'
import { isObject, type Json } from './json.js'
import type { JsonBodyReader } from './pipelines.js'
import { acceptsParams } from './url-params.js'

/** The index OpenSearch keeps models in, as `_search` hits name it. */
const MODEL_INDEX = '.plugins-ml-model'

/** A model as OpenSearch's `GET /_plugins/_ml/models/{id}` shows one. */
function modelDocument(info: ModelInfo): Json {
  return {
    model_id: info.id,
    name: info.id,
    algorithm: info.algorithm,
    model_state: 'DEPLOYED',
    model_format: info.algorithm === 'SPARSE_ENCODING' ? 'ONNX' : 'TOKENIZER',
    ...(info.modelType ? { model_config: { model_type: info.modelType } } : {}),
    // What lsr adds: where query token weights come from, and the ONNX weights present.
    lsr: { idf: info.idf, dtypes: info.dtypes },
  }
}

/** The `_plugins/_ml/models` routes. */
export function mlModelRoutes(app: Hono<AppEnv>, models: ModelRegistry, jsonBody: JsonBodyReader): void {
  // _search before {model_id}: "_search" is not a model id (ids start with a letter or digit).
  app.on(['GET', 'POST'], '/_plugins/_ml/models/_search', acceptsParams(), async (c) => {
    const { from, size } = searchWindow(await jsonBody(c))
    const all = await models.list()
    return c.json({
      took: 0,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        total: { value: all.length, relation: 'eq' },
        max_score: all.length > 0 ? 1 : null,
        hits: all.slice(from, from + size).map((info) => ({ _index: MODEL_INDEX, _id: info.id, _score: 1, _source: modelDocument(info) })),
      },
    })
  })
  app.get('/_plugins/_ml/models/:model_id', acceptsParams(), async (c) => {
    const id = c.req.param('model_id')
    const info = await models.info(id).catch((error: unknown) => {
      // An unknown model is OpenSearch's 404; an id that is no model id stays a 400.
      if (error instanceof UnknownModelError) throw new HttpError(404, 'status_exception', `Failed to find model [${id}]`)
      throw error
    })
    return c.json(modelDocument(info))
  })
}

/**
 * The part of a search body lsr honours over the models: `query: {match_all: {}}`, `from` and
 * `size` (default 10); anything else is a 400 rather than a query silently ignored.
 */
function searchWindow(body: Json): { from: number; size: number } {
  for (const key of Object.keys(body)) {
    if (!['query', 'from', 'size'].includes(key)) throw badRequest(`[${key}] is not supported in a model search (only query match_all, from, size)`)
  }
  const query = body.query
  if (query !== undefined && !(isObject(query) && Object.keys(query).length === 1 && isObject(query.match_all) && Object.keys(query.match_all).length === 0)) {
    throw badRequest('a model search supports only {"query": {"match_all": {}}}: every model of the models folder is listed')
  }
  const window = (key: 'from' | 'size', fallback: number) => {
    const value = body[key] ?? fallback
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw badRequest(`[${key}] must be a non-negative integer, got ${JSON.stringify(value)}`)
    return value as number
  }
  return { from: window('from', 0), size: window('size', 10) }
}
