/**
 * Highlighting: marks the words of a text whose index terms are among the query's terms, and
 * cuts fragments around them. Words are found with the same UAX#29 segmentation as analysis, and
 * each word is mapped to its terms by the index's encoder, so stemmed or sub-word matches light up.
 * @module
 */
import { segmentWords } from '../encode/segmenter.js'

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

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * @param text - the field text
 * @param matches - true when a word's terms meet the query
 * @returns fragments with matches wrapped in tags; empty when nothing matches
 */
export function highlight(text: string, matches: (word: string) => boolean, options: HighlightOptions = {}): string[] {
  const { preTag = '<em>', postTag = '</em>', fragmentSize = 150, fragments = 3, escapeHtml = false } = options
  const spans: Array<[number, number]> = []
  for (const { segment, index, isWordLike } of segmentWords(text)) {
    if (isWordLike && matches(segment)) spans.push([index, index + segment.length])
  }
  if (spans.length === 0) return []
  const out: string[] = []
  let next = 0
  let previousEnd = 0
  while (next < spans.length && out.length < fragments) {
    const start = Math.max(previousEnd, spans[next][0] - Math.floor(fragmentSize / 3))
    const end = Math.min(text.length, start + fragmentSize)
    let piece = ''
    let at = start
    while (next < spans.length && spans[next][1] <= end) {
      const [from, to] = spans[next++]
      piece += part(text.slice(at, from)) + preTag + part(text.slice(from, to)) + postTag
      at = to
    }
    if (at === start) {
      next++ // a match longer than the fragment: skip it
      continue
    }
    out.push((start > 0 ? '…' : '') + piece + part(text.slice(at, end)) + (end < text.length ? '…' : ''))
    previousEnd = end
  }
  return out

  function part(s: string): string {
    return escapeHtml ? escape(s) : s
  }
}
