/**
 * The cluster behind `lsr serve --upstream` and `lsr eval --upstream`: its URL, credentials and
 * timeout, and requests to it over keep-alive connections. Errors never show the URL (it may
 * hold credentials) or any path of this machine.
 * @module
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { LsrError } from '../errors.js'
import { UPSTREAM_FLAVORS, type UpstreamFlavor } from './upstream-rewrite.js'

/** Where the cluster is and how to talk to it. */
export interface UpstreamOptions {
  /** `http(s)://host:port[/prefix]`; `user:pass@` in it is taken as `user`. */
  url: string
  /** @default 'opensearch' */
  flavor?: UpstreamFlavor
  /** Sent as `Authorization: ApiKey <key>`. */
  apiKey?: string
  /** `USER:PASS`, sent as HTTP basic authentication. */
  user?: string
  /** A request the cluster has not answered in this long fails with a 504 (an answer still arriving then is cut). @default 60000 */
  timeoutMs?: number
}

/** The cluster could not be reached or did not answer in time (a 502 or 504 for the client). */
export class UpstreamError extends LsrError {
  constructor(
    readonly status: 502 | 504,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unavailable', message, options)
    this.name = 'UpstreamError'
  }
}

/** Default upstream timeout: Elasticsearch clients' 30 s doubled, as lsr's own request timeout. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000

/** A checked upstream: its origin and path prefix, credentials as a header, the flavor. */
export class Upstream {
  readonly flavor: UpstreamFlavor
  readonly timeoutMs: number
  /** The URL without credentials (safe to print). */
  readonly display: string
  readonly #url: URL
  readonly #authorization: string | undefined
  readonly #agent: HttpAgent

  constructor(options: UpstreamOptions) {
    let url: URL
    try {
      url = new URL(options.url)
    } catch {
      throw new LsrError('invalid_argument', '--upstream must be an http:// or https:// URL (such as http://localhost:9200)')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LsrError('invalid_argument', `--upstream must be an http:// or https:// URL, not ${url.protocol}`)
    if (url.search !== '' || url.hash !== '') throw new LsrError('invalid_argument', '--upstream takes no query string or fragment')
    const flavor = options.flavor ?? 'opensearch'
    if (!UPSTREAM_FLAVORS.includes(flavor)) throw new LsrError('invalid_argument', `--upstream-flavor must be one of ${UPSTREAM_FLAVORS.join(', ')}`)
    if (options.apiKey !== undefined && options.user !== undefined) throw new LsrError('invalid_argument', '--upstream-api-key and --upstream-user are exclusive: give one')
    let user = options.user
    if (url.username !== '' || url.password !== '') {
      if (user !== undefined || options.apiKey !== undefined) throw new LsrError('invalid_argument', '--upstream holds credentials and --upstream-api-key or --upstream-user gives more: give one')
      user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      url.username = ''
      url.password = ''
    }
    if (user !== undefined && !user.includes(':')) throw new LsrError('invalid_argument', '--upstream-user takes USER:PASS')
    const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new LsrError('invalid_argument', '--upstream-timeout must be a positive number of milliseconds')
    this.flavor = flavor
    this.timeoutMs = timeoutMs
    this.#url = url
    this.display = url.origin + url.pathname.replace(/\/+$/, '')
    this.#authorization = options.apiKey !== undefined ? `ApiKey ${options.apiKey}` : user !== undefined ? `Basic ${Buffer.from(user).toString('base64')}` : undefined
    this.#agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
  }

  /** Whether the upstream's own credentials replace the client's `Authorization`. */
  get hasCredentials(): boolean {
    return this.#authorization !== undefined
  }

  /**
   * Sends one request; resolves with the response once its headers arrive (the body is the
   * caller's to read or pipe). `target` is the path and query string as the client sent them.
   * @throws UpstreamError 502 when the cluster cannot be reached, 504 when it does not answer in time
   */
  request(method: string, target: string, headers: OutgoingHttpHeaders, body?: Buffer | Readable, signal?: AbortSignal): Promise<IncomingMessage> {
    const prefix = this.#url.pathname.replace(/\/+$/, '')
    const all: OutgoingHttpHeaders = { ...headers, host: this.#url.host }
    if (this.#authorization !== undefined) all.authorization = this.#authorization
    if (Buffer.isBuffer(body)) all['content-length'] = String(body.length)
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      let settled = false
      // Before the answer: a rejection. After it: its body stops (the caller sees it end early).
      const fail = (error: UpstreamError) => {
        req.destroy()
        if (settled) return
        settled = true
        reject(error)
      }
      const req = send({
        protocol: this.#url.protocol,
        hostname: this.#url.hostname,
        port: this.#url.port,
        method,
        path: prefix + target,
        headers: all,
        agent: this.#agent,
      }, (response) => {
        response.once('close', () => clearTimeout(timer))
        if (settled) return response.resume()
        settled = true
        resolve(response)
      })
      const timer = setTimeout(() => fail(new UpstreamError(504, `the upstream cluster did not answer within ${this.timeoutMs} ms (--upstream-timeout)`)), this.timeoutMs)
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        fail(new UpstreamError(502, `cannot reach the upstream cluster (${error.code ?? error.message})`, { cause: error }))
      })
      signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        fail(new UpstreamError(502, 'the request was abandoned by the client'))
      }, { once: true })
      if (body === undefined || Buffer.isBuffer(body)) req.end(body)
      else {
        body.on('error', () => fail(new UpstreamError(502, 'the client stopped sending the request body')))
        body.pipe(req)
      }
    })
  }

  /**
   * A JSON request and its parsed answer (for lsr eval): a status of 400 or more is an LsrError
   * quoting the cluster's error reason.
   */
  async json(method: string, target: string, body?: unknown, headers: OutgoingHttpHeaders = {}): Promise<{ status: number; body: unknown }> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const response = await this.request(method, target, { ...headers, 'content-type': 'application/json', accept: 'application/json' }, data)
    const text = await readAll(response)
    let parsed: unknown = text
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON: kept as text
    }
    if ((response.statusCode ?? 500) >= 400) {
      const reason = (parsed as { error?: { reason?: unknown; type?: unknown } })?.error
      const why = typeof reason?.reason === 'string' ? `${String(reason.type)}: ${reason.reason}` : typeof parsed === 'string' ? parsed.slice(0, 500) : JSON.stringify(parsed)?.slice(0, 500)
      throw new LsrError(response.statusCode === 404 ? 'not_found' : 'invalid_argument', `the upstream cluster answered ${method} ${target} with ${response.statusCode}: ${why}`)
    }
    return { status: response.statusCode!, body: parsed }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy()
  }
}

/** A response body as text. */
export async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/** Headers that belong to one connection, not to the request or answer (RFC 9110 §7.6.1). */
// `expect: 100-continue` is answered by this proxy's own server, and the body forwarded at once.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect'])

/** A message's headers without the hop-by-hop ones (and those the connection's own `Connection` names). */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()).filter(Boolean))
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value
  return out
}
