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
 * Per-document accumulators reused across queries (queries run one at a time): one sum array per
 * score slot and a candidate mask, sized to the documents; a query clears what it touched.
 */
export class ScoreWorkspace {
  #sums: Float64Array[] = []
  #mask = new Uint8Array(0)

  /** `slots` zeroed arrays and a zeroed mask of at least `size` entries. */
  take(slots: number, size: number): { sums: Float64Array[]; mask: Uint8Array } {
    if (this.#mask.length < size) {
      const grown = Math.max(size, 2 * this.#mask.length)
      this.#mask = new Uint8Array(grown)
      this.#sums = this.#sums.map(() => new Float64Array(grown))
    }
    while (this.#sums.length < slots) this.#sums.push(new Float64Array(this.#mask.length))
    return { sums: this.#sums.slice(0, slots), mask: this.#mask }
  }
}

/**
 * Scores of the candidates (ascending doc ids): `constant` plus summed entries plus, per dis_max
 * block, the best group's sum plus tie breaker x the other groups' sums (Lucene's
 * DisjunctionMaxQuery). Term-at-a-time: each entry's postings add into its slot's accumulator
 * (in entry order, so a document's sums add up in the order the other paths use), then each
 * candidate combines its slots: O(postings + candidates x slots), no per-candidate cursor walk.
 */
export function scoreCandidates(query: ScoredQuery | undefined, shape: ScoreShape, candidates: Uint32Array, constant: number, workspace: ScoreWorkspace, maxDoc: number): Float64Array {
  const scores = new Float64Array(candidates.length).fill(constant)
  if (!query) return scores
  const groups = shape.block.length
  const { sums, mask } = workspace.take(groups + 1, maxDoc)
  for (let c = 0; c < candidates.length; c++) mask[candidates[c]] = 1
  for (let i = 0; i < query.postings.length; i++) {
    const { docs, values, length } = query.postings[i]
    const sum = sums[shape.group[i] + 1]
    for (let p = 0; p < length; p++) {
      const doc = docs[p]
      if (mask[doc] === 1) sum[doc] += query.contribution(i, values[p], doc)
    }
  }
  const blocks = shape.tieBreakers.length
  const best = new Float64Array(blocks)
  const total = new Float64Array(blocks)
  for (let c = 0; c < candidates.length; c++) {
    const doc = candidates[c]
    let score = sums[0][doc]
    if (blocks > 0) {
      best.fill(0)
      total.fill(0)
      for (let g = 0; g < groups; g++) {
        const value = sums[g + 1][doc]
        if (value === 0 || shape.groupDocs[g]?.has(doc) === false) continue
        const b = shape.block[g]
        if (value > best[b]) best[b] = value
        total[b] += value
      }
      for (let b = 0; b < blocks; b++) score += best[b] + shape.tieBreakers[b] * (total[b] - best[b])
    }
    scores[c] += score
    for (const sum of sums) sum[doc] = 0
    mask[doc] = 0
  }
  return scores
}

/** A key's value for one document: a number, a string, or null when missing. */
function keyValue(key: SortKey, doc: number, score: number): SortValue {
  if (key.by === 'score') return score
  if (key.by === 'doc') return doc
  const column = key.column
  if (!column) return null
  const value = key.read === 'max' ? column.max[doc] : column.min[doc]
  return value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? null : value
}

/** Compares two values of one key in sort order (negative: `x` first). */
function compareValues(key: SortKey, x: SortValue, y: SortValue): number {
  if (x === y) return 0
  if (x === null || y === null) {
    const missingFirst = key.by === 'field' && key.missing === 'first'
    return (x === null) === missingFirst ? -1 : 1
  }
  const order = x < y ? -1 : x > y ? 1 : 0
  return key.descending ? -order : order
}

/** Compares two sort-value tuples in sort order (negative: `a` first). */
export function compareSortValues(keys: readonly SortKey[], a: readonly SortValue[], b: readonly SortValue[]): number {
  for (let i = 0; i < keys.length; i++) {
    const order = compareValues(keys[i], a[i], b[i])
    if (order !== 0) return order
  }
  return 0
}

/**
 * The first `k` candidates in sort order (ties by ascending doc id), only those after
 * `searchAfter` when given (strictly: equal sort values are skipped, as Elasticsearch does).
 * Keys are read from the columns as candidates are compared; only the kept hits get arrays.
 */
export function sortCandidates(
  keys: readonly SortKey[],
  candidates: Uint32Array,
  scores: Float64Array | undefined,
  k: number,
  searchAfter?: readonly SortValue[],
): SortedHit[] {
  const scoreOf = (c: number) => (scores ? scores[c] : NaN)
  // Candidate positions compared by their keys, then doc id (candidates ascend: position order is doc order).
  const compare = (a: number, b: number) => {
    for (const key of keys) {
      const order = compareValues(key, keyValue(key, candidates[a], scoreOf(a)), keyValue(key, candidates[b], scoreOf(b)))
      if (order !== 0) return order
    }
    return a - b
  }
  const afterCutoff = (c: number) => {
    for (let i = 0; i < keys.length; i++) {
      const order = compareValues(keys[i], keyValue(keys[i], candidates[c], scoreOf(c)), searchAfter![i])
      if (order !== 0) return order > 0
    }
    return false
  }
  // A bounded heap of positions whose root is the worst kept one.
  const heap: number[] = []
  const worseFirst = (a: number, b: number) => compare(b, a)
  for (let c = 0; c < candidates.length && k > 0; c++) {
    if (searchAfter && !afterCutoff(c)) continue
    if (heap.length < k) {
      heap.push(c)
      siftUp(heap, heap.length - 1, worseFirst)
    } else if (compare(c, heap[0]) < 0) {
      heap[0] = c
      siftDown(heap, 0, worseFirst)
    }
  }
  return heap.sort(compare).map((c) => ({ doc: candidates[c], score: scoreOf(c), sort: keys.map((key) => keyValue(key, candidates[c], scoreOf(c))) }))
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
