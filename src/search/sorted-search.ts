/**
 * The general search path: every matching document is visited once, in doc-id order, with its
 * score computed by walking the term cursors (document-at-a-time), and ranked by any sort: field
 * values, `_score` either way, `_doc`, several keys, `search_after`. It serves what the top-k
 * algorithms cannot: scores that are not a sum of term contributions (`dis_max`, multi_match
 * `best_fields` with a tie breaker) and orders other than score descending. Cost: the postings of
 * the query's terms plus one comparison per match, O(matches x log k).
 * @module
 */
import { searchSorted } from '../storage/binary-search.js'
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
 * One sort key as numbers: per candidate position (scores, doc ids) or per document (a numeric
 * column, a keyword column's ordinals), NaN where a document has no value.
 */
interface NumericKey {
  values: ArrayLike<number>
  byPosition: boolean
  descending: boolean
  missingFirst: boolean
  /** A keyword key's distinct values, to turn ordinals back into strings. */
  sorted?: readonly string[]
}

function numericKey(key: SortKey, candidates: Uint32Array, scores: Float64Array | undefined): NumericKey {
  const { descending } = key
  if (key.by === 'score') return { values: scores ?? new Float64Array(candidates.length).fill(NaN), byPosition: true, descending, missingFirst: false }
  if (key.by === 'doc') return { values: candidates, byPosition: true, descending, missingFirst: false }
  const missingFirst = key.missing === 'first'
  const column = key.column
  if (!column) return { values: EMPTY, byPosition: false, descending, missingFirst }
  if (column.kind === 'number') return { values: key.read === 'max' ? column.max : column.min, byPosition: false, descending, missingFirst }
  const ordinals = column.ordinals()
  return { values: key.read === 'max' ? ordinals.max : ordinals.min, byPosition: false, descending, missingFirst, sorted: ordinals.sorted }
}

const EMPTY = new Float64Array(0)

/** A search_after value on a key's numeric scale: a keyword as its ordinal, or half-way between two. */
function afterValue(key: NumericKey, value: SortValue): number {
  if (value === null) return NaN
  if (typeof value === 'number') return value
  const sorted = key.sorted ?? []
  const at = searchSorted(sorted, value)
  return sorted[at] === value ? at : at - 0.5
}

/** Compares two values of one numeric key in sort order; NaN is missing (negative: `x` first). */
function compareNumbers(key: NumericKey, x: number, y: number): number {
  if (x === y) return 0
  const xMissing = x !== x
  const yMissing = y !== y
  if (xMissing || yMissing) {
    if (xMissing && yMissing) return 0
    return xMissing === key.missingFirst ? -1 : 1
  }
  return (x < y) !== key.descending ? -1 : 1
}

/**
 * The first `k` candidates in sort order (ties by ascending doc id), only those after
 * `searchAfter` when given (strictly: equal sort values are skipped, as Elasticsearch does).
 * Every key is read as numbers (keywords as ordinals), so a comparison allocates nothing; only
 * the kept hits get their sort values.
 */
export function sortCandidates(
  keys: readonly SortKey[],
  candidates: Uint32Array,
  scores: Float64Array | undefined,
  k: number,
  searchAfter?: readonly SortValue[],
): SortedHit[] {
  const numeric = keys.map((key) => numericKey(key, candidates, scores))
  const read = (key: NumericKey, c: number) => {
    const value = key.byPosition ? key.values[c] : key.values[candidates[c]]
    return value === undefined ? NaN : value
  }
  // Candidate positions compared by their keys, then doc id (candidates ascend: position order is doc order).
  const compare = (a: number, b: number) => {
    for (const key of numeric) {
      const order = compareNumbers(key, read(key, a), read(key, b))
      if (order !== 0) return order
    }
    return a - b
  }
  const after = searchAfter?.map((value, i) => afterValue(numeric[i], value))
  const isAfter = (c: number) => {
    for (let i = 0; i < numeric.length; i++) {
      const order = compareNumbers(numeric[i], read(numeric[i], c), after![i])
      if (order !== 0) return order > 0
    }
    return false
  }
  // A bounded heap of positions whose root is the worst kept one.
  const heap: number[] = []
  const worseFirst = (a: number, b: number) => compare(b, a)
  for (let c = 0; c < candidates.length && k > 0; c++) {
    if (after && !isAfter(c)) continue
    if (heap.length < k) {
      heap.push(c)
      siftUp(heap, heap.length - 1, worseFirst)
    } else if (compare(c, heap[0]) < 0) {
      heap[0] = c
      siftDown(heap, 0, worseFirst)
    }
  }
  const sortValue = (key: NumericKey, c: number): SortValue => {
    const value = read(key, c)
    if (value !== value) return null
    return key.sorted ? key.sorted[value] : value
  }
  return heap.sort(compare).map((c) => ({ doc: candidates[c], score: scores ? scores[c] : NaN, sort: numeric.map((key) => sortValue(key, c)) }))
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
