#!/usr/bin/env node
// Benchmark (issue 16): term positions and phrase queries, lsr side by side with Lucene 4.10 in the
// same run, on two corpora:
//  - SciFact (BEIR; ../shared/datasets/scifact or --dataset; skipped with a message when absent):
//    fields title and text, analyzer english (Lucene: EnglishAnalyzer);
//  - a synthetic BM25-like corpus of --docs documents (fixed seed): one field body, 50-100 words per
//    document from a Zipfian (s = 1, offset 2.7) 100,000-word vocabulary, as synthetic.js draws
//    them; analyzer whitespace (Lucene: WhitespaceAnalyzer).
// Each corpus is written once as a TSV file that both engines index, in child processes:
//  1. index size and build time with positions and without: lsr mapped text fields only
//     (SparseIndex.open with encoder null and index_options 'positions' vs 'freqs', writes of
//     --batch documents, then compact(); build = open to close), Lucene a TextField (positions)
//     vs a field of IndexOptions.DOCS_AND_FREQS (BM25 1.2/0.75, forceMerge(1)); on-disk bytes of
//     each index folder, and of its postings and its positions apart.
//  2. phrase-query latency: `match_phrase` with slop 0 and slop 2 (lsr; Lucene: PhraseQuery with
//     setSlop, via QueryBuilder), 2-word and 3-word phrases drawn from the corpus itself (consecutive
//     words of random documents; synthetic: no word in more than --max-df of the documents; SciFact:
//     alphabetic words that each survive the english analyzer as one token), --queries per set, the
//     same texts for slop 0 and 2 and for both engines. Top-10, single thread, in-process; p50/p99 of
//     each pass, median over --passes passes after a warm-up pass. lsr twice: `index.search(body)`
//     (the library API, with the hits' stored sources) and `reader.search(body)` (in memory, no
//     sources: what Lucene's IndexSearcher.search(query, 10) does). Each query's number of matching
//     documents (lsr `total`, Lucene `totalHits`) is compared between the engines: mismatches are
//     listed, there should be none.
//  3. term-query latency with and without positions: `match` queries on the positions index and on
//     the freqs index, passes interleaved (SciFact: its real queries on field text; synthetic: 1-3
//     sampled words); the target is that positions cost term queries nothing (within 5 %).
// Figures and ratios only, no assertions. Lucene needs Debian's liblucene4.10-java and a JDK
// (apt-get install liblucene4.10-java default-jdk-headless); without them, or with --skip-lucene,
// lsr alone.
// Run: npm run build && node --max-old-space-size=12288 scripts/bench/phrases.js --docs 1000000
//   [--passes 5] [--queries 200] [--batch 10000] [--max-df 0.5] [--seed 42] [--dataset DIR]
//   [--skip-lucene] [--skip-scifact] [--skip-synthetic]
//   [--keep DIR]: build the corpora and indexes in DIR and keep them; with --reuse, query the ones
//   already there (each build is redone only where its result is missing)
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { SparseIndex, analyzeEnglish, readQueries, resolveCorpusFile } from '../../dist/index.js'
import { SCIFACT_FOLDERS, datasetFolder } from './datasets.js'
import { mulberry32, sampler } from './sampling.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '200' },
    passes: { type: 'string', default: '5' },
    batch: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    'max-df': { type: 'string', default: '0.5' },
    dataset: { type: 'string' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    'skip-lucene': { type: 'boolean', default: false },
    'skip-scifact': { type: 'boolean', default: false },
    'skip-synthetic': { type: 'boolean', default: false },
  },
})
const N = Number(values.docs)
const Q = Number(values.queries)
const PASSES = Number(values.passes)
const BATCH = Number(values.batch)
const SEED = Number(values.seed)
const MAX_DF = Number(values['max-df'])
const VOCABULARY = 100_000
const root = fileURLToPath(new URL('../..', import.meta.url))
const VARIANTS = ['positions', 'freqs']

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')
const clean = (s) => String(s ?? '').replace(/[\t\n\r]+/g, ' ')
const lastJson = (out) => JSON.parse(out.trim().split('\n').at(-1))

