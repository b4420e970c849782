/**
 * `IndexReader`: one consistent read of an index. Everything a search, count, explain, get or
 * highlight reads comes from the index as of one moment:
 * - in-memory work (ranking, counting, filters, explanations) runs synchronously while the reader
 *   is current, i.e. before any later write has been applied (a stale reader refuses it);
 * - stored documents are read afterwards, asynchronously, through the LevelDB snapshot that was
 *   current when the reader was taken, so a write committed meanwhile is wholly invisible.
 * Take one with `SparseIndex.reader()`, do the synchronous work first, then read sources, then
 * `release()` it (a pinned snapshot holds back LevelDB's cleanup of what later writes replace).
 * @module
 */
import type { Encoder, QueryTerm } from '../encode/encoder.js'
import { LsrError } from '../errors.js'
import type { Explanation } from '../search/scorers/scored-query.js'
import { restrictRequest, type SearchOptions, type SearchRequest, type Searcher } from '../search/searcher.js'
import { parseAggregations, readTopHitSources } from './aggs/aggregate.js'
import { AggRun } from './aggs/scope.js'
import type { Aggregations, AggregationsResult } from './aggs/types.js'
import type { SortValue } from '../search/sorted-search.js'
import type { ScoredDoc } from '../search/top-k.js'
import { compileQuery, matchingDocs } from './query/compile.js'
import { hybridOf, hybridSearch, pipelineTwoPhase } from './hybrid/hybrid-query.js'
import { parseSearchPipeline, type SearchPipeline } from './hybrid/search-pipeline.js'
import { withDefaultModels } from './query/models.js'
import type { RoaringBitmap32 } from '../storage/roaring.js'
import { ENCODER_FIELD_NAMES, QueryContext, type QueryModels, type QueryStringParser } from './query/context.js'
import { textTerm } from '../storage/index-state.js'
import { parseSearchAfter, parseSort, type ParsedSort } from './query/sort.js'
import type { Query, SearchAfterValue, Sort } from './query/types.js'
import type { Schema } from './schema.js'
import { decodeJson, sourceKey } from '../storage/format.js'
import type { Column } from '../storage/columns.js'
import type { IndexState } from '../storage/index-state.js'
import type { IndexDb, PinnedSnapshot, SegmentStore } from '../storage/load.js'
import type { DocVersion } from './write-conditions.js'

/** One ranked hit; ties are ordered by insertion order (internal doc id ascending). */
export interface Hit {
  /** External document id. */
  id: string
  /** NaN when the search computed no scores (sorted by fields without `trackScores`). */
  score: number
  /** Internal doc id (stable until the document is replaced or deleted, or a reorder renumbers the index). */
  docId: number
}

/** A hit of a sorted search: its sort values (one per sort key) when a sort was given. */
export interface SortedHit extends Hit {
  sort?: SortValue[]
}

/** A search in the query DSL, as `_search` takes it (see {@link IndexReader.search}). */
export interface SearchBody {
  /** Elasticsearch query DSL; absent: match_all. */
  query?: Query
  /** A filter (query DSL) that restricts the matches without scoring, as a bool query's `filter`. */
  filter?: Query
  /** Elasticsearch `sort`: field names, `_score`, `_doc`, with order/missing/mode. */
  sort?: Sort
  /** @default 10 */
  size?: number
  /** @default 0 */
  from?: number
  /** Sort values of the last hit of the previous page (needs `sort`). */
  searchAfter?: readonly SearchAfterValue[]
  /** Compute scores when sorting by fields. */
  trackScores?: boolean
  /** A filter (query DSL) applied to the hits after the aggregations are computed (Elasticsearch's `post_filter`). */
  postFilter?: Query
  /** Aggregations over every document the query and `filter` match (not narrowed by `postFilter`). */
  aggs?: Aggregations
  /**
   * A search pipeline definition, as OpenSearch's `PUT /_search/pipeline` takes it: its
   * phase-results processor fuses a `hybrid` query's sub-queries (needed by one), its
   * `neural_sparse_two_phase_processor` and `neural_query_enricher` act on `neural_sparse` queries.
   */
  searchPipeline?: unknown
}

