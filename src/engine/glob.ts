/**
 * Elasticsearch's `*` wildcard patterns (field patterns of queries, index expressions, `_source`
 * paths) as matchers, shared by the query compiler and the server.
 * @module
 */

/** Longest accepted `*` pattern (an index expression part, a `_source` path, a query's field pattern), in characters. */
export const MAX_PATTERN_LENGTH = 1000

/**
 * A `*` pattern as a matcher. No regular expression: the first and last segments are anchored,
 * the middle ones found left to right with indexOf (taking each at its leftmost place is always
 * right when `*` is the only wildcard), so matching is O(pattern × text) however many stars there
 * are. Callers bound the pattern's length.
 */
export function globMatcher(glob: string): (text: string) => boolean {
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
