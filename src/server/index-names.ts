/**
 * Index names, validated as Elasticsearch validates them, so that a name can never address a
 * path outside the data directory.
 * @module
 */
import { badRequest } from './http-error.js'

const FORBIDDEN = /[\\/*?"<>|\s,#:]/
const MAX_BYTES = 255

/**
 * @throws HttpError 400 `invalid_index_name_exception` naming the rule broken
 */
export function validateIndexName(name: string): string {
  const fail = (why: string) => badRequest(`Invalid index name [${name}], ${why}`, 'invalid_index_name_exception')
  if (name.length === 0) throw fail('must not be empty')
  if (name !== name.toLowerCase()) throw fail('must be lowercase')
  if (name === '.' || name === '..') throw fail('must not be "." or ".."')
  if (/^[-_+]/.test(name)) throw fail('must not start with "_", "-" or "+"')
  if (FORBIDDEN.test(name)) throw fail('must not contain \\, /, *, ?, ", <, >, |, whitespace, ",", "#" or ":"')
  if (Buffer.byteLength(name) > MAX_BYTES) throw fail(`is longer than ${MAX_BYTES} bytes`)
  return name
}
