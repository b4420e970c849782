/**
 * OpenSearch's `hybrid` query: up to five sub-queries, each run as its own exact top-k over the
 * same (optionally filtered) documents; a search pipeline's phase-results processor then
 * normalizes each list and combines them (fusion.ts). The query itself only retrieves.
 *
 * As OpenSearch: `hybrid` is a top-level query only; each sub-query keeps `pagination_depth`
 * results (default: `size`, and required when `from` > 0, at most `index.max_result_window`);
 * `hits.total` counts the documents any sub-query matches; `from`/`size` page the fused list.
 * @module
 */
import { LsrError } from '../../errors.js'
import type { SearchRequest, TwoPhase } from '../../search/searcher.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { CompileOptions, IndexReader } from '../index-reader.js'
import { isObject, valuesUnderKeys } from '../json-shapes.js'
import { fuse, MAX_SUB_QUERIES, type Fusion, type FusedHit, type SubQueryHits } from './fusion.js'

/** Elasticsearch's `index.max_result_window`, the largest `pagination_depth`. */
export const MAX_PAGINATION_DEPTH = 10_000

/** A parsed `hybrid` query. */
export interface HybridQuery {
  /** The sub-queries (query DSL), 1 to 5. */
  queries: readonly unknown[]
  /** A filter every sub-query gets (query DSL). */
  filter?: unknown
  /** Results kept per sub-query. */
  paginationDepth?: number
}

const parsing = (message: string) => new LsrError('query_parsing', message)

/**
 * The hybrid query of a search, or undefined when the query is another type.
 * @throws LsrError naming the key when the hybrid query is malformed
 */
export function hybridOf(query: unknown): HybridQuery | undefined {
  if (!isObject(query) || !Object.hasOwn(query, 'hybrid')) return undefined
  if (Object.keys(query).length !== 1) throw parsing('[query] must have exactly one query type')
  const body = query.hybrid
  if (!isObject(body)) throw parsing('[hybrid] must be an object with [queries]')
  for (const key of Object.keys(body)) {
    if (!['queries', 'filter', 'pagination_depth'].includes(key)) throw parsing(`[hybrid] query does not support [${key}]`)
  }
  const { queries, filter, pagination_depth: depth } = body
  if (!Array.isArray(queries) || queries.length === 0) throw parsing('[hybrid] requires [queries]: an array of 1 to 5 queries')
  if (queries.length > MAX_SUB_QUERIES) throw new LsrError('invalid_argument', `[hybrid] number of sub-queries exceeds maximum supported by [hybrid] query: ${queries.length} > ${MAX_SUB_QUERIES}`)
  queries.forEach((sub, i) => {
    if (!isObject(sub)) throw parsing(`[hybrid] queries[${i}] must be a query object`)
  })
  if (depth !== undefined && (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > MAX_PAGINATION_DEPTH)) {
    throw new LsrError('invalid_argument', `[hybrid] pagination_depth must be an integer from 1 to ${MAX_PAGINATION_DEPTH} (index.max_result_window), got ${JSON.stringify(depth)}`)
  }
  return { queries, ...(filter === undefined ? {} : { filter }), ...(depth === undefined ? {} : { paginationDepth: depth }) }
}

/** Results kept per sub-query for a page `from`, `size`: pagination_depth, else `size` (from must then be 0). */
export function hybridDepth(hybrid: HybridQuery, from: number, size: number): number {
  if (hybrid.paginationDepth !== undefined) return hybrid.paginationDepth
  if (from > 0) throw new LsrError('invalid_argument', '[hybrid] pagination_depth is required when from is greater than 0 (results kept per sub-query: each page must be cut from the same fused list)')
  return Math.min(size, MAX_PAGINATION_DEPTH)
}

/** What the sub-queries found on one index: a ranked list each, and every document any matches. */
export interface SubQueryResults {
  lists: SubQueryHits[]
  /** Compiled sub-queries (for explanations). */
  requests: SearchRequest[]
  /** Live documents matching at least one sub-query (with the filter): `hits.total`. */
  matched: RoaringBitmap32
}

