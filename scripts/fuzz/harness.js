// The fuzz run shared by scripts/fuzz/http-fuzz.js and test/server/fuzz.test.ts: starts the real
// server (scripts/fuzz/serve-child.js, a process of its own, loopback, port 0, a temporary data
// directory, an API key), loads two protected indexes and two scratch indexes, records the
// protected state, sends the hostile requests of cases.js over the real port, one at a time
// (bursts concurrently), and checks every answer:
//   - no status >= 500 (a _bulk item included), and an answer at all (no timeout, no crash);
//   - no absolute path of the server (data directory, repository, /tmp/, /root, /work, /home/,
//     stack frames) in a body, unless the request itself carried that text;
//   - every error body in Elasticsearch's shape, {error: {root_cause: [{type, reason}], type,
//     reason}, status}, or one of the documented not-found bodies (GET _doc found: false, DELETE
//     _doc result: not_found, _explain matched: false);
//   - a request that must fail (it could change a protected index) is refused: no 2xx, and no
//     _bulk item that succeeded;
//   - no request slower than slowMs.
// At the end: the protected indexes answer exactly as before (count, _cat/indices row, settings,
// _stats, rankings with scores, _doc gets, an explanation), the server still answers, and after a
// restart over the same data directory every all-index endpoint still answers (< 500) and the
// protected state is still the same.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ALPHA_IDS, BETA_IDS, BETA_TOKENS, createRandom, decodeURIComponentSafe, fuzzCases, PROTECTED, SCRATCH, SCRATCH_VECTORS } from './cases.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
const API_KEY = 'fuzz-key'

// ---------------------------------------------------------------------------------------------
// The server process

/**
 * Starts scripts/fuzz/serve-child.js; resolves once it listens.
 * @param {{dataDir: string, from: 'dist' | 'src', apiKey: string}} options
 */
export async function launchServer({ dataDir, from, apiKey }) {
  const args = [
    ...(from === 'src' ? ['--import', join(ROOT, 'scripts/fuzz/ts-register.js')] : []),
    '--enable-source-maps',
    join(ROOT, 'scripts/fuzz/serve-child.js'), '--data', dataDir, '--api-key', apiKey, '--from', from,
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
    if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000)
  })
  let exited
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))))
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const line = out.split('\n')[0]
      if (out.includes('\n')) resolve(JSON.parse(line).url)
    })
    exit.then(({ code, signal }) => reject(new Error(`the server exited before listening (${signal ?? code}): ${stderr.slice(-4000)}`)))
  })
  return {
    url,
    agent: new http.Agent({ keepAlive: true }),
    /** Text the server wrote to stderr since `from` (an earlier `mark()`). */
    mark: () => stderr.length,
    stderrSince: (from) => stderr.slice(from),
    exited: () => exited,
    /** SIGTERM (graceful close); SIGKILL after `graceMs`. Resolves with how it ended. */
    async stop(graceMs = 15_000) {
      this.agent.destroy()
      if (exited) return { ...exited, graceful: false }
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const how = await exit
      clearTimeout(timer)
      return { ...how, graceful: how.signal !== 'SIGKILL' && how.code === 0 }
    },
    async kill() {
      this.agent.destroy()
      if (!exited) child.kill('SIGKILL')
      await exit
    },
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * Sends one case; never throws. Answers {status, headers, body: Buffer, ms} or {error, ms}.
 * A kept-alive connection that the server closed just before it was reused (it may close one
 * whose request body it did not read) is retried once on a new connection, as HTTP clients do;
 * the answer then says `retried: true`.
 */
export async function send(server, c, options = {}) {
  const answer = await sendOnce(server, c, options)
  if (!answer.staleConnection) return answer
  return { ...(await sendOnce(server, c, { ...options, agent: false })), retried: true }
}

function sendOnce(server, c, { apiKey = API_KEY, timeoutMs = 10_000, agent = server.agent } = {}) {
  if (c.raw) return sendRaw(server, c.raw, timeoutMs)
  return new Promise((resolve) => {
    const url = new URL(server.url)
    const headers = { ...(c.headers ?? {}) }
    if (c.auth === undefined) headers.authorization = `ApiKey ${apiKey}`
    else if (c.auth !== false) headers.authorization = c.auth
    const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body)
    if (body !== undefined) headers['content-length'] = String(body.length)
    const started = performance.now()
    let done = false
    const finish = (result) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ ...result, ms: performance.now() - started })
    }
    let request
    try {
      request = http.request({ host: url.hostname, port: url.port, method: c.method, path: c.path, headers, agent })
    } catch (error) {
      finish({ refused: `the HTTP client refused the request: ${error.message}` })
      return
    }
    const timer = setTimeout(() => {
      finish({ error: `no answer within ${timeoutMs} ms` })
      request.destroy()
    }, timeoutMs)
    request.on('response', (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => finish({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }))
      response.on('error', (error) => finish({ error: `response: ${error.message}` }))
    })
    let answered = false
    request.on('response', () => (answered = true))
    request.on('error', (error) => finish({ error: error.message, staleConnection: request.reusedSocket && !answered && /socket hang up|ECONNRESET|EPIPE/.test(`${error.code} ${error.message}`) }))
    request.end(body)
  })
}

