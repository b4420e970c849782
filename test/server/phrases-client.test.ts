import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { portServer } from './helpers.js'

/**
 * Phrase queries through the official OpenSearch JavaScript client, against hits computed here by
 * brute force over the documents' words. Words are lowercase letters separated by single spaces,
 * so the standard analyzer gives one token per word at positions 0..n-1.
 */
const VOCABULARY = ['red', 'rose', 'river', 'blue', 'bird', 'black', 'sun', 'sand']

interface Doc {
  body: string[]
  title: string[]
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const next = random(16)
const words = (min: number, max: number) => Array.from({ length: min + Math.floor(next() * (max - min + 1)) }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)])
const DOCS = new Map<string, Doc>(Array.from({ length: 80 }, (_, i) => [`d${i}`, { body: words(3, 14), title: words(1, 4) }]))

/**
 * Whether words hold the phrase within `slop`: one position per phrase word whose phrase
 * positions (document position minus the word's offset) span at most `slop` (exactly Lucene's
 * sloppy matching when no word repeats in the phrase; slop 0 is an exact occurrence).
 * @param last - the last phrase word's test (a prefix for match_phrase_prefix)
 */
function holds(text: readonly string[], phrase: readonly string[], slop: number, last: (word: string) => boolean = (w) => w === phrase[phrase.length - 1]): boolean {
  const tests = phrase.map((word, j) => (j === phrase.length - 1 ? last : (w: string) => w === word))
  const positions = tests.map((test, j) => text.flatMap((w, p) => (test(w) ? [p - j] : [])))
  const choose = (j: number, min: number, max: number): boolean =>
    j === positions.length ? max - min <= slop : positions[j].some((p) => choose(j + 1, Math.min(min, p), Math.max(max, p)))
  return choose(0, Infinity, -Infinity)
}

/** The ids whose field holds the phrase. */
function brute(fields: Array<keyof Doc>, phrase: string, slop = 0, prefix = false): string[] {
  const words = phrase.split(' ')
  const last = prefix ? (w: string) => w.startsWith(words[words.length - 1]) : undefined
  return [...DOCS].filter(([, doc]) => fields.some((field) => holds(doc[field], words, slop, last))).map(([id]) => id).sort()
}

/** The text with each exact occurrence of the phrase marked, overlapping ones as one unit. */
function marked(text: readonly string[], phrase: readonly string[]): string {
  const inside = new Array<boolean>(text.length).fill(false)
  for (let p = 0; p + phrase.length <= text.length; p++) {
    if (phrase.every((word, j) => text[p + j] === word)) for (let j = 0; j < phrase.length; j++) inside[p + j] = true
  }
  let out = ''
  text.forEach((word, p) => {
    const open = inside[p] && !inside[p - 1]
    const close = inside[p] && !inside[p + 1]
    out += (p > 0 ? ' ' : '') + (open ? '<em>' : '') + word + (close ? '</em>' : '')
  })
  return out
}

