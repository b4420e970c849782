/**
 * Lucene's StandardTokenizer: UAX#29 word boundaries, emitting only word-like segments.
 *
 * Built on `wordSegments` (ICU's UAX#29 via Intl.Segmenter, with an ASCII fast path), then made
 * to agree with Lucene's grammar where ICU departs from plain UAX#29:
 * - ICU segments Han, Hiragana and Katakana with a dictionary, and Thai, Lao, Khmer and Myanmar
 *   with per-language dictionaries. Lucene emits one token per Han ideograph and per Hiragana
 *   character, one per run of Katakana, and one per run of South-East Asian letters.
 * - Lucene emits emoji sequences (its <EMOJI> type) that ICU does not call word-like.
 * - Lucene drops runs made only of connector punctuation (`___`), which ICU calls word-like.
 * - ICU (Unicode 15+) joins words across U+202F (narrow no-break space); Lucene (Unicode 9) does not.
 * Left as ICU has it: characters whose Word_Break class changed after Unicode 9, and where
 * Lucene's buffer cut of an over-long token is not at the limit (see `splitLong`).
 * @module
 */
import { wordSegments } from '../encode/english-analyzer.js'
import { segmentWords } from '../encode/segmenter.js'
import { DEFAULT_MAX_TOKEN_LENGTH } from './char-tokenizers.js'
import { standardTokenType } from './token-types.js'
import type { TokenAttributes, Tokenizer } from './types.js'

/**
 * StandardTokenizer (case kept; the `standard` analyzer lowercases after it).
 * @param maxTokenLength - longer words are cut into pieces of this many UTF-16 units
 * @example standardTokenizer()('Hello, World! 3.14') // ['Hello', 'World', '3.14']
 */
export function standardTokenizer(maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): Tokenizer {
  return (text, attributes) => {
    if (!attributes) return finish(LUCENE_SPECIFIC.test(text) ? luceneWords(text) : wordSegments(text), maxTokenLength)
    const starts: number[] = []
    const words = LUCENE_SPECIFIC.test(text) ? luceneWords(text, starts) : wordSegments(text, starts)
    return finishAt(words, starts, maxTokenLength, attributes)
  }
}

