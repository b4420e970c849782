#!/usr/bin/env node
// Benchmark: hybrid search (BM25 text + a learned-sparse field) on a synthetic corpus (fixed seed),
// in an index of mapped fields only: title and body (text, standard analyzer, BM25 1.2/0.75), emb
// (rank_features: a doc-only learned-sparse vector) and price (float).
//  - title: 3-8 words, body: 50-150 words, both Zipfian over a 50,000-word vocabulary;
//  - emb: 60-150 distinct tokens of a 30,522-token vocabulary: the tokens of the title's words and
//    of some body words (word rank mod 30,522, so frequent words are frequent tokens), then
//    expansion tokens drawn Zipf(1.1, offset 20); weights log-normal, clipped to (0, 3], the own
//    words' tokens twice as heavy (before the clip), as doc-only models produce.
// Queries: 2-5 Zipfian words, and as their learned query (query_tokens) the tokens of those words
// plus Zipfian expansion tokens, 3-8 tokens in all, weighted by the corpus IDF (expansions half).
// Measures ingest (writes of 10,000 documents, then compaction), the index size and bytes per
// posting (the learned field's own, from the term dictionary), then single-thread latency p50/p99
// of `index.search(body)` (in-process, with the hits' stored sources; a warm-up pass, then the
// median of 3 passes) at top-10 and at depth 100 (plain queries: size 100; hybrid: size 10 with
// pagination_depth 100, so each sub-query keeps 100):
//  - multi_match best_fields on title^2, body; match on body;
//  - neural_sparse on emb with query_tokens;
//  - bool.should [match body, neural_sparse]: the summed score, one top-k;
//  - hybrid [match body, neural_sparse] with min_max + arithmetic_mean weights [0.3, 0.7], and with rrf;
//  - the baseline: the two sub-queries run separately (the sum of their latencies, per query).
// Then the hybrid's time in memory, split (reader.search, no sources): sub-queries alone, sub-queries
// with the hybrid's match counting (runSubQueries), fuse(), the whole hybrid, and bool.should. And a check that the
// hybrid's hits are exactly fuse() of the separately run sub-queries' top-`depth` lists.
// Run: npx tsc -p tsconfig.json && node scripts/bench/hybrid.js [--docs 100000] [--queries 200]
//   [--keep DIR]: build the index in DIR and keep it; with --reuse, query the one already there
//   (documents are regenerated, not indexed, to recover the corpus statistics)
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Level } from 'level'
import { fuse, hybridOf, parseSearchPipeline, runSubQueries, SparseIndex } from '../../dist/index.js'
import { decodeTermEntry, FORMAT_VERSION, prefixRange, PREFIX_TERM, termFromKey } from '../../dist/storage/format.js'
import { mulberry32, sampler } from './sampling.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    seed: { type: 'string', default: '11' },
    keep: { type: 'string' },
    reuse: { type: 'boolean', default: false },
  },
})
const N = Number(values.docs)
const Q = Number(values.queries)
const WORDS = 50_000
const TOKENS = 30_522
const BATCH = 10_000
const CHECKED = Math.min(Q, 20)

const random = mulberry32(Number(values.seed))
const zipf = (n, s, offset) => sampler(Float64Array.from({ length: n }, (_, r) => 1 / (r + offset) ** s), random)
const wordRank = zipf(WORDS, 1.0, 2.7)
const expansion = zipf(TOKENS, 1.1, 20)
const word = (r) => `w${r.toString(36)}`
const tokenOf = (wordRank) => wordRank % TOKENS
const token = (t) => `t${t}`
const ranks = (min, max) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, wordRank)
/** Standard normal (Box-Muller) from the seeded stream. */
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
/** A learned weight: log-normal (median 0.55), in (0, 3]. */
const weight = (scale) => Math.min(3, Math.max(0.001, scale * Math.exp(-0.6 + 0.8 * gaussian())))

const df = new Uint32Array(TOKENS)

function document(i) {
  const title = ranks(3, 8)
  const body = ranks(50, 150)
  const count = 60 + Math.floor(random() * 91)
  const emb = {}
  let n = 0
  const add = (t, scale) => {
    const name = token(t)
    if (emb[name] !== undefined) return
    emb[name] = weight(scale)
    df[t]++
    n++
  }
  // The document's own words first (title, then a share of the body), then expansions.
  for (const r of title) add(tokenOf(r), 2)
  for (const r of body) if (n < count / 2 && random() < 0.3) add(tokenOf(r), 2)
  while (n < count) add(expansion(), 1)
  return {
    id: `d${i}`,
    title: '',
    text: '',
    source: { title: title.map(word).join(' '), body: body.map(word).join(' '), emb, price: Math.round(random() * 100_000) / 100 },
  }
}