/** Every key a {@link SearchBody} may have: any other is refused by name, never ignored. */
const SEARCH_BODY_KEYS: ReadonlyArray<keyof SearchBody> = ['query', 'filter', 'postFilter', 'aggs', 'sort', 'size', 'from', 'searchAfter', 'trackScores', 'searchPipeline']

/** The answer of {@link IndexReader.search}. */
export interface SearchResult {
  hits: SortedHit[]
  /** Exact number of matches. */
  total: number
  /** The best score of all matches; null when the sort does not compute scores. */
  maxScore: number | null
  /** The aggregations' results, when the body has `aggs` (top_hits sources: see {@link IndexReader.readAggregationSources}). */
  aggregations?: AggregationsResult
}

/** Options of query compilation: the `query_string` parser (a server layer supplies it) and the clock of date math. */
export interface CompileOptions {
  queryString?: QueryStringParser
  /** What `now` means in date math, epoch milliseconds. @default Date.now() */
  now?: number
  /** Models `neural_sparse` query_text may name (loaded beforehand: see `loadQueryModels`). */
  models?: QueryModels
}

/** Options of {@link IndexReader.search}. */
export interface ReaderSearchOptions extends SearchOptions, CompileOptions {
  /** The body's `searchPipeline`, already parsed (a caller running many searches parses it once). */
  pipeline?: SearchPipeline
}

/** A hit with the document's stored source. */
export interface HitWithSource extends Hit {
  source: Record<string, unknown>
}

/** A document's stored source with its sequence number and version (see write-conditions.ts). */
export interface VersionedSource extends DocVersion {
  source: Record<string, unknown>
}

export class IndexReader {
  readonly #generation: number
  readonly #pinned: PinnedSnapshot
  /** The runs of aggregations whose top_hits sources are still to read, by result. */
  readonly #aggregationRuns = new WeakMap<AggregationsResult, AggRun>()
  #released = false

  /** @internal Use `SparseIndex.reader()`. */
  constructor(
    private readonly db: IndexDb,
    private readonly store: SegmentStore,
    private readonly state: IndexState,
    private readonly searcher: Searcher,
    /** The schema and encoder as of the reader's moment. */
    readonly schema: Schema | undefined,
    readonly encoder: Encoder | undefined,
    private readonly queryTerms: (query: string | readonly QueryTerm[]) => readonly QueryTerm[],
    private readonly onRelease: () => void,
  ) {
    this.#generation = store.generation
    this.#pinned = store.pin()
  }

  /** @internal The LevelDB snapshot the reader reads stored documents through (SparseIndex.freeze loads the index from it). */
  get pinnedSnapshot(): PinnedSnapshot {
    return this.#pinned
  }

  /** True while no write has been applied since the reader was taken (in-memory reads allowed). */
  get current(): boolean {
    return !this.#released && this.store.generation === this.#generation
  }