/** Bytes of the files under a folder. */
function folderBytes(dir) {
  let bytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    bytes += entry.isDirectory() ? folderBytes(path) : statSync(path).size
  }
  return bytes
}

/** The bytes of an lsr index's position stream (format 4's 'q' keys, before LevelDB's compression); undefined before format 4. */
async function positionBytes(dir) {
  const format = await import('../../dist/storage/format.js')
  if (format.PREFIX_POSITIONS === undefined) return undefined
  const { Level } = await import('level')
  const db = new Level(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false })
  let bytes = 0
  for await (const value of db.values(format.prefixRange(format.PREFIX_POSITIONS))) bytes += value.length
  await db.close()
  return bytes
}

/**
 * Child process: builds one lsr index of mapped text fields from a TSV corpus; prints one JSON line.
 * Its task comes in the environment (LSR_PHRASES_BUILD, JSON): options such as --dir on the command
 * line would be read by node-pre-gyp as roaring loads.
 */
async function lsrBuild({ corpus, fields, analyzer, indexOptions, dir, batchSize }) {
  const properties = Object.fromEntries(fields.map((f) => [f, { type: 'text', analyzer, index_options: indexOptions }]))
  try {
    const started = performance.now()
    const index = await SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties } } })
    let docs = 0
    let batch = []
    let reported = 0
    const lines = createInterface({ input: createReadStream(corpus), crlfDelay: Infinity })
    for await (const line of lines) {
      const parts = line.split('\t')
      const source = {}
      fields.forEach((f, i) => (source[f] = parts[i + 1]))
      batch.push({ id: parts[0], source })
      if (batch.length === batchSize) {
        await index.add(batch)
        docs += batch.length
        batch = []
        if (docs - reported >= 100_000) {
          reported = docs
          const s = (performance.now() - started) / 1000
          console.error(`  lsr ${indexOptions}: ${docs.toLocaleString('en')} docs in ${s.toFixed(0)} s (${Math.round(docs / s).toLocaleString('en')} docs/s), rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GiB`)
        }
      }
    }
    if (batch.length > 0) await index.add(batch)
    docs += batch.length
    const ingestSeconds = (performance.now() - started) / 1000
    await index.compact()
    const compactSeconds = (performance.now() - started) / 1000 - ingestSeconds
    const stats = await index.stats()
    await index.close()
    const buildSeconds = (performance.now() - started) / 1000
    const rssBytes = process.memoryUsage().rss
    console.log(JSON.stringify({ docs, ingestSeconds, compactSeconds, buildSeconds, bytes: folderBytes(dir), postingBytes: stats.postingBytes, positionBytes: await positionBytes(dir), postings: stats.postings, terms: stats.terms, rssBytes }))
  } catch (error) {
    console.log(JSON.stringify({ error: `${error.constructor?.name ?? 'Error'}: ${error.message}` }))
  }
}

if (process.env.LSR_PHRASES_BUILD) {
  await lsrBuild(JSON.parse(process.env.LSR_PHRASES_BUILD))
  process.exit(0)
}

// --- corpora: a TSV file (id \t field ...) and the queries drawn from it ---

async function writeLines(file, generate) {
  const out = createWriteStream(file)
  for (const chunk of generate()) if (!out.write(chunk)) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
}

