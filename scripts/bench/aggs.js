#!/usr/bin/env node
// Benchmark: aggregations (facets) on a multi-field product corpus (fixed seed) in an index of
// mapped fields only: description (text, 30-80 words from a Zipfian 50,000-word vocabulary, as
// fields.js), brand (keyword, 20 values, uniform), seller (keyword, 10,000 values, Zipfian: weight
// 1/(rank + 2.7), the largest seller has ~4 % of the documents), price (float, uniform 0-1000),
// rating (integer 1-5, uniform), published (date, uniform over 2021-01-01..2025-12-31).
// Built with writes of 10,000 documents, then one compaction.
// Measures single-thread latency p50/p99 (size: 0, a fresh reader per search, after a warm-up
// pass, median of 3 passes) of each aggregation alone, under two queries:
//  - range10: a `range` on published over 2024-01-01..2024-07-01 (182 of 1826 days: ~10 % of
//    the documents; the measured count is printed);
//  - match_all: every document.
// Aggregations: terms on brand (size 20: every value) and on seller (size 10 of 10,000 values),
// each with the default execution_hint and with 'bitmaps' (one AND-cardinality per value) and
// 'global_ordinals' (a pass over the matched documents' column values); histogram on price
// (interval 50), stats on price, cardinality on seller (exact), date_histogram monthly on published.
// The baseline is the same query with no aggregation (its count only); ratios are against it.
// Every case is searched once before any is timed (what a field's first search loads, and the
// garbage collection that follows, stay out of the passes); that first search's time is printed.
// Before timing, each query's results are checked: the three terms strategies give equal buckets,
// and the brand buckets, histogram and date_histogram buckets sum to the query's count.
// Run: npm run build && node scripts/bench/aggs.js [--docs 1000000] [--repeats 100 (or --queries)]
//   [--keep DIR]: build the index in DIR and keep it; with --reuse, query the one already there
//   [--only TEXT]: time only the aggregations whose name contains TEXT (e.g. to profile one)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { SparseIndex } from '../../dist/index.js'
import { mulberry32, sampler } from './sampling.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    repeats: { type: 'string' },
    queries: { type: 'string' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
})
const N = Number(values.docs)
const R = Number(values.repeats ?? values.queries ?? '100')
const random = mulberry32(Number(values.seed))
const zipf = sampler(Float64Array.from({ length: 50_000 }, (_, r) => 1 / (r + 2.7)), random)
const sellerOf = sampler(Float64Array.from({ length: 10_000 }, (_, r) => 1 / (r + 2.7)), random)
const word = () => `w${zipf().toString(36)}`
const words = (min, max) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, word).join(' ')
const FROM = Date.UTC(2021, 0, 1)
const DAYS = (Date.UTC(2026, 0, 1) - FROM) / 86_400_000

function product(i) {
  return {
    id: `p${i}`,
    title: '',
    text: '',
    source: {
      description: words(30, 80),
      brand: `brand${Math.floor(random() * 20)}`,
      seller: `seller${sellerOf()}`,
      price: Math.round(random() * 100_000) / 100,
      rating: 1 + Math.floor(random() * 5),
      published: new Date(FROM + Math.floor(random() * DAYS * 86_400_000)).toISOString(),
    },
  }
}

const mappings = {
  properties: {
    description: { type: 'text' },
    brand: { type: 'keyword' },
    seller: { type: 'keyword' },
    price: { type: 'float' },
    rating: { type: 'integer' },
    published: { type: 'date' },
  },
}

