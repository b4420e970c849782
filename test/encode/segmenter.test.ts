import { describe, expect, it } from 'vitest'
import { segmentWords } from '../../src/encode/segmenter.js'
import { highlight } from '../../src/search/highlight.js'

const whole = (text: string) => [...new Intl.Segmenter('en', { granularity: 'word' }).segment(text)].map(({ segment, index, isWordLike }) => ({ segment, index, isWordLike: isWordLike === true }))

describe('segmentWords: UAX#29 words in slices', () => {
  it('gives exactly the segments of one Intl.Segmenter pass over the whole text', () => {
    const words = ['naïve', 'café', "l'été", 'Straße', '3.14', 'e-mail', 'ÆØÅ', '日本語', 'emoji 👍🏽', 'x\u0301y', 'a_b', '', ' ']
    let text = ''
    for (let i = 0; text.length < 40_000; i++) text += words[(i * 7) % words.length] + (i % 13 === 0 ? '\n\t ' : ' ')
    expect([...segmentWords(text)]).toEqual(whole(text))
  })

  it('never splits a surrogate pair in a long run without whitespace', () => {
    const text = '😀'.repeat(20_000)
    const segments = [...segmentWords(text)]
    expect(segments.map((s) => s.segment).join('')).toBe(text)
    expect(segments.every((s) => !/[\ud800-\udbff]$/.test(s.segment))).toBe(true)
  })

  it('highlights a 1 MB non-ASCII field (a 200 KB one took 14 s in one Intl.Segmenter pass)', () => {
    const text = 'über die Brücke und zurück '.repeat(40_000)
    const fragments = highlight(text, (word) => word === 'Brücke', { fragments: 2 })
    expect(fragments).toHaveLength(2)
    expect(fragments[0]).toContain('<em>Brücke</em>')
  })
})
