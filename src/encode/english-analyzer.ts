/**
 * English analysis equivalent to Lucene's EnglishAnalyzer as Anserini uses it:
 * UAX#29 word tokenization -> English possessive removal -> lowercase -> Lucene's 33 English stop
 * words -> Porter stemmer.
 *
 * Libraries: `Intl.Segmenter` (ICU's UAX#29 word breaks, the same rules as Lucene's
 * StandardTokenizer) and `stemmer` (Porter's original algorithm, as Lucene's PorterStemFilter).
 * Known difference: ICU segments CJK text with a dictionary where StandardTokenizer emits one
 * token per ideograph.
 *
 * Speed: `Intl.Segmenter` allocates an object per segment and dominated ingest time (about 3 of
 * 5 s on SciFact), so pure-ASCII text takes a regex that encodes UAX#29 restricted to ASCII; a
 * property test checks it against `Intl.Segmenter` on random ASCII strings. Each token's term is memoized.
 * @module
 */
import { stemmer } from 'stemmer'
import { standardTokenType } from '../analysis/token-types.js'
import type { TokenAttributes, TokenStream } from '../analysis/types.js'
import { segmentWords } from './segmenter.js'

/** Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (33 words). */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no',
  'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this',
  'to', 'was', 'will', 'with',
])

/** StandardTokenizer's default maximum token length; longer tokens are split, as Lucene does. */
const MAX_TOKEN_LENGTH = 255

/**
 * UAX#29 word boundaries for ASCII: letters, digits and `_` (ExtendNumLet) join (WB5, WB8-10,
 * WB13a/b); `:` `.` `'` join two letters (WB6/7); `.` `,` `;` `'` join two digits (WB11/12).
 */
const ASCII_WORD = /[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[:.'](?=[A-Za-z])|(?<=[0-9])[.,;'](?=[0-9]))[A-Za-z0-9_]+)*/g
const NON_ASCII = /[^\x00-\x7f]/

/**
 * Word-like segments of `text` in order. (ICU quirk, matched here: a lone `_` is not word-like,
 * a run of two or more is.) Text with non-ASCII characters takes `Intl.Segmenter` only around
 * them, from the whitespace before each to the whitespace after: a word boundary always falls
 * just before a whitespace character (see segmenter.ts), so the stretches are segmented alone
 * exactly as in the whole text, and the ASCII ones between take the regex (a quarter of SciFact's
 * documents have a non-ASCII character somewhere; segmenting them whole took most of its analysis).
 * @param text - any text
 * @param starts - when given, each word's offset is pushed onto it (only `_analyze` asks)
 */
export function wordSegments(text: string, starts?: number[]): string[] {
  const words: string[] = []
  let done = 0
  const nonAsciiAfter = new RegExp(NON_ASCII.source, 'g')
  for (let found = nonAsciiAfter.exec(text); found !== null; nonAsciiAfter.lastIndex = done, found = nonAsciiAfter.exec(text)) {
    const nonAscii = found.index
    const from = Math.max(done, lastWhitespaceAtOrBefore(text, nonAscii))
    const to = firstWhitespaceAfter(text, nonAscii)
    asciiWords(text, done, from, words, starts)
    for (const { segment, index, isWordLike } of segmentWords(text.slice(from, to))) {
      if (!isWordLike) continue
      words.push(segment)
      starts?.push(from + index)
    }
    done = to
  }
  asciiWords(text, done, text.length, words, starts)
  return words
}

/** Pushes the words of the ASCII stretch text[from, to) (and their offsets onto `starts`). */
function asciiWords(text: string, from: number, to: number, words: string[], starts: number[] | undefined): void {
  if (from >= to) return
  const stretch = from === 0 && to === text.length ? text : text.slice(from, to)
  if (!starts) {
    const found = stretch.match(ASCII_WORD)
    if (found) for (const word of found) if (word !== '_') words.push(word)
    return
  }
  const pattern = new RegExp(ASCII_WORD.source, 'g')
  for (let match = pattern.exec(stretch); match !== null; match = pattern.exec(stretch)) {
    if (match[0] === '_') continue
    words.push(match[0])
    starts.push(from + match.index)
  }
}

