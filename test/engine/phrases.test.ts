import { afterEach, describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import type { Query } from '../../src/engine/query/types.js'
import type { SearchAlgorithm } from '../../src/search/searcher.js'
import { seededRandom, tempDir } from '../helpers.js'

const K1 = 1.2
const B = 0.75
const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5))
/** Lucene's BM25 (without the constant k1 + 1 factor) of frequency `freq` in a document of length `dl`. */
const bm25 = (idfSum: number, freq: number, dl: number, avgdl: number) => idfSum * (freq / (freq + K1 * (1 - B + (B * dl) / avgdl)))

const opened: SparseIndex[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((index) => index.close()))
})

async function indexOf(bodies: Record<string, string>, mapping: Record<string, unknown> = { type: 'text', analyzer: 'whitespace' }, analysis?: Record<string, unknown>): Promise<SparseIndex> {
  const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema: { mappings: { properties: { body: mapping } }, ...(analysis ? { analysis } : {}) } })
  opened.push(index)
  await index.add(Object.entries(bodies).map(([id, body]) => ({ id, source: { body } })))
  return index
}

const hitsOf = async (index: SparseIndex, query: Query, size = 10) => {
  const { hits, total } = await index.search({ query, size })
  return { total, hits: hits.map(({ id, score }) => ({ id, score })) }
}

