/**
 * Document order by recursive graph bisection (BP): Dhulipala, Kabiljo, Karrer, Ottaviano,
 * Pupyrev and Shalita, "Compressing Graphs and Indexes with Recursive Graph Bisection", KDD 2016.
 *
 * Why BP: it is the published method that gives the best compression and the largest block-max
 * speed-ups on inverted indexes (Mackenzie et al.'s and BMP's learned-sparse results are measured
 * on BP orders), needs nothing but the postings (no URLs, no embeddings), and is deterministic.
 *
 * The documents are split in two halves; each half-split is improved by rounds that move the
 * documents whose move most lowers the log-gap cost of the postings (a term with d1 postings among
 * n1 documents costs about d1 · log2(n1 / (d1 + 1)) bits on that side) to the other side, swapping
 * as many pairs as have a positive summed gain; then each half is split the same way, down to
 * partitions of {@link BisectionOptions.minPartition} documents.
 *
 * For speed in JavaScript (the kind of engineering Mackenzie, Petri and Moffat's "Faster Index
 * Reordering with Bipartite Graph Partitioning", SIGIR 2021, is about; their exact variant is not
 * reproduced here): a move's gain per term is computed once per round, not once per posting; log2
 * comes from a table; the swap needs the gains' order, not the documents' (two native numeric
 * sorts of the gains and a threshold, no comparator sort); typed arrays allocated once; rounds stop
 * as soon as none swaps, or as soon as a round swaps no fewer documents than the one before (the
 * same documents were seen to move back and forth for all remaining rounds, their moves
 * interfering). Terms in fewer than `minDf` documents (they cannot cluster) or in more than
 * `maxDfRatio` of them (every side holds them) are left out of the graph.
 *
 * Deterministic: no randomness; the initial order is the given one (internal doc id order), and
 * ties between equal gains are broken by position.
 * @module
 */
import { ensureCapacity } from '../growable.js'

/** The documents' terms, compressed sparse rows: doc `i` holds `terms[starts[i] .. starts[i + 1])`. */
export interface DocTerms {
  readonly starts: Uint32Array
  readonly terms: Uint32Array
  /** Term ids are below this. */
  readonly termCount: number
}

export interface BisectionOptions {
  /** Partitions this small are not split further (block-max blocks are 128 documents). @default 64 */
  minPartition?: number
  /** Improvement rounds per split at most. @default 20 */
  maxRounds?: number
}

/**
 * The bisection order of documents `0 .. n - 1`.
 * @returns `order[k]`: the document that goes to position `k`
 */
export function bisectionOrder(docs: DocTerms, { minPartition = 64, maxRounds = 20 }: BisectionOptions = {}): Uint32Array {
  const n = docs.starts.length - 1
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const work = new Bisection(docs, n, Math.max(2, minPartition), maxRounds)
  work.split(order, 0, n)
  return order
}

/** The scratch arrays of one bisection, reused by every split (no allocation per posting). */
class Bisection {
  /** Per term: postings among the left and the right documents of the split in progress. */
  readonly #left: Int32Array
  readonly #right: Int32Array
  /** Per term: gain of moving one of its documents left to right and right to left, for round `#stamp[t]`. */
  readonly #toRight: Float64Array
  readonly #toLeft: Float64Array
  readonly #stamp: Int32Array
  #round = 0
  /** Per position in `order`: the gain of moving that document to the other side. */
  readonly #gains: Float64Array
  readonly #sorted: Float64Array
  readonly #moving: Uint8Array
  readonly #buffer: Uint32Array
  /** log2 of 0 .. n + 1, looked up instead of computed (Mackenzie et al.). */
  readonly #log2: Float64Array

  constructor(private readonly docs: DocTerms, n: number, private readonly minPartition: number, private readonly maxRounds: number) {
    this.#left = new Int32Array(docs.termCount)
    this.#right = new Int32Array(docs.termCount)
    this.#toRight = new Float64Array(docs.termCount)
    this.#toLeft = new Float64Array(docs.termCount)
    this.#stamp = new Int32Array(docs.termCount).fill(-1)
    this.#gains = new Float64Array(n)
    this.#sorted = new Float64Array(n)
    this.#moving = new Uint8Array(n)
    this.#buffer = new Uint32Array(n)
    this.#log2 = Float64Array.from({ length: n + 2 }, (_, i) => Math.log2(i))
  }

  /** Orders `order[from .. to)` in place. */
  split(order: Uint32Array, from: number, to: number): void {
    if (to - from <= this.minPartition) return
    const mid = from + ((to - from) >>> 1)
    this.#count(order, from, mid, this.#left, 1)
    this.#count(order, mid, to, this.#right, 1)
    // Until no pair gains, or a round swaps no fewer than the one before: then the same documents
    // are moving back and forth (their moves interfere), and further rounds gain nothing.
    for (let round = 0, swapped = Infinity; round < this.maxRounds; round++) {
      const swaps = this.#improve(order, from, mid, to)
      if (swaps === 0 || swaps >= swapped) break
      swapped = swaps
    }
    this.#count(order, from, mid, this.#left, -1)
    this.#count(order, mid, to, this.#right, -1)
    this.split(order, from, mid)
    this.split(order, mid, to)
  }

