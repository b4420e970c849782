/**
 * `_search` and `_count` over one or more indexes: body validation, query compilation, merging of
 * per-index hits, `_source` filtering, explanations, highlighting and hit totals, in the
 * Elasticsearch response shape.
 * @module
 */
import { PRIMARY_TERM, type IndexReader, type SearchRequest, type SortedHit, type SparseIndex } from '../engine/sparse-index.js'
import type { CompileOptions } from '../engine/index-reader.js'
import { parseAggregations, readTopHitSources, type ParsedAggregations } from '../engine/aggs/aggregate.js'
import { AggRun } from '../engine/aggs/scope.js'
import { describeFusion, fuse, type Fusion, type FusedHit, type SubQueryHits } from '../engine/hybrid/fusion.js'
import { hybridDepth, hybridOf, pipelineTwoPhase, runSubQueries, type HybridQuery } from '../engine/hybrid/hybrid-query.js'
import type { SearchPipeline } from '../engine/hybrid/search-pipeline.js'
import { loadQueryModels, withDefaultModels, type ModelSource } from '../engine/query/models.js'
import type { ParsedSort } from '../engine/query/sort.js'
import { parseSearchAfter } from '../engine/query/sort.js'
import { highlight, highlightPhrases, type HighlightPhrase } from '../search/highlight.js'
import type { Explanation } from '../search/scorers/scored-query.js'
import { compareSortValues, type SortValue } from '../search/sorted-search.js'
import { textTerm } from '../storage/index-state.js'
import type { RoaringBitmap32 } from '../storage/roaring.js'
import { restrictRequest } from '../search/searcher.js'
import { badRequest, parsingError } from './http-error.js'
import { queryStringToDsl } from './query-string-query.js'
import { sourceFilter } from '../engine/source-filter.js'
import { isObject, wildcardMatcher, type Json } from './json.js'
import { RawJson } from './raw-json.js'

/** Elasticsearch's `index.max_result_window`. */
const MAX_RESULT_WINDOW = 10_000
/** Default `track_total_hits`: exact up to 10,000. */
const DEFAULT_TOTAL_HITS_CAP = 10_000
/** Elasticsearch's time values (TimeValue.parseTimeValue, trimmed and lowercased): -1, 0, or an integer and a unit. */
const TIME_VALUE = /^(?:-1|0|\d+(?:nanos|micros|ms|s|m|h|d))$/
const SEARCH_KEYS = ['query', 'size', 'from', '_source', 'track_total_hits', 'explain', 'highlight', 'sort', 'timeout', 'search_after', 'track_scores', 'search_pipeline', 'version', 'seq_no_primary_term', 'aggs', 'aggregations', 'post_filter']

export const SHARDS = { total: 1, successful: 1, skipped: 0, failed: 0 }

/** A JSON number as it is, a URL parameter's string as a number if it is decimal digits (else NaN). */
function numeric(value: unknown): unknown {
  // Number() would also take "", "0x10" and "1e3".
  return typeof value === 'string' ? (/^\d+$/.test(value) ? Number(value) : Number.NaN) : value
}

function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = numeric(value)
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw parsingError(`[${name}] must be a non-negative integer`)
  return n
}

function totalHitsCap(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_TOTAL_HITS_CAP
  if (value === true || value === 'true') return Infinity
  if (value === false || value === 'false') return undefined
  const n = numeric(value)
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n
  throw parsingError('[track_total_hits] must be true, false or a non-negative integer')
}

export interface Compiled {
  name: string
  index: SparseIndex
  reader: IndexReader
  request: SearchRequest
  /** The request aggregations run over when it differs from `request` (which post_filter narrows). */
  aggRequest?: SearchRequest
}

/** What a search reads besides its body: the server's models and the search pipeline it runs. */
export interface SearchContext {
  /** Models `neural_sparse` query_text names (the server's models folder). */
  models?: ModelSource
  pipeline?: SearchPipeline
  /** A scroll's or point in time's hold on the search (scroll.ts, pit.ts): its readers and ranking outlive the request. */
  hold?: SearchHold
  /** Name aggregation results `type#name` (`?typed_keys=true`). */
  typedKeys?: boolean
  /**
   * Hits may carry their `_source` as stored ({@link RawJson}) where it is sent whole and nothing
   * else reads it: for a caller that serializes the answer with jsonBytes.
   */
  storedSources?: boolean
}

