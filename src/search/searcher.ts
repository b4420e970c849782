/**
 * Query execution over an index's in-memory state: resolving weighted terms against the term
 * dictionary, choosing a top-k algorithm, filtered plans, document-set filters and explanations.
 * `SparseIndex` owns the state and delegates its read side here.
 * @module
 */
import { keywordTerm } from '../corpus/keywords.js'
import type { QueryTerm } from '../encode/encoder.js'
import { LsrError } from '../errors.js'
import type { IndexState } from '../index/index-state.js'
import { RoaringBitmap32 } from '../index/roaring.js'
import { blockMaxTopK } from './algorithms/block-max.js'
import { chooseAlgorithm } from './algorithms/choose.js'
import { exhaustiveTopK } from './algorithms/exhaustive.js'
import { maxScoreTopK, type QueryCounters } from './algorithms/maxscore.js'
import { executePlan, type PlanResult } from './plan.js'
import type { Explanation, ScoredQuery, Scorer } from './scorers/scored-query.js'
import type { ScoredDoc } from './top-k.js'

/** Top-k algorithms; all return identical results. `auto` picks by query size (see choose.ts). */
export type SearchAlgorithm = 'auto' | 'maxscore' | 'blockmax' | 'exhaustive'

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
}

/** A filtered search, in the index's term space (see {@link Searcher.execute}). */
export interface SearchRequest {
  /** Scored terms (summed by dot product). */
  terms: readonly QueryTerm[]
  /** Only these documents may match. */
  allowed?: RoaringBitmap32
  /** These documents never match. */
  excluded?: RoaringBitmap32
  /** True: a match must contain a scored term. False: every allowed document matches. */
  matchAnyTerm: boolean
  /** Added to every match's score. @default 0 */
  constantScore?: number
}

type TopKAlgorithm = (query: ScoredQuery, k: number, live: Uint8Array, counters?: QueryCounters) => ScoredDoc[]

const ALGORITHMS: Record<SearchAlgorithm, TopKAlgorithm | undefined> = { maxscore: maxScoreTopK, blockmax: blockMaxTopK, exhaustive: exhaustiveTopK, auto: undefined }

export class Searcher {
  constructor(
    private readonly state: IndexState,
    private readonly scorer: Scorer,
  ) {}

  /** Top-k of weighted terms over live documents. */
  topK(terms: readonly QueryTerm[], options: SearchOptions = {}): ScoredDoc[] {
    const k = options.k ?? 10
    const algorithm = this.#algorithm(options)
    const resolved = this.#resolve(terms)
    if (!resolved || k <= 0) return []
    return algorithm(resolved.query, k, this.state.live, options.counters)
  }

  /** Top-k of a filtered request, with the exact number of matches. */
  execute(request: SearchRequest, options: SearchOptions = {}): PlanResult {
    const algorithm = this.#algorithm(options)
    const resolved = this.#resolve(request.terms)
    const { live, deleted, maxDoc } = this.state
    const plan = {
      query: resolved?.query,
      termDocs: resolved?.termDocs ?? [],
      allowed: request.allowed,
      excluded: request.excluded,
      matchAnyTerm: request.matchAnyTerm,
      constantScore: request.constantScore ?? 0,
    }
    return executePlan(plan, options.k ?? 10, { live, deleted, maxDoc }, (query, k, mask) => algorithm(query, k, mask, options.counters))
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

  /** Live documents whose source has `field` (a dotted path) equal to one of `values` (exact match). */
  docsWithKeyword(field: string, values: readonly string[]): RoaringBitmap32 {
    return this.docsWithAnyTerm(values.map((value) => keywordTerm(field, value)))
  }

  /** Every live document. */
  allDocs(): RoaringBitmap32 {
    return RoaringBitmap32.fromRange(0, this.state.maxDoc).andNotInPlace(this.state.deleted)
  }

  /** The score of `doc` for the terms, as a sum with one child per matched term (doc vector given). */
  explain(terms: readonly QueryTerm[], doc: number, vector: { termIds: Uint32Array; values: Uint32Array }): Explanation {
    const resolved = this.#resolve(terms)
    const details: Explanation[] = []
    let value = 0
    resolved?.termIds.forEach((termId, i) => {
      const at = vector.termIds.indexOf(termId)
      if (at < 0) return
      const child = resolved.query.explain(i, vector.values[at], doc)
      value += child.value
      details.push(child)
    })
    return { value, description: `sum of ${details.length} matched term${details.length === 1 ? '' : 's'}`, details }
  }

  /** Keeps the query terms the index has (with live documents) and a positive weight; undefined if none. */
  #resolve(terms: readonly QueryTerm[]) {
    const termIds: number[] = []
    const weights: number[] = []
    for (const { term, weight } of terms) {
      const id = this.state.termIds.get(term)
      if (id === undefined || this.state.df[id] === 0 || !(weight > 0)) continue
      termIds.push(id)
      weights.push(weight)
    }
    if (termIds.length === 0) return undefined
    const query = this.scorer.prepare(this.state, termIds, weights)
    return { query, termIds, termDocs: termIds.map((id) => this.state.postings[id].bitmap()) }
  }

  #algorithm(options: SearchOptions): TopKAlgorithm {
    const name = options.algorithm ?? 'auto'
    if (!(name in ALGORITHMS)) throw new LsrError('invalid_argument', `unknown algorithm "${name}" (known: ${Object.keys(ALGORITHMS).join(', ')})`)
    if (name === 'blockmax' && options.blockSize !== undefined) {
      const blockSize = options.blockSize
      return (query, k, live, counters) => blockMaxTopK(query, k, live, counters, blockSize)
    }
    return ALGORITHMS[name] ?? ((query, k, live, counters) => chooseAlgorithm(query, k)(query, k, live, counters))
  }
}
