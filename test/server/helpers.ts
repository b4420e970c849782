import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, type AppOptions } from '../../src/server/app.js'
import { IndexRegistry } from '../../src/server/registry.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { ROOT, tempDir } from '../helpers.js'

export type Call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>

/** An in-process app over a data directory (a fresh one unless given: a restart reuses one). */
export async function testApp(options: AppOptions = {}, dataDir?: string): Promise<{ call: Call; registry: IndexRegistry }> {
  const registry = new IndexRegistry(dataDir ?? (await tempDir()))
  const app = createApp(registry, options)
  const call: Call = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } }
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
    const response = await app.request(path, init)
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      // not JSON (HEAD, text tables, HTML)
    }
    return { status: response.status, body: parsed, headers: response.headers }
  }
  return { call, registry }
}

/** The sample corpus as bulk NDJSON, each document tagged `even`/`odd` by its number. */
export function sampleBulk(): string {
  return readFileSync(join(ROOT, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').flatMap((line) => {
    const doc = JSON.parse(line)
    const tag = Number(doc._id.slice(1)) % 2 === 0 ? 'even' : 'odd'
    return [JSON.stringify({ index: { _id: doc._id } }), JSON.stringify({ title: doc.title, text: doc.text, tag, meta: { n: Number(doc._id.slice(1)) } })]
  }).join('\n') + '\n'
}

/** `PUT /{index}` settings of an index whose title + text are one field of the English-stemming bm25 encoder. */
export const BM25_ENCODER = { settings: { encoder: { name: 'bm25' } } }

/**
 * An app with the sample corpus loaded into index `sample`, created with `create` (the `PUT
 * /sample` body: by default Elasticsearch's, mapped fields with the standard analyzer; pass
 * {@link BM25_ENCODER} for lsr's encoder of title + text).
 */
export async function sampleApp(options: AppOptions = {}, create: unknown = {}) {
  const app = await testApp(options)
  const auth: Record<string, string> = options.apiKey ? { authorization: `ApiKey ${options.apiKey}` } : {}
  const created = await app.call('PUT', '/sample', create, auth)
  if (created.status !== 200) throw new Error(`creating the sample index failed: ${JSON.stringify(created.body)}`)
  const bulk = await app.call('POST', '/sample/_bulk', sampleBulk(), { 'content-type': 'application/x-ndjson', ...auth })
  if (bulk.body.errors) throw new Error('sample bulk failed')
  return app
}

/**
 * A server on a free port over a data directory of its own, for a whole describe block (tempDir()
 * folders are removed after each test). `close` stops it and removes the folder.
 */
export async function portServer(options: AppOptions = {}): Promise<{ server: RunningServer; url: string; close: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lsr-port-'))
  const server = await startServer({ ...options, dataDir, port: 0 })
  return {
    server,
    url: server.url,
    close: async () => {
      await server.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * A request over the network with a JSON (or, given a string, raw) body on any method: fetch
 * refuses GET bodies, which Elasticsearch clients send. The answer's body is parsed when it is JSON.
 */
export function send(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const all = { 'content-type': 'application/json', ...headers, ...(data === undefined ? {} : { 'content-length': String(Buffer.byteLength(data)) }) }
    const req = request(url, { method, headers: all }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => {
        let parsed: unknown = text
        try {
          parsed = text ? JSON.parse(text) : undefined
        } catch {
          // not JSON (HEAD, text tables)
        }
        resolve({ status: res.statusCode!, body: parsed })
      })
    })
    req.on('error', reject)
    req.end(data)
  })
}
