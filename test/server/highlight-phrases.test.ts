import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAnalyzers } from '../../src/analysis/index.js'
import { highlightPhrases, type FieldAnalysis } from '../../src/search/highlight.js'
import { portServer, send } from './helpers.js'

/** Phrase-aware highlighting over a real port: each phrase occurrence is one `<em>` unit. */
describe('highlighting phrases over HTTP', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  const DOCS: Record<string, { body: string; title?: string; english?: string }> = {
    d1: { body: 'The quick brown fox jumps over the lazy dog. A brown dog is quick too.', title: 'brown quick notes' },
    d2: { body: 'A quick red brown fox, and a fox that is brown.' },
    d3: { body: 'Tom & Jerry\'s quick brown <fox> "ran"' },
    d4: { body: 'brown quick brown fox', english: 'He jumps over the lazy dogs, then jumped over a lazy dog.' },
  }

  beforeAll(async () => {
    server = await portServer()
    const created = await send(`${server.url}/p`, 'PUT', {
      mappings: { properties: { body: { type: 'text' }, title: { type: 'text' }, english: { type: 'text', analyzer: 'english' } } },
    })
    expect(created.status).toBe(200)
    const lines = Object.entries(DOCS).flatMap(([id, doc]) => [JSON.stringify({ index: { _id: id } }), JSON.stringify(doc)])
    const bulk = await send(`${server.url}/p/_bulk?refresh=true`, 'POST', lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
    expect(bulk.body.errors).toBe(false)
  })
  afterAll(() => server?.close())

  /** The highlight of each hit of a search, by id. */
  async function highlights(body: unknown, path = '/p/_search'): Promise<Record<string, Record<string, string[]>>> {
    const { status, body: answer } = await send(`${server.url}${path}`, 'POST', body)
    expect(status, JSON.stringify(answer)).toBe(200)
    return Object.fromEntries(answer.hits.hits.map((hit: { _id: string; highlight?: Record<string, string[]> }) => [hit._id, hit.highlight ?? {}]))
  }

  it('marks a match_phrase occurrence as one unit, and not its words elsewhere', async () => {
    const found = await highlights({ query: { match_phrase: { body: 'quick brown' } }, highlight: { fields: { body: {} } } })
    expect(Object.keys(found).sort()).toEqual(['d1', 'd3', 'd4'])
    expect(found.d1.body).toEqual(['The <em>quick brown</em> fox jumps over the lazy dog. A brown dog is quick too.'])
    // "brown quick brown fox": the first brown and the quick before it are no occurrence.
    expect(found.d4.body).toEqual(['brown <em>quick brown</em> fox'])
  })

  it('marks a sloppy match from its first word to its last, with what lies between', async () => {
    const found = await highlights({ query: { match_phrase: { body: { query: 'quick brown', slop: 1 } } }, highlight: { fields: { body: {} } } })
    expect(found.d2.body).toEqual(['A <em>quick red brown</em> fox, and a fox that is brown.'])
    // Reversed words cost 2: "brown quick" is a match at slop 2, not at slop 1.
    const reversed = await highlights({ query: { match_phrase: { body: { query: 'brown quick', slop: 2 } } }, highlight: { fields: { body: {} } } })
    expect(reversed.d4.body).toEqual(['<em>brown quick brown</em> fox'])
  })

  it('counts removed stop words as positions: the english analyzer phrase spans "the"', async () => {
    const found = await highlights({ query: { match_phrase: { english: 'jumping over a lazy dog' } }, highlight: { fields: { english: {} } } })
    expect(found.d4.english).toEqual(['He <em>jumps over the lazy dogs</em>, then <em>jumped over a lazy dog</em>.'])
  })

  it('highlights a quoted q= as a phrase', async () => {
    const found = await highlights({ highlight: { fields: { body: {} } } }, `/p/_search?q=${encodeURIComponent('body:"brown fox"')}`)
    expect(Object.keys(found).sort()).toEqual(['d1', 'd2', 'd3', 'd4'])
    expect(found.d2.body).toEqual(['A quick red <em>brown fox</em>, and a fox that is brown.'])
    expect(found.d1.body).toEqual(['The quick <em>brown fox</em> jumps over the lazy dog. A brown dog is quick too.'])
  })

  it('highlights a bool of a phrase and a plain term: the term everywhere, the phrase where it occurs', async () => {
    const query = { bool: { must: { match_phrase: { body: 'quick brown' } }, should: { match: { body: 'dog' } } } }
    const found = await highlights({ query, highlight: { fields: { body: {} } } })
    expect(found.d1.body).toEqual(['The <em>quick brown</em> fox jumps over the lazy <em>dog</em>. A brown <em>dog</em> is quick too.'])
  })

  it('merges overlapping phrases and a term inside a phrase into one unit', async () => {
    const query = { bool: { should: [{ match_phrase: { body: 'quick brown' } }, { match_phrase: { body: 'brown fox' } }, { term: { body: 'brown' } }] } }
    const found = await highlights({ query, highlight: { fields: { body: {} } } })
    expect(found.d1.body).toEqual(['The <em>quick brown fox</em> jumps over the lazy dog. A <em>brown</em> dog is quick too.'])
    expect(found.d4.body).toEqual(['<em>brown</em> <em>quick brown fox</em>'])
  })

  it('applies a phrase only to its own field', async () => {
    // The title holds "brown" and "quick" but no "quick brown": nothing of it is marked.
    const found = await highlights({ query: { match_phrase: { body: 'quick brown' } }, highlight: { fields: { '*': {} } } })
    expect(found.d1).toEqual({ body: ['The <em>quick brown</em> fox jumps over the lazy dog. A brown dog is quick too.'] })
    const both = await highlights({ query: { multi_match: { query: 'quick brown', type: 'phrase', fields: ['body', 'title'] } }, highlight: { fields: { '*': {} } } })
    expect(both.d1).toEqual({ body: ['The <em>quick brown</em> fox jumps over the lazy dog. A brown dog is quick too.'] })
  })

  it('escapes the text inside and around a unit with encoder html, with custom tags', async () => {
    const found = await highlights({
      query: { bool: { should: [{ match_phrase: { body: 'tom jerry\'s' } }, { match_phrase: { body: 'brown fox' } }] } },
      highlight: { encoder: 'html', pre_tags: ['<b>'], post_tags: ['</b>'], fields: { body: {} } },
    })
    expect(found.d3.body).toEqual(['<b>Tom &#38; Jerry&#39;s</b> quick <b>brown &#60;fox</b>&#62; &#34;ran&#34;'])
  })

  it('highlights match_phrase_prefix with the expansion that occurs', async () => {
    const found = await highlights({ query: { match_phrase_prefix: { body: 'quick br' } }, highlight: { fields: { body: {} } } })
    expect(found.d1.body).toEqual(['The <em>quick brown</em> fox jumps over the lazy dog. A brown dog is quick too.'])
    const all = await highlights({ query: { multi_match: { query: 'lazy d', type: 'phrase_prefix', fields: ['english'] } }, highlight: { fields: { english: {} } } })
    expect(all.d4.english).toEqual(['He jumps over the <em>lazy dogs</em>, then jumped over a <em>lazy dog</em>.'])
  })

  it('cuts fragments around units: a unit is never split, and fragments keep their count', async () => {
    const filler = 'words '.repeat(40)
    const long = `${filler}quick brown fox ${filler}quick brown ${filler}`
    await send(`${server.url}/p/_doc/long?refresh=true`, 'PUT', { body: long })
    const found = await highlights({ query: { ids: { values: ['long'] } }, highlight: { fields: { body: { fragment_size: 30, number_of_fragments: 1 } } } })
    expect(found.long).toEqual({})
    const query = { bool: { filter: { ids: { values: ['long'] } }, must: { match_phrase: { body: 'quick brown' } } } }
    const one = await highlights({ query, highlight: { fields: { body: { fragment_size: 30, number_of_fragments: 1 } } } })
    expect(one.long.body).toHaveLength(1)
    expect(one.long.body[0]).toMatch(/^….{10}<em>quick brown<\/em>.*…$/)
    const two = await highlights({ query, highlight: { fields: { body: { fragment_size: 30, number_of_fragments: 5 } } } })
    expect(two.long.body).toHaveLength(2)
    expect(two.long.body.every((fragment: string) => fragment.includes('<em>quick brown</em>'))).toBe(true)
    // A unit longer than the fragment size is left out rather than cut.
    const sloppy = { bool: { filter: { ids: { values: ['long'] } }, must: { match_phrase: { body: { query: 'fox quick', slop: 100 } } } } }
    expect((await highlights({ query: sloppy, highlight: { fields: { body: { fragment_size: 30 } } } })).long).toEqual({})
    await send(`${server.url}/p/_doc/long?refresh=true`, 'DELETE')
  })
})

