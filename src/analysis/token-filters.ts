/**
 * Lucene's token filters behind Elasticsearch's `lowercase`, `stop`, `porter_stem`, `stemmer`
 * (Porter, minimal and possessive English), `trim`, `unique` and `length`. `asciifolding` is in
 * ascii-folding.ts.
 *
 * Positions: `stop` and `length` are Lucene FilteringTokenFilters, which add a removed token's
 * position increment to the next kept token, so a removal leaves a gap; `unique` does not (see
 * uniqueFilter). The others rewrite tokens in place and keep every position.
 * @module
 */
import { stemmer } from 'stemmer'
import type { TokenAttributes, TokenFilter, TokenStream } from './types.js'

const JAVA_LOWER_SPECIAL = /[\u0130\u03a3]/g

/**
 * Lowercases as Lucene's LowerCaseFilter (Java `Character.toLowerCase` per code point). JS
 * `toLowerCase` differs only on U+0130 (İ -> i + U+0307, where Java gives i: the one change of
 * length) and U+03A3 (Σ -> final ς at a word end, where Java always gives σ).
 */
export function javaLowerCase(text: string): string {
  const lower = text.toLowerCase()
  if (lower.length === text.length && !lower.includes('\u03c2')) return lower
  return text.replace(JAVA_LOWER_SPECIAL, (c) => (c === '\u0130' ? 'i' : '\u03c3')).toLowerCase()
}

/** LowerCaseFilter. */
export const lowercaseFilter: TokenFilter = (stream) => {
  const tokens = stream.tokens
  for (let i = 0; i < tokens.length; i++) tokens[i] = javaLowerCase(tokens[i])
  return stream
}

/**
 * Keeps the tokens for which `keep` holds, compacting tokens and positions together in place: a
 * kept token keeps its position, so removed ones leave a gap (FilteringTokenFilter).
 */
function keepIf(stream: TokenStream, keep: (token: string) => boolean): TokenStream {
  const { tokens, positions, attributes } = stream
  let kept = 0
  for (let i = 0; i < tokens.length; i++) {
    if (!keep(tokens[i])) continue
    if (attributes) moveAttributes(attributes, i, kept)
    tokens[kept] = tokens[i]
    positions[kept++] = positions[i]
  }
  tokens.length = kept
  positions.length = kept
  if (attributes) truncateAttributes(attributes, kept)
  return stream
}

/** Moves token `from`'s attributes to slot `to` (a compaction: `to` <= `from`). */
function moveAttributes({ startOffsets, endOffsets, types }: TokenAttributes, from: number, to: number): void {
  startOffsets[to] = startOffsets[from]
  endOffsets[to] = endOffsets[from]
  types[to] = types[from]
}

function truncateAttributes({ startOffsets, endOffsets, types }: TokenAttributes, length: number): void {
  startOffsets.length = length
  endOffsets.length = length
  types.length = length
}

/**
 * StopFilter: drops tokens in `words`.
 * @param ignoreCase - compare lowercased (Lucene's CharArraySet with ignoreCase)
 */
export function stopFilter(words: Iterable<string>, ignoreCase: boolean): TokenFilter {
  if (!ignoreCase) {
    const set = new Set(words)
    return (stream) => (set.size === 0 ? stream : keepIf(stream, (token) => !set.has(token)))
  }
  const set = new Set([...words].map(javaLowerCase))
  return (stream) => keepIf(stream, (token) => !set.has(javaLowerCase(token)))
}

/** Porter stems by token; cleared when large so memory stays bounded. */
const stems = new Map<string, string>()
const MAX_CACHED_STEMS = 200_000

/** PorterStemFilter (Porter's algorithm as Lucene's PorterStemmer, via the `stemmer` package). */
export const porterStemFilter: TokenFilter = (stream) => {
  const tokens = stream.tokens
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    let stem = stems.get(token)
    if (stem === undefined) {
      if (stems.size >= MAX_CACHED_STEMS) stems.clear()
      stem = token === token.toLowerCase() ? stemmer(token) : stemKeepingCase(token)
      stems.set(token, stem)
    }
    tokens[i] = stem
  }
  return stream
}

const PLACEHOLDER = 0xe000
const PLACEHOLDERS = 0x1900

/**
 * Lucene's stemmer does not lowercase: an upper-case letter is just a consonant that matches no
 * suffix ('RUNNING' stays, 'Running' -> 'Run'). `stemmer` lowercases first, so every UTF-16 unit
 * outside a-z is swapped for a private-use placeholder (also a consonant to it) and swapped back.
 */