const mappings = { properties: { title: { type: 'text' }, body: { type: 'text' }, emb: { type: 'rank_features' }, price: { type: 'float' } } }

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), 'lsr-hybrid-')))
const reuse = values.reuse && existsSync(dir)
try {
  console.log(`hybrid search benchmark: ${N.toLocaleString('en')} documents, ${Q} queries, seed ${values.seed}; ${process.platform} ${process.arch}, node ${process.version}; load average ${load()}`)
  console.log('corpus       title 3-8 + body 50-150 Zipfian words (50,000), emb 60-150 learned-like tokens (30,522), price float')
  const index = await SparseIndex.open(dir, { create: !reuse, encoder: reuse ? undefined : null, schema: reuse ? undefined : { mappings } })
  if (reuse) {
    // The same seed draws the same corpus (and its token frequencies); the queries are drawn after it.
    for (let i = 0; i < N; i++) document(i)
    console.log(`ingest       (reused ${dir})`)
  } else {
    const started = performance.now()
    for (let at = 0; at < N; at += BATCH) {
      await index.add(Array.from({ length: Math.min(BATCH, N - at) }, (_, j) => document(at + j)))
    }
    const ingestSeconds = (performance.now() - started) / 1000
    const compactStarted = performance.now()
    await index.compact()
    const compactSeconds = (performance.now() - compactStarted) / 1000
    console.log(`ingest       ${ingestSeconds.toFixed(1)} s (${Math.round(N / ingestSeconds).toLocaleString('en')} docs/s, writes of ${BATCH.toLocaleString('en')}, generation included), ` +
      `compaction ${compactSeconds.toFixed(1)} s; ${Math.round(N / (ingestSeconds + compactSeconds)).toLocaleString('en')} docs/s with it; load average ${load()}`)
  }
  const stats = await index.stats()
  console.log(`index        ${stats.documents.toLocaleString('en')} docs, ${stats.terms.toLocaleString('en')} terms, ${stats.postings.toLocaleString('en')} postings, ` +
    `${(stats.postingBytes / 2 ** 20).toFixed(1)} MiB encoded (${(stats.postingBytes / stats.postings).toFixed(2)} bytes/posting), ` +
    `${(stats.sizeOnDiskBytes / 2 ** 20).toFixed(0)} MiB on disk with sources and forward vectors`)

  // Queries: words, and the learned query of the same words plus expansions, IDF-weighted.
  const idf = (t) => Math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5))
  const queries = Array.from({ length: Q }, () => {
    const words = ranks(2, 5)
    const target = 3 + Math.floor(random() * 6)
    const tokens = {}
    for (const r of words) if (Object.keys(tokens).length < 8) tokens[token(tokenOf(r))] ??= idf(tokenOf(r))
    while (Object.keys(tokens).length < target) {
      const t = expansion()
      tokens[token(t)] ??= 0.5 * idf(t)
    }
    return { text: words.map(word).join(' '), tokens }
  })

  const MIN_MAX = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } } } }] }
  const RRF = { phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: 60 } } }] }
  const matchBody = (q) => ({ match: { body: q.text } })
  const neural = (q) => ({ neural_sparse: { emb: { query_tokens: q.tokens } } })
  const hybrid = (q, depth) => ({ hybrid: { queries: [matchBody(q), neural(q)], ...(depth === 10 ? {} : { pagination_depth: depth }) } })
  // Each case: the bodies one query runs, at a depth (10, or 100: plain queries take size 100, a hybrid size 10 with pagination_depth 100).
  const cases = {
    'multi_match title^2,body': (q, d) => [{ query: { multi_match: { query: q.text, fields: ['title^2', 'body'], type: 'best_fields' } }, size: d }],
    'match body': (q, d) => [{ query: matchBody(q), size: d }],
    'neural_sparse emb': (q, d) => [{ query: neural(q), size: d }],
    'bool.should match+neural': (q, d) => [{ query: { bool: { should: [matchBody(q), neural(q)] } }, size: d }],
    'hybrid min_max 0.3/0.7': (q, d) => [{ query: hybrid(q, d), size: 10, searchPipeline: MIN_MAX }],
    'hybrid rrf': (q, d) => [{ query: hybrid(q, d), size: 10, searchPipeline: RRF }],
    'sub-queries separately': (q, d) => [{ query: matchBody(q), size: d }, { query: neural(q), size: d }],
  }
  const DEPTHS = [10, 100]

  // Per query, the sum of the latencies of its bodies.
  async function pass(make, depth) {
    const times = []
    for (const q of queries) {
      let total = 0
      for (const body of make(q, depth)) {
        const t = performance.now()
        await index.search(body)
        total += performance.now() - t
      }
      times.push(total)
    }
    return times.sort((a, b) => a - b)
  }
  const summarize = (runs) => ({ p50: median(runs.map((r) => percentile(r, 50))), p99: median(runs.map((r) => percentile(r, 99))) })
  const results = {}
  const loadBefore = load()
  for (const [name, make] of Object.entries(cases)) {
    results[name] = {}
    for (const depth of DEPTHS) {
      await pass(make, depth)
      results[name][depth] = summarize([await pass(make, depth), await pass(make, depth), await pass(make, depth)])
    }
  }
  const loadAfter = load()

  // In memory, no stored sources: the parts of a hybrid query.
  const inMemory = (run) => {
    const passes = []
    for (let p = 0; p < 4; p++) {
      const times = []
      for (const q of queries) {
        const reader = index.reader()
        const t = performance.now()
        run(reader, q)
        times.push(performance.now() - t)
        reader.release()
      }
      if (p > 0) passes.push(times.sort((a, b) => a - b))
    }
    return summarize(passes)
  }
  const fusion = parseSearchPipeline(MIN_MAX).fusion
  const parts = {}
  for (const depth of DEPTHS) {
    const h = (q) => hybridOf(hybrid(q, depth))
    const lists = new Map()
    const reader = index.reader()
    for (const q of queries) lists.set(q, runSubQueries(reader, h(q), depth).lists)
    reader.release()
    parts[depth] = {
      'sub-queries (reader.search)': inMemory((r, q) => {
        r.search({ query: matchBody(q), size: depth })
        r.search({ query: neural(q), size: depth })
      }),
      'runSubQueries (+ match counts)': inMemory((r, q) => runSubQueries(r, h(q), depth)),
      'fuse (min_max)': inMemory((_, q) => fuse(lists.get(q), fusion)),
      'hybrid (reader.search)': inMemory((r, q) => r.search({ query: hybrid(q, depth), size: 10, searchPipeline: MIN_MAX })),
      'bool.should (reader.search)': inMemory((r, q) => r.search({ query: { bool: { should: [matchBody(q), neural(q)] } }, size: depth })),
    }
  }

  // The hybrid's hits against fuse() of the separately run sub-queries' own top-`depth` lists.
  let equal = 0
  const differences = []
  for (const q of queries.slice(0, CHECKED)) {
    let same = true
    for (const depth of DEPTHS) {
      const subs = await Promise.all([matchBody(q), neural(q)].map((query) => index.search({ query, size: depth })))
      const lists = subs.map(({ hits }) => ({ docs: hits.map((hit) => hit.docId), scores: hits.map((hit) => hit.score) }))
      const idOf = new Map(subs.flatMap(({ hits }) => hits.map((hit) => [hit.docId, hit.id])))
      for (const pipeline of [MIN_MAX, RRF]) {
        const expected = fuse(lists, parseSearchPipeline(pipeline).fusion).slice(0, 10)
        const { hits } = await index.search({ query: hybrid(q, depth), size: 10, searchPipeline: pipeline })
        const ok = hits.length === expected.length && hits.every((hit, i) => hit.id === idOf.get(expected[i].doc) && Math.abs(hit.score - expected[i].score) <= 1e-12)
        if (!ok) {
          same = false
          differences.push(`"${q.text}" depth ${depth} ${pipeline === RRF ? 'rrf' : 'min_max'}: hybrid ${JSON.stringify(hits.map((h) => [h.id, h.score]))} vs fused ${JSON.stringify(expected.map((h) => [idOf.get(h.doc), h.score]))}`)
        }
      }
    }
    if (same) equal++
  }
  await index.close()

  // The learned field's postings, apart: the term dictionary lists each term's segments and their encoded bytes.
  const byField = new Map()
  const db = new Level(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false })
  for await (const [key, value] of db.iterator(prefixRange(PREFIX_TERM))) {
    const term = termFromKey(key)
    // U+0002 path U+0002 token: learned; U+0001 path U+0001 token: text; U+0000 path U+0000 value:
    // an exact value (price), U+0000 path alone: the field's presence term (exists).
    const mark = term.charCodeAt(0)
    const end = term.indexOf(term[0], 1)
    const path = end < 0 ? term.slice(1) : term.slice(1, end)
    const field = mark > 2 ? 'encoder' : mark === 2 ? `learned ${path}` : mark === 1 ? `text ${path}` : end < 0 ? 'presence (all fields)' : `exact ${path}`
    const entry = byField.get(field) ?? { terms: 0, postings: 0, bytes: 0 }
    for (const segment of decodeTermEntry(value, key, FORMAT_VERSION).segments) {
      entry.postings += segment.postings
      entry.bytes += segment.bytes
    }
    entry.terms++
    byField.set(field, entry)
  }
  await db.close()
  console.log('postings     ' + [...byField].sort((a, b) => b[1].postings - a[1].postings)
    .map(([field, { terms, postings, bytes }]) => `${field}: ${terms.toLocaleString('en')} terms, ${postings.toLocaleString('en')} postings, ${(bytes / postings).toFixed(2)} bytes/posting`).join('; '))

  const ms = (x) => x.toFixed(3)
  console.log(`\nlatency      (index.search in-process with stored sources, single thread, p50 / p99 ms over ${Q} queries, median of 3 passes after a warm-up; load average ${loadBefore} before, ${loadAfter} after)`)
  console.log('| query | top-10 p50 | top-10 p99 | depth 100 p50 | depth 100 p99 |')
  console.log('|---|---|---|---|---|')
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${ms(r[10].p50)} | ${ms(r[10].p99)} | ${ms(r[100].p50)} | ${ms(r[100].p99)} |`)
  console.log('(depth 100: plain queries size 100; hybrid size 10 with pagination_depth 100; sub-queries separately: both at size 100, their latencies summed per query)')
  const base = results['sub-queries separately']
  for (const name of ['hybrid min_max 0.3/0.7', 'hybrid rrf']) {
    console.log(`${name} / sub-queries separately: ` + DEPTHS.map((d) => `depth ${d} p50 ${(results[name][d].p50 / base[d].p50).toFixed(2)}x, p99 ${(results[name][d].p99 / base[d].p99).toFixed(2)}x`).join('; '))
  }
  console.log('\nin memory    (reader, no stored sources; hybrid min_max; p50 / p99 ms)')
  console.log('| part | top-10 p50 | top-10 p99 | depth 100 p50 | depth 100 p99 |')
  console.log('|---|---|---|---|---|')
  for (const name of Object.keys(parts[10])) console.log(`| ${name} | ${ms(parts[10][name].p50)} | ${ms(parts[10][name].p99)} | ${ms(parts[100][name].p50)} | ${ms(parts[100][name].p99)} |`)
  for (const d of DEPTHS) {
    const p = parts[d]
    console.log(`depth ${d}: hybrid / sub-queries in memory p50 ${(p['hybrid (reader.search)'].p50 / p['sub-queries (reader.search)'].p50).toFixed(2)}x; ` +
      `match counting (difference of the p50s) ${ms(p['runSubQueries (+ match counts)'].p50 - p['sub-queries (reader.search)'].p50)} ms, fuse ${ms(p['fuse (min_max)'].p50)} ms of ${ms(p['hybrid (reader.search)'].p50)} ms (p50)`)
  }
  for (const difference of differences.slice(0, 5)) console.log(`DIFFERS: ${difference}`)
  console.log(`\nchecked: ${equal} queries equal of ${CHECKED} (hybrid hits = fuse() of the separately run sub-queries, ids and scores to 1e-12, depth 10 and 100, min_max and rrf)`)
  const learned = [...byField].find(([field]) => field === 'learned emb')?.[1]
  console.log(`summary: ${N.toLocaleString('en')} docs; hybrid min_max top-10 p50 ${ms(results['hybrid min_max 0.3/0.7'][10].p50)} ms vs its sub-queries separately ${ms(base[10].p50)} ms ` +
    `(${(results['hybrid min_max 0.3/0.7'][10].p50 / base[10].p50).toFixed(2)}x), depth 100 ${ms(results['hybrid min_max 0.3/0.7'][100].p50)} vs ${ms(base[100].p50)} ms ` +
    `(${(results['hybrid min_max 0.3/0.7'][100].p50 / base[100].p50).toFixed(2)}x); in memory ` +
    `${DEPTHS.map((d) => `${(parts[d]['hybrid (reader.search)'].p50 / parts[d]['sub-queries (reader.search)'].p50).toFixed(2)}x`).join(' and ')} its sub-queries; bool.should ${ms(results['bool.should match+neural'][10].p50)} ms; ` +
    `${learned ? `${(learned.bytes / learned.postings).toFixed(2)} bytes per learned posting; ` : ''}checked ${equal}/${CHECKED}`)
  if (equal !== CHECKED) process.exitCode = 1
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true })
}
