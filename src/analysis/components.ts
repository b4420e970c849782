/**
 * The tokenizers and token filters an analyzer can name: built in, or declared in
 * `settings.analysis.tokenizer` / `.filter` with a `type` and parameters. Char filters are not
 * implemented; naming one is an error.
 * @module
 */
import { DEFAULT_MAX_TOKEN_LENGTH, keywordTokenizer, letterTokenizer, MAX_TOKEN_LENGTH_LIMIT, whitespaceTokenizer } from './char-tokenizers.js'
import { asciiFoldingFilter } from './ascii-folding.js'
import { type Declaration, ENGLISH, fail, MAX_INT, readStopwords } from './params.js'
import { standardTokenizer } from './standard-tokenizer.js'
import {
  javaLowerCase, lengthFilter, lowercaseFilter, minimalEnglishStemFilter, porterStemFilter, possessiveEnglishFilter, stopFilter, trimFilter, uniqueFilter,
} from './token-filters.js'
import type { TokenFilter, Tokenizer } from './types.js'

/** LowerCaseTokenizer: letter runs, lowercased. */
const lowercaseTokenizer = (maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): Tokenizer => {
  const letters = letterTokenizer(maxTokenLength)
  return (text, attributes) => letters(text, attributes).map(javaLowerCase)
}

/** Tokenizers by built-in name. */
export const BUILT_IN_TOKENIZERS: ReadonlyMap<string, Tokenizer> = new Map([
  ['standard', standardTokenizer()],
  ['letter', letterTokenizer()],
  ['lowercase', lowercaseTokenizer()],
  ['whitespace', whitespaceTokenizer()],
  ['keyword', keywordTokenizer],
])

/** Token filters by built-in name (`stemmer` alone is Porter, Elasticsearch's default language). */
export const BUILT_IN_FILTERS: ReadonlyMap<string, TokenFilter> = new Map([
  ['lowercase', lowercaseFilter],
  ['stop', stopFilter(ENGLISH, false)],
  ['porter_stem', porterStemFilter],
  ['stemmer', porterStemFilter],
  ['asciifolding', asciiFoldingFilter(false)],
  ['trim', trimFilter],
  ['unique', uniqueFilter(false)],
  ['length', lengthFilter(0, MAX_INT)],
])

/** Char filters Elasticsearch has built in; lsr implements none of them. */
export const KNOWN_CHAR_FILTERS: readonly string[] = ['html_strip', 'mapping', 'pattern_replace']

/** The `max_token_length` parameter, in Lucene's bounds. */
export function readMaxTokenLength(declaration: Declaration): number {
  return declaration.int('max_token_length', DEFAULT_MAX_TOKEN_LENGTH, 1, MAX_TOKEN_LENGTH_LIMIT)
}

/** Builds a tokenizer declared in `settings.analysis.tokenizer`. */
export function declaredTokenizer(declaration: Declaration): Tokenizer {
  switch (declaration.type) {
    case 'standard':
      declaration.only(['max_token_length'])
      return standardTokenizer(readMaxTokenLength(declaration))
    case 'whitespace':
      declaration.only(['max_token_length'])
      return whitespaceTokenizer(readMaxTokenLength(declaration))
    case 'letter':
      declaration.only([])
      return letterTokenizer()
    case 'lowercase':
      declaration.only([])
      return lowercaseTokenizer()
    case 'keyword':
      // buffer_size is Lucene's initial read buffer: it never limits the token.
      declaration.only(['buffer_size'])
      declaration.int('buffer_size', 256, 1, MAX_INT)
      return keywordTokenizer
    default:
      return unknownType(declaration, [...BUILT_IN_TOKENIZERS.keys()])
  }
}

/** `stemmer` languages (compared lowercased, as Elasticsearch does) -> filter. */
const STEMMERS: ReadonlyMap<string, TokenFilter> = new Map([
  ['english', porterStemFilter],
  ['porter', porterStemFilter],
  ['minimal_english', minimalEnglishStemFilter],
  ['minimalenglish', minimalEnglishStemFilter],
  ['possessive_english', possessiveEnglishFilter],
  ['possessiveenglish', possessiveEnglishFilter],
])

/** Builds a token filter declared in `settings.analysis.filter`. */
export function declaredFilter(declaration: Declaration): TokenFilter {
  switch (declaration.type) {
    case 'lowercase':
      declaration.only([], ['language'])
      return lowercaseFilter
    case 'stop': {
      declaration.only(['stopwords', 'ignore_case', 'remove_trailing'], ['stopwords_path'])
      // remove_trailing only matters to suggesters, which lsr does not have.
      declaration.bool('remove_trailing', true)
      return stopFilter(readStopwords(declaration, ENGLISH), declaration.bool('ignore_case', false))
    }
    case 'porter_stem':
      declaration.only([])
      return porterStemFilter
    case 'stemmer': {
      declaration.only(['language', 'name'])
      const language = declaration.string('language') ?? declaration.string('name') ?? 'porter'
      const filter = STEMMERS.get(language.toLowerCase())
      if (filter === undefined) fail(`stemmer language [${language}] of ${declaration.label} is not supported: use english, porter, minimal_english or possessive_english`)
      return filter
    }
    case 'asciifolding':
      declaration.only(['preserve_original'])
      return asciiFoldingFilter(declaration.bool('preserve_original', false))
    case 'trim':
      declaration.only([])
      return trimFilter
    case 'unique':
      declaration.only(['only_on_same_position'])
      return uniqueFilter(declaration.bool('only_on_same_position', false))
    case 'length': {
      declaration.only(['min', 'max'])
      const min = declaration.int('min', 0, 0, MAX_INT)
      const max = declaration.int('max', MAX_INT, 0, MAX_INT)
      if (min > max) fail(`[min] of ${declaration.label} must not exceed [max], got min ${min} and max ${max}`)
      return lengthFilter(min, max)
    }
    default:
      return unknownType(declaration, [...BUILT_IN_FILTERS.keys()])
  }
}

/** Rejects a char filter declared in `settings.analysis.char_filter` (none is implemented). */
export function declaredCharFilter(declaration: Declaration): never {
  const type = declaration.type
  if (type !== undefined && KNOWN_CHAR_FILTERS.includes(type)) fail(`char_filter type [${type}] of ${declaration.label} is not supported`)
  return unknownType(declaration, [])
}

function unknownType(declaration: Declaration, supported: readonly string[]): never {
  const type = declaration.type
  if (type === undefined) fail(`${declaration.label} must specify a [type]`)
  const known = supported.length > 0 ? ` (supported: ${supported.join(', ')})` : ''
  return fail(`Unknown ${declaration.kind} type [${type}] for [${declaration.name}]${known}`)
}
