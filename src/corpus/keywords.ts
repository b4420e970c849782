/**
 * Keyword metadata of a document: every scalar leaf of its source (dotted paths for nested
 * objects, each element of arrays) other than the id, title and text fields, as exact-match
 * values for `term`/`terms` filters. Like Elasticsearch's dynamic `keyword` sub-fields, strings
 * longer than 256 characters are not indexed.
 * @module
 */

const MAX_KEYWORD_LENGTH = 256
const MAX_DEPTH = 4

/** The term under which the index stores a keyword; `\0` never occurs in analyzed text. */
export function keywordTerm(field: string, value: string): string {
  return `\u0000${field}\u0000${value}`
}

/** Normalizes a filter value the way {@link keywordsOf} stores it; undefined if not a scalar. */
export function keywordValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length <= MAX_KEYWORD_LENGTH ? value : undefined
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return String(value)
  return undefined
}

/** `[path, value]` pairs of a source, skipping the named top-level fields. */
export function keywordsOf(source: Record<string, unknown>, skip: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  const visit = (value: unknown, path: string, depth: number) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, path, depth)
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_DEPTH) return
      for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key, depth + 1)
    } else {
      const normalized = keywordValue(value)
      if (normalized !== undefined) pairs.push([path, normalized])
    }
  }
  for (const [key, value] of Object.entries(source)) if (!skip.includes(key)) visit(value, key, 1)
  return pairs
}
