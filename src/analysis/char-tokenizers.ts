/**
 * Lucene's character-class tokenizers: `letter` (LetterTokenizer), `whitespace`
 * (WhitespaceTokenizer) and `keyword` (KeywordTokenizer).
 * @module
 */
import { type TokenAttributes, type Tokenizer, WORD_TYPE } from './types.js'

/** The default `max_token_length` of Lucene's CharTokenizer and StandardTokenizer. */
export const DEFAULT_MAX_TOKEN_LENGTH = 255
/** Lucene's upper bound on `max_token_length` (1024 * 1024). */
export const MAX_TOKEN_LENGTH_LIMIT = 1_048_576

/** `Character.isLetter`: general category L. */
const LETTERS = /\p{L}+/gu
/**
 * `Character.isWhitespace`: space, line and paragraph separators except the no-break spaces
 * (U+00A0, U+2007, U+202F), plus \t \n \v \f \r and U+001C-U+001F. Narrower than JS `\s`.
 */
const NON_WHITESPACE = /[^\t-\r\x1c-\x20\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+/g

/**
 * LetterTokenizer: maximal runs of letters; everything else separates.
 * @param maxTokenLength - longer runs are cut into pieces of this many UTF-16 units
 * @example letterTokenizer()("don't stop") // ['don', 't', 'stop']
 */
export function letterTokenizer(maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): Tokenizer {
  return (text, attributes) => (attributes ? runsAt(text, LETTERS, maxTokenLength, attributes) : splitLong(text.match(LETTERS) ?? [], maxTokenLength))
}

/**
 * WhitespaceTokenizer: maximal runs of non-whitespace (Java's definition), case kept.
 * @param maxTokenLength - longer runs are cut into pieces of this many UTF-16 units
 * @example whitespaceTokenizer()('Hello, World!') // ['Hello,', 'World!']
 */
export function whitespaceTokenizer(maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): Tokenizer {
  return (text, attributes) => (attributes ? runsAt(text, NON_WHITESPACE, maxTokenLength, attributes) : splitLong(text.match(NON_WHITESPACE) ?? [], maxTokenLength))
}

/**
 * KeywordTokenizer: the whole input as one token. Empty input gives one empty token, as Lucene's
 * KeywordTokenizer (and so Elasticsearch's `keyword` analyzer) does.
 */
export const keywordTokenizer: Tokenizer = (text, attributes) => {
  if (attributes) {
    attributes.startOffsets.push(0)
    attributes.endOffsets.push(text.length)
    attributes.types.push(WORD_TYPE)
  }
  return [text]
}

/** The runs `pattern` (global) matches, cut as splitLong cuts them, with their offsets (type `word`). */
function runsAt(text: string, pattern: RegExp, max: number, attributes: TokenAttributes): string[] {
  const runs = new RegExp(pattern.source, pattern.flags)
  const out: string[] = []
  for (let match = runs.exec(text); match !== null; match = runs.exec(text)) {
    const run = match[0]
    const pieces = splitLong([run], max)
    let at = match.index
    for (const piece of pieces) {
      out.push(piece)
      attributes.startOffsets.push(at)
      attributes.endOffsets.push(at + piece.length)
      attributes.types.push(WORD_TYPE)
      at += piece.length
    }
  }
  return out
}

/**
 * Cuts tokens longer than `max` as Lucene's CharTokenizer does: a piece ends once it holds `max`
 * or more UTF-16 units, so a surrogate pair that straddles the limit makes it `max + 1` long.
 */
function splitLong(tokens: string[], max: number): string[] {
  if (!tokens.some((token) => token.length > max)) return tokens
  const out: string[] = []
  for (const token of tokens) {
    let start = 0
    while (token.length - start > max) {
      const end = isHighSurrogate(token.charCodeAt(start + max - 1)) ? start + max + 1 : start + max
      out.push(token.slice(start, end))
      start = end
    }
    if (start < token.length) out.push(start === 0 ? token : token.slice(start))
  }
  return out
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
