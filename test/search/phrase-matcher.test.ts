import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../../scripts/bench/sampling.js'
import { exactPhraseFreq, phraseFreq, phraseMatches, sloppyPhraseFreq, type PhraseTermPositions } from '../../src/search/phrase-matcher.js'

/** Phrase entries for a document of whitespace tokens: `spec` words in phrase order, `a|b` for several terms; positions are token indexes. */
function entries(doc: string, spec: string, offsets?: readonly number[]): PhraseTermPositions[] {
  const tokens = doc.split(' ')
  return spec.split(' ').map((word, i) => {
    const terms = word.split('|')
    return { offset: offsets?.[i] ?? i, terms, positions: tokens.flatMap((t, p) => (terms.includes(t) ? [p] : [])) }
  })
}

const withoutTerms = (es: PhraseTermPositions[]) => es.map(({ offset, positions }) => ({ offset, positions }))

/** Exact brute force: every phrase position p where all entries sit at p + offset. */
function bruteExact(es: readonly PhraseTermPositions[]): number[] {
  const found: number[] = []
  const all = es.map((e) => new Set(Array.from(e.positions)))
  for (let p = -10; p < 40; p++) if (es.every((e, i) => all[i].has(p + e.offset))) found.push(p)
  return found
}

/** Sloppy brute force: one position per entry, all distinct, whose phrase positions (position - offset) span at most `slop`. */
function bruteSloppyMatches(es: readonly PhraseTermPositions[], slop: number): boolean {
  const chosen: number[] = []
  const pick = (i: number): boolean => {
    if (i === es.length) {
      const phrasePositions = chosen.map((p, k) => p - es[k].offset)
      return Math.max(...phrasePositions) - Math.min(...phrasePositions) <= slop
    }
    for (const p of Array.from(es[i].positions)) {
      if (chosen.slice(0, i).includes(p)) continue
      chosen[i] = p
      if (pick(i + 1)) return true
    }
    return false
  }
  return pick(0)
}

/** Random documents over a tiny vocabulary (repeats and overlaps are common) and phrases with offset gaps. */
function randomCases(seed: number, count: number, phrases: readonly string[], maxLength = 15) {
  const random = mulberry32(seed)
  return Array.from({ length: count }, (_, i) => {
    const spec = phrases[i % phrases.length]
    let at = 0
    const offsets = spec.split(' ').map((_, k) => (k === 0 ? 0 : (at += random() < 0.25 ? 2 : 1)))
    const doc = Array.from({ length: 1 + Math.floor(random() * maxLength) }, () => 'abcd'[Math.floor(random() * 4)]).join(' ')
    return { spec, doc, offsets, slop: 1 + Math.floor(random() * 4), es: entries(doc, spec, offsets) }
  })
}

const DISTINCT = ['a', 'a b', 'b a', 'a c', 'a b c', 'c a b', 'a b c d']
const REPEATED = ['a a', 'a b a', 'a a b', 'b a a', 'a a a', 'a b a b', 'a b b a', 'a b a c a']

describe('exactPhraseFreq', () => {
  it('counts overlapping occurrences', () => {
    expect(exactPhraseFreq(entries('a a a', 'a a'))).toBe(2)
    expect(exactPhraseFreq(entries('a b a b a', 'a b a'))).toBe(2)
  })

  it('honours offset gaps and needs every entry', () => {
    expect(exactPhraseFreq(entries('a x b a b', 'a b', [0, 2]))).toBe(1)
    expect(exactPhraseFreq(entries('a b', 'a b c'))).toBe(0)
    expect(exactPhraseFreq([])).toBe(0)
  })

  it('equals a brute force over random documents, spans included', () => {
    const cases = randomCases(1, 2000, [...DISTINCT, ...REPEATED])
    const expected = cases.map(({ es }) => {
      const starts = bruteExact(es)
      const least = Math.min(...es.map((e) => e.offset))
      const greatest = Math.max(...es.map((e) => e.offset))
      return { freq: starts.length, spans: starts.map((p) => [p + least, p + greatest]) }
    })
    expect(cases.map(({ es }) => ({ freq: exactPhraseFreq(es), spans: phraseMatches(es, 0) }))).toEqual(expected)
  })
})