  /** Top-k of a query over live documents. */
  topK(query: string | readonly QueryTerm[], options: SearchOptions = {}): Hit[] {
    this.#assertCurrent()
    return this.searcher.topK(this.queryTerms(query), options).map((hit) => this.#hit(hit))
  }

  /** Top-k of a filtered request and the exact number of matches (see `SparseIndex.execute`). */
  execute(request: SearchRequest, options: SearchOptions = {}): { hits: SortedHit[]; total: number } {
    this.#assertCurrent()
    const { hits, total } = this.searcher.execute(request, options)
    return { hits: hits.map((hit) => (hit.sort && options.sort ? { ...this.#hit(hit), sort: hit.sort } : this.#hit(hit))), total }
  }

  /** Compiles a query (Elasticsearch query DSL) against the index as of this reader. */
  compile(query: unknown, options: CompileOptions = {}): SearchRequest {
    this.#assertCurrent()
    return compileQuery(query, this.#context(options))
  }

  /** The live documents a query matches, as a filter. */
  matching(query: unknown, options: CompileOptions = {}): RoaringBitmap32 {
    this.#assertCurrent()
    return matchingDocs(query, this.#context(options)).andNotInPlace(this.state.deleted)
  }

  /** Every live document a compiled request matches: the documents its total counts, and its aggregations run over. */
  matches(request: SearchRequest): RoaringBitmap32 {
    this.#assertCurrent()
    return this.searcher.matches(request)
  }

  /** Every live document. */
  allDocs(): RoaringBitmap32 {
    this.#assertCurrent()
    return this.searcher.allDocs()
  }

  /** The doc values of a keyword/numeric/date/boolean field; undefined when no document has one. */
  column(path: string): Column | undefined {
    this.#assertCurrent()
    return this.state.columns.get(path)
  }

  /** The documents holding an index term, deleted ones maybe included (shared: never modify it); undefined when none has it. */
  termDocs(term: string): RoaringBitmap32 | undefined {
    this.#assertCurrent()
    const id = this.state.termIds.get(term)
    return id === undefined || this.state.df[id] === 0 ? undefined : this.state.postings[id].bitmap()
  }

  #context(options: CompileOptions): QueryContext {
    return new QueryContext(this.state, this.searcher, this.schema, this.encoder, options.queryString, options.now ?? Date.now(), options.models)
  }

  /** Parses an Elasticsearch `sort` against the index's fields. */
  sort(spec: unknown): ParsedSort {
    this.#assertCurrent()
    return parseSort(spec, this.schema, this.state)
  }

  /**
   * Runs a search in the query DSL, with sort, pagination and `search_after`: what `_search` does
   * for one index. Synchronous; read the hits' sources with {@link withSources}.
   * @throws LsrError `query_parsing` / `invalid_argument` / `too_many_clauses` naming what is wrong
   */
  search(body: SearchBody, options: ReaderSearchOptions = {}): SearchResult {
    for (const key of Object.keys(body)) {
      if (!SEARCH_BODY_KEYS.includes(key as keyof SearchBody)) {
        const camel = key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())
        const hint = key === 'aggregations' ? ' (the library names it aggs)' : SEARCH_BODY_KEYS.includes(camel as keyof SearchBody) ? ` (the library names it ${camel})` : ''
        throw new LsrError('invalid_argument', `search option [${key}] is not supported${hint}`)
      }
    }
    const size = body.size ?? 10
    const from = body.from ?? 0
    for (const [name, n] of [['size', size], ['from', from]] as const) {
      if (!Number.isInteger(n) || n < 0) throw new LsrError('invalid_argument', `${name} must be a non-negative integer, got ${n}`)
    }
    const pipeline = options.pipeline ?? (body.searchPipeline === undefined ? undefined : parseSearchPipeline(body.searchPipeline, '[searchPipeline]'))
    const compileOptions = { ...options, models: withDefaultModels(options.models, pipeline) }
    const aggs = body.aggs === undefined ? undefined : parseAggregations(body.aggs)
    const hybrid = hybridOf(body.query)
    if (hybrid) {
      if (body.sort !== undefined || body.searchAfter !== undefined) throw new LsrError('invalid_argument', 'a hybrid query is ranked by its fused score: sort and search_after are not supported with it')
      if (aggs || body.postFilter !== undefined) throw new LsrError('invalid_argument', 'aggs and postFilter with a hybrid query run through the HTTP server\'s _search here, not through the library\'s search')
      if (!pipeline?.fusion) throw new LsrError('invalid_argument', 'a hybrid query needs a search pipeline with a normalization-processor or score-ranker-processor to combine its sub-queries')
      const { hits, total, maxScore } = hybridSearch(this, hybrid, pipeline.fusion, { from, size }, { ...compileOptions, filter: body.filter, twoPhase: pipeline.twoPhase })
      return { hits: hits.map(({ id, docId, score }) => ({ id, docId, score })), total, maxScore }
    }
    const query = body.filter === undefined ? body.query : { bool: { must: body.query ?? { match_all: {} }, filter: body.filter } }
    const request = pipelineTwoPhase(body.query, this.compile(query, compileOptions), pipeline?.twoPhase)
    const sort = body.sort === undefined ? undefined : this.sort(body.sort)
    if (body.searchAfter !== undefined && !sort) throw new LsrError('invalid_argument', 'search_after needs a sort')
    const searchAfter = body.searchAfter === undefined ? undefined : parseSearchAfter(body.searchAfter, sort!)
    let aggregations: AggregationsResult | undefined
    if (aggs) {
      const run = new AggRun(compileOptions)
      aggregations = aggs.run([{ index: '', reader: this, request, docs: this.matches(request) }], run) as AggregationsResult
      this.#aggregationRuns.set(aggregations, run)
    }
    const ranked = body.postFilter === undefined ? request : restrictRequest(request, this.matching(body.postFilter, compileOptions))
    const { hits, total, maxScore } = this.rank(ranked, from + size, { sort, searchAfter, trackScores: body.trackScores }, options)
    return { hits: hits.slice(from), total, maxScore, ...(aggregations && { aggregations }) }
  }

  /** Reads the stored sources of the hits a search's top_hits aggregations show, into its result. */
  async readAggregationSources(result: SearchResult): Promise<void> {
    const run = result.aggregations && this.#aggregationRuns.get(result.aggregations)
    if (run) await readTopHitSources(run)
  }

  /**
   * The first `k` hits of a compiled request in a sort's order (each with its sort values when a
   * sort is given; score descending without one), the exact total, and the best score over every
   * match, not only the hits kept (null when the sort computes no scores: by fields, without
   * `trackScores`). What `search` and the server's `_search` over several indexes rank by.
   */
  rank(
    request: SearchRequest,
    k: number,
    { sort, searchAfter, trackScores }: { sort?: ParsedSort; searchAfter?: readonly SortValue[]; trackScores?: boolean } = {},
    options: SearchOptions = {},
  ): { hits: SortedHit[]; total: number; maxScore: number | null } {
    // Score descending without search_after is the top-k algorithms' order; any other takes the general path.
    const general = sort !== undefined && (!sort.byScore || searchAfter !== undefined)
    const { hits, total } = this.execute(request, { ...options, k, sort: general ? sort.keys : undefined, searchAfter, trackScores })
    const scored = !sort || trackScores === true || sort.keys.some((key) => key.by === 'score')
    // In another order than score descending, the best match may be none of the hits kept.
    const best = !general ? hits[0]?.score : scored && total > 0 ? this.execute(request, { ...options, k: 1 }).hits[0]?.score : undefined
    return { hits: sort && !general ? hits.map((hit) => ({ ...hit, sort: [hit.score] })) : hits, total, maxScore: best ?? null }
  }

  /** The external id of an internal doc id. */
  externalId(docId: number): string {
    return this.state.docIdOf[docId]
  }

  /** The internal doc id of a live document, or undefined. */
  docId(id: string): number | undefined {
    this.#assertCurrent()
    return this.state.docByExternalId.get(id)
  }

  /** How a live document's score for the query is computed: the sum, one child per matched term. */
  explain(query: string | readonly QueryTerm[], docId: number): Explanation {
    this.#assertCurrent()
    return this.searcher.explain(this.queryTerms(query), docId)
  }

  /** The source fields a highlight field name stands for (`*`: every text field). */
  highlightFields(name: string): string[] {
    const encoderFields = this.encoder ? ['title', 'text'] : []
    const textFields = this.schema?.leaves().filter((leaf) => leaf.type === 'text').map((leaf) => leaf.path) ?? []
    if (name === '*') return [...encoderFields, ...textFields]
    return [name]
  }

  /** The index terms one word of a field's text maps to (for highlighting). */
  wordTerms(field: string, word: string): string[] {
    if (this.encoder && ENCODER_FIELD_NAMES.includes(field)) return this.encoder.wordTerms(word)
    const leaf = this.schema?.field(field)
    if (leaf?.type !== 'text') return []
    return this.schema!.indexAnalyzer(field)(word).tokens.map((token) => textTerm(field, token))
  }

  /** The hits with their stored sources, as of the reader's moment (one LevelDB read for all). */
  async withSources(hits: readonly Hit[]): Promise<HitWithSource[]> {
    const sources = await this.#read(hits)
    return hits.map((hit, i) => ({ ...hit, source: sources[i] }))
  }

  /**
   * The sequence number and version of a doc id. Unlike the other in-memory reads it may come
   * after the reader's moment (a scroll's later page): a doc id's source never changes, and its
   * version only advances where an identical write re-versioned it in place.
   */
  version(docId: number): DocVersion {
    if (this.#released) throw new Error('IndexReader used after release()')
    return this.state.docVersion(docId)
  }

  /** The stored source of a live document with its version, or undefined when no live document has the id. */
  async versioned(id: string): Promise<VersionedSource | undefined> {
    const docId = this.docId(id)
    if (docId === undefined) return undefined
    const version = this.version(docId)
    const [source] = await this.#read([{ id, docId }])
    return { source, ...version }
  }

  /** The stored source of a document by external id, or undefined when no live document has it. */
  async source(id: string): Promise<Record<string, unknown> | undefined> {
    const docId = this.docId(id)
    if (docId === undefined) return undefined
    const [source] = await this.#read([{ id, docId }])
    return source
  }

  /** Unpins the snapshot; the reader cannot be used afterwards. Idempotent. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#pinned.release()
    this.onRelease()
  }

  /**
   * The hits' stored sources as stored: JSON text as UTF-8 bytes, the JSON.stringify of each
   * source (a server answering `_source` whole sends these without parsing them). Unparsed, each
   * is only checked to be one object, as a cut-off source would not be.
   */
  async storedSources(hits: ReadonlyArray<Pick<Hit, 'id' | 'docId'>>): Promise<Buffer[]> {
    const values = await this.#readBytes(hits)
    values.forEach((value, i) => {
      if (value[0] !== 0x7b || value[value.length - 1] !== 0x7d) throw new LsrError('data_corruption', `index data corruption: source of doc ${hits[i].docId} is not valid JSON`)
    })
    return values
  }

  /** The stored sources of live documents, through the pinned snapshot, parsed. */
  async #read(docs: ReadonlyArray<Pick<Hit, 'id' | 'docId'>>): Promise<Array<Record<string, unknown>>> {
    const values = await this.#readBytes(docs)
    return values.map((value, i) => decodeJson<Record<string, unknown>>(value, `source of doc ${docs[i].docId}`))
  }

  /** The stored sources of live documents, through the pinned snapshot: one missing is corruption. */
  async #readBytes(docs: ReadonlyArray<Pick<Hit, 'id' | 'docId'>>): Promise<Buffer[]> {
    if (this.#released) throw new Error('IndexReader used after release()')
    if (docs.length === 0) return []
    const values = await this.db.getMany(docs.map((doc) => sourceKey(doc.docId)), { snapshot: this.#pinned.snapshot })
    return values.map((value, i) => {
      const { id, docId } = docs[i]
      if (value === undefined) throw new LsrError('data_corruption', `index data corruption: the stored source of document ${id} (doc ${docId}) is missing`)
      return value
    })
  }

  #hit({ doc, score }: ScoredDoc): Hit {
    return { id: this.state.docIdOf[doc], score, docId: doc }
  }

  #assertCurrent(): void {
    // A programming error, not a user's: in-memory reads must happen before the first await.
    if (!this.current) throw new Error('IndexReader is stale: a write was applied (or it was released) since it was taken; take a new reader')
  }
}
