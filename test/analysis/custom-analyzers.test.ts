import { describe, expect, it } from 'vitest'
import { type Analyzer, buildAnalyzers } from '../../src/analysis/index.js'
import { LsrError } from '../../src/errors.js'

/** The analyzer `name` of a registry built from `analysis`. */
function analyzerOf(analysis: unknown, name = 'a'): Analyzer {
  const found = buildAnalyzers(analysis).get(name)
  if (found === undefined) throw new Error(`no analyzer ${name}`)
  return found
}

/** The tokens of the analyzer `name` of a registry built from `analysis`. */
function build(analysis: unknown, name = 'a'): (text: string) => string[] {
  const analyze = analyzerOf(analysis, name)
  return (text) => analyze(text).tokens
}

/** A custom analyzer over `tokenizer` and `filter`, with `filters` declared beside it. */
const custom = (tokenizer: string, filter: string[], filters: Record<string, unknown> = {}) =>
  build({ analyzer: { a: { type: 'custom', tokenizer, filter } }, filter: filters })

describe('custom analyzers', () => {
  it('whitespace + lowercase + stop (custom list) + porter_stem', () => {
    const analyze = custom('whitespace', ['lowercase', 'my_stop', 'porter_stem'], { my_stop: { type: 'stop', stopwords: ['the', 'to'] } })
    expect(analyze('The Runners ARE running to the races')).toEqual(['runner', 'ar', 'run', 'race'])
  })

  it('standard + lowercase + asciifolding', () => {
    expect(custom('standard', ['lowercase', 'asciifolding'])('Crème Brûlée')).toEqual(['creme', 'brulee'])
  })

  it('takes an analyzer with a tokenizer and no type as custom', () => {
    expect(build({ analyzer: { a: { tokenizer: 'keyword', filter: 'lowercase' } } })('Hello World')).toEqual(['hello world'])
  })

  it('uses a declared tokenizer with max_token_length', () => {
    const analyze = build({ analyzer: { a: { tokenizer: 'short' } }, tokenizer: { short: { type: 'standard', max_token_length: 5 } } })
    expect(analyze('abcdefghijkl ok')).toEqual(['abcde', 'fghij', 'kl', 'ok'])
  })

  it('letter and lowercase tokenizers', () => {
    expect(custom('letter', [])('Hello WORLD-x2y')).toEqual(['Hello', 'WORLD', 'x', 'y'])
    expect(custom('lowercase', [])('Hello WORLD-x2y')).toEqual(['hello', 'world', 'x', 'y'])
  })
})

describe('token filters', () => {
  it('asciifolding folds non-decomposing Latin letters, ligatures, fullwidth forms and typographic punctuation', () => {
    expect(custom('standard', ['lowercase', 'asciifolding'])('Straße Ærøskøbing Łódź œuvre þorn ﬁle ＡＢＣ')).toEqual(
      ['strasse', 'aeroskobing', 'lodz', 'oeuvre', 'thorn', 'file', 'abc'])
    expect(custom('whitespace', ['asciifolding'])('\u201cquoted\u201d\u2014dash it\u2019s')).toEqual(['"quoted"-dash', "it's"])
  })

  it('asciifolding with preserve_original emits the folded token, then the original', () => {
    const analyze = custom('standard', ['keep'], { keep: { type: 'asciifolding', preserve_original: true } })
    expect(analyze('açaí à la carte')).toEqual(['acai', 'açaí', 'a', 'à', 'la', 'carte'])
  })

  it('porter_stem does not lowercase: upper-case letters are consonants that match no suffix', () => {
    expect(custom('whitespace', ['porter_stem'])('RUNNING Running running')).toEqual(['RUNNING', 'Run', 'run'])
  })

  it('stemmer by language: english (Porter), minimal_english, possessive_english', () => {
    const stemmer = (language: string) => custom('whitespace', ['s'], { s: { type: 'stemmer', language } })
    expect(stemmer('english')('running ponies')).toEqual(['run', 'poni'])
    expect(stemmer('minimal_english')('ponies cats dresses does bus')).toEqual(['pony', 'cat', 'dresse', 'does', 'bus'])
    expect(stemmer('possessive_english')("John's JOHN'S O'Neil\u2019s")).toEqual(['John', 'JOHN', "O'Neil"])
    expect(custom('whitespace', ['stemmer'])('running')).toEqual(['run'])
  })

  it('stop: ignore_case, _english_ inside a list, _none_', () => {
    const stop = (settings: Record<string, unknown>) => custom('whitespace', ['s'], { s: { type: 'stop', ...settings } })
    expect(stop({ stopwords: ['The'] })('the THE The cat')).toEqual(['the', 'THE', 'cat'])
    expect(stop({ stopwords: ['The'], ignore_case: true })('the THE tHe cat')).toEqual(['cat'])
    expect(stop({ stopwords: ['_english_', 'cat'] })('the cat sat on a mat')).toEqual(['sat', 'mat'])
    expect(stop({ stopwords: 'cat, mat' })('the cat sat on a mat')).toEqual(['the', 'sat', 'on', 'a'])
    expect(stop({ stopwords: '_none_' })('the cat')).toEqual(['the', 'cat'])
  })

  it('length, unique and trim', () => {
    expect(custom('whitespace', ['l'], { l: { type: 'length', min: 2, max: '4' } })('a bb ccc dddd eeeee')).toEqual(['bb', 'ccc', 'dddd'])
    expect(custom('whitespace', ['unique'])('a b a c b')).toEqual(['a', 'b', 'c'])
    expect(custom('keyword', ['trim'])('  padded\t')).toEqual(['padded'])
    expect(custom('keyword', ['trim'])('   ')).toEqual([''])
  })
})