  /** Adds `delta` to `degrees` for every term of the documents at `order[from .. to)`. */
  #count(order: Uint32Array, from: number, to: number, degrees: Int32Array, delta: number): void {
    const { starts, terms } = this.docs
    for (let i = from; i < to; i++) {
      const doc = order[i]
      for (let p = starts[doc]; p < starts[doc + 1]; p++) degrees[terms[p]] += delta
    }
  }

  /**
   * One round: every document's move gain, then the pairs with a positive summed gain swap sides.
   * @returns the number of documents swapped from each side
   */
  #improve(order: Uint32Array, from: number, mid: number, to: number): number {
    const round = this.#round++
    const leftSize = mid - from
    const rightSize = to - mid
    const { starts, terms } = this.docs
    const gains = this.#gains
    const stamp = this.#stamp
    for (let i = from; i < to; i++) {
      const doc = order[i]
      const termGains = i < mid ? this.#toRight : this.#toLeft
      let gain = 0
      for (let p = starts[doc], end = starts[doc + 1]; p < end; p++) {
        const t = terms[p]
        if (stamp[t] !== round) this.#termGains(t, round, leftSize, rightSize)
        gain += termGains[t]
      }
      gains[i] = gain
    }
    // Descending gains of each side, to pair the best of one with the best of the other.
    const sortedLeft = this.#sorted.subarray(from, mid)
    const sortedRight = this.#sorted.subarray(mid, to)
    sortedLeft.set(gains.subarray(from, mid))
    sortedRight.set(gains.subarray(mid, to))
    sortedLeft.sort()
    sortedRight.sort()
    let swaps = 0
    const pairs = Math.min(leftSize, rightSize)
    while (swaps < pairs && sortedLeft[leftSize - 1 - swaps] + sortedRight[rightSize - 1 - swaps] > 0) swaps++
    if (swaps === 0) return 0
    this.#markTop(from, mid, swaps, sortedLeft[leftSize - swaps])
    this.#markTop(mid, to, swaps, sortedRight[rightSize - swaps])
    this.#swap(order, from, mid, to)
    return swaps
  }

  /** The log-gap cost change of moving one document holding term `t` across, each way (positive: cheaper). */
  #termGains(t: number, round: number, leftSize: number, rightSize: number): void {
    const left = this.#left[t]
    const right = this.#right[t]
    const now = this.#cost(left, leftSize) + this.#cost(right, rightSize)
    this.#toRight[t] = now - (this.#cost(left - 1, leftSize) + this.#cost(right + 1, rightSize))
    this.#toLeft[t] = now - (this.#cost(left + 1, leftSize) + this.#cost(right - 1, rightSize))
    this.#stamp[t] = round
  }

  /** Log-gap cost in bits of `degree` postings spread over `size` documents (Dhulipala et al.'s model). */
  #cost(degree: number, size: number): number {
    return degree * (this.#log2[size] - this.#log2[degree + 1])
  }

  /** Marks the `count` documents of `from .. to` with the largest gains (at least `threshold`; ties by position). */
  #markTop(from: number, to: number, count: number, threshold: number): void {
    let above = 0
    for (let i = from; i < to; i++) if (this.#gains[i] > threshold) above++
    let ties = count - above
    for (let i = from; i < to; i++) {
      const gain = this.#gains[i]
      const take = gain > threshold || (gain === threshold && ties-- > 0)
      this.#moving[i] = take ? 1 : 0
    }
  }

  /** Moves the marked documents to the other side (keeping the relative order of all) and updates the degrees. */
  #swap(order: Uint32Array, from: number, mid: number, to: number): void {
    const { starts, terms } = this.docs
    const buffer = this.#buffer
    let at = from
    // New left: the left's stayers, then the right's movers; new right: the right's stayers, then the left's movers.
    for (let i = from; i < mid; i++) if (this.#moving[i] === 0) buffer[at++] = order[i]
    for (let i = mid; i < to; i++) if (this.#moving[i] === 1) buffer[at++] = order[i]
    for (let i = mid; i < to; i++) if (this.#moving[i] === 0) buffer[at++] = order[i]
    for (let i = from; i < mid; i++) if (this.#moving[i] === 1) buffer[at++] = order[i]
    const left = this.#left
    const right = this.#right
    for (let i = from; i < to; i++) {
      if (this.#moving[i] === 0) continue
      const doc = order[i]
      const delta = i < mid ? 1 : -1
      for (let p = starts[doc], end = starts[doc + 1]; p < end; p++) {
        right[terms[p]] += delta
        left[terms[p]] -= delta
      }
    }
    order.set(buffer.subarray(from, to), from)
  }
}


/**
 * Builds the graph BP orders, one document at a time in order: each document's terms with a
 * document frequency in `[minDf, maxDfRatio · n]`, renumbered densely (the others cannot help).
 */
export class DocTermsBuilder {
  readonly #dense: Int32Array
  readonly #termCount: number
  readonly #starts: Uint32Array
  #terms = new Uint32Array(1024)
  #docs = 0
  #length = 0

  /** @param df - per term id: its document frequency among the `n` documents */
  constructor(n: number, df: ArrayLike<number>, { minDf = 2, maxDfRatio = 0.5 } = {}) {
    this.#dense = new Int32Array(df.length).fill(-1)
    let termCount = 0
    for (let t = 0; t < df.length; t++) if (df[t] >= minDf && df[t] <= maxDfRatio * n) this.#dense[t] = termCount++
    this.#termCount = termCount
    this.#starts = new Uint32Array(n + 1)
  }

  /** Adds the next document's term ids. */
  add(termIds: ArrayLike<number>): void {
    this.#terms = ensureCapacity(this.#terms, this.#length + termIds.length)
    for (let i = 0; i < termIds.length; i++) {
      const t = this.#dense[termIds[i]]
      if (t >= 0) this.#terms[this.#length++] = t
    }
    this.#starts[++this.#docs] = this.#length
  }

  build(): DocTerms {
    if (this.#docs !== this.#starts.length - 1) throw new Error(`graph of ${this.#starts.length - 1} documents built after ${this.#docs}`)
    return { starts: this.#starts, terms: this.#terms.subarray(0, this.#length), termCount: this.#termCount }
  }
}
