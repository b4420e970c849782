/**
 * Token offsets and types (Lucene's OffsetAttribute and TypeAttribute), which an analyzer gives
 * only when asked (`_analyze`): each tokenizer's offsets in the text, filters keeping them (a
 * stacked token takes its original's, a removed token takes its own away), and the same tokens and
 * positions with and without them. Expected values are counted by hand from the strings.
 */
import { describe, expect, it } from 'vitest'
import { buildAnalyzers, standardTokenType, transientAnalyzer, type Analyzer } from '../../src/analysis/index.js'
import { analyzeEnglishStream } from '../../src/encode/english-analyzer.js'

const builtIns = buildAnalyzers(undefined)

/** [token, start, end, type, position] rows of `text`. */
function rows(analyze: Analyzer, text: string): Array<[string, number, number, string, number]> {
  const stream = analyze(text, true)
  const { startOffsets, endOffsets, types } = stream.attributes!
  expect([startOffsets.length, endOffsets.length, types.length]).toEqual([stream.tokens.length, stream.tokens.length, stream.tokens.length])
  return stream.tokens.map((token, i) => [token, startOffsets[i], endOffsets[i], types[i], stream.positions[i]])
}
const named = (name: string) => builtIns.get(name)!

describe('offsets of the built-in analyzers', () => {
  it('standard: Elasticsearch\'s documented sentence, <ALPHANUM> and <NUM>', () => {
    expect(rows(named('standard'), "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.")).toEqual([
      ['the', 0, 3, '<ALPHANUM>', 0], ['2', 4, 5, '<NUM>', 1], ['quick', 6, 11, '<ALPHANUM>', 2], ['brown', 12, 17, '<ALPHANUM>', 3],
      ['foxes', 18, 23, '<ALPHANUM>', 4], ['jumped', 24, 30, '<ALPHANUM>', 5], ['over', 31, 35, '<ALPHANUM>', 6], ['the', 36, 39, '<ALPHANUM>', 7],
      ['lazy', 40, 44, '<ALPHANUM>', 8], ["dog's", 45, 50, '<ALPHANUM>', 9], ['bone', 51, 55, '<ALPHANUM>', 10],
    ])
  })

  it('standard on non-ASCII text: ideographs one by one, a Katakana run, numbers, Hangul, emoji (a surrogate pair is 2 units), Thai', () => {
    expect(rows(named('standard'), '東京タワー 3.14 1,000 한국어 😀 ไทยภาษา café')).toEqual([
      ['東', 0, 1, '<IDEOGRAPHIC>', 0], ['京', 1, 2, '<IDEOGRAPHIC>', 1], ['タワー', 2, 5, '<KATAKANA>', 2], ['3.14', 6, 10, '<NUM>', 3],
      ['1,000', 11, 16, '<NUM>', 4], ['한국어', 17, 20, '<HANGUL>', 5], ['😀', 21, 23, '<EMOJI>', 6], ['ไทยภาษา', 24, 31, '<SOUTHEAST_ASIAN>', 7],
      ['café', 32, 36, '<ALPHANUM>', 8],
    ])
    // Hiragana one by one; a narrow no-break space separates (Lucene's Unicode 9 rules).
    expect(rows(named('standard'), 'ひら a\u202fb')).toEqual([
      ['ひ', 0, 1, '<HIRAGANA>', 0], ['ら', 1, 2, '<HIRAGANA>', 1], ['a', 3, 4, '<ALPHANUM>', 2], ['b', 5, 6, '<ALPHANUM>', 3],
    ])
  })

  it('standard: a word longer than max_token_length is cut into pieces at their own offsets; connector runs are dropped', () => {
    const analyzers = buildAnalyzers({ analyzer: { short: { type: 'standard', max_token_length: 4 } } })
    expect(rows(analyzers.get('short')!, 'abcdefghij __ x_1')).toEqual([
      ['abcd', 0, 4, '<ALPHANUM>', 0], ['efgh', 4, 8, '<ALPHANUM>', 1], ['ij', 8, 10, '<ALPHANUM>', 2], ['x_1', 14, 17, '<ALPHANUM>', 3],
    ])
  })

  it('whitespace, simple and keyword: type word; letter runs split at anything else', () => {
    expect(rows(named('whitespace'), ' The quick\tfox. ')).toEqual([['The', 1, 4, 'word', 0], ['quick', 5, 10, 'word', 1], ['fox.', 11, 15, 'word', 2]])
    expect(rows(named('simple'), "Don't STOP-me")).toEqual([['don', 0, 3, 'word', 0], ['t', 4, 5, 'word', 1], ['stop', 6, 10, 'word', 2], ['me', 11, 13, 'word', 3]])
    expect(rows(named('keyword'), 'New York')).toEqual([['New York', 0, 8, 'word', 0]])
    expect(rows(named('keyword'), '')).toEqual([['', 0, 0, 'word', 0]])
  })

  it('stop: removed words take their offsets with them and leave position gaps', () => {
    expect(rows(named('stop'), 'The quick and the dead')).toEqual([['quick', 4, 9, 'word', 1], ['dead', 18, 22, 'word', 4]])
  })

  it('english: a possessive, stem and stop words change tokens, never offsets (the tokenizer\'s word)', () => {
    expect(rows(named('english'), "The dog's running shoes")).toEqual([['dog', 4, 9, '<ALPHANUM>', 1], ['run', 10, 17, '<ALPHANUM>', 2], ['shoe', 18, 23, '<ALPHANUM>', 3]])
    // The non-ASCII path (Intl.Segmenter) agrees.
    expect(rows(analyzeEnglishStream, 'Crème brûlées')).toEqual([['crème', 0, 5, '<ALPHANUM>', 0], ['brûlée', 6, 13, '<ALPHANUM>', 1]])
  })
})

