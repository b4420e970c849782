#!/usr/bin/env node
// Benchmark: what `lsr serve --upstream` adds in front of a cluster. An `lsr serve` child process
// plays the cluster, holding the sample corpus with BM25 text fields and a learned-sparse field
// filled by the tiny-bert fixture model; a second child, `lsr serve --upstream`, forwards to it.
// Two searches, each sent directly and through the proxy: a BM25 match (forwarded unchanged) and
// a neural_sparse query_text (the cluster encodes it directly; through the proxy, the proxy
// encodes it and the cluster gets query_tokens). The 8 sample query texts are used in turn.
// Prints, per search and path: requests/s under load (autocannon), and latency p50/p99 of one
// request at a time on one keep-alive connection (microsecond resolution).
// Run: npm run build && node scripts/bench/upstream-proxy.js [--connections 10] [--duration 10] [--sequential 2000]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({ options: { connections: { type: 'string', default: '10' }, duration: { type: 'string', default: '10' }, sequential: { type: 'string', default: '2000' } } })
const root = fileURLToPath(new URL('../..', import.meta.url))
const models = join(root, 'test/fixtures/models')
const dataDir = await mkdtemp(join(tmpdir(), 'lsr-upstream-bench-'))
const queries = readFileSync(join(root, 'sample/queries.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).text)
const corpus = readFileSync(join(root, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))

/** Starts `lsr serve ...` on a free port; resolves with the child and its URL. */
async function serve(args) {
  const child = spawn(process.execPath, [join(root, 'bin/lsr.js'), 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (text) => (out += text))
  while (!/ at (http:\S+) /.test(out)) {
    if (child.exitCode !== null) throw new Error('lsr serve exited')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { child, url: / at (http:\S+) /.exec(out)[1] }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })
function send(url, method, body, type = 'application/json') {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const req = request(url, { method, agent, headers: { 'content-type': type, ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))))
    })
    req.on('error', reject)
    req.end(data)
  })
}

const SEARCHES = {
  'bm25 match': (q) => ({ query: { match: { text: q } }, size: 10, _source: { excludes: ['emb'] } }),
  'neural_sparse query_text': (q) => ({ query: { neural_sparse: { emb: { query_text: q, model_id: 'tiny-bert' } } }, size: 10, _source: { excludes: ['emb'] } }),
}

const cluster = await serve(['--data', dataDir, '--models', models])
const proxy = await serve(['--upstream', cluster.url, '--models', models, '--port', '0'])
try {
  await send(`${cluster.url}/_ingest/pipeline/p`, 'PUT', { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'emb' } } }] })
  await send(`${cluster.url}/sample`, 'PUT', { settings: { default_pipeline: 'p' }, mappings: { properties: { title: { type: 'text' }, text: { type: 'text' }, emb: { type: 'rank_features' } } } })
  const bulk = corpus.flatMap(({ _id, title, text }) => [JSON.stringify({ index: { _id } }), JSON.stringify({ title, text })]).join('\n') + '\n'
  await send(`${cluster.url}/sample/_bulk?refresh=true`, 'POST', bulk, 'application/x-ndjson')

  console.log(`machine      ${process.platform} ${process.arch}, node ${process.version}; cluster, proxy and load generator share the machine`)
  console.log(`load         autocannon, ${values.connections} connections, ${values.duration} s, POST /sample/_search (${queries.length} sample queries in turn, size 10); sequential: ${values.sequential} requests on one keep-alive connection`)
  for (const [name, body] of Object.entries(SEARCHES)) {
    for (const [path, url] of [['direct', cluster.url], ['proxied', proxy.url]]) {
      // Same answer either way (checked), then warm-up and the sequential latency.
      const times = []
      for (let i = 0; i < Number(values.sequential); i++) {
        const t = performance.now()
        const answer = await send(`${url}/sample/_search`, 'POST', body(queries[i % queries.length]))
        times.push(performance.now() - t)
        if (i < queries.length && answer.hits.hits.length === 0 && name.startsWith('bm25')) throw new Error(`no hits for ${queries[i]}`)
      }
      times.sort((a, b) => a - b)
      const pct = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
      let next = 0
      const result = await autocannon({
        url,
        connections: Number(values.connections),
        duration: Number(values.duration),
        requests: [{ method: 'POST', path: '/sample/_search', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: JSON.stringify(body(queries[next++ % queries.length])) }) }],
      })
      console.log(`${name.padEnd(25)} ${path.padEnd(8)} ${result.requests.average.toFixed(0).padStart(6)} req/s (load p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors)   one at a time: p50 ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms`)
    }
  }
} finally {
  for (const { child } of [proxy, cluster]) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  agent.destroy()
  await rm(dataDir, { recursive: true, force: true })
}
