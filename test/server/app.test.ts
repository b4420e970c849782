import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers.js'
import { BM25_ENCODER, sampleApp, testApp } from './helpers.js'

describe('cluster endpoints', () => {
  it('GET / answers name, version and tagline, or the search page for browsers', async () => {
    const { call } = await testApp()
    const info = await call('GET', '/')
    expect(info.body).toMatchObject({ name: 'lsr', version: { number: expect.any(String) }, tagline: expect.any(String) })
    const page = await call('GET', '/', undefined, { accept: 'text/html' })
    expect(page.body).toContain('<title>lsr search</title>')
  })

  it('force merge compacts: postings of deleted documents are dropped, results unchanged', async () => {
    const { call } = await sampleApp()
    await call('DELETE', '/sample/_doc/s01')
    const before = await call('POST', '/sample/_search', { query: { match: { text: 'posting lists' } } })
    const postings = async () => (await call('GET', '/sample/_stats')).body.indices.sample.lsr.postings
    const beforePostings = await postings()
    expect((await call('POST', '/sample/_forcemerge')).status).toBe(200)
    expect(await postings()).toBeLessThan(beforePostings)
    expect((await call('POST', '/sample/_search', { query: { match: { text: 'posting lists' } } })).body.hits).toEqual(before.body.hits)
  })

  it('reports health and lists indexes', async () => {
    const { call } = await sampleApp()
    expect((await call('GET', '/_cluster/health')).body).toMatchObject({ status: 'green', number_of_nodes: 1 })
    const cat = await call('GET', '/_cat/indices?format=json')
    expect(cat.body).toEqual([expect.objectContaining({ index: 'sample', 'docs.count': '30', health: 'green' })])
  })
})

describe('index management', () => {
  it('creates, reads, checks and deletes an index; its default similarity sets BM25 k1 and b of its fields', async () => {
    const { call } = await testApp()
    const similarity = { default: { type: 'BM25', k1: 1.5, b: 0.5 } }
    const created = await call('PUT', '/books', { settings: { index: { similarity } } })
    expect(created).toMatchObject({ status: 200, body: { acknowledged: true, index: 'books' } })
    const settings = (await call('GET', '/books')).body.books.settings.index
    expect(settings.similarity).toEqual(similarity)
    expect(settings.encoder).toBeUndefined()
    // One document of two words, one searched: idf ln(1 + (1 - 1 + 0.5) / (1 + 0.5)), tf 1 / (1 + k1) as dl = avgdl.
    await call('PUT', '/books/_doc/1', { text: 'sparse retrieval' })
    const hit = (await call('POST', '/books/_search', { query: { match: { text: 'sparse' } } })).body.hits.hits[0]
    expect(hit._score).toBeCloseTo(Math.log(1 + 0.5 / 1.5) / (1 + 1.5), 12)
    expect((await call('HEAD', '/books')).status).toBe(200)
    expect((await call('PUT', '/books', {})).body.error.type).toBe('resource_already_exists_exception')
    expect((await call('DELETE', '/books')).body).toEqual({ acknowledged: true })
    expect((await call('HEAD', '/books')).status).toBe(404)
    expect((await call('GET', '/books')).body).toMatchObject({ status: 404, error: { type: 'index_not_found_exception' } })
  })

  it('rejects path-like and invalid index names without touching the disk', async () => {
    const { call, registry } = await testApp()
    // '/..' never reaches a handler: URL normalization turns it into '/'.
    expect((await call('PUT', '/..', {})).status).toBe(405)
    for (const name of ['UPPER', '_private', 'a%2Fb', 'a%5Cb', 'has%20space', 'x'.repeat(256)]) {
      const response = await call('PUT', `/${name}`, {})
      expect(response.status, name).toBe(400)
      expect(response.body.error.type, name).toBe('invalid_index_name_exception')
    }
    expect(await registry.names()).toEqual([])
  })
})

