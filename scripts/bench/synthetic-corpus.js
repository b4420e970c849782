// The synthetic corpora and their queries, shared by synthetic.js, compare-engines.js and
// ingest-vectors.js so that all measure the same documents (fixed seed), and a buffered line
// writer for corpus files.
import { once } from 'node:events'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
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

export const token = (r) => `t${r}`

/**
 * Token sampler for the learned flavour: MS MARCO document frequencies from an IDF table, or Zipf.
 * @param file - OpenSearch's IDF table (token -> idf), or 'zipf'
 */
export function learnedSampler(random, file) {
  if (file !== 'zipf' && existsSync(file)) {
    const table = JSON.parse(readFileSync(file, 'utf8'))
    const N = 8_841_823 // MS MARCO passages the table was computed on
    const weights = Float64Array.from(Object.values(table), (w) => Math.max(0, (N + 1) / Math.exp(w) - 0.5))
    return { sample: sampler(weights, random), names: Object.keys(table), table, source: `document frequencies from ${file}` }
  }
  return { sample: zipf(30_522, 1.1, 20, random), source: 'Zipf(1.1, offset 20) document frequencies' }
}

/**
 * Learned-sparse-like documents: 100-250 distinct tokens each, weights shaped like log(1 + relu(x)).
 * @param df - counts each token's documents (indexed by the sampler's token number)
 * @param dfFrom - as learnedSampler's `file`
 */
export function* learnedDocs(count, random, df, dfFrom) {
  // A document-frequency skew like bert-base-uncased's: a few hundred tokens appear in most
  // documents, most appear rarely.
  const { sample, names } = learnedSampler(random, dfFrom)
  for (let i = 0; i < count; i++) {
    const length = 100 + Math.floor(random() * 151)
    const vector = {}
    let n = 0
    while (n < length) {
      const t = sample()
      const name = names ? names[t] : token(t)
      if (vector[name] !== undefined) continue
      vector[name] = Math.log1p(-Math.log(1 - random()) * 1.5) // log(1 + relu(x)), x ~ exponential
      df[t]++
      n++
    }
    yield { id: `d${i}`, title: '', text: '', source: { _id: `d${i}`, vector } }
  }
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
