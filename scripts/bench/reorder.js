#!/usr/bin/env node
// Benchmark: document reordering (`lsr compact --reorder`, recursive graph bisection; issue 15).
// For each corpus: the index is built and compacted, measured, reordered in the same process and
// measured again: reorder time, encoded bytes per posting, and single-thread top-10 p50 with
// block-max and with MaxScore (after a warm-up pass, median of 3 passes); every query's top-10
// scores must be the same before and after (ids may differ only among exactly equal scores).
// Corpora:
//  - scifact: SciFact with BM25 (5,183 documents, its 1,109 queries);
//  - topics-learned and topics-bm25: SYNTHETIC corpora with topic structure (fixed seed). i.i.d.
//    documents (synthetic.js) have no clusters, so no order can help them. Here each document
//    belongs to one of --topics topics; a topic is a list of 2,000 terms drawn from the global
//    frequency distribution, and a document takes 70 % of its terms from its topic's list
//    (uniformly) and 30 % from the global distribution. Learned: 100-250 distinct tokens of the
//    30,522-token vocabulary, global frequencies = MS MARCO document frequencies recovered from
//    OpenSearch's IDF table (as synthetic.js; Zipf without the table), weights log(1 + relu(x)).
//    BM25: 50-100 words from a Zipfian 100,000-word vocabulary. Queries: 3-12 terms built the same
//    way from one topic (learned: weighted by corpus IDF); for learned also SciFact's query texts
//    tokenized with bert-base-uncased and weighted by the IDF table ("real queries"), when present.
// Targets (issue 15) printed with ratios: block-max top-10 p50 after reordering <= 1 ms on the
// learned corpus; learned / BM25 top-10 p50 <= 1.0 (topics-learned against topics-bm25, same
// size); bytes per posting <= 2.0 on the learned corpus.
// Run: npm run build && node scripts/bench/reorder.js [scifact-folder] [--docs 200000] [--topics 300] [--queries 200] [--corpus scifact,topics-learned,topics-bm25]
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex, ingestCorpus, readQueries } from '../../dist/index.js'
import { idfWeightedQueries } from '../models/bert-base-tokenizer.js'
import { datasetFolder, IDF_TABLE, SCIFACT_FOLDERS } from './datasets.js'
import { mulberry32, sampler } from './sampling.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    docs: { type: 'string', default: '200000' },
    topics: { type: 'string', default: '300' },
    queries: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
    corpus: { type: 'string', default: 'scifact,topics-learned,topics-bm25' },
  },
})
const CORPORA = values.corpus.split(',')
// Checked before anything is printed: a missing dataset is one line on stderr (datasets.js).
const SCIFACT = CORPORA.includes('scifact') ? datasetFolder(positionals[0], { needs: ['corpus', 'queries'] }) : SCIFACT_FOLDERS.find((folder) => existsSync(folder))
const N = Number(values.docs)
const TOPICS = Number(values.topics)
const Q = Number(values.queries)
const TOPIC_TERMS = 2000
const FROM_TOPIC = 0.7

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Top-10 p50 in ms: a warm-up pass, then the median of 3 passes' medians. */
function p50(index, queries, algorithm) {
  const passes = []
  for (let pass = 0; pass < 4; pass++) {
    const times = queries.map((query) => {
      const t = performance.now()
      index.searchIds(query, { k: 10, algorithm })
      return performance.now() - t
    })
    if (pass > 0) passes.push(percentile(times.sort((a, b) => a - b), 50))
  }
  return median(passes)
}

async function measure(index, queries) {
  const stats = await index.stats()
  return {
    bytesPerPosting: stats.postingBytes / stats.postings,
    blockmax: p50(index, queries, 'blockmax'),
    maxscore: p50(index, queries, 'maxscore'),
    scores: queries.map((query) => index.searchIds(query, { k: 10 }).map((h) => h.score)),
  }
}

/** Global term sampler: the learned flavour's MS MARCO frequencies (or Zipf), the BM25 flavour's Zipf words. */
function globalSampler(flavour, random) {
  const zipf = (n, s, offset) => sampler(Float64Array.from({ length: n }, (_, r) => 1 / (r + offset) ** s), random)
  if (flavour === 'bm25') return { sample: zipf(100_000, 1.0, 2.7), name: (r) => `w${r.toString(36)}`, terms: 100_000 }
  if (existsSync(IDF_TABLE)) {
    const table = JSON.parse(readFileSync(IDF_TABLE, 'utf8'))
    const names = Object.keys(table)
    const weights = Float64Array.from(Object.values(table), (w) => Math.max(0, (8_841_823 + 1) / Math.exp(w) - 0.5))
    return { sample: sampler(weights, random), name: (r) => names[r], terms: names.length, table }
  }
  return { sample: zipf(30_522, 1.1, 20), name: (r) => `t${r}`, terms: 30_522 }
}