/** The synthetic corpus, written to `file`; returns its phrase and term queries. */
async function synthetic(file) {
  const random = mulberry32(SEED)
  const sample = sampler(Float64Array.from({ length: VOCABULARY }, (_, r) => 1 / (r + 2.7)), random)
  const word = (r) => `w${r.toString(36)}`
  // The documents the queries are drawn from, chosen by a stream of their own (the corpus is the same whatever --queries).
  const pick = mulberry32(SEED + 1)
  const chosen = new Set(Array.from({ length: Math.min(N, 20 * Q) }, () => Math.floor(pick() * N)))
  const pool = []
  const df = new Uint32Array(VOCABULARY)
  const seen = new Int32Array(VOCABULARY).fill(-1)
  await writeLines(file, function* () {
    let chunk = ''
    for (let i = 0; i < N; i++) {
      const length = 50 + Math.floor(random() * 51)
      const ranks = new Uint32Array(length)
      for (let j = 0; j < length; j++) {
        const r = sample()
        ranks[j] = r
        if (seen[r] !== i) {
          seen[r] = i
          df[r]++
        }
      }
      if (chosen.has(i)) pool.push(ranks)
      chunk += `d${i}\t${Array.from(ranks, word).join(' ')}\n`
      if ((i + 1) % 10_000 === 0) {
        yield chunk
        chunk = ''
      }
    }
    yield chunk
  })
  const common = (r) => df[r] > MAX_DF * N
  const phrase = (length) => {
    const texts = new Set()
    for (let tries = 0; texts.size < Q && tries < 100 * Q; tries++) {
      const doc = pool[Math.floor(pick() * pool.length)]
      const start = Math.floor(pick() * (doc.length - length + 1))
      const ranks = Array.from(doc.subarray(start, start + length))
      if (!ranks.some(common)) texts.add(ranks.map(word).join(' '))
    }
    return [...texts]
  }
  const terms = new Set()
  for (let tries = 0; terms.size < Q && tries < 100 * Q; tries++) {
    const ranks = Array.from({ length: 1 + Math.floor(pick() * 3) }, () => {
      const doc = pool[Math.floor(pick() * pool.length)]
      return doc[Math.floor(pick() * doc.length)]
    })
    if (!ranks.some(common)) terms.add(ranks.map(word).join(' '))
  }
  return { phrases: { 2: phrase(2), 3: phrase(3) }, phraseField: 'body', terms: [...terms], termField: 'body' }
}

/** SciFact as a TSV file; returns its phrase queries (from its text) and its real queries. */
async function scifact(file, dataset) {
  const corpusFile = await resolveCorpusFile(dataset)
  const raw = corpusFile.endsWith('.gz') ? gunzipSync(await readFile(corpusFile)).toString('utf8') : await readFile(corpusFile, 'utf8')
  const docs = raw.trim().split('\n').map((line) => JSON.parse(line))
  await writeLines(file, function* () {
    yield docs.map((d) => `${clean(d._id)}\t${clean(d.title)}\t${clean(d.text)}\n`).join('')
  })
  const pick = mulberry32(SEED + 2)
  const words = docs.map((d) => clean(d.text).split(' ').filter(Boolean))
  const phrase = (length) => {
    const texts = new Set()
    for (let tries = 0; texts.size < Q && tries < 1000 * Q; tries++) {
      const doc = words[Math.floor(pick() * words.length)]
      if (doc.length < length) continue
      const start = Math.floor(pick() * (doc.length - length + 1))
      const slice = doc.slice(start, start + length)
      const text = slice.join(' ')
      if (slice.every((w) => /^[A-Za-z]+$/.test(w)) && analyzeEnglish(text).length === length) texts.add(text)
    }
    return [...texts]
  }
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).map((q) => clean(q.text))
  return { docs: docs.length, phrases: { 2: phrase(2), 3: phrase(3) }, phraseField: 'text', terms: queries, termField: 'text' }
}

/** The query sets of a corpus: 2- and 3-word phrases at slop 0 and 2. */
const phraseSets = (queries) =>
  [2, 3].flatMap((length) => [0, 2].map((slop) => ({ name: `${length} words, slop ${slop}`, slop, texts: queries.phrases[length] })))

// --- engines ---

let luceneClasspath
async function prepareLucene(work) {
  if (values['skip-lucene']) return 'skipped (--skip-lucene)'
  const jars = existsSync('/usr/share/java') ? readdirSync('/usr/share/java').filter((f) => /^lucene-(core|analyzers-common)-4\.10.*\.jar$/.test(f)).map((f) => `/usr/share/java/${f}`) : []
  if (jars.length !== 2 || !existsSync('/usr/bin/javac')) return 'skipped: apt-get install liblucene4.10-java default-jdk-headless'
  const classes = join(work, 'classes')
  await mkdir(classes, { recursive: true })
  execFileSync('javac', ['-cp', jars.join(':'), '-d', classes, join(root, 'scripts/bench/engines/LucenePhraseBench.java')])
  luceneClasspath = [classes, ...jars].join(':')
  return undefined
}

