#!/usr/bin/env node
// Benchmark: the query path's fixed costs and per-posting cost (issue 15, part 3), on the
// 100,000-document BM25-like corpus of synthetic.js (same generator and seed: 50-100 words per
// document from a Zipfian 100,000-word vocabulary).
// Query sets (top-10, single thread, in process):
//  - head: 3-12 words drawn by frequency (synthetic.js's queries), `auto` and `exhaustive`;
//  - tail: 1-3 rare words (each in 1-100 documents), `auto`: what a query costs when it scores
//    almost nothing.
// Queries are analyzed once up front (as LuceneBench builds its queries before timing); the tail
// set is also timed from text (what compare-engines.js times).
// A long warm-up (--warmup passes of every set), then --passes passes alternating between the
// builds given with --dist (e.g. a baseline's dist/index.js beside this one's): p50/p99 as the
// median over passes, and the mean CPU time per query of the best pass (what a build costs when
// other processes leave it alone, for comparing builds). Each build queries its own copy of the index.
// --lucene also runs scripts/bench/engines/LuceneBench.java on the same corpus and queries (its
// latency is the median over --warmup + --passes passes, after its own warm-up pass; Lucene 4.10 scores
// exhaustively, so its head figure is its exhaustive one).
// Run: npm run build && node scripts/bench/inner-loop.js [--dir DIR (kept; reused when present)]
//   [--dist dist/index.js --dist /tmp/base/dist/index.js] [--warmup 30] [--passes 7] [--lucene]
//   [--only TEXT: the cases whose name holds it, e.g. "tail"]
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { mulberry32 } from './sampling.js'
import { BM25_VOCABULARY, bm25Docs, bm25QueryWords, tailQueryWords } from './synthetic-corpus.js'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/lsr-inner-loop' },
    docs: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    dist: { type: 'string', multiple: true, default: ['dist/index.js'] },
    warmup: { type: 'string', default: '30' },
    passes: { type: 'string', default: '7' },
    lucene: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
})
const N = Number(values.docs)
const Q = Number(values.queries)
const root = fileURLToPath(new URL('../..', import.meta.url))

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** synthetic.js's bm25 documents (same seed, same draws), with each word's document frequency. */
function corpus() {
  const random = mulberry32(42)
  const df = new Uint32Array(BM25_VOCABULARY)
  const docs = [...bm25Docs(N, random, df)]
  return { docs, df, random }
}

/** Head queries as synthetic.js draws them; tail queries of words in 1 to 100 documents. */
function querySets({ df, random }) {
  return { head: bm25QueryWords(Q, random).map((words) => words.join(' ')), tail: tailQueryWords(Q, random, df, 101).map((words) => words.join(' ')) }
}