/** Raw bytes on a fresh socket; the status line and body of the first answer, or {closed: true}. */
function sendRaw(server, bytes, timeoutMs) {
  return new Promise((resolve) => {
    const url = new URL(server.url)
    const started = performance.now()
    const socket = net.connect(Number(url.port), url.hostname)
    let data = Buffer.alloc(0)
    let done = false
    const finish = (result) => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearTimeout(halfClose)
      socket.destroy()
      resolve({ ...result, ms: performance.now() - started })
    }
    const parse = () => {
      const head = data.indexOf('\r\n\r\n')
      if (head < 0) return undefined
      const lines = data.subarray(0, head).toString('latin1').split('\r\n')
      const status = Number(lines[0].split(' ')[1])
      const length = lines.find((l) => /^content-length:/i.test(l))
      const body = data.subarray(head + 4)
      if (length && body.length < Number(length.split(':')[1])) return undefined
      return { status, headers: Object.fromEntries(lines.slice(1).map((l) => [l.split(':')[0].toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])), body }
    }
    // A request the server waits on (a truncated body) is ended from our side after a while.
    const halfClose = setTimeout(() => socket.end(), Math.min(1000, timeoutMs / 2))
    const timer = setTimeout(() => finish({ error: `no answer and no close within ${timeoutMs} ms` }), timeoutMs)
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk])
      const parsed = parse()
      if (parsed) finish(parsed)
    })
    socket.on('error', () => finish(parse() ?? { closed: true }))
    socket.on('close', () => finish(parse() ?? { closed: true }))
    socket.write(bytes)
  })
}

/** A JSON request for setup and snapshots; throws unless 2xx (or an allowed status). */
async function call(server, method, path, body, allowed = []) {
  const response = await send(server, { method, path, headers: { 'content-type': typeof body === 'string' && body.includes('\n') ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) }, { timeoutMs: 60_000 })
  const text = response.body?.toString('utf8')
  let parsed = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    // text answers (_cat without format=json)
  }
  if (response.error || ((response.status < 200 || response.status >= 300) && !allowed.includes(response.status))) {
    throw new Error(`${method} ${path} answered ${response.status ?? response.error}: ${text?.slice(0, 500)}`)
  }
  return { status: response.status, body: parsed }
}

// ---------------------------------------------------------------------------------------------
// Data: two protected indexes (several segments, a replaced and a deleted document each) and two scratch indexes

function alphaBulk(from, to) {
  return readFileSync(join(ROOT, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').slice(from, to).flatMap((line) => {
    const doc = JSON.parse(line)
    const n = Number(doc._id.slice(1))
    return [JSON.stringify({ index: { _id: doc._id } }), JSON.stringify({ title: doc.title, text: doc.text, tag: n % 2 === 0 ? 'even' : 'odd', meta: { n } })]
  }).join('\n') + '\n'
}

function betaBulk(ids) {
  const r = createRandom(7)
  return ids.flatMap((id) => {
    const vector = Object.fromEntries(BETA_TOKENS.filter(() => r.chance(0.4)).map((t) => [t, Math.round(r.next() * 300) / 100 + 0.01]))
    if (Object.keys(vector).length === 0) vector.apple = 1
    return [JSON.stringify({ index: { _id: id } }), JSON.stringify({ vector, tag: r.pick(['even', 'odd']) })]
  }).join('\n') + '\n'
}

