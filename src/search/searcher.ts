/**
 * Query execution over an index's in-memory state: resolving weighted terms against the term
 * dictionary, choosing a top-k algorithm, filtered plans, document-set filters and explanations.
 * `SparseIndex` owns the state and delegates its read side here.
 * @module
 */
import type { QueryTerm } from '../encode/encoder.js'
import { LsrError } from '../errors.js'
import type { IndexState } from '../storage/index-state.js'
import { RoaringBitmap32 } from '../storage/roaring.js'
import { blockMaxTopK } from './algorithms/block-max.js'
import { candidateTopK } from './algorithms/candidates.js'
import { chooseAlgorithm } from './algorithms/choose.js'
import { exhaustiveTopK } from './algorithms/exhaustive.js'
import { maxScoreTopK, type AlgorithmOptions, type QueryCounters } from './algorithms/maxscore.js'
import { lowerBound } from './algorithms/sorted-arrays.js'
import { executePlan, type TopKAlgorithm } from './plan.js'
import type { Explanation, ScoredQuery, Scorer } from './scorers/scored-query.js'
import { concatQueries } from './scorers/registry.js'
import type { Phrase } from './phrase.js'
import { TopK, type ScoredDoc } from './top-k.js'
import { ScoreWorkspace, scoreCandidates, sortCandidates, type SortKey, type SortValue } from './sorted-search.js'

/**
 * Top-k algorithms; all return identical results. `auto` picks by query size and, for filtered
 * searches, by the number of candidates (see choose.ts). `candidates` (score the filter's
 * candidates directly) applies to filtered searches only.
 */
export type SearchAlgorithm = 'auto' | 'maxscore' | 'blockmax' | 'exhaustive' | 'candidates'

/** Options of a search. */
export interface SearchOptions {
  /** Number of hits. @default 10 */
  k?: number
  /** @default 'auto' */
  algorithm?: SearchAlgorithm
  /** Receives work counters (postings scored), for benchmarks. */
  counters?: QueryCounters
  /** Documents per block for `blockmax`; a different value rebuilds the maxima per query (for tests and tuning). @default 128 */
  blockSize?: number
  /** Doc ids per window for `maxscore` and `exhaustive` (for tests and tuning). @default 1024 (maxscore), 2048 (exhaustive) */
  window?: number
  /**
   * APPROXIMATE below 1: prune with alpha x bound against the k-th score (MaxScore and block-max;
   * `auto` then uses MaxScore). In (0, 1]. @default 1 (exact)
   */
  alpha?: number
  /** APPROXIMATE below 1: keep only the top beta fraction of query terms by weight. In (0, 1]. @default 1 (exact) */
  beta?: number
  /**
   * Two-phase search as OpenSearch's neural_sparse two-phase processor: a first pass with the
   * terms weighing at least `pruneRatio` x the largest weight retrieves a window of
   * `k * expansionRate` documents (at most `maxWindowSize`), rescored with all terms. Approximate.
   */
  twoPhase?: TwoPhase
  /** Sort keys (default: score descending); any other order takes the general path (sorted-search.ts). */
  sort?: readonly SortKey[]
  /** Only hits after these sort values (one per sort key). */
  searchAfter?: readonly SortValue[]
  /** Compute scores even when the sort does not use them (Elasticsearch's `track_scores`). */
  trackScores?: boolean
}

/** Two-phase search parameters (OpenSearch's `two_phase_parameter`). */
export interface TwoPhase {
  /** @default 0.4 */
  pruneRatio?: number
  /** @default 5 */
  expansionRate?: number
  /** @default 10000 */
  maxWindowSize?: number
}

/**
 * A scored entry of a request: an index term, or (with `phrase`) a phrase of a text field, which
 * matches and scores as one term (phrase.ts); `term` is then a key equal for equal phrases.
 */
export interface SearchTerm extends QueryTerm {
  phrase?: Phrase
}

