import { describe, expect, it } from 'vitest'
import { buildAnalyzers, DEFAULT_POSITION_INCREMENT_GAP, type TokenStream } from '../../src/analysis/index.js'
import { analyzeEnglish, analyzeEnglishStream } from '../../src/encode/english-analyzer.js'

// Expected positions are worked out by hand from Lucene's position increments, not computed.

/** The stream of analyzer `name` (default `a`) of a registry built from `analysis`, on `text`. */
function stream(analysis: unknown, text: string, name = 'a'): TokenStream {
  const analyzer = buildAnalyzers(analysis).get(name)
  if (analyzer === undefined) throw new Error(`no analyzer ${name}`)
  return analyzer(text)
}

/** A custom analyzer over `tokenizer` and `filter`, with `filters` declared beside it, on `text`. */
const custom = (tokenizer: string, filter: string[], text: string, filters: Record<string, unknown> = {}) =>
  stream({ analyzer: { a: { type: 'custom', tokenizer, filter } }, filter: filters }, text)

describe('token positions', () => {
  it('a tokenizer puts its tokens at 0..n-1', () => {
    expect(stream(undefined, 'Hello, World!', 'standard')).toEqual({ tokens: ['hello', 'world'], positions: [0, 1], end: 2 })
    expect(stream(undefined, '', 'keyword')).toEqual({ tokens: [''], positions: [0], end: 1 })
    expect(stream(undefined, ' ', 'whitespace')).toEqual({ tokens: [], positions: [], end: 0 })
  })

  it('stop words leave gaps, leading and trailing ones included', () => {
    expect(stream(undefined, 'the fox', 'stop')).toEqual({ tokens: ['fox'], positions: [1], end: 2 })
    expect(stream(undefined, 'The quick fox jumps over the lazy dog', 'stop')).toEqual({
      tokens: ['quick', 'fox', 'jumps', 'over', 'lazy', 'dog'],
      positions: [1, 2, 3, 4, 6, 7],
      end: 8,
    })
    // A trailing stop word moves the end (FilteringTokenFilter.end()), which the next value starts after.
    expect(stream(undefined, 'fox the a', 'stop')).toEqual({ tokens: ['fox'], positions: [0], end: 3 })
    expect(stream(undefined, 'the', 'stop')).toEqual({ tokens: [], positions: [], end: 1 })
    expect(stream({ analyzer: { a: { type: 'standard', stopwords: ['is'] } } }, 'it is here')).toEqual({ tokens: ['it', 'here'], positions: [0, 2], end: 3 })
  })

  it('the length filter leaves gaps', () => {
    expect(custom('whitespace', ['l'], 'a bb c dd eee', { l: { type: 'length', min: 2, max: 2 } })).toEqual({
      tokens: ['bb', 'dd'],
      positions: [1, 3],
      end: 5,
    })
  })

  it('unique renumbers: a dropped duplicate leaves no gap, a stop filter before it still does', () => {
    expect(custom('whitespace', ['unique'], 'a b a c b')).toEqual({ tokens: ['a', 'b', 'c'], positions: [0, 1, 2], end: 3 })
    const stopThenUnique = (text: string) => custom('whitespace', ['s', 'unique'], text, { s: { type: 'stop', stopwords: ['the'] } })
    // After the stop filter: a@1 b@3 a@4 c@5 (increments 2, 2, 1, 1); unique drops a@4 and its increment.
    expect(stopThenUnique('the a the b a c')).toEqual({ tokens: ['a', 'b', 'c'], positions: [1, 3, 4], end: 5 })
    // The stop filter's trailing gap passes through unique's end.
    expect(stopThenUnique('a b a the')).toEqual({ tokens: ['a', 'b'], positions: [0, 1], end: 3 })
  })

  it('unique with only_on_same_position drops only a duplicate stacked at one position', () => {
    const filters = { keep: { type: 'asciifolding', preserve_original: true }, u: { type: 'unique', only_on_same_position: true } }
    // Folding again makes the preserved original equal to the folded token at the same position.
    expect(custom('whitespace', ['keep', 'asciifolding', 'u'], 'café café', filters)).toEqual({
      tokens: ['cafe', 'cafe'],
      positions: [0, 1],
      end: 2,
    })
  })

  it('asciifolding with preserve_original stacks the original on the folded token', () => {
    expect(custom('standard', ['keep'], 'açaí à la carte', { keep: { type: 'asciifolding', preserve_original: true } })).toEqual({
      tokens: ['acai', 'açaí', 'a', 'à', 'la', 'carte'],
      positions: [0, 0, 1, 1, 2, 3],
      end: 4,
    })
  })

  it('english: stop words leave gaps; the tokens are the bm25 encoder\'s', () => {
    expect(analyzeEnglishStream('the dogs of war')).toEqual({ tokens: ['dog', 'war'], positions: [1, 3], end: 4 })
    expect(stream(undefined, "The dog's running shoes", 'english')).toEqual({ tokens: ['dog', 'run', 'shoe'], positions: [1, 2, 3], end: 4 })
    expect(stream(undefined, 'it is', 'english')).toEqual({ tokens: [], positions: [], end: 2 })
    const long = `to ${'a'.repeat(300)} be`
    expect(analyzeEnglishStream(long)).toMatchObject({ positions: [1, 2], end: 4 })
    for (const text of ['The QUICK brown-fox can\'t jump 2 times_over the lazy dog.', 'Café Über 3,000', long, '']) {
      expect(analyzeEnglishStream(text).tokens).toEqual(analyzeEnglish(text))
    }
  })
})

describe('position increment gaps', () => {
  it('is 100 for every analyzer but a custom one that sets its own', () => {
    const registry = buildAnalyzers({
      analyzer: {
        wide: { type: 'custom', tokenizer: 'standard', position_increment_gap: 1000 },
        tight: { tokenizer: 'whitespace', position_increment_gap: '0' },
        plain: { type: 'custom', tokenizer: 'standard' },
        std: { type: 'standard', stopwords: '_english_' },
      },
    })
    expect(DEFAULT_POSITION_INCREMENT_GAP).toBe(100)
    expect(['standard', 'english', 'keyword', 'default', 'default_search', 'plain', 'std'].map((name) => registry.positionIncrementGap(name))).toEqual(
      [100, 100, 100, 100, 100, 100, 100],
    )
    expect(registry.positionIncrementGap('wide')).toBe(1000)
    expect(registry.positionIncrementGap('tight')).toBe(0)
  })

  it('default and default_search follow a declared default analyzer', () => {
    const registry = buildAnalyzers({ analyzer: { default: { type: 'custom', tokenizer: 'whitespace', position_increment_gap: 7 } } })
    expect(registry.positionIncrementGap('default')).toBe(7)
    expect(registry.positionIncrementGap('default_search')).toBe(7)
    const both = buildAnalyzers({
      analyzer: { default: { tokenizer: 'whitespace', position_increment_gap: 7 }, default_search: { tokenizer: 'whitespace', position_increment_gap: 3 } },
    })
    expect(both.positionIncrementGap('default_search')).toBe(3)
  })
})
