#!/usr/bin/env node
// Benchmark: index a BEIR dataset with the bm25 encoder and time its judged queries.
// Measures: index build time and docs/s, size on disk, reopen time, single-thread query latency
// p50/p99 for top-10 and top-100 (in-process, after one warm-up pass, median of 5 passes),
// MaxScore against the exhaustive baseline in the same process, and nDCG@10 / Recall@100.
// --repeat N indexes the corpus N times (ids suffixed) to see how latency grows with corpus size.
// Run: npm run build && node scripts/bench/beir-bm25.js [../shared/datasets/scifact] [--split test] [--repeat N]
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex, evaluateRun, ingestCorpus, readQrels, readQueries } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

const { positionals, values } = parseArgs({ allowPositionals: true, options: { split: { type: 'string', default: 'test' }, repeat: { type: 'string', default: '1' } } })
const dataset = datasetFolder(positionals[0], { split: values.split })
const PASSES = 5

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Per-query latencies (ms) of one pass; returns p50, p99 and postings scored. */
function pass(index, queries, k, algorithm) {
  const times = []
  const counters = { postingsScored: 0 }
  for (const q of queries) {
    const t = performance.now()
    index.searchIds(q.text, { k, algorithm, counters })
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((s, x) => s + x, 0) / times.length, postings: counters.postingsScored }
}

function measure(index, queries, k, algorithm) {
  pass(index, queries, k, algorithm)
  const runs = Array.from({ length: PASSES }, () => pass(index, queries, k, algorithm))
  return { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), mean: median(runs.map((r) => r.mean)), postings: runs[0].postings }
}

const dir = await mkdtemp(join(tmpdir(), 'lsr-bench-'))
try {
  let index = await SparseIndex.open(dir, { create: true })
  const ingest = await ingestCorpus(index, dataset)
  if (Number(values.repeat) > 1) {
    const started = performance.now()
    const corpus = (await readFile(join(dataset, 'corpus.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
    for (let copy = 1; copy < Number(values.repeat); copy++) {
      for (let i = 0; i < corpus.length; i += 1000) {
        await index.add(corpus.slice(i, i + 1000).map((r) => ({ id: `${r._id}#${copy}`, title: r.title, text: r.text, source: r })))
      }
    }
    await index.compact()
    ingest.read += corpus.length * (Number(values.repeat) - 1)
    ingest.seconds += (performance.now() - started) / 1000
  }
  const stats = await index.stats()
  await index.close()
  const openStart = performance.now()
  index = await SparseIndex.open(dir)
  const openMs = performance.now() - openStart

  const qrels = await readQrels(join(dataset, 'qrels', `${values.split}.tsv`))
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  const run = new Map(queries.map((q) => [q.id, index.searchIds(q.text, { k: 1000 }).map((h) => ({ docId: h.id, score: h.score }))]))
  const { mean } = evaluateRun(run, qrels)

  console.log(`dataset      ${dataset} (${values.split}: ${queries.length} judged queries)`)
  console.log(`machine      ${process.platform} ${process.arch}, node ${process.version}`)
  console.log(`index        ${ingest.read} docs in ${ingest.seconds.toFixed(2)} s (${Math.round(ingest.read / ingest.seconds)} docs/s), ` +
    `${stats.terms} terms, ${stats.postings} postings, ${(stats.sizeOnDiskBytes / 2 ** 20).toFixed(1)} MiB on disk ` +
    `(${(stats.sizeOnDiskBytes / stats.postings).toFixed(1)} bytes/posting incl. stored sources)`)
  console.log(`reopen       ${openMs.toFixed(0)} ms`)
  console.log(`quality      nDCG@10 ${mean.ndcg_cut_10.toFixed(4)}  Recall@100 ${mean.recall_100.toFixed(4)}  Recall@1000 ${mean.recall_1000.toFixed(4)}`)
  console.log('latency      (single thread, in-process, median of 5 passes after warm-up)')
  for (const k of [10, 100, 1000]) {
    const auto = measure(index, queries, k, 'auto')
    const pruned = measure(index, queries, k, 'maxscore')
    const blocks = measure(index, queries, k, 'blockmax')
    const full = measure(index, queries, k, 'exhaustive')
    console.log(`  top-${String(k).padEnd(5)} auto p50 ${auto.p50.toFixed(3)} ms p99 ${auto.p99.toFixed(3)} ms | ` +
      `maxscore p50 ${pruned.p50.toFixed(3)} ms p99 ${pruned.p99.toFixed(3)} ms | ` +
      `blockmax p50 ${blocks.p50.toFixed(3)} ms p99 ${blocks.p99.toFixed(3)} ms | ` +
      `exhaustive p50 ${full.p50.toFixed(3)} ms p99 ${full.p99.toFixed(3)} ms | maxscore/exhaustive mean ${(pruned.mean / full.mean).toFixed(2)}x | ` +
      `postings scored ${(pruned.postings / full.postings * 100).toFixed(1)}% of ${full.postings}`)
  }
  await index.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