describe('analyzers of the built-in types, with parameters', () => {
  it('standard with stopwords and max_token_length', () => {
    const analyze = build({ analyzer: { a: { type: 'standard', stopwords: '_english_', max_token_length: 4 } } })
    expect(analyze('The quick fox')).toEqual(['quic', 'k', 'fox'])
  })

  it('stop with a list of stop words', () => {
    expect(build({ analyzer: { a: { type: 'stop', stopwords: ['fox'] } } })('The quick fox')).toEqual(['the', 'quick'])
  })

  it('simple, whitespace, keyword and english types without parameters', () => {
    const registry = buildAnalyzers({ analyzer: { s: { type: 'simple' }, w: { type: 'whitespace' }, k: { type: 'keyword' }, e: { type: 'english' } } })
    expect(registry.get('s')?.('A-b').tokens).toEqual(['a', 'b'])
    expect(registry.get('w')?.('A-b c').tokens).toEqual(['A-b', 'c'])
    expect(registry.get('k')?.('A-b c').tokens).toEqual(['A-b c'])
    expect(registry.get('e')?.('The runs').tokens).toEqual(['run'])
  })

  it('a declared default (and default_search) becomes the index default', () => {
    const registry = buildAnalyzers({ analyzer: { default: { type: 'whitespace' } } })
    expect(registry.get('default')?.('The Cat').tokens).toEqual(['The', 'Cat'])
    expect(registry.get('default_search')?.('The Cat').tokens).toEqual(['The', 'Cat'])
    const both = buildAnalyzers({ analyzer: { default: { type: 'whitespace' }, default_search: { type: 'keyword' } } })
    expect(both.get('default_search')?.('The Cat').tokens).toEqual(['The Cat'])
  })

  it('a declared analyzer may replace a built-in name; default stays the built-in standard', () => {
    const registry = buildAnalyzers({ analyzer: { standard: { type: 'standard', stopwords: '_english_' } } })
    expect(registry.get('standard')?.('The Cat').tokens).toEqual(['cat'])
    expect(registry.get('default')?.('The Cat').tokens).toEqual(['the', 'cat'])
  })
})

