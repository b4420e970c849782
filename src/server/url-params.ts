/**
 * URL parameters as Elasticsearch treats them: each route accepts a known set, and any other is a
 * 400 `request [<path>] contains unrecognized parameter: [<name>]` (Elasticsearch's own words),
 * so a parameter lsr does not honour is never silently ignored.
 * @module
 */
import type { Context, Handler, MiddlewareHandler } from 'hono'
import type { WriteCondition } from '../engine/sparse-index.js'
import { badRequest, errorBody, HttpError } from './http-error.js'

/** What every route takes: formatting flags (whitespace, error detail) and `filter_path` (filter-path.ts). */
const EVERYWHERE = ['pretty', 'human', 'error_trace', 'filter_path']

/**
 * Parameters that have no effect on a single node with one shard per index, so taking them
 * changes no answer: shard routing and preference, how shards are queried and reduced, caching,
 * write-durability waits (writes are durable when acknowledged), and timeouts.
 */
export const NO_EFFECT_ON_ONE_NODE = [
  'routing', 'preference', 'search_type', 'request_cache', 'batched_reduce_size', 'max_concurrent_shard_requests',
  'pre_filter_shard_size', 'ccs_minimize_roundtrips', 'allow_partial_search_results', 'timeout', 'master_timeout',
  'cluster_manager_timeout', 'wait_for_active_shards',
]

/** Middleware: a 400 naming the first URL parameter the route does not take. */
export function acceptsParams(...names: string[]): MiddlewareHandler {
  const known = new Set([...EVERYWHERE, ...names])
  return async (c, next) => {
    checkParams(c, known)
    await next()
  }
}

function checkParams(c: Context, known: ReadonlySet<string>): void {
  for (const name of Object.keys(c.req.queries())) {
    if (!known.has(name)) throw badRequest(`request [${c.req.path}] contains unrecognized parameter: [${name}]`)
  }
}

/**
 * `?refresh=` of a write: `true`, `false` or `wait_for` (writes are visible when acknowledged, so
 * each is honoured as it is); anything else is a 400.
 */
export function refreshParam(c: Context): void {
  const refresh = c.req.query('refresh')
  if (refresh !== undefined && !['', 'true', 'false', 'wait_for'].includes(refresh)) {
    throw badRequest(`[refresh] must be true, false or wait_for, got [${refresh}]`)
  }
}

/**
 * A boolean URL parameter as Elasticsearch parses one: present without a value or `true` is
 * true, `false` is false, absent is `fallback`; anything else is a 400 naming it.
 */
export function booleanParam(c: Context, name: string, fallback: boolean): boolean {
  const value = c.req.query(name)
  if (value === undefined) return fallback
  if (value === '' || value === 'true') return true
  if (value === 'false') return false
  throw badRequest(`[${name}] must be true or false, got [${value}]`)
}

/**
 * The handler of every other method of a top-level endpoint (`/_mget`, `/_msearch`): a 405 naming
 * the endpoint's own methods, where `/{index}` would take the endpoint's name for an index name.
 */