const java = (args) => lastJson(execFileSync('java', ['-cp', luceneClasspath, 'LucenePhraseBench', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }))

/** Builds (or, with --reuse, reads back) one index; its build figures. */
async function build(corpus, engine, variant) {
  const dir = join(corpus.dir, `${engine}-${variant}`)
  const resultFile = join(corpus.dir, `build-${engine}-${variant}.json`)
  if (values.reuse && existsSync(resultFile) && existsSync(dir)) return { ...JSON.parse(await readFile(resultFile, 'utf8')), dir, reused: true }
  await rm(dir, { recursive: true, force: true })
  console.error(`building ${corpus.name} ${engine} ${variant} ...`)
  const result =
    engine === 'lsr'
      ? lastJson(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 26,
          env: { ...process.env, LSR_PHRASES_BUILD: JSON.stringify({ corpus: corpus.file, fields: corpus.fields, analyzer: corpus.analyzer, indexOptions: variant, dir, batchSize: BATCH }) },
        }))
      : java(['build', corpus.file, corpus.fields.join(','), corpus.analyzer, dir, variant])
  await writeFile(resultFile, JSON.stringify(result))
  return { ...result, dir }
}

/**
 * Latency of `runs` (name -> async (body) -> result) over `bodies`: a warm-up pass of each (which
 * also records each body's match count), then `PASSES` passes, each run in turn within a pass.
 * Per run: p50/p99 (median over passes) and the counts.
 */
async function measure(runs, bodies) {
  const out = {}
  for (const [name, run] of Object.entries(runs)) {
    const counts = []
    for (const body of bodies) counts.push((await run(body))?.total)
    out[name] = { counts, passes: [] }
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [name, run] of Object.entries(runs)) {
      const times = []
      for (const body of bodies) {
        const t = performance.now()
        await run(body)
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      out[name].passes.push({ p50: percentile(times, 50), p99: percentile(times, 99) })
    }
  }
  for (const r of Object.values(out)) {
    r.p50 = median(r.passes.map((p) => p.p50))
    r.p99 = median(r.passes.map((p) => p.p99))
  }
  return out
}

/** lsr's two ways of searching one index: the library API (with sources) and a reader in memory. */
function lsrRuns(index, label) {
  return {
    [`${label}index.search`]: (body) => index.search(body),
    [`${label}reader.search`]: (body) => {
      const reader = index.reader()
      try {
        return reader.search(body)
      } finally {
        reader.release()
      }
    },
  }
}

const errorText = (error) => `${error.constructor?.name ?? 'Error'}${error.status ? ` ${error.status}` : ''}: ${error.message}`

/** Queries the lsr indexes of a corpus. */
async function lsrQueries(corpus, builds, queries) {
  const result = { phrase: {}, term: {} }
  if (builds.positions.error) {
    result.phraseUnsupported = result.termUnsupported = `no positions index (${builds.positions.error})`
    return result
  }
  const positions = await SparseIndex.open(builds.positions.dir)
  const freqs = builds.freqs.error ? undefined : await SparseIndex.open(builds.freqs.dir)
  try {
    const phraseBody = (text, slop) => ({ query: { match_phrase: { [queries.phraseField]: { query: text, slop } } }, size: 10 })
    const probe = phraseBody(queries.phrases[2][0] ?? 'a b', 0)
    try {
      await positions.search(probe)
    } catch (error) {
      result.phraseUnsupported = errorText(error)
    }
    if (freqs) {
      // Elasticsearch refuses a phrase on a field indexed without positions (400).
      try {
        const { total } = await freqs.search(probe)
        result.freqsPhrase = `answered (total ${total}), where Elasticsearch refuses the query`
      } catch (error) {
        result.freqsPhrase = `refused: ${errorText(error)}`
      }
    }
    if (!result.phraseUnsupported) {
      for (const set of phraseSets(queries)) {
        console.error(`lsr ${corpus.name}: phrases ${set.name} ...`)
        result.phrase[set.name] = await measure(lsrRuns(positions, ''), set.texts.map((text) => phraseBody(text, set.slop)))
      }
    }
    console.error(`lsr ${corpus.name}: term queries ...`)
    const termBodies = queries.terms.map((text) => ({ query: { match: { [queries.termField]: text } }, size: 10 }))
    result.term = await measure({ ...lsrRuns(positions, 'positions '), ...(freqs ? lsrRuns(freqs, 'freqs ') : {}) }, termBodies)
  } finally {
    await positions.close()
    await freqs?.close()
  }
  return result
}

