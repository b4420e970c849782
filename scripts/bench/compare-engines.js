#!/usr/bin/env node
// Benchmark: lsr (bm25) side by side with MiniSearch, Orama, wink-bm25-text-search, Lucene 4.10 and
// Xapian, one engine per child process, same machine, same run; ratios are against Lucene's figures
// of that run (issue 15's targets are printed at the end).
// Corpora: a BEIR dataset (SciFact by default; nDCG@10 on its test queries), or with --synthetic N
// the BM25-like corpus of synthetic.js (same generator, seed 42: 50-100 words per document, Zipf
// over 100,000 words) with two query sets: 200 "head" queries as synthetic.js makes them (3-12
// Zipf-drawn words) and 200 "tail" queries of 1-3 words each found in fewer than 0.1 % of the
// documents (no qrels: nDCG is —). Tail words are drawn before analysis: a stemmed word may share
// its term with another word, so a few tail terms are more frequent than that.
// All index title + " " + text as one field with BM25 k1 = 0.9, b = 0.4 where the engine allows it
// (MiniSearch and Orama: BM25+ with d = 0; wink: k1/b/k3), and the Lucene-English analysis
// (the JS engines get lsr's analyzer as their tokenizer; Lucene its EnglishAnalyzer; Xapian its
// original-Porter stemmer with Lucene's stop words).
// Indexing, per engine: build time from its input file to a searchable, compacted index (lsr:
// ingestCorpus over a BEIR corpus.jsonl, as `lsr index` runs it, then index.compact(), timed apart;
// Lucene and Xapian read the same documents as id<TAB>title text lines; Lucene's forceMerge(1) is
// its compaction), docs/s, the ratio to Lucene's docs/s, size on disk where the engine has one, and
// memory of the built index (JS heap + external memory after GC; not reported for Lucene
// and Xapian, which read their index through the OS page cache / mmap rather than their heap).
// lsr gets a row per --lsr-threads value (default 1,2), passed as ingestCorpus's `threads` (worker
// threads that parse and encode the corpus beside the writing thread); only the first row is queried.
// Queries, per engine and mode: single-thread latency p50/p99 for top-10 and top-100 (in-process,
// after --warmup passes, median of 5 passes). Modes: each engine's default, and the ones that
// score every matching document: lsr `algorithm: 'exhaustive'` (term-at-a-time into a dense
// accumulator); Lucene 4.10 has no dynamic pruning of disjunctions, so its default search
// (BooleanScorer: term-at-a-time over windows of 2,048 documents) already scores every match and is
// the "exhaustive" baseline, with BooleanScorer2 (document-at-a-time, in-order collector) beside
// it; Xapian's get_mset with checkatleast = every document. lsr and the JS engines are timed from
// the query text (analysis included); Lucene's and Xapian's queries are analyzed and parsed before
// their clock starts.
// With --runs R the engines run R times in turn (interleaved, so that load from elsewhere falls on
// all of them) and every figure is the median over the runs.
// Each child process prints its results as one JSON line (echoed here) before the tables.
// Needs: npm devDependencies; Debian's liblucene4.10-java + a JDK, and python3-xapian.
// Run: npm run build && node --expose-gc scripts/bench/compare-engines.js [dataset folder]
//   [--synthetic N] [--engines lsr,Lucene,Xapian] [--lsr-threads 1,2] [--warmup 1] [--runs 1]
//   --engines: names or prefixes of lsr, MiniSearch, Orama, wink-bm25-text-search, Lucene, Xapian
//   (default: all for a BEIR dataset; lsr,Lucene,Xapian with --synthetic, the JS engines cannot hold 1M)
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SparseIndex, analyzeEnglish, evaluateRun, ingestCorpus, readQrels, readQueries, readRunFile, resolveCorpusFile } from '../../dist/index.js'
import { datasetFolder, missing } from './datasets.js'
import { mulberry32 } from './sampling.js'
import { BM25_VOCABULARY, bm25Docs, bm25QueryWords, lineWriter, tailQueryWords } from './synthetic-corpus.js'