export function otherMethods(path: string, methods: readonly string[]): Handler {
  return (c) => {
    const error = new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${path} (allowed: ${methods.join(', ')})`)
    return c.json(errorBody(error), 405, { Allow: methods.join(', ') })
  }
}

/** The version parameters of a write (Elasticsearch's optimistic concurrency control), as the URL and a `_bulk` action's metadata name them. */
export const VERSION_PARAMS = ['version', 'version_type', 'if_seq_no', 'if_primary_term'] as const

/** A write's version parameters as given: URL strings, or a `_bulk` action's JSON values. */
export type VersionParams = Partial<Record<(typeof VERSION_PARAMS)[number], unknown>>

/** The write operation the version parameters are for; `index` without an id is a generated one. */
export type VersionedOp = 'index' | 'create' | 'delete' | 'update'

/** Elasticsearch's "no value" of `if_seq_no` (UNASSIGNED_SEQ_NO) and `if_primary_term` (UNASSIGNED_PRIMARY_TERM). */
const UNASSIGNED_SEQ_NO = -2
const UNASSIGNED_PRIMARY_TERM = 0
/** Elasticsearch's `version` when none is given (Versions.MATCH_ANY). */
const MATCH_ANY = -3

const INTERNAL_VERSIONING = 'internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead'

/** A long parameter: an integer (a URL's decimal text), within JavaScript's exact integers. */
function longParam(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n)) throw badRequest(`Failed to parse long parameter [${name}] with value [${String(value).slice(0, 100)}]`)
  if (!Number.isSafeInteger(n)) throw badRequest(`[${name}] must be within ±${Number.MAX_SAFE_INTEGER} in lsr (JavaScript's exact integers), got [${String(value).slice(0, 100)}]`)
  return n
}

/**
 * The condition a write's version parameters put on its document, validated as Elasticsearch
 * validates the request (IndexRequest, DeleteRequest and UpdateRequest `validate`, with
 * `DocWriteRequest.validateSeqNoBasedCASParams`): `if_seq_no` with `if_primary_term`, or
 * `version` with `version_type` `external` (`external_gt`) or `external_gte`. A `version` of
 * `internal` versioning is a 400 as in Elasticsearch 7+, and so is any version on a create (but
 * `version_type=internal` alone, the default) or on an update.
 * @param hasId - false for an index whose id is generated: no version may be set then
 * @returns undefined when the write has no condition
 * @throws HttpError 400 (`action_request_validation_exception` listing every problem, or
 *   `illegal_argument_exception` for a value that does not parse)
 */
export function writeCondition(params: VersionParams, op: VersionedOp, hasId = true): WriteCondition | undefined {
  if (op === 'update' && (params.version !== undefined || params.version_type !== undefined)) throw validationFailed([INTERNAL_VERSIONING])
  const typeName = params.version_type === undefined ? 'internal' : String(params.version_type)
  const versionType = typeName === 'external_gt' ? 'external' : typeName
  if (!['internal', 'external', 'external_gte', 'force'].includes(versionType)) throw badRequest(`No version type match [${typeName.slice(0, 100)}]`)
  const version = longParam('version', params.version) ?? MATCH_ANY
  const ifSeqNo = longParam('if_seq_no', params.if_seq_no) ?? UNASSIGNED_SEQ_NO
  const ifPrimaryTerm = longParam('if_primary_term', params.if_primary_term) ?? UNASSIGNED_PRIMARY_TERM
  if (ifSeqNo < 0 && ifSeqNo !== UNASSIGNED_SEQ_NO) throw badRequest(`sequence numbers must be non negative. got [${ifSeqNo}].`)
  if (ifPrimaryTerm < 0) throw badRequest(`primary term must be non negative. got [${ifPrimaryTerm}]`)
  const problems: string[] = []
  if (versionType === 'force') problems.push('version type [force] may no longer be used')
  if (op === 'create') {
    const refusal = versionType !== 'internal'
      ? 'create operations only support internal versioning. use index instead'
      : version !== MATCH_ANY
        ? 'create operations do not support explicit versions. use index instead'
        : ifSeqNo !== UNASSIGNED_SEQ_NO || ifPrimaryTerm !== UNASSIGNED_PRIMARY_TERM
          ? 'create operations do not support compare and set. use index instead'
          : undefined
    if (refusal) throw validationFailed([...problems, refusal])
  }
  if (!hasId && (versionType !== 'internal' || version !== MATCH_ANY)) problems.push('an id must be provided if version type or value are set')
  const valid = versionType === 'internal' ? version > 0 || version === MATCH_ANY : version >= 0
  if (!valid) problems.push(`illegal version value [${version}] for version type [${versionType.toUpperCase()}]`)
  if (versionType === 'internal' && version !== MATCH_ANY) problems.push(INTERNAL_VERSIONING)
  if (ifSeqNo !== UNASSIGNED_SEQ_NO && (versionType !== 'internal' || version !== MATCH_ANY)) problems.push('compare and write operations can not use versioning')
  if (ifPrimaryTerm === UNASSIGNED_PRIMARY_TERM && ifSeqNo !== UNASSIGNED_SEQ_NO) problems.push('ifSeqNo is set, but primary term is [0]')
  if (ifPrimaryTerm !== UNASSIGNED_PRIMARY_TERM && ifSeqNo === UNASSIGNED_SEQ_NO) problems.push(`ifSeqNo is unassigned, but primary term is [${ifPrimaryTerm}]`)
  if (problems.length > 0) throw validationFailed(problems)
  if (ifSeqNo !== UNASSIGNED_SEQ_NO) return { ifSeqNo, ifPrimaryTerm }
  if (versionType === 'external' || versionType === 'external_gte') return { version, versionType }
  return undefined
}

/** Elasticsearch's ActionRequestValidationException: every problem, numbered. */
export function validationFailed(problems: readonly string[]): HttpError {
  return new HttpError(400, 'action_request_validation_exception', `Validation Failed: ${problems.map((p, i) => `${i + 1}: ${p};`).join('')}`)
}

/** The version parameters of a request's URL. */
export function urlVersionParams(c: Context): VersionParams {
  return Object.fromEntries(VERSION_PARAMS.map((name) => [name, c.req.query(name)]))
}
