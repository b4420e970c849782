/**
 * Request bodies bounded by `--max-body`: the app's middleware refusing larger ones up front, and
 * bodies read from the socket (the app's GET bodies, which the Fetch API does not give, and every
 * body the upstream proxy may rewrite).
 * @module
 */
import type { HttpBindings } from '@hono/node-server'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { errorBody, HttpError } from './http-error.js'

/** Elasticsearch's 413, for a body over `--max-body` whichever way it came. */
export const bodyTooLarge = (maxBytes: number) => new HttpError(413, 'content_too_long_exception', `request body is larger than ${maxBytes} bytes`)

/** Every chunk of a body stream, refused with a 413 as soon as they pass `maxBytes`. */
export async function readBounded(stream: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size > maxBytes) throw bodyTooLarge(maxBytes)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * Refuses a body over `maxBytes` with a 413 before any route reads it. A body of declared length
 * is judged by its Content-Length from the socket's headers; only a chunked body (or a request
 * not from a socket) goes through Hono's bodyLimit, which asks the Fetch request for its body
 * stream: that makes the Node adapter build a full web Request for the request, which cost about
 * a tenth of the server's time on every request, bodiless ones included.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<{ Bindings: Partial<HttpBindings> }> {
  const tooLarge = (c: Context) => c.json(errorBody(bodyTooLarge(maxBytes)), 413)
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return (c, next) => {
    const headers = c.env?.incoming?.headers
    if (!headers || headers['transfer-encoding'] !== undefined) return streamed(c, next)
    const length = headers['content-length']
    // As Hono's bodyLimit reads it; no length and no chunking is no body (HTTP/1.1).
    return length !== undefined && parseInt(length, 10) > maxBytes ? Promise.resolve(tooLarge(c)) : next()
  }
}
