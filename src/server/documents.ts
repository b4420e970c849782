/**
 * The document routes, as Elasticsearch's document APIs: index (`_doc`, `_create`), get (`_doc`,
 * `_source`), delete, multi get (`_mget`) and update (`_update`, see update.ts). Writes run the
 * ingest pipelines: the request's `?pipeline=` or the index's default, then its final; an update
 * runs the index's over its new (merged) source. Writes take `if_seq_no` + `if_primary_term`, or
 * `version` + `version_type` (external), checked inside the index's serialized write; every
 * answer carries the document's `_version`, `_seq_no` and `_primary_term`.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/docs.html
 * @module
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'
import { PRIMARY_TERM } from '../engine/sparse-index.js'
import { conflictError, documentId, generateId, sourceDocument, writeAnswer } from './bulk.js'
import { badRequest, HttpError } from './http-error.js'
import { validateIndexName } from './index-names.js'
import { checkReadVersion, multiGet, parseMultiGet, readVersion } from './multi-get.js'
import type { IngestPipelines, JsonBodyReader } from './pipelines.js'
import { sourceFilter } from '../engine/source-filter.js'
import { applyUpdate, checkUpdateCondition, parseUpdate, updateAnswer, updateIngest } from './update.js'
import { uriSource } from './uri-search.js'
import { acceptsParams, booleanParam, NO_EFFECT_ON_ONE_NODE, otherMethods, refreshParam, urlVersionParams, VERSION_PARAMS, writeCondition } from './url-params.js'

type Ctx = Context<AppEnv>

/** What the document routes use of the app. */
export interface DocumentRouteDeps {
  jsonBody: JsonBodyReader
  pipelines: IngestPipelines
  /** How a failure becomes an HTTP error (the app hides server paths there). */
  errorOf: (error: unknown) => HttpError
}

/** URL parameters of the get APIs (`_doc`, `_source`, `_mget`): source filtering, and `refresh`/`realtime` (reads see every acknowledged write). */
const GET_PARAMS = ['_source', '_source_includes', '_source_excludes', 'realtime', 'refresh', ...NO_EFFECT_ON_ONE_NODE]
/** `_doc` and `_source` also take the version the document must be at (a 409 otherwise). */
const GET_ONE_PARAMS = [...GET_PARAMS, 'version', 'version_type']

/** `realtime` and `refresh` of a get: booleans, both honoured by any read (writes are visible when acknowledged). */
function getFlags(c: Ctx): void {
  booleanParam(c, 'realtime', true)
  booleanParam(c, 'refresh', false)
}

/**
 * The document routes. `/_mget` is registered here, so call this before the `/{index}` routes
 * (which would take `_mget` for an index name).
 */
