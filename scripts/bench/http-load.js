#!/usr/bin/env node
// Benchmark: the HTTP path under load (issue 15 part 4). Builds a SciFact index, serves it from a
// child process (`lsr serve`), and drives it with autocannon: POST /scifact/_search with the 300
// test query texts in turn (match query, size 10 with sources) at --connections and at --many
// connections, then GET /_cluster/health on the same server, the ceiling of its HTTP path with
// no search behind it. Each run is preceded by a warm-up of the same load, not counted. Prints
// requests/s, latency p50/p99, errors, the server's CPU time per request (Linux), the ratio
// search/health, the in-process latency of the same queries, and the targets.
// Run: npm run build && node scripts/bench/http-load.js [../shared/datasets/scifact] [--connections 10] [--many 100] [--duration 10]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { SparseIndex, ingestCorpus, readQrels, readQueries } from '../../dist/index.js'
import { datasetFolder } from './datasets.js'

/** Issue 15 part 4, at --connections: requests/s at least, p99 in ms at most. */
const TARGET_REQUESTS_PER_S = 3000
const TARGET_P99_MS = 10
const WARM_UP_S = 2

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '10' }, many: { type: 'string', default: '100' }, duration: { type: 'string', default: '10' } },
})
const [connections, many, duration] = [Number(values.connections), Number(values.many), Number(values.duration)]
const dataset = datasetFolder(positionals[0])
const root = fileURLToPath(new URL('../..', import.meta.url))
const dataDir = await mkdtemp(join(tmpdir(), 'lsr-load-'))

/** User + system CPU seconds of a process so far (Linux /proc, USER_HZ 100); undefined elsewhere. */
function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return undefined
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

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
  const search = {
    method: 'POST',
    path: '/scifact/_search',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: { match: { text: queries[next++ % queries.length].text } }, size: 10 }) }),
  }
  const health = { method: 'GET', path: '/_cluster/health' }
  /** One measured run after its warm-up, with the server's CPU time per request. */
  const run = async (request, connections) => {
    const load = (duration) => autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, requests: [request] })
    await load(WARM_UP_S)
    const cpuBefore = cpuSeconds(server.pid)
    const result = await load(duration)
    const cpuAfter = cpuSeconds(server.pid)
    return { result, cpuPerRequestUs: cpuBefore === undefined ? undefined : ((cpuAfter - cpuBefore) / result.requests.total) * 1e6 }
  }
  const searchRun = await run(search, connections)
  const manyRun = await run(search, many)
  const healthRun = await run(health, connections)
  server.kill('SIGTERM')
  await once(server, 'exit')

  const line = ({ result, cpuPerRequestUs }) => `${result.requests.average.toFixed(0)} requests/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
    `${result.requests.total} requests, ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts` +
    (cpuPerRequestUs === undefined ? '' : `, server CPU ${cpuPerRequestUs.toFixed(0)} µs/request`)
  const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
  const [rate, p99] = [searchRun.result.requests.average, searchRun.result.latency.p99]
  const verdict = (met, by) => (met ? 'met' : `missed by ${by}`)
  console.log(`machine      ${process.platform} ${process.arch}, node ${process.version}`)
  console.log(`load         autocannon, ${duration} s per run after ${WARM_UP_S} s of warm-up, one server; search: POST /scifact/_search (300 SciFact test queries in turn, match, size 10 with sources)`)
  console.log(`search       ${connections} connections: ${line(searchRun)}`)
  console.log(`search       ${many} connections: ${line(manyRun)}`)
  console.log(`health       ${connections} connections, GET /_cluster/health: ${line(healthRun)}`)
  const cpuGap = searchRun.cpuPerRequestUs === undefined ? '' : `; a search costs the server ${(searchRun.cpuPerRequestUs - healthRun.cpuPerRequestUs).toFixed(0)} µs of CPU more than a health check`
  console.log(`ratio        search/health requests/s at ${connections} connections: ${(rate / healthRun.result.requests.average).toFixed(3)}${cpuGap}`)
  console.log(`in-process   index.search (top-10 with sources): p50 ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms`)
  console.log(`target       ≥ ${TARGET_REQUESTS_PER_S} requests/s at ${connections} connections: ${rate.toFixed(0)}, ${verdict(rate >= TARGET_REQUESTS_PER_S, `${(100 * (1 - rate / TARGET_REQUESTS_PER_S)).toFixed(0)} %`)}`)
  console.log(`target       p99 ≤ ${TARGET_P99_MS} ms at ${connections} connections: ${p99} ms, ${verdict(p99 <= TARGET_P99_MS, `${(p99 - TARGET_P99_MS).toFixed(0)} ms`)}`)
} finally {
  await rm(dataDir, { recursive: true, force: true })
}
