/**
 * UAX#29 word segmentation (Intl.Segmenter) in linear time. V8's segmenter slows down
 * superlinearly on long strings (50,000 characters: 135 ms; 200,000: 14 s, while other requests
 * wait), so long texts are segmented in slices of about 8,000 characters, cut just before a
 * whitespace character: a word boundary always falls there (UAX#29 joins a space only to a
 * following space or combining mark, and no word-like segment contains one). A stretch of 16,000
 * characters without whitespace (e.g. CJK text) is cut where it reaches that length.
 * @module
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'word' })

const SLICE = 8_000

/** One segment, with its offset in the whole text. */
export interface Segment {
  segment: string
  index: number
  isWordLike: boolean
}

/** The UAX#29 word segments of `text`, in order, with offsets into `text`. */
export function* segmentWords(text: string): Generator<Segment> {
  for (let start = 0; start < text.length; ) {
    const end = sliceEnd(text, start)
    const slice = start === 0 && end === text.length ? text : text.slice(start, end)
    for (const { segment, index, isWordLike } of segmenter.segment(slice)) yield { segment, index: start + index, isWordLike: isWordLike === true }
    start = end
  }
}

/** Where the slice starting at `start` ends: the first whitespace at or after start + SLICE. */
function sliceEnd(text: string, start: number): number {
  if (text.length - start <= SLICE) return text.length
  const hardEnd = Math.min(text.length, start + 2 * SLICE)
  for (let at = start + SLICE; at < hardEnd; at++) {
    const code = text.charCodeAt(at)
    // Cut before a whitespace that does not follow a high surrogate (never split a pair).
    if ((code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d) && !isHighSurrogate(text.charCodeAt(at - 1))) return at
  }
  return isHighSurrogate(text.charCodeAt(hardEnd - 1)) ? hardEnd - 1 : hardEnd
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
