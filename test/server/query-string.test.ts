import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HttpError } from '../../src/server/http-error.js'
import { MAX_QUERY_STRING_CLAUSES, parseQueryString, type QueryStringOptions } from '../../src/server/query-string.js'

const TEXT: QueryStringOptions = { defaultFields: ['text'], defaultOperator: 'OR' }
const AND: QueryStringOptions = { defaultFields: ['text'], defaultOperator: 'AND' }
const parse = (q: string, options: QueryStringOptions = TEXT) => parseQueryString(q, options)

/** `{match: {field: {query, ...extra}}}` */
const match = (query: string, extra: Record<string, unknown> = {}, field = 'text') => ({ match: { [field]: { query, ...extra } } })
const all = (query: string, extra: Record<string, unknown> = {}) => match(query, { operator: 'and', ...extra })

/** The HttpError thrown by parsing `q`. */
function failure(q: string, options: QueryStringOptions = TEXT): HttpError {
  try {
    parse(q, options)
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError)
    return error as HttpError
  }
  throw new Error(`parsing [${q}] did not fail`)
}

describe('parseQueryString: terms and fields', () => {
  it('makes one term a match on the default field, not a bool of one clause', () => {
    expect(parse('apple')).toEqual(match('apple'))
  })

  it("searches all fields ('*') by default and OR by default", () => {
    expect(parseQueryString('apple')).toEqual({ match: { '*': { query: 'apple' } } })
    expect(parseQueryString('apple pie')).toEqual({ bool: { should: [{ match: { '*': { query: 'apple' } } }, { match: { '*': { query: 'pie' } } }] } })
  })

  it('makes a term over several default fields a multi_match', () => {
    expect(parse('apple', { defaultFields: ['title', 'text'], defaultOperator: 'OR' })).toEqual({ multi_match: { query: 'apple', fields: ['title', 'text'] } })
    expect(parse('apple', { defaultFields: ['title', 'text'], defaultOperator: 'AND' })).toEqual({ multi_match: { query: 'apple', fields: ['title', 'text'], operator: 'and' } })
  })

  it('takes boosts of default fields (title^2) as Elasticsearch fields do', () => {
    const boosted: QueryStringOptions = { defaultFields: ['title^2', 'text'], defaultOperator: 'OR' }
    expect(parse('apple^3', boosted)).toEqual({ multi_match: { query: 'apple', fields: ['title^2', 'text'], boost: 3 } })
    expect(parse('apple^3', { defaultFields: ['title^2'], defaultOperator: 'OR' })).toEqual(match('apple', { boost: 6 }, 'title'))
    expect(parse('*', boosted)).toEqual({ dis_max: { queries: [{ exists: { field: 'title', boost: 2 } }, { exists: { field: 'text' } }] } })
    expect(parse('*', { defaultFields: ['*^2'], defaultOperator: 'OR' })).toEqual({ match_all: {} })
  })

  it('makes two terms optional under OR and required (all of their tokens) under AND', () => {
    expect(parse('apple pie')).toEqual({ bool: { should: [match('apple'), match('pie')] } })
    expect(parse('apple pie', AND)).toEqual({ bool: { must: [all('apple'), all('pie')] } })
  })

  it('applies field:value to that field only, always as match', () => {
    expect(parse('title:apple')).toEqual(match('apple', {}, 'title'))
    expect(parse('year:2024 pie')).toEqual({ bool: { should: [match('2024', {}, 'year'), match('pie')] } })
  })

  it('applies field:(a b) to each term of the group, and a field inside overrides it', () => {
    expect(parse('title:(apple pie)')).toEqual({ bool: { should: [match('apple', {}, 'title'), match('pie', {}, 'title')] } })
    expect(parse('title:(apple body:pie)')).toEqual({ bool: { should: [match('apple', {}, 'title'), match('pie', {}, 'body')] } })
  })

  it('makes quoted text a phrase on its field, with ~ as its slop (Lucene: the integer part; ~ alone: 0)', () => {
    const phrase = (query: string, extra: Record<string, unknown> = {}, field = 'text') => ({ match_phrase: { [field]: { query, ...extra } } })
    expect(parse('"apple"')).toEqual(phrase('apple'))
    expect(parse('title:"e-mail"')).toEqual(phrase('e-mail', {}, 'title'))
    expect(parse('title:"apple pie"~2')).toEqual(phrase('apple pie', { slop: 2 }, 'title'))
    expect(parse('"apple pie"~2.7^3')).toEqual(phrase('apple pie', { slop: 2, boost: 3 }))
    expect(parse('"apple pie"~')).toEqual(phrase('apple pie'))
    expect(parse('"apple pie" +tart', AND)).toEqual({ bool: { must: [phrase('apple pie'), all('tart')] } })
    expect(parse('"apple pie"~1', { defaultFields: ['title^2', 'body'], defaultOperator: 'OR' })).toEqual({
      multi_match: { query: 'apple pie', fields: ['title^2', 'body'], type: 'phrase', slop: 1 },
    })
    // Over every field (`*` expanded by the caller), fields without positions are left out, as Elasticsearch's lenient default.
    expect(parse('"apple pie"', { defaultFields: ['title', 'body'], defaultOperator: 'OR', allFields: true })).toEqual({
      multi_match: { query: 'apple pie', fields: ['title', 'body'], type: 'phrase', lenient: true },
    })
  })

  it('drops an empty quoted string, and matches nothing for an empty query', () => {
    expect(parse('"" apple')).toEqual(match('apple'))
    expect(parse('')).toEqual({ match_none: {} })
    expect(parse('  \t ')).toEqual({ match_none: {} })
  })

  it('reads an operator followed by whitespace as a term, as Lucene does', () => {
    expect(parse('a - b')).toEqual({ bool: { should: [match('a'), match('-'), match('b')] } })
  })
})

