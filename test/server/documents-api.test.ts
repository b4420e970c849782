import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { IngestPipeline } from '../../src/engine/pipelines/ingest-pipeline.js'
import { sourceDocument } from '../../src/server/bulk.js'
import { updateByQuery } from '../../src/server/by-query.js'
import type { Json } from '../../src/server/json.js'
import type { IngestInput } from '../../src/server/pipelines.js'
import { applyUpdate, parseUpdate } from '../../src/server/update.js'
import { ROOT } from '../helpers.js'
import { portServer, sampleBulk, send, testApp } from './helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const models = new ModelRegistry(MODELS, { threads: 1 })
const ENCODE = { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'embedding' } } }] }
/** The embedding the ENCODE pipeline gives a text, computed by the engine directly. */
const embeddingOf = async (text: string) => (await (await IngestPipeline.create(ENCODE, models)).run([{ text }], models))[0].source!.embedding

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
/** A document as a get answers it; the books' ids 1-3 were written first to last (sequence numbers 0-2). */
const found = (id: string, source: unknown, index = 'books', seqNo = Number(id) - 1) => ({ _index: index, _id: id, _version: 1, _seq_no: seqNo, _primary_term: 1, found: true, _source: source })
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
        { _index: 'books', _id: '2', _version: 1, _seq_no: 1, _primary_term: 1, found: true },
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
    expect((await call('POST', '/books/_mget?_source=false', { ids: ['1'] })).body).toEqual({ docs: [{ _index: 'books', _id: '1', _version: 1, _seq_no: 0, _primary_term: 1, found: true }] })
    // The path's index is the default of docs that name none.
    expect((await call('POST', '/books/_mget', { docs: [{ _id: '3', _source: false }, { _index: 'empty', _id: '3' }] })).body).toEqual({
      docs: [{ _index: 'books', _id: '3', _version: 1, _seq_no: 2, _primary_term: 1, found: true }, missing('3', 'empty')],
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
      ['/books/_mget', { docs: [{ _id: '1', stored_fields: ['title'] }] }, 'parse_exception', 'failed to parse multi get request. unknown field [stored_fields] (lsr takes _index, _id, _source, version, version_type, routing, _routing)'],
      ['/books/_mget', { docs: [{ _id: '1', version: 'two' }] }, 'illegal_argument_exception', 'Failed to parse long parameter [version] with value [two]'],
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
      expect((await send(`${url}/_mget`, 'GET', { docs: [{ _index: 'g', _id: 'a' }] })).body).toEqual({ docs: [found('a', { x: 1 }, 'g', 0)] })
      expect((await send(`${url}/g/_mget`, 'GET', { ids: ['a', 'b'] })).body).toEqual({ docs: [found('a', { x: 1 }, 'g', 0), missing('b', 'g')] })
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
    expect(await get('_source=false&_source_includes=year')).toEqual({ _index: 'books', _id: '1', _version: 1, _seq_no: 0, _primary_term: 1, found: true })
    expect(await get('_source=true&_source_excludes=meta,title,genre')).toEqual(found('1', { year: 1965 }))
    expect(await get('refresh=true&realtime=false')).toEqual(found('1', DUNE))
  })
})