const ENGINES = ['lsr', 'MiniSearch', 'Orama', 'wink-bm25-text-search', 'Lucene', 'Xapian']
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    synthetic: { type: 'string' },
    engines: { type: 'string' },
    'lsr-threads': { type: 'string', default: '1,2' },
    warmup: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    // A child process runs one engine (--engine) on the files in --work.
    engine: { type: 'string' },
    work: { type: 'string' },
    threads: { type: 'string', default: '1' },
    'index-only': { type: 'boolean', default: false },
  },
})
const root = fileURLToPath(new URL('../..', import.meta.url))
const PASSES = 5
const WARMUP = Number(values.warmup)
const SEED = 42
const QUERIES = 200
/** Tail words occur in fewer than this share of the documents. */
const TAIL_SHARE = 0.001

const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** p50/p99 of single-query latency, median over passes, after the warm-up passes. */
async function latency(queries, k, run) {
  for (let pass = 0; pass < WARMUP; pass++) for (const q of queries) await run(q.text, k)
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

/**
 * JS heap + external memory (which includes array buffers) after GC. ArrayBuffer backing stores
 * are freed after the collection that finds them dead, so it collects, waits and collects again:
 * right after a large write a single gc() still counted hundreds of MiB of freed buffers.
 */
async function memoryNow() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

/** The corpus as the JS engines other than lsr take it: [{ id, contents }]. */
async function readDocs(work) {
  return (await readFile(join(work, 'corpus.jsonl'), 'utf8')).trim().split('\n').map((line) => {
    const r = JSON.parse(line)
    return { id: r._id, contents: r.title ? `${r.title} ${r.text}` : r.text }
  })
}

/**
 * The JS engines: build(work, { threads }) -> { docs, modes: { name: search(text, k) -> [[id, score]] },
 * sizeBytes?, compactSeconds? }; the first mode is the engine's default.
 */
const JS_ENGINES = {
  async lsr(work, { threads }) {
    const index = await SparseIndex.open(join(work, `lsr-${threads}`), { create: true })
    const { read } = await ingestCorpus(index, join(work, 'corpus.jsonl'), { compact: false, threads })
    const compactStarted = performance.now()
    await index.compact()
    const compactSeconds = (performance.now() - compactStarted) / 1000
    const { sizeOnDiskBytes } = await index.stats()
    const searchWith = (algorithm) => (text, k) => index.searchIds(text, { k, algorithm }).map((h) => [h.id, h.score])
    return { docs: read, compactSeconds, sizeBytes: sizeOnDiskBytes, modes: { auto: searchWith('auto'), exhaustive: searchWith('exhaustive') } }
  },
  async MiniSearch(work) {
    const { default: MiniSearch } = await import('minisearch')
    const docs = await readDocs(work)
    const engine = new MiniSearch({ fields: ['contents'], idField: 'id', tokenize: analyzeEnglish, processTerm: (t) => t, searchOptions: { bm25: { k: 0.9, b: 0.4, d: 0 }, combineWith: 'OR' } })
    engine.addAll(docs)
    return { docs: docs.length, modes: { default: (text, k) => engine.search(text).slice(0, k).map((r) => [r.id, r.score]) } }
  },
  async Orama(work) {
    const { create, insertMultiple, search } = await import('@orama/orama')
    const docs = await readDocs(work)
    const db = create({
      schema: { id: 'string', contents: 'string' },
      components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (raw) => analyzeEnglish(raw) } },
    })
    await insertMultiple(db, docs, 1000)
    const searchTopK = async (text, k) => (await search(db, { term: text, properties: ['contents'], limit: k, threshold: 1, relevance: { k: 0.9, b: 0.4, d: 0 } })).hits.map((h) => [h.document.id, h.score])
    return { docs: docs.length, modes: { default: searchTopK } }
  },
  async 'wink-bm25-text-search'(work) {
    const { default: winkBm25 } = await import('wink-bm25-text-search')
    const docs = await readDocs(work)
    const engine = winkBm25()
    engine.defineConfig({ fldWeights: { contents: 1 }, bm25Params: { k1: 0.9, b: 0.4, k: 1 } })
    engine.definePrepTasks([analyzeEnglish])
    docs.forEach((d) => engine.addDoc({ contents: d.contents }, d.id))
    engine.consolidate()
    return { docs: docs.length, modes: { default: (text, k) => engine.search(text, k) } }
  },
}

