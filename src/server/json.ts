/**
 * The JSON shapes request handlers pass around, JSON parsing with a nesting limit, and
 * Elasticsearch's `*` wildcard patterns matched in linear time.
 * @module
 */
export { isObject, type Json } from '../engine/json-shapes.js'
import { globMatcher, MAX_PATTERN_LENGTH } from '../engine/glob.js'
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

export { MAX_PATTERN_LENGTH } from '../engine/glob.js'

/**
 * A `*` wildcard pattern (index expressions, `_source` paths) as a matcher, in linear time (see
 * globMatcher).
 * @param what - the parameter the pattern came from, named when it is too long
 * @throws HttpError 400 when the pattern is longer than {@link MAX_PATTERN_LENGTH}
 */
export function wildcardMatcher(glob: string, what: string): (text: string) => boolean {
  if (glob.length > MAX_PATTERN_LENGTH) throw badRequest(`[${what}] pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  return globMatcher(glob)
}
