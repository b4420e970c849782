/**
 * URL parameters as Elasticsearch treats them: each route accepts a known set, and any other is a
 * 400 `request [<path>] contains unrecognized parameter: [<name>]` (Elasticsearch's own words),
 * so a parameter lsr does not honour is never silently ignored.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { badRequest } from './http-error.js'

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
