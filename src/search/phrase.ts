/**
 * Phrase queries over one text field: which documents hold a phrase and how often (its frequency,
 * which BM25 then scores as a term's; scorers/bm25.ts).
 *
 * Matching, as Lucene's PhraseQuery and MultiPhraseQuery: the candidates are the documents that
 * hold a term of every phrase position (a roaring intersection, smallest set first); only their
 * positions are decoded, and phrase-matcher.ts counts the occurrences (exact phrases) or sums
 * 1 / (1 + match length) over the sloppy matches. A position may hold several terms (the
 * expansions of `match_phrase_prefix`'s last word): their positions are merged.
 *
 * The result is a posting list like a term's: ascending doc ids, each with a value that is the
 * rank of its frequency among the phrase's distinct frequencies (1 = the smallest). Ranks grow with
 * frequencies, so block maxima built from them bound the score of a block exactly as a term's tf
 * does, and every top-k algorithm runs phrases unchanged.
 * @module
 */
import { LsrError } from '../errors.js'
import type { IndexState } from '../storage/index-state.js'
import { decodePositions } from '../storage/position-codec.js'
import type { PositionsView, PostingList, PostingsView } from '../storage/posting-list.js'
import { RoaringBitmap32 } from '../storage/roaring.js'
import { gallop } from './algorithms/sorted-arrays.js'
import { phraseFreq, type PhraseTermPositions } from './phrase-matcher.js'

/** One position of a phrase: its offset in the phrase (gaps where stop words were) and its terms. */
export interface PhrasePosition {
  offset: number
  /** Index terms (format.ts), one for a word, the expansions for a prefix. */
  terms: readonly string[]
}

/** The documents holding a phrase, with their frequencies (see the module comment). */
export interface PhraseMatches extends PostingsView {
  /** Distinct frequencies ascending: posting value v stands for `freqs[v - 1]`. */
  readonly freqs: Float64Array
  readonly bitmap: RoaringBitmap32
}

/** A phrase of one text field; matched once per state it is asked about (a query asks many times). */
export class Phrase {
  #matched: { state: IndexState; version: number; matches: PhraseMatches } | undefined

  /**
   * @param field - the text field's path
   * @param positions - in phrase order, offsets ascending
   * @param slop - Lucene's slop: how far (in position moves) the terms may stray from the phrase
   */
  constructor(
    readonly field: string,
    readonly positions: readonly PhrasePosition[],
    readonly slop: number,
  ) {}

  /** How users write it: `field:"a b"~2` (a position of several terms as `(x|y)`). */
  display(): string {
    const words = this.positions.map(({ terms }) => {
      const tokens = terms.map((term) => term.slice(term.indexOf('\u0001', 1) + 1))
      return tokens.length === 1 ? tokens[0] : `(${tokens.join('|')})`
    })
    return `${this.field}:"${words.join(' ')}"${this.slop > 0 ? `~${this.slop}` : ''}`
  }

  /** A key equal for equal phrases (to sum the weights of a phrase given twice). */
  key(): string {
    return JSON.stringify([this.field, this.positions, this.slop])
  }

  /** Every index term of the phrase, one per position and expansion (what its IDF sums over). */
  allTerms(): string[] {
    return this.positions.flatMap((p) => p.terms)
  }

  /** The live documents holding the phrase, with frequencies, as of `state` now. */
  matches(state: IndexState): PhraseMatches {
    const memo = this.#matched
    if (memo && memo.state === state && memo.version === state.version) return memo.matches
    const matches = matchPhrase(state, this.field, this.positions, this.slop)
    this.#matched = { state, version: state.version, matches }
    return matches
  }
}

const EMPTY: PhraseMatches = { docs: new Uint32Array(0), values: new Uint32Array(0), length: 0, freqs: new Float64Array(0), bitmap: new RoaringBitmap32() }

/** One term of a phrase position as matching reads it. */
interface TermCursor {
  postings: PostingsView
  positions: PositionsView
  /** Where the last lookup ended (candidates come in ascending order). */
  at: number
}

/**
 * Position comparisons one phrase query may cost (estimated before each document is matched): about
 * a second here. The sloppy matcher, like Lucene's, compares each step against every repeat of
 * its term, so a phrase of a thousand repeated words over a document of twenty thousand took 25 s
 * of the one thread that serves every request; past this a query is a 400 instead.
 */
export const MAX_PHRASE_WORK = 500_000_000