/** Every hit a scroll or point in time may show, ranked once, with the readers that ranked them. */
export interface HeldRanking {
  compiled: Compiled[]
  /** Best first in the sort's order, across indexes; `at` is the hit's index in `compiled`. */
  ranked: Array<{ at: number; hit: SortedHit }>
  total: number
  /** The best score over every match; null when the sort computes none. */
  maxScore: number | null
  /** Whether hits show scores (sorted by score, or `track_scores`). */
  scored: boolean
  sort?: ParsedSort
}

/** Renders hits of a ranking as the `_search` response of the request that made the renderer (its `_source`, highlight and total settings). */
export type PageRenderer = (ranking: HeldRanking, hits: HeldRanking['ranked'], started?: number) => Promise<Json>

/**
 * How a scroll or point in time runs a search: with its own readers (never released by the
 * search), ranking `depth` hits per index (or paging a ranking an earlier request made), and
 * choosing the page itself. The holder refuses `explain` and hybrid queries, and applies its own
 * `search_after` to the ranking (a body's would restrict the ranking itself).
 */
export interface SearchHold {
  /** The reader to rank `index` with; the holder keeps and releases it. */
  reader(name: string, index: SparseIndex): IndexReader
  /** Hits to rank per index. */
  depth: number
  /** A ranking an earlier request made of the same query: paged instead of ranked anew. */
  ranking?: HeldRanking
  /** Chooses the page of the ranking and renders it; called synchronously once the ranking is made. */
  page(ranking: HeldRanking, render: PageRenderer): Promise<Json>
}

/**
 * Loads the models the query names, then runs `use` with one reader per index, taken together
 * and released afterwards: everything in memory happens in `use`'s synchronous part, stored
 * sources are read through the readers' snapshots, so the answer reflects one committed state of
 * each index. `compile` is false for a query each index does not compile as one (hybrid).
 */
async function withReaders<T>(
  indexes: ReadonlyArray<[string, SparseIndex]>,
  query: unknown,
  context: SearchContext,
  use: (compiled: Compiled[], options: CompileOptions) => Promise<T> | T,
  compile = true,
  /** Other parts of the body that may hold queries (post_filter, aggregations' filters): their models load too. */
  moreQueries: unknown[] = [],
): Promise<T> {
  const models = context.models && (await loadQueryModels([query, ...moreQueries], context.models, context.pipeline))
  const options: CompileOptions = { queryString: queryStringToDsl, models: models ?? withDefaultModels(undefined, context.pipeline) }
  const readers: IndexReader[] = []
  try {
    const compiled = indexes.map(([name, index]) => {
      const reader = context.hold ? context.hold.reader(name, index) : index.reader()
      if (!context.hold) readers.push(reader)
      const request = compile ? pipelineTwoPhase(query, reader.compile(query, options), context.pipeline?.twoPhase) : { terms: [], matchAnyTerm: false }
      return { name, index, reader, request }
    })
    return await use(compiled, options)
  } finally {
    for (const reader of readers) reader.release()
  }
}