export async function loadData(server) {
  await call(server, 'PUT', '/alpha', {})
  for (const [from, to] of [[0, 15], [15, 30]]) {
    const bulk = await call(server, 'POST', '/alpha/_bulk', alphaBulk(from, to))
    if (bulk.body.errors) throw new Error(`loading alpha failed: ${JSON.stringify(bulk.body).slice(0, 500)}`)
  }
  await call(server, 'PUT', '/alpha/_doc/s29', { title: 'Replaced', text: 'a replaced document about sorted bitmaps and write batches', tag: 'odd', meta: { n: 29 } })
  await call(server, 'DELETE', '/alpha/_doc/s30')

  await call(server, 'PUT', '/beta', { settings: { encoder: { name: 'vectors' } } })
  for (const ids of [BETA_IDS.slice(0, 20), BETA_IDS.slice(20)]) {
    const bulk = await call(server, 'POST', '/beta/_bulk', betaBulk(ids))
    if (bulk.body.errors) throw new Error(`loading beta failed: ${JSON.stringify(bulk.body).slice(0, 500)}`)
  }
  await call(server, 'PUT', '/beta/_doc/v28', { vector: { apple: 2.5, kiwi: 0.5 }, tag: 'even' })
  await call(server, 'DELETE', '/beta/_doc/v29')

  await call(server, 'PUT', `/${SCRATCH}`, {})
  await call(server, 'POST', `/${SCRATCH}/_bulk`, alphaBulk(0, 10))
  await call(server, 'PUT', `/${SCRATCH_VECTORS}`, { settings: { encoder: { name: 'vectors' } } })
  await call(server, 'POST', `/${SCRATCH_VECTORS}/_bulk`, betaBulk(BETA_IDS.slice(0, 10)))
}

const ALPHA_QUERIES = [
  { query: { match: { text: 'sorted bitmaps' } }, size: 10 },
  { query: { multi_match: { query: 'leveldb write batch crash', fields: ['title', 'text'] } }, size: 5, _source: ['title'] },
  { query: { bool: { must: [{ match: { text: 'document length' } }], filter: [{ term: { tag: 'even' } }] } }, size: 10 },
  { query: { match_all: {} }, size: 40, _source: false },
  { query: { match: { text: 'posting lists compress' } }, size: 3, highlight: { fields: { text: {} } } },
]
const BETA_QUERIES = [
  { query: { neural_sparse: { text: { query_tokens: { apple: 1, kiwi: 2, jade: 0.5 } } } }, size: 10 },
  { query: { neural_sparse: { text: { query_tokens: { banana: 1 } } } }, size: 40, _source: false },
  { query: { bool: { must: [{ neural_sparse: { text: { query_tokens: { cherry: 1, fig: 1 } } } }], filter: [{ term: { tag: 'odd' } }] } }, size: 10 },
]

const omit = (object, ...keys) => (object && typeof object === 'object' ? Object.fromEntries(Object.entries(object).filter(([k]) => !keys.includes(k))) : object)

/**
 * What the protected indexes answer. Sizes on disk are left out: LevelDB may rewrite files
 * (a reopen flushes the log into a table) without any change of data.
 */
export async function snapshot(server) {
  const read = async (method, path, body) => {
    const { status, body: answer } = await call(server, method, path, body, [400, 404, 500, 503])
    return status >= 300 ? { status, answer } : answer
  }
  const cat = await read('GET', '/_cat/indices?format=json')
  const state = {}
  for (const name of PROTECTED) {
    const ids = name === 'alpha' ? [ALPHA_IDS[0], ALPHA_IDS[4], ALPHA_IDS[17], 's29', 's30', 'missing-zz'] : [BETA_IDS[0], BETA_IDS[11], 'v28', 'v29']
    const stats = await read('GET', `/${name}/_stats`)
    const indexStats = stats?.indices?.[name]
    state[name] = {
      cat: Array.isArray(cat) ? omit(cat.find((row) => row.index === name), 'store.size') : cat,
      settings: await read('GET', `/${name}`),
      stats: indexStats ? { docs: indexStats.primaries?.docs, lsr: indexStats.lsr } : stats,
      count: await read('POST', `/${name}/_count`, {}),
      rankings: await Promise.all((name === 'alpha' ? ALPHA_QUERIES : BETA_QUERIES).map(async (query) => {
        const answer = await read('POST', `/${name}/_search`, query)
        return answer?.hits ? { total: answer.hits.total, max_score: answer.hits.max_score, hits: answer.hits.hits } : answer
      })),
      docs: await Promise.all(ids.map((id) => read('GET', `/${name}/_doc/${id}`))),
      explain: await read('POST', `/${name}/_explain/${ids[0]}`, { query: (name === 'alpha' ? ALPHA_QUERIES : BETA_QUERIES)[0].query }),
    }
  }
  return state
}