function matchPhrase(state: IndexState, field: string, positions: readonly PhrasePosition[], slop: number): PhraseMatches {
  const slots: TermCursor[][] = []
  const sets: RoaringBitmap32[] = []
  for (const { terms } of positions) {
    const lists = terms.flatMap((term) => {
      const id = state.termIds.get(term)
      return id === undefined || state.df[id] === 0 ? [] : [state.postings[id]]
    })
    if (lists.length === 0) return EMPTY
    for (const list of lists) {
      if (!list.positional) throw new LsrError('invalid_argument', `field [${field}] was indexed without position data; cannot run a phrase query (set index_options to positions)`)
    }
    slots.push(lists.map(cursorOf))
    sets.push(lists.length === 1 ? lists[0].bitmap() : RoaringBitmap32.orMany(lists.map((list) => list.bitmap())))
  }
  // The smallest set first: each AND then shrinks the least work for the next.
  sets.sort((a, b) => a.size - b.size)
  const candidates = sets.reduce((acc, set, i) => (i === 0 ? RoaringBitmap32.andNot(set, state.deleted) : acc.andInPlace(set)), new RoaringBitmap32())
  const docs: number[] = []
  const freqs: number[] = []
  // One array for every candidate: the matcher plans repeated terms once per array it sees.
  const terms: PhraseTermPositions[] = positions.map(({ offset, terms }) => ({ offset, terms, positions: new Uint32Array(0) }))
  const scratch = slots.map(() => new Scratch())
  // Each position compared once (exact), or against each repeat of its term (sloppy).
  const factor = slop === 0 ? 1 : largestRepeat(positions)
  let work = 0
  for (const doc of candidates) {
    for (let j = 0; j < slots.length; j++) {
      terms[j].positions = positionsIn(slots[j], doc, scratch[j])
      work += terms[j].positions.length * factor
    }
    if (work > MAX_PHRASE_WORK) {
      throw new LsrError('invalid_argument', `the phrase on [${field}] needs more than ${MAX_PHRASE_WORK.toLocaleString('en')} position comparisons (its words repeat too often in the documents it matches); use fewer repeated words or slop 0`)
    }
    const freq = phraseFreq(terms, slop)
    if (freq > 0) {
      docs.push(doc)
      freqs.push(freq)
    }
  }
  if (docs.length === 0) return EMPTY
  const distinct = Float64Array.from(new Set(freqs)).sort()
  const rank = new Map<number, number>()
  distinct.forEach((freq, i) => rank.set(freq, i + 1))
  return {
    docs: Uint32Array.from(docs),
    values: Uint32Array.from(freqs, (freq) => rank.get(freq)!),
    length: docs.length,
    freqs: distinct,
    bitmap: new RoaringBitmap32(docs),
  }
}

/** The most phrase positions that share a term (1 when no term repeats). */
function largestRepeat(positions: readonly PhrasePosition[]): number {
  const counts = new Map<string, number>()
  let largest = 1
  for (const { terms } of positions) {
    for (const term of terms) {
      const n = (counts.get(term) ?? 0) + 1
      counts.set(term, n)
      if (n > largest) largest = n
    }
  }
  return largest
}

function cursorOf(list: PostingList): TermCursor {
  // The view and the positions are taken together: both describe the list as it is now.
  return { postings: list.view(), positions: list.positions(), at: 0 }
}

/** A reusable array for one phrase position's decoded positions. */
class Scratch {
  array = new Uint32Array(64)

  fit(length: number): Uint32Array {
    if (this.array.length < length) this.array = new Uint32Array(Math.max(length, this.array.length * 2))
    return this.array
  }
}

/** The positions of `doc` in one phrase position's terms (merged and ascending when several). */
function positionsIn(cursors: readonly TermCursor[], doc: number, scratch: Scratch): Uint32Array {
  let total = 0
  let found = 0
  for (const cursor of cursors) {
    const { docs, values, length } = cursor.postings
    // Candidates ascend: each search starts where the last ended, galloping (they are often near).
    const p = gallop(docs, cursor.at, length, doc)
    cursor.at = p
    if (p < length && docs[p] === doc) {
      total += values[p]
      found++
    }
  }
  const out = scratch.fit(total)
  let filled = 0
  for (const { postings: { docs, values, length }, positions, at } of cursors) {
    if (at === length || docs[at] !== doc) continue
    decodePositions(positions.bytes, positions.starts[at], values[at], out, filled)
    filled += values[at]
  }
  // Several terms at one phrase position (prefix expansions, stacked variants) are merged; a document
  // position counts once even where two of them (or one token stacked on an equal one) share it.
  const merged = found > 1 ? out.subarray(0, total).sort() : out.subarray(0, total)
  return withoutRepeats(merged)
}

/** The ascending positions with repeats removed, in place (the matcher wants them strictly ascending). */
function withoutRepeats(positions: Uint32Array): Uint32Array {
  let kept = positions.length > 0 ? 1 : 0
  for (let i = 1; i < positions.length; i++) if (positions[i] !== positions[kept - 1]) positions[kept++] = positions[i]
  return kept === positions.length ? positions : positions.subarray(0, kept)
}