export function documentRoutes(app: Hono<AppEnv>, { jsonBody, pipelines, errorOf }: DocumentRouteDeps): void {
  // Multi get
  const mget = async (c: Ctx) => {
    getFlags(c)
    const path = c.req.param('index')
    const items = parseMultiGet(await jsonBody(c, true), path === undefined ? undefined : validateIndexName(path), uriSource(c))
    return c.json(await multiGet(items, (name) => c.var.indexes.named(name), errorOf))
  }
  app.on(['GET', 'POST'], '/_mget', acceptsParams(...GET_PARAMS), mget)
  app.all('/_mget', otherMethods('/_mget', ['GET', 'POST']))
  app.on(['GET', 'POST'], '/:index/_mget', acceptsParams(...GET_PARAMS), mget)

  // Index
  const putDoc = (create: boolean) => async (c: Ctx) => {
    refreshParam(c)
    const name = validateIndexName(c.req.param('index') ?? '')
    const opType = c.req.query('op_type')
    if (opType !== undefined && opType !== 'index' && opType !== 'create') throw badRequest(`[op_type] must be index or create, got [${opType}]`)
    const createOnly = create || opType === 'create'
    const given = c.req.param('id')
    const condition = writeCondition(urlVersionParams(c), createOnly ? 'create' : 'index', given !== undefined)
    const [concrete, index] = await c.var.indexes.named(name)
    const id = given === undefined ? generateId() : documentId(given)
    const body = await jsonBody(c, true)
    sourceDocument(id, body) // an _id field is refused before any pipeline sees the document
    const [ingested] = await pipelines.run(await pipelines.chain(index.meta.pipelines, c.req.query('pipeline')), concrete, [{ id, source: body }])
    if (ingested.error) throw ingested.error
    const doc = sourceDocument(id, ingested.source)
    // The existence check of a create and the condition run inside the serialized write: of
    // concurrent writers that read one version, one succeeds.
    const { outcomes: [outcome], versions: [version], conflicts: [conflict] } = await index.add([doc], { createOnly: [createOnly], conditions: [condition], versionIdentical: true })
    if (conflict) throw conflictError(id, conflict)
    const created = outcome === 'created'
    return c.json(writeAnswer({ _index: concrete, _id: id }, created ? 'created' : 'updated', version), created ? 201 : 200)
  }
  const writeParams = acceptsParams('refresh', 'op_type', 'pipeline', ...VERSION_PARAMS, ...NO_EFFECT_ON_ONE_NODE)
  app.on(['PUT', 'POST'], '/:index/_doc/:id', writeParams, putDoc(false))
  app.post('/:index/_doc', writeParams, putDoc(false))
  app.on(['PUT', 'POST'], '/:index/_create/:id', writeParams, putDoc(true))

  // Get (HEAD answers the status alone). `?version=` as Elasticsearch's realtime get: a found
  // document at another version is a 409, a missing one is not found.
  app.get('/:index/_doc/:id', acceptsParams(...GET_ONE_PARAMS), async (c) => {
    getFlags(c)
    const name = validateIndexName(c.req.param('index'))
    const filter = sourceFilter(uriSource(c))
    const expected = readVersion(c.req.query('version'), c.req.query('version_type'))
    const [concrete, index] = await c.var.indexes.named(name)
    const found = await index.getWithVersion(c.req.param('id'))
    if (!found) return c.json({ _index: concrete, _id: c.req.param('id'), found: false }, 404)
    checkReadVersion(c.req.param('id'), found.version, expected)
    const filtered = filter(found.source)
    const { version, seqNo } = found
    return c.json({ _index: concrete, _id: c.req.param('id'), _version: version, _seq_no: seqNo, _primary_term: PRIMARY_TERM, found: true, ...(filtered ? { _source: filtered } : {}) })
  })
  // The source alone (Elasticsearch's get source API).
  app.get('/:index/_source/:id', acceptsParams(...GET_ONE_PARAMS), async (c) => {
    getFlags(c)
    const name = validateIndexName(c.req.param('index'))
    const spec = uriSource(c)
    if (spec === false || spec === 'false') throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: fetching source can not be disabled;')
    const filter = sourceFilter(spec)
    const expected = readVersion(c.req.query('version'), c.req.query('version_type'))
    const id = c.req.param('id')
    const [concrete, index] = await c.var.indexes.named(name)
    const found = await index.getWithVersion(id)
    if (!found) throw new HttpError(404, 'resource_not_found_exception', `Document not found [${concrete}]/[${id}]`)
    checkReadVersion(id, found.version, expected)
    return c.json(filter(found.source) ?? {})
  })

  // Update
  const updateParams = acceptsParams('refresh', 'retry_on_conflict', '_source', '_source_includes', '_source_excludes', ...VERSION_PARAMS, ...NO_EFFECT_ON_ONE_NODE)
  app.post('/:index/_update/:id', updateParams, async (c) => {
    refreshParam(c)
    // Accepted: updates of one document are serialized, so they never conflict with each other.
    const retries = c.req.query('retry_on_conflict')
    if (retries !== undefined && !/^\d+$/.test(retries)) throw badRequest(`[retry_on_conflict] must be a non-negative integer, got [${retries}]`)
    // `version` is a 400 here, as in Elasticsearch; `if_seq_no` is checked against the document read.
    const condition = writeCondition(urlVersionParams(c), 'update')
    const name = validateIndexName(c.req.param('index'))
    const id = documentId(c.req.param('id'))
    const update = parseUpdate(await jsonBody(c), uriSource(c))
    checkUpdateCondition(update, condition, retries)
    const [concrete, index] = await c.var.indexes.named(name)
    const outcome = await applyUpdate(index, id, update, await updateIngest(pipelines, index, concrete, id), condition)
    return c.json({ _index: concrete, _id: id, ...updateAnswer(outcome, update) }, outcome.result === 'created' ? 201 : 200)
  })

  // Delete
  app.delete('/:index/_doc/:id', acceptsParams('refresh', ...VERSION_PARAMS, ...NO_EFFECT_ON_ONE_NODE), async (c) => {
    refreshParam(c)
    const name = validateIndexName(c.req.param('index'))
    const id = c.req.param('id')
    const condition = writeCondition(urlVersionParams(c), 'delete')
    const [concrete, index] = await c.var.indexes.named(name)
    const { outcomes: [outcome], versions: [version], conflicts: [conflict] } = await index.deleteDocuments([id], { conditions: [condition] })
    if (conflict) throw conflictError(id, conflict)
    const deleted = outcome === 'deleted'
    return c.json(writeAnswer({ _index: concrete, _id: id }, deleted ? 'deleted' : 'not_found', version), deleted ? 200 : 404)
  })
}
