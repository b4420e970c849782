/**
 * URL parameters as Elasticsearch treats them: each route accepts a known set, and any other is a
 * 400 `request [<path>] contains unrecognized parameter: [<name>]` (Elasticsearch's own words),
 * so a parameter lsr does not honour is never silently ignored.
 * @module
 */
import type { Context, Handler, MiddlewareHandler } from 'hono'
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
