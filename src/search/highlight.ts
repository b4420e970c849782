/**
 * Highlighting: marks the words of a text whose index terms are among the query's terms, and the
 * occurrences of the query's phrases, and cuts fragments around them. Words are found with the same
 * UAX#29 segmentation as analysis, and each word is mapped to its terms by the field's analyzer (or
 * the index's encoder), so stemmed or sub-word matches light up.
 *
 * Phrases ({@link highlightPhrases}): the text is analyzed whole with the field's index analyzer,
 * which gives exactly the tokens and positions the index holds for it; phrase-matcher.ts then finds
 * the occurrences that are scored, as document position ranges. To turn positions back into
 * characters, each segment of the text (segmentWords) is analyzed alone and its tokens are looked
 * for, in order, in the whole text's tokens: where they agree the segment takes those tokens'
 * positions. An occurrence is marked as one unit, from the start of the first segment holding one
 * of its positions to the end of the last, so the words between the words of a sloppy match (and
 * removed stop words) are inside it. Limits:
 * - A segment whose tokens alone differ from its tokens in context (a `whitespace` tokenizer keeps
 *   `shoes,` whole, a `unique` filter drops repeats) has no position; an occurrence that starts or
 *   ends on it is marked from the nearest segment inside it, and one made only of such segments is
 *   not marked. Up to {@link LOOKAHEAD} tokens that no segment accounts for are skipped over.
 * - A segment that analyzes to several tokens (`wi-fi` under some tokenizers, `3.14`, Han text)
 *   spans their positions and is marked whole when any of them is in an occurrence.
 * - Only a text value (one string): each value of a multi-valued field would start after the
 *   previous one plus the position increment gap.
 * @module
 */
import type { Analyzer } from '../analysis/index.js'
import { segmentWords } from '../encode/segmenter.js'
import { phraseMatches, type PhraseTermPositions } from './phrase-matcher.js'
import type { PhrasePosition } from './phrase.js'

export interface HighlightOptions {
  preTag?: string
  postTag?: string
  /** Characters per fragment. @default 150 */
  fragmentSize?: number
  /** @default 3 */
  fragments?: number
  /** Escape HTML in the text (Elasticsearch's `encoder: "html"`). @default false */
  escapeHtml?: boolean
}

/** How a field's text becomes index terms: its index analyzer, and the term of a token. */
export interface FieldAnalysis {
  analyze: Analyzer
  termOf: (token: string) => string
}

/** A phrase to mark, as the query holds it (phrase.ts `Phrase`). */
export interface HighlightPhrase {
  positions: readonly PhrasePosition[]
  slop: number
}

/** A character range [start, end) of the text, marked as one unit. */
type Span = [number, number]

/** Tokens of the whole text that no segment accounts for, skipped over when aligning (emoji that are no word, say). */
export const LOOKAHEAD = 4

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * Highlights single words.
 * @param text - the field text
 * @param matches - true when a word's terms meet the query
 * @returns fragments with matches wrapped in tags; empty when nothing matches
 * @example highlight('Red shoes', (word) => word === 'shoes') // ['Red <em>shoes</em>']
 */
export function highlight(text: string, matches: (word: string) => boolean, options: HighlightOptions = {}): string[] {
  const spans: Span[] = []
  for (const { segment, index, isWordLike } of segmentWords(text)) {
    if (isWordLike && matches(segment)) spans.push([index, index + segment.length])
  }
  return fragmentsOf(text, spans, options)
}

/**
 * Highlights the words holding one of `terms` and, each as one unit, the occurrences of `phrases`
 * (see the module comment); overlapping marks merge.
 * @param field - the field's index analyzer and term of a token (what indexed `text`)
 * @param terms - plain query terms: a word holding one is marked alone
 * @example highlightPhrases('the quick brown fox', english, { terms: new Set(), phrases: [quickBrown] }) // ['the <em>quick brown</em> fox']
 */
export function highlightPhrases(
  text: string,
  field: FieldAnalysis,
  { terms, phrases }: { terms: ReadonlySet<string>; phrases: readonly HighlightPhrase[] },
  options: HighlightOptions = {},
): string[] {
  const { pieces, positionsOf } = alignedPieces(text, field)
  const spans: Span[] = []
  for (const piece of pieces) if (piece.isWordLike && piece.terms.some((term) => terms.has(term))) spans.push([piece.start, piece.end])
  const located = pieces.filter((piece) => piece.first >= 0)
  for (const { positions, slop } of phrases) {
    const entries: PhraseTermPositions[] = positions.map(({ offset, terms }) => ({ offset, terms, positions: positionsIn(positionsOf, terms) }))
    if (entries.some((entry) => entry.positions.length === 0)) continue
    for (const [first, last] of phraseMatches(entries, slop)) {
      const span = spanOf(located, first, last)
      if (span) spans.push(span)
    }
  }
  return fragmentsOf(text, merged(spans), options)
}