describe('match_phrase', () => {
  const bodies = {
    a: 'the quick brown fox',
    b: 'brown quick fox the quick brown',
    c: 'quick fox brown',
    d: 'a fox that is quick and brown is quick brown quick brown',
  }
  const lengths: Record<string, number> = { a: 4, b: 6, c: 3, d: 12 }
  const avgdl = 25 / 4

  it('scores exact occurrences with the summed idf of its terms, as Lucene', async () => {
    const index = await indexOf(bodies)
    // quick: 4 docs, brown: 4 docs; "quick brown" occurs in a (1), b (1), d (2).
    const weight = idf(4, 4) + idf(4, 4)
    const expected = ['d', 'a', 'b'].map((id) => ({ id, score: bm25(weight, id === 'd' ? 2 : 1, lengths[id], avgdl) })).sort((x, y) => y.score - x.score)
    const { total, hits } = await hitsOf(index, { match_phrase: { body: 'quick brown' } })
    expect(total).toBe(3)
    expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id))
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i].score, 12))
  })

  it('sums 1 / (1 + distance) over sloppy matches; out of order costs 2', async () => {
    const index = await indexOf({ x: 'fox quick', y: 'quick big fox', z: 'quick fox' })
    // "quick fox"~2: x reversed (distance 2: 1/3), y one word between (distance 1: 1/2), z exact (1).
    const weight = 2 * idf(3, 3)
    const { hits } = await hitsOf(index, { match_phrase: { body: { query: 'quick fox', slop: 2 } } })
    const freqs: Record<string, number> = { x: 1 / 3, y: 1 / 2, z: 1 }
    const dl: Record<string, number> = { x: 2, y: 3, z: 2 }
    for (const hit of hits) expect(hit.score).toBeCloseTo(bm25(weight, freqs[hit.id], dl[hit.id], 7 / 3), 6)
    expect(hits.map((h) => h.id)).toEqual(['z', 'y', 'x'])
    expect((await hitsOf(index, { match_phrase: { body: { query: 'quick fox', slop: 1 } } })).hits.map((h) => h.id)).toEqual(['z', 'y'])
  })

  it('keeps the gap of a removed stop word, in the document and in the query', async () => {
    const analysis = { analyzer: { stopped: { type: 'custom', tokenizer: 'whitespace', filter: ['stop'] } } }
    const index = await indexOf({ gap: 'apple of pie', nogap: 'apple pie' }, { type: 'text', analyzer: 'stopped' }, analysis)
    expect((await hitsOf(index, { match_phrase: { body: 'apple the pie' } })).hits.map((h) => h.id)).toEqual(['gap'])
    expect((await hitsOf(index, { match_phrase: { body: 'apple pie' } })).hits.map((h) => h.id)).toEqual(['nogap'])
  })

  it('counts repeated terms and overlapping occurrences', async () => {
    const index = await indexOf({ three: 'a a a', two: 'a a b a', one: 'a b a' })
    const { hits } = await hitsOf(index, { match_phrase: { body: 'a a' } })
    // "a a": three has 2 occurrences (overlapping), two has 1, one has none.
    expect(hits.map((h) => h.id)).toEqual(['three', 'two'])
    expect(hits[0].score).toBeCloseTo(bm25(2 * idf(3, 3), 2, 3, 10 / 3), 12)
    expect(hits[1].score).toBeCloseTo(bm25(2 * idf(3, 3), 1, 4, 10 / 3), 12)
  })

  it('runs one word as a term query, and zero_terms_query when the text analyzes to nothing', async () => {
    const index = await indexOf(bodies)
    expect(await hitsOf(index, { match_phrase: { body: 'fox' } })).toEqual(await hitsOf(index, { match: { body: 'fox' } }))
    expect((await hitsOf(index, { match_phrase: { body: { query: '  ', zero_terms_query: 'all' } } })).total).toBe(4)
    expect((await hitsOf(index, { match_phrase: { body: '  ' } })).total).toBe(0)
  })

  it('expands the last word of match_phrase_prefix to the first max_expansions terms', async () => {
    const index = await indexOf({ p1: 'apple pie', p2: 'apple pies', p3: 'apple pier', q: 'apple tart pie' })
    expect(new Set((await hitsOf(index, { match_phrase_prefix: { body: 'apple pi' } })).hits.map((h) => h.id))).toEqual(new Set(['p1', 'p2', 'p3']))
    // Terms in order: pie, pier, pies: the first two.
    expect(new Set((await hitsOf(index, { match_phrase_prefix: { body: { query: 'apple pi', max_expansions: 2 } } })).hits.map((h) => h.id))).toEqual(new Set(['p1', 'p3']))
    expect((await hitsOf(index, { match_phrase_prefix: { body: { query: 'apple pi', slop: 1 } } })).total).toBe(4)
    expect((await hitsOf(index, { match_phrase_prefix: { body: 'apple zz' } })).total).toBe(0)
  })

  it('answers multi_match type phrase with the best field', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema: { mappings: { properties: { title: { type: 'text' }, body: { type: 'text' } } } } })
    opened.push(index)
    await index.add([{ id: 't', source: { title: 'red shoes', body: 'shoes that are red' } }, { id: 'b', source: { title: 'shoes', body: 'red shoes for sale' } }])
    const both = await hitsOf(index, { multi_match: { query: 'red shoes', type: 'phrase', fields: ['title', 'body'] } })
    expect(both.total).toBe(2)
    const titleOnly = await hitsOf(index, { match_phrase: { title: 'red shoes' } })
    const bodyOnly = await hitsOf(index, { match_phrase: { body: 'red shoes' } })
    expect(both.hits.find((h) => h.id === 't')!.score).toBeCloseTo(titleOnly.hits[0].score, 12)
    expect(both.hits.find((h) => h.id === 'b')!.score).toBeCloseTo(bodyOnly.hits[0].score, 12)
    expect((await hitsOf(index, { multi_match: { query: 'red sh', type: 'phrase_prefix', fields: ['title'] } })).hits.map((h) => h.id)).toEqual(['t'])
  })

  it('refuses fields without positions, the encoder field and bad options, naming them', async () => {
    const index = await indexOf(bodies, { type: 'text', index_options: 'freqs' })
    await expect(index.search({ query: { match_phrase: { body: 'quick brown' } } })).rejects.toThrow(/field:\[body\] was indexed without position data/)
    // One word needs no positions.
    expect((await hitsOf(index, { match_phrase: { body: 'fox' } })).total).toBe(4)
    const encoded = await SparseIndex.open(await tempDir(), { create: true })
    opened.push(encoded)
    await expect(encoded.search({ query: { match_phrase: { text: 'posting lists' } } })).rejects.toThrow(/encoder field .* holds no positions/)
    const positional = await indexOf(bodies)
    await expect(positional.search({ query: { match_phrase: { body: { query: 'a b', slop: -1 } } } })).rejects.toThrow(/slop must be a non-negative integer/)
    await expect(positional.search({ query: { match_phrase: { body: { query: 'a b', max_expansions: 3 } } } as unknown as Query })).rejects.toThrow(/does not support \[max_expansions\]/)
    await expect(positional.search({ query: { multi_match: { query: 'a b', type: 'best_fields', slop: 1 } } as unknown as Query })).rejects.toThrow(/slop applies to types phrase/)
    // Each word of a phrase counts toward the 1,024 scored terms of a query, as Lucene 9 counts them.
    const long = Array.from({ length: 1025 }, (_, i) => `w${i}`).join(' ')
    await expect(positional.search({ query: { match_phrase: { body: long } } })).rejects.toMatchObject({ code: 'too_many_clauses' })
    expect((await hitsOf(positional, { match_phrase: { body: long.split(' ').slice(0, 1024).join(' ') } })).total).toBe(0)
  })
})

