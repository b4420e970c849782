/**
 * `lsr serve --upstream URL`: the same HTTP API, answered by an OpenSearch or Elasticsearch
 * cluster. Every request goes to the cluster unchanged (method, path, query string, headers but
 * the hop-by-hop ones, body streamed), and its answer comes back unchanged (status, headers,
 * body streamed), errors included. The one change: a `_search`, `_count`, `_explain` or
 * `_msearch` body holding `neural_sparse` has its `query_text` clauses rewritten to tokens
 * computed here (see upstream-rewrite.ts), so the cluster needs no model to serve
 * inference-free queries.
 *
 * The proxy answers by itself only: a 401 (its own `apiKey`), a 413 (a search body over
 * `maxBodyBytes`), a 400 (a search body it cannot rewrite: not JSON, nested too deep, no model
 * for a field), a 502 (the cluster cannot be reached) and a 504 (the cluster did not answer in
 * `timeoutMs`), all in Elasticsearch's error shape.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'
import { resolve } from 'node:path'
import { LsrError } from '../errors.js'
import { ModelRegistry } from '../encode/neural/model-registry.js'
import { isObject } from '../engine/json-shapes.js'
import { errorBody, HttpError, toHttpError, type HiddenPath } from './http-error.js'
import { bodyTooLarge, readBounded } from './request-body.js'
import { parseJson } from './json.js'
import { endToEndHeaders, Upstream, UpstreamError, type UpstreamOptions } from './upstream.js'
import { enricherDefaults, MAX_QUERY_TEXT_CHARS, rewriteSearchBody, type DefaultModels, type RewriteOptions } from './upstream-rewrite.js'

/** Options of {@link startUpstreamProxy}. */
export interface UpstreamProxyOptions {
  upstream: UpstreamOptions
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 9200 */
  port?: number
  /** Folder of the models `neural_sparse` `model_id` names. */
  modelsDir?: string
  /** The models, when the caller shares a registry (tests); default: one over `modelsDir`. */
  models?: ModelRegistry
  /** Each field's model when a query names none (`--upstream-model`). */
  defaultModels?: DefaultModels
  /** Require `Authorization: ApiKey <key>` or `Bearer <key>` from clients (the cluster gets its own credentials). */
  apiKey?: string
  /** Largest search body read to be rewritten, in bytes (other bodies stream through). @default 50 MiB */
  maxBodyBytes?: number
}

/** A running proxy. */
export interface RunningProxy {
  url: string
  upstream: Upstream
  close(): Promise<void>
}

/** Paths whose body is a query: `_search`, `_count`, `_msearch` (each also under an index) and `_explain/{id}`. */
const SEARCH_PATH = /^\/(?:[^/]+\/)?(_search|_count|_msearch)$|^\/[^/]+\/(_explain)\/[^/]+$/

const DEFAULT_MAX_BODY_BYTES = 50 * 2 ** 20

/** How long the cluster's search pipelines and index settings are reused before being asked again. */
const METADATA_TTL_MS = 10_000
const MAX_CACHED_METADATA = 1000

/** The request body, up to `maxBytes`. @throws HttpError 413 beyond it */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (declared > maxBytes) throw bodyTooLarge(maxBytes)
  return readBounded(req as AsyncIterable<Buffer>, maxBytes)
}

