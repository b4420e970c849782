/**
 * The analyzers of one index: Elasticsearch's built-in ones plus those declared in
 * `settings.analysis`, by name.
 *
 * Names: a declared analyzer may take a built-in's name and then replaces it for this index, as in
 * Elasticsearch. `default` is the index's default analyzer: the declared `default`, else
 * `standard` (the built-in one, even where `standard` is redeclared). `default_search` is the
 * declared `default_search`, else `default`. Both always resolve; neither is in BUILT_IN_ANALYZERS.
 *
 * Position increment gaps: Elasticsearch gives every analyzer a gap of 100 between the values of a
 * multi-valued field, except a custom analyzer, which may set its own `position_increment_gap`.
 * @module
 */
import { analyzeEnglishStream } from '../encode/english-analyzer.js'
import { letterTokenizer, keywordTokenizer, whitespaceTokenizer } from './char-tokenizers.js'
import {
  BUILT_IN_FILTERS, BUILT_IN_TOKENIZERS, declaredCharFilter, declaredFilter, declaredTokenizer, KNOWN_CHAR_FILTERS, readMaxTokenLength,
} from './components.js'
import { type ComponentKind, Declaration, ENGLISH, fail, isObject, MAX_INT, readStopwords } from './params.js'
import { standardTokenizer } from './standard-tokenizer.js'
import { lowercaseFilter, stopFilter } from './token-filters.js'
import { type Analyzer, type AnalyzerRegistry, chain, DEFAULT_POSITION_INCREMENT_GAP, type TokenFilter, type Tokenizer } from './types.js'

const BUILT_INS: ReadonlyMap<string, Analyzer> = new Map([
  ['standard', chain(standardTokenizer(), [lowercaseFilter])],
  ['simple', chain(letterTokenizer(), [lowercaseFilter])],
  ['whitespace', chain(whitespaceTokenizer(), [])],
  ['keyword', chain(keywordTokenizer, [])],
  ['stop', chain(letterTokenizer(), [lowercaseFilter, stopFilter(ENGLISH, false)])],
  ['english', analyzeEnglishStream],
])

/** The built-in analyzer names. */
export const BUILT_IN_ANALYZERS: readonly string[] = Object.freeze([...BUILT_INS.keys()])

const SECTIONS: readonly ComponentKind[] = ['analyzer', 'tokenizer', 'filter', 'char_filter']

/**
 * Builds the registry from an index's `settings.analysis` object.
 * @param analysis - Elasticsearch's shape `{analyzer, tokenizer, filter, char_filter}`, each a map
 *   of name -> declaration; undefined (or null) = built-ins only. Every declared component is
 *   checked, used or not.
 * @throws LsrError('invalid_argument') naming the offending analyzer, tokenizer, filter or parameter
 * @example
 * const analyzers = buildAnalyzers({
 *   analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } },
 * })
 * analyzers.get('folded')?.('Crème Brûlée').tokens // ['creme', 'brulee']
 */
export function buildAnalyzers(analysis: unknown): AnalyzerRegistry {
  const sections = readSections(analysis)
  const declare = (kind: ComponentKind) => Object.entries(sections[kind]).map(([name, value]) => Declaration.of(kind, name, value))
  for (const declaration of declare('char_filter')) declaredCharFilter(declaration)
  const tokenizers = new Map(declare('tokenizer').map((d) => [d.name, declaredTokenizer(d)]))
  const filters = new Map(declare('filter').map((d) => [d.name, declaredFilter(d)]))

  const analyzers = new Map(BUILT_INS)
  // Only custom analyzers have a gap of their own.
  const gaps = new Map<string, number>()
  for (const declaration of declare('analyzer')) {
    if (declaration.name.startsWith('_')) fail(`analyzer name must not start with '_'. got "${declaration.name}"`)
    const { analyzer, positionIncrementGap } = declaredAnalyzer(declaration, tokenizers, filters)
    analyzers.set(declaration.name, analyzer)
    if (positionIncrementGap !== undefined) gaps.set(declaration.name, positionIncrementGap)
  }
  if (sections.analyzer.default === undefined) analyzers.set('default', BUILT_INS.get('standard')!)
  if (sections.analyzer.default_search === undefined) {
    analyzers.set('default_search', analyzers.get('default')!)
    if (gaps.has('default')) gaps.set('default_search', gaps.get('default')!)
  }
  return {
    get: (name) => analyzers.get(name),
    has: (name) => analyzers.has(name),
    positionIncrementGap: (name) => gaps.get(name) ?? DEFAULT_POSITION_INCREMENT_GAP,
    tokenizer: (name) => tokenizers.get(name) ?? BUILT_IN_TOKENIZERS.get(name),
    filter: (name) => filters.get(name) ?? BUILT_IN_FILTERS.get(name),
  }
}