/** The topic corpus of one flavour (see the header) and its topic queries. */
function topicCorpus(flavour) {
  const random = mulberry32(Number(values.seed))
  const global = globalSampler(flavour, random)
  const topics = Array.from({ length: TOPICS }, () => Uint32Array.from({ length: TOPIC_TERMS }, () => global.sample()))
  const termOf = (topic) => (random() < FROM_TOPIC ? topic[Math.floor(random() * TOPIC_TERMS)] : global.sample())
  const df = new Uint32Array(global.terms)
  function* documents() {
    for (let i = 0; i < N; i++) {
      const topic = topics[Math.floor(random() * TOPICS)]
      if (flavour === 'bm25') {
        const words = Array.from({ length: 50 + Math.floor(random() * 51) }, () => global.name(termOf(topic)))
        yield { id: `d${i}`, title: '', text: words.join(' '), source: { _id: `d${i}` } }
        continue
      }
      const count = 100 + Math.floor(random() * 151)
      const vector = {}
      for (let n = 0; n < count;) {
        const t = termOf(topic)
        if (vector[global.name(t)] !== undefined) continue
        vector[global.name(t)] = Math.log1p(-Math.log(1 - random()) * 1.5)
        df[t]++
        n++
      }
      yield { id: `d${i}`, title: '', text: '', source: { _id: `d${i}`, vector } }
    }
  }
  const queries = () => Array.from({ length: Q }, () => {
    const topic = topics[Math.floor(random() * TOPICS)]
    const terms = new Map()
    for (let length = 3 + Math.floor(random() * 10); terms.size < length;) {
      const t = termOf(topic)
      terms.set(global.name(t), flavour === 'bm25' ? 1 : Math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5)))
    }
    return [...terms].map(([term, weight]) => ({ term, weight }))
  })
  return { documents, queries, table: global.table }
}

/** Builds a corpus's index in `dir`; returns its named query sets. */
async function build(name, dir) {
  if (name === 'scifact') {
    const index = await SparseIndex.open(dir, { create: true, encoder: { name: 'bm25' } })
    await ingestCorpus(index, SCIFACT, { batchSize: 10_000, compact: true })
    await index.close()
    return { queries: (await readQueries(join(SCIFACT, 'queries.jsonl'))).map((q) => q.text) }
  }
  const flavour = name === 'topics-learned' ? 'learned' : 'bm25'
  const corpus = topicCorpus(flavour)
  const index = await SparseIndex.open(dir, { create: true, encoder: { name: flavour === 'bm25' ? 'bm25' : 'vectors' } })
  let batch = []
  for (const doc of corpus.documents()) {
    batch.push(doc)
    if (batch.length === 10_000) {
      await index.add(batch)
      batch = []
    }
  }
  if (batch.length > 0) await index.add(batch)
  await index.compact()
  await index.close()
  const sets = { queries: corpus.queries() }
  const scifactQueries = SCIFACT && join(SCIFACT, 'queries.jsonl')
  if (corpus.table && scifactQueries && existsSync(scifactQueries)) {
    const texts = (await readQueries(scifactQueries)).slice(0, Q).map((q) => q.text)
    sets['real queries'] = await idfWeightedQueries(texts, corpus.table)
  }
  return sets
}

async function run(name) {
  const dir = await mkdtemp(join(tmpdir(), `lsr-reorder-${name}-`))
  try {
    const started = performance.now()
    const querySets = await build(name, dir)
    const buildSeconds = (performance.now() - started) / 1000
    const index = await SparseIndex.open(dir)
    const documents = (await index.stats()).documents
    const before = Object.fromEntries(await Promise.all(Object.entries(querySets).map(async ([set, queries]) => [set, await measure(index, queries)])))
    const t = performance.now()
    await index.compact({ reorder: true })
    const reorderSeconds = (performance.now() - t) / 1000
    const after = {}
    for (const [set, queries] of Object.entries(querySets)) {
      after[set] = await measure(index, queries)
      if (JSON.stringify(after[set].scores) !== JSON.stringify(before[set].scores)) throw new Error(`${name} ${set}: top-10 scores changed by reordering`)
    }
    if ((await index.check()).length > 0) throw new Error(`${name}: check() found problems after reordering`)
    await index.close()
    return { name, documents, buildSeconds, reorderSeconds, before, after }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

console.log(`reorder benchmark: topic corpora of ${N.toLocaleString('en')} documents, ${TOPICS} topics, ${Q} queries, seed ${values.seed}; ${process.platform} ${process.arch}, node ${process.version}`)
const results = {}
for (const name of CORPORA) {
  const r = (results[name] = await run(name))
  console.log(`\n${name}: ${r.documents.toLocaleString('en')} documents, built in ${r.buildSeconds.toFixed(0)} s, reordered in ${r.reorderSeconds.toFixed(1)} s`)
  for (const set of Object.keys(r.before)) {
    const [b, a] = [r.before[set], r.after[set]]
    console.log(`  ${set}: bytes/posting ${b.bytesPerPosting.toFixed(2)} -> ${a.bytesPerPosting.toFixed(2)}; top-10 p50 block-max ${b.blockmax.toFixed(3)} -> ${a.blockmax.toFixed(3)} ms (x${(a.blockmax / b.blockmax).toFixed(2)}), MaxScore ${b.maxscore.toFixed(3)} -> ${a.maxscore.toFixed(3)} ms (x${(a.maxscore / b.maxscore).toFixed(2)})`)
  }
}

const learned = results['topics-learned']
const bm25 = results['topics-bm25']
if (learned) {
  console.log('\ntargets (issue 15), after reordering:')
  for (const [set, m] of Object.entries(learned.after)) {
    console.log(`  block-max top-10 p50 <= 1 ms (topics-learned, ${set}): ${m.blockmax.toFixed(3)} ms, ${(m.blockmax / 1).toFixed(2)}x the target`)
  }
  console.log(`  bytes per posting <= 2.0 (topics-learned): ${learned.after.queries.bytesPerPosting.toFixed(2)}, ${(learned.after.queries.bytesPerPosting / 2).toFixed(2)}x the target`)
  if (bm25) {
    const best = (m) => Math.min(m.blockmax, m.maxscore)
    for (const when of ['before', 'after']) {
      const ratio = best(learned[when].queries) / best(bm25[when].queries)
      console.log(`  learned / BM25 top-10 p50 <= 1.0 (${when} reordering, faster algorithm of each, topic queries): ${ratio.toFixed(2)}`)
    }
  }
}
