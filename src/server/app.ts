/**
 * The HTTP API: a Hono app over an {@link IndexRegistry}, following Elasticsearch/OpenSearch REST
 * conventions for the subset search applications use (see the README's compatibility table).
 * Routes are thin: parsing and shaping here, the work in the engine and in search.ts / bulk.ts.
 * @module
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { timeout } from 'hono/timeout'
import { bm25Config } from '../encode/bm25.js'
import type { EncoderConfig } from '../encode/encoder.js'
import type { SparseIndex } from '../index/sparse-index.js'
import { documentWithId } from '../corpus/documents.js'
import { VERSION } from '../version.js'
import { generateId, runBulk } from './bulk.js'
import { badRequest, errorBody, HttpError, parsingError, toHttpError } from './http-error.js'
import { validateIndexName } from './index-names.js'
import type { IndexRegistry } from './registry.js'
import { compileQuery } from './query-dsl.js'
import { count, search, SHARDS } from './search.js'
import { sourceFilter } from './source-filter.js'
import { SEARCH_PAGE } from './search-page.js'
import { isObject, type Json } from './json.js'

/** Server options; every field is optional. */
export interface AppOptions {
  /** Require `Authorization: ApiKey <key>` or `Bearer <key>` on every request. */
  apiKey?: string
  /** With `apiKey`: let clients without a key search and read, but not write. @default false */
  readOnlyAnonymous?: boolean
  /** Allowed CORS origin(s); CORS is off when unset. */
  corsOrigin?: string | string[]
  /** Largest accepted request body in bytes. @default 50 MiB */
  maxBodyBytes?: number
  /** Requests taking longer get a 504. @default 60000 */
  requestTimeoutMs?: number
}

const READ_ENDPOINTS = /\/(_search|_count|_explain(\/[^/]+)?)$/

async function jsonBody(c: Context): Promise<Json> {
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw parsingError(`request body is not valid JSON: ${(error as Error).message}`)
  }
  if (!isObject(value)) throw parsingError('request body must be a JSON object')
  return value
}

function refreshParam(c: Context): void {
  const refresh = c.req.query('refresh')
  if (refresh !== undefined && !['', 'true', 'false', 'wait_for'].includes(refresh)) {
    throw badRequest(`[refresh] must be true, false or wait_for, got [${refresh}]`)
  }
}

/** Encoder settings of `PUT /{index}`: lsr's own, or Elasticsearch's BM25 similarity. */
function encoderFromSettings(body: Json): EncoderConfig {
  const settings = (body.settings ?? {}) as Json
  const index = (settings.index ?? {}) as Json
  const explicit = (settings.encoder ?? index.encoder) as Json | undefined
  const similarity = ((index.similarity ?? settings.similarity) as Json | undefined)?.default as Json | undefined
  if (explicit) {
    if (typeof explicit !== 'object' || typeof explicit.name !== 'string') throw badRequest('[settings.encoder] needs a "name"')
    return explicit as EncoderConfig
  }
  if (similarity) {
    if (String(similarity.type).toUpperCase() !== 'BM25') throw badRequest(`similarity [${String(similarity.type)}] is not supported (only BM25)`)
    return bm25Config({ k1: similarity.k1 === undefined ? undefined : Number(similarity.k1), b: similarity.b === undefined ? undefined : Number(similarity.b) })
  }
  return bm25Config()
}