const SEA_SCRIPTS = '\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Myanmar}\\p{sc=Khmer}\\p{sc=Tai_Le}\\p{sc=New_Tai_Lue}\\p{sc=Tai_Tham}\\p{sc=Tai_Viet}\\p{sc=Ahom}'
const CJK_SEA = `\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}${SEA_SCRIPTS}`
/** Text where ICU's segments need rework (else they are used as they come). */
const LUCENE_SPECIFIC = new RegExp(`[${CJK_SEA}\\p{Extended_Pictographic}\\p{Emoji_Modifier}\\p{RI}\\u20e3\\u202f]`, 'u')
const HAS_CJK_SEA = new RegExp(`[${CJK_SEA}]`, 'u')
/** Lucene's Word_Break=Katakana: the script plus the prolonged sound mark and kana repeat marks. */
const KATAKANA = '[\\p{sc=Katakana}\\u3031-\\u3035\\u309b\\u309c\\u30a0\\u30fc\\uff70]'
/** Line_Break=Complex_Context, approximated as the letters and marks of the South-East Asian scripts. */
const SEA_LETTER = `(?=[\\p{L}\\p{M}])[${SEA_SCRIPTS}]`
/** WB4: extend, format and ZWJ characters stay with the character before them. */
const EXTEND = '[\\p{M}\\p{Cf}]*'
/** One Lucene token inside an ICU segment: [1] a Han or Hiragana character, [2] a Katakana run, [3] a South-East Asian run, else other text. */
const PIECE = new RegExp(
  `([\\p{sc=Han}\\p{sc=Hiragana}]${EXTEND})|((?:${KATAKANA}${EXTEND})+)|((?:${SEA_LETTER}${EXTEND})+)|(?:(?![\\p{sc=Han}\\p{sc=Hiragana}]|${KATAKANA}|${SEA_LETTER})[^])+`,
  'gu',
)
/** What Lucene calls an emoji sequence, tested at the start of a segment ICU does not call word-like. */
const EMOJI = /^(?:[\p{Extended_Pictographic}\p{Emoji_Modifier}]|\p{RI}\p{RI}|[0-9#*]\ufe0f?\u20e3)/u

const OTHER = 0
const KATAKANA_RUN = 2
const SEA_RUN = 3

/**
 * The word-like segments of `text`, re-split and re-joined as Lucene's grammar does; each word's
 * offset pushed onto `starts` when given (a word is always a substring of the text, but for an
 * emoji's dropped U+FE0E, which ends it).
 */
function luceneWords(text: string, starts?: number[]): string[] {
  const words: string[] = []
  // Kind of the last token pushed while it may still grow: a Katakana or SEA run that the next
  // ICU segment continues (ICU's dictionaries split runs Lucene keeps whole).
  let open = OTHER
  for (const { segment, index, isWordLike } of segmentWords(text)) {
    if (!HAS_CJK_SEA.test(segment)) {
      open = OTHER
      if (isWordLike) {
        if (segment.includes('\u202f')) {
          let at = index
          for (const part of segment.split('\u202f')) {
            if (part.length > 0) {
              words.push(part)
              starts?.push(at)
            }
            at += part.length + 1
          }
        } else {
          words.push(segment)
          starts?.push(index)
        }
      } else if (EMOJI.test(segment)) {
        words.push(segment.endsWith('\ufe0e') ? segment.slice(0, -1) : segment)
        starts?.push(index)
      }
      continue
    }
    for (const match of segment.matchAll(PIECE)) {
      const kind = match[2] !== undefined ? KATAKANA_RUN : match[3] !== undefined ? SEA_RUN : OTHER
      // A run the previous ICU segment started goes on (it is adjacent: it keeps its start).
      if (kind !== OTHER && kind === open) words[words.length - 1] += match[0]
      else if (isWordLike || match[1] !== undefined || kind !== OTHER) {
        words.push(match[0])
        starts?.push(index + match.index)
      }
      open = kind
    }
  }
  return words
}

/** finish, with the words' offsets (`starts`) and types pushed onto `attributes`. */
function finishAt(words: readonly string[], starts: readonly number[], max: number, attributes: TokenAttributes): string[] {
  const out: string[] = []
  const pieces: string[] = []
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (isConnectorOnly(word)) continue
    pieces.length = 0
    if (word.length <= max) pieces.push(word)
    else splitLong(word, max, pieces)
    let at = starts[i]
    for (const piece of pieces) {
      out.push(piece)
      attributes.startOffsets.push(at)
      attributes.endOffsets.push(at + piece.length)
      attributes.types.push(standardTokenType(piece))
      at += piece.length
    }
  }
  return out
}

/** Drops connector-only runs and cuts words longer than `max`; returns `words` itself when nothing changes. */
function finish(words: string[], max: number): string[] {
  let i = 0
  while (i < words.length && words[i].length <= max && !isConnectorOnly(words[i])) i++
  if (i === words.length) return words
  const out = words.slice(0, i)
  for (; i < words.length; i++) {
    const word = words[i]
    if (isConnectorOnly(word)) continue
    if (word.length <= max) out.push(word)
    else splitLong(word, max, out)
  }
  return out
}

/** ExtendNumLet (connector punctuation) only: no letter or digit for Lucene's grammar to anchor on. */
const CONNECTOR_ONLY = /^\p{Pc}+$/u
const CONNECTORS = new Set([0x5f, 0x203f, 0x2040, 0x2054, 0xfe33, 0xfe34, 0xfe4d, 0xfe4e, 0xfe4f, 0xff3f])
const isConnectorOnly = (word: string) => CONNECTORS.has(word.charCodeAt(0)) && CONNECTOR_ONLY.test(word)

/**
 * Cuts `word` into pieces of `max` UTF-16 units, as Lucene's scanner buffer of `max` characters
 * does; a surrogate pair is not split (the piece ends before it). Lucene rescans after each cut,
 * so where the cut falls inside a `3.14`-like join its pieces can differ.
 */
function splitLong(word: string, max: number, out: string[]): void {
  for (let start = 0; start < word.length; ) {
    let end = Math.min(word.length, start + max)
    if (end < word.length && end - start > 1 && isHighSurrogate(word.charCodeAt(end - 1))) end--
    out.push(word.slice(start, end))
    start = end
  }
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