/** Paths where two snapshots differ (at most `limit`), with both values. */
export function differences(before, after, path = '', out = [], limit = 20) {
  if (out.length >= limit) return out
  if (JSON.stringify(before) === JSON.stringify(after)) return out
  if (before && after && typeof before === 'object' && typeof after === 'object') {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) differences(before[key], after[key], `${path}.${key}`, out, limit)
    return out
  }
  out.push({ path: path.slice(1), before: clip(JSON.stringify(before), 400), after: clip(JSON.stringify(after), 400) })
  return out
}

// ---------------------------------------------------------------------------------------------
// Checks

const clip = (text, n) => (text === undefined ? undefined : text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text)
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Elasticsearch's error body, with `status` equal to the HTTP status. */
export function isElasticsearchError(body, status) {
  const cause = (c) => isObject(c) && typeof c.type === 'string' && typeof c.reason === 'string'
  return isObject(body) && isObject(body.error) && cause(body.error) && Array.isArray(body.error.root_cause) && body.error.root_cause.length > 0 && body.error.root_cause.every(cause) && body.status === status
}

/** Not-found answers that are not errors in Elasticsearch either. */
function isDocumentedNotFound(c, body, status) {
  if (status !== 404 || !isObject(body)) return false
  const path = c.path.split('?')[0]
  if (/\/_doc\/[^/]+$/.test(path) && (c.method === 'GET' || c.method === 'HEAD')) return body.found === false
  if (/\/_doc\/[^/]+$/.test(path) && c.method === 'DELETE') return body.result === 'not_found'
  if (/\/_explain\/[^/]+$/.test(path)) return body.matched === false
  // GET /_alias/{name} of a missing alias: Elasticsearch's own shape, a string error beside what was found.
  if (/\/_alias(es)?(\/[^/]+)?$/.test(path) && c.method === 'GET') return typeof body.error === 'string' && /^alias(es)? \[.*\] missing$/.test(body.error) && body.status === 404
  return false
}

/** Strings that would reveal the server's filesystem. */
function forbiddenStrings(dataDir) {
  return [...new Set([dataDir, ROOT, tmpdir().replace(/\/$/, '') + '/', homedir(), '/tmp/', '/root', '/work/', '/home/', 'file://', 'node:internal', '\n    at '])].filter((s) => s && s !== '/')
}

function requestText(c) {
  const parts = [c.method, c.path, decodeURIComponentSafe(c.path), c.auth ?? '']
  if (c.body !== undefined) parts.push(Buffer.isBuffer(c.body) ? c.body.toString('utf8') : c.body)
  if (c.raw) parts.push(c.raw.toString('latin1'))
  return parts.join('\n')
}

