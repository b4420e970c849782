/**
 * English analysis equivalent to Lucene's EnglishAnalyzer as Anserini uses it:
 * UAX#29 word tokenization -> English possessive removal -> lowercase -> Lucene's 33 English stop
 * words -> Porter stemmer.
 *
 * Libraries: `Intl.Segmenter` (ICU's UAX#29 word breaks, the same rules as Lucene's
 * StandardTokenizer) and `stemmer` (Porter's original algorithm, as Lucene's PorterStemFilter).
 * Known difference: ICU segments CJK text with a dictionary where StandardTokenizer emits one
 * token per ideograph.
 * @module
 */
import { stemmer } from 'stemmer'

/** Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (33 words). */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no',
  'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this',
  'to', 'was', 'will', 'with',
])

/** StandardTokenizer's default maximum token length; longer tokens are split, as Lucene does. */
const MAX_TOKEN_LENGTH = 255

const segmenter = new Intl.Segmenter('en', { granularity: 'word' })

/** Matches what Lucene's EnglishPossessiveFilter strips: `'s`, `’s` or `＇s` at the end of a token. */
const POSSESSIVE = /['\u2019\uFF07][sS]$/

/**
 * Analyzes text into index terms.
 * @param text - any text
 * @returns the terms in text order (repeated terms repeat)
 * @example analyzeEnglish("The dog's running shoes") // ['dog', 'run', 'shoe']
 */
export function analyzeEnglish(text: string): string[] {
  const terms: string[] = []
  for (const { segment, isWordLike } of segmenter.segment(text)) {
    if (!isWordLike) continue
    for (let start = 0; start < segment.length; start += MAX_TOKEN_LENGTH) {
      const token = segment.length > MAX_TOKEN_LENGTH ? segment.slice(start, start + MAX_TOKEN_LENGTH) : segment
      const term = token.replace(POSSESSIVE, '').toLowerCase()
      if (term.length === 0 || ENGLISH_STOP_WORDS.has(term)) continue
      terms.push(stemmer(term))
    }
  }
  return terms
}
