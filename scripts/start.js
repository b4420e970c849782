#!/usr/bin/env node
// `npm start`: the main job on the embedded default. Builds the sample index under
// index-data/sample if it is missing, runs the sample queries (top hits and nDCG@10), then serves
// index-data over HTTP (Elasticsearch/OpenSearch-compatible API and search page) until Ctrl-C.
// PORT and HOST override 127.0.0.1:9200.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SparseIndex, evaluateRun, ingestCorpus, readQrels, readQueries, startServer } from '../dist/index.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const sample = `${root}sample`
const dataDir = `${root}index-data`
const dir = `${dataDir}/sample`

const fresh = !existsSync(dir)
const index = await SparseIndex.open(dir, { create: true }).catch((error) => {
  // Most often another `npm start` or `lsr serve` holding index-data/sample: one line, no stack trace.
  if (error?.code !== 'index_locked') throw error
  console.error(`npm start: ${error.message}; is another \`npm start\` or \`lsr serve\` running? stop it first, or query it over HTTP`)
  process.exit(1)
})
if (fresh) {
  const result = await ingestCorpus(index, sample)
  console.log(`built ${dir}: ${result.added} documents in ${result.seconds.toFixed(2)} s`)
} else {
  console.log(`using ${dir} (${(await index.stats()).documents} documents)`)
}

const qrels = await readQrels(`${sample}/qrels/test.tsv`)
const run = new Map()
for (const query of await readQueries(`${sample}/queries.jsonl`)) {
  const hits = await index.search(query.text, { k: 10 })
  run.set(query.id, hits.map((hit) => ({ docId: hit.id, score: hit.score })))
  console.log(`\n${query.id}: ${query.text}`)
  for (const hit of hits.slice(0, 3)) console.log(`  ${hit.score.toFixed(4)}  ${hit.id}  ${hit.source.title}`)
}
const { mean, queries } = evaluateRun(run, qrels)
console.log(`\nnDCG@10 ${mean.ndcg_cut_10.toFixed(4)}  Recall@10 ${mean.recall_10.toFixed(4)}  over ${queries} judged queries`)
await index.close()

let server
try {
  server = await startServer({ dataDir, host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 9200) })
} catch (error) {
  // A busy port or an address that is not local: one line, no stack trace.
  if (error?.name !== 'ListenError') throw error
  console.error(`npm start: ${error.message}; choose another with ${error.flag === 'host' ? 'HOST' : 'PORT'}=... npm start`)
  process.exit(1)
}
console.log(`\nserving ${dataDir} at ${server.url}`)
console.log(`  search page: ${server.url}/_ui`)
console.log(`  try: curl -s '${server.url}/sample/_search?q=crash+safe+writes&size=3'`)
const stop = () => server.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