/** What is wrong with one answer (empty when nothing). */
export function checkAnswer(c, answer, { dataDir, slowMs }) {
  const problems = []
  if (answer.refused) return problems // the client would not send it: nothing reached the server
  // Node's HTTP parser refuses a method it does not know or bytes not allowed in a URL with a 400
  // and closes the connection at once; a client still sending its body may see the reset first.
  if (answer.error && /ECONNRESET|EPIPE/.test(answer.error) && parserRefuses(c)) return problems
  if (answer.error) return [`no answer: ${answer.error}`]
  if (answer.closed) return problems // raw request: the server closed the connection without answering
  const { status } = answer
  const text = answer.body.toString('utf8')
  if (status >= 500) problems.push(`status ${status}`)
  const sent = requestText(c)
  for (const path of forbiddenStrings(dataDir)) {
    if (text.includes(path) && !sent.includes(path)) problems.push(`the body reveals a server path (${JSON.stringify(path)})`)
  }
  // A write may legitimately work for a while: 15 ms per KiB of body, and 2 ms more per _bulk line
  // (a document of 20,000 distinct tokens costs its log merge ~2.5 s on the 2-core machine; the
  // event loop keeps serving other requests meanwhile: scripts/bench/write-stall.js measures it).
  const write = /\/(_bulk|_doc|_create)(\/|\?|$)/.test(c.path) && typeof c.body === 'string'
  const bulk = write && /\/_bulk(\?|$)/.test(c.path)
  const limit = slowMs + (write ? 15 * Math.ceil(Buffer.byteLength(c.body) / 1024) : 0) + (bulk ? 2 * c.body.split('\n').length : 0)
  if (!c.raw && answer.ms > limit) problems.push(`slow: ${Math.round(answer.ms)} ms`)
  if (c.raw || c.method === 'HEAD') return problems
  // Node's HTTP parser answers malformed requests (a method it does not know, bytes not allowed in
  // a URL, 16 KiB of headers) itself, with an empty body, before any route sees them.
  if ([400, 413, 414, 431, 505].includes(status) && text === '' && answer.headers['content-type'] === undefined) return problems
  let body
  const isJson = String(answer.headers['content-type'] ?? '').includes('json')
  if (isJson) {
    try {
      body = JSON.parse(text)
    } catch {
      problems.push('the body is not the JSON its content-type says')
    }
  }
  if (status >= 400) {
    if (!isElasticsearchError(body, status) && !isDocumentedNotFound(c, body, status)) problems.push("the error body is not in Elasticsearch's shape")
  }
  if (isObject(body) && Array.isArray(body.items)) {
    for (const item of body.items) {
      const result = isObject(item) ? Object.values(item)[0] : undefined
      if (!isObject(result) || typeof result.status !== 'number') {
        problems.push('a _bulk item without a status')
        break
      }
      if (result.status >= 500) problems.push(`a _bulk item answered ${result.status}`)
      if (result.error !== undefined && !(isObject(result.error) && typeof result.error.type === 'string' && typeof result.error.reason === 'string')) problems.push('a _bulk item error without type and reason')
      if (c.mustFail && result.status < 300) problems.push(`a _bulk item that had to fail succeeded (${result.status})`)
      // An _id must be a non-empty string (or a number): {} or [] written as "[object Object]" or "" is a validation miss.
      if (result.status < 300 && (result._id === '' || result._id === '[object Object]')) problems.push(`a _bulk item was written under _id ${JSON.stringify(result._id)} (the action's _id was empty, an object or an array)`)
    }
  }
  // A _bulk answers 200 with per-item errors; filter_path may have taken the items out of its
  // answer, and then only the check that the protected indexes are unchanged can judge it.
  const filteredBulk = c.kind === 'bulk-protected' && /[?&]filter_path=/.test(c.path)
  if (c.mustFail && status < 300 && !filteredBulk && !(isObject(body) && Array.isArray(body.items))) problems.push(`a request that had to fail answered ${status}`)
  if (c.mustFail && status < 300 && isObject(body) && Array.isArray(body.items) && body.items.length === 0 && body.errors !== true) {
    // an empty _bulk body: nothing written, but Elasticsearch answers 400
    problems.push('an empty _bulk answered 2xx (Elasticsearch: 400)')
  }
  return [...new Set(problems)]
}

/** Requests Node's HTTP parser (llhttp) refuses before any route sees them. */
function parserRefuses(c) {
  return !c.raw && (/[^\x21-\x7e]|\\/.test(c.path) || !PARSER_METHODS.has(c.method))
}
const PARSER_METHODS = new Set(http.METHODS)

function describeRequest(c) {
  const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? `<${c.body.length} bytes: ${c.body.subarray(0, 40).toString('hex')}>` : clip(c.body, 300)
  return { kind: c.kind, method: c.method, path: clip(c.path, 300), ...(c.auth !== undefined ? { authorization: c.auth === false ? '(none)' : clip(c.auth, 80) } : {}), ...(body !== undefined ? { body } : {}), ...(c.raw ? { raw: clip(JSON.stringify(c.raw.toString('latin1')), 300) } : {}), ...(c.mustFail ? { mustFail: true } : {}) }
}

