/**
 * `_source` filtering as Elasticsearch does it: `true`/`false`, a pattern or a list of patterns,
 * or `{includes, excludes}`; patterns are dotted paths with `*` wildcards.
 * @module
 */
import { parsingError } from './http-error.js'
import { isObject, wildcardMatcher, type Json } from './json.js'

export type SourceFilter = (source: Record<string, unknown>) => Record<string, unknown> | undefined

function strings(value: unknown, what: string): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  if (!list.every((s) => typeof s === 'string')) throw parsingError(`${what} must be a string or an array of strings`)
  return list as string[]
}

/** `{includes, excludes}` (or Elasticsearch's older `include`, `exclude`). */
function includesExcludes(spec: Json): { includes: string[]; excludes: string[] } {
  for (const key of Object.keys(spec)) {
    if (!['includes', 'excludes', 'include', 'exclude'].includes(key)) throw parsingError(`[_source.${key}] is not supported (only includes and excludes)`)
  }
  return {
    includes: strings(spec.includes ?? spec.include, '_source.includes'),
    excludes: strings(spec.excludes ?? spec.exclude, '_source.excludes'),
  }
}

/** Parses the `_source` option of a search or get. */
export function sourceFilter(spec: unknown): SourceFilter {
  if (spec === undefined || spec === true || spec === 'true') return (source) => source
  if (spec === false || spec === 'false') return () => undefined
  const { includes, excludes } = isObject(spec) ? includesExcludes(spec) : { includes: strings(spec, '_source'), excludes: [] }
  const include = includes.map((glob) => wildcardMatcher(glob, '_source'))
  const exclude = excludes.map((glob) => wildcardMatcher(glob, '_source'))
  const excluded = (path: string) => exclude.some((matches) => matches(path))
  const keep = (path: string) => (include.length === 0 || include.some((matches) => matches(path))) && !excluded(path)
  const isPrefixOfInclude = (path: string) => include.length === 0 || includes.some((glob) => glob.startsWith(`${path}.`) || glob.includes('*'))
  const filter = (object: Record<string, unknown>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${key}` : key
      if (keep(path)) out[key] = value
      else if (value && typeof value === 'object' && !Array.isArray(value) && isPrefixOfInclude(path) && !excluded(path)) {
        const nested = filter(value as Record<string, unknown>, path)
        if (Object.keys(nested).length > 0) out[key] = nested
      }
    }
    return out
  }
  return (source) => filter(source, '')
}