/** Builds the app. */
export function createApp(registry: IndexRegistry, options: AppOptions = {}): Hono {
  const app = new Hono()
  const indexes = async (expression: string): Promise<Array<[string, SparseIndex]>> =>
    Promise.all((await registry.resolve(expression)).map(async (name): Promise<[string, SparseIndex]> => [name, await registry.get(name)]))

  app.onError((error, c) => {
    const http = error instanceof HTTPException ? new HttpError(error.status, error.status === 504 ? 'timeout_exception' : 'http_exception', error.message || 'request failed') : toHttpError(error)
    if (http.status >= 500) console.error(`lsr: ${c.req.method} ${c.req.path}: ${(error as Error).stack ?? error}`)
    return c.json(errorBody(http), http.status as 400)
  })
  app.notFound((c) => c.json(errorBody(new HttpError(404, 'not_found', `no handler for ${c.req.method} ${c.req.path}`)), 404))

  if (options.corsOrigin) app.use(cors({ origin: options.corsOrigin }))
  app.use(async (c, next) => {
    if (!options.apiKey) return next()
    const header = c.req.header('authorization') ?? ''
    const token = header.replace(/^(ApiKey|Bearer)\s+/i, '')
    if (token !== header && token === options.apiKey) return next()
    const read = c.req.method === 'GET' || c.req.method === 'HEAD' || (c.req.method === 'POST' && READ_ENDPOINTS.test(c.req.path))
    if (options.readOnlyAnonymous && read && header === '') return next()
    const reason = header === '' ? 'missing authentication credentials (Authorization: ApiKey <key> or Bearer <key>)' : 'invalid API key'
    return c.json(errorBody(new HttpError(401, 'security_exception', reason)), 401, { 'WWW-Authenticate': 'ApiKey, Bearer' })
  })
  app.use(bodyLimit({
    maxSize: options.maxBodyBytes ?? 50 * 2 ** 20,
    onError: (c) => c.json(errorBody(new HttpError(413, 'content_too_long_exception', `request body is larger than ${options.maxBodyBytes ?? 50 * 2 ** 20} bytes`)), 413),
  }))
  app.use(timeout(options.requestTimeoutMs ?? 60_000))
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => c.json(errorBody(new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${c.req.path} (allowed: ${methods.join(', ')})`)), 405, { Allow: methods.join(', ') }),
  }))

  // Cluster
  const info = { name: 'lsr', cluster_name: 'lsr', version: { number: VERSION, distribution: 'lsr', build_flavor: 'default' }, tagline: 'You Know, for Sparse Search' }
  app.get('/', (c) => ((c.req.header('accept') ?? '').includes('text/html') ? c.html(SEARCH_PAGE) : c.json(info)))
  app.get('/_ui', (c) => c.html(SEARCH_PAGE))
  app.get('/_cluster/health', async (c) => c.json({
    cluster_name: 'lsr', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1,
    active_primary_shards: (await registry.names()).length, active_shards: (await registry.names()).length,
    relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0,
  }))
  app.get('/_cat/indices', async (c) => {
    const rows = await Promise.all((await registry.names()).map(async (name) => {
      const stats = await (await registry.get(name)).stats()
      return { health: 'green', status: 'open', index: name, pri: '1', rep: '0', 'docs.count': String(stats.documents), 'docs.deleted': String(stats.deletedDocuments), 'store.size': String(stats.sizeOnDiskBytes) }
    }))
    if (c.req.query('format') === 'json') return c.json(rows)
    return c.text(rows.map((r) => Object.values(r).join(' ')).join('\n') + (rows.length ? '\n' : ''))
  })

  // Search and bulk across indexes
  const searchHandler = (expression?: string) => async (c: Context) => {
    const body = c.req.method === 'GET' ? uriSearch(c, await jsonBody(c)) : await jsonBody(c)
    return c.json(await search(await indexes(expression ?? c.req.param('index') ?? '_all'), body))
  }
  app.on(['GET', 'POST'], '/_search', searchHandler('_all'))
  app.on(['GET', 'POST'], '/_count', async (c) => c.json(await count(await indexes('_all'), await jsonBody(c))))
  app.on(['POST', 'PUT'], '/_bulk', async (c) => {
    refreshParam(c)
    return c.json(await runBulk(await c.req.text(), undefined, (name) => registry.get(name)))
  })

  // Index management
  app.put('/:index', async (c) => {
    const name = validateIndexName(c.req.param('index'))
    await registry.create(name, encoderFromSettings(await jsonBody(c)))
    return c.json({ acknowledged: true, shards_acknowledged: true, index: name })
  })
  app.get('/:index', async (c) => {
    const found = await indexes(c.req.param('index'))
    return c.json(Object.fromEntries(found.map(([name, index]) => [name, {
      aliases: {}, mappings: {}, settings: { index: { number_of_shards: '1', number_of_replicas: '0', encoder: index.meta.encoder, created: index.meta.createdAt } },
    }])))
  })
  app.on('HEAD', '/:index', async (c) => c.body(null, (await registry.exists(validateIndexName(c.req.param('index')))) ? 200 : 404))
  app.delete('/:index', async (c) => {
    for (const name of await registry.resolve(c.req.param('index'))) await registry.drop(name)
    return c.json({ acknowledged: true })
  })

  // Per-index endpoints
  app.on(['GET', 'POST'], '/:index/_search', searchHandler())
  app.on(['GET', 'POST'], '/:index/_count', async (c) => c.json(await count(await indexes(c.req.param('index')), await jsonBody(c))))
  app.on(['POST', 'PUT'], '/:index/_bulk', async (c) => {
    refreshParam(c)
    const name = validateIndexName(c.req.param('index'))
    return c.json(await runBulk(await c.req.text(), name, (n) => registry.get(n)))
  })
  app.post('/:index/_refresh', async (c) => {
    await indexes(c.req.param('index'))
    return c.json({ _shards: SHARDS })
  })
  // Elasticsearch's force merge: here, compaction (one segment per term, deleted postings dropped).
  app.post('/:index/_forcemerge', async (c) => {
    for (const [, index] of await indexes(c.req.param('index'))) await index.compact()
    return c.json({ _shards: SHARDS })
  })
  app.get('/:index/_stats', async (c) => {
    const entries = await Promise.all((await indexes(c.req.param('index'))).map(async ([name, index]) => {
      const s = await index.stats()
      const totals = { docs: { count: s.documents, deleted: s.deletedDocuments }, store: { size_in_bytes: s.sizeOnDiskBytes } }
      return [name, { primaries: totals, total: totals, lsr: { terms: s.terms, postings: s.postings, encoder: index.meta.encoder } }] as const
    }))
    return c.json({ _shards: SHARDS, indices: Object.fromEntries(entries) })
  })
  app.on(['GET', 'POST'], '/:index/_explain/:id', async (c) => {
    const [[name, index]] = await indexes(validateIndexName(c.req.param('index') ?? ''))
    const request = compileQuery((await jsonBody(c)).query, index)
    const explanation = await index.explain(request.terms, c.req.param('id'))
    if (!explanation) return c.json({ _index: name, _id: c.req.param('id'), matched: false }, 404)
    return c.json({ _index: name, _id: c.req.param('id'), matched: explanation.details.length > 0, explanation })
  })

  // Documents
  const putDoc = (create: boolean) => async (c: Context) => {
    refreshParam(c)
    const name = validateIndexName(c.req.param('index') ?? '')
    const index = await registry.get(name)
    const id = c.req.param('id') ?? generateId()
    const onlyCreate = create || c.req.query('op_type') === 'create'
    const doc = documentWithId(id, await jsonBody(c), `document [${id}]`)
    // One serialized read-modify-write, so that two concurrent creates cannot both succeed.
    const { existed } = await index.update(id, (current) => (onlyCreate && current ? undefined : doc))
    if (onlyCreate && existed) throw new HttpError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, document already exists`)
    return c.json({ _index: name, _id: id, _version: 1, result: existed ? 'updated' : 'created', _shards: { total: 1, successful: 1, failed: 0 } }, existed ? 200 : 201)
  }
  app.on(['PUT', 'POST'], '/:index/_doc/:id', putDoc(false))
  app.post('/:index/_doc', putDoc(false))
  app.on(['PUT', 'POST'], '/:index/_create/:id', putDoc(true))
  app.get('/:index/_doc/:id', async (c) => {
    const name = validateIndexName(c.req.param('index'))
    const source = await (await registry.get(name)).get(c.req.param('id'))
    if (!source) return c.json({ _index: name, _id: c.req.param('id'), found: false }, 404)
    const filtered = sourceFilter(c.req.query('_source'))(source)
    return c.json({ _index: name, _id: c.req.param('id'), _version: 1, found: true, ...(filtered ? { _source: filtered } : {}) })
  })
  app.delete('/:index/_doc/:id', async (c) => {
    refreshParam(c)
    const name = validateIndexName(c.req.param('index'))
    const deleted = await (await registry.get(name)).delete([c.req.param('id')])
    return c.json({ _index: name, _id: c.req.param('id'), result: deleted ? 'deleted' : 'not_found', _shards: { total: 1, successful: 1, failed: 0 } }, deleted ? 200 : 404)
  })
  return app
}

/** URI search: `?q=` (plain text over title and text), `?size=`, `?from=`, `?_source=`. */
function uriSearch(c: Context, body: Json): Json {
  const q = c.req.query('q')
  const out: Json = { ...body }
  if (q !== undefined) out.query = { match: { text: q } }
  for (const key of ['size', 'from']) if (c.req.query(key) !== undefined) out[key] = Number(c.req.query(key))
  if (c.req.query('_source') !== undefined) out._source = c.req.query('_source')
  if (c.req.query('track_total_hits') !== undefined) out.track_total_hits = c.req.query('track_total_hits')
  return out
}