/** Runs a search body over the named indexes. */
export async function search(indexes: ReadonlyArray<[string, SparseIndex]>, body: Json, context: SearchContext = {}): Promise<Json> {
  const started = performance.now()
  for (const key of Object.keys(body)) if (!SEARCH_KEYS.includes(key)) throw badRequest(`search option [${key}] is not supported`)
  const size = nonNegativeInt(body.size, 'size', 10)
  const from = nonNegativeInt(body.from, 'from', 0)
  if (from + size > MAX_RESULT_WINDOW) throw badRequest(`Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${from + size}]`)
  const cap = totalHitsCap(body.track_total_hits)
  const filterSource = sourceFilter(body._source)
  if (body.explain !== undefined && typeof body.explain !== 'boolean') throw parsingError('[explain] must be a boolean')
  // Taken and not needed (one node answers whole), but a value Elasticsearch would refuse is refused.
  if (body.timeout !== undefined && !TIME_VALUE.test(typeof body.timeout === 'number' || typeof body.timeout === 'string' ? String(body.timeout).trim().toLowerCase() : '?')) {
    throw parsingError(`[timeout] must be a time value such as 500ms, 10s or 1m, got ${JSON.stringify(body.timeout)?.slice(0, 100)}`)
  }
  if (body.track_scores !== undefined && typeof body.track_scores !== 'boolean') throw parsingError('[track_scores] must be a boolean')
  const versionFields = versionFieldsOf(body)
  if (body.search_after !== undefined && body.sort === undefined) throw badRequest('[search_after] needs a [sort]')
  if (body.search_after !== undefined && from > 0) throw badRequest('[from] parameter must be set to 0 when [search_after] is used')
  const highlighter = body.highlight === undefined ? undefined : highlightOf(body.highlight)
  // Only a filter that keeps the whole source gives back the object it is given (others make a new one).
  const probe: Json = {}
  const asStored = context.storedSources === true && highlighter === undefined && filterSource(probe) === probe
  const aggs = aggregationsOf(body)
  const hybrid = hybridOf(body.query)
  if (hybrid) return hybridSearchOf(indexes, body, hybrid, { from, size, cap, filterSource, asStored, highlighter, versionFields, started, aggs }, context)
  const { hold } = context
  /** The aggregations' results once computed (with the ranking, before any page is rendered). */
  let aggregations: Aggregated | undefined
  const render: PageRenderer = async (ranking, page, at = started) => {
    // Only the first page shows the aggregations (a scroll's later pages render with this too).
    const first = aggregations
    aggregations = undefined
    const hits = await hitsJson(ranking.compiled, page, { scored: ranking.scored, filterSource, asStored, highlighter, versionFields })
    return response(at, cap, ranking.total, size > 0 ? ranking.maxScore : null, hits, await first?.read())
  }
  if (hold?.ranking) {
    // A later page of a point in time: its aggregations count with the point in time's current readers.
    if (aggs) {
      const compiled = hold.ranking.compiled.map((c) => ({ ...c, reader: hold.reader(c.name, c.index) }))
      aggregations = aggregate(aggs, compiled, { queryString: queryStringToDsl, models: withDefaultModels(undefined, context.pipeline) }, context.typedKeys)
    }
    return hold.page(hold.ranking, render)
  }

  return withReaders(indexes, body.query, context, async (compiled, options) => {
    // post_filter narrows the hits, not what the aggregations count.
    if (body.post_filter !== undefined) compiled = compiled.map((c) => ({ ...c, aggRequest: c.request, request: restrictRequest(c.request, c.reader.matching(body.post_filter, options)) }))
    aggregations = aggs && aggregate(aggs, compiled, options, context.typedKeys)
    let total = 0
    let sort: ParsedSort | undefined
    /** The best score over every match of every index (not only the hits kept). */
    let maxScore = -Infinity
    const ranked: Array<{ at: number; hit: SortedHit }> = []
    compiled.forEach(({ reader, request }, at) => {
      const parsed = body.sort === undefined ? undefined : reader.sort(body.sort)
      if (sort && parsed) checkSortTypes(body.sort, sort, parsed)
      sort ??= parsed
      const searchAfter = body.search_after === undefined ? undefined : parseSearchAfter(body.search_after, parsed!)
      const result = reader.rank(request, hold?.depth ?? from + size, { sort: parsed, searchAfter, trackScores: body.track_scores === true })
      total += result.total
      for (const hit of result.hits) ranked.push({ at, hit })
      if (result.maxScore !== null) maxScore = Math.max(maxScore, result.maxScore)
    })
    // Stable: equal keys keep index order, then each index's own order. Any sort (_score
    // ascending too) merges by its sort values; without one, by score.
    const keys = sort?.keys
    if (keys && ranked.every((r) => r.hit.sort?.length === keys.length)) {
      ranked.sort((a, b) => compareSortValues(keys, a.hit.sort as SortValue[], b.hit.sort as SortValue[]))
    } else {
      ranked.sort((a, b) => b.hit.score - a.hit.score)
    }
    const scored = !keys || keys.some((k) => k.by === 'score') || body.track_scores === true
    if (hold) return hold.page({ compiled, ranked, total, maxScore: ranked.length > 0 && scored ? maxScore : null, scored, sort }, render)
    const page = ranked.slice(from, from + size)
    const explanations = body.explain === true ? page.map(({ at, hit }) => explanationOf(compiled[at].reader, compiled[at].request, hit.docId)) : undefined
    const hits = await hitsJson(compiled, page, { scored, explanations, filterSource, asStored, highlighter, versionFields })
    // The best score of the whole result, not of this page (Elasticsearch's max_score); null
    // when hits are sorted by fields without track_scores.
    return response(started, cap, total, size > 0 && ranked.length > 0 && scored ? maxScore : null, hits, await aggregations?.read())
  }, true, [body.post_filter, body.aggs, body.aggregations])
}