describe('sloppyPhraseFreq', () => {
  // Values from Lucene 4.10.4 (PhraseQuery with slop, explain's phraseFreq).
  it.each([
    ['x a b a y', 'a b', 2, 1 + 1 / 3], // "a b" and "b a": Lucene's own example
    ['b a', 'a b', 2, 1 / 3], // out of order costs 2
    ['a b c b a', 'a b c', 4, 1.4000001], // and "c b a"~4 differs, as Lucene's javadoc says
    ['a b c b a', 'c b a', 4, 1.2],
    ['a a a', 'a a', 1, 2],
    ['a b a b a', 'a b a', 2, 2],
  ])('in "%s", "%s"~%i has freq %s as in Lucene', (doc, spec, slop, freq) => {
    expect(sloppyPhraseFreq(entries(doc, spec), slop)).toBe(Math.fround(freq))
  })

  it('is 1 / (1 + span) when every entry occurs once', () => {
    const random = mulberry32(2)
    const wrong: string[] = []
    for (let i = 0; i < 2000; i++) {
      const n = 2 + Math.floor(random() * 3)
      const spec = 'abcd'.slice(0, n).split('').join(' ')
      const tokens = Array.from({ length: 4 + Math.floor(random() * 8) }, () => 'x')
      const places = new Set<number>()
      while (places.size < n) places.add(Math.floor(random() * tokens.length))
      ;[...places].forEach((p, k) => (tokens[p] = 'abcd'[k]))
      const es = entries(tokens.join(' '), spec)
      const phrasePositions = es.map((e) => e.positions[0] - e.offset)
      const span = Math.max(...phrasePositions) - Math.min(...phrasePositions)
      const slop = 1 + Math.floor(random() * 6)
      const spans = JSON.stringify(span <= slop ? [[Math.min(...places), Math.max(...places)]] : [])
      if (sloppyPhraseFreq(es, slop) !== (span <= slop ? Math.fround(1 / (1 + span)) : 0) || JSON.stringify(phraseMatches(es, slop)) !== spans) wrong.push(`"${spec}"~${slop} in "${tokens.join(' ')}"`)
    }
    expect(wrong).toEqual([])
  })

  it('matches a document exactly when a brute force finds distinct positions within the slop (no repeats, or one-term repeats in at most two groups)', () => {
    const cases = randomCases(3, 3000, [...DISTINCT, ...REPEATED], 20)
    const differ = cases.filter(({ es, slop }) => sloppyPhraseFreq(es, slop) > 0 !== bruteSloppyMatches(es, slop))
    expect(differ.map(({ spec, doc, slop }) => `"${spec}"~${slop} in "${doc}"`)).toEqual([])
  })

  // Where Lucene's walk and the brute force part (values checked with Lucene 4.10.4).
  it('counts, as Lucene, a match no distinct positions support once collisions put its queue out of order (three repeat groups)', () => {
    const es = entries('b a c c b b c b a c a b a b', 'a b c a b c', [0, 2, 3, 4, 5, 6])
    expect(bruteSloppyMatches(es, 2)).toBe(false)
    expect(sloppyPhraseFreq(es, 2)).toBe(Math.fround(1 / 3))
  })

  it('misses, as Lucene, matches whose start-up advances the lesser of two colliding multi-term entries past its end', () => {
    for (const [doc, spec, slop] of [
      ['c d c c d a c b', 'a|b a', 4],
      ['c b a a a c', 'a a|b b', 6],
      ['c d b a d a', 'a|b b|c a|c', 2],
    ] as const) {
      const es = entries(doc, spec)
      expect(bruteSloppyMatches(es, slop)).toBe(true)
      expect(sloppyPhraseFreq(es, slop)).toBe(0)
    }
  })

  it('finds repeats from identical positions when entries carry no terms', () => {
    const cases = randomCases(4, 2000, [...DISTINCT, ...REPEATED], 20)
    const differ = cases.filter(({ es, slop }) => sloppyPhraseFreq(withoutTerms(es), slop) !== sloppyPhraseFreq(es, slop))
    expect(differ.map(({ spec, doc, slop }) => `"${spec}"~${slop} in "${doc}"`)).toEqual([])
  })

  it('is the term frequency for a one-entry phrase (Lucene rewrites it to a term query)', () => {
    expect(sloppyPhraseFreq(entries('a b a', 'a'), 2)).toBe(2)
    expect(phraseMatches(entries('a b a', 'a'), 2)).toEqual([[0, 0], [2, 2]])
  })

  it('gives the spans of its matches', () => {
    expect(phraseMatches(entries('x a b a y', 'a b'), 2)).toEqual([[1, 2], [2, 3]])
  })
})

interface LuceneQuery {
  query: string
  phrase: Array<{ offset: number; terms: string[] }>
  slop: number
  docs: number[]
  freqs: number[]
  searchDiffers: number[]
}

describe('against Lucene 4.10.4 (test/fixtures/phrase-freqs)', () => {
  const fixture: { docs: string[]; queries: LuceneQuery[] } = JSON.parse(readFileSync(new URL('../fixtures/phrase-freqs/lucene-4.10.json', import.meta.url), 'utf8'))

  it('matches the same documents with the same float32 frequencies', () => {
    const tokens = fixture.docs.map((doc) => doc.split(' '))
    const mismatches: string[] = []
    let checked = 0
    for (const q of fixture.queries) {
      const expected = new Map(q.docs.map((d, i) => [d, q.freqs[i]]))
      const es: PhraseTermPositions[] = q.phrase.map(({ offset, terms }) => ({ offset, terms, positions: [] }))
      tokens.forEach((words, d) => {
        for (const e of es) e.positions = words.flatMap((t, p) => (e.terms!.includes(t) ? [p] : []))
        const freq = phraseFreq(es, q.slop)
        const spans = phraseMatches(es, q.slop)
        checked++
        if (freq !== Math.fround(expected.get(d) ?? 0) || spans.length > 0 !== freq > 0) mismatches.push(`${q.query} in doc ${d} "${fixture.docs[d]}": ${freq}, Lucene ${expected.get(d) ?? 0}`)
      })
    }
    expect(mismatches).toEqual([])
    expect(checked).toBe(fixture.queries.length * fixture.docs.length) // 172 queries x 300 documents
  })
})