describe('parseQueryString: boolean operators (Lucene classic addClause)', () => {
  it('+a -b c: must, must_not, and c optional beside the must', () => {
    expect(parse('+a -b c')).toEqual({ bool: { must: [match('a')], should: [match('c')], must_not: [match('b')] } })
  })

  it('a AND b, a && b', () => {
    const both = { bool: { must: [match('a'), match('b')] } }
    expect(parse('a AND b')).toEqual(both)
    expect(parse('a && b')).toEqual(both)
  })

  it('a OR b, a || b, and OR under the AND operator', () => {
    expect(parse('a OR b')).toEqual({ bool: { should: [match('a'), match('b')] } })
    expect(parse('a || b')).toEqual({ bool: { should: [match('a'), match('b')] } })
    expect(parse('a OR b', AND)).toEqual({ bool: { should: [all('a'), all('b')] } })
  })

  it('NOT a, !a and -a alone match every document but a', () => {
    const not = { bool: { filter: [{ match_all: {} }], must_not: [match('a')] } }
    expect(parse('NOT a')).toEqual(not)
    expect(parse('!a')).toEqual(not)
    expect(parse('-a')).toEqual(not)
  })

  it('+a alone is a', () => {
    expect(parse('+a')).toEqual(match('a'))
  })

  it('a AND NOT b', () => {
    expect(parse('a AND NOT b')).toEqual({ bool: { must: [match('a')], must_not: [match('b')] } })
  })

  it('builds the documented example', () => {
    expect(parse('title:(apple pie) -banana^2')).toEqual({
      bool: { should: [{ bool: { should: [match('apple', {}, 'title'), match('pie', {}, 'title')] } }], must_not: [match('banana', { boost: 2 })] },
    })
  })

  it('(a OR b) AND c nests the group', () => {
    expect(parse('(a OR b) AND c')).toEqual({ bool: { must: [{ bool: { should: [match('a'), match('b')] } }, match('c')] } })
  })

  it('is not a precedence parser: a AND b OR c is +a +b c, a OR b AND c is a +b +c', () => {
    expect(parse('a AND b OR c')).toEqual({ bool: { must: [match('a'), match('b')], should: [match('c')] } })
    expect(parse('a OR b AND c')).toEqual({ bool: { must: [match('b'), match('c')], should: [match('a')] } })
  })

  it('under AND, OR makes its neighbours optional but leaves a prohibited clause alone', () => {
    expect(parse('a OR b c', AND)).toEqual({ bool: { must: [all('c')], should: [all('a'), all('b')] } })
    expect(parse('-a OR b', AND)).toEqual({ bool: { should: [all('b')], must_not: [all('a')] } })
  })

  it('a && b || !c', () => {
    expect(parse('a && b || !c')).toEqual({ bool: { must: [match('a'), match('b')], must_not: [match('c')] } })
  })

  it('a group of only negations matches everything else inside its parent', () => {
    expect(parse('a (-b)')).toEqual({ bool: { should: [match('a'), { bool: { filter: [{ match_all: {} }], must_not: [match('b')] } }] } })
  })
})

