/**
 * The HTTP API: a Hono app over an {@link IndexRegistry}, following Elasticsearch/OpenSearch REST
 * conventions for the subset search applications use (see the README's compatibility table).
 * Routes are thin: parsing and shaping here, the work in the engine and in search.ts / bulk.ts.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { resolve } from 'node:path'
import type { HttpBindings } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { timeout } from 'hono/timeout'
import { LsrError } from '../errors.js'
import { VERSION } from '../version.js'
import { aliasRoutes, parseCreateAliases } from './alias-routes.js'
import { aliasSession, type AliasSession } from './alias-session.js'
import { analyzeRoutes } from './analyze.js'
import { AliasStore } from './aliases.js'
import { runBulk } from './bulk.js'
import { catRoutes } from './cat.js'
import { compatHandshake, compatMainResponse, compatMiddleware } from './compat.js'
import { BY_QUERY_PARAMS, deleteByQuery, parseByQuery, updateByQuery } from './by-query.js'
import { documentRoutes } from './documents.js'
import { multiSearch, parseMultiSearch, type SearchItem } from './msearch.js'
import { updateIngest } from './update.js'
import { indexSettingsFrom, pipelineUpdate, publicEncoder } from './index-settings.js'
import { ModelRegistry } from '../encode/neural/model-registry.js'
import { mlModelRoutes } from './ml-models.js'
import { ingestPipelineRoutes, IngestPipelines, type IngestInput } from './pipelines.js'
import { searchPipelineRoutes, SearchPipelines } from './search-pipelines.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import { badRequest, errorBody, HttpError, parsingError, toHttpError, type HiddenPath } from './http-error.js'
import { limitBody, readBounded } from './request-body.js'
import { refuseDestructive, validateIndexName } from './index-names.js'
import type { IndexRegistry } from './registry.js'
import { count, explainDocument, search, SHARDS, type SearchHold } from './search.js'
import { pitRoutes, pitSearch } from './pit.js'
import { readerContexts } from './reader-contexts.js'
import { scrollRoutes, startScroll } from './scroll.js'
import { filterPath } from './filter-path.js'
import { acceptsParams, booleanParam, NO_EFFECT_ON_ONE_NODE, otherMethods, refreshParam } from './url-params.js'
import { COUNT_PARAMS, restTotalHitsAsInt, SEARCH_PARAMS, totalAsInt, typedKeys, uriQuery, uriSearch } from './uri-search.js'
import { SEARCH_PAGE } from './search-page.js'
import { isObject, parseJson, type Json } from './json.js'
import { jsonBytes } from './raw-json.js'
import { fieldAt, mergeMapping, parseMapping } from '../mapping/index.js'

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
  /** Folder of neural models that `PUT /{index}` (`settings.encoder.model`) and ingest pipelines (`model_id`) may name; none without it. */
  modelsDir?: string
  /** The models of `modelsDir`, when the caller shares one registry between apps (tests); default: the app's own. */
  models?: ModelRegistry
  /** Let `DELETE` take wildcards and `_all` (Elasticsearch's `action.destructive_requires_name: false`). @default false */
  allowDestructive?: boolean
  /**
   * Let a document write (`_doc`, `_create`, `_bulk`, `_update` with an upsert) to a missing index
   * create it with dynamic mapping, as Elasticsearch's `action.auto_create_index` does. @default true
   */
  autoCreateIndex?: boolean
  /**
   * Give the official Elasticsearch clients' handshake (`'elasticsearch'`, see compat.ts): `GET /`
   * answers an Elasticsearch version and every answer carries `X-Elastic-Product`. Off by
   * default, and then an Elasticsearch client's request is a 400 before anything runs.
   */
  compat?: 'elasticsearch'
  /** With `compat`: the `version.number` that `GET /` reports (7.0.0 on). @default '8.11.0' */
  compatVersion?: string
}

/** Hono's per-request variables: the indexes the request uses (names resolved through aliases), released when it ends. */
export type AppEnv = { Bindings: Partial<HttpBindings>; Variables: { indexes: AliasSession } }
type Ctx = Context<AppEnv>