describe('highlightPhrases where segments and tokens disagree', () => {
  const analyzers = buildAnalyzers({ analyzer: { ws: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase'] } } })
  const field = (name: string): FieldAnalysis => ({ analyze: analyzers.get(name)!, termOf: (token) => `\u0001f\u0001${token}` })
  const phrase = (...words: string[][]) => ({ positions: words.map((terms, offset) => ({ offset, terms: terms.map((t) => `\u0001f\u0001${t}`) })), slop: 0 })

  it('marks an occurrence of standard tokens that skip an emoji, without the emoji outside it', () => {
    const out = highlightPhrases('I 🙂 red shoes 🙂', field('standard'), { terms: new Set(), phrases: [phrase(['red'], ['shoes'])] })
    expect(out).toEqual(['I 🙂 <em>red shoes</em> 🙂'])
  })

  it('with a whitespace tokenizer, locates the words that analyze alone as in the text', () => {
    // "shoes," is one token: the segment "shoes" alone is not, so an occurrence ending on it is marked up to "red".
    const out = highlightPhrases('big red shoes, red hat', field('ws'), { terms: new Set(), phrases: [phrase(['red'], ['shoes,']), phrase(['red'], ['hat'])] })
    expect(out).toEqual(['big <em>red</em> shoes, <em>red hat</em>'])
  })

  it('marks a segment of several tokens whole (Han text: one token per character, one segment per word)', () => {
    const standard = field('standard')
    expect(highlightPhrases('我爱北京天安门', standard, { terms: new Set(), phrases: [phrase(['北'], ['京'])] })).toEqual(['我爱<em>北京</em>天安门'])
    expect(highlightPhrases('我爱北京天安门', standard, { terms: new Set(), phrases: [phrase(['京'], ['天'])] })).toEqual(['我爱<em>北京天安门</em>'])
  })

  it('locates tokens of segments that are not word-like (an emoji in a phrase)', () => {
    const out = highlightPhrases('I 🙂 red shoes 🙂', field('standard'), { terms: new Set(), phrases: [phrase(['🙂'], ['red'])] })
    expect(out).toEqual(['I <em>🙂 red</em> shoes 🙂'])
  })
})
