import { describe, expect, it } from 'vitest'
import { portServer, send, testApp } from './helpers.js'

/** An app with index `books` holding three small documents (and `empty`, an index without any). */
async function booksApp() {
  const app = await testApp()
  await app.call('PUT', '/books', { mappings: { properties: { title: { type: 'text' }, genre: { type: 'keyword' }, year: { type: 'integer' } } } })
  await app.call('PUT', '/empty', {})
  await app.call('PUT', '/books/_doc/1', { title: 'Dune', genre: 'sf', year: 1965, meta: { pages: 412, isbn: 'x1' } })
  await app.call('PUT', '/books/_doc/2', { title: 'Emma', genre: 'novel', year: 1815, meta: { pages: 474, isbn: 'x2' } })
  await app.call('PUT', '/books/_doc/3', { title: 'Solaris', genre: 'sf', year: 1961, meta: { pages: 204, isbn: 'x3' } })
  return app
}

const DUNE = { title: 'Dune', genre: 'sf', year: 1965, meta: { pages: 412, isbn: 'x1' } }
const EMMA = { title: 'Emma', genre: 'novel', year: 1815, meta: { pages: 474, isbn: 'x2' } }
const found = (id: string, source: unknown, index = 'books') => ({ _index: index, _id: id, _version: 1, found: true, _source: source })
const missing = (id: string, index = 'books') => ({ _index: index, _id: id, found: false })

