/**
 * Execution of a search plan: scored terms combined with exact document filters. Filters are
 * roaring bitmaps turned into a per-document mask before top-k, so a filtered top-k is exact, and
 * into the sorted list of candidates (documents that are allowed, live and hold a query term), which
 * the top-k algorithms use to skip work: block-max skips blocks without a candidate, and `auto`
 * scores the candidates directly when they are few.
 * The query DSL (src/server/query-dsl.ts) compiles into this.
 * @module
 */
import { RoaringBitmap32 } from '../storage/roaring.js'
import { withAccumulator } from './algorithms/exhaustive.js'
import type { ScoredQuery } from './scorers/scored-query.js'
import { TopK, type ScoredDoc } from './top-k.js'

/** What to match and how to score it, in internal doc ids. */
export interface ResolvedPlan {
  /** Scored terms; `undefined` when nothing is scored. */
  query: ScoredQuery | undefined
  /** Doc ids of each scored term (for counting matches); shared, never modified. */
  termDocs: RoaringBitmap32[]
  /** Only these documents may match (intersection of all filter clauses). */
  allowed?: RoaringBitmap32
  /** These documents never match. */
  excluded?: RoaringBitmap32
  /** A document must contain a scored term (text semantics); else every allowed document matches. */
  matchAnyTerm: boolean
  /** Score added to every match (constant-score clauses: match_all, term, ids). */
  constantScore: number
}

export interface PlanResult {
  hits: ScoredDoc[]
  /** Exact number of matching documents. */
  total: number
}

/** A top-k algorithm; `candidates` is given for filtered searches (see AlgorithmOptions.candidates). */
export type TopKAlgorithm = (query: ScoredQuery, k: number, live: Uint8Array, candidates?: Uint32Array) => ScoredDoc[]

/** The documents a plan runs over. */
export interface PlanDocs {
  /** Per doc id, 1 when live. */
  live: Uint8Array
  deleted: RoaringBitmap32
  /** Doc ids ever assigned: live and deleted ids are below it. */
  maxDoc: number
}

/** Runs a plan over live documents. */
export function executePlan(plan: ResolvedPlan, k: number, { live, deleted, maxDoc }: PlanDocs, topK: TopKAlgorithm): PlanResult {
  if (plan.matchAnyTerm) {
    if (!plan.query) return { hits: [], total: 0 }
    const matches = RoaringBitmap32.orMany(plan.termDocs)
    restrict(matches, plan, deleted)
    let hits: ScoredDoc[] = []
    if (k > 0 && (plan.allowed || plan.excluded)) {
      const candidates = matches.toUint32Array()
      hits = topK(plan.query, k, maskOf(candidates, live.length), candidates)
    } else if (k > 0) {
      hits = topK(plan.query, k, live)
    }
    return { hits: hits.map(({ doc, score }) => ({ doc, score: score + plan.constantScore })), total: matches.size }
  }
  // Every allowed live document matches; scored ones add their term scores.
  const candidates = plan.allowed ? plan.allowed.clone() : RoaringBitmap32.fromRange(0, maxDoc)
  restrict(candidates, plan, deleted)
  // A count alone (size 0: a facet request) ranks nothing: 1M matches took 6 ms through a top-0 heap.
  if (k <= 0) return { hits: [], total: candidates.size }
  const rank = (scores?: Float64Array) => {
    const top = new TopK(Math.max(k, 0))
    for (const doc of candidates) top.push(doc, plan.constantScore + (scores ? scores[doc] : 0))
    return { hits: top.sorted(), total: candidates.size }
  }
  return plan.query ? withAccumulator(plan.query, live.length, rank) : rank()
}

function restrict(bitmap: RoaringBitmap32, plan: ResolvedPlan, deleted: RoaringBitmap32): void {
  if (plan.allowed) bitmap.andInPlace(plan.allowed)
  if (plan.excluded) bitmap.andNotInPlace(plan.excluded)
  bitmap.andNotInPlace(deleted)
}

/** Per doc id, 1 for the candidates: the documents that may be returned (allowed, live, matching). */
function maskOf(candidates: Uint32Array, maxDoc: number): Uint8Array {
  const mask = new Uint8Array(maxDoc)
  for (let c = 0; c < candidates.length; c++) mask[candidates[c]] = 1
  return mask
}