const isWhitespace = (code: number) => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d
function lastWhitespaceAtOrBefore(text: string, at: number): number {
  while (at > 0 && !isWhitespace(text.charCodeAt(at))) at--
  return at
}
function firstWhitespaceAfter(text: string, at: number): number {
  while (at < text.length && !isWhitespace(text.charCodeAt(at))) at++
  return at
}

/** Matches what Lucene's EnglishPossessiveFilter strips: `'s`, `’s` or `＇s` at the end of a token. */
const POSSESSIVE = /['\u2019\uFF07][sS]$/

/**
 * Index terms by token, memoized: possessive stripped, lowercased, stemmed, or '' for a stop word or
 * a bare possessive. A null-prototype object, measured about 1.7x faster than a Map for these
 * lookups (one per token, the analyzer's main cost); replaced when large so memory stays bounded.
 */
let termsByToken: Record<string, string> = Object.create(null)
let cachedTerms = 0
const MAX_CACHED_TERMS = 200_000

function termOf(token: string): string {
  let term = termsByToken[token]
  if (term === undefined) {
    if (cachedTerms >= MAX_CACHED_TERMS) {
      termsByToken = Object.create(null)
      cachedTerms = 0
    }
    const word = token.replace(POSSESSIVE, '').toLowerCase()
    term = word.length === 0 || ENGLISH_STOP_WORDS.has(word) ? '' : stemmer(word)
    termsByToken[token] = term
    cachedTerms++
  }
  return term
}

/**
 * Analyzes text into index terms.
 * @param text - any text
 * @returns the terms in text order (repeated terms repeat)
 * @example analyzeEnglish("The dog's running shoes") // ['dog', 'run', 'shoe']
 */
export function analyzeEnglish(text: string): string[] {
  return analyze(text, undefined).terms
}

/**
 * Analyzes text into index terms with their positions: a stop word (removed by Lucene's StopFilter)
 * leaves a gap.
 * @param text - any text
 * @example analyzeEnglishStream('the dogs of war') // { tokens: ['dog', 'war'], positions: [1, 3], end: 4 }
 */
export function analyzeEnglishStream(text: string, withAttributes?: boolean): TokenStream {
  const positions: number[] = []
  const attributes = withAttributes === true ? { startOffsets: [], endOffsets: [], types: [] } : undefined
  const { terms, end } = analyze(text, positions, attributes)
  return { tokens: terms, positions, end, attributes }
}

/**
 * The terms of `text`, and each one's position pushed onto `positions` when given; with
 * `attributes`, each one's offsets (the word's, or the piece's of a cut word: filters keep the
 * tokenizer's offsets) and its StandardTokenizer type.
 */
function analyze(text: string, positions: number[] | undefined, attributes?: TokenAttributes): { terms: string[]; end: number } {
  const terms: string[] = []
  const starts: number[] | undefined = attributes ? [] : undefined
  let position = 0
  const words = wordSegments(text, starts)
  for (let w = 0; w < words.length; w++) {
    const segment = words[w]
    for (let start = 0; start < segment.length; start += MAX_TOKEN_LENGTH, position++) {
      const token = segment.length > MAX_TOKEN_LENGTH ? segment.slice(start, start + MAX_TOKEN_LENGTH) : segment
      // A stop word or an empty term (a bare possessive) is dropped but keeps its position, as Lucene's empty token does.
      const term = termOf(token)
      if (term.length === 0) continue
      terms.push(term)
      positions?.push(position)
      if (attributes && starts) {
        attributes.startOffsets.push(starts[w] + start)
        attributes.endOffsets.push(starts[w] + start + token.length)
        attributes.types.push(standardTokenType(token))
      }
    }
  }
  return { terms, end: position }
}