describe('_mget', () => {
  it('answers docs (per-document _index and _source: bool, pattern, list, includes/excludes) in order, missing ones found: false', async () => {
    const { call } = await booksApp()
    const response = await call('POST', '/_mget', {
      docs: [
        { _index: 'books', _id: '1' },
        { _index: 'books', _id: '2', _source: false },
        { _index: 'books', _id: '3', _source: 'title' },
        { _index: 'books', _id: '1', _source: ['title', 'meta.pages'] },
        { _index: 'books', _id: '2', _source: { includes: ['meta.*'], excludes: ['meta.isbn'] } },
        { _index: 'books', _id: '9' },
        { _index: 'empty', _id: '1' },
      ],
    })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      docs: [
        found('1', DUNE),
        { _index: 'books', _id: '2', _version: 1, found: true },
        found('3', { title: 'Solaris' }),
        found('1', { title: 'Dune', meta: { pages: 412 } }),
        found('2', { meta: { pages: 474 } }),
        missing('9'),
        missing('1', 'empty'),
      ],
    })
  })

  it('takes ids with the index of the path, numbers as their text, and the URL _source parameters as the default', async () => {
    const { call } = await booksApp()
    expect((await call('POST', '/books/_mget', { ids: ['2', 1, '7'] })).body).toEqual({ docs: [found('2', EMMA), found('1', DUNE), missing('7')] })
    expect((await call('POST', '/books/_mget?_source_includes=title,year&_source_excludes=year', { ids: ['1'] })).body).toEqual({ docs: [found('1', { title: 'Dune' })] })
    expect((await call('POST', '/books/_mget?_source=genre', { docs: [{ _id: '1' }, { _id: '2', _source: 'year' }] })).body).toEqual({
      docs: [found('1', { genre: 'sf' }), found('2', { year: 1815 })],
    })
    expect((await call('POST', '/books/_mget?_source=false', { ids: ['1'] })).body).toEqual({ docs: [{ _index: 'books', _id: '1', _version: 1, found: true }] })
    // The path's index is the default of docs that name none.
    expect((await call('POST', '/books/_mget', { docs: [{ _id: '3', _source: false }, { _index: 'empty', _id: '3' }] })).body).toEqual({
      docs: [{ _index: 'books', _id: '3', _version: 1, found: true }, missing('3', 'empty')],
    })
  })

  it('answers a missing or invalid index in the documents of that index, as Elasticsearch does; the others are read', async () => {
    const { call } = await booksApp()
    const response = await call('POST', '/_mget', { docs: [{ _index: 'nope', _id: '1' }, { _index: 'books', _id: '1', _source: 'title' }, { _index: 'Bad', _id: '2' }] })
    expect(response.status).toBe(200)
    expect(response.body.docs).toEqual([
      { _index: 'nope', _id: '1', error: { root_cause: [{ type: 'index_not_found_exception', reason: 'no such index [nope]' }], type: 'index_not_found_exception', reason: 'no such index [nope]' } },
      found('1', { title: 'Dune' }),
      { _index: 'Bad', _id: '2', error: expect.objectContaining({ type: 'invalid_index_name_exception', reason: 'Invalid index name [Bad], must be lowercase' }) },
    ])
    // An index in the path that does not exist: every document says so.
    expect((await call('POST', '/nope/_mget', { ids: ['1'] })).body.docs[0].error.type).toBe('index_not_found_exception')
  })

  it('refuses malformed requests with a 400 naming what is wrong, and reads nothing', async () => {
    const { call } = await booksApp()
    const cases: Array<[string, unknown, string, string]> = [
      ['/_mget', { ids: ['1'] }, 'action_request_validation_exception', 'Validation Failed: 1: index is missing for doc 0;'],
      ['/_mget', { docs: [{ _id: '1' }] }, 'action_request_validation_exception', 'Validation Failed: 1: index is missing for doc 0;'],
      ['/books/_mget', {}, 'action_request_validation_exception', 'Validation Failed: 1: no documents to get;'],
      ['/books/_mget', { ids: [] }, 'action_request_validation_exception', 'Validation Failed: 1: no documents to get;'],
      ['/books/_mget', { docs: [{ _index: 'books' }] }, 'action_request_validation_exception', 'Validation Failed: 1: id is missing for doc 0;'],
      ['/books/_mget', { ids: ['1', null] }, 'action_request_validation_exception', 'Validation Failed: 1: id is missing for doc 1;'],
      ['/books/_mget', { ids: [{ id: 1 }] }, 'illegal_argument_exception', 'ids array element should only contain ids'],
      ['/books/_mget', { ids: [['1']] }, 'illegal_argument_exception', 'ids array element should only contain ids'],
      ['/books/_mget', { ids: [''] }, 'action_request_validation_exception', 'Validation Failed: 1: if _id is specified it must not be empty;'],
      ['/books/_mget', { docs: [{ _id: { a: 1 } }] }, 'action_request_validation_exception', 'Validation Failed: 1: _id must be a string, got object;'],
      ['/books/_mget', { docs: ['1'] }, 'parse_exception', 'docs array element should include an object'],
      ['/books/_mget', { docs: [{ _id: '1', stored_fields: ['title'] }] }, 'parse_exception', 'failed to parse multi get request. unknown field [stored_fields] (lsr takes _index, _id, _source, routing, _routing)'],
      ['/books/_mget', { docs: [{ _id: '1', version: 2 }] }, 'parse_exception', 'failed to parse multi get request. unknown field [version] (lsr takes _index, _id, _source, routing, _routing)'],
      ['/books/_mget', { docs: [{ _id: '1', _index: 3 }] }, 'parse_exception', '[_index] of doc 0 must be a string'],
      ['/books/_mget', { ids: '1' }, 'parse_exception', 'unknown key [ids] for a multi get request (it must be an array), expected [docs] or [ids]'],
      ['/books/_mget', { query: {} }, 'parse_exception', 'unknown key [query] for a multi get request, expected [docs] or [ids]'],
      ['/books/_mget', { docs: [{ _id: '1', _source: { include: ['a'], fields: 1 } }] }, 'parsing_exception', '[_source.fields] is not supported (only includes and excludes)'],
      ['/books/_mget?stored_fields=title', { ids: ['1'] }, 'illegal_argument_exception', 'request [/books/_mget] contains unrecognized parameter: [stored_fields]'],
      ['/books/_mget?realtime=maybe', { ids: ['1'] }, 'illegal_argument_exception', '[realtime] must be true or false, got [maybe]'],
      ['/Books/_mget', { ids: ['1'] }, 'invalid_index_name_exception', 'Invalid index name [Books], must be lowercase'],
    ]
    for (const [path, body, type, reason] of cases) {
      const response = await call('POST', path, body)
      expect({ path, body, status: response.status, error: response.body.error && { type: response.body.error.type, reason: response.body.error.reason } }).toEqual({ path, body, status: 400, error: { type, reason } })
    }
    expect((await call('POST', '/books/_mget', '')).status).toBe(400)
  })

  it('is no longer taken for an index name: POST /_mget answers, other methods are a 405 naming GET and POST', async () => {
    const { call } = await booksApp()
    expect((await call('POST', '/_mget', { docs: [{ _index: 'books', _id: '2', _source: 'title' }] })).body).toEqual({ docs: [found('2', { title: 'Emma' })] })
    for (const method of ['PUT', 'DELETE']) {
      const response = await call(method, '/_mget', {})
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('GET, POST')
      expect(response.body.error).toMatchObject({ type: 'method_not_allowed', reason: `${method} is not allowed on /_mget (allowed: GET, POST)` })
    }
    expect((await call('GET', '/books')).status).toBe(200)
  })

  it('reads 10,000 ids (of which 2,000 exist) in one pass per index: bounded, no stall', async () => {
    const { call } = await testApp()
    await call('PUT', '/many', {})
    const lines = Array.from({ length: 2000 }, (_, i) => `{"index":{"_id":"d${i}"}}\n{"n":${i}}`).join('\n') + '\n'
    expect((await call('POST', '/many/_bulk', lines, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false)
    const ids = Array.from({ length: 10_000 }, (_, i) => `d${(i * 7919) % 10_000}`)
    const started = performance.now()
    const response = await call('POST', '/many/_mget?_source=n', { ids })
    const elapsed = performance.now() - started
    expect(response.status).toBe(200)
    expect(response.body.docs).toHaveLength(10_000)
    response.body.docs.forEach((doc: { _id: string; found: boolean; _source?: { n: number } }, i: number) => {
      expect(doc._id).toBe(ids[i])
      const n = Number(ids[i].slice(1))
      expect(doc.found).toBe(n < 2000)
      if (n < 2000) expect(doc._source).toEqual({ n })
    })
    expect(elapsed).toBeLessThan(5000)
  })

  it('reads a GET body over the network (clients send GET /_mget with a body)', async () => {
    const { url, close } = await portServer()
    try {
      await send(`${url}/g`, 'PUT', {})
      await send(`${url}/g/_doc/a?refresh=true`, 'PUT', { x: 1 })
      expect((await send(`${url}/_mget`, 'GET', { docs: [{ _index: 'g', _id: 'a' }] })).body).toEqual({ docs: [found('a', { x: 1 }, 'g')] })
      expect((await send(`${url}/g/_mget`, 'GET', { ids: ['a', 'b'] })).body).toEqual({ docs: [found('a', { x: 1 }, 'g'), missing('b', 'g')] })
    } finally {
      await close()
    }
  })
})