describe('documents', () => {
  it('indexes with and without an id, gets, replaces and deletes', async () => {
    const { call } = await testApp()
    await call('PUT', '/notes', {})
    expect(await call('PUT', '/notes/_doc/n1', { title: 'First', text: 'hello sparse world' })).toMatchObject({ status: 201, body: { result: 'created', _id: 'n1' } })
    expect(await call('PUT', '/notes/_doc/n1', { title: 'First', text: 'hello again' })).toMatchObject({ status: 200, body: { result: 'updated' } })
    const generated = await call('POST', '/notes/_doc', { text: 'no id given' })
    expect(generated.status).toBe(201)
    expect(generated.body._id).toMatch(/^[0-9a-f]{20}$/)
    expect((await call('PUT', '/notes/_create/n1', { text: 'x' })).status).toBe(409)
    expect((await call('GET', '/notes/_doc/n1')).body).toMatchObject({ found: true, _source: { title: 'First', text: 'hello again' } })
    expect((await call('GET', '/notes/_doc/n1?_source=title')).body._source).toEqual({ title: 'First' })
    expect(await call('DELETE', '/notes/_doc/n1')).toMatchObject({ status: 200, body: { result: 'deleted' } })
    expect(await call('GET', '/notes/_doc/n1')).toMatchObject({ status: 404, body: { found: false } })
    expect(await call('DELETE', '/notes/_doc/n1')).toMatchObject({ status: 404, body: { result: 'not_found' } })
  })

  it('rejects a value its field cannot hold, naming the field, and writes nothing of it', async () => {
    const { call } = await testApp()
    await call('PUT', '/notes', {})
    expect((await call('PUT', '/notes/_doc/1', { count: 1, text: 'one' })).status).toBe(201)
    const response = await call('PUT', '/notes/_doc/bad', { count: 'abc', text: 'bad' })
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ type: 'mapper_parsing_exception', reason: expect.stringMatching(/failed to parse field \[count\] of type \[long\]/) })
    expect((await call('GET', '/notes/_doc/bad')).status).toBe(404)
    expect((await call('POST', '/notes/_count', { query: { match: { text: 'bad' } } })).body.count).toBe(0)
    // As in Elasticsearch, a number in a text field is indexed as its text.
    expect((await call('PUT', '/notes/_doc/n', { text: 42 })).status).toBe(201)
    expect((await call('POST', '/notes/_count', { query: { match: { text: '42' } } })).body.count).toBe(1)
  })

  it('rejects a title or text that is not a string in an index with an encoder, naming the field', async () => {
    const { call } = await testApp()
    await call('PUT', '/notes', BM25_ENCODER)
    const response = await call('PUT', '/notes/_doc/bad', { text: 42 })
    expect(response.status).toBe(400)
    expect(response.body.error.reason).toMatch(/field \[text\] must be a string/)
    expect((await call('GET', '/notes/_count')).body.count).toBe(0)
  })
})