/** Expects building `analysis` to throw an invalid_argument LsrError whose message contains every fragment. */
function expectInvalid(analysis: unknown, ...fragments: string[]): void {
  let error: unknown
  try {
    buildAnalyzers(analysis)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(LsrError)
  expect((error as LsrError).code).toBe('invalid_argument')
  for (const fragment of fragments) expect((error as LsrError).message).toContain(fragment)
}

describe('errors name what is wrong', () => {
  it('the shape of settings.analysis', () => {
    expectInvalid([], 'settings.analysis must be an object')
    expectInvalid({ normalizer: {} }, 'unsupported key [normalizer]')
    expectInvalid({ filter: [] }, 'settings.analysis.filter must be an object')
    expectInvalid({ filter: { f: 'lowercase' } }, 'filter [f] must be an object')
  })

  it('analyzer types and names', () => {
    expectInvalid({ analyzer: { my_an: { type: 'pattern' } } }, 'Unknown analyzer type [pattern] for [my_an]')
    expectInvalid({ analyzer: { x: { filter: ['lowercase'] } } }, 'analyzer [x] must specify either an analyzer type, or a tokenizer')
    expectInvalid({ analyzer: { _x: { type: 'simple' } } }, "analyzer name must not start with '_'", '_x')
  })

  it('the parts of a custom analyzer', () => {
    expectInvalid({ analyzer: { x: { type: 'custom' } } }, 'Custom Analyzer [x] must be configured with a tokenizer')
    expectInvalid({ analyzer: { x: { tokenizer: 'ngram' } } }, 'Custom Analyzer [x] failed to find tokenizer under name [ngram]')
    expectInvalid({ analyzer: { my_an: { tokenizer: 'standard', filter: ['lowercase', 'foo'] } } }, 'Custom Analyzer [my_an] failed to find filter under name [foo]')
    expectInvalid({ analyzer: { x: { tokenizer: 'standard', char_filter: ['html_strip'] } } }, 'char_filter [html_strip]', '[x]', 'not supported')
    expectInvalid({ analyzer: { x: { tokenizer: 'standard', char_filter: ['nope'] } } }, 'failed to find char_filter under name [nope]')
    expectInvalid({ analyzer: { x: { tokenizer: 'standard', filter: [3] } } }, '[filter] of analyzer [x] must be a string or a list of strings')
  })

  it('unknown and unsupported parameters', () => {
    expectInvalid({ analyzer: { x: { type: 'simple', bar: 1 } } }, 'unknown parameter [bar] in analyzer [x]')
    expectInvalid({ analyzer: { x: { type: 'custom', tokenizer: 'standard', bar: 1 } } }, 'unknown parameter [bar] in analyzer [x]')
    expectInvalid({ analyzer: { x: { type: 'english', stopwords: ['a'] } } }, 'parameter [stopwords] of analyzer [x] is not supported')
    expectInvalid({ filter: { s: { type: 'stop', stopwords_path: 'stop.txt' } } }, 'parameter [stopwords_path] of filter [s] is not supported')
    expectInvalid({ filter: { s: { type: 'trim', update_offsets: true } } }, 'unknown parameter [update_offsets] in filter [s]')
  })

  it('parameter values', () => {
    expectInvalid({ tokenizer: { t: { type: 'standard', max_token_length: 0 } } }, '[max_token_length] of tokenizer [t] must be between 1 and 1048576')
    expectInvalid({ tokenizer: { t: { type: 'whitespace', max_token_length: 'long' } } }, 'failed to parse [max_token_length] of tokenizer [t]')
    expectInvalid({ filter: { s: { type: 'stop', ignore_case: 'yes' } } }, 'failed to parse [ignore_case] of filter [s]')
    expectInvalid({ filter: { s: { type: 'stop', stopwords: '_french_' } } }, 'stopwords [_french_] of filter [s]')
    expectInvalid({ filter: { s: { type: 'stemmer', language: 'light_english' } } }, 'stemmer language [light_english] of filter [s] is not supported')
    expectInvalid({ filter: { l: { type: 'length', min: 5, max: 2 } } }, '[min] of filter [l] must not exceed [max]')
  })

  it('declared component types', () => {
    expectInvalid({ filter: { f: { type: 'synonym' } } }, 'Unknown filter type [synonym] for [f]')
    expectInvalid({ filter: { f: { stopwords: [] } } }, 'filter [f] must specify a [type]')
    expectInvalid({ tokenizer: { t: { type: 'ngram' } } }, 'Unknown tokenizer type [ngram] for [t]')
    expectInvalid({ char_filter: { c: { type: 'html_strip' } } }, 'char_filter type [html_strip] of char_filter [c] is not supported')
    expectInvalid({ char_filter: { c: { type: 'magic' } } }, 'Unknown char_filter type [magic] for [c]')
  })
})
