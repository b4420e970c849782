/**
 * Runs the HTTP API on Node (`@hono/node-server`) over a data directory, with graceful shutdown:
 * stop accepting, let in-flight requests finish, then close every index.
 * @module
 */
import { maxHeaderSize } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { serve } from '@hono/node-server'
import { LsrError } from '../errors.js'
import { createApp, type AppOptions } from './app.js'
import { errorBody, HttpError } from './http-error.js'
import { IndexRegistry } from './registry.js'
import { readerContexts } from './reader-contexts.js'

export interface ServerOptions extends AppOptions {
  /** Folder holding one sub-folder per index. */
  dataDir: string
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 9200 */
  port?: number
}

export interface RunningServer {
  url: string
  registry: IndexRegistry
  /** Stops accepting, waits for in-flight requests, closes the indexes. */
  close(): Promise<void>
}

/** Why the server could not listen. */
export type ListenFailure = 'port_in_use' | 'permission_denied' | 'address_not_available' | 'unknown_host' | 'invalid_port' | 'other'

/**
 * The server could not listen on `host:port` (code `invalid_argument`: that address cannot be
 * used). The message says why in one line; a caller adds how to choose another address (the
 * CLI: `--port` or `--host`, after {@link ListenError.flag}).
 */
export class ListenError extends LsrError {
  constructor(
    message: string,
    readonly failure: ListenFailure,
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super('invalid_argument', message, options)
    this.name = 'ListenError'
  }

  /** Which of host or port to change. */
  get flag(): 'host' | 'port' {
    return this.failure === 'address_not_available' || this.failure === 'unknown_host' ? 'host' : 'port'
  }
}

/** OpenSearch's and Elasticsearch's default port, and lsr's: often already taken by one of them. */
const OPENSEARCH_PORT = 9200

function listenError(error: unknown, host: string, port: number): LsrError {
  const { code, message } = error as NodeJS.ErrnoException
  const at = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`
  const options = { cause: error }
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(
        port === OPENSEARCH_PORT
          ? `port ${port} is already in use (${port} is OpenSearch's default port: is OpenSearch or another lsr running?)`
          : `port ${port} is already in use (is another lsr or another server running on it?)`,
        'port_in_use', host, port, options,
      )
    case 'EACCES':
    case 'EPERM':
      return new ListenError(`${at}: permission denied${port < 1024 ? ' (ports below 1024 need privileges)' : ''}`, 'permission_denied', host, port, options)
    case 'EADDRNOTAVAIL':
      return new ListenError(`${at}: address not available on this machine`, 'address_not_available', host, port, options)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new ListenError(`${at}: unknown host ${host}`, 'unknown_host', host, port, options)
    case 'ERR_SOCKET_BAD_PORT':
      return new ListenError(`${at}: the port must be an integer from 0 to 65535`, 'invalid_port', host, port, options)
  }
  return new ListenError(`${at}: ${message}`, 'other', host, port, options)
}

/**
 * Answers a request Node's HTTP parser refuses (a URL or headers over its 16 KiB limit, such as
 * a long `?q=`; malformed HTTP) in Elasticsearch's error shape, then closes the connection.
 * Node's own answer has no body, and for a request line of 100 KB the client often saw only a reset.
 */
function answerMalformed(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy()
    return
  }
  const [status, text, reason] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', `the request line and headers are larger than ${maxHeaderSize} bytes (send a long query in the body of a POST)`]
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request was not received in time']
      : [400, 'Bad Request', `malformed HTTP request (${error.code ?? 'parse error'})`]
  const body = JSON.stringify(errorBody(new HttpError(status, status === 431 ? 'too_long_http_line_exception' : 'http_exception', reason)))
  // The answer to a HEAD has no body (a client would read one as garbage after the headers).
  const raw = (error as { rawPacket?: unknown }).rawPacket
  const head = Buffer.isBuffer(raw) && raw.subarray(0, 5).toString('latin1') === 'HEAD '
  const headers = `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`
  socket.end(head ? headers : headers + body)
}

/**
 * Starts the server; resolves once it listens.
 * @throws ListenError when it cannot listen (port in use, address not local, ...)
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const registry = new IndexRegistry(options.dataDir)
  await registry.names()
  const app = createApp(registry, options)
  const host = options.host ?? '127.0.0.1'
  const requestedPort = options.port ?? OPENSEARCH_PORT
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const fail = (error: unknown) => reject(listenError(error, host, requestedPort))
    try {
      const started = serve({ fetch: app.fetch, hostname: host, port: requestedPort }, () => {
        started.off('error', fail)
        resolve(started)
      })
      started.once('error', fail)
    } catch (error) {
      fail(error)
    }
  }).catch(async (error: unknown) => {
    await registry.closeAll()
    throw error
  })
  server.on('clientError', answerMalformed)
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    registry,
    close() {
      // Open scrolls and PITs hold readers, which closeAll() waits for: free them first.
      closing ??= new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
        .finally(() => {
          readerContexts(registry).freeAll()
          return registry.closeAll()
        })
      return closing
    },
  }
}
