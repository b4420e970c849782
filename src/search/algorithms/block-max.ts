/**
 * Block-max top-k, after Block-Max Pruning (Mallia, Suel & Tonellotto, SIGIR 2024): doc ids are
 * cut into fixed blocks; each block's upper bound is the sum over the query terms of the term's
 * bound within that block (from its block maxima); blocks are visited best bound first and each
 * visited block is scored exactly from the terms' postings in it (found by binary search over the
 * term's block list), into a block-local accumulator. The visit stops when the best remaining
 * bound cannot reach the k-th score.
 *
 * Exactness: a document's score is summed in query-term order from 0, as exhaustive.ts sums it,
 * so scores are identical; blocks are skipped only when their bound is below the threshold by
 * more than a rounding margin. Blocks are visited out of doc-id order, so a block whose bound
 * equals the threshold is still visited (a tie with a smaller doc id wins).
 * @module
 */
import type { ScoredQuery } from '../scorers/scored-query.js'
import { TopK, type ScoredDoc } from '../top-k.js'
import { cutoffOf, type AlgorithmOptions } from './maxscore.js'
import { BLOCK_SIZE } from '../../storage/block-maxima.js'
import { lowerBound } from './sorted-arrays.js'

/** Index of `value` in ascending `array`, or -1. */
function find(array: Uint32Array, value: number): number {
  const at = lowerBound(array, 0, array.length, value)
  return at < array.length && array[at] === value ? at : -1
}

/** A max-heap of block numbers keyed by their bounds, built in O(n). */
class BlockHeap {
  size: number

  constructor(private readonly items: Uint32Array, private readonly keys: Float64Array) {
    this.size = items.length
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i)
  }

  get topKey(): number {
    return this.keys[this.items[0]]
  }

  pop(): number {
    const top = this.items[0]
    this.items[0] = this.items[--this.size]
    this.down(0)
    return top
  }

  private down(i: number): void {
    const { items, keys } = this
    const item = items[i]
    for (;;) {
      let child = 2 * i + 1
      if (child >= this.size) break
      if (child + 1 < this.size && keys[items[child + 1]] > keys[items[child]]) child++
      if (keys[items[child]] <= keys[item]) break
      items[i] = items[child]
      i = child
    }
    items[i] = item
  }
}

export function blockMaxTopK(query: ScoredQuery, k: number, live: Uint8Array, { counters, alpha, blockSize = BLOCK_SIZE, candidates }: AlgorithmOptions = {}): ScoredDoc[] {
  const n = query.postings.length
  const maxima = query.blockMaxima(blockSize === BLOCK_SIZE ? undefined : blockSize)
  const blockCount = Math.ceil(live.length / blockSize) + 1
  // With a filter, blocks holding no candidate get no bound: they are never visited.
  const viable = candidates && new Uint8Array(blockCount)
  if (viable) for (let c = 0; c < candidates.length; c++) viable[Math.floor(candidates[c] / blockSize)] = 1
  const bounds = new Float64Array(blockCount)
  // Touched blocks and documents are flagged apart from their sums: a sum of 0 is a real value.
  const blockSeen = new Uint8Array(blockCount)
  const touched: number[] = []
  for (let i = 0; i < n; i++) {
    const { blocks, maxValues, minLengths } = maxima[i]
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j]
      if (viable && viable[b] === 0) continue
      if (blockSeen[b] === 0) {
        blockSeen[b] = 1
        touched.push(b)
      }
      bounds[b] += query.blockBound(i, maxValues[j], minLengths[j])
    }
  }
  const heap = new BlockHeap(Uint32Array.from(touched), bounds)
  const scores = new Float64Array(blockSize)
  const matched = new Uint8Array(blockSize)
  const top = new TopK(k)
  let cutoff = -Infinity
  let scored = 0
  while (heap.size > 0 && !(heap.topKey < cutoff)) {
    const block = heap.pop()
    const base = block * blockSize
    for (let i = 0; i < n; i++) {
      const { blocks, starts } = maxima[i]
      const j = find(blocks, block)
      if (j < 0) continue
      const { docs, values } = query.postings[i]
      for (let p = starts[j]; p < starts[j + 1]; p++) {
        scores[docs[p] - base] += query.contribution(i, values[p], docs[p])
        matched[docs[p] - base] = 1
      }
      scored += starts[j + 1] - starts[j]
    }
    for (let s = 0; s < blockSize; s++) {
      if (matched[s] === 0) continue
      if (live[base + s] === 1) top.push(base + s, scores[s])
      scores[s] = 0
      matched[s] = 0
    }
    if (top.full) cutoff = cutoffOf(top.threshold, alpha)
  }
  if (counters) counters.postingsScored += scored
  return top.sorted()
}