describe('parseQueryString: ranges, exists, *', () => {
  it('[a TO b] is inclusive, {a TO b} exclusive, and the brackets mix', () => {
    expect(parse('date:[2020-01-01 TO 2024-12-31]')).toEqual({ range: { date: { gte: '2020-01-01', lte: '2024-12-31' } } })
    expect(parse('n:{1 TO 5}')).toEqual({ range: { n: { gt: '1', lt: '5' } } })
    expect(parse('n:[1 TO 5}')).toEqual({ range: { n: { gte: '1', lt: '5' } } })
    expect(parse('n:{1 TO 5]')).toEqual({ range: { n: { gt: '1', lte: '5' } } })
  })

  it('* is an open end, and [* TO *] means the field exists', () => {
    expect(parse('date:[2024-01-01 TO *]')).toEqual({ range: { date: { gte: '2024-01-01' } } })
    expect(parse('date:{* TO 2024-01-01}')).toEqual({ range: { date: { lt: '2024-01-01' } } })
    expect(parse('date:[* TO *]')).toEqual({ exists: { field: 'date' } })
  })

  it('keeps colons and quoted spaces inside range ends', () => {
    expect(parse('ts:[2024-01-01T00:00:00 TO now-1d]')).toEqual({ range: { ts: { gte: '2024-01-01T00:00:00', lte: 'now-1d' } } })
    expect(parse('name:["a b" TO c]')).toEqual({ range: { name: { gte: 'a b', lte: 'c' } } })
  })

  it('field:>=v, >v, <=v and <v are one-sided ranges', () => {
    expect(parse('age:>=5')).toEqual({ range: { age: { gte: '5' } } })
    expect(parse('age:>5')).toEqual({ range: { age: { gt: '5' } } })
    expect(parse('age:<=5')).toEqual({ range: { age: { lte: '5' } } })
    expect(parse('date:<2024-01-01')).toEqual({ range: { date: { lt: '2024-01-01' } } })
    expect(parse('age:(>=1 <5)')).toEqual({ bool: { should: [{ range: { age: { gte: '1' } } }, { range: { age: { lt: '5' } } }] } })
  })

  it('>=5 without a field is a term, as in Elasticsearch', () => {
    expect(parse('>=5')).toEqual(match('>=5'))
  })

  it('a range without a field applies to the default fields', () => {
    expect(parse('[1 TO 2]', { defaultFields: ['n'], defaultOperator: 'OR' })).toEqual({ range: { n: { gte: '1', lte: '2' } } })
    expect(parse('[1 TO 2]^2', { defaultFields: ['n', 'm'], defaultOperator: 'OR' })).toEqual({
      dis_max: { queries: [{ range: { n: { gte: '1', lte: '2' } } }, { range: { m: { gte: '1', lte: '2' } } }], boost: 2 },
    })
  })

  it('_exists_:f is exists', () => {
    expect(parse('_exists_:title')).toEqual({ exists: { field: 'title' } })
    expect(parse('a -_exists_:title')).toEqual({ bool: { should: [match('a')], must_not: [{ exists: { field: 'title' } }] } })
  })

  it('f:* is exists, * and *:* match everything, * on a named default field is exists', () => {
    expect(parse('title:*')).toEqual({ exists: { field: 'title' } })
    expect(parseQueryString('*')).toEqual({ match_all: {} })
    expect(parse('*:*')).toEqual({ match_all: {} })
    expect(parse('*')).toEqual({ exists: { field: 'text' } })
  })
})

