#!/usr/bin/env node
// Benchmark: a multi-field product corpus (fixed seed) in an index of mapped fields only, as an
// application creates it over HTTP: three text fields (name: 3-8 words, description: 30-80 words,
// tags: 2-5 words, from one Zipfian 50,000-word vocabulary, standard analyzer, BM25 1.2/0.75) and
// three doc-value fields (category: keyword of 200 values, price: float, rating: integer 1-5).
// Measures ingest (documents per second, writes of 10,000 documents), then single-thread top-10
// latency p50/p99 (after a warm-up pass, median of 3 passes) of:
//  - baseline: `match` of the query words on description alone (the single-field path);
//  - multi_match best_fields over name^3, description, tags (tie_breaker 0.3) + a range filter on
//    price (about a third of the documents);
//  - the same multi_match sorted by price (a sort on a field instead of the score);
//  - match_all sorted by price, and by category then rating.
// Ratios are against the baseline of the same run.
// Run: npm run build && node scripts/bench/fields.js [--docs 1000000] [--queries 200]
//   [--keep DIR]: build the index in DIR and keep it; with --reuse, query the one already there
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex } from '../../dist/index.js'
import { mulberry32, sampler } from './sampling.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '200' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
  },
})
const N = Number(values.docs)
const Q = Number(values.queries)
const random = mulberry32(Number(values.seed))
const zipf = sampler(Float64Array.from({ length: 50_000 }, (_, r) => 1 / (r + 2.7)), random)
const word = () => `w${zipf().toString(36)}`
const words = (min, max) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, word).join(' ')

function product(i) {
  return {
    id: `p${i}`,
    title: '',
    text: '',
    source: {
      name: words(3, 8),
      description: words(30, 80),
      tags: words(2, 5),
      category: `c${Math.floor(random() * 200)}`,
      price: Math.round(random() * 100_000) / 100,
      rating: 1 + Math.floor(random() * 5),
    },
  }
}

const mappings = {
  properties: {
    name: { type: 'text' },
    description: { type: 'text' },
    tags: { type: 'text' },
    category: { type: 'keyword' },
    price: { type: 'float' },
    rating: { type: 'integer' },
  },
}

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), 'lsr-fields-')))
try {
  const index = await SparseIndex.open(dir, { create: !values.reuse, encoder: values.reuse ? undefined : null, schema: values.reuse ? undefined : { mappings } })
  console.log(`corpus       ${N} products: 3 text fields + category keyword, price float, rating integer`)
  if (values.reuse) {
    // The same seed draws the same corpus: the queries below are drawn after it.
    for (let i = 0; i < N; i++) product(i)
  } else {
    const started = performance.now()
    for (let at = 0; at < N; at += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, N - at) }, (_, j) => product(at + j))
      await index.add(batch)
    }
    const ingestSeconds = (performance.now() - started) / 1000
    const compactStarted = performance.now()
    await index.compact()
    const compactSeconds = (performance.now() - compactStarted) / 1000
    console.log(`ingest       ${ingestSeconds.toFixed(1)} s (${Math.round(N / ingestSeconds)} docs/s, writes of 10,000), compaction ${compactSeconds.toFixed(1)} s`)
  }
  const stats = await index.stats()
  console.log(`index        ${stats.terms} terms, ${stats.postings} postings, ${(stats.sizeOnDiskBytes / 2 ** 20).toFixed(0)} MiB on disk`)

  const queries = Array.from({ length: Q }, () => words(2, 4))
  const cases = {
    baseline: (q) => ({ query: { match: { description: q } } }),
    multiMatchRange: (q) => ({
      query: { multi_match: { query: q, fields: ['name^3', 'description', 'tags'], tie_breaker: 0.3 } },
      filter: { range: { price: { gte: 100, lt: 433 } } },
    }),
    multiMatchSortedByPrice: (q) => ({ query: { multi_match: { query: q, fields: ['name^3', 'description', 'tags'] } }, sort: [{ price: 'asc' }] }),
    matchAllByPrice: () => ({ sort: [{ price: 'desc' }] }),
    matchAllByCategoryRating: () => ({ sort: [{ category: 'asc' }, { rating: 'desc' }] }),
  }
  const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const pass = (make) => {
    const times = []
    for (const q of queries) {
      const reader = index.reader()
      const t = performance.now()
      reader.search({ ...make(q), size: 10 })
      times.push(performance.now() - t)
      reader.release()
    }
    times.sort((a, b) => a - b)
    return { p50: percentile(times, 50), p99: percentile(times, 99) }
  }
  const results = {}
  for (const [name, make] of Object.entries(cases)) {
    pass(make)
    const runs = [pass(make), pass(make), pass(make)]
    results[name] = { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) }
  }
  console.log('latency      (top-10, single thread, in-process, median of 3 passes after warm-up)')
  for (const [name, { p50, p99 }] of Object.entries(results)) {
    console.log(`  ${name.padEnd(26)} p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  (${(p50 / results.baseline.p50).toFixed(1)}x baseline p50)`)
  }
  await index.close()
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true })
}