/** The four sections, each an object (empty when absent). */
function readSections(analysis: unknown): Record<ComponentKind, Record<string, unknown>> {
  const sections: Record<ComponentKind, Record<string, unknown>> = { analyzer: {}, tokenizer: {}, filter: {}, char_filter: {} }
  if (analysis === undefined || analysis === null) return sections
  if (!isObject(analysis)) fail(`settings.analysis must be an object, got ${JSON.stringify(analysis)}`)
  for (const [key, value] of Object.entries(analysis)) {
    if (!(SECTIONS as readonly string[]).includes(key)) fail(`unsupported key [${key}] in settings.analysis (supported: ${SECTIONS.join(', ')})`)
    if (!isObject(value)) fail(`settings.analysis.${key} must be an object, got ${JSON.stringify(value)}`)
    sections[key as ComponentKind] = value
  }
  return sections
}

/** One analyzer declared in `settings.analysis.analyzer`, and its gap when it sets one. */
interface DeclaredAnalyzer {
  analyzer: Analyzer
  positionIncrementGap?: number
}

/** Builds one analyzer declared in `settings.analysis.analyzer`. */
function declaredAnalyzer(declaration: Declaration, tokenizers: ReadonlyMap<string, Tokenizer>, filters: ReadonlyMap<string, TokenFilter>): DeclaredAnalyzer {
  // Elasticsearch takes an analyzer with a tokenizer and no type as custom.
  const type = declaration.type ?? (declaration.settings.tokenizer !== undefined ? 'custom' : undefined)
  if (type === 'custom') return customAnalyzer(declaration, tokenizers, filters)
  return { analyzer: builtInTypeAnalyzer(declaration, type) }
}

/** An analyzer of a built-in type, with its parameters. */
function builtInTypeAnalyzer(declaration: Declaration, type: string | undefined): Analyzer {
  switch (type) {
    case 'standard': {
      declaration.only(['stopwords', 'stopwords_case', 'max_token_length'], ['stopwords_path'])
      const stopwords = readStopwords(declaration, [])
      const tokenizer = standardTokenizer(readMaxTokenLength(declaration))
      const ignoreCase = declaration.bool('stopwords_case', false)
      return chain(tokenizer, stopwords.length > 0 ? [lowercaseFilter, stopFilter(stopwords, ignoreCase)] : [lowercaseFilter])
    }
    case 'stop': {
      declaration.only(['stopwords', 'stopwords_case'], ['stopwords_path'])
      const stop = stopFilter(readStopwords(declaration, ENGLISH), declaration.bool('stopwords_case', false))
      return chain(letterTokenizer(), [lowercaseFilter, stop])
    }
    case 'simple':
    case 'whitespace':
    case 'keyword':
      declaration.only([])
      return BUILT_INS.get(type)!
    case 'english':
      declaration.only([], ['stopwords', 'stopwords_path', 'stem_exclusion'])
      return analyzeEnglishStream
    case undefined:
      return fail(`${declaration.label} must specify either an analyzer type, or a tokenizer`)
    default:
      return fail(`Unknown analyzer type [${type}] for [${declaration.name}] (supported: custom, ${BUILT_IN_ANALYZERS.join(', ')})`)
  }
}

/** `type: custom`: a tokenizer, then token filters in order; messages as Elasticsearch words them. */
function customAnalyzer(declaration: Declaration, tokenizers: ReadonlyMap<string, Tokenizer>, filters: ReadonlyMap<string, TokenFilter>): DeclaredAnalyzer {
  declaration.only(['tokenizer', 'filter', 'char_filter', 'position_increment_gap', 'offset_gap'])
  const positionIncrementGap = declaration.int('position_increment_gap', DEFAULT_POSITION_INCREMENT_GAP, 0, MAX_INT)
  // Offsets are not kept (highlighting re-analyzes the stored text): the offset gap is checked and otherwise ignored.
  declaration.int('offset_gap', -1, -1, MAX_INT)
  const name = declaration.name
  const tokenizerName = declaration.string('tokenizer')
  if (tokenizerName === undefined) fail(`Custom Analyzer [${name}] must be configured with a tokenizer`)
  const tokenizer = tokenizers.get(tokenizerName) ?? BUILT_IN_TOKENIZERS.get(tokenizerName)
  if (tokenizer === undefined) fail(`Custom Analyzer [${name}] failed to find tokenizer under name [${tokenizerName}]`)
  for (const charFilter of declaration.list('char_filter')) {
    if (KNOWN_CHAR_FILTERS.includes(charFilter)) fail(`char_filter [${charFilter}] of Custom Analyzer [${name}] is not supported`)
    fail(`Custom Analyzer [${name}] failed to find char_filter under name [${charFilter}]`)
  }
  const chainFilters = declaration.list('filter').map((filterName) => {
    const filter = filters.get(filterName) ?? BUILT_IN_FILTERS.get(filterName)
    if (filter === undefined) fail(`Custom Analyzer [${name}] failed to find filter under name [${filterName}]`)
    return filter
  })
  return { analyzer: chain(tokenizer, chainFilters), positionIncrementGap }
}