describe('bulk', () => {
  it('answers each action with its own status; malformed lines fail alone and the good lines land', async () => {
    const { call } = await testApp()
    await call('PUT', '/b', {})
    const ndjson = [
      '{"index":{"_id":"1"}}', '{"text":"one"}',
      '{"create":{"_id":"1"}}', '{"text":"duplicate"}',
      '{"index":{"_id":"2"}', '{"text":"broken action line"}',
      '{"index":{"_id":"3"}}', '{"text": not json}',
      '{"index":{"_id":"4"}}', '{"text":"four"}',
      '{"update":{"_id":"4"}}', '{"doc":{"title":"Four"}}',
      '{"update":{"_id":"404"}}', '{"doc":{"title":"missing"}}',
      '{"delete":{"_id":"1"}}',
      '{"delete":{"_id":"nope"}}',
      '{"index":{"_index":"other-missing","_id":"9"}}', '{"text":"x"}',
    ].join('\n')
    const response = await call('POST', '/b/_bulk', ndjson, { 'content-type': 'application/x-ndjson' })
    expect(response.status).toBe(200)
    expect(response.body.errors).toBe(true)
    const statuses = response.body.items.map((item: Record<string, { status: number }>) => Object.entries(item).map(([a, v]) => `${a}:${v.status}`)[0])
    // The last action writes to a missing index: it creates it (auto-create), as Elasticsearch does.
    expect(statuses).toEqual(['index:201', 'create:409', 'index:400', 'index:400', 'index:201', 'update:200', 'update:404', 'delete:200', 'delete:404', 'index:201'])
    expect(response.body.items[2].index.error.reason).toBe('Malformed action/metadata line [5]')
    expect((await call('GET', '/b/_doc/4')).body._source).toEqual({ text: 'four', title: 'Four' })
    expect((await call('GET', '/b/_count')).body.count).toBe(1)
  })

  it('concurrent partial updates of one document lose nothing (read-modify-write is serialized)', async () => {
    const { call } = await testApp()
    await call('PUT', '/u', {})
    await call('PUT', '/u/_doc/x', { text: 'base' })
    await Promise.all(Array.from({ length: 20 }, (_, i) => call('POST', '/u/_bulk', `{"update":{"_id":"x"}}\n{"doc":{"f${i}":${i}}}\n`)))
    const { _source } = (await call('GET', '/u/_doc/x')).body
    expect(Object.keys(_source).sort()).toEqual(['text', ...Array.from({ length: 20 }, (_, i) => `f${i}`)].sort())
  })

  it('update with doc_as_upsert creates a missing document; a doc_as_upsert that is not a boolean is a 400 naming it', async () => {
    const { call } = await testApp()
    await call('PUT', '/u', {})
    const bad = await call('POST', '/u/_bulk', '{"update":{"_id":"x"}}\n{"doc":{"text":"x"},"doc_as_upsert":"yes"}\n')
    expect(bad.body.items[0].update).toMatchObject({ status: 400, error: { reason: expect.stringMatching(/\[doc_as_upsert\] must be true or false/) } })
    const missing = await call('POST', '/u/_bulk', '{"update":{"_id":"x"}}\n{"doc":{"text":"x"},"doc_as_upsert":false}\n')
    expect(missing.body.items[0].update.status).toBe(404)
    const upserted = await call('POST', '/u/_bulk', '{"update":{"_id":"x"}}\n{"doc":{"text":"x"},"doc_as_upsert":true}\n')
    expect(upserted.body.items[0].update).toMatchObject({ status: 201, result: 'created' })
    expect((await call('GET', '/u/_doc/x')).body._source).toEqual({ text: 'x' })
  })

  it('accepts ?refresh and rejects unknown refresh values', async () => {
    const { call } = await testApp()
    await call('PUT', '/b', {})
    expect((await call('POST', '/b/_bulk?refresh=wait_for', '{"index":{"_id":"1"}}\n{"text":"x"}\n')).body.errors).toBe(false)
    expect((await call('POST', '/b/_bulk?refresh=sometimes', '{"index":{"_id":"2"}}\n{"text":"y"}\n')).status).toBe(400)
  })
})

