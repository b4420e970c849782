#!/usr/bin/env node
// Benchmark: what one small write costs the next query. Builds a BEIR corpus (repeated N times)
// with the bm25 encoder, then times the judged queries as the server runs them (match semantics:
// top-10 plus the exact hit count) in steady state, and the first query after each of 100
// one-document writes. It used to be that the first query recomputed a BM25 norm
// per document and rebuilt a roaring bitmap per query term.
// Run: npm run build && node scripts/bench/write-then-query.js [../shared/datasets/scifact] [--repeat 10]
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex, ingestCorpus, readQueries } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

const { positionals, values } = parseArgs({ allowPositionals: true, options: { repeat: { type: 'string', default: '10' }, writes: { type: 'string', default: '100' } } })
const dataset = datasetFolder(positionals[0], { needs: ['corpus', 'queries'] })
const repeat = Number(values.repeat)
const writes = Number(values.writes)

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

const dir = await mkdtemp(join(tmpdir(), 'lsr-bench-'))
try {
  const index = await SparseIndex.open(join(dir, 'index'), { create: true })
  await ingestCorpus(index, dataset, { compact: false })
  const corpus = (await readFile(join(dataset, 'corpus.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
  for (let copy = 1; copy < repeat; copy++) {
    for (let i = 0; i < corpus.length; i += 1000) {
      await index.add(corpus.slice(i, i + 1000).map((r) => ({ id: `${r._id}#${copy}`, title: r.title, text: r.text, source: r })))
    }
  }
  await index.compact()
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).map((q) => index.encoder.encodeQuery(q.text))
  const run = (terms) => index.execute({ terms, matchAnyTerm: true }, { k: 10 })
  for (const terms of queries) run(terms)

  const steady = []
  for (let pass = 0; pass < 3; pass++) {
    for (const terms of queries) {
      const t = performance.now()
      run(terms)
      steady.push(performance.now() - t)
    }
  }
  const afterWrite = []
  for (let w = 0; w < writes; w++) {
    const terms = queries[w % queries.length]
    // A one-document write containing the query's own words, so their posting lists change.
    await index.add([{ id: `new-${w}`, title: '', text: terms.map((t) => t.term).join(' '), source: { _id: `new-${w}` } }])
    const t = performance.now()
    run(terms)
    afterWrite.push(performance.now() - t)
  }
  const stats = await index.stats()
  console.log(`corpus: ${stats.documents} documents (${repeat} x ${dataset}), ${queries.length} queries`)
  console.log(`steady state (3 passes):      p50 ${percentile(steady, 50).toFixed(3)} ms, p99 ${percentile(steady, 99).toFixed(3)} ms`)
  console.log(`first query after a write (${writes}): p50 ${percentile(afterWrite, 50).toFixed(3)} ms, p99 ${percentile(afterWrite, 99).toFixed(3)} ms`)
  console.log(`ratio (p50 after write / p50 steady): ${(percentile(afterWrite, 50) / percentile(steady, 50)).toFixed(2)}`)
  await index.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