/** Options of {@link runSubQueries}. */
export interface SubQueryOptions extends CompileOptions {
  /** A filter (query DSL) added to the hybrid query's own, e.g. a search's top-level filter. */
  filter?: unknown
  /** Two-phase search (a search pipeline's neural_sparse_two_phase_processor) for sub-queries that are a `neural_sparse` query. */
  twoPhase?: TwoPhase
}

/**
 * Runs each sub-query as its own exact top-`depth` on one reader (synchronous: the reader must be current).
 * @throws LsrError from compiling a sub-query, its message prefixed by the sub-query's place
 */
export function runSubQueries(reader: IndexReader, hybrid: HybridQuery, depth: number, options: SubQueryOptions = {}): SubQueryResults {
  const filters = [hybrid.filter, options.filter].filter((f) => f !== undefined)
  const lists: SubQueryHits[] = []
  const requests: SearchRequest[] = []
  const matched = new RoaringBitmap32()
  hybrid.queries.forEach((sub, i) => {
    const query = filters.length === 0 ? sub : { bool: { must: sub, filter: filters } }
    const request = atSubQuery(i, () => reader.compile(query, options))
    // The pipeline's two-phase processor acts on neural_sparse queries; a filtered one cannot take it (searcher.ts).
    if (options.twoPhase && isObject(sub) && Object.hasOwn(sub, 'neural_sparse')) {
      if (filters.length > 0) throw new LsrError('invalid_argument', `[hybrid] queries[${i}]: the neural_sparse two-phase processor does not apply to filtered sub-queries in lsr (remove the filter or the processor)`)
      request.twoPhase ??= options.twoPhase
    }
    const { hits } = atSubQuery(i, () => reader.execute(request, { k: depth }))
    lists.push({ docs: Uint32Array.from(hits, (hit) => hit.docId), scores: Float64Array.from(hits, (hit) => hit.score) })
    requests.push(request)
    matched.orInPlace(reader.matching(query, options))
  })
  return { lists, requests, matched }
}

/** Names the sub-query an error came from. */
function atSubQuery<T>(i: number, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof LsrError) throw new LsrError(error.code, `[hybrid] queries[${i}]: ${error.message}`, { cause: error })
    throw error
  }
}

/** A hybrid search's page on one index: fused hits (with each sub-query's raw and normalized score), the total and the best score. */
export interface HybridPage {
  hits: Array<{ id: string; docId: number; score: number; fused: FusedHit }>
  total: number
  maxScore: number | null
}

/** Runs a hybrid query on one reader and fuses its sub-queries' lists with `fusion`; the page `from`, `size` of the fused list. */
export function hybridSearch(reader: IndexReader, hybrid: HybridQuery, fusion: Fusion, page: { from: number; size: number }, options: SubQueryOptions = {}): HybridPage {
  const { lists, matched } = runSubQueries(reader, hybrid, hybridDepth(hybrid, page.from, page.size), options)
  const fused = fuse(lists, fusion, Math.max(page.from + page.size, 1))
  return {
    hits: fused.slice(page.from, page.from + page.size).map((hit) => ({ id: reader.externalId(hit.doc), docId: hit.doc, score: hit.score, fused: hit })),
    total: matched.size,
    // As the server answers: no best score for a page of no hits.
    maxScore: page.size > 0 && fused.length > 0 ? fused[0].score : null,
  }
}

/**
 * The two-phase processor of a search pipeline on a (non-hybrid) query: it applies to a top-level
 * `neural_sparse` query. OpenSearch also rewrites neural_sparse queries nested in `bool`; lsr's
 * two-phase search cannot run there, so such a query is refused rather than run without it.
 */
export function pipelineTwoPhase(query: unknown, request: SearchRequest, twoPhase: TwoPhase | undefined): SearchRequest {
  if (!twoPhase) return request
  if (isObject(query) && Object.hasOwn(query, 'neural_sparse')) return request.twoPhase ? request : { ...request, twoPhase }
  if (!valuesUnderKeys(query, ['neural_sparse']).next().done) {
    throw new LsrError('invalid_argument', 'the search pipeline\'s neural_sparse_two_phase_processor applies to a top-level neural_sparse query (or a hybrid sub-query) in lsr, not to one nested in another query')
  }
  return request
}
