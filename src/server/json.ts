/**
 * The JSON shapes request handlers pass around, JSON parsing with a nesting limit, and
 * Elasticsearch's `*` wildcard patterns matched in linear time.
 * @module
 */
export { isObject, type Json } from '../engine/json-shapes.js'
import { badRequest, parsingError } from './http-error.js'

/**
 * Deepest accepted nesting of objects and arrays in a request body or bulk line: Jackson's
 * default (`StreamReadConstraints.DEFAULT_MAX_DEPTH`), which Elasticsearch parses with. Deeper
 * values would overflow the stack of recursive code that walks them (JSON.stringify, keywords).
 */
export const MAX_JSON_DEPTH = 1000

/** True when `text` nests objects/arrays deeper than `limit`: one pass, no recursion. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/**
 * Parses JSON text, refusing nesting deeper than {@link MAX_JSON_DEPTH}.
 * @param what - what the text is, for messages ("request body", "line [3]")
 * @throws HttpError 400 `parsing_exception` naming `what`
 */
export function parseJson(text: string, what: string): unknown {
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw parsingError(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep`)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw parsingError(`${what} is not valid JSON: ${(error as Error).message}`)
  }
}

/** Longest accepted `*` pattern (an index expression part, a `_source` pattern), in characters. */
export const MAX_PATTERN_LENGTH = 1000

/**
 * A `*` wildcard pattern (index expressions, `_source` paths) as a matcher. No regular expression:
 * the first and last segments are anchored, the middle ones found left to right with indexOf
 * (taking each at its leftmost place is always right when `*` is the only wildcard), so matching
 * is O(pattern × text) however many stars there are.
 * @param what - the parameter the pattern came from, named when it is too long
 * @throws HttpError 400 when the pattern is longer than {@link MAX_PATTERN_LENGTH}
 */
export function wildcardMatcher(glob: string, what: string): (text: string) => boolean {
  if (glob.length > MAX_PATTERN_LENGTH) throw badRequest(`[${what}] pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  const segments = glob.split('*')
  if (segments.length === 1) return (text) => text === glob
  const first = segments[0]
  const last = segments[segments.length - 1]
  const middle = segments.slice(1, -1).filter((s) => s !== '')
  return (text) => {
    if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false
    let at = first.length
    const end = text.length - last.length
    for (const segment of middle) {
      const found = text.indexOf(segment, at)
      if (found < 0 || found + segment.length > end) return false
      at = found + segment.length
    }
    return true
  }
}
