#!/usr/bin/env node
// Benchmark: query speed at scale on synthetic corpora (fixed seed), both flavours:
//  - bm25: BM25-like text, 50-100 words per document drawn from a Zipfian 100,000-word vocabulary;
//  - learned: learned-sparse-like vectors, 100-250 distinct terms per document from a 30,522-token
//    vocabulary with a Zipfian document-frequency skew, weights shaped like log(1 + relu(x)).
// Queries: 3-12 terms (bm25: words; learned: tokens weighted by their corpus IDF).
// Reports build time, size on disk, bytes per posting, RSS after reopening (fresh process), and
// single-thread latency p50/p99 at top-10 and top-100 for exhaustive, MaxScore, block-max and auto (after a
// warm-up pass, median of 3 passes), checking that all return identical results.
// Learned token frequencies: with --df-from <idf.json> (default: ../shared/reference/opensearch-idf.json
// when present), tokens are drawn in proportion to their MS MARCO document frequency recovered from
// OpenSearch's IDF table (df = (N + 1) / e^idf - 0.5); otherwise from a Zipfian skew.
// Run: npm run build && node scripts/bench/synthetic.js [--docs 1000000] [--flavour both|bm25|learned] [--queries 200] [--df-from file|zipf]
//   [--keep DIR]: build the indexes in DIR/<flavour> and keep them; with --reuse, query the ones
//   already there (documents are regenerated, not indexed, to recover the corpus statistics)
// Filtered search: random filters allowing 10 %, 1 % and 0.1 % of the documents, top-10.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { idfWeightedQueries } from '../models/bert-base-tokenizer.js'
import { mulberry32 } from './sampling.js'
import { bm25Docs, bm25QueryWords, learnedDocs, learnedSampler, token } from './synthetic-corpus.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SparseIndex } from '../../dist/index.js'
import { GET_IDF_TABLE, IDF_TABLE, missing } from './datasets.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    flavour: { type: 'string', default: 'both' },
    queries: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    'df-from': { type: 'string', default: IDF_TABLE },
  },
})
// The default table is optional (Zipf without it); one named on the command line must exist.
if (values['df-from'] !== IDF_TABLE && values['df-from'] !== 'zipf' && !existsSync(values['df-from'])) {
  missing(`no IDF table at ${values['df-from']}`, `${GET_IDF_TABLE}, or pass --df-from zipf`)
}
const N = Number(values.docs)
const Q = Number(values.queries)
const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url))

/**
 * Real queries for the learned flavour when the IDF table and SciFact are beside the repository:
 * SciFact's query texts, tokenized with bert-base-uncased, each distinct token weighted by the
 * table (the inference-free recipe). Undefined otherwise.
 */
async function realLearnedQueries(table) {
  const queriesFile = fileURLToPath(new URL('../../../shared/datasets/scifact/queries.jsonl', import.meta.url))
  if (!table || !existsSync(queriesFile)) return undefined
  const texts = readFileSync(queriesFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line).text).slice(0, Q)
  return idfWeightedQueries(texts, table)
}