/** Builds one JS engine, times its query modes on every query set, writes its run file, prints one JSON line. */
async function runJsEngine(name, work, { threads, indexOnly }) {
  const label = name === 'lsr' ? `lsr (${threads} thread${threads === 1 ? '' : 's'})` : name
  const before = await memoryNow()
  const started = performance.now()
  const engine = await JS_ENGINES[name](work, { threads })
  const indexSeconds = (performance.now() - started) / 1000
  const memoryBytes = (await memoryNow()) - before
  const result = { engine: label, threads: name === 'lsr' ? threads : undefined, docs: engine.docs, indexSeconds, compactSeconds: engine.compactSeconds ?? null, indexBytes: engine.sizeBytes ?? null, memoryBytes, latency: {} }
  if (!indexOnly) {
    const querySets = JSON.parse(await readFile(join(work, 'queries.json'), 'utf8'))
    for (const [set, queries] of Object.entries(querySets)) {
      result.latency[set] = {}
      for (const [mode, search] of Object.entries(engine.modes)) result.latency[set][mode] = { 10: await latency(queries, 10, search), 100: await latency(queries, 100, search) }
    }
    const [queries] = Object.values(querySets)
    const [search] = Object.values(engine.modes)
    let run = ''
    for (const q of queries) (await search(q.text, 100)).forEach(([id, score], r) => (run += `${q.id} Q0 ${id} ${r + 1} ${score} ${name}\n`))
    await writeFile(join(work, `${label}.run`), run)
  }
  console.log(JSON.stringify(result))
}

if (values.engine) {
  await runJsEngine(values.engine, values.work, { threads: Number(values.threads), indexOnly: values['index-only'] })
  process.exit(0)
}

/** The engines --engines names (each by a case-insensitive prefix), in ENGINES order. */
function selectedEngines(list) {
  const wanted = list.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
  for (const name of wanted) if (!ENGINES.some((e) => e.toLowerCase().startsWith(name))) missing(`unknown engine "${name}"`, `pick from ${ENGINES.join(', ')}`)
  return ENGINES.filter((e) => wanted.some((name) => e.toLowerCase().startsWith(name)))
}

const clean = (s) => s.replace(/[\t\n\r]+/g, ' ')
const asQueries = (texts, prefix) => texts.map((text, i) => ({ id: `${prefix}${i}`, text }))

/**
 * Writes the corpus for every engine: corpus.jsonl (BEIR records, for lsr and the JS engines) and
 * corpus.tsv (id<TAB>title text, for Lucene and Xapian). Returns what to query and judge with.
 */
async function writeCorpus(work, records) {
  const jsonl = lineWriter(join(work, 'corpus.jsonl'))
  const tsv = lineWriter(join(work, 'corpus.tsv'))
  let docs = 0
  for (const { _id, title, text } of records) {
    await jsonl.write(JSON.stringify(title ? { _id, title, text } : { _id, text }))
    await tsv.write(`${_id}\t${clean(title ? `${title} ${text}` : text)}`)
    docs++
  }
  await Promise.all([jsonl.close(), tsv.close()])
  return docs
}

async function beirCorpus(work, dataset) {
  const lines = (await readFile(await resolveCorpusFile(dataset), 'utf8')).trim().split('\n')
  const docs = await writeCorpus(work, lines.map((line) => {
    const r = JSON.parse(line)
    return { _id: String(r._id), title: r.title ?? '', text: r.text ?? '' }
  }))
  const qrels = await readQrels(join(dataset, 'qrels', 'test.tsv'))
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  return { description: `${dataset}: ${docs} documents, ${queries.length} test queries`, querySets: { queries }, qrels }
}

async function syntheticCorpus(work, count) {
  const random = mulberry32(SEED)
  const df = new Uint32Array(BM25_VOCABULARY)
  const records = (function* () {
    for (const doc of bm25Docs(count, random, df)) yield { _id: doc.id, text: doc.text }
  })()
  await writeCorpus(work, records)
  // The head queries continue the documents' random sequence, as in synthetic.js; the tail ones have their own.
  const head = bm25QueryWords(QUERIES, random).map((words) => words.join(' '))
  const maxDf = Math.ceil(TAIL_SHARE * count)
  const tail = tailQueryWords(QUERIES, mulberry32(SEED + 1), df, maxDf).map((words) => words.join(' '))
  return {
    description: `synthetic BM25-like corpus: ${count.toLocaleString('en')} documents (seed ${SEED}), ${QUERIES} head queries, ${QUERIES} tail queries (words in 1 to ${maxDf - 1} documents)`,
    querySets: { head: asQueries(head, 'h'), tail: asQueries(tail, 't') },
  }
}

