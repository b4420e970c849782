/**
 * An analyzer built for one `_analyze` request from its `tokenizer`, `filter` and `char_filter`
 * (Elasticsearch's transient custom analyzer): each component by name (an index's declared one,
 * else a built-in one) or inline as a declaration object (`{"type": "stop", "stopwords": [...]}`).
 * Filters without a tokenizer make a normalizer (the keyword tokenizer), as in Elasticsearch.
 * @module
 */
import { declaredFilter, declaredTokenizer, KNOWN_CHAR_FILTERS } from './components.js'
import { keywordTokenizer } from './char-tokenizers.js'
import { Declaration, fail, isObject } from './params.js'
import { type Analyzer, type AnalyzerRegistry, chain, type TokenFilter, type Tokenizer } from './types.js'

/** The components an `_analyze` request names. */
export interface TransientSpec {
  tokenizer?: unknown
  filter?: unknown
  char_filter?: unknown
}

/**
 * Builds the request's analyzer.
 * @param registry - the index's analyzers (its declared tokenizers and filters), or the built-ins
 * @param global - true without an index: messages say "global", as Elasticsearch's do
 * @throws LsrError('invalid_argument') naming a component that is unknown, malformed, or a char filter (lsr has none)
 * @example transientAnalyzer({ tokenizer: 'whitespace', filter: ['lowercase'] }, buildAnalyzers(undefined), true)('A B').tokens // ['a', 'b']
 */
export function transientAnalyzer(spec: TransientSpec, registry: AnalyzerRegistry, global: boolean): Analyzer {
  const scope = global ? 'global ' : ''
  for (const [i, charFilter] of listOf(spec.char_filter, 'char_filter').entries()) {
    const name = typeof charFilter === 'string' ? charFilter : isObject(charFilter) ? String(charFilter.type) : JSON.stringify(charFilter)
    if (KNOWN_CHAR_FILTERS.includes(name)) fail(`char_filter [${name}] is not supported: lsr implements no char filters`)
    if (typeof charFilter === 'string') fail(`failed to find ${scope}char_filter under [${charFilter}]`)
    fail(`char_filter [${i}] of type [${name}] is not supported: lsr implements no char filters`)
  }
  let tokenizer: Tokenizer = keywordTokenizer
  if (spec.tokenizer !== undefined) {
    const value = spec.tokenizer
    if (typeof value === 'string') {
      const found = registry.tokenizer(value)
      if (!found) fail(`failed to find ${scope}tokenizer under [${value}]`)
      tokenizer = found
    } else if (isObject(value)) {
      tokenizer = declaredTokenizer(Declaration.of('tokenizer', '_anonymous_tokenizer', value))
    } else {
      fail(`[tokenizer] must be a name or an object, got ${JSON.stringify(value)}`)
    }
  }
  const filters = listOf(spec.filter, 'filter').map((value, i): TokenFilter => {
    if (typeof value === 'string') {
      const found = registry.filter(value)
      if (!found) fail(`failed to find ${scope}filter under [${value}]`)
      return found
    }
    if (isObject(value)) return declaredFilter(Declaration.of('filter', `_anonymous_tokenfilter_${i}`, value))
    return fail(`[filter] entries must be names or objects, got ${JSON.stringify(value)}`)
  })
  return chain(tokenizer, filters)
}

/** A component list: an array, or one entry. */
function listOf(value: unknown, key: string): unknown[] {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value
  if (typeof value === 'string' || isObject(value)) return [value]
  return fail(`[${key}] must be a name, an object or an array of them, got ${JSON.stringify(value)}`)
}