describe('parseQueryString: boosts and escapes', () => {
  it('a^2 and f:a^0.5 boost the match', () => {
    expect(parse('a^2')).toEqual(match('a', { boost: 2 }))
    expect(parse('title:a^0.5')).toEqual(match('a', { boost: 0.5 }, 'title'))
    expect(parse('"a"^3')).toEqual({ match_phrase: { text: { query: 'a', boost: 3 } } })
  })

  it('boosts groups, ranges and exists, and nested boosts multiply', () => {
    expect(parse('(a b)^2')).toEqual({ bool: { should: [match('a'), match('b')], boost: 2 } })
    expect(parse('n:[1 TO 2]^3')).toEqual({ range: { n: { gte: '1', lte: '2', boost: 3 } } })
    expect(parse('title:*^2')).toEqual({ exists: { field: 'title', boost: 2 } })
    expect(parse('(a^2)^3')).toEqual(match('a', { boost: 6 }))
  })

  it('unescapes \\: \\( \\) \\\\ \\* and \\uXXXX inside terms and field names', () => {
    expect(parse('title\\:x')).toEqual(match('title:x'))
    expect(parse('f\\(x\\)')).toEqual(match('f(x)'))
    expect(parse('c\\\\d')).toEqual(match('c\\d'))
    expect(parse('a\\*')).toEqual(match('a*'))
    expect(parse('\\u0041b')).toEqual(match('Ab'))
    expect(parse('my\\ field:x')).toEqual(match('x', {}, 'my field'))
    expect(parse('\\"a')).toEqual(match('"a'))
  })

  it('keeps + and - inside a term', () => {
    expect(parse('wi-fi c++')).toEqual({ bool: { should: [match('wi-fi'), match('c++')] } })
  })
})

