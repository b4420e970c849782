import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { analyzeEnglish, ENGLISH_STOP_WORDS, wordSegments } from '../../src/encode/english-analyzer.js'

describe('analyzeEnglish', () => {
  it('drops exactly Lucene\'s 33 English stop words', () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(33)
    expect(analyzeEnglish('the cat and the hat are in it for no one')).toEqual(['cat', 'hat', 'on'])
  })

  it('removes English possessives before lowercasing, with straight and curly apostrophes', () => {
    expect(analyzeEnglish("John's JOHN'S john\u2019s")).toEqual(['john', 'john', 'john'])
    expect(analyzeEnglish("What's the weather?")).toEqual(['what', 'weather'])
  })

  it('stems with Porter\'s algorithm (known stems)', () => {
    const stems: Record<string, string> = {
      caresses: 'caress', ponies: 'poni', relational: 'relat', conditional: 'condit', running: 'run',
      generalizations: 'gener', happy: 'happi', agreed: 'agre', hopeful: 'hope', oscillators: 'oscil',
    }
    for (const [word, stem] of Object.entries(stems)) expect(analyzeEnglish(word)).toEqual([stem])
  })

  it('tokenizes on Unicode word boundaries like StandardTokenizer', () => {
    expect(analyzeEnglish('U.S.A. e-mail 3,000 1.8 microm2/ms foo_bar')).toEqual(['u.s.a', 'e', 'mail', '3,000', '1.8', 'microm2', 'ms', 'foo_bar'])
    expect(analyzeEnglish('Café Über')).toEqual(['café', 'über'])
  })

  it('gives nothing for text without words', () => {
    expect(analyzeEnglish('')).toEqual([])
    expect(analyzeEnglish('  ?! -- ')).toEqual([])
  })
})

describe('wordSegments', () => {
  it('ASCII fast path equals Intl.Segmenter (UAX#29) on random ASCII text', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'word' })
    const viaIcu = (text: string) => [...segmenter.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment)
    const ascii = fc.string({ unit: fc.constantFrom(...'aZq9 0_:.\',;-!?"/@$%\t\n'.split('')), maxLength: 40 })
    fc.assert(fc.property(ascii, (text) => {
      expect(wordSegments(text)).toEqual(viaIcu(text))
    }), { numRuns: 5000 })
  })

  it('equals one Intl.Segmenter pass, offsets included, on text mixing ASCII and non-ASCII words', () => {
    const segmenter = new Intl.Segmenter('en', { granularity: 'word' })
    const viaIcu = (text: string) => [...segmenter.segment(text)].filter((s) => s.isWordLike).map((s) => [s.segment, s.index])
    // Non-ASCII letters, a combining mark, CJK, an emoji with a skin tone, a non-breaking space, a dash, a curly quote.
    const unit = fc.constantFrom(...'aZq9 0_:.\',;-!?\t\n'.split(''), 'é', '\u0301', 'ß', '日', '本', '👍🏽', '\u00a0', '–', '\u2019', 'β')
    const mixed = fc.array(unit, { maxLength: 40 }).map((units) => units.join(''))
    fc.assert(fc.property(mixed, (text) => {
      const starts: number[] = []
      const words = wordSegments(text, starts)
      expect(words.map((word, i) => [word, starts[i]])).toEqual(viaIcu(text))
      expect(wordSegments(text)).toEqual(words)
    }), { numRuns: 5000 })
  })
})