describe('search', () => {
  it('match: ranked hits in the Elasticsearch shape', async () => {
    const { call } = await sampleApp()
    const { status, body } = await call('POST', '/sample/_search', { query: { match: { text: 'roaring bitmaps posting lists' } }, size: 2 })
    expect(status).toBe(200)
    expect(body).toMatchObject({ timed_out: false, _shards: { total: 1, successful: 1, failed: 0 }, hits: { total: { value: expect.any(Number), relation: 'eq' } } })
    expect(body.hits.hits).toHaveLength(2)
    expect(body.hits.hits[0]).toMatchObject({ _index: 'sample', _id: 's01', _source: { title: 'Roaring bitmaps' } })
    expect(body.hits.max_score).toBe(body.hits.hits[0]._score)
  })

  it('match, multi_match and neural_sparse query_text score alike on the encoder field; query_tokens take pre-encoded weights', async () => {
    const { call } = await sampleApp({}, BM25_ENCODER)
    const ids = async (query: unknown) => (await call('POST', '/sample/_search', { query })).body.hits.hits.map((h: { _id: string; _score: number }) => [h._id, h._score])
    const match = await ids({ match: { text: 'crash safe atomic writes' } })
    expect(await ids({ multi_match: { query: 'crash safe atomic writes', fields: ['title', 'text'] } })).toEqual(match)
    expect(await ids({ neural_sparse: { text: { query_text: 'crash safe atomic writes' } } })).toEqual(match)
    expect(await ids({ neural_sparse: { text: { query_tokens: { crash: 1, safe: 1, atom: 1, write: 1 } } } })).toEqual(match)
  })

  it('neural_sparse accepts OpenSearch-style two_phase parameters at top level', async () => {
    const { call } = await sampleApp({}, BM25_ENCODER)
    const tokens = { roar: 3, bitmap: 2, post: 0.5, list: 0.5 }
    const plain = (await call('POST', '/sample/_search', { query: { neural_sparse: { text: { query_tokens: tokens } } } })).body.hits
    const twoPhase = (await call('POST', '/sample/_search', { query: { neural_sparse: { text: { query_tokens: tokens, two_phase: { prune_ratio: 0, expansion_rate: 5, max_window_size: 100 } } } } })).body.hits
    expect(twoPhase).toEqual(plain)
    const nested = await call('POST', '/sample/_search', { query: { bool: { must: { neural_sparse: { text: { query_tokens: tokens, two_phase: {} } } } } } })
    expect(nested.status).toBe(400)
    expect(nested.body.error.reason).toMatch(/two_phase applies to a top-level neural_sparse query/)
  })

  it('bool filter and must_not are exact bitmap filters applied before top-k', async () => {
    const { call } = await sampleApp()
    const all = (await call('POST', '/sample/_search', { query: { match: { text: 'index documents' } }, size: 100 })).body.hits.hits
    const filtered = (await call('POST', '/sample/_search', {
      query: { bool: { must: { match: { text: 'index documents' } }, filter: { term: { tag: 'odd' } }, must_not: { ids: { values: ['s01'] } } } },
      size: 3,
    })).body
    const expected = all.filter((h: { _id: string; _source: { tag: string } }) => h._source.tag === 'odd' && h._id !== 's01').slice(0, 3)
    expect(filtered.hits.hits.map((h: { _id: string }) => h._id)).toEqual(expected.map((h: { _id: string }) => h._id))
    expect(filtered.hits.hits.map((h: { _score: number }) => h._score)).toEqual(expected.map((h: { _score: number }) => h._score))
    expect(filtered.hits.total.value).toBe(all.filter((h: { _id: string; _source: { tag: string } }) => h._source.tag === 'odd' && h._id !== 's01').length)
  })

  it('match_all, ids, term and terms (on nested metadata) score a constant', async () => {
    const { call } = await sampleApp()
    const all = await call('POST', '/sample/_search', { query: { match_all: {} }, size: 3 })
    expect(all.body.hits.total).toEqual({ value: 30, relation: 'eq' })
    expect(all.body.hits.hits.map((h: { _score: number }) => h._score)).toEqual([1, 1, 1])
    const ids = await call('POST', '/sample/_search', { query: { ids: { values: ['s05', 's07', 'zz'] } } })
    expect(ids.body.hits.hits.map((h: { _id: string }) => h._id)).toEqual(['s05', 's07'])
    const terms = await call('POST', '/sample/_count', { query: { terms: { 'meta.n': [1, 2, 3] } } })
    expect(terms.body.count).toBe(3)
    const term = await call('POST', '/sample/_count', { query: { term: { tag: { value: 'even' } } } })
    expect(term.body.count).toBe(15)
  })

  it('supports size/from paging, _source filtering and URI search', async () => {
    const { call } = await sampleApp()
    const first = (await call('POST', '/sample/_search', { query: { match: { text: 'index' } }, size: 4 })).body.hits.hits
    const page = (await call('POST', '/sample/_search', { query: { match: { text: 'index' } }, size: 2, from: 2, _source: { includes: ['title', 'meta.*'] } })).body.hits.hits
    expect(page.map((h: { _id: string }) => h._id)).toEqual(first.slice(2).map((h: { _id: string }) => h._id))
    expect(Object.keys(page[0]._source).sort()).toEqual(['meta', 'title'])
    const noSource = (await call('POST', '/sample/_search', { query: { match: { text: 'index' } }, _source: false })).body.hits.hits[0]
    expect(noSource._source).toBeUndefined()
    const uri = (await call('GET', '/sample/_search?q=index&size=4')).body.hits.hits
    expect(uri.map((h: { _id: string }) => h._id)).toEqual(first.map((h: { _id: string }) => h._id))
  })

  it('track_total_hits: exact by default up to the cap, then "gte"', async () => {
    const { call } = await sampleApp()
    const capped = await call('POST', '/sample/_search', { query: { match_all: {} }, track_total_hits: 10, size: 0 })
    expect(capped.body.hits.total).toEqual({ value: 10, relation: 'gte' })
    expect(capped.body.hits.hits).toEqual([])
    const off = await call('POST', '/sample/_search', { query: { match_all: {} }, track_total_hits: false })
    expect(off.body.hits.total).toBeUndefined()
  })

  it('searches several indexes at once', async () => {
    const { call } = await sampleApp()
    await call('PUT', '/other', {})
    await call('PUT', '/other/_doc/o1', { title: 'Roaring', text: 'roaring roaring bitmaps bitmaps' })
    const both = await call('POST', '/sample,other/_search', { query: { match: { text: 'roaring' } } })
    expect(new Set(both.body.hits.hits.map((h: { _index: string }) => h._index))).toEqual(new Set(['sample', 'other']))
    const all = await call('GET', '/_search?q=roaring')
    expect(all.body.hits.total.value).toBe(both.body.hits.total.value)
  })

  it('explains a score as a sum of per-term query weight x document weight', async () => {
    const { call } = await sampleApp()
    const search = (await call('POST', '/sample/_search', { query: { match: { text: 'stop words list' } }, explain: true, size: 1 })).body.hits.hits[0]
    const explain = await call('POST', `/sample/_explain/${search._id}`, { query: { match: { text: 'stop words list' } } })
    expect(explain.body).toMatchObject({ matched: true, explanation: { value: search._score } })
    expect(search._explanation).toEqual(explain.body.explanation)
    const children = explain.body.explanation.details
    expect(children.length).toBeGreaterThan(1)
    expect(children.reduce((s: number, d: { value: number }) => s + d.value, 0)).toBeCloseTo(search._score, 12)
    for (const child of children) {
      const [weight, idf, tfPart] = child.details.map((d: { value: number }) => d.value)
      expect(child.value).toBeCloseTo(weight * idf * tfPart, 12)
    }
  })

  it('highlights the words that matched: the same word under the standard analyzer, every word of the stem under the bm25 encoder', async () => {
    const highlighted = async (call: Awaited<ReturnType<typeof sampleApp>>['call'], query: string) => {
      const { hits } = (await call('POST', '/sample/_search', { query: { match: { text: query } }, highlight: { fields: { text: {} } }, size: 30 })).body.hits
      return new Map<string, string[]>(hits.map((hit: { _id: string; highlight: { text: string[] } }) => [hit._id, hit.highlight.text.join(' ').match(/<em>[^<]*<\/em>/g)]))
    }
    // Only s09 has "running": "... so that running, runs and run share one index term."
    const standard = await sampleApp()
    expect(await highlighted(standard.call, 'running')).toEqual(new Map([['s09', ['<em>running</em>']]]))
    expect(await highlighted(standard.call, 'stemmers')).toEqual(new Map())
    const stemmed = await sampleApp({}, BM25_ENCODER)
    const runs = await highlighted(stemmed.call, 'running')
    const withStem = readFileSync(join(ROOT, 'sample/corpus.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((doc) => /\brun(s|ning)?\b/i.test(doc.text))
    expect([...runs.keys()].sort()).toEqual(withStem.map((doc) => doc._id).sort())
    expect(runs.get('s09')).toEqual(['<em>running</em>', '<em>runs</em>', '<em>run</em>'])
    expect(await highlighted(stemmed.call, 'stemmers')).toEqual(new Map([['s09', ['<em>stemmer</em>', '<em>stemmer</em>']]]))
  })
})

describe('errors', () => {
  const unchanged = async (call: Awaited<ReturnType<typeof sampleApp>>['call']) =>
    [(await call('GET', '/sample/_count')).body.count, (await call('POST', '/sample/_search', { query: { match: { text: 'index' } } })).body.hits.hits]

  it('malformed JSON, unknown query types and unsupported options are 400s with a reason; data unchanged', async () => {
    const { call } = await sampleApp()
    const before = await unchanged(call)
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/sample/_search', '{"query": {', /not valid JSON/],
      ['POST', '/sample/_search', { query: { fuzzy: { text: 'x' } } }, /query type \[fuzzy\] is not supported/],
      ['POST', '/sample/_search', { query: { match_bool_prefix: { text: 'posting li' } } }, /query type \[match_bool_prefix\] is not supported/],
      // An endpoint lsr lacks is named, not read as an index name nor answered with an index's methods.
      ['GET', '/_snapshot', undefined, /no handler found for uri \[\/_snapshot\] and method \[GET\]: lsr has no \[_snapshot\] endpoint/],
      ['POST', '/_tasks', undefined, /lsr has no \[_tasks\] endpoint/],
      ['POST', '/_nodes/stats', undefined, /lsr has no \[_nodes\] endpoint/],
      ['POST', '/sample/_search', { query: { match: { text: 'x' } }, aggs: { a: { nope: {} } } }, /Unknown aggregation type \[nope\]/],
      ['POST', '/sample/_search', { query: { match: { text: { query: 'x', fuzziness: 'AUTO' } } } }, /\[match\] query does not support \[fuzziness\]/],
      ['POST', '/sample/_search', { query: { match: { text: { query: 'x', minimum_should_match: 'most' } } } }, /minimum_should_match \[most\] is not supported/],
      ['POST', '/sample/_search', { size: -1 }, /\[size\] must be a non-negative integer/],
      ['POST', '/sample/_search', { from: 9995, size: 10 }, /Result window is too large/],
      ['POST', '/sample/_search', { sort: [{ title: 'asc' }] }, /Text fields are not optimised for operations that require per-document field data/],
      ['POST', '/sample/_search', { sort: [{ nope: 'asc' }] }, /No mapping found for \[nope\] in order to sort on/],
      ['PUT', '/sample/_doc/x', '[1,2]', /must be a JSON object/],
    ]
    for (const [method, path, body, reason] of cases) {
      const response = await call(method, path, body)
      expect(response.status, String(reason)).toBe(400)
      expect(response.body.error.reason).toMatch(reason)
      expect(response.body.status).toBe(400)
    }
    expect(await unchanged(call)).toEqual(before)
  })

  it('404 for missing indexes and unknown paths, 405 for wrong methods', async () => {
    const { call } = await testApp()
    expect((await call('POST', '/nope/_search', {})).body).toMatchObject({ status: 404, error: { type: 'index_not_found_exception', reason: 'no such index [nope]' } })
    expect((await call('GET', '/a/b/c/d')).status).toBe(404)
    const wrong = await call('PATCH', '/_search')
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toMatch(/POST/)
  })

  it('413 for a body over the limit, index unchanged', async () => {
    const { call } = await sampleApp({ maxBodyBytes: 1000 })
    const before = await unchanged(call)
    const big = `${JSON.stringify({ index: { _id: 'big' } })}\n${JSON.stringify({ text: 'x'.repeat(2000) })}\n`
    const response = await call('POST', '/sample/_bulk', big)
    expect(response.status).toBe(413)
    expect(response.body.error.type).toBe('content_too_long_exception')
    expect(await unchanged(call)).toEqual(before)
  })
})

describe('security', () => {
  it('requires the API key when one is set (ApiKey or Bearer)', async () => {
    const { call } = await sampleApp({ apiKey: 's3cret' })
    const missing = await call('POST', '/sample/_search', {})
    expect(missing.status).toBe(401)
    expect(missing.body.error).toMatchObject({ type: 'security_exception', reason: expect.stringMatching(/missing authentication/) })
    expect((await call('POST', '/sample/_search', {}, { authorization: 'ApiKey wrong' })).status).toBe(401)
    expect((await call('POST', '/sample/_search', {}, { authorization: 'ApiKey s3cret' })).status).toBe(200)
    expect((await call('POST', '/sample/_search', {}, { authorization: 'Bearer s3cret' })).status).toBe(200)
    expect((await call('PUT', '/sample/_doc/x', { text: 'x' })).status).toBe(401)
  })

  it('with read-only anonymous access, clients without a key can search but not write', async () => {
    const { call } = await sampleApp({ apiKey: 's3cret', readOnlyAnonymous: true })
    expect((await call('POST', '/sample/_search', { query: { match_all: {} } })).status).toBe(200)
    expect((await call('GET', '/sample/_doc/s01')).status).toBe(200)
    expect((await call('PUT', '/sample/_doc/x', { text: 'x' })).status).toBe(401)
    expect((await call('POST', '/sample/_bulk', '{"delete":{"_id":"s01"}}\n')).status).toBe(401)
    expect((await call('DELETE', '/sample')).status).toBe(401)
    expect((await call('GET', '/sample/_count', undefined, { authorization: 'ApiKey s3cret' })).body.count).toBe(30)
  })

  it('has CORS off unless configured', async () => {
    const off = await testApp()
    expect((await off.call('GET', '/', undefined, { origin: 'http://example.com' })).headers.get('access-control-allow-origin')).toBeNull()
    const on = await testApp({ corsOrigin: 'http://example.com' })
    expect((await on.call('GET', '/', undefined, { origin: 'http://example.com' })).headers.get('access-control-allow-origin')).toBe('http://example.com')
  })
})
