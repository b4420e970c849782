#!/usr/bin/env node
// Benchmark: the HTTP path under load. Builds a SciFact index, serves it from a child process
// (`lsr serve`), and drives POST /scifact/_search with autocannon using the 300 test query
// texts in turn (match query, size 10). Prints requests/s, latency p50/p99, errors and non-2xx
// answers, next to the in-process latency of the same queries for comparison.
// Run: npm run build && node scripts/bench/http-load.js [../shared/datasets/scifact] [--connections 10] [--duration 10]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { SparseIndex, ingestCorpus, readQrels, readQueries } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '10' }, duration: { type: 'string', default: '10' } },
})
const dataset = datasetFolder(positionals[0])
const root = fileURLToPath(new URL('../..', import.meta.url))
const dataDir = await mkdtemp(join(tmpdir(), 'lsr-load-'))

try {
  const index = await SparseIndex.open(join(dataDir, 'scifact'), { create: true })
  await ingestCorpus(index, dataset)
  const qrels = await readQrels(join(dataset, 'qrels', 'test.tsv'))
  const queries = (await readQueries(join(dataset, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  // In-process baseline: the same engine call the server makes for a match query, plus sources.
  for (const q of queries) await index.search(q.text, { k: 10 })
  const times = []
  for (let pass = 0; pass < 3; pass++) {
    for (const q of queries) {
      const t = performance.now()
      await index.search(q.text, { k: 10 })
      times.push(performance.now() - t)
    }
  }
  times.sort((a, b) => a - b)
  await index.close()

  const port = 9400 + Math.floor(Math.random() * 500)
  const server = spawn(process.execPath, [join(root, 'bin/lsr.js'), 'serve', '--data', dataDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] })
  await once(server.stdout, 'data')
  let next = 0
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: Number(values.connections),
    duration: Number(values.duration),
    requests: [{
      method: 'POST',
      path: '/scifact/_search',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: { match: { text: queries[next++ % queries.length].text } }, size: 10 }) }),
    }],
  })
  server.kill('SIGTERM')
  await once(server, 'exit')

  const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
  console.log(`machine      ${process.platform} ${process.arch}, node ${process.version}`)
  console.log(`load         autocannon, ${values.connections} connections, ${values.duration} s, POST /scifact/_search (300 SciFact test queries in turn, size 10)`)
  console.log(`http         ${result.requests.average.toFixed(0)} requests/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
    `${result.requests.total} requests, ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`)
  console.log(`in-process   index.search (top-10 with sources): p50 ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms`)
} finally {
  await rm(dataDir, { recursive: true, force: true })
}
