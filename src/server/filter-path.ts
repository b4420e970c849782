/**
 * `?filter_path=`: Elasticsearch's response filtering. A comma-separated list of dotted paths;
 * `*` matches within one name, `**` any number of levels; a leading `-` excludes. Arrays are
 * transparent (a path applies to each element); objects and arrays left empty are dropped.
 * Example: `filter_path=hits.hits._id,hits.hits._source` (the OpenSearch client's search helper).
 * @module
 */
import { badRequest } from './http-error.js'
import { isObject, wildcardMatcher } from './json.js'

interface Pattern {
  parts: ReadonlyArray<string>
  matchers: ReadonlyArray<((name: string) => boolean) | '**'>
}

/** A state: pattern `pattern` has matched its first `at` parts. */
type State = { pattern: Pattern; at: number }

const MAX_PATTERNS = 100

function compile(path: string): Pattern {
  const parts = path.split('.')
  if (parts.some((part) => part === '')) throw badRequest(`[filter_path] has an empty name in [${path}]`)
  return { parts, matchers: parts.map((part) => (part === '**' ? '**' : wildcardMatcher(part, 'filter_path'))) }
}

/** The states after descending into the member `name`. */
function advance(states: readonly State[], name: string): State[] {
  const next: State[] = []
  const add = (pattern: Pattern, at: number) => {
    // A '**' may also match nothing: skip past it.
    next.push({ pattern, at })
    if (pattern.matchers[at] === '**') add(pattern, at + 1)
  }
  for (const { pattern, at } of states) {
    const matcher = pattern.matchers[at]
    if (matcher === undefined) continue
    if (matcher === '**') {
      add(pattern, at) // '**' takes this name and stays
      continue
    }
    if (matcher(name)) add(pattern, at + 1)
  }
  return next
}

const complete = (states: readonly State[]) => states.some(({ pattern, at }) => at === pattern.parts.length)
const start = (patterns: readonly Pattern[]): State[] => patterns.flatMap((pattern) => (pattern.matchers[0] === '**' ? [{ pattern, at: 0 }, { pattern, at: 1 }] : [{ pattern, at: 0 }]))

/**
 * Parses a `filter_path` parameter (a 400 when malformed) into the filter of a JSON response body.
 */
export function filterPath(parameter: string): (body: unknown) => unknown {
  const paths = parameter.split(',').map((p) => p.trim()).filter((p) => p !== '')
  if (paths.length > MAX_PATTERNS) throw badRequest(`[filter_path] has more than ${MAX_PATTERNS} paths`)
  const includes = paths.filter((p) => !p.startsWith('-')).map(compile)
  const excludes = paths.filter((p) => p.startsWith('-')).map((p) => compile(p.slice(1)))
  const keepAll = includes.length === 0
  const visit = (value: unknown, inc: State[], exc: State[], included: boolean): unknown => {
    if (Array.isArray(value)) {
      const items = value.map((item) => visit(item, inc, exc, included)).filter((item) => item !== undefined)
      return items.length > 0 || included ? items : undefined
    }
    if (!isObject(value)) return included ? value : undefined
    const out: Record<string, unknown> = {}
    for (const [name, child] of Object.entries(value)) {
      const childExc = advance(exc, name)
      if (complete(childExc)) continue
      const childInc = included ? [] : advance(inc, name)
      const childIncluded = included || complete(childInc)
      if (!childIncluded && childInc.length === 0) continue
      const kept = visit(child, childInc, childExc, childIncluded)
      if (kept !== undefined) out[name] = kept
    }
    return Object.keys(out).length > 0 || included ? out : undefined
  }
  return (body) => visit(body, start(includes), start(excludes), keepAll) ?? {}
}