describe('phrase queries through the official OpenSearch JavaScript client', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  let client: Client

  beforeAll(async () => {
    server = await portServer()
    client = new Client({ node: server.url })
    const mappings = { properties: { body: { type: 'text' }, title: { type: 'text' }, notes: { type: 'text', index_options: 'freqs' } } }
    const created = await client.indices.create({ index: 'words', body: { mappings } as unknown as Record<string, never> })
    expect(created.body).toMatchObject({ acknowledged: true })
    const body = [...DOCS].flatMap(([id, doc]) => [{ index: { _id: id } }, { body: doc.body.join(' '), title: doc.title.join(' '), notes: doc.body.join(' ') }])
    const bulk = await client.bulk({ index: 'words', body, refresh: true })
    expect(bulk.body.errors).toBe(false)
  })
  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  /** The ids a search finds (all of them: size covers the corpus), sorted, checked against its total. */
  async function ids(params: Record<string, unknown>): Promise<string[]> {
    const { body } = await client.search({ index: 'words', size: 100, ...params })
    const found = body.hits.hits.map((hit) => hit._id!).sort()
    expect(body.hits.total).toEqual({ value: found.length, relation: 'eq' })
    return found
  }

  it('runs match_phrase, exact and sloppy, as a brute force over the words finds', async () => {
    for (const phrase of ['red rose', 'rose red', 'blue bird sun', 'sand black']) {
      for (const slop of [0, 1, 2, 3]) {
        const expected = brute(['body'], phrase, slop)
        expect(await ids({ body: { query: { match_phrase: { body: { query: phrase, slop } } } } }), `${phrase}~${slop}`).toEqual(expected)
      }
    }
    // Not a trivial corpus: some phrases match some documents, and slop finds more.
    expect(brute(['body'], 'red rose').length).toBeGreaterThan(3)
    expect(brute(['body'], 'red rose', 2).length).toBeGreaterThan(brute(['body'], 'red rose').length)
    expect(brute(['body'], 'red rose', 3).length).toBeLessThan(DOCS.size)
  })

  it('runs match_phrase_prefix and multi_match phrase and phrase_prefix', async () => {
    for (const phrase of ['red r', 'blue bird s', 'sun b']) {
      expect(await ids({ body: { query: { match_phrase_prefix: { body: phrase } } } }), phrase).toEqual(brute(['body'], phrase, 0, true))
      expect(await ids({ body: { query: { multi_match: { query: phrase, type: 'phrase_prefix', fields: ['body', 'title'] } } } }), phrase).toEqual(brute(['body', 'title'], phrase, 0, true))
    }
    for (const phrase of ['red rose', 'black sun']) {
      expect(await ids({ body: { query: { multi_match: { query: phrase, type: 'phrase', fields: ['body', 'title'] } } } }), phrase).toEqual(brute(['body', 'title'], phrase))
      expect(await ids({ body: { query: { multi_match: { query: phrase, type: 'phrase', slop: 1, fields: ['title'] } } } }), phrase).toEqual(brute(['title'], phrase, 1))
    }
  })

  it('runs a quoted q as a phrase', async () => {
    expect(await ids({ q: 'body:"red rose"' })).toEqual(brute(['body'], 'red rose'))
    expect(await ids({ q: '"rose red"~2', df: 'body' })).toEqual(brute(['body'], 'rose red', 2))
    // A phrase and a word, both required.
    const both = brute(['body'], 'blue bird').filter((id) => DOCS.get(id)!.title.includes('sand'))
    expect(await ids({ q: 'body:"blue bird" AND title:sand' })).toEqual(both)
  })

  it('highlights each occurrence of the phrase as one unit, and nothing else', async () => {
    for (const phrase of ['red rose', 'bird bird', 'rose sand sand', 'sun sun']) {
      const { body } = await client.search({
        index: 'words', size: 100,
        body: { query: { match_phrase: { body: phrase } }, highlight: { fields: { body: { fragment_size: 1000, number_of_fragments: 1 } } } },
      })
      const expected = brute(['body'], phrase)
      expect(body.hits.hits.map((hit) => hit._id).sort(), phrase).toEqual(expected)
      expect(expected.length, phrase).toBeGreaterThan(0)
      for (const hit of body.hits.hits) expect(hit.highlight, `${phrase} in ${hit._id}`).toEqual({ body: [marked(DOCS.get(hit._id!)!.body, phrase.split(' '))] })
    }
  })

  it('refuses match_phrase on a field indexed without positions, and shows its index_options in the mapping', async () => {
    await expect(client.search({ index: 'words', body: { query: { match_phrase: { notes: 'red rose' } } } })).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { reason: expect.stringMatching(/field:\[notes\] was indexed without position data/) } } },
    })
    const mapping = await client.indices.getMapping({ index: 'words' })
    expect(mapping.body.words.mappings.properties).toMatchObject({ notes: { type: 'text', index_options: 'freqs' }, body: { type: 'text' } })
    expect(mapping.body.words.mappings.properties?.body).not.toHaveProperty('index_options')
  })
})