/** A gzip or deflate request body, inflated up to `maxBytes`. @throws HttpError 400 for another encoding or a corrupt body, 413 beyond the size */
function inflated(body: Buffer, encoding: string, maxBytes: number): Buffer {
  if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') throw new HttpError(400, 'illegal_argument_exception', `content-encoding [${encoding}] is not supported on search bodies (gzip, deflate)`)
  try {
    return encoding === 'deflate' ? inflateSync(body, { maxOutputLength: maxBytes }) : gunzipSync(body, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw bodyTooLarge(maxBytes)
    throw new HttpError(400, 'parse_exception', `the ${encoding} request body cannot be decompressed`)
  }
}

/** Whether a request carries a body (a length or chunked transfer). */
const hasBody = (req: IncomingMessage) => req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')

/**
 * Starts the proxy; resolves once it listens.
 * @throws LsrError `invalid_argument` for a bad upstream URL or credentials
 */
export async function startUpstreamProxy(options: UpstreamProxyOptions): Promise<RunningProxy> {
  const upstream = new Upstream(options.upstream)
  const models = options.models ?? new ModelRegistry(options.modelsDir)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const hidden: HiddenPath[] = options.modelsDir === undefined ? [] : [{ path: resolve(options.modelsDir), as: '<models>' }, { path: options.modelsDir, as: '<models>' }]
  const digest = (text: string) => createHash('sha256').update(text).digest()
  const expected = options.apiKey === undefined ? undefined : digest(options.apiKey)

  /** What the cluster answered to a metadata request, for a while (key: the credentials it was asked with and the request). */
  const metadata = new Map<string, { expires: number; value: Promise<unknown> }>()
  function cachedJson(target: string, authorization: string | undefined): Promise<unknown> {
    const key = `${authorization ?? ''}\n${target}`
    const now = Date.now()
    const hit = metadata.get(key)
    if (hit && hit.expires > now) return hit.value
    if (metadata.size >= MAX_CACHED_METADATA) metadata.clear()
    const value = upstream.json('GET', target, undefined, authorization === undefined ? {} : { authorization }).then((answer) => answer.body, () => undefined)
    metadata.set(key, { expires: now + METADATA_TTL_MS, value })
    return value
  }

  /**
   * The `neural_query_enricher` of the cluster's search pipeline for a request: `?search_pipeline=`,
   * else the index's `index.search.default_pipeline` (one index named in the path). Undefined when
   * there is none or the cluster does not say (Elasticsearch has no search pipelines).
   */
  async function clusterDefaults(target: string, authorization: string | undefined): Promise<DefaultModels | undefined> {
    if (upstream.flavor !== 'opensearch') return undefined
    const [path, query = ''] = target.split('?', 2)
    let name = new URLSearchParams(query).get('search_pipeline')
    if (name === '_none') return undefined
    if (name === null) {
      const index = /^\/([^/_,*][^/,*]*)\/_(?:search|count|msearch|explain)\b/.exec(path)?.[1]
      if (index === undefined) return undefined
      const settings = await cachedJson(`/${index}/_settings`, authorization)
      const own = isObject(settings) ? Object.values(settings)[0] : undefined
      const values = isObject(own) && isObject(own.settings) && isObject(own.settings.index) ? own.settings.index : {}
      const found = isObject(values.search) ? values.search.default_pipeline : values['search.default_pipeline']
      if (typeof found !== 'string') return undefined
      name = found
    }
    const pipelines = await cachedJson(`/_search/pipeline/${encodeURIComponent(name)}`, authorization)
    return isObject(pipelines) ? enricherDefaults(pipelines[name]) : undefined
  }

  /** A search body with its neural_sparse clauses rewritten (NDJSON for _msearch), or the same bytes. */
  async function rewritten(body: Buffer, ndjson: boolean, target: string, authorization: string | undefined): Promise<Buffer> {
    let cluster: Promise<DefaultModels | undefined> | undefined
    const rewrite: RewriteOptions = {
      flavor: upstream.flavor, models, defaults: options.defaultModels, budget: { chars: MAX_QUERY_TEXT_CHARS },
      clusterDefaults: () => (cluster ??= clusterDefaults(target, authorization)),
    }
    const text = body.toString('utf8')
    if (!text.includes('neural_sparse')) return body
    if (!ndjson) {
      const json = parseJson(text, 'request body')
      if (!isObject(json)) return body
      return (await rewriteSearchBody(json, rewrite)) === 0 ? body : Buffer.from(JSON.stringify(json))
    }
    const lines = text.split('\n')
    let changed = 0
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].includes('neural_sparse')) continue
      const json = parseJson(lines[i], `line [${i + 1}]`)
      if (!isObject(json)) continue
      try {
        const count = await rewriteSearchBody(json, rewrite)
        if (count > 0) lines[i] = JSON.stringify(json)
        changed += count
      } catch (error) {
        const http = toHttpError(error, hidden)
        throw new HttpError(http.status, http.type, `[_msearch] line [${i + 1}]: ${http.message}`, { cause: error })
      }
    }
    return changed === 0 ? body : Buffer.from(lines.join('\n'))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: OutgoingHttpHeaders = endToEndHeaders(req.headers)
    if (expected) {
      const header = req.headers.authorization ?? ''
      const token = header.replace(/^(ApiKey|Bearer)\s+/i, '')
      if (token === header || !timingSafeEqual(digest(token), expected)) {
        req.resume()
        const reason = header === '' ? 'missing authentication credentials (Authorization: ApiKey <key> or Bearer <key>)' : 'invalid API key'
        return answerError(res, new HttpError(401, 'security_exception', reason), { 'www-authenticate': 'ApiKey, Bearer' })
      }
      // The client's key is the proxy's: the cluster gets its own credentials, or none.
      delete headers.authorization
    }
    const target = req.url ?? '/'
    const path = target.split('?')[0]
    const search = SEARCH_PATH.exec(path)
    const abort = new AbortController()
    res.once('close', () => !res.writableFinished && abort.abort())
    let response: IncomingMessage
    if (search && hasBody(req)) {
      const raw = await readBody(req, maxBodyBytes)
      // A compressed body (clients' `compression` option) is read, and forwarded as plain JSON if rewritten.
      const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase()
      const plain = encoding === '' || encoding === 'identity' ? raw : inflated(raw, encoding, maxBodyBytes)
      const rewrittenBody = await rewritten(plain, search[1] === '_msearch', target, typeof headers.authorization === 'string' ? headers.authorization : undefined)
      if (rewrittenBody !== plain) delete headers['content-encoding']
      const body = rewrittenBody === plain ? raw : rewrittenBody
      response = await upstream.request(req.method ?? 'GET', target, headers, body, abort.signal)
    } else {
      if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length']
      response = await upstream.request(req.method ?? 'GET', target, headers, hasBody(req) ? req : undefined, abort.signal)
    }
    const answer = endToEndHeaders(response.headers)
    if (response.headers['content-length'] !== undefined) answer['content-length'] = response.headers['content-length']
    res.writeHead(response.statusCode ?? 502, answer)
    response.on('error', () => res.destroy())
    response.on('aborted', () => res.destroy())
    response.pipe(res)
  }

  function answerError(res: ServerResponse, error: HttpError, extra: OutgoingHttpHeaders = {}): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const body = JSON.stringify(errorBody(error))
    // After a 413 the rest of the body is not read: the connection closes instead.
    const close = error.status === 413 ? { connection: 'close' } : {}
    res.writeHead(error.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), ...close, ...extra })
    res.end(body)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const http = error instanceof UpstreamError
        ? new HttpError(error.status, error.status === 504 ? 'timeout_exception' : 'lsr_upstream_exception', error.message, { cause: error })
        : toHttpError(error, hidden)
      // An unread request body would otherwise hold the connection (a 413's closes it).
      if (!req.readableEnded && http.status !== 413) req.resume()
      answerError(res, http)
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new LsrError('invalid_argument', `cannot listen on ${host}:${options.port ?? 9200}: ${error.code === 'EADDRINUSE' ? 'the port is already in use' : error.code ?? error.message} (choose another with --port or --host)`, { cause: error })))
    server.listen(options.port ?? 9200, host, () => {
      server.removeAllListeners('error')
      resolveListen()
    })
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    upstream,
    close() {
      closing ??= new Promise<void>((done, reject) => {
        server.close((error) => (error ? reject(error) : done()))
        server.closeIdleConnections()
      }).finally(() => upstream.close())
      return closing
    },
  }
}