/** A filtered search, in the index's term space (see {@link Searcher.execute}). */
export interface SearchRequest {
  /** Scored terms and phrases (summed). */
  terms: readonly SearchTerm[]
  /** Only these documents may match. */
  allowed?: RoaringBitmap32
  /** These documents never match. */
  excluded?: RoaringBitmap32
  /** True: a match must contain a scored term. False: every allowed document matches. */
  matchAnyTerm: boolean
  /** Added to every match's score. @default 0 */
  constantScore?: number
  /** Two-phase search (only for a plain scored query: no filters, no constant score). */
  twoPhase?: TwoPhase
  /**
   * Disjunction-max blocks, each adding its best group's summed score plus `tieBreaker` x the
   * other groups' (multi_match `best_fields`, `dis_max`); their terms count for `matchAnyTerm`.
   */
  disMax?: ReadonlyArray<{ groups: ReadonlyArray<DisMaxGroup>; tieBreaker: number }>
}

/** The request with its matches also restricted to `docs` (a post_filter). */
export function restrictRequest(request: SearchRequest, docs: RoaringBitmap32): SearchRequest {
  return { ...request, allowed: request.allowed ? request.allowed.clone().andInPlace(docs) : docs }
}

/** One group of a dis_max block: summed terms; with `docs`, it counts only for those documents (a field's `operator: and`). */
export interface DisMaxGroup {
  terms: readonly SearchTerm[]
  docs?: RoaringBitmap32
}

/** The result of {@link Searcher.execute}: hits (with sort values on the general path) and the exact total. */
export interface ExecuteResult {
  hits: Array<ScoredDoc & { sort?: SortValue[] }>
  total: number
}

type Algorithm = (query: ScoredQuery, k: number, live: Uint8Array, options?: AlgorithmOptions) => ScoredDoc[]

/** What a request's entries resolve to (see Searcher's #lookup). */
interface Found {
  termIds: number[]
  weights: number[]
  phrases: Phrase[]
  phraseWeights: number[]
  /** Position in the request of each kept entry: the terms', then the phrases'. */
  kept: number[]
}

// A Map: names come from users and clients ("__proto__" and "toString" are not algorithms).
const ALGORITHMS = new Map<string, Algorithm | undefined>([
  ['auto', undefined], ['maxscore', maxScoreTopK], ['blockmax', blockMaxTopK], ['exhaustive', exhaustiveTopK], ['candidates', candidateTopK],
] satisfies Array<[SearchAlgorithm, Algorithm | undefined]>)

/** Every algorithm name `SearchOptions.algorithm` accepts. */
export const SEARCH_ALGORITHMS = [...ALGORITHMS.keys()] as readonly SearchAlgorithm[]

export class Searcher {
  /** Accumulators of the general path, reused by each query. */
  readonly #workspace = new ScoreWorkspace()

  constructor(
    private readonly state: IndexState,
    private readonly scorer: Scorer,
  ) {}

  /** Top-k of weighted terms over live documents. */
  topK(terms: readonly QueryTerm[], options: SearchOptions = {}): ScoredDoc[] {
    const k = this.#k(options)
    const algorithm = this.#algorithm(options)
    if (options.twoPhase) return this.#twoPhase(terms, k, options, algorithm)
    const resolved = this.#resolve(terms, options.beta)
    if (!resolved || k <= 0) return []
    return algorithm(resolved.query, k, this.state.live)
  }