describe('offsets through custom analyzers and request-built ones', () => {
  it('asciifolding preserve_original stacks the original at the fold\'s offsets and position', () => {
    const analyze = transientAnalyzer({ tokenizer: 'standard', filter: [{ type: 'asciifolding', preserve_original: true }] }, builtIns, true)
    expect(rows(analyze, 'déjà vu')).toEqual([['deja', 0, 4, '<ALPHANUM>', 0], ['déjà', 0, 4, '<ALPHANUM>', 0], ['vu', 5, 7, '<ALPHANUM>', 1]])
  })

  it('unique and length drop tokens with their offsets; lowercase tokenizer keeps the letter offsets', () => {
    const analyzers = buildAnalyzers({
      filter: { short: { type: 'length', max: 3 } },
      analyzer: {
        uniq: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase', 'unique'] },
        lower: { type: 'custom', tokenizer: 'lowercase', filter: ['short'] },
      },
    })
    expect(rows(analyzers.get('uniq')!, 'a B a b c')).toEqual([['a', 0, 1, 'word', 0], ['b', 2, 3, 'word', 1], ['c', 8, 9, 'word', 2]])
    expect(rows(analyzers.get('lower')!, 'The LONGEST cat')).toEqual([['the', 0, 3, 'word', 0], ['cat', 12, 15, 'word', 2]])
  })

  it('request-built analyzers: filters alone are a normalizer (keyword tokenizer); unknown components are named', () => {
    expect(rows(transientAnalyzer({ filter: ['lowercase'] }, builtIns, true), 'Hello World')).toEqual([['hello world', 0, 11, 'word', 0]])
    expect(() => transientAnalyzer({ tokenizer: 'nope' }, builtIns, true)).toThrow('failed to find global tokenizer under [nope]')
    expect(() => transientAnalyzer({ tokenizer: 'standard', filter: ['nope'] }, builtIns, false)).toThrow('failed to find filter under [nope]')
    expect(() => transientAnalyzer({ tokenizer: 'standard', char_filter: ['html_strip'] }, builtIns, true)).toThrow('char_filter [html_strip] is not supported: lsr implements no char filters')
    expect(() => transientAnalyzer({ tokenizer: { type: 'ngram' } }, builtIns, true)).toThrow('Unknown tokenizer type [ngram] for [_anonymous_tokenizer]')
  })
})

describe('asking for offsets changes nothing else', () => {
  const samples = ["The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.", '東京タワー 3.14 한국어 😀 ไทยภาษา', 'Crème Brûlée, ﬁne  ', '', '   ', 'a'.repeat(600) + ' b']
  const analyzers = buildAnalyzers({
    filter: { fold: { type: 'asciifolding', preserve_original: true } },
    analyzer: { custom: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'stop', 'fold', 'unique'] } },
  })
  it.each(['standard', 'simple', 'whitespace', 'keyword', 'stop', 'english', 'custom'])('%s: the same tokens, positions and end; no attributes unless asked', (name) => {
    const analyze = analyzers.get(name)!
    for (const text of samples) {
      const plain = analyze(text)
      const attributed = analyze(text, true)
      expect(plain.attributes).toBeUndefined()
      expect({ tokens: attributed.tokens, positions: attributed.positions, end: attributed.end }).toEqual({ tokens: plain.tokens, positions: plain.positions, end: plain.end })
      // Every offset lies in the text and spans the token's source (the lowercased source, for these analyzers without stemming).
      attributed.tokens.forEach((token, i) => {
        const [start, end] = [attributed.attributes!.startOffsets[i], attributed.attributes!.endOffsets[i]]
        expect(0 <= start && start <= end && end <= text.length, `${name} ${token}`).toBe(true)
      })
    }
  })

  it('standardTokenType reads Lucene\'s types off the text', () => {
    expect(['fox', '42', '3.14', '_7_', 'x1', '東', 'ひ', 'カタカナ', '한', 'ไทย', '👍🏽', '1\ufe0f\u20e3'].map(standardTokenType)).toEqual([
      '<ALPHANUM>', '<NUM>', '<NUM>', '<NUM>', '<ALPHANUM>', '<IDEOGRAPHIC>', '<HIRAGANA>', '<KATAKANA>', '<HANGUL>', '<SOUTHEAST_ASIAN>', '<EMOJI>', '<EMOJI>',
    ])
  })
})