// --- report ---

const ms = (x) => (x === undefined ? '—' : x.toFixed(3))
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}x`)
const mib = (b) => (b === undefined || b === null ? '—' : (b / 2 ** 20).toFixed(1))
const int = (x) => Math.round(x).toLocaleString('en')

function mismatches(texts, a, b) {
  const out = []
  for (let i = 0; i < texts.length; i++) if (a[i] !== b[i]) out.push({ text: texts[i], a: a[i], b: b[i] })
  return out
}

function report(corpus, builds, lsr, lucene, queries) {
  const summary = { corpus: corpus.name }
  console.log(`\n## ${corpus.name}: ${corpus.docs.toLocaleString('en')} documents; fields ${corpus.fields.join(', ')}, analyzer ${corpus.analyzer}`)
  console.log(`\nbuild (lsr: open, writes of ${BATCH.toLocaleString('en')} documents, compact, close; Lucene: addDocument, forceMerge(1), close). ` +
    'On disk: the whole folder (lsr keeps each document\'s source, Lucene only its id); postings: lsr stats().postingBytes, Lucene its .doc file; positions: lsr its position stream (the values of its q keys, before LevelDB\'s compression), Lucene its .pos + .pay files')
  console.log('| engine | index_options | build s | docs/s | on disk MiB | bytes/doc | postings MiB | positions MiB | positions / freqs: size | build time |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const engine of Object.keys(builds)) {
    const b = builds[engine]
    for (const variant of VARIANTS) {
      const r = b[variant]
      if (r.error) {
        console.log(`| ${engine} | ${variant} | refused: ${r.error} | | | | | | | |`)
        continue
      }
      const rel = variant === 'positions' && !b.freqs.error
      console.log(`| ${engine} | ${variant} | ${r.buildSeconds.toFixed(1)}${r.reused ? ' (reused)' : ''} | ${int(r.docs / r.buildSeconds)} | ${mib(r.bytes)} | ${(r.bytes / r.docs).toFixed(0)} | ${mib(r.postingBytes)} | ${mib(r.positionBytes)} | ` +
        `${rel ? ratio(r.bytes, b.freqs.bytes) : ''} | ${rel ? ratio(r.buildSeconds, b.freqs.buildSeconds) : ''} |`)
    }
  }
  if (builds.lsr && builds.Lucene && !builds.lsr.positions.error) {
    console.log(`lsr / Lucene with positions: size ${ratio(builds.lsr.positions.bytes, builds.Lucene.positions.bytes)}, build time ${ratio(builds.lsr.positions.buildSeconds, builds.Lucene.positions.buildSeconds)}`)
  }
  for (const v of VARIANTS) if (builds.lsr?.[v]?.rssBytes) summary[`lsr ${v} build rss GiB`] = (builds.lsr[v].rssBytes / 2 ** 30).toFixed(2)

  const sets = phraseSets(queries)
  console.log(`\nphrase queries: match_phrase / PhraseQuery on ${queries.phraseField}, top-10, single thread, in-process; p50 / p99 ms, median of ${PASSES} passes after a warm-up; ` +
    'lsr index.search: with stored sources, reader.search: in memory (as Lucene\'s search(query, 10))')
  if (lsr.phraseUnsupported) console.log(`lsr: match_phrase not supported here: ${lsr.phraseUnsupported}`)
  if (lsr.freqsPhrase) console.log(`lsr match_phrase on the freqs index: ${lsr.freqsPhrase}`)
  console.log('| set | queries | mean matches | lsr search p50 | lsr search p99 | lsr reader p50 | lsr reader p99 | Lucene p50 | Lucene p99 | lsr reader / Lucene p50 | p99 | count mismatches |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
  const allMismatches = []
  for (const set of sets) {
    const l = lsr.phrase[set.name]
    const search = l?.['index.search']
    const reader = l?.['reader.search']
    const luc = lucene?.phrase.find((s) => s.name === set.name)
    const counts = reader?.counts ?? luc?.counts
    const mean = counts ? counts.reduce((a, b) => a + b, 0) / counts.length : undefined
    let bad = '—'
    if (reader && luc) {
      const m = mismatches(set.texts, reader.counts, luc.counts)
      bad = String(m.length)
      allMismatches.push(...m.map((x) => `${set.name} "${x.text}": lsr ${x.a}, Lucene ${x.b}`))
    }
    console.log(`| ${set.name} | ${set.texts.length} | ${mean === undefined ? '—' : mean.toFixed(1)} | ${ms(search?.p50)} | ${ms(search?.p99)} | ${ms(reader?.p50)} | ${ms(reader?.p99)} | ` +
      `${ms(luc?.p50)} | ${ms(luc?.p99)} | ${ratio(reader?.p50, luc?.p50)} | ${ratio(reader?.p99, luc?.p99)} | ${bad} |`)
    summary[`phrase ${set.name}`] = { lsrReaderP50: reader && +ms(reader.p50), luceneP50: luc && +ms(luc.p50), mismatches: bad }
  }
  for (const line of allMismatches.slice(0, 20)) console.log(`COUNT MISMATCH ${line}`)
  if (allMismatches.length > 20) console.log(`... and ${allMismatches.length - 20} more count mismatches`)

  console.log(`\nterm queries: match on ${queries.termField} (${queries.terms.length} queries), positions index vs freqs index, passes interleaved; p50 / p99 ms, median of ${PASSES} passes after a warm-up`)
  if (lsr.termUnsupported) console.log(`lsr: ${lsr.termUnsupported}`)
  console.log('| engine | positions p50 | positions p99 | freqs p50 | freqs p99 | positions / freqs p50 | p99 | mean matches | count mismatches |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  const termRows = []
  for (const way of ['index.search', 'reader.search']) {
    const p = lsr.term[`positions ${way}`]
    const f = lsr.term[`freqs ${way}`]
    if (p) termRows.push({ name: `lsr ${way}`, p, f })
  }
  if (lucene?.term) termRows.push({ name: 'Lucene 4.10.4', p: lucene.term.positions, f: lucene.term.freqs })
  const termMismatches = []
  for (const { name, p, f } of termRows) {
    const m = f ? mismatches(queries.terms, p.counts, f.counts).length : '—'
    console.log(`| ${name} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(f?.p50)} | ${ms(f?.p99)} | ${ratio(p.p50, f?.p50)} | ${ratio(p.p99, f?.p99)} | ${(p.counts.reduce((a, b) => a + b, 0) / p.counts.length).toFixed(1)} | ${m} (positions vs freqs) |`)
    summary[`term ${name} positions/freqs p50`] = ratio(p.p50, f?.p50)
  }
  const lsrTerm = lsr.term['positions reader.search']
  if (lsrTerm && lucene?.term) {
    const m = mismatches(queries.terms, lsrTerm.counts, lucene.term.positions.counts)
    console.log(`term-query match counts, lsr vs Lucene: ${m.length} mismatches of ${queries.terms.length}${corpus.analyzer === 'english' ? ' (lsr\'s english analyzer vs Lucene\'s EnglishAnalyzer)' : ''}`)
    for (const x of m.slice(0, 5)) termMismatches.push(`term "${x.text}": lsr ${x.a}, Lucene ${x.b}`)
    for (const line of termMismatches) console.log(`COUNT MISMATCH ${line}`)
    summary['term count mismatches lsr vs Lucene'] = m.length
    console.log(`lsr reader / Lucene term p50: positions ${ratio(lsrTerm.p50, lucene.term.positions.p50)}, p99 ${ratio(lsrTerm.p99, lucene.term.positions.p99)}`)
  }
  return summary
}

// --- main ---

const work = values.keep ?? (await mkdtemp(join(tmpdir(), 'lsr-phrases-')))
await mkdir(work, { recursive: true })
try {
  console.log(`phrase-query benchmark (issue 16): ${PASSES} passes, ${Q} queries per set, seed ${SEED}; ${process.platform} ${process.arch}, node ${process.version}, ` +
    `heap limit ${(((await import('node:v8')).getHeapStatistics().heap_size_limit) / 2 ** 30).toFixed(1)} GiB; load average ${load()}; work folder ${work}`)
  const luceneSkipped = await prepareLucene(work)
  if (luceneSkipped) console.log(`Lucene: ${luceneSkipped}`)

  const corpora = []
  if (!values['skip-scifact']) {
    const dataset = values.dataset ? datasetFolder(values.dataset, { needs: ['corpus', 'queries'] }) : SCIFACT_FOLDERS.find((folder) => existsSync(folder))
    if (dataset === undefined) console.log(`SciFact: skipped, no dataset (neither ${SCIFACT_FOLDERS.join(' nor ')} exists; npx lsr eval scifact downloads it)`)
    else corpora.push({ name: `SciFact (${dataset})`, key: 'scifact', fields: ['title', 'text'], analyzer: 'english', make: (file) => scifact(file, dataset) })
  }
  if (!values['skip-synthetic']) {
    corpora.push({ name: `synthetic BM25-like, ${N.toLocaleString('en')} docs`, key: `synthetic-${N}-${SEED}`, fields: ['body'], analyzer: 'whitespace', docs: N, make: synthetic })
  }

  const summaries = []
  for (const corpus of corpora) {
    corpus.dir = join(work, corpus.key)
    corpus.file = join(corpus.dir, 'corpus.tsv')
    const queriesFile = join(corpus.dir, 'queries.json')
    await mkdir(corpus.dir, { recursive: true })
    let queries
    // The corpus depends on the seed and --docs only (the folder's name); the queries on these too.
    const params = { queries: Q, seed: SEED, maxDf: MAX_DF }
    if (values.reuse && existsSync(queriesFile) && existsSync(corpus.file)) queries = JSON.parse(await readFile(queriesFile, 'utf8'))
    if (JSON.stringify(queries?.params) !== JSON.stringify(params)) {
      const started = performance.now()
      queries = { ...(await corpus.make(corpus.file)), params }
      await writeFile(queriesFile, JSON.stringify(queries))
      console.error(`${corpus.name}: corpus written in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    corpus.docs = queries.docs ?? corpus.docs

    const builds = { lsr: {} }
    if (luceneClasspath) builds.Lucene = {}
    for (const engine of Object.keys(builds)) for (const variant of VARIANTS) builds[engine][variant] = await build(corpus, engine === 'lsr' ? 'lsr' : 'lucene', variant)

    const sets = phraseSets(queries)
    let lucene
    if (luceneClasspath) {
      const tsv = join(corpus.dir, 'queries.tsv')
      await writeFile(tsv, [...sets.flatMap((s) => s.texts.map((t) => `${s.name}\t${s.slop}\t${queries.phraseField}\t${t}\n`)), ...queries.terms.map((t) => `term\t-1\t${queries.termField}\t${t}\n`)].join(''))
      console.error(`Lucene ${corpus.name}: queries ...`)
      lucene = java(['query', builds.Lucene.positions.dir, builds.Lucene.freqs.dir, tsv, corpus.analyzer, String(PASSES)])
    }
    const loadBefore = load()
    const lsr = await lsrQueries(corpus, builds.lsr, queries)
    summaries.push(report(corpus, builds, lsr, lucene, queries))
    console.log(`(load average ${loadBefore} before the lsr queries, ${load()} after)`)
  }
  console.log(`\nsummary: ${JSON.stringify(summaries)}`)
} finally {
  if (!values.keep) await rm(work, { recursive: true, force: true })
}
