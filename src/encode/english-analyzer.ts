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
 * property test checks it against `Intl.Segmenter` on random ASCII strings. Stems are memoized.
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
 * a run of two or more is.)
 * @param text - any text
 */
export function wordSegments(text: string, starts?: number[]): string[] {
  if (NON_ASCII.test(text)) {
    const words: string[] = []
    for (const { segment, index, isWordLike } of segmentWords(text)) {
      if (!isWordLike) continue
      words.push(segment)
      starts?.push(index)
    }
    return words
  }
  if (starts) return asciiWordsAt(text, starts)
  const words: string[] = text.match(ASCII_WORD) ?? []
  return words.includes('_') ? words.filter((w) => w !== '_') : words
}

/** The ASCII path of wordSegments, each word's offset pushed onto `starts` (only `_analyze` asks). */
function asciiWordsAt(text: string, starts: number[]): string[] {
  const pattern = new RegExp(ASCII_WORD.source, 'g')
  const words: string[] = []
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === '_') continue
    words.push(match[0])
    starts.push(match.index)
  }
  return words
}

/** Porter stems by lowercased token; cleared when large so memory stays bounded. */
const stems = new Map<string, string>()
const MAX_CACHED_STEMS = 200_000

function stem(term: string): string {
  let stemmed = stems.get(term)
  if (stemmed === undefined) {
    if (stems.size >= MAX_CACHED_STEMS) stems.clear()
    stemmed = stemmer(term)
    stems.set(term, stemmed)
  }
  return stemmed
}

/** Matches what Lucene's EnglishPossessiveFilter strips: `'s`, `’s` or `＇s` at the end of a token. */
const POSSESSIVE = /['\u2019\uFF07][sS]$/

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
      const term = token.replace(POSSESSIVE, '').toLowerCase()
      // An empty term (a bare possessive) is dropped but keeps its position, as Lucene's empty token does.
      if (term.length === 0 || ENGLISH_STOP_WORDS.has(term)) continue
      terms.push(stem(term))
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
