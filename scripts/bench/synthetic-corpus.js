// The synthetic BM25-like corpus and its queries, shared by synthetic.js and compare-engines.js so
// that both measure the same documents (fixed seed), and a buffered line writer for corpus files.
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { sampler } from './sampling.js'

/** Inverse-CDF sampler over ranks 0..n-1 with P(rank r) ~ 1 / (r + offset)^s. */
export function zipf(n, s, offset, random) {
  return sampler(Float64Array.from({ length: n }, (_, r) => 1 / (r + offset) ** s), random)
}

export const BM25_VOCABULARY = 100_000
export const word = (r) => `w${r.toString(36)}`
const bm25Words = (random) => zipf(BM25_VOCABULARY, 1.0, 2.7, random)

/**
 * BM25-like text: 50-100 words per document drawn from a Zipfian 100,000-word vocabulary.
 * @param df - when given, counts each word's documents (indexed by rank)
 */
export function* bm25Docs(count, random, df) {
  const sample = bm25Words(random)
  for (let i = 0; i < count; i++) {
    const length = 50 + Math.floor(random() * 51)
    const ranks = Array.from({ length }, () => sample())
    if (df) for (const r of new Set(ranks)) df[r]++
    yield { id: `d${i}`, title: '', text: ranks.map(word).join(' '), source: { _id: `d${i}` } }
  }
}

/** Queries of 3-12 distinct words drawn like the documents' words: mostly frequent ("head") terms. */
export function bm25QueryWords(count, random) {
  const sample = bm25Words(random)
  const queries = []
  for (let q = 0; q < count; q++) {
    const length = 3 + Math.floor(random() * 10)
    const words = new Set()
    while (words.size < length) words.add(word(sample()))
    queries.push([...words])
  }
  return queries
}

/**
 * Rare-term ("tail") queries: 1-3 distinct words drawn uniformly from the words found in at least
 * one and fewer than `maxDf` documents.
 */
export function tailQueryWords(count, random, df, maxDf) {
  const rare = []
  for (let r = 0; r < df.length; r++) if (df[r] >= 1 && df[r] < maxDf) rare.push(r)
  if (rare.length < 3) throw new Error(`only ${rare.length} words occur in 1 to ${maxDf - 1} documents`)
  const queries = []
  for (let q = 0; q < count; q++) {
    const length = 1 + Math.floor(random() * 3)
    const words = new Set()
    while (words.size < length) words.add(word(rare[Math.floor(random() * rare.length)]))
    queries.push([...words])
  }
  return queries
}

/** Writes lines to a file in 1 MiB chunks, waiting for the stream to drain (corpora of a million documents). */
export function lineWriter(file) {
  const stream = createWriteStream(file)
  let chunk = ''
  const flush = async () => {
    if (!stream.write(chunk)) await once(stream, 'drain')
    chunk = ''
  }
  return {
    async write(line) {
      chunk += `${line}\n`
      if (chunk.length >= 2 ** 20) await flush()
    },
    async close() {
      await flush()
      stream.end()
      await once(stream, 'finish')
    },
  }
}