function stemKeepingCase(token: string): string {
  const originals: string[] = []
  const slots = new Map<string, number>()
  let masked = ''
  for (let i = 0; i < token.length; i++) {
    const unit = token[i]
    if (unit >= 'a' && unit <= 'z') {
      masked += unit
      continue
    }
    let slot = slots.get(unit)
    if (slot === undefined) slots.set(unit, (slot = originals.push(unit) - 1))
    masked += String.fromCharCode(PLACEHOLDER + slot)
  }
  if (originals.length > PLACEHOLDERS) return token
  let stem = ''
  for (const unit of stemmer(masked)) {
    const slot = unit.charCodeAt(0) - PLACEHOLDER
    stem += slot >= 0 && slot < originals.length ? originals[slot] : unit
  }
  return stem
}

/**
 * EnglishMinimalStemFilter (Harman's S-stemmer): -ies -> -y (not after a or e), -es -> -e (not
 * after a, e, i or o), -s -> '' (not after s or u); lowercase only, tokens of 3+ characters.
 */
export const minimalEnglishStemFilter: TokenFilter = (stream) => {
  const tokens = stream.tokens
  for (let i = 0; i < tokens.length; i++) tokens[i] = minimalEnglishStem(tokens[i])
  return stream
}

function minimalEnglishStem(token: string): string {
  const n = token.length
  if (n < 3 || token[n - 1] !== 's') return token
  const before = token[n - 2]
  if (before === 's' || before === 'u') return token
  if (before !== 'e') return token.slice(0, -1)
  const third = token[n - 3]
  if (third === 'i' && n > 3 && token[n - 4] !== 'a' && token[n - 4] !== 'e') return token.slice(0, -3) + 'y'
  return third === 'i' || third === 'a' || third === 'o' || third === 'e' ? token : token.slice(0, -1)
}

/** EnglishPossessiveFilter: strips a trailing 's or 'S after ', U+2019 or U+FF07. */
export const possessiveEnglishFilter: TokenFilter = (stream) => {
  const tokens = stream.tokens
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    const n = token.length
    if (n < 2 || (token[n - 1] !== 's' && token[n - 1] !== 'S')) continue
    const apostrophe = token[n - 2]
    if (apostrophe === "'" || apostrophe === '\u2019' || apostrophe === '\uff07') tokens[i] = token.slice(0, -2)
  }
  return stream
}

/** Java's `Character.isWhitespace` for one UTF-16 unit. */
export function isJavaWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f)
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a && code !== 0x2007) || code === 0x2028 ||
    code === 0x2029 || code === 0x205f || code === 0x3000
}

/** TrimFilter: strips Java whitespace from both ends (an all-space token becomes empty, not dropped). */
export const trimFilter: TokenFilter = (stream) => {
  const tokens = stream.tokens
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    let start = 0
    let end = token.length
    while (start < end && isJavaWhitespace(token.charCodeAt(start))) start++
    while (end > start && isJavaWhitespace(token.charCodeAt(end - 1))) end--
    if (start > 0 || end < token.length) tokens[i] = token.slice(start, end)
  }
  return stream
}

/**
 * Elasticsearch's UniqueTokenFilter: keeps the first occurrence of each token. It is not a
 * FilteringTokenFilter: it skips duplicates without carrying their position increments, so each
 * kept token lands its own increment after the previous kept one (no gap). Removals after the last
 * kept token still leave `end` where filters before this one put it: the filter has no `end()` of
 * its own.
 * @param onlyOnSamePosition - drop only a token equal to one stacked at the same position
 */
export function uniqueFilter(onlyOnSamePosition: boolean): TokenFilter {
  return (stream) => {
    const { tokens, positions, attributes } = stream
    if (tokens.length === 0) return stream
    const seen = new Set<string>()
    const trailing = stream.end - positions[positions.length - 1]
    let kept = 0
    let previous = -1
    let position = -1
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]
      const increment = positions[i] - previous
      previous = positions[i]
      if (onlyOnSamePosition && increment > 0) seen.clear()
      if (seen.has(token)) continue
      seen.add(token)
      position += increment
      if (attributes) moveAttributes(attributes, i, kept)
      tokens[kept] = token
      positions[kept++] = position
    }
    tokens.length = kept
    positions.length = kept
    if (attributes) truncateAttributes(attributes, kept)
    stream.end = position + trailing
    return stream
  }
}

/** LengthFilter: keeps tokens of `min` to `max` UTF-16 units. */
export function lengthFilter(min: number, max: number): TokenFilter {
  return (stream) => keepIf(stream, (token) => token.length >= min && token.length <= max)
}