async function buildIndex(dist, dir, docs) {
  const { SparseIndex } = await import(dist)
  const index = await SparseIndex.open(dir, { create: true })
  const started = performance.now()
  for (let i = 0; i < docs.length; i += 10_000) await index.add(docs.slice(i, i + 10_000).map((d) => ({ id: d.id, title: '', text: d.text, source: { _id: d.id } })))
  await index.compact()
  await index.close()
  console.log(`built ${docs.length} documents in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

/**
 * One timed pass: per-query latency in ms, sorted, and the mean CPU time per query in ms (this
 * process's user + system time: steadier than latency on a shared machine, for comparing builds).
 */
function pass(search, queries, options) {
  const times = new Float64Array(queries.length)
  const cpu = process.cpuUsage()
  queries.forEach((query, i) => {
    const t = performance.now()
    search(query, options)
    times[i] = performance.now() - t
  })
  const { user, system } = process.cpuUsage(cpu)
  return { times: times.sort(), cpu: (user + system) / 1000 / queries.length }
}

const data = corpus()
const sets = querySets(data)
const indexDir = join(values.dir, 'index')
if (!existsSync(indexDir)) {
  mkdirSync(values.dir, { recursive: true })
  await buildIndex(pathToFileURL(resolve(root, values.dist[0])).href, indexDir, data.docs)
}

const engines = []
for (const [i, dist] of values.dist.entries()) {
  const dir = i === 0 ? indexDir : join(values.dir, `index-${i}`)
  if (!existsSync(dir)) cpSync(indexDir, dir, { recursive: true })
  const { SparseIndex } = await import(pathToFileURL(resolve(root, dist)).href)
  const index = await SparseIndex.open(dir)
  const terms = (texts) => texts.map((text) => index.encoder.encodeQuery(text))
  const search = (query, options) => index.searchIds(query, options)
  engines.push({ dist, index, search, sets: { head: terms(sets.head), tail: terms(sets.tail), 'tail text': sets.tail } })
}

// Every build must return the same hits with the same scores.
for (const [name, queries] of Object.entries(engines[0].sets)) {
  for (let q = 0; q < queries.length; q++) {
    const reference = JSON.stringify(engines[0].search(queries[q], { k: 10, algorithm: 'exhaustive' }))
    for (const { search, sets } of engines) {
      for (const algorithm of ['auto', 'exhaustive']) {
        if (JSON.stringify(search(sets[name][q], { k: 10, algorithm })) !== reference) throw new Error(`${name} query ${q}: results differ (${algorithm})`)
      }
    }
  }
}

const cases = [['head', 'auto'], ['head', 'exhaustive'], ['tail', 'auto'], ['tail text', 'auto']].filter(([set, algorithm]) => `${set} ${algorithm}`.includes(values.only))
for (const { search, sets } of engines) for (let w = 0; w < Number(values.warmup); w++) for (const [set, algorithm] of cases) pass(search, sets[set], { k: 10, algorithm })
const results = engines.map(() => Object.fromEntries(cases.map(([set, algorithm]) => [`${set} ${algorithm}`, []])))
for (let p = 0; p < Number(values.passes); p++) {
  for (const [e, { search, sets }] of engines.entries()) {
    for (const [set, algorithm] of cases) {
      const { times, cpu } = pass(search, sets[set], { k: 10, algorithm })
      results[e][`${set} ${algorithm}`].push({ p50: percentile(times, 50), p99: percentile(times, 99), cpu })
    }
  }
}
const postings = (queries) => {
  const counters = { postingsScored: 0 }
  for (const query of queries) engines[0].search(query, { k: 10, algorithm: 'exhaustive', counters })
  return Math.round(counters.postingsScored / queries.length)
}
console.log(`${N} documents; ${Q} queries per set (postings per query: head ${postings(engines[0].sets.head)}, tail ${postings(engines[0].sets.tail)}); warm-up ${values.warmup} passes, median of ${values.passes}; node ${process.version}`)
console.log(`| case | ${values.dist.map((d) => `${d} p50 ms | p99 ms | CPU ms/query (best pass)`).join(' | ')} |`)
console.log(`|---|${values.dist.map(() => '---|---|---').join('|')}|`)
for (const [set, algorithm] of cases) {
  const cells = results.map((r) => {
    const runs = r[`${set} ${algorithm}`]
    return [median(runs.map((x) => x.p50)), median(runs.map((x) => x.p99)), Math.min(...runs.map((x) => x.cpu))].map((ms) => ms.toFixed(3)).join(' | ')
  })
  console.log(`| ${set} top-10 ${algorithm} | ${cells.join(' | ')} |`)
}
for (const { index } of engines) await index.close()

if (values.lucene) {
  const jars = readdirSync('/usr/share/java').filter((f) => /^lucene-(core|analyzers-common)-4\.10.*\.jar$/.test(f)).map((f) => `/usr/share/java/${f}`)
  const work = join(values.dir, 'lucene')
  mkdirSync(join(work, 'classes'), { recursive: true })
  writeFileSync(join(work, 'corpus.tsv'), data.docs.map((d) => `${d.id}\t${d.text}\n`).join(''))
  execFileSync('javac', ['-cp', jars.join(':'), '-d', join(work, 'classes'), join(root, 'scripts/bench/engines/LuceneBench.java')])
  for (const set of ['head', 'tail']) {
    writeFileSync(join(work, `${set}.tsv`), sets[set].map((text, i) => `q${i}\t${text}\n`).join(''))
    const out = execFileSync('java', ['-cp', [join(work, 'classes'), ...jars].join(':'), 'LuceneBench', join(work, 'corpus.tsv'), join(work, `${set}.tsv`), join(work, `index-${set}`), join(work, `${set}.run`), String(Number(values.warmup) + Number(values.passes))], { encoding: 'utf8' })
    const { latency } = JSON.parse(out.trim().split('\n').at(-1))
    console.log(`| Lucene 4.10 ${set} top-10 | ${latency[10].p50.toFixed(3)} | ${latency[10].p99.toFixed(3)} |`)
  }
}