  /** Top-k of a filtered request, with the exact number of matches. */
  execute(request: SearchRequest, options: SearchOptions = {}): ExecuteResult {
    if (request.disMax?.length || options.sort || options.searchAfter) return this.#general(request, options)
    const twoPhase = request.twoPhase ?? options.twoPhase
    if (twoPhase && (request.allowed || request.excluded || !request.matchAnyTerm || request.constantScore)) {
      throw new LsrError('invalid_argument', 'two-phase search applies to a plain weighted-term query, not to filtered or constant-score requests')
    }
    const algorithm = this.#algorithm(options)
    const resolved = this.#resolve(request.terms, options.beta)
    const { live, deleted, maxDoc } = this.state
    const plan = {
      query: resolved?.query,
      // Bitmaps only here: counting and filtering need them, a plain top-k does not.
      termDocs: resolved ? this.#docsOf(resolved.found) : [],
      allowed: request.allowed,
      excluded: request.excluded,
      matchAnyTerm: request.matchAnyTerm,
      constantScore: request.constantScore ?? 0,
    }
    if (!twoPhase) return executePlan(plan, this.#k(options), { live, deleted, maxDoc }, algorithm)
    const { total } = executePlan(plan, 0, { live, deleted, maxDoc }, algorithm)
    return { hits: this.#twoPhase(request.terms, this.#k(options), { ...options, twoPhase }, algorithm), total }
  }

  /** The general path (sorted-search.ts): every match scored document-at-a-time, then sorted. */
  #general(request: SearchRequest, options: SearchOptions): ExecuteResult {
    if (request.twoPhase ?? options.twoPhase) throw new LsrError('invalid_argument', 'two-phase search does not combine with sort, search_after or dis_max queries')
    const entries: Array<SearchTerm & { group: number }> = request.terms.map((t) => ({ ...t, group: -1 }))
    const blocks: number[] = []
    const tieBreakers: number[] = []
    const groupDocs: Array<RoaringBitmap32 | undefined> = []
    for (const { groups, tieBreaker } of request.disMax ?? []) {
      for (const { terms, docs } of groups) {
        for (const t of terms) entries.push({ ...t, group: blocks.length })
        blocks.push(tieBreakers.length)
        groupDocs.push(docs)
      }
      tieBreakers.push(tieBreaker)
    }
    const found = this.#lookup(entries)
    const group = found.kept.map((at) => entries[at].group)
    const query = this.#prepare(found)
    const candidates = this.#matches(request, found).toUint32Array()
    const keys = options.sort ?? [{ by: 'score', descending: true }]
    const scored = options.trackScores || keys.some((key) => key.by === 'score')
    const shape = { group: Int32Array.from(group), block: Int32Array.from(blocks), tieBreakers: Float64Array.from(tieBreakers), groupDocs }
    const scores = scored ? scoreCandidates(query, shape, candidates, request.constantScore ?? 0, this.#workspace, this.state.maxDoc) : undefined
    const hits = sortCandidates(keys, candidates, scores, this.#k(options), options.searchAfter)
    return { hits, total: candidates.length }
  }

  /**
   * Every live document a request matches (what `execute` counts), as a new bitmap: what
   * aggregations run over.
   */
  matches(request: SearchRequest): RoaringBitmap32 {
    const entries = [...request.terms, ...(request.disMax ?? []).flatMap(({ groups }) => groups.flatMap((group) => group.terms))]
    return this.#matches(request, this.#lookup(entries))
  }

  #matches(request: SearchRequest, found: Found): RoaringBitmap32 {
    const matches = request.matchAnyTerm
      ? RoaringBitmap32.orMany(this.#docsOf(found))
      : (request.allowed?.clone() ?? RoaringBitmap32.fromRange(0, this.state.maxDoc))
    if (request.allowed && request.matchAnyTerm) matches.andInPlace(request.allowed)
    if (request.excluded) matches.andNotInPlace(request.excluded)
    return matches.andNotInPlace(this.state.deleted)
  }

  /**
   * The query terms the index has with live documents, then the phrases that match: their ids
   * (phrases) and weights, and each one's position in `terms` (terms first, then phrases). Weights
   * are validated.
   */
  #lookup(terms: readonly SearchTerm[]): Found {
    const found: Found = { termIds: [], weights: [], phrases: [], phraseWeights: [], kept: [] }
    const phraseKept: number[] = []
    terms.forEach(({ term, weight, phrase }, at) => {
      if (!(weight >= 0 && weight < Infinity)) throw new LsrError('invalid_argument', `the weight of query term ${JSON.stringify(phrase?.display() ?? term)} must be a finite number >= 0, got ${weight}`)
      if (phrase) {
        if (phrase.matches(this.state).length === 0) return
        found.phrases.push(phrase)
        found.phraseWeights.push(weight)
        phraseKept.push(at)
        return
      }
      const id = this.state.termIds.get(term)
      if (id === undefined || this.state.df[id] === 0) return
      found.termIds.push(id)
      found.weights.push(weight)
      found.kept.push(at)
    })
    found.kept.push(...phraseKept)
    return found
  }

  /**
   * The scored query of what {@link lookup} found: its terms, then its phrases; undefined when
   * nothing. Scores must stay finite (JSON has no Infinity): the bounds add up to the largest
   * possible score.
   */
  #prepare({ termIds, weights, phrases, phraseWeights }: Found): ScoredQuery | undefined {
    const parts: ScoredQuery[] = []
    if (termIds.length > 0) parts.push(this.scorer.prepare(this.state, termIds, weights))
    if (phrases.length > 0) {
      if (!this.scorer.preparePhrases) throw new LsrError('invalid_argument', 'this index scores no phrases')
      parts.push(this.scorer.preparePhrases(this.state, phrases, phraseWeights))
    }
    if (parts.length === 0) return undefined
    const query = concatQueries(parts)
    if (!Number.isFinite(query.upperBounds.reduce((sum, bound) => sum + bound, 0))) {
      throw new LsrError('invalid_argument', 'query weights too large: scores would overflow')
    }
    return query
  }

  /** The documents of each entry of what {@link lookup} found (shared bitmaps: never modify them). */
  #docsOf({ termIds, phrases }: Found): RoaringBitmap32[] {
    return [...termIds.map((id) => this.state.postings[id].bitmap()), ...phrases.map((phrase) => phrase.matches(this.state).bitmap)]
  }

