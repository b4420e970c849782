#!/usr/bin/env node
// Benchmark: lsr (bm25) side by side with MiniSearch, Orama, wink-bm25-text-search, Lucene 4.10 and
// Xapian on a BEIR dataset (SciFact by default), one engine per child process, same machine, same run.
// All index title + " " + text as one field with BM25 k1 = 0.9, b = 0.4 where the engine allows it
// (MiniSearch and Orama: BM25+ with d = 0; wink: k1/b/k3), and the Lucene-English analysis
// (the JS engines get lsr's analyzer as their tokenizer; Lucene its EnglishAnalyzer; Xapian its
// original-Porter stemmer with Lucene's stop words). Measured per engine: index build time, index
// size (on disk where the engine has one), memory of the built index (JS heap + external + array
// buffers after GC; not reported for Lucene and Xapian, which read their index through the OS
// page cache / mmap rather than their heap), single-thread latency p50/p99
// for top-10 and top-100 (in-process, after a warm-up pass, median of 5 passes), and nDCG@10.
// Needs: npm devDependencies; Debian's liblucene4.10-java + a JDK, and python3-xapian.
// Run: npm run build && node --expose-gc scripts/bench/compare-engines.js [dataset]
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SparseIndex, analyzeEnglish, evaluateRun, readQrels, readQueries, readRunFile, resolveCorpusFile } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

const { positionals, values } = parseArgs({ allowPositionals: true, options: { engine: { type: 'string' }, work: { type: 'string' } } })
const root = fileURLToPath(new URL('../..', import.meta.url))
// A child process running one engine (--engine) reads its data from --work instead.
const dataset = values.engine ? undefined : datasetFolder(positionals[0])
const PASSES = 5

const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** p50/p99 of single-query latency, median over passes, after one warm-up pass. */
async function latency(queries, k, run) {
  for (const q of queries) await run(q.text, k)
  const passes = []
  for (let pass = 0; pass < PASSES; pass++) {
    const times = []
    for (const q of queries) {
      const t = performance.now()
      await run(q.text, k)
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    passes.push({ p50: percentile(times, 50), p99: percentile(times, 99) })
  }
  return { p50: median(passes.map((p) => p.p50)), p99: median(passes.map((p) => p.p99)) }
}

function memoryNow() {
  globalThis.gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.external + m.arrayBuffers
}

/** The JS engines: build(docs) -> { search(text, k) -> [[id, score]], sizeBytes? } */
const JS_ENGINES = {
  async lsr(docs, work) {
    const index = await SparseIndex.open(join(work, 'lsr'), { create: true })
    for (let i = 0; i < docs.length; i += 1000) await index.add(docs.slice(i, i + 1000).map((d) => ({ id: d.id, title: '', text: d.contents, source: { _id: d.id } })))
    await index.compact()
    const { sizeOnDiskBytes } = await index.stats()
    return { search: (text, k) => index.searchIds(text, { k }).map((h) => [h.id, h.score]), sizeBytes: sizeOnDiskBytes }
  },
  async MiniSearch(docs) {
    const { default: MiniSearch } = await import('minisearch')
    const engine = new MiniSearch({ fields: ['contents'], idField: 'id', tokenize: analyzeEnglish, processTerm: (t) => t, searchOptions: { bm25: { k: 0.9, b: 0.4, d: 0 }, combineWith: 'OR' } })
    engine.addAll(docs)
    return { search: (text, k) => engine.search(text).slice(0, k).map((r) => [r.id, r.score]) }
  },
  async Orama(docs) {
    const { create, insertMultiple, search } = await import('@orama/orama')
    const db = create({
      schema: { id: 'string', contents: 'string' },
      components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (raw) => analyzeEnglish(raw) } },
    })
    await insertMultiple(db, docs, 1000)
    return {
      search: async (text, k) => (await search(db, { term: text, properties: ['contents'], limit: k, threshold: 1, relevance: { k: 0.9, b: 0.4, d: 0 } })).hits.map((h) => [h.document.id, h.score]),
    }
  },
  async 'wink-bm25-text-search'(docs) {
    const { default: winkBm25 } = await import('wink-bm25-text-search')
    const engine = winkBm25()
    engine.defineConfig({ fldWeights: { contents: 1 }, bm25Params: { k1: 0.9, b: 0.4, k: 1 } })
    engine.definePrepTasks([analyzeEnglish])
    docs.forEach((d) => engine.addDoc({ contents: d.contents }, d.id))
    engine.consolidate()
    return { search: (text, k) => engine.search(text, k) }
  },
}

