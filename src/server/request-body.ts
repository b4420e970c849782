/**
 * Request bodies read from the socket, bounded by `--max-body`: the app reads GET bodies this way
 * (the Fetch API gives GET none) and the upstream proxy every body it may rewrite.
 * @module
 */
import { HttpError } from './http-error.js'

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