function queriesFor(flavour, random, df) {
  if (flavour === 'bm25') return bm25QueryWords(Q, random).map((words) => words.map((term) => ({ term, weight: 1 })))
  const queries = []
  const { sample } = learnedSampler(random, values['df-from'])
  for (let q = 0; q < Q; q++) {
    const length = 3 + Math.floor(random() * 10)
    const terms = new Map()
    while (terms.size < length) {
      const t = sample()
      terms.set(token(t), Math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5)))
    }
    queries.push([...terms].map(([term, weight]) => ({ term, weight })))
  }
  return queries
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function time(search, queries, k, options) {
  const passes = []
  for (let pass = 0; pass < 4; pass++) {
    const times = []
    for (const query of queries) {
      const t = performance.now()
      search(query, { k, ...options })
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    if (pass > 0) passes.push({ p50: percentile(times, 50), p99: percentile(times, 99) })
  }
  return { p50: median(passes.map((p) => p.p50)), p99: median(passes.map((p) => p.p99)) }
}

async function run(flavour) {
  const dir = values.keep ? join(values.keep, flavour) : await mkdtemp(join(tmpdir(), `lsr-synthetic-${flavour}-`))
  try {
    const random = mulberry32(Number(values.seed))
    const df = new Uint32Array(30_522)
    const reuse = values.reuse && existsSync(dir)
    let index = await SparseIndex.open(dir, { create: true, encoder: { name: flavour === 'bm25' ? 'bm25' : 'vectors' } })
    const started = performance.now()
    let batch = []
    for (const doc of flavour === 'bm25' ? bm25Docs(N, random) : learnedDocs(N, random, df, values['df-from'])) {
      if (reuse) continue
      batch.push(doc)
      if (batch.length === 10_000) {
        await index.add(batch)
        batch = []
      }
    }
    if (batch.length > 0) await index.add(batch)
    if (!reuse) await index.compact()
    const buildSeconds = reuse ? NaN : (performance.now() - started) / 1000
    const stats = await index.stats()
    await index.close()

    const rss = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `
      const { SparseIndex } = await import(${JSON.stringify(distIndex)})
      globalThis.gc(); const before = process.memoryUsage().rss
      const t = performance.now(); const index = await SparseIndex.open(${JSON.stringify(dir)}); const openMs = performance.now() - t
      globalThis.gc(); console.log(JSON.stringify({ openMs, rss: process.memoryUsage().rss, before }))`], { encoding: 'utf8', maxBuffer: 1 << 20 }))

    index = await SparseIndex.open(dir)
    const real = flavour === 'learned' ? await realLearnedQueries(learnedSampler(random, values['df-from']).table) : undefined
    const queries = real ?? queriesFor(flavour, random, df)
    if (real) console.log(`learned queries: ${real.length} SciFact query texts, bert-base-uncased tokens weighted by the IDF table`)
    for (const query of queries) {
      const reference = index.searchIds(query, { k: 100, algorithm: 'exhaustive' })
      for (const algorithm of ['maxscore', 'blockmax', 'auto']) {
        if (JSON.stringify(index.searchIds(query, { k: 100, algorithm })) !== JSON.stringify(reference)) throw new Error(`${algorithm} differs from exhaustive`)
      }
    }
    const latency = {}
    const search = (query, options) => index.searchIds(query, options)
    for (const k of [10, 100]) for (const algorithm of ['exhaustive', 'maxscore', 'blockmax', 'auto']) latency[`${algorithm}@${k}`] = time(search, queries, k, { algorithm })
    // Approximate: OpenSearch's default two-phase parameters, with the share of the exact top-k kept.
    const twoPhase = { pruneRatio: 0.4, expansionRate: 5, maxWindowSize: 10_000 }
    for (const k of [10, 100]) {
      let kept = 0
      for (const query of queries) {
        const exact = new Set(index.searchIds(query, { k }).map((h) => h.id))
        kept += index.searchIds(query, { k, twoPhase }).filter((h) => exact.has(h.id)).length / Math.max(exact.size, 1)
      }
      latency[`two-phase@${k}`] = { ...time(search, queries, k, { twoPhase }), kept: kept / queries.length }
    }
    const filtered = {}
    for (const share of [0.1, 0.01, 0.001]) {
      const allowed = index.docsWithIds(Array.from({ length: N }, (_, i) => `d${i}`).filter(() => random() < share))
      const requests = queries.map((terms) => ({ terms, allowed, matchAnyTerm: true }))
      for (const request of requests) {
        const reference = JSON.stringify(index.execute(request, { k: 10, algorithm: 'exhaustive' }))
        for (const algorithm of ['maxscore', 'blockmax', 'candidates', 'auto']) {
          if (JSON.stringify(index.execute(request, { k: 10, algorithm })) !== reference) throw new Error(`filtered ${algorithm} differs from exhaustive`)
        }
      }
      for (const algorithm of ['exhaustive', 'maxscore', 'blockmax', 'candidates', 'auto']) {
        filtered[`${algorithm}@${share * 100}%`] = time((request, options) => index.execute(request, options), requests, 10, { algorithm })
      }
    }
    await index.close()
    return { flavour, buildSeconds, stats, rss, latency, filtered }
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true })
  }
}

console.log(`synthetic corpora: ${N.toLocaleString('en')} documents each, ${Q} queries, seed ${values.seed}; ${process.platform} ${process.arch}, node ${process.version}`)
console.log(`learned flavour: ${learnedSampler(() => 0.5, values['df-from']).source}`)
const results = []
for (const flavour of values.flavour === 'both' ? ['bm25', 'learned'] : [values.flavour]) {
  const r = await run(flavour)
  results.push(r)
  const { stats } = r
  console.log(`\n${flavour}: built in ${r.buildSeconds.toFixed(0)} s (${Math.round(N / r.buildSeconds)} docs/s); ${stats.postings.toLocaleString('en')} postings, ` +
    `${(stats.postingBytes / stats.postings).toFixed(2)} bytes/posting encoded (${(stats.postingBytes / 2 ** 20).toFixed(0)} MiB), ` +
    `${(stats.sizeOnDiskBytes / 2 ** 20).toFixed(0)} MiB on disk with sources and forward vectors; reopen ${r.rss.openMs.toFixed(0)} ms, RSS after open ${(r.rss.rss / 2 ** 20).toFixed(0)} MiB`)
  for (const [name, { p50, p99, kept }] of Object.entries(r.latency)) {
    console.log(`  ${name.padEnd(14)} p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms${kept === undefined ? '' : `  (approximate: ${(100 * kept).toFixed(1)} % of the exact top-k)`}`)
  }
  console.log('  filtered top-10 (algorithm@share of documents allowed):')
  for (const [name, { p50, p99 }] of Object.entries(r.filtered)) console.log(`  ${name.padEnd(18)} p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`)
}
if (results.length === 2) {
  for (const k of [10, 100]) {
    const ratio = results[1].latency[`auto@${k}`].p50 / results[0].latency[`auto@${k}`].p50
    console.log(`learned / bm25 p50 latency at top-${k} (auto): ${ratio.toFixed(2)}x`)
  }
}