const QUERIES = {
  range10: { range: { published: { gte: '2024-01-01', lt: '2024-07-01' } } },
  match_all: { match_all: {} },
}
const AGGS = {
  'terms brand': { terms: { field: 'brand', size: 20 } },
  'terms brand bitmaps': { terms: { field: 'brand', size: 20, execution_hint: 'bitmaps' } },
  'terms brand global_ordinals': { terms: { field: 'brand', size: 20, execution_hint: 'global_ordinals' } },
  'terms seller': { terms: { field: 'seller', size: 10 } },
  'terms seller bitmaps': { terms: { field: 'seller', size: 10, execution_hint: 'bitmaps' } },
  'terms seller global_ordinals': { terms: { field: 'seller', size: 10, execution_hint: 'global_ordinals' } },
  'histogram price': { histogram: { field: 'price', interval: 50 } },
  'stats price': { stats: { field: 'price' } },
  'cardinality seller': { cardinality: { field: 'seller' } },
  'date_histogram published': { date_histogram: { field: 'published', calendar_interval: 'month' } },
}

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), 'lsr-aggs-')))
try {
  const index = await SparseIndex.open(dir, { create: !values.reuse, encoder: values.reuse ? undefined : null, schema: values.reuse ? undefined : { mappings } })
  console.log(`corpus       ${N} products: description text; brand keyword (20, uniform), seller keyword (10,000, Zipfian), price float, rating integer, published date (5 years)`)
  if (!values.reuse) {
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
  console.log(`index        ${stats.documents} documents, ${stats.terms} terms, ${stats.postings} postings, ${stats.segments} segments, ${(stats.sizeOnDiskBytes / 2 ** 20).toFixed(0)} MiB on disk`)
  if (stats.documents !== N) throw new Error(`the index has ${stats.documents} documents, not --docs ${N}`)

  const body = (query, aggs) => (aggs ? { query, aggs: { a: aggs }, size: 0 } : { query, size: 0 })
  const search = (query, aggs) => {
    const reader = index.reader()
    try {
      return reader.search(body(query, aggs))
    } finally {
      reader.release()
    }
  }
  // What an aggregation answered, in a few words (or why it could not be timed), and how long that first search took.
  const summary = (query, aggs) => {
    let result
    const t = performance.now()
    try {
      result = search(query, aggs)
    } catch (error) {
      return { error: `${error.code ?? 'error'}: ${error.message}`.slice(0, 120) }
    }
    const first = performance.now() - t
    const answer = aggs ? result.aggregations?.a : undefined
    if (aggs && answer === undefined) return { error: 'not implemented (no aggregations in the response)' }
    const { buckets, value, sum_other_doc_count: other } = answer ?? {}
    const text = !aggs
      ? `total ${result.total}`
      : buckets
        ? `${buckets.length} buckets${other !== undefined ? `, other ${other}` : ''}`
        : value !== undefined
          ? `value ${value}`
          : `count ${answer.count}, avg ${answer.avg?.toFixed(2)}`
    return { answer, text, total: result.total, first }
  }
  const checks = []
  let checked = 0
  const check = (ok, what) => {
    checked++
    if (!ok) checks.push(what)
  }

  const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const pass = (query, aggs) => {
    const times = []
    for (let i = 0; i < R; i++) {
      const reader = index.reader()
      const t = performance.now()
      reader.search(body(query, aggs))
      times.push(performance.now() - t)
      reader.release()
    }
    times.sort((a, b) => a - b)
    return { p50: percentile(times, 50), p99: percentile(times, 99) }
  }
  const time = (query, aggs) => {
    pass(query, aggs)
    const runs = [pass(query, aggs), pass(query, aggs), pass(query, aggs)]
    return { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) }
  }

  // One search of every case before any is timed, so that what the first search of a field loads
  // (and the garbage collection of that) falls outside every case's passes; its time is "first".
  const firsts = {}
  for (const [queryName, query] of Object.entries(QUERIES)) {
    firsts[queryName] = { baseline: summary(query, undefined) }
    for (const [name, aggs] of Object.entries(AGGS)) if (!values.only || name.includes(values.only)) firsts[queryName][name] = summary(query, aggs)
  }
  console.log(`latency      (size 0, single thread, in-process, ${R} searches a pass, median of 3 passes after a warm-up pass; first: the first search of each case, all done before any pass)`)
  for (const [queryName, query] of Object.entries(QUERIES)) {
    const { baseline: counted, ...rows } = firsts[queryName]
    const count = counted.total
    const baseline = time(query, undefined)
    console.log(`\n${queryName}: ${JSON.stringify(query)} matches ${count} documents (${((100 * count) / N).toFixed(2)} %)\n`)
    console.log('| aggregation | p50 ms | p99 ms | p50 / baseline | first ms | result |')
    console.log('|---|---:|---:|---:|---:|---|')
    console.log(`| baseline (count only) | ${baseline.p50.toFixed(3)} | ${baseline.p99.toFixed(3)} | 1.0 | ${counted.first.toFixed(3)} | ${counted.text} |`)
    const answers = {}
    const timings = {}
    for (const [name, got] of Object.entries(rows)) {
      if (got.error) {
        console.log(`| ${name} | - | - | - | - | ${got.error} |`)
        continue
      }
      answers[name] = got.answer
      const { p50, p99 } = (timings[name] = time(query, AGGS[name]))
      console.log(`| ${name} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${(p50 / baseline.p50).toFixed(1)} | ${got.first.toFixed(3)} | ${got.text} |`)
    }
    for (const field of ['brand', 'seller']) {
      const [plain, bitmaps, ordinals] = ['', ' bitmaps', ' global_ordinals'].map((hint) => timings[`terms ${field}${hint}`]?.p50)
      if (plain === undefined || bitmaps === undefined || ordinals === undefined) continue
      const times = `default ${plain.toFixed(3)} ms, bitmaps ${bitmaps.toFixed(3)}, global_ordinals ${ordinals.toFixed(3)}`
      // The default is named as one strategy only when its p50 is within 20 % of that one's and not of the other's.
      const near = (a, b) => Math.max(a, b) < 1.2 * Math.min(a, b)
      const like = near(plain, bitmaps) === near(plain, ordinals) ? undefined : near(plain, bitmaps) ? 'bitmaps' : 'global_ordinals'
      console.log(`terms ${field}: ${like ? `the default times as ${like}` : 'the timings do not tell which strategy the default took'} (p50 ${times})`)
    }
    const sum = (buckets) => buckets.reduce((n, bucket) => n + bucket.doc_count, 0)
    for (const field of ['brand', 'seller']) {
      const [plain, ...strategies] = [``, ' bitmaps', ' global_ordinals'].map((hint) => answers[`terms ${field}${hint}`])
      for (const other of strategies) if (plain && other) check(isDeepStrictEqual(plain, other), `${queryName}: terms ${field} differs between execution hints`)
      if (plain) check(sum(plain.buckets) + plain.sum_other_doc_count === count, `${queryName}: terms ${field} buckets + other != ${count}`)
    }
    for (const name of ['histogram price', 'date_histogram published']) if (answers[name]) check(sum(answers[name].buckets) === count, `${queryName}: ${name} buckets sum != ${count}`)
    if (answers['stats price']) check(answers['stats price'].count === count, `${queryName}: stats price count != ${count}`)
  }
  if (checks.length > 0) console.log(`\nCHECK FAILED:\n  ${checks.join('\n  ')}`)
  else console.log(`\nchecked: ${checked} checks passed (the terms execution hints give equal answers; buckets and stats count sum to each query's count)`)
  await index.close()
  if (checks.length > 0) process.exitCode = 1
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true })
}
