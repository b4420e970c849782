/**
 * Per-term block maxima over fixed doc-id ranges, for block-max query processing (block-max.ts).
 * A block covers doc ids [b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE). For each block a term has
 * postings in, we keep where those postings start, the largest posting value, and the shortest
 * document (BM25 needs both to bound a contribution; dot scoring needs the value only).
 *
 * Built from the decoded postings the first time a query needs them (no work at open), and
 * rebuilt after the list changes.
 * @module
 */
import type { PostingsView } from './posting-list.js'

/** Documents per block. Chosen by measurement with scripts/bench/synthetic.js (see README). */
export const BLOCK_SIZE = 128

export interface BlockMaxima {
  /** Block numbers with postings, ascending. */
  readonly blocks: Uint32Array
  /** Posting offset where each listed block starts; one extra entry holds the list length. */
  readonly starts: Uint32Array
  /** Largest posting value in each listed block. */
  readonly maxValues: Uint32Array
  /** Shortest document length among the block's postings. */
  readonly minLengths: Uint32Array
}

export function buildBlockMaxima(postings: PostingsView, docLength: Uint32Array, blockSize = BLOCK_SIZE): BlockMaxima {
  const { docs, values, length } = postings
  let count = 0
  for (let p = 0, last = -1; p < length; p++) {
    const block = Math.floor(docs[p] / blockSize)
    if (block !== last) {
      count++
      last = block
    }
  }
  const blocks = new Uint32Array(count)
  const starts = new Uint32Array(count + 1)
  const maxValues = new Uint32Array(count)
  const minLengths = new Uint32Array(count).fill(0xffffffff)
  for (let p = 0, j = -1, last = -1; p < length; p++) {
    const doc = docs[p]
    const block = Math.floor(doc / blockSize)
    if (block !== last) {
      j++
      blocks[j] = block
      starts[j] = p
      last = block
    }
    if (values[p] > maxValues[j]) maxValues[j] = values[p]
    if (docLength[doc] < minLengths[j]) minLengths[j] = docLength[doc]
  }
  starts[count] = length
  return { blocks, starts, maxValues, minLengths }
}