function describeAnswer(answer) {
  if (answer.error) return { error: answer.error, ms: Math.round(answer.ms) }
  if (answer.closed) return { closed: true }
  return { status: answer.status, ms: Math.round(answer.ms), body: clip(answer.body.toString('utf8'), 600) }
}

// ---------------------------------------------------------------------------------------------
// The run

/**
 * Runs the fuzz; never throws for what the server does (that is in `failures`).
 * @param {{from?: 'dist' | 'src', requests?: number, seed?: number, slowMs?: number, timeoutMs?: number, maxSeconds?: number, maxFailures?: number, log?: (line: string) => void}} options
 */
export async function runFuzz({ from = 'dist', requests = 5000, seed = 1, slowMs = 2000, timeoutMs = 10_000, maxSeconds = 900, maxFailures = 200, log = () => {} } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'lsr-fuzz-'))
  const started = performance.now()
  const summary = { seed, requested: requests, requests: 0, seconds: 0, statuses: {}, kinds: {}, slowest: [], failures: [], failureCount: 0, restarts: 0, retried: 0, stateChanged: [], notes: [] }
  const fail = (c, answer, problems, stderr) => {
    summary.failureCount++
    if (summary.failures.length < maxFailures) summary.failures.push({ at: summary.requests, request: describeRequest(c), answer: answer && describeAnswer(answer), problems, ...(stderr ? { serverLog: clip(stderr.trim(), 3000) } : {}) })
  }
  const count = (key) => (summary.statuses[key] = (summary.statuses[key] ?? 0) + 1)
  const slow = (c, ms) => {
    summary.slowest.push({ ms: Math.round(ms), kind: c.kind, method: c.method, path: clip(c.path, 120), body: c.body === undefined ? undefined : clip(Buffer.isBuffer(c.body) ? `<${c.body.length} bytes>` : c.body, 120) })
    summary.slowest.sort((a, b) => b.ms - a.ms)
    summary.slowest.length = Math.min(summary.slowest.length, 5)
  }
  let server = await launchServer({ dataDir, from, apiKey: API_KEY })
  const restart = async (why) => {
    summary.restarts++
    summary.notes.push(`server restarted after request ${summary.requests}: ${why}`)
    await server.kill()
    server = await launchServer({ dataDir, from, apiKey: API_KEY })
  }
  const alive = async () => {
    const answer = await send(server, { method: 'GET', path: '/' }, { timeoutMs: 3000 })
    return answer.status === 200
  }
  try {
    await loadData(server)
    const before = await snapshot(server)
    log(`loaded alpha (${before.alpha.count?.count} docs), beta (${before.beta.count?.count} docs) and the scratch indexes; sending ${requests} requests (seed ${seed})`)

    for (const c of fuzzCases({ seed, count: requests, apiKey: API_KEY })) {
      if ((performance.now() - started) / 1000 > maxSeconds) {
        fail(c, undefined, [`time budget of ${maxSeconds} s spent after ${summary.requests} of ${requests} requests`])
        break
      }
      summary.requests++
      summary.kinds[c.kind] = (summary.kinds[c.kind] ?? 0) + 1
      const mark = server.mark()
      const parts = c.burst ?? [c]
      const answers = c.burst ? await Promise.all(parts.map((p) => send(server, p, { timeoutMs, agent: false }))) : [await send(server, c, { timeoutMs })]
      let unresponsive = false
      for (const [i, part] of parts.entries()) {
        const answer = answers[i]
        if (answer.retried) summary.retried++
        count(answer.refused ? 'not sent' : answer.error ? (parserRefuses(part) ? 'reset (refused by the HTTP parser)' : 'no answer') : answer.closed ? 'closed' : answer.status)
        if (!answer.error && !answer.refused) slow(part, answer.ms)
        const problems = checkAnswer(part, answer, { dataDir, slowMs })
        if (problems.length > 0) {
          if (problems.some((p) => p.startsWith('status 5'))) await new Promise((resolve) => setTimeout(resolve, 50)) // let the server's log line arrive
          fail(part, answer, problems, server.stderrSince(mark))
        }
        if (answer.error) unresponsive = true
      }
      if (server.exited()) {
        fail(c, undefined, [`the server process exited (${JSON.stringify(server.exited())})`], server.stderrSince(mark))
        await restart('the server process exited')
      } else if (unresponsive && !(await alive())) {
        fail(c, undefined, ['the server stopped answering (GET / timed out) after this request'])
        await restart('the server stopped answering')
      }
      if (summary.requests % 500 === 0) log(`${summary.requests} requests, ${summary.failureCount} failures, ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }

    // The server still answers, and the protected indexes are as they were.
    const liveness = { kind: 'final', method: 'GET', path: '/' }
    const answer = await send(server, liveness, { timeoutMs: 5000 })
    if (answer.status !== 200) fail(liveness, answer, ['the server does not answer GET / at the end'])
    const after = await snapshot(server)
    for (const d of differences(before, after)) summary.stateChanged.push({ when: 'after the run', ...d })

    // A restart over the same data directory: every all-index endpoint answers, nothing changed.
    const stopped = await server.stop()
    if (!stopped.graceful) summary.notes.push(`graceful shutdown did not finish in time (${JSON.stringify(stopped)})`)
    server = await launchServer({ dataDir, from, apiKey: API_KEY })
    for (const check of [
      { kind: 'after-restart', method: 'GET', path: '/_cat/indices' },
      { kind: 'after-restart', method: 'GET', path: '/_cat/indices?format=json' },
      { kind: 'after-restart', method: 'GET', path: '/_cluster/health' },
      { kind: 'after-restart', method: 'POST', path: '/_search', headers: { 'content-type': 'application/json' }, body: '{"query":{"match":{"text":"bitmaps"}}}' },
      { kind: 'after-restart', method: 'POST', path: '/_count', headers: { 'content-type': 'application/json' }, body: '{}' },
      { kind: 'after-restart', method: 'GET', path: '/_all/_stats' },
    ]) {
      const mark = server.mark()
      const result = await send(server, check, { timeoutMs })
      const problems = checkAnswer(check, result, { dataDir, slowMs })
      if (problems.length > 0) fail(check, result, problems, server.stderrSince(mark))
    }
    const restarted = await snapshot(server)
    for (const d of differences(before, restarted)) summary.stateChanged.push({ when: 'after a restart', ...d })
    if (summary.stateChanged.length > 0) summary.failureCount++
  } finally {
    await server.stop().catch(() => undefined)
    summary.seconds = Number(((performance.now() - started) / 1000).toFixed(1))
    await rm(dataDir, { recursive: true, force: true })
  }
  summary.ok = summary.failureCount === 0
  return summary
}

/** The summary as text: counts, statuses, slowest requests, failures. */
export function formatSummary(summary, { failures = 20 } = {}) {
  const lines = [
    `fuzz: ${summary.requests} requests (seed ${summary.seed}) in ${summary.seconds} s, ${summary.restarts} server restarts, ${summary.retried} requests resent on a new connection (the server had closed the kept-alive one)`,
    `statuses: ${Object.entries(summary.statuses).sort(([a], [b]) => String(a).localeCompare(String(b))).map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    `slowest: ${summary.slowest.map((s) => `${s.ms} ms ${s.method} ${s.path}`).join(' | ')}`,
  ]
  for (const note of summary.notes) lines.push(`note: ${note}`)
  if (summary.stateChanged.length > 0) {
    lines.push('PROTECTED STATE CHANGED:')
    for (const d of summary.stateChanged) lines.push(`  ${d.when}: ${d.path}: ${d.before} -> ${d.after}`)
  }
  if (summary.failureCount > 0) {
    lines.push(`FAILED: ${summary.failureCount} failures; the first ${Math.min(failures, summary.failures.length)}:`)
    for (const f of summary.failures.slice(0, failures)) lines.push(JSON.stringify(f, null, 2))
  } else {
    lines.push('ok: no answer >= 500, no server path, every error in Elasticsearch\'s shape, protected indexes unchanged, the server answers')
  }
  return lines.join('\n')
}