/** A non-blank segment of the text with its terms and, where it agrees with the whole text's analysis, its positions. */
interface Piece {
  start: number
  end: number
  isWordLike: boolean
  /** Its index terms, analyzed alone (what plain terms are matched against). */
  terms: string[]
  /** The positions of its first and last token in the whole text; -1 when it has none there. */
  first: number
  last: number
}

/** The text's pieces, and the whole text's positions of each index term. */
function alignedPieces(text: string, { analyze, termOf }: FieldAnalysis): { pieces: Piece[]; positionsOf: Map<string, number[]> } {
  const stream = analyze(text)
  const positionsOf = new Map<string, number[]>()
  stream.tokens.forEach((token, k) => {
    const term = termOf(token)
    const list = positionsOf.get(term)
    if (!list) positionsOf.set(term, [stream.positions[k]])
    else if (list[list.length - 1] !== stream.positions[k]) list.push(stream.positions[k])
  })
  const tokensOf = new Map<string, string[]>()
  const pieces: Piece[] = []
  let cursor = 0
  for (const { segment, index, isWordLike } of segmentWords(text)) {
    if (!isWordLike && segment.trim() === '') continue
    let tokens = tokensOf.get(segment)
    if (!tokens) tokensOf.set(segment, (tokens = analyze(segment).tokens))
    const piece: Piece = { start: index, end: index + segment.length, isWordLike, terms: tokens.map(termOf), first: -1, last: -1 }
    const at = tokens.length === 0 ? -1 : findRun(stream.tokens, tokens, cursor)
    if (at >= 0) {
      piece.first = stream.positions[at]
      piece.last = stream.positions[at + tokens.length - 1]
      cursor = at + tokens.length
    }
    if (isWordLike || piece.first >= 0) pieces.push(piece)
  }
  return { pieces, positionsOf }
}

/** Where `run` occurs in `tokens` at `from` or up to LOOKAHEAD tokens later; -1 if not. */
function findRun(tokens: readonly string[], run: readonly string[], from: number): number {
  for (let at = from; at <= from + LOOKAHEAD && at + run.length <= tokens.length; at++) {
    let i = 0
    while (i < run.length && tokens[at + i] === run[i]) i++
    if (i === run.length) return at
  }
  return -1
}

/** The positions of any of `terms`, ascending and distinct. */
function positionsIn(positionsOf: ReadonlyMap<string, number[]>, terms: readonly string[]): number[] {
  const lists = terms.flatMap((term) => positionsOf.get(term) ?? [])
  if (terms.length === 1) return lists
  return [...new Set(lists)].sort((a, b) => a - b)
}

/** The characters from the first to the last located piece with a position in [first, last]; undefined when none. */
function spanOf(located: readonly Piece[], first: number, last: number): Span | undefined {
  // Located pieces come in position order: the first one not wholly before the range.
  let lo = 0
  let hi = located.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (located[mid].last < first) lo = mid + 1
    else hi = mid
  }
  let end = -1
  for (let i = lo; i < located.length && located[i].first <= last; i++) end = located[i].end
  return end < 0 ? undefined : [located[lo].start, end]
}

/** Spans sorted by start, overlapping or nested ones joined. */
function merged(spans: Span[]): Span[] {
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const out: Span[] = []
  for (const span of spans) {
    const last = out[out.length - 1]
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1])
    else out.push([span[0], span[1]])
  }
  return out
}

/**
 * Fragments of about `fragmentSize` characters around the spans (sorted, disjoint), each starting a
 * third of its size before its first span, or later when that span would not fit; a span longer
 * than a fragment, or one that starts inside the previous fragment, is left out.
 */
function fragmentsOf(text: string, spans: readonly Span[], options: HighlightOptions): string[] {
  const { preTag = '<em>', postTag = '</em>', fragmentSize = 150, fragments = 3, escapeHtml = false } = options
  const part = (s: string) => (escapeHtml ? escape(s) : s)
  const out: string[] = []
  let next = 0
  let previousEnd = 0
  while (next < spans.length && out.length < fragments) {
    const [from, to] = spans[next]
    if (from < previousEnd || to - from > fragmentSize) {
      next++
      continue
    }
    const start = Math.max(previousEnd, from - Math.floor(fragmentSize / 3), to - fragmentSize)
    const end = Math.min(text.length, start + fragmentSize)
    let piece = ''
    let at = start
    while (next < spans.length && spans[next][1] <= end) {
      const [from, to] = spans[next++]
      piece += part(text.slice(at, from)) + preTag + part(text.slice(from, to)) + postTag
      at = to
    }
    out.push((start > 0 ? '…' : '') + piece + part(text.slice(at, end)) + (end < text.length ? '…' : ''))
    previousEnd = end
  }
  return out
}
