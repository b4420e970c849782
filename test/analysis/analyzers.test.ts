import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BUILT_IN_ANALYZERS, buildAnalyzers } from '../../src/analysis/index.js'

// Expected tokens are written out from Elasticsearch/Lucene behaviour, not computed.
const builtIns = buildAnalyzers(undefined)
/** The tokens of the built-in analyzer `name`. */
const analyzer = (name: string): ((text: string) => string[]) => {
  const found = builtIns.get(name)
  if (found === undefined) throw new Error(`no analyzer ${name}`)
  return (text) => found(text).tokens
}
const standard = analyzer('standard')

describe('standard analyzer (StandardTokenizer + lowercase)', () => {
  it('drops punctuation and lowercases', () => {
    expect(standard('Hello, World!')).toEqual(['hello', 'world'])
  })

  it('keeps decimal points and thousands separators inside numbers', () => {
    expect(standard('3.14 and 1,000')).toEqual(['3.14', 'and', '1,000'])
  })

  it('keeps apostrophes between letters', () => {
    expect(standard("don't O'Reilly's")).toEqual(["don't", "o'reilly's"])
  })

  it('splits e-mail addresses at @ and URLs at / : ? =, keeping dotted names', () => {
    expect(standard('john.doe@example.com')).toEqual(['john.doe', 'example.com'])
    expect(standard('https://www.example.com/path?q=1')).toEqual(['https', 'www.example.com', 'path', 'q', '1'])
  })

  it('joins across underscores and drops underscore-only runs', () => {
    expect(standard('foo_bar _x_ ___ _')).toEqual(['foo_bar', '_x_'])
  })

  it('splits at hyphens and keeps a colon between letters', () => {
    expect(standard('wi-fi')).toEqual(['wi', 'fi'])
    expect(standard('foo:bar')).toEqual(['foo:bar'])
  })

  it('keeps accented letters', () => {
    expect(standard('Café Müller naïve')).toEqual(['café', 'müller', 'naïve'])
  })

  it('emits one token per Han ideograph and Hiragana character, one per Katakana run', () => {
    expect(standard('我是中国人')).toEqual(['我', '是', '中', '国', '人'])
    expect(standard('東京都に住んでいます')).toEqual(['東', '京', '都', 'に', '住', 'ん', 'で', 'い', 'ま', 'す'])
    expect(standard('コンピューターシステム')).toEqual(['コンピューターシステム'])
    expect(standard('東京タワーに')).toEqual(['東', '京', 'タワー', 'に'])
  })

  it('keeps a run of Thai as one token and Hangul words whole', () => {
    expect(standard('ภาษาไทยง่ายนิดเดียว')).toEqual(['ภาษาไทยง่ายนิดเดียว'])
    expect(standard('한국어 텍스트입니다')).toEqual(['한국어', '텍스트입니다'])
  })

  it('emits emoji sequences as tokens', () => {
    expect(standard('I \u2764\ufe0f 🇫🇷 👍🏽!')).toEqual(['i', '\u2764\ufe0f', '🇫🇷', '👍🏽'])
  })

  it('lowercases per character as Java does (İ -> i, Σ -> σ even at a word end)', () => {
    expect(standard('İSTANBUL ΟΔΟΣ')).toEqual(['istanbul', 'οδοσ'])
  })

  it('splits words longer than 255 characters into 255-character pieces', () => {
    expect(standard(`x ${'a'.repeat(300)} y`)).toEqual(['x', 'a'.repeat(255), 'a'.repeat(45), 'y'])
  })

  it('emits pieces of the text in order, each Han ideograph alone, on mixed-script text', () => {
    const tokenize = buildAnalyzers({ analyzer: { t: { tokenizer: 'standard' } } }).get('t')!
    const unit = fc.constantFrom(...'aZ9 _.,\'-東京都にんカタナーภาษา👍🏽한\u202f'.match(/\p{Extended_Pictographic}|[^]/gu)!)
    fc.assert(fc.property(fc.array(unit, { maxLength: 30 }).map((units) => units.join('')), (text) => {
      let at = 0
      for (const token of tokenize(text).tokens) {
        const found = text.indexOf(token, at)
        expect(found).toBeGreaterThanOrEqual(at)
        at = found + token.length
        if (/\p{sc=Han}/u.test(token)) expect([...token]).toHaveLength(1)
      }
    }))
  })

  it('gives nothing for text without words', () => {
    expect(standard('')).toEqual([])
    expect(standard(' -- ?! ')).toEqual([])
  })
})

describe('the same sentence through each built-in analyzer', () => {
  const sentence = "The QUICK brown-fox can't jump 2 times_over the lazy dog."

  it('standard', () => {
    expect(standard(sentence)).toEqual(['the', 'quick', 'brown', 'fox', "can't", 'jump', '2', 'times_over', 'the', 'lazy', 'dog'])
  })

  it('simple: letter runs, lowercased', () => {
    expect(analyzer('simple')(sentence)).toEqual(['the', 'quick', 'brown', 'fox', 'can', 't', 'jump', 'times', 'over', 'the', 'lazy', 'dog'])
  })

  it('stop: simple without English stop words', () => {
    expect(analyzer('stop')(sentence)).toEqual(['quick', 'brown', 'fox', 'can', 't', 'jump', 'times', 'over', 'lazy', 'dog'])
  })

  it('whitespace: whitespace only, case kept', () => {
    expect(analyzer('whitespace')(sentence)).toEqual(['The', 'QUICK', 'brown-fox', "can't", 'jump', '2', 'times_over', 'the', 'lazy', 'dog.'])
  })

  it('keyword: the whole input', () => {
    expect(analyzer('keyword')(sentence)).toEqual([sentence])
  })

  it('english: possessives, stop words and Porter stems', () => {
    expect(analyzer('english')("The dog's running shoes")).toEqual(['dog', 'run', 'shoe'])
  })
})

describe('edge cases of the character tokenizers', () => {
  it('keyword gives one empty token for empty input, as Lucene\'s KeywordTokenizer does', () => {
    expect(analyzer('keyword')('')).toEqual([''])
    expect(analyzer('whitespace')('')).toEqual([])
    expect(analyzer('simple')('')).toEqual([])
  })

  it('whitespace does not split at no-break spaces (Java isWhitespace)', () => {
    expect(analyzer('whitespace')('a\u00a0b c\u2003d\te')).toEqual(['a\u00a0b', 'c', 'd', 'e'])
  })

  it('simple splits letter runs at 255 characters, a straddling surrogate pair making 256', () => {
    const long = `${'a'.repeat(254)}𝐀b`
    expect(analyzer('simple')(long)).toEqual([`${'a'.repeat(254)}𝐀`, 'b'])
  })
})

describe('registry', () => {
  it('knows the built-in analyzers and nothing else', () => {
    expect(BUILT_IN_ANALYZERS).toEqual(['standard', 'simple', 'whitespace', 'keyword', 'stop', 'english'])
    for (const name of BUILT_IN_ANALYZERS) expect(builtIns.has(name)).toBe(true)
    expect(builtIns.has('standard')).toBe(true)
    expect(builtIns.get('french')).toBeUndefined()
    expect(builtIns.has('french')).toBe(false)
  })

  it('resolves default and default_search to standard when none is declared', () => {
    expect(builtIns.get('default')?.('The Cat').tokens).toEqual(['the', 'cat'])
    expect(builtIns.get('default_search')?.('The Cat').tokens).toEqual(['the', 'cat'])
  })
})