/** The `_search` response around its hits (and aggregations). */
function response(started: number, cap: number | undefined, total: number, maxScore: number | null, hits: Json[], aggregations?: Json): Json {
  return {
    took: Math.round(performance.now() - started),
    timed_out: false,
    _shards: SHARDS,
    hits: {
      ...(cap === undefined ? {} : { total: total > cap ? { value: cap, relation: 'gte' } : { value: total, relation: 'eq' } }),
      max_score: maxScore,
      hits,
    },
    ...(aggregations === undefined ? {} : { aggregations }),
  }
}

/** A body's `aggs` (or `aggregations`), parsed; undefined when it has none. */
function aggregationsOf(body: Json): ParsedAggregations | undefined {
  if (body.aggs !== undefined && body.aggregations !== undefined) throw parsingError('Found two aggregation definitions: [aggs] and [aggregations]')
  const key = body.aggs !== undefined ? 'aggs' : 'aggregations'
  // null is refused by the parser, as Elasticsearch refuses it, not taken for no aggregations.
  return body[key] === undefined ? undefined : parseAggregations(body[key], key)
}

/** Computed aggregations: `read` adds the sources top_hits show (read through the same readers). */
interface Aggregated {
  read(): Promise<Json>
}

/**
 * Runs aggregations over every document each index's query matches (before post_filter),
 * synchronously: call it while the readers are current.
 */
function aggregate(aggs: ParsedAggregations, compiled: readonly Compiled[], options: CompileOptions, typedKeys: boolean | undefined, matched?: readonly RoaringBitmap32[]): Aggregated {
  const run = new AggRun(options, typedKeys)
  const scopes = compiled.map(({ name, reader, request, aggRequest }, at) => ({ index: name, reader, request: aggRequest ?? request, docs: matched?.[at] ?? reader.matches(aggRequest ?? request) }))
  const json = aggs.run(scopes, run)
  return {
    async read() {
      await readTopHitSources(run)
      return json
    },
  }
}

/** Which version fields hits show: `_version` (`version: true`), `_seq_no` and `_primary_term` (`seq_no_primary_term: true`). */
interface VersionFields {
  version: boolean
  seqNo: boolean
}

function versionFieldsOf(body: Json): VersionFields | undefined {
  for (const key of ['version', 'seq_no_primary_term']) if (body[key] !== undefined && typeof body[key] !== 'boolean') throw parsingError(`[${key}] must be a boolean`)
  return body.version === true || body.seq_no_primary_term === true ? { version: body.version === true, seqNo: body.seq_no_primary_term === true } : undefined
}

