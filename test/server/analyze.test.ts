/**
 * The analyze API (issue 12, "Analysis"): `GET|POST /_analyze` and `/{index}/_analyze` with
 * `analyzer`, `field`, `text` (a string or an array), and `tokenizer`/`filter` for a request-built
 * analyzer; tokens with `start_offset`, `end_offset`, `type` and `position` as Elasticsearch
 * answers them (its documented examples, and its AnalyzeActionIT multi-value case); the gaps
 * between array values; and the 400s naming what lsr does not take.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BM25_ENCODER, portServer, send, testApp, type Call } from './helpers.js'

type Row = [string, number, number, string, number]
/** The answer's tokens as [token, start, end, type, position] rows. */
async function rowsOf(call: Call, path: string, body: unknown): Promise<Row[]> {
  const answer = await call('POST', path, body)
  expect(answer.status, JSON.stringify(answer.body)).toBe(200)
  for (const token of answer.body.tokens) expect(Object.keys(token)).toEqual(['token', 'start_offset', 'end_offset', 'type', 'position'])
  return answer.body.tokens.map((t: { token: string; start_offset: number; end_offset: number; type: string; position: number }) => [t.token, t.start_offset, t.end_offset, t.type, t.position])
}

/** Index `t`: a simple-analyzed text field with a gap of 100 (Elasticsearch's test), a keyword, a long, learned features, a custom analyzer with its own gap. */
async function analysisApp() {
  const app = await testApp()
  const created = await app.call('PUT', '/t', {
    settings: { analysis: { analyzer: { spaced: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase'], position_increment_gap: 10 } } } },
    mappings: { properties: {
      simple: { type: 'text', analyzer: 'simple', position_increment_gap: 100 }, spaced: { type: 'text', analyzer: 'spaced' }, plain: { type: 'text' },
      tight: { type: 'text', position_increment_gap: 0 }, tag: { type: 'keyword' }, n: { type: 'long' }, features: { type: 'rank_features' },
    } },
  })
  expect(created.status).toBe(200)
  expect((await app.call('POST', '/_aliases', { actions: [{ add: { index: 't', alias: 'only-t' } }] })).status).toBe(200)
  return app
}

describe('_analyze: Elasticsearch\'s documented examples', () => {
  it('the whitespace analyzer on "The quick brown fox." (Test an analyzer)', async () => {
    const { call } = await testApp()
    expect((await call('POST', '/_analyze', { analyzer: 'whitespace', text: 'The quick brown fox.' })).body).toEqual({ tokens: [
      { token: 'The', start_offset: 0, end_offset: 3, type: 'word', position: 0 },
      { token: 'quick', start_offset: 4, end_offset: 9, type: 'word', position: 1 },
      { token: 'brown', start_offset: 10, end_offset: 15, type: 'word', position: 2 },
      { token: 'fox.', start_offset: 16, end_offset: 20, type: 'word', position: 3 },
    ] })
  })

  it('tokenizer standard with filters lowercase and asciifolding on "Is this déja vu?"', async () => {
    const { call } = await testApp()
    expect(await rowsOf(call, '/_analyze', { tokenizer: 'standard', filter: ['lowercase', 'asciifolding'], text: 'Is this déja vu?' })).toEqual([
      ['is', 0, 2, '<ALPHANUM>', 0], ['this', 3, 7, '<ALPHANUM>', 1], ['deja', 8, 12, '<ALPHANUM>', 2], ['vu', 13, 15, '<ALPHANUM>', 3],
    ])
  })

  it('the standard analyzer\'s example sentence, and the stop analyzer\'s terms', async () => {
    const { call } = await testApp()
    const text = "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."
    const standard = await rowsOf(call, '/_analyze', { analyzer: 'standard', text })
    expect(standard.map(([token]) => token)).toEqual(['the', '2', 'quick', 'brown', 'foxes', 'jumped', 'over', 'the', 'lazy', "dog's", 'bone'])
    expect(standard[1]).toEqual(['2', 4, 5, '<NUM>', 1])
    expect(standard[9]).toEqual(["dog's", 45, 50, '<ALPHANUM>', 9])
    // No analyzer: standard, as Elasticsearch without an index.
    expect(await rowsOf(call, '/_analyze', { text })).toEqual(standard)
    const stop = await rowsOf(call, '/_analyze', { analyzer: 'stop', text })
    expect(stop.map(([token]) => token)).toEqual(['quick', 'brown', 'foxes', 'jumped', 'over', 'lazy', 'dog', 's', 'bone'])
    expect(stop.slice(6, 8)).toEqual([['dog', 45, 48, 'word', 8], ['s', 49, 50, 'word', 9]])
  })
})

describe('_analyze: several texts are the values of one field', () => {
  it('a field with position_increment_gap 100: Elasticsearch\'s AnalyzeActionIT case (test at 3, 10-14; second at 105, 19-25)', async () => {
    const { call } = await analysisApp()
    for (const path of ['/t/_analyze', '/only-t/_analyze']) {
      expect(await rowsOf(call, path, { field: 'simple', text: ['THIS IS A TEST', 'THE SECOND TEXT'] })).toEqual([
        ['this', 0, 4, 'word', 0], ['is', 5, 7, 'word', 1], ['a', 8, 9, 'word', 2], ['test', 10, 14, 'word', 3],
        ['the', 15, 18, 'word', 104], ['second', 19, 25, 'word', 105], ['text', 26, 30, 'word', 106],
      ])
    }
  })

  it('gaps: 0 for a global analyzer, 100 for an index\'s, a custom analyzer\'s own, a field\'s own; offsets go on after each value + 1', async () => {
    const { call } = await analysisApp()
    const texts = ['a b', '', 'c']
    // Global standard: Lucene's gap 0 (a, b at 0, 1; the empty value adds nothing; c at 2). Offsets: 'a b' takes 0-3, '' 4-4, 'c' starts at 5.
    expect(await rowsOf(call, '/_analyze', { analyzer: 'standard', text: texts })).toEqual([['a', 0, 1, '<ALPHANUM>', 0], ['b', 2, 3, '<ALPHANUM>', 1], ['c', 5, 6, '<ALPHANUM>', 2]])
    // The index's standard and default analyzers, and a mapped text field without a gap of its own: 100 after each value.
    for (const body of [{ analyzer: 'standard' }, {}, { field: 'plain' }, { field: 'unmapped' }]) {
      expect((await rowsOf(call, '/t/_analyze', { ...body, text: texts })).map((row) => row[4]), JSON.stringify(body)).toEqual([0, 1, 202])
    }
    expect((await rowsOf(call, '/t/_analyze', { analyzer: 'spaced', text: texts })).map((row) => row[4])).toEqual([0, 1, 22])
    expect((await rowsOf(call, '/t/_analyze', { field: 'spaced', text: texts })).map((row) => row[4])).toEqual([0, 1, 22])
    expect((await rowsOf(call, '/t/_analyze', { field: 'tight', text: texts })).map((row) => row[4])).toEqual([0, 1, 2])
    // A request-built analyzer: gap 0, also in an index.
    expect((await rowsOf(call, '/t/_analyze', { tokenizer: 'whitespace', text: texts })).map((row) => row[4])).toEqual([0, 1, 2])
    // Trailing stop words count: 'x the' ends at position 2, so 'y' is at 2 + 0.
    expect(await rowsOf(call, '/_analyze', { analyzer: 'stop', text: ['x the', 'y'] })).toEqual([['x', 0, 1, 'word', 0], ['y', 6, 7, 'word', 2]])
  })

  it('a keyword field gives each whole value as one token (Lucene\'s KeywordAnalyzer, gap 0)', async () => {
    const { call } = await analysisApp()
    expect(await rowsOf(call, '/t/_analyze', { field: 'tag', text: ['New York', 'Paris'] })).toEqual([['New York', 0, 8, 'word', 0], ['Paris', 9, 14, 'word', 1]])
  })

  it('an index\'s declared tokenizers and filters by name, and inline ones', async () => {
    const { call } = await testApp()
    await call('PUT', '/c', { settings: { analysis: { filter: { fold: { type: 'asciifolding', preserve_original: true } }, tokenizer: { short: { type: 'standard', max_token_length: 3 } } } } })
    expect(await rowsOf(call, '/c/_analyze', { tokenizer: 'short', filter: ['lowercase', 'fold'], text: 'Éclair' })).toEqual([
      ['ecl', 0, 3, '<ALPHANUM>', 0], ['écl', 0, 3, '<ALPHANUM>', 0], ['air', 3, 6, '<ALPHANUM>', 1],
    ])
    expect(await rowsOf(call, '/_analyze', { tokenizer: { type: 'whitespace', max_token_length: 2 }, filter: [{ type: 'stop', stopwords: ['ab'] }], text: 'abc d' })).toEqual([
      ['c', 2, 3, 'word', 1], ['d', 4, 5, 'word', 2],
    ])
    expect((await call('POST', '/_analyze', { tokenizer: 'short', text: 'x' })).body.error.reason).toBe('failed to find global tokenizer under [short]')
  })

  it('a multi-field keyword gives the whole value; a vectors encoder\'s field is a 400 saying why', async () => {
    const { call } = await testApp()
    await call('PUT', '/d/_doc/1', { title: 'Hello World' })
    expect(await rowsOf(call, '/d/_analyze', { field: 'title.keyword', text: 'Hello World' })).toEqual([['Hello World', 0, 11, 'word', 0]])
    await call('PUT', '/v', { settings: { encoder: { name: 'vectors', field: 'vec' } } })
    expect((await call('POST', '/v/_analyze', { field: 'vec', text: 'x' })).body.error.reason).toBe("Can't process field [vec]: it holds the index's pre-encoded vectors ({token: weight}), not text")
  })

  it('an index whose title + text feed the bm25 encoder analyzes them as the english analyzer', async () => {
    const { call } = await testApp()
    await call('PUT', '/enc', BM25_ENCODER)
    expect(await rowsOf(call, '/enc/_analyze', { field: 'text', text: "The dog's running shoes" })).toEqual([
      ['dog', 4, 9, '<ALPHANUM>', 1], ['run', 10, 17, '<ALPHANUM>', 2], ['shoe', 18, 23, '<ALPHANUM>', 3],
    ])
  })
})

describe('_analyze: what lsr refuses, named', () => {
  it('400s for explain, unknown keys, char filters, normalizers, extra components, fields it cannot analyze, unknown analyzers, missing text', async () => {
    const { call } = await analysisApp()
    const cases: Array<[string, unknown, string, string]> = [
      ['/_analyze', { text: 'x', explain: true }, 'illegal_argument_exception', '[explain] is not supported: lsr answers the tokens of the whole analyzer (explain: false), not each stage'],
      ['/_analyze', { text: 'x', explain: 'yes' }, 'illegal_argument_exception', '[explain] must be true or false, got "yes"'],
      ['/_analyze', { text: 'x', attributes: ['keyword'] }, 'illegal_argument_exception', '[attributes] is not supported: it selects the token attributes of explain, which lsr does not give'],
      ['/_analyze', { text: 'x', analyser: 'standard' }, 'x_content_parse_exception', '[analyze_request] unknown field [analyser]'],
      ['/_analyze', { text: 'x', tokenizer: 'standard', char_filter: ['html_strip'] }, 'illegal_argument_exception', 'char_filter [html_strip] is not supported: lsr implements no char filters'],
      ['/_analyze', { text: 'x', char_filter: [{ type: 'mapping', mappings: ['a => b'] }] }, 'illegal_argument_exception', 'char_filter [mapping] is not supported: lsr implements no char filters'],
      ['/t/_analyze', { text: 'x', normalizer: 'lower' }, 'illegal_argument_exception', '[normalizer] is not supported: lsr has no normalizers (a keyword field gives its whole value as one token)'],
      ['/_analyze', { text: 'x', analyzer: 'standard', filter: ['lowercase'] }, 'action_request_validation_exception', 'Validation Failed: 1: cannot define extra components on a named analyzer;'],
      ['/t/_analyze', { text: 'x', field: 'plain', tokenizer: 'keyword' }, 'action_request_validation_exception', 'Validation Failed: 1: cannot define extra components on a field-specific analyzer;'],
      ['/_analyze', { text: 'x', field: 'plain' }, 'action_request_validation_exception', 'Validation Failed: 1: analysis based on a specific field requires an index;'],
      ['/t/_analyze', { text: '12', field: 'n' }, 'illegal_argument_exception', "Can't process field [n], Analysis requests are only supported on tokenized fields"],
      ['/t/_analyze', { text: 'x', field: 'features' }, 'illegal_argument_exception', "Can't process field [features]: a [rank_features] field holds features a model made (through an ingest pipeline), not text: lsr cannot analyze with the model's tokenizer (it gives no character offsets)"],
      ['/_analyze', { text: 'x', analyzer: 'spaced' }, 'illegal_argument_exception', 'failed to find global analyzer [spaced]'],
      ['/t/_analyze', { text: 'x', analyzer: 'nope' }, 'illegal_argument_exception', 'failed to find analyzer [nope]'],
      ['/_analyze', { analyzer: 'standard' }, 'action_request_validation_exception', 'Validation Failed: 1: text is missing;'],
      ['/_analyze', { text: [] }, 'action_request_validation_exception', 'Validation Failed: 1: text is missing;'],
      ['/_analyze', { text: [{ a: 1 }] }, 'illegal_argument_exception', '[text] must be a string or an array of strings, got {"a":1}'],
      ['/_analyze', { text: 'x a', analyzer: 'whitespace', field: 7 }, 'illegal_argument_exception', '[field] must be a string, got 7'],
      ['/_analyze?analyzer=standard', { text: 'x' }, 'illegal_argument_exception', 'request [/_analyze] contains unrecognized parameter: [analyzer]'],
    ]
    for (const [path, body, type, reason] of cases) {
      const answer = await call('POST', path, body)
      expect({ path, body, status: answer.status, type: answer.body.error?.type, reason: answer.body.error?.reason }).toEqual({ path, body, status: 400, type, reason })
    }
    expect((await call('POST', '/missing/_analyze', { text: 'x' })).status).toBe(404)
  })

  it('more than 10,000 tokens is Elasticsearch\'s 400 (index.analyze.max_token_count)', async () => {
    const { call } = await testApp()
    expect((await rowsOf(call, '/_analyze', { analyzer: 'whitespace', text: 'a '.repeat(10_000) })).length).toBe(10_000)
    const over = await call('POST', '/_analyze', { analyzer: 'whitespace', text: ['a '.repeat(5_000), 'b '.repeat(5_001)] })
    expect(over.status).toBe(400)
    expect(over.body.error.reason).toBe('The number of tokens produced by calling _analyze has exceeded the allowed maximum of [10000]. This limit can be set by changing the [index.analyze.max_token_count] index level setting.')
  })
})

describe('_analyze over a real port', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  beforeAll(async () => {
    server = await portServer()
  })
  afterAll(async () => {
    await server.close()
  })

  it('GET with a body, as clients send it', async () => {
    const answer = await send(`${server.url}/_analyze`, 'GET', { analyzer: 'keyword', text: ['Hello World'] })
    expect(answer).toEqual({ status: 200, body: { tokens: [{ token: 'Hello World', start_offset: 0, end_offset: 11, type: 'word', position: 0 }] } })
  })
})
