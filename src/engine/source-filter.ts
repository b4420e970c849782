/**
 * `_source` filtering as Elasticsearch does it: `true`/`false`, a pattern or a list of patterns,
 * or `{includes, excludes}`; patterns are dotted paths with `*` wildcards.
 * @module
 */
import { LsrError } from '../errors.js'
import { globMatcher, MAX_PATTERN_LENGTH } from './glob.js'
import { isObject, type Json } from './json-shapes.js'

const parsingError = (message: string) => new LsrError('query_parsing', message)

function wildcardMatcher(glob: string, what: string): (text: string) => boolean {
  if (glob.length > MAX_PATTERN_LENGTH) throw new LsrError('invalid_argument', `[${what}] pattern is longer than ${MAX_PATTERN_LENGTH} characters`)
  return globMatcher(glob)
}

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
  const isPrefixOfInclude = (path: string) => include.length === 0 || includes.some((glob) => glob.startsWith(`${path}.`) || glob.includes('*'))
  /**
   * The fields of `object` (at `prefix`) kept; `included` when an ancestor matched an include.
   * An included object is kept whole unless excludes can name something inside it (`includes:
   * [meta], excludes: [meta.isbn]` keeps meta without its isbn, as Elasticsearch does); objects
   * inside arrays are filtered as objects at the array's path.
   */
  const filter = (object: Record<string, unknown>, prefix: string, included: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${key}` : key
      if (excluded(path)) continue
      const inside = included || include.length === 0 || include.some((matches) => matches(path))
      const descend = inside ? exclude.length > 0 : isPrefixOfInclude(path)
      if (isObject(value) && descend) {
        const nested = filter(value, path, inside)
        if (inside || Object.keys(nested).length > 0) out[key] = nested
      } else if (Array.isArray(value) && descend) {
        const items = value.flatMap((item) => {
          if (!isObject(item)) return inside ? [item] : []
          const nested = filter(item, path, inside)
          return inside || Object.keys(nested).length > 0 ? [nested] : []
        })
        if (inside || items.length > 0) out[key] = items
      } else if (inside) out[key] = value
    }
    return out
  }
  return (source) => filter(source, '', false)
}