// Exactly /_search, /_count, /_mget, /_msearch (each also under /{index}), /{index}/_explain/{id},
// /_search/scroll[/{id}] and the opening of a point in time: a path that merely ends so
// (/{index}/_doc/_search) is a write.
const READ_ENDPOINTS = /^\/(?:[^/]+\/)?(?:_search|_count|_mget|_msearch)$|^\/[^/]+\/_explain\/[^/]+$|^\/_search\/scroll(?:\/[^/]+)?$|^\/[^/]+\/(?:_pit|_search\/point_in_time)$/

/**
 * The request body as text. The Node adapter gives GET requests no body (the Fetch API has none),
 * but Elasticsearch clients send search and count bodies with GET: those are read from the socket.
 */
async function bodyText(c: Ctx, maxBytes: number): Promise<string> {
  const incoming = c.env?.incoming
  if (c.req.method !== 'GET' || !incoming || incoming.readableEnded) return c.req.text()
  return (await readBounded(incoming as AsyncIterable<Buffer>, maxBytes)).toString('utf8')
}

/** Default largest request body: 50 MiB. */
const DEFAULT_MAX_BODY_BYTES = 50 * 2 ** 20

/** The request's JSON object body; an empty body is `{}`, or a 400 where a body is required. */
async function readJsonBody(c: Ctx, maxBytes: number, required: boolean): Promise<Json> {
  const text = await bodyText(c, maxBytes)
  if (text.trim() === '') {
    if (required) throw new HttpError(400, 'parse_exception', 'request body is required')
    return {}
  }
  const value = parseJson(text, 'request body')
  if (!isObject(value)) throw parsingError('request body must be a JSON object')
  return value
}

/** A 200 with a JSON body whose stored sources stay as stored (raw-json.ts): c.json would parse them. */
const jsonAnswer = (c: Ctx, value: Json) => c.body(jsonBytes(value), 200, { 'Content-Type': 'application/json' })

/** Compares an API key in constant time (digests first, so lengths do not show either). */
function keyChecker(key: string): (token: string) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  const expected = digest(key)
  return (token) => timingSafeEqual(digest(token), expected)
}

/** The server folders error messages must not show, by neutral names. */
function hiddenPaths(dataDir: string, modelsDir: string | undefined): HiddenPath[] {
  const folders: HiddenPath[] = [{ path: dataDir, as: '<data>' }, ...(modelsDir === undefined ? [] : [{ path: modelsDir, as: '<models>' }])]
  return folders.flatMap(({ path, as }) => [{ path: resolve(path), as }, ...(path.length > 2 && path !== resolve(path) ? [{ path, as }] : [])])
}

/** True when a raw request target has a `.` or `..` path segment, percent-encoded or not. */
function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/, 1)[0]
  return path.split('/').some((segment) => ['.', '..'].includes(segment.toLowerCase().replaceAll('%2e', '.')))
}