async function runJsEngine(name, work) {
  const docs = JSON.parse(await readFile(join(work, 'docs.json'), 'utf8'))
  const queries = JSON.parse(await readFile(join(work, 'queries.json'), 'utf8'))
  const before = memoryNow()
  const started = performance.now()
  const engine = await JS_ENGINES[name](docs, work)
  const indexSeconds = (performance.now() - started) / 1000
  const memoryBytes = memoryNow() - before
  const result = { engine: name, indexSeconds, indexBytes: engine.sizeBytes ?? null, memoryBytes, latency: {} }
  for (const k of [10, 100]) result.latency[k] = await latency(queries, k, engine.search)
  let run = ''
  for (const q of queries) (await engine.search(q.text, 100)).forEach(([id, score], r) => (run += `${q.id} Q0 ${id} ${r + 1} ${score} ${name}\n`))
  await writeFile(join(work, `${name}.run`), run)
  console.log(JSON.stringify(result))
}

if (values.engine) {
  await runJsEngine(values.engine, values.work)
  process.exit(0)
}

const work = await mkdtemp(join(tmpdir(), 'lsr-compare-'))
try {
  const corpus = (await readFile(await resolveCorpusFile(dataset), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
  const docs = corpus.map((r) => ({ id: String(r._id), contents: r.title ? `${r.title} ${r.text}` : r.text }))
  const qrels = await readQrels(join(dataset, 'qrels', 'test.tsv'))
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  await writeFile(join(work, 'docs.json'), JSON.stringify(docs))
  await writeFile(join(work, 'queries.json'), JSON.stringify(queries))
  const clean = (s) => s.replace(/[\t\n\r]+/g, ' ')
  await writeFile(join(work, 'corpus.tsv'), docs.map((d) => `${d.id}\t${clean(d.contents)}\n`).join(''))
  await writeFile(join(work, 'queries.tsv'), queries.map((q) => `${q.id}\t${clean(q.text)}\n`).join(''))

  const results = []
  const node = (engine) => execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--engine', engine, '--work', work], { encoding: 'utf8', maxBuffer: 1 << 26 })
  for (const engine of Object.keys(JS_ENGINES)) results.push(JSON.parse(node(engine).trim().split('\n').at(-1)))

  const lucene = readdirSync('/usr/share/java').filter((f) => /^lucene-(core|analyzers-common)-4\.10.*\.jar$/.test(f)).map((f) => `/usr/share/java/${f}`)
  if (lucene.length === 2 && existsSync('/usr/bin/javac')) {
    const classes = join(work, 'classes')
    await mkdir(classes)
    execFileSync('javac', ['-cp', lucene.join(':'), '-d', classes, join(root, 'scripts/bench/engines/LuceneBench.java')])
    const out = execFileSync('java', ['-cp', [classes, ...lucene].join(':'), 'LuceneBench', join(work, 'corpus.tsv'), join(work, 'queries.tsv'), join(work, 'lucene-index'), join(work, 'Lucene 4.10.4.run'), String(PASSES)], { encoding: 'utf8' })
    results.push(JSON.parse(out.trim().split('\n').at(-1)))
  } else console.error('skipping Lucene: apt-get install liblucene4.10-java default-jdk-headless')
  try {
    const out = execFileSync('/usr/bin/python3', [join(root, 'scripts/bench/engines/xapian_bench.py'), join(work, 'corpus.tsv'), join(work, 'queries.tsv'), join(work, 'xapian-index'), join(work, 'xapian.run'), String(PASSES)], { encoding: 'utf8' })
    const result = JSON.parse(out.trim().split('\n').at(-1))
    await writeFile(join(work, `${result.engine}.run`), await readFile(join(work, 'xapian.run')))
    results.push(result)
  } catch (error) {
    console.error(`skipping Xapian (apt-get install python3-xapian): ${error.message.split('\n')[0]}`)
  }

  const mib = (b) => (b === null || b === undefined ? '—' : (b / 2 ** 20).toFixed(1))
  console.log(`\n${dataset}: ${docs.length} documents, ${queries.length} test queries; ${process.platform} ${process.arch}, node ${process.version}\n`)
  console.log('| engine | index s | index MiB | memory MiB | top-10 p50 ms | top-10 p99 ms | top-100 p50 ms | top-100 p99 ms | nDCG@10 |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of results) {
    const { mean } = evaluateRun(await readRunFile(join(work, `${r.engine}.run`)), qrels)
    const l = r.latency
    console.log(`| ${r.engine} | ${r.indexSeconds.toFixed(2)} | ${mib(r.indexBytes)} | ${mib(r.memoryBytes)} | ${l[10].p50.toFixed(3)} | ${l[10].p99.toFixed(3)} | ${l[100].p50.toFixed(3)} | ${l[100].p99.toFixed(3)} | ${mean.ndcg_cut_10.toFixed(4)} |`)
  }
} finally {
  await rm(work, { recursive: true, force: true })
}