describe('parseQueryString: errors', () => {
  it('answers 400 query_shard_exception naming the query', () => {
    const error = failure('(a b')
    expect(error.status).toBe(400)
    expect(error.type).toBe('query_shard_exception')
    expect(error.message).toBe('Failed to parse query [(a b]: missing ) for the ( at column 1')
  })

  it('names unbalanced parentheses and quotes', () => {
    expect(failure('a b)').message).toMatch(/unexpected \) at column 4: no \( to close/)
    expect(failure('()').message).toMatch(/empty parentheses at column 1/)
    expect(failure('"a b').message).toMatch(/unterminated quoted text starting at column 1/)
  })

  it('names a dangling operator and a field with no value', () => {
    expect(failure('a AND').message).toMatch(/AND at column 3 is not followed by a clause/)
    expect(failure('a OR -').message).toMatch(/- at column 6 is not followed by a clause/)
    expect(failure('AND a').message).toMatch(/AND at column 1 has no clause before it/)
    expect(failure('title:').message).toMatch(/field \[title\] at column 1 has no value/)
    expect(failure('a:b:c').message).toMatch(/unexpected : at column 4/)
  })

  it('names malformed boosts, ranges and escapes', () => {
    expect(failure('a^').message).toMatch(/\^ at column 2 must be followed by a number/)
    expect(failure('n:[1 TO').message).toMatch(/the range at column 3 must read \[from TO to\]/)
    expect(failure('n:[1 2]').message).toMatch(/the range at column 3/)
    expect(failure('a\\').message).toMatch(/ends with the escape character/)
    expect(failure('a]').message).toMatch(/unexpected \] at column 2/)
  })

  it('refuses fuzzy terms, wildcards and regular expressions by name', () => {
    expect(failure('roam~2').message).toMatch(/^fuzzy queries are not supported by lsr yet: roam~2/)
    expect(failure('roam~').message).toMatch(/^fuzzy queries/)
    for (const q of ['te*t', 'te?t', 'te*', '*te', 'title:ap*']) expect(failure(q).message).toMatch(/^wildcard and prefix queries are not supported/)
    expect(failure('/ab+c/').message).toMatch(/^regular expression queries are not supported by lsr yet: \/ab\+c\//)
    expect(failure('title.\\*:a').message).toMatch(/^field name patterns are not supported/)
    for (const q of ['roam~2', 'te*t', '/x/']) expect(failure(q).type).toBe('query_shard_exception')
  })

  it(`allows ${MAX_QUERY_STRING_CLAUSES} clauses and refuses one more`, () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`).join(' ')
    expect((parse(terms(MAX_QUERY_STRING_CLAUSES)) as { bool: { should: unknown[] } }).bool.should).toHaveLength(MAX_QUERY_STRING_CLAUSES)
    expect(failure(terms(MAX_QUERY_STRING_CLAUSES + 1)).message).toMatch(/more than 1024 clauses/)
  })

  it('refuses nesting deeper than 30 levels', () => {
    const nested = (n: number) => `${'(a '.repeat(n)}b${')'.repeat(n)}`
    // 29 groups of two clauses: 29 bools, terms at level 30.
    expect(() => parse(nested(29))).not.toThrow()
    expect(failure(nested(30)).message).toMatch(/nested deeper than 30 levels/)
    // The same groups under a top-level bool: terms at level 31.
    expect(failure(`x ${nested(29)}`).message).toMatch(/nested deeper than 30 levels/)
    expect(failure(`${'('.repeat(40)}a${')'.repeat(40)}`).message).toMatch(/nested deeper than 30 levels/)
  })

  it('quotes at most 200 characters of the query in a message', () => {
    const message = failure(`${'x'.repeat(5000)} AND`).message
    expect(message.length).toBeLessThan(400)
    expect(message).toMatch(/… \(5004 characters\)/)
  })
})

describe('parseQueryString: any input', () => {
  it('either parses to JSON or throws a 400 (fast-check over the syntax characters)', () => {
    const piece = fc.constantFrom('a', 'b', ' ', '(', ')', '"', '\\', ':', '^', '2', '~', '*', '?', '[', ']', '{', '}', 'TO', 'AND', 'OR', 'NOT', '+', '-', '!', '/', '>', '=', '&&', '||', 'u', '_exists_')
    const operator = fc.constantFrom<'OR' | 'AND'>('OR', 'AND')
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), operator, (pieces, defaultOperator) => {
        try {
          JSON.stringify(parseQueryString(pieces.join(''), { defaultFields: ['title', 'text'], defaultOperator }))
        } catch (error) {
          if (!(error instanceof HttpError) || error.status !== 400) throw error
        }
      }),
      { numRuns: 5000 },
    )
  })
})

describe('parseQueryString: 1 MB inputs', () => {
  const MB = 1 << 20
  const inputs: Array<[string, string]> = [
    ['one long term', 'a'.repeat(MB)],
    ['one long escaped term', '\\:'.repeat(MB / 2)],
    ['many terms', 'a '.repeat(MB / 2)],
    ['many AND', 'a AND '.repeat(MB / 6)],
    ['many empty quotes', '"" '.repeat(MB / 3)],
    ['open parentheses', '('.repeat(MB)],
    ['an unterminated quote', `"${'a '.repeat(MB / 2)}`],
    ['an unterminated range', `n:[${'a'.repeat(MB)}`],
  ]
  for (const [name, q] of inputs) {
    it(`returns within a second for ${name}`, () => {
      const start = performance.now()
      try {
        parse(q)
      } catch (error) {
        expect(error).toBeInstanceOf(HttpError)
      }
      expect(performance.now() - start).toBeLessThan(1000)
    })
  }
})
