/**
 * `_msearch`, as Elasticsearch's multi search API takes it: NDJSON pairs of a header line (the
 * indexes to search; empty for the path's index, or all) and a search body, each search answered
 * as `_search` answers it, with its `status`, or with `{error, status}` when it fails alone.
 * As in Elasticsearch, the whole request is a 400 when a line is not JSON or a header has a key
 * it does not take: nothing is searched then.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/search-multi-search.html
 * @module
 */
import { badRequest, errorBody, HttpError, parsingError } from './http-error.js'
import { isObject, parseJson, type Json } from './json.js'

/** One search of a multi search: the index expression it searches and its body. */
export interface SearchItem {
  index: string
  body: Json
}

/** Header keys that change nothing on one node with one shard per index (as the same URL parameters of `_search`). */
const NO_EFFECT_HEADER_KEYS = ['search_type', 'preference', 'routing', 'request_cache', 'allow_partial_search_results', 'ccs_minimize_roundtrips']
/** Header keys of Elasticsearch that change which indexes a search reads: refused, as `_search` refuses them in its URL. */
const INDEX_OPTION_KEYS = ['ignore_unavailable', 'allow_no_indices', 'expand_wildcards', 'ignore_throttled']

/** Searches run at once when `max_concurrent_searches` is not given (Elasticsearch's default on one node with at least 6 processors). */
export const DEFAULT_CONCURRENT_SEARCHES = 10

/** The indexes a header names (`index`, or `indices`: a string, comma-separated or not, or an array of strings). */
function indexOf(value: unknown, line: number): string {
  const parts = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
  if (!parts || parts.length === 0 || parts.some((part) => part === '')) throw badRequest(`msearch line [${line}]: [index] must be an index name or expression, or a non-empty array of them`)
  return parts.join(',')
}

function header(line: string, number: number, defaultIndex: string): string {
  if (line.trim() === '') return defaultIndex
  const value = parseJson(line, `msearch line [${number}]`)
  if (!isObject(value)) throw parsingError(`msearch line [${number}]: a header must be a JSON object`)
  let index = defaultIndex
  for (const [key, option] of Object.entries(value)) {
    if (key === 'index' || key === 'indices') index = indexOf(option, number)
    else if (INDEX_OPTION_KEYS.includes(key)) throw badRequest(`msearch line [${number}]: key [${key}] is not supported in the metadata section (lsr searches the indexes named, and 404s a missing one)`)
    else if (!NO_EFFECT_HEADER_KEYS.includes(key)) throw badRequest(`msearch line [${number}]: key [${key}] is not supported in the metadata section`)
  }
  return index
}

/**
 * Splits an `_msearch` body into its searches. Lines end with `\n` (a `\r` before it is
 * dropped); an empty header line is `{}`; the final newline may be left out.
 * @param defaultIndex - the path's index expression, else `_all`
 * @throws HttpError 400 naming the line that is not JSON, a header key not taken, a header without its body
 */
export function parseMultiSearch(text: string, defaultIndex: string): SearchItem[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
  if (lines.at(-1) === '') lines.pop()
  const items: SearchItem[] = []
  for (let i = 0; i < lines.length; i += 2) {
    const index = header(lines[i], i + 1, defaultIndex)
    if (i + 1 === lines.length) {
      // Blank lines after the last search are no search.
      if (lines[i].trim() === '') break
      throw parsingError(`msearch line [${i + 1}]: the header has no search body after it (each search is a header line and a body line)`)
    }
    const body = lines[i + 1].trim() === '' ? undefined : parseJson(lines[i + 1], `msearch line [${i + 2}]`)
    if (!isObject(body)) throw parsingError(`msearch line [${i + 2}]: a search body must be a JSON object`)
    items.push({ index, body })
  }
  if (items.length === 0) throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;')
  return items
}

/**
 * Runs the searches, at most `concurrency` at a time: `{took, responses}`, each response the
 * search's answer with `status: 200`, or `{error, status}`.
 * @param errorOf - how a failure becomes a response's error
 */
export async function multiSearch(items: readonly SearchItem[], run: (item: SearchItem) => Promise<Json>, errorOf: (error: unknown) => HttpError, concurrency = DEFAULT_CONCURRENT_SEARCHES): Promise<Json> {
  const started = performance.now()
  const responses: Json[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const at = next++
      try {
        responses[at] = { ...(await run(items[at])), status: 200 }
      } catch (error) {
        const http = errorOf(error)
        responses[at] = { error: errorBody(http).error, status: http.status }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return { took: Math.round(performance.now() - started), responses }
}