/** A page's hits in Elasticsearch's shape; each hit of the index `compiled[at]`. */
async function hitsJson(
  compiled: readonly Compiled[],
  page: ReadonlyArray<{ at: number; hit: SortedHit }>,
  { scored, explanations, filterSource, asStored, highlighter, versionFields }: {
    scored: boolean
    explanations?: Explanation[]
    filterSource: (source: Json) => Json | undefined
    /** `_source` as stored, unparsed (the filter keeps it whole and there is no highlighter). */
    asStored: boolean
    highlighter?: Highlighter
    versionFields?: VersionFields
  },
): Promise<Json[]> {
  // Versions first, from memory; stored sources last, through each reader's snapshot (the only asynchronous reads).
  const versions = versionFields && page.map(({ at, hit }) => compiled[at].reader.version(hit.docId))
  const sources: Array<Json | RawJson> = new Array(page.length)
  await Promise.all(compiled.map(async ({ reader }, at) => {
    const slots = page.flatMap((r, i) => (r.at === at ? [i] : []))
    const hits = slots.map((i) => page[i].hit)
    const read = asStored ? (await reader.storedSources(hits)).map((bytes) => new RawJson(bytes)) : (await reader.withSources(hits)).map((hit) => hit.source)
    slots.forEach((slot, j) => (sources[slot] = read[j]))
  }))
  return page.map(({ at, hit }, i) => {
    const { name, reader, request } = compiled[at]
    const source = sources[i]
    const out: Json = { _index: name, _id: hit.id }
    if (versions && versionFields?.version) out._version = versions[i].version
    if (versions && versionFields?.seqNo) Object.assign(out, { _seq_no: versions[i].seqNo, _primary_term: PRIMARY_TERM })
    out._score = scored ? hit.score : null
    const filtered = asStored ? source : filterSource(source as Json)
    if (filtered !== undefined) out._source = filtered
    if (hit.sort) out.sort = hit.sort
    if (explanations) out._explanation = explanations[i]
    if (highlighter) {
      const fragments = highlighter(source as Json, reader, request)
      if (Object.keys(fragments).length > 0) out.highlight = fragments
    }
    return out
  })
}

/** What a search page needs besides the body. */
interface PageSettings {
  from: number
  size: number
  cap: number | undefined
  filterSource: (source: Json) => Json | undefined
  asStored: boolean
  highlighter?: Highlighter
  versionFields?: VersionFields
  started: number
  aggs?: ParsedAggregations
}

/** Internal doc ids of several indexes as one number space: index position x 2^32 + doc id. */
export const INDEX_STRIDE = 2 ** 32

/**
 * A `hybrid` search: each sub-query's exact top `pagination_depth` on every index, one list per
 * sub-query over all indexes (best first, as OpenSearch gathers its shards' results before it
 * normalizes), fused by the search pipeline; `hits.total` counts the documents any sub-query matches.
 */
async function hybridSearchOf(indexes: ReadonlyArray<[string, SparseIndex]>, body: Json, hybrid: HybridQuery, page: PageSettings, context: SearchContext): Promise<Json> {
  const fusion = context.pipeline?.fusion
  if (!fusion) throw badRequest('a [hybrid] query needs a search pipeline with a normalization-processor or score-ranker-processor: ?search_pipeline=, index.search.default_pipeline or an inline search_pipeline')
  for (const key of ['sort', 'search_after', 'track_scores', 'post_filter']) {
    if (body[key] !== undefined) throw badRequest(`[${key}] is not supported with a [hybrid] query: lsr ranks its hits by their fused score`)
  }
  const depth = hybridDepth(hybrid, page.from, page.size)
  return withReaders(indexes, body.query, context, async (compiled, options) => {
    const perIndex = compiled.map(({ reader }) => runSubQueries(reader, hybrid, depth, { ...options, twoPhase: context.pipeline?.twoPhase }))
    // Highlighting looks for the terms of every sub-query.
    const merged = compiled.map((c, at) => ({ ...c, request: { terms: perIndex[at].requests.flatMap(allTerms), matchAnyTerm: true } }))
    const lists = hybrid.queries.map((_, q) => acrossIndexes(perIndex.map((results) => results.lists[q])))
    const fused = fuse(lists, fusion, Math.max(page.from + page.size, 1))
    const total = perIndex.reduce((sum, results) => sum + results.matched.size, 0)
    // Over every document a sub-query matches, as OpenSearch aggregates a hybrid query.
    const aggregations = page.aggs && aggregate(page.aggs, merged, options, context.typedKeys, perIndex.map((results) => results.matched))
    const pageHits = fused.slice(page.from, page.from + page.size).map((hit) => {
      const at = Math.floor(hit.doc / INDEX_STRIDE)
      const docId = hit.doc - at * INDEX_STRIDE
      return { at, fused: hit, hit: { id: compiled[at].reader.externalId(docId), docId, score: hit.score } }
    })
    const explanations = body.explain === true ? pageHits.map(({ at, fused: hit, hit: { docId } }) => hybridExplanation(fusion, hit, perIndex[at].requests, compiled[at].reader, docId)) : undefined
    const hits = await hitsJson(merged, pageHits, { scored: true, explanations, filterSource: page.filterSource, asStored: page.asStored, highlighter: page.highlighter, versionFields: page.versionFields })
    return response(page.started, page.cap, total, page.size > 0 && fused.length > 0 ? fused[0].score : null, hits, await aggregations?.read())
  }, false, [body.aggs, body.aggregations])
}