  /** Live documents containing at least one of the index terms given. */
  docsWithAnyTerm(terms: readonly string[]): RoaringBitmap32 {
    const lists = terms.flatMap((term) => {
      const id = this.state.termIds.get(term)
      return id === undefined ? [] : [this.state.postings[id].bitmap()]
    })
    return RoaringBitmap32.orMany(lists).andNotInPlace(this.state.deleted)
  }

  /** Live documents with these external ids. */
  docsWithIds(ids: readonly string[]): RoaringBitmap32 {
    return new RoaringBitmap32(ids.map((id) => this.state.docByExternalId.get(id)).filter((d) => d !== undefined))
  }

  /** Every live document. */
  allDocs(): RoaringBitmap32 {
    return RoaringBitmap32.fromRange(0, this.state.maxDoc).andNotInPlace(this.state.deleted)
  }

  /**
   * The score of `doc` for the terms, as a sum with one child per matched term. Read from the
   * in-memory postings (not the stored forward vector), so it sees exactly the state a search does.
   */
  explain(terms: readonly QueryTerm[], doc: number): Explanation {
    const resolved = this.#resolve(terms)
    const details: Explanation[] = []
    let value = 0
    resolved?.query.postings.forEach(({ docs, values, length }, i) => {
      const at = lowerBound(docs, 0, length, doc)
      if (at === length || docs[at] !== doc) return
      const child = resolved.query.explain(i, values[at], doc)
      value += child.value
      details.push(child)
    })
    return { value, description: `sum of ${details.length} matched term${details.length === 1 ? '' : 's'}`, details }
  }