describe('stacked tokens, hostile repeats and encoder indexes', () => {
  const folding = { analyzer: { folded: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase', 'folding'] } }, filter: { folding: { type: 'asciifolding', preserve_original: true } } }

  it('indexes a token stacked on an equal one, and sums the idf of the phrase terms that occur only', async () => {
    const twice = { analyzer: { twice: { type: 'custom', tokenizer: 'whitespace', filter: ['folding', 'asciifolding'] } }, filter: folding.filter }
    const stacked = await indexOf({ s: 'le café noir' }, { type: 'text', analyzer: 'twice' }, twice)
    expect(await stacked.check()).toEqual([])
    expect((await hitsOf(stacked, { match_phrase: { body: 'cafe noir' } })).total).toBe(1)
    // "café noir" is the stack (cafe|café) noir; café occurs nowhere, so only cafe and noir weigh (Lucene's PhraseWeight).
    const index = await indexOf({ x: 'cafe noir', y: 'the cafe', z: 'other words' }, { type: 'text', analyzer: 'folded' }, folding)
    const { hits } = await hitsOf(index, { match_phrase: { body: 'café noir' } })
    expect(hits.map((h) => h.id)).toEqual(['x'])
    expect(hits[0].score).toBeCloseTo(bm25(idf(3, 2) + idf(3, 1), 1, 2, 2), 12)
  })

  it('refuses a sloppy phrase whose repeated words would take seconds, and still runs it exact', async () => {
    const index = await indexOf({ long: Array.from({ length: 20_000 }, () => 'a').join(' '), short: 'a b a' })
    const words = Array.from({ length: 300 }, () => 'a').join(' ')
    const started = performance.now()
    await expect(index.search({ query: { match_phrase: { body: { query: words, slop: 1 } } } })).rejects.toThrow(/needs more than 500,000,000 position comparisons/)
    expect(performance.now() - started).toBeLessThan(5_000)
    expect((await hitsOf(index, { match_phrase: { body: words } })).hits.map((h) => h.id)).toEqual(['long'])
  })

  it('runs one encoder word as a term, leaves the encoder field out of a lenient phrase, and applies zero_terms_query over all fields', async () => {
    const encoded = await SparseIndex.open(await tempDir(), { create: true, schema: { mappings: { properties: { body: { type: 'text' } } } } })
    opened.push(encoded)
    await encoded.add([{ id: 'e', title: '', text: 'quick brown fox', source: { text: 'quick brown fox', body: 'quick brown fox' } }, { id: 'f', title: '', text: 'brown quick', source: { text: 'brown quick', body: 'brown quick' } }])
    expect((await hitsOf(encoded, { match_phrase: { text: 'quick' } })).total).toBe(2)
    expect((await hitsOf(encoded, { multi_match: { query: 'quick brown', type: 'phrase' } })).hits.map((h) => h.id)).toEqual(['e'])
    await expect(encoded.search({ query: { multi_match: { query: 'quick brown', type: 'phrase', fields: ['text', 'body'] } } })).rejects.toThrow(/encoder field .* holds no positions/)
    const index = await indexOf({ p: 'quick brown', q: 'slow' })
    expect((await hitsOf(index, { multi_match: { query: 'quick zzz', type: 'phrase_prefix', fields: ['body'], zero_terms_query: 'all' } })).total).toBe(0)
    expect((await hitsOf(index, { multi_match: { query: '   ', type: 'phrase', fields: ['body'], zero_terms_query: 'all' } })).total).toBe(2)
    expect((await hitsOf(index, { match_phrase_prefix: { body: { query: 'quick br', max_expansions: '0' as unknown as number } } })).total).toBe(0)
    expect((await hitsOf(index, { match_phrase: { body: { query: 'brown quick', slop: '2' as unknown as number } } })).total).toBe(1)
  })
})

describe('phrases over every field', () => {
  it('leave out fields without positions when the fields are * (lenient), and refuse them when named', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema: { mappings: { properties: { body: { type: 'text' }, notes: { type: 'text', index_options: 'freqs' } } } } })
    opened.push(index)
    await index.add([{ id: 'a', source: { body: 'red shoes', notes: 'red shoes' } }, { id: 'b', source: { body: 'shoes red', notes: 'red shoes' } }])
    expect((await hitsOf(index, { multi_match: { query: 'red shoes', type: 'phrase' } })).hits.map((h) => h.id)).toEqual(['a'])
    expect((await hitsOf(index, { multi_match: { query: 'red shoes', type: 'phrase', fields: ['body', 'notes'], lenient: true } })).hits.map((h) => h.id)).toEqual(['a'])
    await expect(index.search({ query: { multi_match: { query: 'red shoes', type: 'phrase', fields: ['body', 'notes'] } } })).rejects.toThrow(/field:\[notes\] was indexed without position data/)
    await expect(index.search({ query: { multi_match: { query: 'red shoes', type: 'phrase', lenient: false } } })).rejects.toThrow(/field:\[notes\]/)
    await expect(index.search({ query: { multi_match: { query: 'red shoes', lenient: true } } as unknown as Query })).rejects.toThrow(/lenient is supported for types phrase/)
  })
})