const lastJsonLine = (out) => {
  const line = out.trim().split('\n').at(-1)
  console.log(line)
  return JSON.parse(line)
}

/** Runs the engines in turn; returns their results. */
async function runEngines(work, engines, querySets) {
  const sets = Object.keys(querySets).map((set) => `${set}=${join(work, `queries-${set}.tsv`)}`)
  const results = []
  const node = (engine, args = []) =>
    lastJsonLine(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--engine', engine, '--work', work, '--warmup', String(WARMUP), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] }))
  const external = async (result, runFile) => {
    await rename(runFile, join(work, `${result.engine}.run`))
    results.push(result)
  }
  for (const engine of engines) {
    if (engine === 'lsr') {
      const threads = values['lsr-threads'].split(',').map(Number)
      threads.forEach((n, i) => results.push(node('lsr', ['--threads', String(n), ...(i > 0 ? ['--index-only'] : [])])))
    } else if (engine in JS_ENGINES) results.push(node(engine))
    else if (engine === 'Lucene') {
      const lucene = readdirSync('/usr/share/java').filter((f) => /^lucene-(core|analyzers-common)-4\.10.*\.jar$/.test(f)).map((f) => `/usr/share/java/${f}`)
      if (lucene.length !== 2 || !existsSync('/usr/bin/javac')) {
        console.error('skipping Lucene: apt-get install liblucene4.10-java default-jdk-headless')
        continue
      }
      const classes = join(work, 'classes')
      await mkdir(classes, { recursive: true })
      execFileSync('javac', ['-cp', lucene.join(':'), '-d', classes, join(root, 'scripts/bench/engines/LuceneBench.java')])
      const runFile = join(work, 'lucene.run')
      const out = execFileSync('java', ['-cp', [classes, ...lucene].join(':'), 'LuceneBench', join(work, 'corpus.tsv'), join(work, 'lucene-index'), runFile, String(PASSES), String(WARMUP), ...sets], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      await external(lastJsonLine(out), runFile)
    } else if (engine === 'Xapian') {
      const runFile = join(work, 'xapian.run')
      try {
        const out = execFileSync('/usr/bin/python3', [join(root, 'scripts/bench/engines/xapian_bench.py'), join(work, 'corpus.tsv'), join(work, 'xapian-index'), runFile, String(PASSES), String(WARMUP), ...sets], { encoding: 'utf8' })
        await external(lastJsonLine(out), runFile)
      } catch (error) {
        console.error(`skipping Xapian (apt-get install python3-xapian): ${error.message.split('\n')[0]}`)
      }
    }
  }
  return results
}

/** One result per engine from several runs of all of them: the median of each figure. */
function medianResults(runs) {
  const medianOf = (xs) => (xs.some((x) => x === null || x === undefined) ? null : median(xs))
  return runs[0].map((first, i) => {
    const same = runs.map((results) => results[i])
    const latency = structuredClone(first.latency)
    for (const [set, modes] of Object.entries(latency)) {
      for (const [mode, ks] of Object.entries(modes)) {
        for (const [k, l] of Object.entries(ks)) for (const p of Object.keys(l)) l[p] = median(same.map((r) => r.latency[set][mode][k][p]))
      }
    }
    const figure = (name) => medianOf(same.map((r) => r[name]))
    return { ...first, indexSeconds: figure('indexSeconds'), compactSeconds: figure('compactSeconds'), indexBytes: figure('indexBytes'), memoryBytes: figure('memoryBytes'), latency }
  })
}

const fixed = (x, digits) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits))
const mib = (b) => fixed(b === null || b === undefined ? b : b / 2 ** 20, 1)
const ratio = (a, b) => fixed(a !== undefined && b ? a / b : undefined, 2)
const docsPerSecond = (r) => r.docs / r.indexSeconds