  /**
   * Keeps the query terms the index has (with live documents); undefined if none. A term of weight
   * 0 still matches (its documents score 0 for it, as a zero boost does in Elasticsearch).
   * APPROXIMATE with beta < 1: then only the top beta fraction of them by effective weight (BM25:
   * occurrences x idf), in query order.
   */
  #resolve(terms: readonly SearchTerm[], beta = 1) {
    if (!(beta > 0 && beta <= 1)) throw new LsrError('invalid_argument', `beta must be in (0, 1], got ${beta}`)
    const found = this.#lookup(terms)
    const query = this.#prepare(found)
    if (!query) return undefined
    if (beta < 1) {
      if (found.phrases.length > 0) throw new LsrError('invalid_argument', 'beta < 1 keeps a fraction of the query terms: it does not apply to phrase queries')
      const keep = Math.max(1, Math.ceil(beta * found.termIds.length))
      const threshold = [...query.weights].sort((a, b) => b - a)[keep - 1]
      return this.#subset(found, query.weights, (w) => w >= threshold, keep)
    }
    return { query, found }
  }

  /** The resolved query restricted to the terms whose effective weight passes `keep` (at most `limit`). */
  #subset({ termIds, weights }: Found, effective: Float64Array, keep: (weight: number) => boolean, limit = Infinity) {
    const found: Found = { termIds: [], weights: [], phrases: [], phraseWeights: [], kept: [] }
    effective.forEach((w, i) => {
      if (found.termIds.length < limit && keep(w)) {
        found.termIds.push(termIds[i])
        found.weights.push(weights[i])
      }
    })
    return { query: this.scorer.prepare(this.state, found.termIds, found.weights), found }
  }

  /**
   * Two-phase search: the terms whose effective weight is at least pruneRatio x the largest find a
   * window, all (beta-kept) terms rescore it.
   */
  #twoPhase(terms: readonly QueryTerm[], k: number, options: SearchOptions, algorithm: TopKAlgorithm): ScoredDoc[] {
    const { pruneRatio = 0.4, expansionRate = 5, maxWindowSize = 10_000 } = options.twoPhase ?? {}
    if (!(pruneRatio >= 0 && pruneRatio <= 1) || !(expansionRate >= 1 && expansionRate < Infinity) || !(Number.isInteger(maxWindowSize) && maxWindowSize >= 1)) {
      throw new LsrError('invalid_argument', 'two-phase: prune_ratio must be in [0, 1], expansion_rate >= 1 (finite), max_window_size >= 1 (an integer)')
    }
    const full = this.#resolve(terms, options.beta)
    if (!full || k <= 0) return []
    if (full.found.phrases.length > 0) throw new LsrError('invalid_argument', 'two-phase search prunes query terms: it does not apply to phrase queries')
    const effective = full.query.weights
    const maxWeight = effective.reduce((max, w) => (w > max ? w : max), 0)
    const first = this.#subset(full.found, effective, (w) => w >= pruneRatio * maxWeight)
    // Never more than the documents: the window sizes the top-k arrays.
    const window = algorithm(first.query, Math.min(Math.ceil(k * expansionRate), maxWindowSize, this.state.maxDoc), this.state.live)
    // Rescore the window with every term, summing in query order as the other algorithms do.
    const top = new TopK(k)
    const { postings } = full.query
    for (const { doc } of window) {
      let score = 0
      postings.forEach(({ docs, values, length }, i) => {
        const at = lowerBound(docs, 0, length, doc)
        if (at < length && docs[at] === doc) score += full.query.contribution(i, values[at], doc)
      })
      top.push(doc, score)
    }
    return top.sorted()
  }

  /** The number of hits to rank: validated, and never more than the documents (it sizes the top-k arrays). */
  #k(options: SearchOptions): number {
    const k = options.k ?? 10
    if (!(Number.isInteger(k) && k >= 0)) throw new LsrError('invalid_argument', `k must be a non-negative integer, got ${k}`)
    return Math.min(k, this.state.maxDoc)
  }

  #algorithm(options: SearchOptions): TopKAlgorithm {
    const name = options.algorithm ?? 'auto'
    if (!ALGORITHMS.has(name)) throw new LsrError('invalid_argument', `unknown algorithm ${JSON.stringify(name)} (known: ${SEARCH_ALGORITHMS.join(', ')})`)
    const alpha = options.alpha ?? 1
    if (!(alpha > 0 && alpha <= 1)) throw new LsrError('invalid_argument', `alpha must be in (0, 1], got ${alpha}`)
    const settings: AlgorithmOptions = { counters: options.counters, alpha, blockSize: options.blockSize, window: options.window }
    // Unfiltered searches pass the settings as they are: a copy per query showed in the profile of short queries.
    const withCandidates = (candidates: Uint32Array | undefined) => (candidates ? { ...settings, candidates } : settings)
    const chosen = ALGORITHMS.get(name)
    if (chosen) return (query, k, live, candidates) => chosen(query, k, live, withCandidates(candidates))
    return (query, k, live, candidates) => (alpha < 1 ? maxScoreTopK : chooseAlgorithm(query, k, candidates))(query, k, live, withCandidates(candidates))
  }
}
