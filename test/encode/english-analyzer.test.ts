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
})