async function report(results, { description, querySets, qrels }) {
  let revision = 'an unknown commit (not a git checkout)'
  try {
    revision = execFileSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {}
  const runs = Number(values.runs)
  console.log(`\n${description}; ${WARMUP} warm-up pass(es), median of ${PASSES} timed passes${runs > 1 ? `, median of ${runs} runs` : ''}; lsr at ${revision}; ${process.platform} ${process.arch}, node ${process.version}\n`)
  const lucene = results.find((r) => r.engine.startsWith('Lucene'))
  const lsr = results.filter((r) => r.threads !== undefined)
  const lsrQueried = lsr.find((r) => Object.keys(r.latency).length > 0)

  console.log('| engine | docs/s | docs/s / Lucene | index s | compaction s (share) | index MiB | memory MiB |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of results) {
    const compaction = r.compactSeconds === null ? '—' : `${r.compactSeconds.toFixed(2)} (${((100 * r.compactSeconds) / r.indexSeconds).toFixed(0)} %)`
    console.log(`| ${r.engine} | ${docsPerSecond(r).toFixed(0)} | ${ratio(docsPerSecond(r), lucene && docsPerSecond(lucene))} | ${r.indexSeconds.toFixed(2)} | ${compaction} | ${mib(r.indexBytes)} | ${mib(r.memoryBytes)} |`)
  }

  for (const [position, [set, queries]] of Object.entries(querySets).entries()) {
    console.log(`\n${set}: ${queries.length} queries; ratios against Lucene's default (BooleanScorer, scores every match) top-10 p50`)
    console.log('| engine | mode | top-10 p50 ms | top-10 p99 ms | top-100 p50 ms | top-100 p99 ms | top-10 p50 / Lucene | nDCG@10 |')
    console.log('|---|---|---|---|---|---|---|---|')
    const reference = lucene?.latency[set]?.BooleanScorer[10].p50
    for (const r of results) {
      const judged = position === 0 && qrels && existsSync(join(work, `${r.engine}.run`))
      const ndcg = judged ? evaluateRun(await readRunFile(join(work, `${r.engine}.run`)), qrels).mean.ndcg_cut_10 : undefined
      for (const [m, [mode, l]] of Object.entries(r.latency[set] ?? {}).entries()) {
        console.log(`| ${r.engine} | ${mode} | ${fixed(l[10].p50, 3)} | ${fixed(l[10].p99, 3)} | ${fixed(l[100].p50, 3)} | ${fixed(l[100].p99, 3)} | ${ratio(l[10].p50, reference)} | ${m === 0 ? fixed(ndcg, 4) : '—'} |`)
      }
    }
  }

  console.log('\nissue 15 targets (this run):')
  const single = lsr.find((r) => r.threads === 1)
  const two = lsr.find((r) => r.threads === 2)
  console.log(`lsr single-thread docs/s / Lucene docs/s = ${ratio(single && docsPerSecond(single), lucene && docsPerSecond(lucene))} (target ≥ 0.50)`)
  console.log(two ? `lsr 2 threads / 1 thread = ${ratio(docsPerSecond(two), single && docsPerSecond(single))} (target ≥ 1.7)` : 'lsr 2 threads / 1 thread: not measured (run with --lsr-threads 1,2; target ≥ 1.7)')
  const p50 = (r, set, mode) => r?.latency[set]?.[mode]?.[10].p50
  if ('tail' in querySets) console.log(`lsr / Lucene top-10 p50 on tail queries = ${ratio(p50(lsrQueried, 'tail', 'auto'), p50(lucene, 'tail', 'BooleanScorer'))} (target ≤ 1.0)`)
  for (const set of Object.keys(querySets)) {
    const exhaustive = p50(lsrQueried, set, 'exhaustive')
    console.log(
      `lsr exhaustive / Lucene exhaustive p50 (${set}) = ${ratio(exhaustive, p50(lucene, set, 'BooleanScorer'))} (target ≤ 1.2; against BooleanScorer2: ${ratio(exhaustive, p50(lucene, set, 'BooleanScorer2'))})`,
    )
  }
}

const engines = selectedEngines(values.engines ?? (values.synthetic ? 'lsr,Lucene,Xapian' : ENGINES.join(',')))
const work = await mkdtemp(join(tmpdir(), 'lsr-compare-'))
try {
  const corpus = values.synthetic ? await syntheticCorpus(work, Number(values.synthetic)) : await beirCorpus(work, datasetFolder(positionals[0]))
  await writeFile(join(work, 'queries.json'), JSON.stringify(corpus.querySets))
  for (const [set, queries] of Object.entries(corpus.querySets)) {
    await writeFile(join(work, `queries-${set}.tsv`), queries.map((q) => `${q.id}\t${clean(q.text)}\n`).join(''))
  }
  const runs = []
  for (let run = 0; run < Number(values.runs); run++) runs.push(await runEngines(work, engines, corpus.querySets))
  await report(medianResults(runs), corpus)
} finally {
  await rm(work, { recursive: true, force: true })
}
