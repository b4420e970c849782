#!/usr/bin/env node
// Calibrates `auto` (src/search/algorithms/choose.ts): per query, times exhaustive and MaxScore
// (median of 3 runs each) on an index kept by synthetic.js (learned flavour, MS MARCO document
// frequencies), for three query sets: SciFact query texts tokenized with bert-base-uncased, tokens
// sampled by document frequency, and tokens sampled uniformly from the vocabulary (all weighted by
// the IDF table). Prints, per set and k, the mean and p50 of each algorithm, of `auto`, and of
// the per-query oracle (the faster of the two), with the query features choose.ts looks at.
// Run: node scripts/bench/synthetic.js --flavour learned --keep DIR && node scripts/bench/auto-choice.js --index DIR/learned
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { idfWeightedQueries } from '../models/bert-base-tokenizer.js'
import { mulberry32, sampler } from './sampling.js'
import { SparseIndex } from '../../dist/index.js'
import { datasetFolder, GET_IDF_TABLE, IDF_TABLE, missing } from './datasets.js'

const { values } = parseArgs({
  options: {
    index: { type: 'string' },
    queries: { type: 'string', default: '150' },
    'idf-table': { type: 'string', default: IDF_TABLE },
  },
})
if (!values.index) {
  console.error('usage: auto-choice.js --index DIR [--queries 150] [--idf-table FILE] (needs the IDF table and SciFact queries: ../shared)')
  process.exit(2)
}
// The argument first: whether it names an index does not depend on ../shared.
if (!existsSync(values.index)) missing(`no index at ${values.index}`, 'build one with node scripts/bench/synthetic.js --flavour learned --keep DIR, then pass DIR/learned')
if (!existsSync(values['idf-table'])) missing(`no IDF table at ${values['idf-table']}`, `${GET_IDF_TABLE} and pass it with --idf-table`)
const scifact = join(datasetFolder(undefined, { needs: ['queries'] }), 'queries.jsonl')
const Q = Number(values.queries)
const table = JSON.parse(readFileSync(values['idf-table'], 'utf8'))
const tokens = Object.keys(table)
const random = mulberry32(7)

function sciFactQueries() {
  const texts = readFileSync(scifact, 'utf8').trim().split('\n').map((line) => JSON.parse(line).text).slice(0, Q)
  return idfWeightedQueries(texts, table)
}

function sampledQueries(weightOf) {
  const sample = sampler(Float64Array.from(tokens, weightOf), random)
  const pick = () => tokens[sample()]
  return Array.from({ length: Q }, () => {
    const terms = new Set()
    const length = 3 + Math.floor(random() * 10)
    while (terms.size < length) terms.add(pick())
    return [...terms].filter((t) => table[t] > 0).map((term) => ({ term, weight: table[term] }))
  })
}

function timeOne(index, query, options) {
  const times = []
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    index.searchIds(query, options)
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)[1]
}

const index = await SparseIndex.open(values.index)
const msmarcoN = 8_841_823
const sets = {
  scifact: await sciFactQueries(),
  'df-sampled': sampledQueries((t) => Math.max(0, (msmarcoN + 1) / Math.exp(table[t]) - 0.5)),
  uniform: sampledQueries(() => 1),
}
const stats = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return `mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)} p50 ${sorted[Math.floor(xs.length / 2)].toFixed(2)}`
}
for (const [name, queries] of Object.entries(sets)) {
  for (const query of queries) index.searchIds(query, { k: 10 })
  for (const k of [10, 100]) {
    const rows = queries.filter((q) => q.length > 0).map((query) => ({
      exhaustive: timeOne(index, query, { k, algorithm: 'exhaustive' }),
      maxscore: timeOne(index, query, { k, algorithm: 'maxscore' }),
      auto: timeOne(index, query, { k, algorithm: 'auto' }),
    }))
    const oracle = rows.map((r) => Math.min(r.exhaustive, r.maxscore))
    const maxscoreWins = rows.filter((r) => r.maxscore < r.exhaustive).length
    console.log(`${name} top-${k} (${rows.length} queries; MaxScore faster on ${maxscoreWins}): ` +
      `exhaustive ${stats(rows.map((r) => r.exhaustive))} | maxscore ${stats(rows.map((r) => r.maxscore))} | ` +
      `auto ${stats(rows.map((r) => r.auto))} | oracle ${stats(oracle)} ms`)
  }
}
await index.close()
