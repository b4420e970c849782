/**
 * URI search: the URL parameters of `_search` and `_count` (`q`, `df`, `default_operator`, `size`,
 * `from`, `sort`, `_source*`, `track_total_hits`, `track_scores`, `explain`,
 * `rest_total_hits_as_int`) applied over the body, as Elasticsearch applies them (the URL's
 * override the body's).
 * @module
 */
import type { Context } from 'hono'
import { badRequest } from './http-error.js'
import type { Json } from './json.js'
import { NO_EFFECT_ON_ONE_NODE } from './url-params.js'

/** Search parameters taken from the URL (they override the body's, as in Elasticsearch). */
export const SEARCH_PARAMS = [
  'q', 'df', 'default_operator', 'size', 'from', 'sort', '_source', '_source_includes', '_source_excludes', 'track_total_hits', 'track_scores', 'explain',
  'rest_total_hits_as_int', 'typed_keys', 'search_pipeline', 'version', 'seq_no_primary_term', ...NO_EFFECT_ON_ONE_NODE,
]
export const COUNT_PARAMS = ['q', 'df', 'default_operator', ...NO_EFFECT_ON_ONE_NODE]

/**
 * `_source`, `_source_includes` and `_source_excludes` of the URL as a `_source` spec, or
 * undefined, as Elasticsearch reads them (FetchSourceContext.parseFromRestRequest): `_source` is
 * `true`, `false` or a list of includes; `_source_includes` replaces those includes and
 * `_source_excludes` adds excludes; `_source=false` wins over both.
 */
export function uriSource(c: Context): unknown {
  const list = (name: string) => {
    const value = c.req.query(name)
    return value === undefined ? undefined : value.split(',')
  }
  const source = c.req.query('_source')
  const [includes, excludes] = [list('_source_includes'), list('_source_excludes')]
  const flag = source === 'true' || source === 'false'
  if (includes === undefined && excludes === undefined) return source === undefined || flag ? source : source.split(',')
  if (source === 'false') return false
  return { includes: includes ?? (source === undefined || flag ? [] : source.split(',')), excludes: excludes ?? [] }
}

/** `?q=` (Lucene query syntax, with `df` and `default_operator`) as a `query_string` query. */
export function uriQuery(c: Context, body: Json): Json {
  const q = c.req.query('q')
  const df = c.req.query('df')
  const operator = c.req.query('default_operator')
  if (q === undefined) {
    if (df !== undefined || operator !== undefined) throw badRequest(`[${df !== undefined ? 'df' : 'default_operator'}] applies to [q], which the request lacks`)
    return body
  }
  if (body.query !== undefined) throw badRequest('[q] cannot be combined with a query in the body')
  const query: Json = { query: q }
  if (df !== undefined) query.default_field = df
  if (operator !== undefined) query.default_operator = operator
  return { ...body, query: { query_string: query } }
}

/** A boolean URL flag: present without a value or `true` is true, `false` false; anything else is kept for search() to refuse by name. */
function flag(value: string | undefined): boolean | string | undefined {
  return value === undefined ? undefined : value === '' || value === 'true' ? true : value === 'false' ? false : value
}

/** URI search parameters over the body: `q`, `size`, `from`, `sort`, `_source*`, `track_total_hits`, `track_scores`, `explain`, `version`, `seq_no_primary_term`. */
export function uriSearch(c: Context, body: Json): Json {
  const out: Json = uriQuery(c, body)
  for (const key of ['size', 'from']) {
    const value = c.req.query(key)
    if (value !== undefined) out[key] = /^\d+$/.test(value) ? Number(value) : value
  }
  const source = uriSource(c)
  if (source !== undefined) out._source = source
  const sort = c.req.query('sort')
  // field:order pairs, comma-separated (`price:desc,_score`), as the body's sort entries.
  if (sort !== undefined) out.sort = sort.split(',').map((s) => (s.includes(':') ? { [s.slice(0, s.indexOf(':'))]: s.slice(s.indexOf(':') + 1) } : s))
  const total = c.req.query('track_total_hits') ?? (restTotalHitsAsInt(c) && body.track_total_hits === undefined ? 'true' : undefined)
  if (total !== undefined) out.track_total_hits = total
  for (const key of ['explain', 'track_scores', 'version', 'seq_no_primary_term']) {
    const value = flag(c.req.query(key))
    if (value !== undefined) out[key] = value
  }
  return out
}

/** `?rest_total_hits_as_int=true`: `hits.total` as a number (Elasticsearch 6's shape, still asked for by some clients). */
export function restTotalHitsAsInt(c: Context): boolean {
  const value = c.req.query('rest_total_hits_as_int')
  if (value === undefined || value === 'false') return false
  if (value === '' || value === 'true') return true
  throw badRequest(`[rest_total_hits_as_int] must be true or false, got [${value}]`)
}

/** `?typed_keys=true`: aggregation results named `type#name` (`sterms#by_tag`), as Elasticsearch's Java and .NET clients ask. */
export function typedKeys(c: Context): boolean {
  const value = c.req.query('typed_keys')
  if (value === undefined || value === 'false') return false
  if (value === '' || value === 'true') return true
  throw badRequest(`[typed_keys] must be true or false, got [${value}]`)
}

export function totalAsInt(result: Json): Json {
  const hits = result.hits as Json & { total?: { value: number } }
  const out: Json = { ...result, hits: { ...hits, total: hits.total?.value ?? 0 } }
  // top_hits aggregations answer hits blocks too, which the setting covers as well.
  if (result.aggregations !== undefined) out.aggregations = topHitsTotalsAsInt(result.aggregations)
  return out
}

/** A copy of an aggregations tree with each top_hits `hits.total` as a number. */
function topHitsTotalsAsInt(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(topHitsTotalsAsInt)
  if (node === null || typeof node !== 'object') return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    const total = key === 'hits' && value !== null && typeof value === 'object' ? (value as Json).total : undefined
    out[key] = total !== null && typeof total === 'object' ? { ...(value as Json), total: (total as { value: number }).value } : topHitsTotalsAsInt(value)
  }
  return out
}