/** Builds the app. */
export function createApp(registry: IndexRegistry, options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const hidden = hiddenPaths(registry.dataDir, options.modelsDir)
  const errorOf = (error: unknown) => toHttpError(error, hidden)
  const indexes = (c: Ctx, expression: string) => c.var.indexes.open(expression)
  const sameKey = options.apiKey === undefined ? undefined : keyChecker(options.apiKey)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const jsonBody = (c: Ctx, required = false) => readJsonBody(c, maxBodyBytes, required)
  const models = options.models ?? new ModelRegistry(options.modelsDir)
  const pipelines = new IngestPipelines(registry.dataDir, models)
  const searchPipelines = new SearchPipelines(registry.dataDir)
  const aliases = new AliasStore(registry)
  const handshake = compatHandshake(options)

  app.onError((error, c) => {
    // The client hung up mid-body: nobody reads the answer, and it is no server fault to log.
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || error.message === 'aborted') {
      return c.json(errorBody(new HttpError(400, 'parse_exception', 'the client closed the connection before the whole body was sent')), 400)
    }
    const http = error instanceof HTTPException ? new HttpError(error.status, error.status === 504 ? 'timeout_exception' : 'http_exception', error.message || 'request failed') : errorOf(error)
    // A deliberate answer (a broken index's 503) is no news for the log; an engine error is one line, anything else its stack.
    if (http.status >= 500 && !(error instanceof HttpError)) {
      console.error(`lsr: ${c.req.method} ${c.req.path}: ${error instanceof LsrError ? http.message : ((error as Error).stack ?? error)}`)
    }
    return c.json(errorBody(http), http.status as 400)
  })
  app.notFound((c) => c.json(errorBody(new HttpError(404, 'not_found', `no handler for ${c.req.method} ${c.req.path}`)), 404))

  // First: an Elasticsearch client without the compatibility mode is refused before anything runs.
  app.use(compatMiddleware(handshake))
  // Before anything reads the path: the Node adapter resolves dot segments (WHATWG URL), so
  // `DELETE /_ingest/pipeline/../../victim` would reach `DELETE /victim`, past any proxy rule.
  app.use(async (c, next) => {
    const raw = c.env?.incoming?.url
    if (raw !== undefined && hasDotSegment(raw)) {
      throw badRequest('request path contains a "." or ".." segment (encoded or not): it names no resource')
    }
    return next()
  })
  if (options.corsOrigin) app.use(cors({ origin: options.corsOrigin }))
  app.use(async (c, next) => {
    if (!sameKey) return next()
    const header = c.req.header('authorization') ?? ''
    const token = header.replace(/^(ApiKey|Bearer)\s+/i, '')
    if (token !== header && sameKey(token)) return next()
    const read = c.req.method === 'GET' || c.req.method === 'HEAD' || (c.req.method === 'POST' && READ_ENDPOINTS.test(c.req.path))
    if (options.readOnlyAnonymous && read && header === '') return next()
    const reason = header === '' ? 'missing authentication credentials (Authorization: ApiKey <key> or Bearer <key>)' : 'invalid API key'
    return c.json(errorBody(new HttpError(401, 'security_exception', reason)), 401, { 'WWW-Authenticate': 'ApiKey, Bearer' })
  })
  app.use(limitBody(maxBodyBytes))
  app.use(timeout(options.requestTimeoutMs ?? 60_000))
  // After the timeout: a request that timed out keeps its indexes until its handler really ends.
  app.use(async (c, next) => {
    const session = aliasSession(c, registry, aliases, options.autoCreateIndex !== false)
    c.set('indexes', session)
    try {
      await next()
    } finally {
      session.release()
    }
  })
  // ?filter_path= on successful JSON answers (errors stay whole, so they can be read).
  app.use(async (c, next) => {
    const parameter = c.req.query('filter_path')
    const filter = parameter === undefined ? undefined : filterPath(parameter)
    await next()
    if (!filter || c.res.status >= 400 || !c.res.headers.get('content-type')?.includes('application/json')) return
    const filtered = JSON.stringify(filter(await c.res.json()))
    c.res = new Response(filtered, { status: c.res.status, headers: { 'content-type': 'application/json' } })
  })
  // A path under an endpoint lsr lacks (`/_analyze`, `/_flush`) would reach the /{index} routes and
  // be answered as a bad index name or with their methods: name the endpoint instead.
  let endpoints: Set<string> | undefined
  app.use(async (c, next) => {
    const [, first = '', ...rest] = c.req.path.split('/')
    // PUT /_name creates an index: its answer is the index-name rule, as Elasticsearch's.
    const creating = c.req.method === 'PUT' && rest.length === 0
    if (first.startsWith('_') && !creating) {
      // `_all` is an index expression, not an endpoint.
      endpoints ??= new Set(['_all', ...app.routes.map((route) => route.path.split('/')[1] ?? '').filter((segment) => segment.startsWith('_'))])
      if (!endpoints.has(first)) {
        return c.json(errorBody(new HttpError(400, 'illegal_argument_exception', `no handler found for uri [${c.req.path}] and method [${c.req.method}]: lsr has no [${first}] endpoint`)), 400)
      }
    }
    await next()
  })
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => c.json(errorBody(new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${c.req.path} (allowed: ${methods.join(', ')})`)), 405, { Allow: methods.join(', ') }),
  }))

  // Cluster
  const info = handshake ? compatMainResponse(handshake) : { name: 'lsr', cluster_name: 'lsr', version: { number: VERSION, distribution: 'lsr', build_flavor: 'default' }, tagline: 'You Know, for Sparse Search' }
  app.get('/', acceptsParams(), (c) => ((c.req.header('accept') ?? '').includes('text/html') ? c.html(SEARCH_PAGE) : c.json(info)))
  app.get('/_ui', acceptsParams(), (c) => c.html(SEARCH_PAGE))
  /** Every index's state; a broken one is listed (red), not a failure. */
  const states = async (c: Ctx) => (await Promise.all((await registry.names()).map(async (name) => ({ name, state: await c.var.indexes.inspect(name) }))))
    .flatMap(({ name, state }) => (state ? [{ name, ...state }] : []))
  app.get('/_cluster/health', acceptsParams('level', 'local', ...NO_EFFECT_ON_ONE_NODE), async (c) => {
    // level=indices|shards adds per-index detail lsr does not give: refused, not ignored.
    const level = c.req.query('level')
    if (level !== undefined && level !== 'cluster') throw badRequest(`[level] ${level} is not supported (only cluster)`)
    const all = await states(c)
    const broken = all.filter((s) => s.broken !== undefined).length
    return c.json({
      cluster_name: 'lsr', status: broken > 0 ? 'red' : 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1,
      active_primary_shards: all.length - broken, active_shards: all.length - broken,
      relocating_shards: 0, initializing_shards: 0, unassigned_shards: broken,
    })
  })
  catRoutes(app, { registry, aliases })

  // Search and bulk across indexes
  /** Open scrolls and points in time (scroll.ts, pit.ts), freed when an index they read is dropped. */
  const contexts = readerContexts(registry)
  /**
   * One search as `_search` runs it: the indexes (an expression, or a point in time's), the search
   * pipeline (body, URL, index default), the hits; `hold` for a scroll's or point in time's search.
   */
  const runSearch = async (c: Ctx, expression: string | Array<[string, SparseIndex]>, body: Json, urlPipeline?: string, hold?: SearchHold) => {
    const searched = typeof expression === 'string' ? await indexes(c, expression) : expression
    const pipeline = await searchPipelines.resolve(body.search_pipeline, urlPipeline, searched)
    // Pages of a scroll or point in time are kept and shaped later: their sources are parsed.
    const result = await search(searched, body, { models, pipeline, hold, typedKeys: typedKeys(c), storedSources: hold === undefined })
    return restTotalHitsAsInt(c) ? totalAsInt(result) : result
  }
  const searchHandler = (expression?: string) => async (c: Ctx) => {
    const body = uriSearch(c, await jsonBody(c))
    const [target, urlPipeline, scroll] = [expression ?? c.req.param('index') ?? '_all', c.req.query('search_pipeline'), c.req.query('scroll')]
    if (body.pit !== undefined) {
      return c.json(await pitSearch(contexts, body, { pathIndex: c.req.param('index'), scroll, urlPipeline }, (searched, held, hold) => runSearch(c, searched, held, urlPipeline, hold)))
    }
    if (scroll !== undefined) return c.json(await startScroll(contexts, scroll, body, (held, hold) => runSearch(c, target, held, urlPipeline, hold)))
    return jsonAnswer(c, await runSearch(c, target, body, urlPipeline))
  }
  const msearchHandler = async (c: Ctx) => {
    const concurrency = c.req.query('max_concurrent_searches')
    if (concurrency !== undefined && !/^0*[1-9]\d*$/.test(concurrency)) throw badRequest(`[max_concurrent_searches] must be a positive integer, got [${concurrency}]`)
    // As for _search: total hits as a number are counted exactly.
    const asInt = restTotalHitsAsInt(c)
    const items = parseMultiSearch(await bodyText(c, maxBodyBytes), c.req.param('index') ?? '_all')
    const run = ({ index, body }: SearchItem) => runSearch(c, index, asInt && body.track_total_hits === undefined ? { ...body, track_total_hits: true } : body)
    return jsonAnswer(c, await multiSearch(items, run, errorOf, concurrency === undefined ? undefined : Math.min(Number(concurrency), items.length)))
  }
  const countHandler = (expression?: string) => async (c: Ctx) => {
    const body = await jsonBody(c)
    return c.json(await count(await indexes(c, expression ?? c.req.param('index') ?? '_all'), uriQuery(c, body), { models }))
  }
  const bulkHandler = (index?: string) => async (c: Ctx) => {
    refreshParam(c)
    // A pipeline the request names must exist: otherwise nothing is written.
    const pipeline = c.req.query('pipeline')
    if (pipeline !== undefined) await pipelines.chain(undefined, pipeline)
    const ingest = { ...pipelines.forBulk(pipeline), update: (target: SparseIndex, name: string, id: string) => updateIngest(pipelines, target, name, id, pipeline) }
    return c.json(await runBulk(await c.req.text(), index, (name) => c.var.indexes.named(name), errorOf, ingest))
  }
  app.on(['GET', 'POST'], '/_search', acceptsParams(...SEARCH_PARAMS, 'scroll'), searchHandler('_all'))
  app.on(['GET', 'POST'], '/_count', acceptsParams(...COUNT_PARAMS), countHandler('_all'))
  app.on(['GET', 'POST'], '/_msearch', acceptsParams(...MSEARCH_PARAMS), msearchHandler)
  app.all('/_msearch', otherMethods('/_msearch', ['GET', 'POST']))
  app.on(['POST', 'PUT'], '/_bulk', acceptsParams(...BULK_PARAMS), bulkHandler())
  /** Refresh and flush answer Elasticsearch's `_shards`, one shard per index the request names (which must exist). */
  const shardsOf = async (c: Ctx, expression?: string) => {
    const shards = (await indexes(c, expression ?? c.req.param('index') ?? '_all')).length
    return c.json({ _shards: { total: shards, successful: shards, failed: 0 } })
  }
  // Writes are visible when acknowledged: refresh only checks the indexes exist. GET as well as
  // POST (the OpenSearch client's indices.refresh() sends GET).
  app.on(['GET', 'POST'], '/_refresh', acceptsParams(), (c) => shardsOf(c, '_all'))
  // Elasticsearch's flush commits what its translog holds. lsr keeps no such buffer: each write is
  // one LevelDB batch, in the database's log and fsynced before it is acknowledged (a crash of the
  // process or of the machine loses no acknowledged write), and there is nothing more a flush could
  // write. It checks the indexes exist and answers Elasticsearch's shape, one shard per index.
  const flushHandler = (expression?: string) => async (c: Ctx) => {
    booleanParam(c, 'force', false)
    booleanParam(c, 'wait_if_ongoing', true)
    return shardsOf(c, expression)
  }
  app.on(['GET', 'POST'], '/_flush', acceptsParams('force', 'wait_if_ongoing'), flushHandler('_all'))

  // Scrolls and points in time, before /{index} takes _pit for an index name
  scrollRoutes(app, contexts, jsonBody)
  pitRoutes(app, contexts, jsonBody)

  // Ingest pipelines and the models they encode with
  ingestPipelineRoutes(app, pipelines, jsonBody, errorOf)
  searchPipelineRoutes(app, searchPipelines, jsonBody)
  mlModelRoutes(app, models, jsonBody)

  // Documents, and /_mget before /{index} takes it for an index name
  documentRoutes(app, { jsonBody, pipelines, errorOf })

  // Analysis, before /{index} takes _analyze for an index name
  analyzeRoutes(app, { jsonBody })

  // Dropping an index (DELETE, and remove_index in _aliases) first frees the scrolls and points in
  // time reading it: they hold readers, which closing it waits for.
  const dropIndex = (name: string) => {
    const dropped = contexts.dropping(name)
    return registry.drop(name).finally(dropped)
  }
  // Aliases, before /{index} takes _alias for an index name.
  aliasRoutes(app, { store: aliases, jsonBody, allowDestructive: options.allowDestructive === true, drop: dropIndex })

  // Index management
  app.put('/:index', acceptsParams(...NO_EFFECT_ON_ONE_NODE), async (c) => {
    const name = validateIndexName(c.req.param('index'))
    const { aliases: wanted, ...body } = await jsonBody(c)
    const settings = await indexSettingsFrom(body, options.modelsDir)
    await aliases.createIndex(name, parseCreateAliases(wanted), () => registry.create(name, settings)).catch((error) => {
      // Creating, "not found" can only be something the settings name (a model's file): bad settings.
      throw error instanceof LsrError && error.code === 'not_found' ? badRequest(error.message) : error
    })
    return c.json({ acknowledged: true, shards_acknowledged: true, index: name })
  })
  app.get('/:index', acceptsParams(), async (c) => {
    const found = await indexes(c, c.req.param('index'))
    const aliasesOf = await aliases.byIndex()
    return c.json(Object.fromEntries(found.map(([name, index]) => [name, {
      aliases: aliasesOf.get(name) ?? {}, mappings: index.schema?.toStored().mappings ?? {}, settings: { index: indexSettingsOf(name, index) },
    }])))
  })
  /** An index's settings as `GET /{index}` and `GET /{index}/_settings` show them. */
  const indexSettingsOf = (name: string, index: SparseIndex): Json => {
    const stored = index.schema?.toStored()
    return {
      number_of_shards: '1',
      number_of_replicas: '0',
      ...(index.meta.encoder ? { encoder: publicEncoder(index.meta.encoder, options.modelsDir) } : {}),
      ...(stored?.similarity ? { similarity: stored.similarity } : {}),
      ...(stored?.analysis ? { analysis: stored.analysis } : {}),
      ...(index.meta.pipelines?.default ? { default_pipeline: index.meta.pipelines.default } : {}),
      ...(index.meta.pipelines?.final ? { final_pipeline: index.meta.pipelines.final } : {}),
      ...(index.meta.pipelines?.search ? { search: { default_pipeline: index.meta.pipelines.search } } : {}),
      creation_date: String(Date.parse(index.meta.createdAt)),
      provided_name: name,
    }
  }
  app.get('/:index/_mapping', acceptsParams(), async (c) => {
    const found = await indexes(c, c.req.param('index'))
    return c.json(Object.fromEntries(found.map(([name, index]) => [name, { mappings: index.schema?.toStored().mappings ?? {} }])))
  })
  app.on(['PUT', 'POST'], '/:index/_mapping', acceptsParams(), async (c) => {
    const body = await jsonBody(c, true)
    const found = await indexes(c, c.req.param('index'))
    // Several indexes change all or none: each is checked before any is changed.
    if (found.length > 1) for (const [, index] of found) await checkMappingUpdate(index, body)
    for (const [, index] of found) await index.putMapping(body)
    return c.json({ acknowledged: true })
  })
  app.get('/:index/_settings', acceptsParams(), async (c) => {
    const found = await indexes(c, c.req.param('index'))
    return c.json(Object.fromEntries(found.map(([name, index]) => [name, { settings: { index: indexSettingsOf(name, index) } }])))
  })
  app.put('/:index/_settings', acceptsParams(...NO_EFFECT_ON_ONE_NODE), async (c) => {
    // Parsed (and refused) before any index is changed.
    const changes = pipelineUpdate(await jsonBody(c, true))
    for (const [, index] of await indexes(c, c.req.param('index'))) await index.setPipelines(changes)
    return c.json({ acknowledged: true })
  })
  app.on('HEAD', '/:index', acceptsParams(), async (c) => c.body(null, (await registry.exists(validateIndexName(c.req.param('index')))) ? 200 : 404))
  app.delete('/:index', acceptsParams(...NO_EFFECT_ON_ONE_NODE), async (c) => {
    const expression = c.req.param('index')
    refuseDestructive(expression, options.allowDestructive === true)
    await aliases.refuseAliases(expression)
    for (const { name, matched } of await registry.resolve(expression)) {
      // A pattern's match deleted meanwhile by another request is already gone: not an error.
      await dropIndex(name).catch((error) => {
        if (!(matched && error instanceof HttpError && error.status === 404)) throw error
      })
      await aliases.indexDeleted(name)
    }
    return c.json({ acknowledged: true })
  })

  // Per-index endpoints
  app.on(['GET', 'POST'], '/:index/_search', acceptsParams(...SEARCH_PARAMS, 'scroll'), searchHandler())
  app.on(['GET', 'POST'], '/:index/_count', acceptsParams(...COUNT_PARAMS), countHandler())
  app.on(['GET', 'POST'], '/:index/_msearch', acceptsParams(...MSEARCH_PARAMS), msearchHandler)
  app.on(['POST', 'PUT'], '/:index/_bulk', acceptsParams(...BULK_PARAMS), async (c) => bulkHandler(validateIndexName(c.req.param('index')))(c))
  app.on(['GET', 'POST'], '/:index/_refresh', acceptsParams(), (c) => shardsOf(c))
  app.on(['GET', 'POST'], '/:index/_flush', acceptsParams('force', 'wait_if_ongoing'), flushHandler())
  app.post('/:index/_delete_by_query', acceptsParams(...BY_QUERY_PARAMS), async (c) => {
    const request = parseByQuery(c, await jsonBody(c), 'delete')
    const { status, body } = await deleteByQuery(await indexes(c, c.req.param('index')), request, models)
    return c.json(body, status as 200)
  })
  app.post('/:index/_update_by_query', acceptsParams(...BY_QUERY_PARAMS, 'pipeline'), async (c) => {
    const request = parseByQuery(c, await jsonBody(c), 'update')
    const found = await indexes(c, c.req.param('index'))
    // Every index's pipelines are found before anything is written (a missing one is a 400).
    const requested = c.req.query('pipeline')
    const ingest = new Map(await Promise.all(found.map(async ([name, index]) => {
      const chain = await pipelines.chain(index.meta.pipelines, requested)
      return [name, chain.length === 0 ? undefined : (docs: readonly IngestInput[]) => pipelines.run(chain, name, docs)] as const
    })))
    const { status, body } = await updateByQuery(found, request, ingest, errorOf, models)
    return c.json(body, status as 200)
  })
  // Elasticsearch's force merge: here, compaction (one segment per term, deleted postings dropped).
  app.post('/:index/_forcemerge', acceptsParams(), async (c) => {
    for (const [, index] of await indexes(c, c.req.param('index'))) await index.compact()
    return c.json({ _shards: SHARDS })
  })
  app.get('/:index/_stats', acceptsParams(), async (c) => {
    const entries = await Promise.all((await indexes(c, c.req.param('index'))).map(async ([name, index]) => {
      const s = await index.stats()
      const totals = { docs: { count: s.documents, deleted: s.deletedDocuments }, store: { size_in_bytes: s.sizeOnDiskBytes } }
      return [name, { primaries: totals, total: totals, lsr: { terms: s.terms, postings: s.postings, encoder: index.meta.encoder ? publicEncoder(index.meta.encoder, options.modelsDir) : null } }] as const
    }))
    return c.json({ _shards: SHARDS, indices: Object.fromEntries(entries) })
  })
  app.on(['GET', 'POST'], '/:index/_explain/:id', acceptsParams(...NO_EFFECT_ON_ONE_NODE), async (c) => {
    const [name, index] = await c.var.indexes.named(validateIndexName(c.req.param('index') ?? ''))
    const explained = await explainDocument(index, (await jsonBody(c)).query, c.req.param('id'), { models })
    if (!explained) return c.json({ _index: name, _id: c.req.param('id'), matched: false }, 404)
    return c.json({ _index: name, _id: c.req.param('id'), ...explained })
  })

  return app
}

/**
 * Refuses a `PUT _mapping` body that the index would refuse, changing nothing: the same parse,
 * merge and encoder-field checks as {@link SparseIndex.putMapping}, without the write. (An index
 * without a schema is left to putMapping, which refuses it before writing anything.)
 */
async function checkMappingUpdate(index: SparseIndex, body: Json): Promise<void> {
  const schema = index.schema
  if (!schema) return index.putMapping(body)
  const merged = mergeMapping(schema.mapping, parseMapping(body, schema.analyzers, { has: (name: string) => schema.hasSimilarity(name) }))
  for (const field of index.meta.encoder ? ['title', 'text'] : []) {
    if (fieldAt(merged, field)) throw new LsrError('mapper_parsing', `field [${field}] feeds the index's encoder (title + text as one field): it cannot be mapped in an index with an encoder`)
  }
}

/** URL parameters of `_msearch` (`search_type`, `pre_filter_shard_size`, … change nothing on one node). */
const MSEARCH_PARAMS = ['max_concurrent_searches', 'rest_total_hits_as_int', 'typed_keys', ...NO_EFFECT_ON_ONE_NODE]

/** URL parameters of `_bulk`. */
const BULK_PARAMS = ['refresh', 'pipeline', ...NO_EFFECT_ON_ONE_NODE]