describe('_update', () => {
  const WRITTEN = { total: 1, successful: 1, failed: 0 }
  const NONE = { total: 0, successful: 0, failed: 0 }
  /** Deleted documents whose postings remain: a write that replaces a document adds one. */
  const replaced = async (call: Awaited<ReturnType<typeof booksApp>>['call']) => Number((await call('GET', '/_cat/indices?format=json')).body.find((r: { index: string }) => r.index === 'books')['docs.deleted'])

  it('merges doc into the stored source (objects recursively; values and arrays replace) and answers as Elasticsearch', async () => {
    const { call } = await booksApp()
    const response = await call('POST', '/books/_update/1', { doc: { meta: { pages: 500, cover: 'hard' }, year: 1966, tags: ['a', 'b'], genre: null } })
    expect(response).toMatchObject({ status: 200, body: { _index: 'books', _id: '1', _version: 2, result: 'updated', _shards: WRITTEN } })
    expect(response.body).toEqual({ _index: 'books', _id: '1', _version: 2, result: 'updated', _shards: WRITTEN, _seq_no: 3, _primary_term: 1 })
    expect((await call('GET', '/books/_source/1')).body).toEqual({ title: 'Dune', genre: null, year: 1966, meta: { pages: 500, isbn: 'x1', cover: 'hard' }, tags: ['a', 'b'] })
    await call('POST', '/books/_update/1', { doc: { tags: ['c'] } })
    expect((await call('GET', '/books/_source/1?_source_includes=tags')).body).toEqual({ tags: ['c'] })
    // The merged document is indexed: searchable by its new values, not its old ones.
    expect((await call('POST', '/books/_count', { query: { term: { year: 1966 } } })).body.count).toBe(1)
    expect((await call('POST', '/books/_count', { query: { term: { year: 1965 } } })).body.count).toBe(0)
    expect((await call('POST', '/books/_count', { query: { term: { genre: 'sf' } } })).body.count).toBe(1)
  })

  it('detect_noop (default true): an update that changes nothing answers noop, with no shards written, and writes nothing; detect_noop: false answers updated', async () => {
    const { call } = await booksApp()
    const before = await replaced(call)
    const noop = await call('POST', '/books/_update/2', { doc: { title: 'Emma', meta: { pages: 474 } } })
    expect(noop).toMatchObject({ status: 200, body: { _index: 'books', _id: '2', _version: 1, result: 'noop', _shards: NONE, _seq_no: 1, _primary_term: 1 } })
    expect(await replaced(call)).toBe(before)
    expect((await call('POST', '/books/_update/2', { doc: {} })).body.result).toBe('noop')
    // Written although identical (it is left where it is), as a new version.
    expect((await call('POST', '/books/_update/2', { doc: { title: 'Emma' }, detect_noop: false })).body).toEqual({ _index: 'books', _id: '2', _version: 2, result: 'updated', _shards: WRITTEN, _seq_no: 3, _primary_term: 1 })
    expect((await call('GET', '/books/_source/2')).body).toEqual(EMMA)
    expect((await call('POST', '/books/_update/2', { doc: { title: 'Emma!' } })).body.result).toBe('updated')
    expect(await replaced(call)).toBe(before + 1)
  })

  it('a missing document is a 404 document_missing_exception; upsert creates it (201), doc_as_upsert creates it from doc', async () => {
    const { call } = await booksApp()
    const absent = await call('POST', '/books/_update/9', { doc: { title: 'X' } })
    expect(absent).toMatchObject({ status: 404, body: { error: { type: 'document_missing_exception', reason: '[9]: document missing' }, status: 404 } })
    expect((await call('GET', '/books/_doc/9')).status).toBe(404)
    const upserted = await call('POST', '/books/_update/9', { doc: { title: 'X' }, upsert: { title: 'Fresh', year: 2000 } })
    expect(upserted).toMatchObject({ status: 201, body: { _index: 'books', _id: '9', _version: 1, result: 'created', _shards: WRITTEN } })
    expect((await call('GET', '/books/_source/9')).body).toEqual({ title: 'Fresh', year: 2000 })
    // Once it exists, doc is merged and upsert is not used.
    expect((await call('POST', '/books/_update/9', { doc: { title: 'X' }, upsert: { title: 'Other' } })).body.result).toBe('updated')
    expect((await call('GET', '/books/_source/9')).body).toEqual({ title: 'X', year: 2000 })
    const asUpsert = await call('POST', '/books/_update/10', { doc: { title: 'Y' }, doc_as_upsert: true })
    expect(asUpsert).toMatchObject({ status: 201, body: { result: 'created' } })
    // doc_as_upsert makes doc the upsert, whatever upsert says (Elasticsearch's UpdateHelper).
    expect((await call('POST', '/books/_update/11', { doc: { title: 'Z' }, upsert: { title: 'U' }, doc_as_upsert: true })).status).toBe(201)
    expect((await call('POST', '/books/_mget', { ids: ['10', '11'] })).body.docs.map((d: { _source: unknown }) => d._source)).toEqual([{ title: 'Y' }, { title: 'Z' }])
  })

  it('_source in the body or the URL answers the updated source under get', async () => {
    const { call } = await booksApp()
    const full = await call('POST', '/books/_update/3', { doc: { year: 1962 }, _source: true })
    expect(full.body).toEqual({
      _index: 'books', _id: '3', _version: 2, result: 'updated', _shards: WRITTEN, _seq_no: 3, _primary_term: 1,
      get: { _seq_no: 3, _primary_term: 1, found: true, _source: { title: 'Solaris', genre: 'sf', year: 1962, meta: { pages: 204, isbn: 'x3' } } },
    })
    expect((await call('POST', '/books/_update/3', { doc: { year: 1963 }, _source: ['year', 'meta.pages'] })).body.get).toEqual({ _seq_no: 4, _primary_term: 1, found: true, _source: { year: 1963, meta: { pages: 204 } } })
    expect((await call('POST', '/books/_update/3', { doc: { year: 1964 }, _source: { excludes: ['meta'] } })).body.get._source).toEqual({ title: 'Solaris', genre: 'sf', year: 1964 })
    expect((await call('POST', '/books/_update/3?_source_includes=title', { doc: { year: 1965 } })).body.get).toEqual({ _seq_no: 6, _primary_term: 1, found: true, _source: { title: 'Solaris' } })
    expect((await call('POST', '/books/_update/3?_source=genre', { doc: { year: 1966 } })).body.get).toEqual({ _seq_no: 7, _primary_term: 1, found: true, _source: { genre: 'sf' } })
    // The body's _source wins over the URL's; false answers no get.
    expect((await call('POST', '/books/_update/3?_source=genre', { doc: { year: 1967 }, _source: false })).body.get).toBeUndefined()
    // A noop answers the current source; an upsert the created one.
    expect((await call('POST', '/books/_update/3', { doc: { year: 1967 }, _source: 'year' })).body).toMatchObject({ result: 'noop', get: { found: true, _source: { year: 1967 } } })
    expect((await call('POST', '/books/_update/5', { doc: { a: 1 }, doc_as_upsert: true, _source: true })).body).toMatchObject({ result: 'created', get: { found: true, _source: { a: 1 } } })
  })

  it('refuses scripts, unknown keys and malformed values with a 400 naming them; nothing is written', async () => {
    const { call } = await booksApp()
    const cases: Array<[string, unknown, string, string]> = [
      ['', { script: { source: 'ctx._source.year += 1' } }, 'illegal_argument_exception', '[script] is not supported: lsr runs no scripts (send the fields to change in [doc])'],
      ['', { doc: { a: 1 }, scripted_upsert: true }, 'illegal_argument_exception', '[scripted_upsert] is not supported: lsr runs no scripts (send the fields to change in [doc])'],
      ['', { doc: { a: 1 }, fields: ['a'] }, 'x_content_parse_exception', '[UpdateRequest] unknown field [fields] (lsr takes doc, upsert, doc_as_upsert, detect_noop, _source)'],
      ['', {}, 'action_request_validation_exception', 'Validation Failed: 1: script or doc is missing;'],
      ['', { upsert: { a: 1 } }, 'action_request_validation_exception', 'Validation Failed: 1: script or doc is missing;'],
      ['', { doc: [1] }, 'x_content_parse_exception', '[doc] must be an object'],
      ['', { doc: { a: 1 }, upsert: 'x' }, 'x_content_parse_exception', '[upsert] must be an object'],
      ['', { doc: { a: 1 }, detect_noop: 'no' }, 'x_content_parse_exception', '[detect_noop] must be true or false, got "no"'],
      ['', { doc: { a: 1 }, doc_as_upsert: 1 }, 'x_content_parse_exception', '[doc_as_upsert] must be true or false, got 1'],
      ['', { doc: { a: 1 }, _source: { includes: 1 } }, 'parsing_exception', '_source.includes must be a string or an array of strings'],
      ['', { doc: { _id: '2' } }, 'mapper_parsing_exception', 'Field [_id] is a metadata field and cannot be added inside a document. Use the index API request parameters.'],
      ['', { doc: { year: 'not a year' } }, 'mapper_parsing_exception', expect.stringContaining('[year]') as unknown as string],
      ['?retry_on_conflict=x', { doc: { a: 1 } }, 'illegal_argument_exception', '[retry_on_conflict] must be a non-negative integer, got [x]'],
      ['?if_seq_no=1', { doc: { a: 1 } }, 'action_request_validation_exception', 'Validation Failed: 1: ifSeqNo is set, but primary term is [0];'],
      ['?version=2', { doc: { a: 1 } }, 'action_request_validation_exception', 'Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead;'],
      ['?refresh=soon', { doc: { a: 1 } }, 'illegal_argument_exception', '[refresh] must be true, false or wait_for, got [soon]'],
    ]
    for (const [query, body, type, reason] of cases) {
      const response = await call('POST', `/books/_update/1${query}`, body)
      expect({ query, body, status: response.status, error: { type: response.body.error?.type, reason: response.body.error?.reason } }).toEqual({ query, body, status: 400, error: { type, reason } })
    }
    expect((await call('GET', '/books/_source/1')).body).toEqual(DUNE)
    expect((await call('POST', '/books/_update/1?retry_on_conflict=3&refresh=wait_for&timeout=1m', { doc: { a: 1 } })).body.result).toBe('updated')
    expect((await call('POST', '/nope/_update/1', { doc: { a: 1 } })).body.error.type).toBe('index_not_found_exception')
    expect((await call('POST', `/books/_update/${'x'.repeat(513)}`, { doc: { a: 1 } })).body.error.type).toBe('action_request_validation_exception')
    expect((await call('GET', '/books/_update/1')).status).toBe(405)
  })

  it('20 concurrent updates of one document, each adding its own key, lose nothing', async () => {
    const { call } = await booksApp()
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call('POST', '/books/_update/1', { doc: { tags: { [`k_${i}`]: true } } })))
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
    const { tags, ...rest } = (await call('GET', '/books/_source/1')).body
    expect(rest).toEqual(DUNE)
    expect(Object.keys(tags).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k_${i}`).sort())
  })

  it('runs the index\'s default and final pipelines on the new source, as a _doc write does; 20 concurrent updates through them lose nothing', async () => {
    const { call } = await testApp()
    await call('PUT', '/_ingest/pipeline/copy', { processors: [{ set: { field: 'title_copy', value: '{{{title}}}' } }] })
    await call('PUT', '/_ingest/pipeline/stamp', { processors: [{ set: { field: 'final', value: 'yes' } }] })
    await call('PUT', '/piped', { settings: { index: { default_pipeline: 'copy', final_pipeline: 'stamp' } } })
    await call('PUT', '/piped/_doc/1', { title: 'old' })
    expect((await call('GET', '/piped/_source/1')).body).toEqual({ title: 'old', title_copy: 'old', final: 'yes' })
    const updated = await call('POST', '/piped/_update/1', { doc: { title: 'new' }, _source: true })
    expect(updated.body).toMatchObject({ result: 'updated', get: { _source: { title: 'new', title_copy: 'new', final: 'yes' } } })
    expect((await call('GET', '/piped/_source/1')).body).toEqual({ title: 'new', title_copy: 'new', final: 'yes' })
    // A doc that changes nothing is a noop before any pipeline runs.
    expect((await call('POST', '/piped/_update/1', { doc: { title: 'new' } })).body.result).toBe('noop')
    // An upsert runs them too.
    expect((await call('POST', '/piped/_update/2', { doc: { title: 'two' }, doc_as_upsert: true })).status).toBe(201)
    expect((await call('GET', '/piped/_source/2')).body).toEqual({ title: 'two', title_copy: 'two', final: 'yes' })
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call('POST', '/piped/_update/1', { doc: { tags: { [`k_${i}`]: true } } })))
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
    const { tags, ...rest } = (await call('GET', '/piped/_source/1')).body
    expect(rest).toEqual({ title: 'new', title_copy: 'new', final: 'yes' })
    expect(Object.keys(tags)).toHaveLength(20)
    // A default pipeline that does not exist fails the update, and nothing is written.
    await call('PUT', '/orphan', { settings: { index: { default_pipeline: 'later' } } })
    await call('PUT', '/orphan/_doc/1?pipeline=_none', { n: 1 })
    expect((await call('POST', '/orphan/_update/1', { doc: { n: 2 } })).body.error.reason).toBe('pipeline with id [later] does not exist')
    expect((await call('GET', '/orphan/_source/1')).body).toEqual({ n: 1 })
  })

  it('re-encodes a learned-sparse field from the merged text (sparse_encoding as the default pipeline)', async () => {
    const { call } = await testApp({ modelsDir: MODELS, models })
    await call('PUT', '/_ingest/pipeline/encode', ENCODE)
    await call('PUT', '/sparse', { settings: { index: { default_pipeline: 'encode' } }, mappings: { properties: { text: { type: 'text' }, embedding: { type: 'rank_features' } } } })
    await call('PUT', '/sparse/_doc/1', { text: 'an inverted index', lang: 'en' })
    const updated = await call('POST', '/sparse/_update/1', { doc: { text: 'roaring bitmaps' } })
    expect(updated.body.result).toBe('updated')
    const source = (await call('GET', '/sparse/_source/1')).body
    expect(source).toEqual({ text: 'roaring bitmaps', lang: 'en', embedding: await embeddingOf('roaring bitmaps') })
    const hits = (await call('POST', '/sparse/_search', { query: { neural_sparse: { embedding: { query_tokens: source.embedding } } } })).body.hits
    expect(hits.total.value).toBe(1)
  })

  it('a pipeline-run update reads again when another writer changed the document while its pipelines ran', async () => {
    const { call, registry } = await booksApp()
    const index = await registry.get('books')
    let runs = 0
    const ingest = async (source: Json) => {
      // The first run: another write lands meanwhile (as a _bulk index of the same id would).
      if (runs++ === 0) await index.add([sourceDocument('1', { ...DUNE, other: 'writer' })])
      return { ...source, piped: runs }
    }
    const update = parseUpdate({ doc: { mine: true } })
    expect(await applyUpdate(index, '1', update, ingest)).toMatchObject({ result: 'updated' })
    expect(runs).toBe(2)
    expect((await call('GET', '/books/_source/1')).body).toEqual({ ...DUNE, other: 'writer', mine: true, piped: 2 })
  })
})

describe('_bulk update actions take the update API\'s body', () => {
  it('doc, upsert, doc_as_upsert, detect_noop and _source per action; scripts are the item\'s 400; retry_on_conflict is accepted', async () => {
    const { call } = await booksApp()
    const lines = [
      { update: { _id: '1' } }, { doc: { title: 'Dune' } },
      { update: { _id: '1', retry_on_conflict: 2 } }, { doc: { year: 1970 }, _source: ['year'] },
      { update: { _id: '8' } }, { doc: { title: 'x' }, upsert: { title: 'Eight' } },
      { update: { _id: '2' } }, { doc: { title: 'Emma' }, detect_noop: false },
      { update: { _id: '3' } }, { script: 'ctx._source.year++' },
      { update: { _id: '3', retry_on_conflict: -1 } }, { doc: { a: 1 } },
    ].map((line) => JSON.stringify(line)).join('\n') + '\n'
    const { body } = await call('POST', '/books/_bulk', lines, { 'content-type': 'application/x-ndjson' })
    expect(body.items).toEqual([
      { update: { _index: 'books', _id: '1', _version: 1, result: 'noop', _shards: { total: 0, successful: 0, failed: 0 }, _seq_no: 0, _primary_term: 1, status: 200 } },
      { update: { _index: 'books', _id: '1', _version: 2, result: 'updated', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 3, _primary_term: 1, get: { _seq_no: 3, _primary_term: 1, found: true, _source: { year: 1970 } }, status: 200 } },
      { update: { _index: 'books', _id: '8', _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 4, _primary_term: 1, status: 201 } },
      { update: { _index: 'books', _id: '2', _version: 2, result: 'updated', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 5, _primary_term: 1, status: 200 } },
      { update: { _index: 'books', _id: '3', status: 400, error: { type: 'illegal_argument_exception', reason: '[script] is not supported: lsr runs no scripts (send the fields to change in [doc])' } } },
      { update: { _index: 'books', _id: '3', status: 400, error: { type: 'action_request_validation_exception', reason: 'line [11]: [update] option [retry_on_conflict] must be a non-negative integer' } } },
    ])
    expect((await call('GET', '/books/_source/8')).body).toEqual({ title: 'Eight' })
  })

  it('runs the index\'s pipelines (and the request\'s ?pipeline=) over an update\'s new source', async () => {
    const { call } = await testApp()
    await call('PUT', '/_ingest/pipeline/copy', { processors: [{ set: { field: 'title_copy', value: '{{{title}}}' } }] })
    await call('PUT', '/_ingest/pipeline/other', { processors: [{ set: { field: 'by', value: 'other' } }] })
    await call('PUT', '/piped', { settings: { index: { default_pipeline: 'copy' } } })
    const ndjson = { 'content-type': 'application/x-ndjson' }
    await call('POST', '/piped/_bulk', '{"index":{"_id":"1"}}\n{"title":"a"}\n{"update":{"_id":"1"}}\n{"doc":{"title":"b"}}\n', ndjson)
    expect((await call('GET', '/piped/_source/1')).body).toEqual({ title: 'b', title_copy: 'b' })
    await call('POST', '/piped/_bulk?pipeline=other', '{"update":{"_id":"1"}}\n{"doc":{"title":"c"}}\n', ndjson)
    expect((await call('GET', '/piped/_source/1')).body).toEqual({ title: 'c', title_copy: 'b', by: 'other' })
  })
})

describe('_msearch', () => {
  const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n'
  const NDJSON = { 'content-type': 'application/x-ndjson' }
  /** A response without its timing, to compare with another. */
  const untimed = ({ took, ...rest }: { took: number }) => (expect(took).toBeTypeOf('number'), rest)

  it('answers each header/body pair as _search answers it, in order, with status 200; errors are per search', async () => {
    const { call } = await booksApp()
    const searches: Array<[unknown, Record<string, unknown>]> = [
      [{}, { query: { term: { genre: 'sf' } }, sort: [{ year: 'asc' }], _source: ['title'] }],
      [{ index: 'books' }, { query: { match: { title: 'emma' } }, size: 1, explain: true }],
      [{ index: ['books', 'empty'], search_type: 'query_then_fetch', preference: '_local' }, { track_total_hits: false, size: 0 }],
      [{ index: 'nope' }, {}],
      [{}, { query: { regexp: { title: 'a.*' } } }],
      [{ index: 'books' }, { collapse: { field: 'genre' } }],
    ]
    const response = await call('POST', '/books/_msearch', ndjson(searches.flat()), NDJSON)
    expect(response.status).toBe(200)
    expect(Object.keys(response.body)).toEqual(['took', 'responses'])
    const { responses } = response.body
    expect(responses).toHaveLength(6)
    for (const at of [0, 1, 2]) {
      const [head, body] = searches[at]
      const alone = await call('POST', `/${((head as { index?: string | string[] }).index ?? 'books').toString()}/_search`, body)
      const { status, ...answer } = responses[at]
      expect(status).toBe(200)
      expect(untimed(answer)).toEqual(untimed(alone.body))
    }
    expect(untimed(responses[0])).toEqual({
      timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, status: 200,
      hits: { total: { value: 2, relation: 'eq' }, max_score: null, hits: [
        { _index: 'books', _id: '3', _score: null, _source: { title: 'Solaris' }, sort: [1961] },
        { _index: 'books', _id: '1', _score: null, _source: { title: 'Dune' }, sort: [1965] },
      ] },
    })
    expect(responses[3]).toEqual({ error: { root_cause: [{ type: 'index_not_found_exception', reason: 'no such index [nope]' }], type: 'index_not_found_exception', reason: 'no such index [nope]' }, status: 404 })
    expect(responses[4]).toMatchObject({ error: { type: 'illegal_argument_exception', reason: expect.stringMatching(/query type \[regexp\] is not supported/) }, status: 400 })
    expect(responses[5]).toMatchObject({ error: { reason: 'search option [collapse] is not supported' }, status: 400 })
  })

  it('searches every index without a path or header index; takes blank headers, CRLF lines and a missing final newline', async () => {
    const { call } = await booksApp()
    const body = '{}\r\n{"query":{"ids":{"values":["2"]}}}\r\n\n{"query":{"term":{"genre":"sf"}},"size":0}'
    const { responses } = (await call('POST', '/_msearch', body, NDJSON)).body
    expect(responses.map((r: { hits: { total: { value: number } } }) => r.hits.total.value)).toEqual([1, 2])
    expect(responses[0].hits.hits[0]).toMatchObject({ _index: 'books', _id: '2' })
    // Blank lines after the last search are no search.
    expect((await call('POST', '/_msearch', '{}\n{}\n\n', NDJSON)).body.responses).toHaveLength(1)
  })

  it('rest_total_hits_as_int gives every search its total as a number; max_concurrent_searches bounds the searches at once, keeping the order', async () => {
    const { call } = await booksApp()
    const asInt = await call('POST', '/books/_msearch?rest_total_hits_as_int=true', ndjson([{}, { size: 0 }, {}, { query: { term: { genre: 'novel' } } }]), NDJSON)
    expect(asInt.body.responses.map((r: { hits: { total: number } }) => r.hits.total)).toEqual([3, 1])
    const many = Array.from({ length: 300 }, (_, i) => [{}, { query: { ids: { values: [String((i % 3) + 1)] } } }]).flat()
    const { responses } = (await call('POST', '/books/_msearch?max_concurrent_searches=3', ndjson(many), NDJSON)).body
    expect(responses.map((r: { hits: { hits: Array<{ _id: string }> } }) => r.hits.hits[0]._id)).toEqual(Array.from({ length: 300 }, (_, i) => String((i % 3) + 1)))
  })

  it('resolves each search\'s search pipeline as _search does: the body\'s, else the index default', async () => {
    const { call } = await testApp()
    const MIN_MAX = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } } } }] }
    await call('PUT', '/_search/pipeline/norm', MIN_MAX)
    const mappings = { properties: { text: { type: 'text' }, emb: { type: 'rank_features' } } }
    await call('PUT', '/fused', { settings: { index: { search: { default_pipeline: 'norm' } } }, mappings })
    await call('PUT', '/plain', { mappings })
    for (const index of ['fused', 'plain']) {
      await call('PUT', `/${index}/_doc/a`, { text: 'sparse retrieval', emb: { sparse: 1.5, search: 0.5 } })
      await call('PUT', `/${index}/_doc/b`, { text: 'sparse sparse models', emb: { model: 1 } })
    }
    const hybrid = { query: { hybrid: { queries: [{ match: { text: 'sparse' } }, { neural_sparse: { emb: { query_tokens: { sparse: 2, search: 1 } } } }] } } }
    const lines = ndjson([{ index: 'fused' }, hybrid, { index: 'plain' }, hybrid, { index: 'plain' }, { ...hybrid, search_pipeline: 'norm' }, { index: 'plain' }, { ...hybrid, search_pipeline: MIN_MAX }])
    const { responses } = (await call('POST', '/_msearch', lines, NDJSON)).body
    const alone = (await call('POST', '/fused/_search', hybrid)).body
    expect(untimed(responses[0])).toEqual({ ...untimed(alone), status: 200 })
    expect(responses[1]).toMatchObject({ status: 400, error: { reason: expect.stringMatching(/^a \[hybrid\] query needs a search pipeline/) } })
    for (const at of [2, 3]) expect(responses[at].hits.hits).toEqual(alone.hits.hits.map((hit: Record<string, unknown>) => ({ ...hit, _index: 'plain' })))
  })

  it('refuses malformed NDJSON, header keys it does not take and bad parameters as a whole 400 naming them: nothing is searched', async () => {
    const { call } = await booksApp()
    const cases: Array<[string, string, string, string]> = [
      ['', '{}\n{"query":\n', 'parsing_exception', 'msearch line [2] is not valid JSON'],
      ['', '{"index":\n{}\n', 'parsing_exception', 'msearch line [1] is not valid JSON'],
      ['', '[]\n{}\n', 'parsing_exception', 'msearch line [1]: a header must be a JSON object'],
      ['', '{}\n"match_all"\n', 'parsing_exception', 'msearch line [2]: a search body must be a JSON object'],
      ['', '{}\n\n', 'parsing_exception', 'msearch line [2]: a search body must be a JSON object'],
      ['', '{}\n{}\n{"index":"books"}\n', 'parsing_exception', 'msearch line [3]: the header has no search body after it (each search is a header line and a body line)'],
      ['', '{"ignore_unavailable":true}\n{}\n', 'illegal_argument_exception', 'msearch line [1]: key [ignore_unavailable] is not supported in the metadata section (lsr searches the indexes named, and 404s a missing one)'],
      ['', '{"search_pipeline":"x"}\n{}\n', 'illegal_argument_exception', 'msearch line [1]: key [search_pipeline] is not supported in the metadata section'],
      ['', '{"index":3}\n{}\n', 'illegal_argument_exception', 'msearch line [1]: [index] must be an index name or expression, or a non-empty array of them'],
      ['', '{"index":[]}\n{}\n', 'illegal_argument_exception', 'msearch line [1]: [index] must be an index name or expression, or a non-empty array of them'],
      ['', '', 'action_request_validation_exception', 'Validation Failed: 1: no requests added;'],
      ['', '\n', 'action_request_validation_exception', 'Validation Failed: 1: no requests added;'],
      ['', `{}\n${'['.repeat(1001)}${']'.repeat(1001)}\n`, 'parsing_exception', 'msearch line [2] is nested more than 1000 levels deep'],
      ['?max_concurrent_searches=0', '{}\n{}\n', 'illegal_argument_exception', '[max_concurrent_searches] must be a positive integer, got [0]'],
      ['?max_concurrent_searches=-2', '{}\n{}\n', 'illegal_argument_exception', '[max_concurrent_searches] must be a positive integer, got [-2]'],
      ['?search_pipeline=norm', '{}\n{}\n', 'illegal_argument_exception', 'request [/books/_msearch] contains unrecognized parameter: [search_pipeline]'],
      ['?scroll=1m', '{}\n{}\n', 'illegal_argument_exception', 'request [/books/_msearch] contains unrecognized parameter: [scroll]'],
    ]
    for (const [query, body, type, reason] of cases) {
      const response = await call('POST', `/books/_msearch${query}`, body, NDJSON)
      expect({ query, body: body.slice(0, 60), status: response.status, error: { type: response.body.error?.type, reason: response.body.error?.reason?.replace(/ is not valid JSON: .*/, ' is not valid JSON') } })
        .toEqual({ query, body: body.slice(0, 60), status: 400, error: { type, reason } })
    }
    for (const method of ['PUT', 'DELETE']) expect((await call(method, '/_msearch', '{}\n{}\n')).status).toBe(405)
  })

  it('reads a GET body over the network (the clients send GET /_msearch with a body)', async () => {
    const { url, close } = await portServer()
    try {
      await send(`${url}/g`, 'PUT', {})
      await send(`${url}/g/_doc/a`, 'PUT', { x: 1 })
      const { body } = await send(`${url}/_msearch`, 'GET', '{"index":"g"}\n{"query":{"match_all":{}}}\n', NDJSON)
      expect(body.responses[0]).toMatchObject({ status: 200, hits: { total: { value: 1 }, hits: [{ _id: 'a', _source: { x: 1 } }] } })
    } finally {
      await close()
    }
  })
})

/** Elasticsearch's BulkByScrollResponse with these counts. */
const byQuery = (counts: Record<string, number>, failures: unknown[] = []) => ({
  took: expect.any(Number), timed_out: false, total: 0, batches: 0, version_conflicts: 0, noops: 0,
  retries: { bulk: 0, search: 0 }, throttled_millis: 0, requests_per_second: -1, throttled_until_millis: 0, failures, ...counts,
})

describe('_delete_by_query', () => {
  it('deletes every live match in one atomic delete and answers Elasticsearch\'s shape', async () => {
    const { call } = await booksApp()
    const response = await call('POST', '/books/_delete_by_query', { query: { term: { genre: 'sf' } } })
    expect(response).toMatchObject({ status: 200 })
    expect(response.body).toEqual(byQuery({ total: 2, deleted: 2, batches: 1 }))
    expect(Object.keys(response.body)).toEqual(['took', 'timed_out', 'total', 'deleted', 'batches', 'version_conflicts', 'noops', 'retries', 'throttled_millis', 'requests_per_second', 'throttled_until_millis', 'failures'])
    expect((await call('POST', '/books/_mget?_source=false', { ids: ['1', '2', '3'] })).body.docs.map((d: { found: boolean }) => d.found)).toEqual([false, true, false])
    // Nothing matches: nothing to do, no batch.
    expect((await call('POST', '/books/_delete_by_query', { query: { term: { genre: 'sf' } } })).body).toEqual(byQuery({ deleted: 0 }))
  })

  it('takes q (with df, default_operator), max_docs (the first matches in index order, in the body or the URL), -1 for all, and no query as match_all', async () => {
    const { call } = await booksApp()
    expect((await call('POST', '/books/_delete_by_query?q=genre:sf&max_docs=1', {})).body).toEqual(byQuery({ total: 1, deleted: 1, batches: 1 }))
    expect((await call('GET', '/books/_doc/1')).status).toBe(404)
    expect((await call('GET', '/books/_doc/3')).status).toBe(200)
    expect((await call('POST', '/books/_delete_by_query?q=Solaris&df=title', { max_docs: -1 })).body).toMatchObject({ total: 1, deleted: 1 })
    expect((await call('POST', '/books/_delete_by_query?refresh=true&conflicts=proceed&wait_for_completion=true&timeout=1m', {})).body).toMatchObject({ total: 1, deleted: 1 })
    expect((await call('GET', '/books/_count')).body.count).toBe(0)
  })

  it('deletes what _count counts and _search finds, for every kind of query', async () => {
    const app = await testApp()
    const { call } = app
    await call('PUT', '/sample', {})
    await call('POST', '/sample/_bulk', sampleBulk(), { 'content-type': 'application/x-ndjson' })
    const queries = [
      { match: { text: 'bitmaps posting' } },
      { bool: { must: { range: { 'meta.n': { gte: 20 } } }, must_not: { term: { tag: 'odd' } } } },
      { query_string: { query: 'title:(sparse OR index) AND NOT tag:even' } },
      { multi_match: { query: 'query terms', fields: ['title^2', 'text'], type: 'best_fields' } },
      { ids: { values: ['s02', 's03', 'nope'] } },
    ]
    let left = 30
    for (const query of queries) {
      const count = (await call('POST', '/sample/_count', { query })).body.count
      const ids = (await call('POST', '/sample/_search', { query, size: 100, _source: false })).body.hits.hits.map((h: { _id: string }) => h._id).sort()
      expect(count).toBeGreaterThan(0)
      expect((await call('POST', '/sample/_delete_by_query', { query })).body).toMatchObject({ total: count, deleted: count, version_conflicts: 0 })
      left -= count
      expect((await call('GET', '/sample/_count')).body.count).toBe(left)
      expect((await call('POST', '/sample/_mget', { ids })).body.docs.every((d: { found: boolean }) => !d.found)).toBe(true)
    }
  })

  it('spans an index expression, max_docs counting across its indexes', async () => {
    const { call } = await testApp()
    for (const name of ['logs-a', 'logs-b']) {
      await call('PUT', `/${name}`, {})
      for (let i = 0; i < 3; i++) await call('PUT', `/${name}/_doc/${i}`, { n: i })
    }
    expect((await call('POST', '/logs-*/_delete_by_query', { max_docs: 4 })).body).toMatchObject({ total: 4, deleted: 4, batches: 2 })
    expect((await call('POST', '/logs-a,logs-b/_delete_by_query', {})).body).toMatchObject({ total: 2, deleted: 2 })
    expect((await call('POST', '/logs-a,nope/_delete_by_query', {})).body.error.type).toBe('index_not_found_exception')
  })

  it('refuses what it does not take with a 400 naming it, deleting nothing; huge max_docs are bounded by the matches', async () => {
    const { call } = await booksApp()
    const cases: Array<[string, unknown, string]> = [
      ['', { script: { source: 'x' } }, '[_delete_by_query] unknown field [script] (lsr takes query, max_docs, conflicts)'],
      ['', { slice: { id: 0, max: 2 } }, '[slice] is not supported: lsr runs _delete_by_query as one slice'],
      ['', { sort: ['year'] }, '[_delete_by_query] unknown field [sort] (lsr takes query, max_docs, conflicts)'],
      ['', { max_docs: 0 }, '[max_docs] in the body must be -1 (all) or an integer from 1 to 2147483647, got [0]'],
      ['', { max_docs: 1.5 }, '[max_docs] in the body must be -1 (all) or an integer from 1 to 2147483647, got [1.5]'],
      ['', { max_docs: '3' }, '[max_docs] in the body must be -1 (all) or an integer from 1 to 2147483647, got [3]'],
      ['', { max_docs: 2147483648 }, '[max_docs] in the body must be -1 (all) or an integer from 1 to 2147483647, got [2147483648]'],
      ['', '{"max_docs": 1e400}', '[max_docs] in the body must be -1 (all) or an integer from 1 to 2147483647, got [Infinity]'],
      ['?max_docs=99999999999999999999999', {}, '[max_docs] in the URL must be -1 (all) or an integer from 1 to 2147483647, got [99999999999999999999999]'],
      ['?max_docs=ten', {}, '[max_docs] in the URL must be -1 (all) or an integer from 1 to 2147483647, got [ten]'],
      ['?max_docs=2', { max_docs: 3 }, '[max_docs] set to two different values [3] and [2]'],
      ['', { conflicts: 'ignore' }, 'conflicts may only be "proceed" or "abort" but was [ignore]'],
      ['?conflicts=retry', {}, 'conflicts may only be "proceed" or "abort" but was [retry]'],
      ['?wait_for_completion=false', {}, '[wait_for_completion=false] is not supported: lsr runs _delete_by_query to its end within the request (it has no tasks API)'],
      ['?refresh=wait_for', {}, '[refresh] must be true or false, got [wait_for]'],
      ['?slices=2', {}, 'request [/books/_delete_by_query] contains unrecognized parameter: [slices]'],
      ['?scroll_size=10', {}, 'request [/books/_delete_by_query] contains unrecognized parameter: [scroll_size]'],
      ['?requests_per_second=5', {}, 'request [/books/_delete_by_query] contains unrecognized parameter: [requests_per_second]'],
      ['?q=genre:sf', { query: { match_all: {} } }, '[q] cannot be combined with a query in the body'],
      ['', { query: { regexp: { title: 'a.*' } } }, expect.stringMatching(/query type \[regexp\] is not supported/) as unknown as string],
    ]
    for (const [query, body, reason] of cases) {
      const response = await call('POST', `/books/_delete_by_query${query}`, body)
      expect({ query, body, status: response.status, reason: response.body.error?.reason }).toEqual({ query, body, status: 400, reason })
    }
    expect((await call('GET', '/books/_count')).body.count).toBe(3)
    expect((await call('GET', '/books/_delete_by_query')).status).toBe(405)
    // The largest max_docs allocates nothing for it: the matches bound the work.
    expect((await call('POST', '/books/_delete_by_query', { max_docs: 2147483647, query: { term: { genre: 'sf' } } })).body).toMatchObject({ total: 2, deleted: 2 })
  })

  it('counts a match another request deleted first as a version conflict, never a failure', async () => {
    const { call } = await testApp()
    await call('PUT', '/race', {})
    await call('POST', '/race/_bulk', Array.from({ length: 200 }, (_, i) => `{"index":{"_id":"${i}"}}\n{"n":${i}}`).join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
    const [byQueryAnswer] = await Promise.all([
      call('POST', '/race/_delete_by_query', {}),
      ...Array.from({ length: 20 }, (_, i) => call('DELETE', `/race/_doc/${i * 10}`)),
    ])
    const { total, deleted, version_conflicts: conflicts, failures } = byQueryAnswer.body
    expect(byQueryAnswer.status).toBe(200)
    expect(failures).toEqual([])
    expect(deleted + conflicts).toBe(total)
    expect((await call('GET', '/race/_count')).body.count).toBe(0)
  })
})

describe('_update_by_query', () => {
  it('re-indexes the matches through the index\'s pipelines (?pipeline= or the default), answering Elasticsearch\'s shape', async () => {
    const { call } = await booksApp()
    await call('PUT', '/_ingest/pipeline/copy', { processors: [{ set: { field: 'title_copy', value: '{{{title}}}' } }] })
    const response = await call('POST', '/books/_update_by_query?pipeline=copy', { query: { term: { genre: 'sf' } } })
    expect(response.status).toBe(200)
    expect(response.body).toEqual(byQuery({ total: 2, updated: 2, deleted: 0, batches: 1 }))
    expect(Object.keys(response.body)).toEqual(['took', 'timed_out', 'total', 'updated', 'deleted', 'batches', 'version_conflicts', 'noops', 'retries', 'throttled_millis', 'requests_per_second', 'throttled_until_millis', 'failures'])
    expect((await call('POST', '/books/_mget?_source=title_copy', { ids: ['1', '2', '3'] })).body.docs.map((d: { _source: unknown }) => d._source)).toEqual([{ title_copy: 'Dune' }, {}, { title_copy: 'Solaris' }])
    // An index's default pipeline created after its documents were written: update_by_query applies it.
    await call('PUT', '/later', { settings: { index: { default_pipeline: 'stamp' } } })
    for (const id of ['a', 'b']) await call('PUT', `/later/_doc/${id}?pipeline=_none`, { n: id })
    await call('PUT', '/_ingest/pipeline/stamp', { processors: [{ set: { field: 'stamped', value: true } }] })
    expect((await call('POST', '/later/_update_by_query?q=n:a', {})).body).toMatchObject({ total: 1, updated: 1 })
    expect((await call('POST', '/later/_mget', { ids: ['a', 'b'] })).body.docs.map((d: { _source: unknown }) => d._source)).toEqual([{ n: 'a', stamped: true }, { n: 'b' }])
    expect((await call('POST', '/books/_update_by_query?pipeline=nope', {})).body.error.reason).toBe('pipeline with id [nope] does not exist')
  })

  it('makes documents searchable by a field mapped after they were written (without a pipeline)', async () => {
    const { call } = await testApp()
    await call('PUT', '/m', { mappings: { dynamic: false, properties: { title: { type: 'text' } } } })
    await call('PUT', '/m/_doc/1', { title: 'Dune', genre: 'sf' })
    await call('PUT', '/m/_doc/2', { title: 'Emma', genre: 'novel' })
    await call('PUT', '/m/_mapping', { properties: { genre: { type: 'keyword' } } })
    expect((await call('POST', '/m/_count', { query: { term: { genre: 'sf' } } })).body.count).toBe(0)
    expect((await call('POST', '/m/_update_by_query', {})).body).toMatchObject({ total: 2, updated: 2, version_conflicts: 0, failures: [] })
    expect((await call('POST', '/m/_count', { query: { term: { genre: 'sf' } } })).body.count).toBe(1)
  })

  it('re-encodes a learned-sparse field through a sparse_encoding pipeline', async () => {
    const { call } = await testApp({ modelsDir: MODELS, models })
    await call('PUT', '/_ingest/pipeline/encode', ENCODE)
    await call('PUT', '/sparse', { mappings: { properties: { text: { type: 'text' }, embedding: { type: 'rank_features' } } } })
    const texts = ['roaring bitmaps', 'an inverted index', 'sparse vectors']
    for (const [i, text] of texts.entries()) await call('PUT', `/sparse/_doc/${i}`, { text })
    expect((await call('POST', '/sparse/_update_by_query?pipeline=encode&max_docs=2', {})).body).toMatchObject({ total: 2, updated: 2 })
    const docs = (await call('POST', '/sparse/_mget', { ids: ['0', '1', '2'] })).body.docs
    expect(docs.map((d: { _source: unknown }) => d._source)).toEqual([{ text: texts[0], embedding: await embeddingOf(texts[0]) }, { text: texts[1], embedding: await embeddingOf(texts[1]) }, { text: texts[2] }])
  })

  it('a pipeline failing a document is a failure: the batch is written but for it, the request stops and answers its status', async () => {
    const { call } = await testApp()
    await call('PUT', '/_ingest/pipeline/lower', { processors: [{ lowercase: { field: 'name' } }] })
    await call('PUT', '/p', {})
    await call('PUT', '/p/_doc/1', { name: 'ADA' })
    await call('PUT', '/p/_doc/2', { name: ['A', 3] })
    await call('PUT', '/p/_doc/3', { name: 'GRACE' })
    const response = await call('POST', '/p/_update_by_query?pipeline=lower', {})
    expect(response.status).toBe(400)
    expect(response.body).toEqual(byQuery({ total: 3, updated: 2, deleted: 0, batches: 1 }, [{ index: 'p', id: '2', cause: { type: expect.any(String), reason: expect.any(String) }, status: 400 }]))
    expect((await call('POST', '/p/_mget', { ids: ['1', '3'] })).body.docs.map((d: { _source: { name: string } }) => d._source.name)).toEqual(['ada', 'grace'])
  })

  it('a document changed since it was read is a version conflict: conflicts=abort stops with a 409 failure, proceed counts it and goes on to max_docs', async () => {
    const { registry, call } = await testApp()
    await call('PUT', '/c', {})
    await call('POST', '/c/_bulk', Array.from({ length: 2500 }, (_, i) => `{"index":{"_id":"${i}"}}\n{"n":${i}}`).join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
    const index = await registry.get('c')
    /** A pipeline that, on its first batch, lets another writer change two of its documents first. */
    const racing = (ids: string[]) => {
      let first = true
      return new Map([['c', async (docs: readonly IngestInput[]) => {
        if (first) await index.add(ids.map((id) => sourceDocument(id, { n: -1 })))
        first = false
        return docs.map(({ source }) => ({ source: { ...source, seen: true } }))
      }]])
    }
    const aborted = await updateByQuery([['c', index]], { query: undefined, maxDocs: Infinity, conflicts: 'abort' }, racing(['5', '6']), (e) => e as never)
    // Documents 0-2499 took sequence numbers 0-2499; the other writer's two, 2500 and 2501.
    const conflict = (id: string, now: number) => ({
      index: 'c', id, status: 409,
      cause: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, required seqNo [${id}], primary term [1]. current document has seqNo [${now}] and primary term [1]` },
    })
    expect(aborted).toEqual({ status: 409, body: byQuery({ total: 1000, updated: 998, deleted: 0, batches: 1, version_conflicts: 2 }, [conflict('5', 2500), conflict('6', 2501)]) })
    expect((await call('GET', '/c/_source/5')).body).toEqual({ n: -1 })
    expect((await call('GET', '/c/_source/1500')).body).toEqual({ n: 1500 })
    // proceed: conflicts are counted and the request goes on until max_docs are updated. (Documents
    // re-indexed come after the others in index order: 1000-2499 come first now.)
    const proceeded = await updateByQuery([['c', index]], { query: undefined, maxDocs: 1200, conflicts: 'proceed' }, racing(['1500', '1501']), (e) => e as never)
    expect(proceeded).toEqual({ status: 200, body: byQuery({ total: 1202, updated: 1200, deleted: 0, batches: 2, version_conflicts: 2 }) })
  })

  it('refuses scripts, slices and wait_for_completion=false with a 400 naming them, writing nothing', async () => {
    const { call } = await booksApp()
    const cases: Array<[string, unknown, string]> = [
      ['', { script: { source: 'ctx._source.year++' } }, '[script] is not supported: lsr runs no scripts (_update_by_query re-indexes the matches through the index\'s ingest pipelines)'],
      ['', { slice: { id: 0, max: 2 } }, '[slice] is not supported: lsr runs _update_by_query as one slice'],
      ['', { doc: { a: 1 } }, '[_update_by_query] unknown field [doc] (lsr takes query, max_docs, conflicts)'],
      ['?wait_for_completion=false', {}, '[wait_for_completion=false] is not supported: lsr runs _update_by_query to its end within the request (it has no tasks API)'],
      ['?slices=auto', {}, 'request [/books/_update_by_query] contains unrecognized parameter: [slices]'],
      ['?max_docs=0', {}, '[max_docs] in the URL must be -1 (all) or an integer from 1 to 2147483647, got [0]'],
    ]
    for (const [query, body, reason] of cases) {
      const response = await call('POST', `/books/_update_by_query${query}`, body)
      expect({ query, status: response.status, reason: response.body.error?.reason }).toEqual({ query, status: 400, reason })
    }
    expect((await call('POST', '/books/_update_by_query?max_docs=2147483647&conflicts=proceed&refresh', { query: { match_all: {} } })).body).toMatchObject({ total: 3, updated: 3 })
  })
})