describe('phrases inside bool keep top-k exact', () => {
  const WORDS = ['a', 'b', 'c', 'd', 'e', 'f']

  /** Exact phrase occurrences, counted over the tokens (slop 0). */
  function occurrences(tokens: string[], phrase: string[]): number {
    let n = 0
    for (let p = 0; p + phrase.length <= tokens.length; p++) if (phrase.every((w, i) => tokens[p + i] === w)) n++
    return n
  }

  it('matches a brute force of Lucene scoring on every algorithm', async () => {
    const random = seededRandom(7)
    const texts: Record<string, string> = {}
    for (let i = 0; i < 400; i++) texts[`d${i}`] = Array.from({ length: 2 + Math.floor(random() * 20) }, () => WORDS[Math.floor(random() ** 2 * WORDS.length)]).join(' ')
    const index = await indexOf(texts)
    const tokens = Object.fromEntries(Object.entries(texts).map(([id, text]) => [id, text.split(' ')]))
    const n = Object.keys(texts).length
    const avgdl = Object.values(tokens).reduce((sum, t) => sum + t.length, 0) / n
    const df = (word: string) => Object.values(tokens).filter((t) => t.includes(word)).length
    const phraseScore = (id: string, phrase: string[], boost = 1) => {
      const freq = occurrences(tokens[id], phrase)
      return freq === 0 ? 0 : boost * bm25(phrase.reduce((sum, w) => sum + idf(n, df(w)), 0), freq, tokens[id].length, avgdl)
    }
    const termScore = (id: string, word: string) => {
      const tf = tokens[id].filter((t) => t === word).length
      return tf === 0 ? 0 : bm25(idf(n, df(word)), tf, tokens[id].length, avgdl)
    }
    for (let q = 0; q < 12; q++) {
      const p1 = [WORDS[q % 6], WORDS[(q * 5 + 1) % 6]]
      const p2 = [WORDS[(q + 2) % 6], WORDS[(q + 3) % 6], WORDS[(q * 7) % 6]]
      const word = WORDS[(q + 4) % 6]
      const query: Query = q % 2 === 0
        ? { bool: { must: [{ match_phrase: { body: p1.join(' ') } }], should: [{ match: { body: word } }, { match_phrase: { body: { query: p2.join(' '), boost: 2 } } }] } }
        : { bool: { should: [{ match_phrase: { body: p1.join(' ') } }, { match_phrase: { body: { query: p2.join(' '), boost: 2 } } }, { match: { body: word } }] } }
      const expected = Object.keys(texts).flatMap((id) => {
        const must = q % 2 === 0 ? phraseScore(id, p1) : 0
        if (q % 2 === 0 && must === 0) return []
        const parts = [q % 2 === 0 ? must : phraseScore(id, p1), phraseScore(id, p2, 2), termScore(id, word)]
        return parts.some((s) => s > 0) ? [{ id, score: parts.reduce((a, b) => a + b, 0) }] : []
      })
      expected.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1))
      for (const algorithm of ['exhaustive', 'maxscore', 'blockmax', 'auto'] as SearchAlgorithm[]) {
        const { hits, total } = await index.search({ query, size: 10 }, { algorithm, blockSize: 16 })
        expect(total, `${JSON.stringify(query)} ${algorithm}`).toBe(expected.length)
        hits.forEach((hit, i) => expect(hit.score, `${algorithm} hit ${i}`).toBeCloseTo(expected[i].score, 9))
        expect(new Set(hits.map((h) => h.score.toFixed(9)))).toEqual(new Set(expected.slice(0, hits.length).map((e) => e.score.toFixed(9))))
      }
    }
  })
})