/** Every scored term of a request (summed and dis_max ones). */
function allTerms(request: SearchRequest): SearchRequest['terms'] {
  return [...request.terms, ...(request.disMax ?? []).flatMap((block) => block.groups.flatMap((group) => group.terms))]
}

/** One sub-query's lists of several indexes as one list, best first (ties: index order, then each index's order). */
function acrossIndexes(lists: readonly SubQueryHits[]): SubQueryHits {
  const entries = lists.flatMap((list, at) => Array.from({ length: list.docs.length }, (_, i) => ({ doc: at * INDEX_STRIDE + list.docs[i], score: list.scores[i] })))
  if (lists.length > 1) entries.sort((a, b) => b.score - a.score)
  return { docs: Float64Array.from(entries, (e) => e.doc), scores: Float64Array.from(entries, (e) => e.score) }
}

/** A hybrid hit's explanation: the combination of each sub-query's normalized score, over its raw score's explanation. */
function hybridExplanation(fusion: Fusion, hit: FusedHit, requests: readonly SearchRequest[], reader: IndexReader, docId: number): Explanation {
  const details: Explanation[] = []
  hit.raw.forEach((raw, q) => {
    if (raw === undefined) return
    details.push({
      value: hit.normalized[q]!,
      description: `sub-query ${q} (queries[${q}]), normalized from its raw score ${raw}:`,
      details: [explanationOf(reader, requests[q], docId)],
    })
  })
  return { value: hit.score, description: `${describeFusion(fusion)} of:`, details }
}

/** Whether a sort key's values are strings (keyword) or numbers (numeric, date, boolean); undefined when the field is not mapped (every value missing). */
const sortFamily = (field: ParsedSort['fields'][number]) => (field === undefined ? undefined : field.type === 'keyword' ? 'string' : 'number')

/**
 * Hits of several indexes merge by their sort values: a field sorted as keyword in one index and
 * as a number in another has no common order (Elasticsearch refuses it too).
 */
function checkSortTypes(spec: unknown, first: ParsedSort, other: ParsedSort): void {
  // Each entry of the (already parsed) sort is a field name or an object of one field.
  const entries = Array.isArray(spec) ? spec : [spec]
  first.fields.forEach((field, i) => {
    const [a, b] = [sortFamily(field), sortFamily(other.fields[i])]
    if (a !== undefined && b !== undefined && a !== b) {
      const name = typeof entries[i] === 'string' ? entries[i] : Object.keys(entries[i] as Json)[0]
      throw badRequest(`Can't sort on field [${name}]; the field has incompatible sort types: [${field!.type}] and [${other.fields[i]!.type}] across indices`)
    }
  })
}

/** A matching document's explanation: summed terms, dis_max blocks and the constant-score clauses. */
function explanationOf(reader: IndexReader, request: SearchRequest, docId: number): Explanation {
  const parts: Explanation[] = []
  if (request.terms.length > 0) parts.push(reader.explain(request.terms, docId))
  for (const { groups, tieBreaker } of request.disMax ?? []) {
    const scores = groups.map(({ terms, docs }) => (docs && !docs.has(docId) ? undefined : reader.explain(terms, docId))).filter((e) => e !== undefined && e.value > 0) as Explanation[]
    const best = scores.reduce((max, e) => Math.max(max, e.value), 0)
    const sum = scores.reduce((total, e) => total + e.value, 0)
    parts.push({ value: best + tieBreaker * (sum - best), description: `max plus ${tieBreaker} times others of:`, details: scores })
  }
  const constant = request.constantScore ?? 0
  if (constant !== 0) parts.push({ value: constant, description: 'constant score of the match_all, range, exists, prefix, ids and constant_score clauses (x boost)', details: [] })
  if (parts.length === 1) return parts[0]
  return { value: parts.reduce((sum, e) => sum + e.value, 0), description: 'sum of:', details: parts }
}

