import { describe, expect, it } from 'vitest'
import { BM25_ENCODER, sampleApp } from './helpers.js'

describe('_search answers as Elasticsearch does', () => {
  it('max_score is the best score of the whole result, not of the page', async () => {
    const { call } = await sampleApp()
    const query = { match: { text: 'posting lists' } }
    const first = (await call('POST', '/sample/_search', { query, size: 3 })).body.hits
    const second = (await call('POST', '/sample/_search', { query, size: 3, from: 3 })).body.hits
    expect(second.hits[0]._score).toBeLessThan(first.hits[0]._score)
    expect(second.max_score).toBe(first.hits[0]._score)
    expect((await call('POST', '/sample/_search', { query, size: 0 })).body.hits.max_score).toBeNull()
  })

  it('boost 0 keeps the matches, scored 0', async () => {
    const { call } = await sampleApp()
    const plain = (await call('POST', '/sample/_search', { query: { match: { text: 'posting lists' } }, size: 100 })).body.hits
    const zero = (await call('POST', '/sample/_search', { query: { match: { text: { query: 'posting lists', boost: 0 } } }, size: 100 })).body.hits
    expect(zero.total).toEqual(plain.total)
    expect(zero.hits).toHaveLength(plain.hits.length)
    expect(zero.hits.every((h: { _score: number }) => h._score === 0)).toBe(true)
    // Equal scores rank in insertion order.
    expect(zero.hits.map((h: { _id: string }) => h._id)).toEqual([...plain.hits.map((h: { _id: string }) => h._id)].sort())
  })

  it('explanations equal the scores they explain', async () => {
    const { call } = await sampleApp()
    // A scored clause, a constant-score one (term on a keyword field in must: 1 x boost 2) and a filter.
    const query = { bool: { must: [{ match: { text: 'sparse retrieval' } }, { term: { 'tag.keyword': { value: 'even', boost: 2 } } }], filter: { term: { tag: 'even' } } } }
    const { hits } = (await call('POST', '/sample/_search', { query, explain: true })).body.hits
    expect(hits.length).toBeGreaterThan(0)
    for (const hit of hits) {
      expect(hit._explanation.value).toBeCloseTo(hit._score, 12)
      const details: Array<{ value: number; description: string }> = hit._explanation.details
      expect(details.reduce((sum, d) => sum + d.value, 0)).toBeCloseTo(hit._score, 12)
      expect(details.filter((d) => d.description.includes('tag.keyword')).map((d) => d.value)).toEqual([2])
      expect(details.filter((d) => !d.description.includes('tag.keyword')).every((d) => /^weight\(text:(sparse|retrieval)\)/.test(d.description))).toBe(true)
      const alone = (await call('POST', `/sample/_explain/${hit._id}`, { query })).body
      expect(alone).toMatchObject({ matched: true, explanation: { value: hit._explanation.value } })
    }
    // An odd document has the words but does not match the query: matched false, value 0.
    const odd = (await call('POST', '/sample/_search', { query: { bool: { must: { match: { text: 'sparse retrieval' } }, filter: { term: { tag: 'odd' } } } } })).body.hits.hits[0]._id
    expect((await call('POST', `/sample/_explain/${odd}`, { query })).body).toMatchObject({ matched: false, explanation: { value: 0 } })
  })

  it('answers malformed highlight and sort options with a 400 naming them', async () => {
    const { call } = await sampleApp()
    const bad: Array<[unknown, RegExp]> = [
      [{ highlight: { fields: [null] } }, /highlight\.fields/],
      [{ highlight: { fields: { text: null } } }, /highlight\.fields\.text/],
      [{ highlight: { fields: { text: {} }, pre_tags: [1] } }, /highlight\.pre_tags/],
      [{ highlight: { fields: { text: {} }, type: 'fvh' } }, /\[highlight\] option \[type\]/],
      [{ highlight: { fields: { text: { matched_fields: ['x'] } } } }, /option \[matched_fields\]/],
      [{ sort: [{ _score: { order: 'up' } }] }, /\[sort\] order of \[_score\] must be "asc" or "desc"/],
      [{ sort: [{ _score: { order: 'asc', missing: '_last' } }] }, /\[_score\] takes only order/],
      [{ explain: 'yes' }, /\[explain\] must be a boolean/],
      [{ track_scores: 'yes' }, /\[track_scores\] must be a boolean/],
      [{ search_after: [1] }, /\[search_after\] needs a \[sort\]/],
      [{ query: { neural_sparse: { text: { query_text: 'posting' } } } }, /\[neural_sparse\] field \[text\] is of type \[text\]: neural_sparse searches a rank_features or sparse_vector field/],
    ]
    for (const [body, reason] of bad) {
      const response = await call('POST', '/sample/_search', { query: { match: { text: 'posting' } }, ...(body as object) })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body.error.reason, JSON.stringify(body)).toMatch(reason)
    }
    const encoded = await sampleApp({}, BM25_ENCODER)
    for (const [option, reason] of [
      [{ model_id: 'm1' }, /option \[model_id\] is not supported on the encoder field: lsr encodes query_text with the index's own encoder/],
      [{ analyzer: 'bert-uncased' }, /option \[analyzer\] is not supported/],
    ] as const) {
      const response = await encoded.call('POST', '/sample/_search', { query: { neural_sparse: { text: { query_text: 'posting', ...option } } } })
      expect(response.status, JSON.stringify(option)).toBe(400)
      expect(response.body.error.reason, JSON.stringify(option)).toMatch(reason)
    }
    expect((await call('PUT', '/other', { aliases: { books: { routing: '1' } } })).body.error.reason).toMatch(/^\[aliases\.books\] option \[routing\] is not supported/)
    expect((await call('PUT', '/other', { setings: {} })).body.error.reason).toMatch(/^\[setings\] is not a supported key/)
    expect((await call('PUT', '/other', { aliases: {}, mappings: {} })).status).toBe(200)
    expect((await call('GET', '/_cluster/health?level=indices')).body.error.reason).toMatch(/\[level\] indices is not supported/)
    expect((await call('GET', '/_cluster/health?level=cluster')).status).toBe(200)
    const ok = await call('POST', '/sample/_search', {
      query: { match: { text: 'posting' } },
      sort: [{ _score: { order: 'desc' } }],
      highlight: { fields: [{ text: { pre_tags: ['['], post_tags: [']'] } }] },
    })
    expect(ok.status).toBe(200)
    expect(ok.body.hits.hits[0].highlight.text[0]).toMatch(/\[[Pp]osting\]/)
  })

  it('sorts by _score ascending as Elasticsearch does: worst match first, max_score still the best match', async () => {
    const { call } = await sampleApp()
    const query = { match: { text: 'posting lists' } }
    const ranked = (await call('POST', '/sample/_search', { query, size: 100 })).body.hits
    expect(ranked.hits.length).toBeGreaterThan(3)
    const ascending = (await call('POST', '/sample/_search', { query, size: 3, sort: [{ _score: 'asc' }] })).body.hits
    const worst = [...ranked.hits].reverse().slice(0, 3)
    expect(ascending.hits.map((h: { _score: number }) => h._score)).toEqual(worst.map((h: { _score: number }) => h._score))
    expect(ascending.hits.map((h: { sort: number[] }) => h.sort)).toEqual(worst.map((h: { _score: number }) => [h._score]))
    expect(ascending.max_score).toBe(ranked.hits[0]._score)
    expect(ascending.total).toEqual(ranked.total)
  })

  it('track_scores with a field sort: hits carry their scores and max_score is the best of all matches, not of the page', async () => {
    const { call } = await sampleApp()
    const query = { match: { text: 'posting lists' } }
    const ranked = (await call('POST', '/sample/_search', { query, size: 100 })).body.hits
    const scoreOf = new Map(ranked.hits.map((h: { _id: string; _score: number }) => [h._id, h._score]))
    const byNumber = [...ranked.hits].sort((a, b) => a._source.meta.n - b._source.meta.n)
    const sort = [{ 'meta.n': 'asc' }]
    const tracked = (await call('POST', '/sample/_search', { query, sort, size: 1, track_scores: true })).body.hits
    const first = byNumber[0]
    expect(first._id).not.toBe(ranked.hits[0]._id) // the page does not hold the best match
    expect(tracked.hits.map((h: { _id: string; _score: number; sort: number[] }) => [h._id, h._score, h.sort])).toEqual([[first._id, scoreOf.get(first._id), [first._source.meta.n]]])
    expect(tracked.max_score).toBe(ranked.hits[0]._score)
    const untracked = (await call('POST', '/sample/_search', { query, sort, size: 1 })).body.hits
    expect(untracked.max_score).toBeNull()
    expect(untracked.hits[0]._score).toBeNull()
  })
})