describe('--read-only-anonymous', () => {
  it('lets clients without a key multi-get, multi-search and get sources, but not update or delete/update by query', async () => {
    const { call } = await testApp({ apiKey: 'secret', readOnlyAnonymous: true })
    const key = { authorization: 'ApiKey secret' }
    await call('PUT', '/r', {}, key)
    await call('PUT', '/r/_doc/1', { x: 1 }, key)
    expect((await call('POST', '/_mget', { docs: [{ _index: 'r', _id: '1' }] })).body.docs[0].found).toBe(true)
    expect((await call('POST', '/r/_mget', { ids: ['1'] })).status).toBe(200)
    expect((await call('POST', '/r/_msearch', '{}\n{}\n', { 'content-type': 'application/x-ndjson' })).body.responses[0].status).toBe(200)
    expect((await call('GET', '/r/_source/1')).body).toEqual({ x: 1 })
    for (const [path, body] of [['/r/_update/1', { doc: { x: 2 } }], ['/r/_delete_by_query', {}], ['/r/_update_by_query', {}], ['/r/_doc/_mget', { x: 3 }]] as const) {
      expect({ path, status: (await call('POST', path, body)).status }).toEqual({ path, status: 401 })
    }
    expect((await call('GET', '/r/_source/1')).body).toEqual({ x: 1 })
    expect((await call('POST', '/r/_update/1', { doc: { x: 2 } }, key)).body.result).toBe('updated')
  })
})