/**
 * `_explain/{id}`: whether the document matches the query and, if so, how its score is computed
 * (Elasticsearch answers a non-matching document with value 0 and no details); undefined when
 * no live document has the id.
 */
export function explainDocument(index: SparseIndex, query: unknown, id: string, context: SearchContext = {}): Promise<{ matched: boolean; explanation: Explanation } | undefined> {
  return withReaders([['', index]], query, context, ([{ reader, request }]) => {
    const docId = reader.docId(id)
    if (docId === undefined) return undefined
    const only = index.docsWithIds([id])
    const { total } = reader.execute({ ...request, twoPhase: undefined, allowed: request.allowed ? only.andInPlace(request.allowed) : only }, { k: 0 })
    if (total === 0) return { matched: false, explanation: { value: 0, description: 'no matching term', details: [] } }
    return { matched: true, explanation: explanationOf(reader, request, docId) }
  })
}

/** `_count`: the exact number of matches. */
export function count(indexes: ReadonlyArray<[string, SparseIndex]>, body: Json, context: SearchContext = {}): Promise<Json> {
  for (const key of Object.keys(body)) if (key !== 'query') throw badRequest(`count option [${key}] is not supported`)
  return withReaders(indexes, body.query, context, (compiled) => {
    const total = compiled.reduce((sum, { reader, request }) => sum + reader.execute(request, { k: 0 }).total, 0)
    return { count: total, _shards: SHARDS }
  })
}

type Highlighter = (source: Json, reader: IndexReader, request: SearchRequest) => Record<string, string[]>

const HIGHLIGHT_KEYS = ['fields', 'pre_tags', 'post_tags', 'fragment_size', 'number_of_fragments', 'encoder']
const FIELD_HIGHLIGHT_KEYS = ['pre_tags', 'post_tags', 'fragment_size', 'number_of_fragments']

interface HighlightOptions {
  preTag: string
  postTag: string
  fragmentSize: number
  fragments: number
  escapeHtml: boolean
}

/** Highlight settings from a `highlight` object or one field's object, over `defaults`. */
function highlightSettings(spec: Json, where: string, allowed: string[], defaults: HighlightOptions): HighlightOptions {
  for (const key of Object.keys(spec)) if (!allowed.includes(key)) throw badRequest(`[${where}] option [${key}] is not supported`)
  const tag = (key: string, fallback: string) => {
    const tags = spec[key]
    if (tags === undefined) return fallback
    const list = Array.isArray(tags) ? tags : [tags]
    if (list.length === 0 || !list.every((t) => typeof t === 'string')) throw parsingError(`[${where}.${key}] must be a string or an array of strings`)
    return list[0] as string
  }
  if (spec.encoder !== undefined && spec.encoder !== 'default' && spec.encoder !== 'html') throw parsingError(`[${where}.encoder] must be "default" or "html"`)
  return {
    preTag: tag('pre_tags', defaults.preTag),
    postTag: tag('post_tags', defaults.postTag),
    fragmentSize: nonNegativeInt(spec.fragment_size, `${where}.fragment_size`, defaults.fragmentSize) || defaults.fragmentSize,
    fragments: nonNegativeInt(spec.number_of_fragments, `${where}.number_of_fragments`, defaults.fragments) || defaults.fragments,
    escapeHtml: spec.encoder === undefined ? defaults.escapeHtml : spec.encoder === 'html',
  }
}

/**
 * Parses `highlight: {fields, pre_tags, post_tags, fragment_size, number_of_fragments, encoder}`;
 * `fields` is an object or an array of one-key objects, each field's value an object of the same
 * options (except encoder) overriding the global ones.
 */
