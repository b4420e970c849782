/**
 * The general search path: every matching document is visited once, in doc-id order, with its
 * score computed by walking the term cursors (document-at-a-time), and ranked by any sort: field
 * values, `_score` either way, `_doc`, several keys, `search_after`. It serves what the top-k
 * algorithms cannot: scores that are not a sum of term contributions (`dis_max`, multi_match
 * `best_fields` with a tie breaker) and orders other than score descending. Cost: the postings of
 * the query's terms plus one comparison per match, O(matches x log k).
 * @module
 */
import type { Column } from '../storage/columns.js'
import type { RoaringBitmap32 } from '../storage/roaring.js'
import { gallop } from './algorithms/sorted-arrays.js'
import type { ScoredQuery } from './scorers/scored-query.js'

/** One key of a sort. */
export type SortKey =
  | { by: 'score'; descending: boolean }
  | { by: 'doc'; descending: boolean }
  | {
      by: 'field'
      /** Undefined when no document has the field: every document is missing it. */
      column: Column | undefined
      descending: boolean
      /** Where documents without a value go. */
      missing: 'first' | 'last'
      /** Which of a multi-valued document's values the key reads (Elasticsearch's `mode`). */
      read: 'min' | 'max'
    }

/** A sort value as returned with a hit: a number, a keyword string, or null (missing). */
export type SortValue = number | string | null

/** How each scored entry adds to a document's score. */
export interface ScoreShape {
  /** Per entry of the scored query: -1 to add to the sum, else its dis_max group index. */
  group: Int32Array
  /** Per group: its dis_max block. */
  block: Int32Array
  /** Per block: tie breaker. */
  tieBreakers: Float64Array
  /** Per group: the only documents it counts for (undefined: all). */
  groupDocs: ReadonlyArray<RoaringBitmap32 | undefined>
}

/** A ranked hit of the general path. */
export interface SortedHit {
  doc: number
  /** NaN when scores were not computed (a sort without `_score` and no `track_scores`). */
  score: number
  sort: SortValue[]
}

/**
 * Scores of the candidates (ascending doc ids): `constant` plus summed entries plus, per dis_max
 * block, the best group's sum plus tie breaker x the other groups' sums (Lucene's DisjunctionMaxQuery).
 */
export function scoreCandidates(query: ScoredQuery | undefined, shape: ScoreShape, candidates: Uint32Array, constant: number): Float64Array {
  const scores = new Float64Array(candidates.length).fill(constant)
  if (!query) return scores
  const n = query.postings.length
  const positions = new Int32Array(n)
  const groupSums = new Float64Array(shape.block.length)
  const blocks = shape.tieBreakers.length
  const best = new Float64Array(blocks)
  const total = new Float64Array(blocks)
  for (let c = 0; c < candidates.length; c++) {
    const doc = candidates[c]
    let sum = 0
    groupSums.fill(0)
    for (let i = 0; i < n; i++) {
      const { docs, values, length } = query.postings[i]
      const p = gallop(docs, positions[i], length, doc)
      positions[i] = p
      if (p === length || docs[p] !== doc) continue
      const contribution = query.contribution(i, values[p], doc)
      const g = shape.group[i]
      if (g < 0) sum += contribution
      else groupSums[g] += contribution
    }
    if (blocks > 0) {
      best.fill(0)
      total.fill(0)
      for (let g = 0; g < groupSums.length; g++) {
        if (groupSums[g] === 0 || shape.groupDocs[g]?.has(doc) === false) continue
        const b = shape.block[g]
        if (groupSums[g] > best[b]) best[b] = groupSums[g]
        total[b] += groupSums[g]
      }
      for (let b = 0; b < blocks; b++) sum += best[b] + shape.tieBreakers[b] * (total[b] - best[b])
    }
    scores[c] += sum
  }
  return scores
}

/** The sort values of one candidate. */
function sortValues(keys: readonly SortKey[], doc: number, score: number): SortValue[] {
  return keys.map((key) => {
    if (key.by === 'score') return score
    if (key.by === 'doc') return doc
    const column = key.column
    if (!column) return null
    const value = key.read === 'max' ? column.max[doc] : column.min[doc]
    return value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? null : value
  })
}

/** Compares two sort-value tuples in sort order (negative: `a` first). */
export function compareSortValues(keys: readonly SortKey[], a: readonly SortValue[], b: readonly SortValue[]): number {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (x === null || y === null) {
      const missingFirst = key.by === 'field' && key.missing === 'first'
      return (x === null) === missingFirst ? -1 : 1
    }
    const order = x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return key.descending ? -order : order
  }
  return 0
}

/**
 * The first `k` candidates in sort order (ties by ascending doc id), only those after
 * `searchAfter` when given (strictly: equal sort values are skipped, as Elasticsearch does).
 */
export function sortCandidates(
  keys: readonly SortKey[],
  candidates: Uint32Array,
  scores: Float64Array | undefined,
  k: number,
  searchAfter?: readonly SortValue[],
): SortedHit[] {
  const hits: SortedHit[] = []
  const compare = (a: SortedHit, b: SortedHit) => compareSortValues(keys, a.sort, b.sort) || a.doc - b.doc
  // A bounded max-heap on `compare`: the root is the worst kept hit.
  const worseFirst = (a: SortedHit, b: SortedHit) => compare(b, a)
  for (let c = 0; c < candidates.length && k > 0; c++) {
    const doc = candidates[c]
    const score = scores ? scores[c] : NaN
    const hit = { doc, score, sort: sortValues(keys, doc, score) }
    if (searchAfter && compareSortValues(keys, hit.sort, searchAfter) <= 0) continue
    if (hits.length < k) {
      hits.push(hit)
      siftUp(hits, hits.length - 1, worseFirst)
    } else if (compare(hit, hits[0]) < 0) {
      hits[0] = hit
      siftDown(hits, 0, worseFirst)
    }
  }
  return hits.sort(compare)
}

function siftUp<T>(heap: T[], i: number, before: (a: T, b: T) => number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (before(heap[i], heap[parent]) >= 0) return
    ;[heap[i], heap[parent]] = [heap[parent], heap[i]]
    i = parent
  }
}

function siftDown<T>(heap: T[], i: number, before: (a: T, b: T) => number): void {
  for (;;) {
    const left = 2 * i + 1
    const right = left + 1
    let top = i
    if (left < heap.length && before(heap[left], heap[top]) < 0) top = left
    if (right < heap.length && before(heap[right], heap[top]) < 0) top = right
    if (top === i) return
    ;[heap[i], heap[top]] = [heap[top], heap[i]]
    i = top
  }
}