describe('get source and source filtering on get', () => {
  it('GET /{index}/_source/{id} answers the source alone, filtered by _source_includes / _source_excludes / _source', async () => {
    const { call } = await booksApp()
    expect(await call('GET', '/books/_source/1')).toMatchObject({ status: 200, body: DUNE })
    expect((await call('GET', '/books/_source/1?_source_includes=meta.*')).body).toEqual({ meta: { pages: 412, isbn: 'x1' } })
    expect((await call('GET', '/books/_source/1?_source_excludes=meta,year')).body).toEqual({ title: 'Dune', genre: 'sf' })
    expect((await call('GET', '/books/_source/1?_source=title,meta&_source_excludes=meta.isbn')).body).toEqual({ title: 'Dune', meta: { pages: 412 } })
    expect((await call('GET', '/books/_source/1?_source_includes=nothing')).body).toEqual({})
    const absent = await call('GET', '/books/_source/9')
    expect(absent).toMatchObject({ status: 404, body: { error: { type: 'resource_not_found_exception', reason: 'Document not found [books]/[9]' }, status: 404 } })
    expect((await call('GET', '/nope/_source/1')).body.error.type).toBe('index_not_found_exception')
    const disabled = await call('GET', '/books/_source/1?_source=false')
    expect(disabled).toMatchObject({ status: 400, body: { error: { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: fetching source can not be disabled;' } } })
    expect((await call('GET', '/books/_source/1?stored_fields=a')).status).toBe(400)
  })

  it('HEAD /{index}/_source/{id} answers 200 or 404 without a body', async () => {
    const { call } = await booksApp()
    expect(await call('HEAD', '/books/_source/2')).toMatchObject({ status: 200, body: undefined })
    expect(await call('HEAD', '/books/_source/22')).toMatchObject({ status: 404, body: undefined })
  })

  it('GET /{index}/_doc/{id} takes _source, _source_includes and _source_excludes together, as Elasticsearch combines them', async () => {
    const { call } = await booksApp()
    const get = async (query: string) => (await call('GET', `/books/_doc/1?${query}`)).body
    expect(await get('_source_includes=title,meta.pages')).toEqual(found('1', { title: 'Dune', meta: { pages: 412 } }))
    expect(await get('_source_excludes=meta')).toEqual(found('1', { title: 'Dune', genre: 'sf', year: 1965 }))
    expect(await get('_source=meta&_source_excludes=meta.pages')).toEqual(found('1', { meta: { isbn: 'x1' } }))
    // _source_includes replaces the includes of _source; _source=false wins over both.
    expect(await get('_source=title&_source_includes=year')).toEqual(found('1', { year: 1965 }))
    expect(await get('_source=false&_source_includes=year')).toEqual({ _index: 'books', _id: '1', _version: 1, found: true })
    expect(await get('_source=true&_source_excludes=meta,title,genre')).toEqual(found('1', { year: 1965 }))
    expect(await get('refresh=true&realtime=false')).toEqual(found('1', DUNE))
  })
})