function highlightOf(spec: unknown): Highlighter {
  if (!isObject(spec)) throw parsingError('[highlight] must be an object')
  const global = highlightSettings(spec, 'highlight', HIGHLIGHT_KEYS, { preTag: '<em>', postTag: '</em>', fragmentSize: 150, fragments: 3, escapeHtml: false })
  const { fields } = spec
  const entries = Array.isArray(fields) ? fields.map((f) => (isObject(f) ? Object.entries(f) : [])).flat() : isObject(fields) ? Object.entries(fields) : undefined
  if (!entries || (Array.isArray(fields) && !fields.every((f) => isObject(f) && Object.keys(f).length === 1))) {
    throw parsingError('[highlight.fields] must be an object of field: options, or an array of such objects with one field each')
  }
  const perField = entries.map(([name, options]) => {
    if (!isObject(options)) throw parsingError(`[highlight.fields.${name}] must be an object`)
    // A pattern (`desc*`) names the text fields it matches; `*` alone is every text field.
    const matches = name.includes('*') && name !== '*' ? wildcardMatcher(name, `highlight.fields.${name}`) : undefined
    return { name, matches, options: highlightSettings(options, `highlight.fields.${name}`, FIELD_HIGHLIGHT_KEYS, global) }
  })
  // The fields the patterns name, and the query's terms, depend on the index and the request, not
  // on the hit: resolved once per reader (a thousand patterns over a thousand fields, once per
  // hit, stalled the server for seconds).
  const resolved = new WeakMap<IndexReader, Array<{ field: string; options: HighlightOptions }>>()
  const fieldsOf = (reader: IndexReader) => {
    let list = resolved.get(reader)
    if (!list) {
      let textFields: string[] | undefined
      const named = new Map<string, HighlightOptions>()
      for (const { name, matches, options } of perField) {
        const fields = matches ? (textFields ??= reader.highlightFields('*')).filter(matches) : reader.highlightFields(name)
        // A field named twice (by two patterns) is highlighted once, with the first one's options.
        for (const field of fields) if (!named.has(field)) named.set(field, options)
      }
      list = [...named].map(([field, options]) => ({ field, options }))
      resolved.set(reader, list)
    }
    return list
  }
  const queries = new WeakMap<SearchRequest, HighlightQuery>()
  return (source, reader, request) => {
    let query = queries.get(request)
    if (!query) queries.set(request, (query = highlightQuery(request)))
    const { terms, phrases } = query
    const out: Record<string, string[]> = {}
    for (const { field, options } of fieldsOf(reader)) {
      const value = valueAt(source, field)
      if (typeof value !== 'string') continue
      const fieldPhrases = phrases.get(field)
      // Phrases exist only on mapped text fields with positions (compile.ts refuses the others).
      const fragments = fieldPhrases && reader.schema?.field(field)?.type === 'text'
        ? highlightPhrases(value, { analyze: reader.schema.indexAnalyzer(field), termOf: (token) => textTerm(field, token) }, { terms, phrases: fieldPhrases }, options)
        : highlight(value, (word) => reader.wordTerms(field, word).some((term) => terms.has(term)), options)
      if (fragments.length > 0) out[field] = fragments
    }
    return out
  }
}

/** What a request highlights: its plain index terms, and its phrases by field. */
interface HighlightQuery {
  terms: Set<string>
  phrases: Map<string, HighlightPhrase[]>
}

/** The scored terms and phrases of a request, dis_max blocks included (a filter's are not highlighted). */
function highlightQuery(request: SearchRequest): HighlightQuery {
  const terms = new Set<string>()
  const phrases = new Map<string, HighlightPhrase[]>()
  for (const { term, phrase } of [...request.terms, ...(request.disMax ?? []).flatMap((b) => b.groups.flatMap((g) => g.terms))]) {
    if (!phrase) terms.add(term)
    else if (phrases.has(phrase.field)) phrases.get(phrase.field)!.push(phrase)
    else phrases.set(phrase.field, [phrase])
  }
  return { terms, phrases }
}

/** The value at a dotted path of a source (own properties only). */
function valueAt(source: Json, path: string): unknown {
  if (Object.hasOwn(source, path)) return source[path]
  let value: unknown = source
  for (const part of path.split('.')) {
    if (!isObject(value) || !Object.hasOwn(value, part)) return undefined
    value = value[part]
  }
  return value
}
