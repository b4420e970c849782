/**
 * `_search` and `_count` over one or more indexes: body validation, query compilation, merging of
 * per-index hits, `_source` filtering, explanations, highlighting and hit totals, in the
 * Elasticsearch response shape.
 * @module
 */
import type { HitWithSource, SearchRequest, SparseIndex } from '../index/sparse-index.js'
import { highlight } from '../search/highlight.js'
import { badRequest, parsingError } from './http-error.js'
import { compileQuery } from './query-dsl.js'
import { sourceFilter } from './source-filter.js'
import type { Json } from './json.js'

/** Elasticsearch's `index.max_result_window`. */
const MAX_RESULT_WINDOW = 10_000
/** Default `track_total_hits`: exact up to 10,000. */
const DEFAULT_TOTAL_HITS_CAP = 10_000
const SEARCH_KEYS = ['query', 'size', 'from', '_source', 'track_total_hits', 'explain', 'highlight', 'sort', 'timeout']

export const SHARDS = { total: 1, successful: 1, skipped: 0, failed: 0 }

function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw parsingError(`[${name}] must be a non-negative integer`)
  return n
}

function checkSort(sort: unknown): void {
  if (sort === undefined) return
  const list = Array.isArray(sort) ? sort : [sort]
  const scoreOnly = list.every((s) => s === '_score' || (typeof s === 'object' && s !== null && Object.keys(s).length === 1 && '_score' in s))
  if (!scoreOnly) throw badRequest('[sort] is only supported on _score (descending)')
}

function totalHitsCap(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_TOTAL_HITS_CAP
  if (value === true || value === 'true') return Infinity
  if (value === false || value === 'false') return undefined
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n
  throw parsingError('[track_total_hits] must be true, false or a non-negative integer')
}

interface Compiled {
  name: string
  index: SparseIndex
  request: SearchRequest
}

function compileAll(indexes: ReadonlyArray<[string, SparseIndex]>, query: unknown): Compiled[] {
  return indexes.map(([name, index]) => ({ name, index, request: compileQuery(query, index) }))
}

/** Runs a search body over the named indexes. */
export async function search(indexes: ReadonlyArray<[string, SparseIndex]>, body: Json): Promise<Json> {
  const started = performance.now()
  for (const key of Object.keys(body)) if (!SEARCH_KEYS.includes(key)) throw badRequest(`search option [${key}] is not supported`)
  checkSort(body.sort)
  const size = nonNegativeInt(body.size, 'size', 10)
  const from = nonNegativeInt(body.from, 'from', 0)
  if (from + size > MAX_RESULT_WINDOW) throw badRequest(`Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${from + size}]`)
  const cap = totalHitsCap(body.track_total_hits)
  const filterSource = sourceFilter(body._source)
  const compiled = compileAll(indexes, body.query)

  let total = 0
  const ranked: Array<{ at: number; hit: { id: string; score: number; docId: number } }> = []
  compiled.forEach(({ index, request }, at) => {
    const result = index.execute(request, { k: from + size })
    total += result.total
    for (const hit of result.hits) ranked.push({ at, hit })
  })
  // Stable: equal scores keep index order, then each index's own order.
  ranked.sort((a, b) => b.hit.score - a.hit.score)
  const page = ranked.slice(from, from + size)

  const withSources = new Map<string, HitWithSource>()
  await Promise.all(compiled.map(async ({ index, name }, at) => {
    for (const hit of await index.withSources(page.filter((r) => r.at === at).map((r) => r.hit))) withSources.set(`${name}\u0000${hit.docId}`, hit)
  }))
  const highlighter = body.highlight === undefined ? undefined : highlightOf(body.highlight)
  const hits = await Promise.all(page.map(async ({ at, hit }) => {
    const { name, index, request } = compiled[at]
    const { source } = withSources.get(`${name}\u0000${hit.docId}`)!
    const out: Json = { _index: name, _id: hit.id, _score: hit.score }
    const filtered = filterSource(source)
    if (filtered !== undefined) out._source = filtered
    if (body.explain === true) out._explanation = await index.explain(request.terms, hit.id)
    if (highlighter) {
      const fragments = highlighter(source, index, request)
      if (Object.keys(fragments).length > 0) out.highlight = fragments
    }
    return out
  }))

  const response: Json = {
    took: Math.round(performance.now() - started),
    timed_out: false,
    _shards: SHARDS,
    hits: {
      ...(cap === undefined ? {} : { total: total > cap ? { value: cap, relation: 'gte' } : { value: total, relation: 'eq' } }),
      max_score: hits.length > 0 ? Math.max(...hits.map((h) => h._score as number)) : null,
      hits,
    },
  }
  return response
}

/** `_count`: the exact number of matches. */
export function count(indexes: ReadonlyArray<[string, SparseIndex]>, body: Json): Json {
  for (const key of Object.keys(body)) if (key !== 'query') throw badRequest(`count option [${key}] is not supported`)
  const total = compileAll(indexes, body.query).reduce((sum, { index, request }) => sum + index.execute(request, { k: 0 }).total, 0)
  return { count: total, _shards: SHARDS }
}

type Highlighter = (source: Json, index: SparseIndex, request: SearchRequest) => Record<string, string[]>

/** Parses `highlight: {fields, pre_tags, post_tags, fragment_size, number_of_fragments, encoder}`. */
function highlightOf(spec: unknown): Highlighter {
  if (typeof spec !== 'object' || spec === null) throw parsingError('[highlight] must be an object')
  const { fields, pre_tags, post_tags, fragment_size, number_of_fragments, encoder } = spec as Json
  if (typeof fields !== 'object' || fields === null) throw parsingError('[highlight] needs "fields"')
  const names = Array.isArray(fields) ? fields.flatMap((f) => Object.keys(f as Json)) : Object.keys(fields)
  const tag = (tags: unknown, fallback: string) => (Array.isArray(tags) && typeof tags[0] === 'string' ? tags[0] : fallback)
  const options = {
    preTag: tag(pre_tags, '<em>'),
    postTag: tag(post_tags, '</em>'),
    fragmentSize: nonNegativeInt(fragment_size, 'fragment_size', 150) || 150,
    fragments: nonNegativeInt(number_of_fragments, 'number_of_fragments', 3) || 3,
    escapeHtml: encoder === 'html',
  }
  return (source, index, request) => {
    const terms = new Set(request.terms.map((t) => t.term))
    const matches = (word: string) => index.encoder.wordTerms(word).some((term) => terms.has(term))
    const out: Record<string, string[]> = {}
    for (const field of names.flatMap((n) => (n === '*' ? ['title', 'text'] : [n]))) {
      const value = source[field]
      if (typeof value !== 'string') continue
      const fragments = highlight(value, matches, options)
      if (fragments.length > 0) out[field] = fragments
    }
    return out
  }
}
