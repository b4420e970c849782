#!/usr/bin/env node
// Benchmark: what the approximate knobs cost and buy on a BEIR dataset (SciFact by default), bm25:
// alpha (prune with alpha x bound; MaxScore), beta (keep the top beta fraction of query terms by
// idf-weighted weight) and two-phase search (prune_ratio / expansion_rate / max_window_size).
// For each setting: top-10 latency p50 (single thread, after warm-up, median of 5 passes), the
// share of the exact top-10 it returns (recall against exhaustive), nDCG@10 of its top-10 and
// Recall@100 of its top-100.
// Run: npm run build && node scripts/bench/approximate.js [dataset]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SparseIndex, evaluateRun, ingestCorpus, readQrels, readQueries } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

const dataset = datasetFolder(process.argv[2])
const SETTINGS = [
  ['exact (auto)', {}],
  ['alpha 0.9', { alpha: 0.9 }],
  ['alpha 0.8', { alpha: 0.8 }],
  ['alpha 0.7', { alpha: 0.7 }],
  ['alpha 0.5', { alpha: 0.5 }],
  ['beta 0.8', { beta: 0.8 }],
  ['beta 0.6', { beta: 0.6 }],
  ['beta 0.4', { beta: 0.4 }],
  ['two-phase 0.4 / 5 / 10000', { twoPhase: { pruneRatio: 0.4, expansionRate: 5, maxWindowSize: 10_000 } }],
  ['two-phase 0.6 / 5 / 10000', { twoPhase: { pruneRatio: 0.6, expansionRate: 5, maxWindowSize: 10_000 } }],
  ['two-phase 0.8 / 2 / 10000', { twoPhase: { pruneRatio: 0.8, expansionRate: 2, maxWindowSize: 10_000 } }],
]

const dir = await mkdtemp(join(tmpdir(), 'lsr-approx-'))
try {
  const index = await SparseIndex.open(dir, { create: true })
  await ingestCorpus(index, dataset)
  const qrels = await readQrels(join(dataset, 'qrels', 'test.tsv'))
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  const exact = new Map(queries.map((q) => [q.id, new Set(index.searchIds(q.text, { k: 10, algorithm: 'exhaustive' }).map((h) => h.id))]))
  console.log(`${dataset}: ${queries.length} queries, bm25; ${process.platform} ${process.arch}, node ${process.version}\n`)
  console.log('| setting | top-10 p50 ms | exact top-10 kept | nDCG@10 | Recall@100 |')
  console.log('|---|---|---|---|---|')
  for (const [name, options] of SETTINGS) {
    const p50s = []
    for (let pass = 0; pass < 6; pass++) {
      const times = []
      for (const q of queries) {
        const t = performance.now()
        index.searchIds(q.text, { k: 10, ...options })
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      if (pass > 0) p50s.push(times[Math.floor(times.length / 2)])
    }
    let kept = 0
    let total = 0
    const top10 = new Map()
    const top100 = new Map()
    const asRun = (hits) => hits.map((h) => ({ docId: h.id, score: h.score }))
    for (const q of queries) {
      const hits = index.searchIds(q.text, { k: 10, ...options })
      for (const hit of hits) kept += exact.get(q.id).has(hit.id) ? 1 : 0
      total += exact.get(q.id).size
      top10.set(q.id, asRun(hits))
      top100.set(q.id, asRun(index.searchIds(q.text, { k: 100, ...options })))
    }
    const mean = { ndcg_cut_10: evaluateRun(top10, qrels).mean.ndcg_cut_10, recall_100: evaluateRun(top100, qrels).mean.recall_100 }
    p50s.sort((a, b) => a - b)
    console.log(`| ${name} | ${p50s[2].toFixed(3)} | ${((100 * kept) / total).toFixed(1)} % | ${mean.ndcg_cut_10.toFixed(4)} | ${mean.recall_100.toFixed(4)} |`)
  }
  await index.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
