/**
 * Index names, validated as Elasticsearch validates them (plus control characters, which no file
 * system or terminal should see), so that a name can never address a path outside the data
 * directory; and index expressions (`a,b`, `logs-*`, `_all`).
 * @module
 */
import { badRequest } from './http-error.js'

const FORBIDDEN = /[\\/*?"<>|\s,#:]/
// C0, DEL and C1 (U+0080-U+009F, e.g. U+0085 NEXT LINE): no file system or terminal shows them plainly.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const MAX_BYTES = 255

/** Why `name` is not a valid index name, or undefined when it is one. */
export function indexNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty'
  if (CONTROL.test(name)) return 'must not contain control characters'
  if (name !== name.toLowerCase()) return 'must be lowercase'
  if (name === '.' || name === '..') return 'must not be "." or ".."'
  if (/^[-_+]/.test(name)) return 'must not start with "_", "-" or "+"'
  if (FORBIDDEN.test(name)) return 'must not contain \\, /, *, ?, ", <, >, |, whitespace, ",", "#" or ":"'
  if (Buffer.byteLength(name) > MAX_BYTES) return `is longer than ${MAX_BYTES} bytes`
  return undefined
}

/**
 * @throws HttpError 400 `invalid_index_name_exception` naming the rule broken
 */
export function validateIndexName(name: string): string {
  const problem = indexNameProblem(name)
  if (problem) throw badRequest(`Invalid index name [${name}], ${problem}`, 'invalid_index_name_exception')
  return name
}

/** One part of an index expression: `_all` and `*` patterns match many indexes, a name one. */
export const isPattern = (part: string): boolean => part === '_all' || part.includes('*')

/** True when an expression can match indexes it does not name (Elasticsearch's destructive_requires_name). */
const namesIndexesByPattern = (expression: string): boolean => expression.split(',').some(isPattern)

/**
 * Refuses deleting by wildcard or `_all` unless the server allows it (Elasticsearch 8's
 * `action.destructive_requires_name`).
 */
export function refuseDestructive(expression: string, allowDestructive: boolean): void {
  if (!allowDestructive && namesIndexesByPattern(expression)) {
    throw badRequest(`Wildcard expressions or all indices are not allowed: [${expression}] (name the indexes, or start the server with --allow-destructive)`)
  }
}
