/**
 * Optimistic concurrency control over HTTP, on a real port: `_version`, `_seq_no` and
 * `_primary_term` in every write answer, get, `_mget` and search hit (`version`,
 * `seq_no_primary_term`); `if_seq_no` + `if_primary_term` and external versions on `_doc`,
 * `_create`, delete, `_update` and `_bulk`, with Elasticsearch's 409s and validation 400s;
 * twenty concurrent conditional writers of one document (one wins); the OpenSearch client's
 * ResponseError on a stale write; and the by-query APIs' conflict counting by sequence number.
 */
import { Client, errors } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteByQuery } from '../../src/server/by-query.js'
import { portServer, send, testApp } from './helpers.js'

const SHARDS = { total: 1, successful: 1, failed: 0 }
/** A write's answer, as Elasticsearch orders it. */
const answer = (index: string, id: string, version: number, result: string, seqNo: number) => ({ _index: index, _id: id, _version: version, result, _shards: SHARDS, _seq_no: seqNo, _primary_term: 1 })
/** Elasticsearch's 409 body. */
const conflict = (reason: string) => ({
  error: { root_cause: [{ type: 'version_conflict_engine_exception', reason }], type: 'version_conflict_engine_exception', reason },
  status: 409,
})
const ndjson = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

describe('versions over a real port', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  let url: string
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => send(`${url}${path}`, method, body, headers)
  let index = 0
  /** A fresh index for one test. */
  const fresh = async () => {
    const name = `v${index++}`
    expect((await call('PUT', `/${name}`, {})).status).toBe(200)
    return name
  }

  beforeAll(async () => {
    server = await portServer()
    url = server.url
  })
  afterAll(async () => {
    await server.close()
  })

  it('every write answers its _version, _seq_no and _primary_term; get and _mget answer the live ones', async () => {
    const ix = await fresh()
    expect(await call('PUT', `/${ix}/_doc/1`, { n: 1 })).toEqual({ status: 201, body: answer(ix, '1', 1, 'created', 0) })
    expect(await call('PUT', `/${ix}/_doc/1`, { n: 2 })).toEqual({ status: 200, body: answer(ix, '1', 2, 'updated', 1) })
    // An identical document is a write as well, as in Elasticsearch (lsr leaves it where it is and stores the version).
    expect(await call('PUT', `/${ix}/_doc/1`, { n: 2 })).toEqual({ status: 200, body: answer(ix, '1', 3, 'updated', 2) })
    expect((await call('PUT', `/${ix}/_create/2`, { n: 9 })).body).toEqual(answer(ix, '2', 1, 'created', 3))
    expect((await call('GET', `/${ix}/_doc/1`)).body).toEqual({ _index: ix, _id: '1', _version: 3, _seq_no: 2, _primary_term: 1, found: true, _source: { n: 2 } })
    expect((await call('POST', `/${ix}/_mget`, { ids: ['1', '2', '3'] })).body.docs).toEqual([
      { _index: ix, _id: '1', _version: 3, _seq_no: 2, _primary_term: 1, found: true, _source: { n: 2 } },
      { _index: ix, _id: '2', _version: 1, _seq_no: 3, _primary_term: 1, found: true, _source: { n: 9 } },
      { _index: ix, _id: '3', found: false },
    ])
    expect(await call('DELETE', `/${ix}/_doc/1`)).toEqual({ status: 200, body: answer(ix, '1', 4, 'deleted', 4) })
    // A delete of a missing document writes nothing: version 1 (Elasticsearch's for an id never written), no sequence number.
    expect(await call('DELETE', `/${ix}/_doc/1`)).toEqual({ status: 404, body: { _index: ix, _id: '1', _version: 1, result: 'not_found', _shards: SHARDS } })
    // lsr keeps no deleted versions: the id starts again at 1.
    expect((await call('PUT', `/${ix}/_doc/1`, { n: 3 })).body).toEqual(answer(ix, '1', 1, 'created', 5))
    // An update: one more; a noop: the live version, nothing written.
    expect((await call('POST', `/${ix}/_update/1`, { doc: { m: 1 } })).body).toEqual(answer(ix, '1', 2, 'updated', 6))
    expect((await call('POST', `/${ix}/_update/1`, { doc: { m: 1 } })).body).toEqual({ ...answer(ix, '1', 2, 'noop', 6), _shards: { total: 0, successful: 0, failed: 0 } })
    expect((await call('POST', `/${ix}/_update/7`, { doc: { m: 1 }, doc_as_upsert: true })).body).toEqual(answer(ix, '7', 1, 'created', 7))
  })

  it('search hits carry _version with version: true and _seq_no, _primary_term with seq_no_primary_term: true, in the body or the URL', async () => {
    const ix = await fresh()
    await call('POST', `/${ix}/_bulk`, ndjson([{ index: { _id: 'a' } }, { t: 'apple' }, { index: { _id: 'b' } }, { t: 'apple pie' }]), { 'content-type': 'application/x-ndjson' })
    await call('PUT', `/${ix}/_doc/b`, { t: 'apple tart' })
    const hits = async (path: string, body: unknown) => {
      const found = (await call('POST', `/${ix}/_search${path}`, body)).body.hits.hits as Array<Record<string, unknown>>
      return Object.fromEntries(found.map(({ _id, _version, _seq_no, _primary_term }) => [_id as string, { _version, _seq_no, _primary_term }]))
    }
    const query = { query: { match: { t: 'apple' } } }
    expect(await hits('', { ...query, version: true, seq_no_primary_term: true })).toEqual({ a: { _version: 1, _seq_no: 0, _primary_term: 1 }, b: { _version: 2, _seq_no: 2, _primary_term: 1 } })
    expect(await hits('', { ...query, version: true })).toEqual({ a: { _version: 1 }, b: { _version: 2 } })
    expect(await hits('?seq_no_primary_term=true', query)).toEqual({ a: { _seq_no: 0, _primary_term: 1 }, b: { _seq_no: 2, _primary_term: 1 } })
    expect(await hits('?version', query)).toEqual({ a: { _version: 1 }, b: { _version: 2 } })
    expect(await hits('?version=false', { ...query, version: true })).toEqual({ a: {}, b: {} })
    expect(await hits('', query)).toEqual({ a: {}, b: {} })
    // Sorted, and through _msearch, as well.
    const sorted = (await call('POST', `/${ix}/_search`, { sort: [{ _doc: 'asc' }], version: true })).body.hits.hits
    expect(sorted.map((h: { _id: string; _version: number }) => [h._id, h._version])).toEqual([['a', 1], ['b', 2]])
    // A scroll's pages too.
    const first = (await call('POST', `/${ix}/_search?scroll=1m`, { sort: [{ _doc: 'asc' }], size: 1, version: true, seq_no_primary_term: true })).body
    const next = (await call('POST', '/_search/scroll', { scroll_id: first._scroll_id, scroll: '1m' })).body
    expect([...first.hits.hits, ...next.hits.hits].map((h: Record<string, unknown>) => [h._id, h._version, h._seq_no])).toEqual([['a', 1, 0], ['b', 2, 2]])
    await call('DELETE', '/_search/scroll', { scroll_id: first._scroll_id })
    const multi = await call('POST', `/${ix}/_msearch`, ndjson([{}, { ...query, seq_no_primary_term: true }]), { 'content-type': 'application/x-ndjson' })
    expect(multi.body.responses[0].hits.hits.map((h: { _seq_no: number }) => h._seq_no).sort()).toEqual([0, 2])
    for (const [path, body, reason] of [
      ['', { version: 'yes' }, '[version] must be a boolean'],
      ['?seq_no_primary_term=maybe', {}, '[seq_no_primary_term] must be a boolean'],
    ] as const) {
      const response = await call('POST', `/${ix}/_search${path}`, body)
      expect({ status: response.status, reason: response.body.error.reason }).toEqual({ status: 400, reason })
    }
  })

  it('if_seq_no + if_primary_term: a stale or missing document is a 409 in Elasticsearch\'s words; the current one is written', async () => {
    const ix = await fresh()
    await call('PUT', `/${ix}/_doc/1`, { n: 1 })
    await call('PUT', `/${ix}/_doc/1`, { n: 2 })
    expect(await call('PUT', `/${ix}/_doc/1?if_seq_no=0&if_primary_term=1`, { n: 'stale' })).toEqual({
      status: 409, body: conflict('[1]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]'),
    })
    expect((await call('PUT', `/${ix}/_doc/1?if_seq_no=1&if_primary_term=2`, { n: 'other term' })).body.error.reason).toBe('[1]: version conflict, required seqNo [1], primary term [2]. current document has seqNo [1] and primary term [1]')
    expect((await call('PUT', `/${ix}/_doc/9?if_seq_no=1&if_primary_term=1`, { n: 'missing' })).body).toEqual(conflict('[9]: version conflict, required seqNo [1], primary term [1]. but no document was found'))
    expect(await call('PUT', `/${ix}/_doc/1?if_seq_no=1&if_primary_term=1`, { n: 3 })).toEqual({ status: 200, body: answer(ix, '1', 3, 'updated', 2) })
    expect((await call('GET', `/${ix}/_doc/1`)).body._source).toEqual({ n: 3 })
    expect((await call('GET', `/${ix}/_doc/9`)).status).toBe(404)

    // Delete: stale 409 (the document stays), missing 409, current deleted.
    expect((await call('DELETE', `/${ix}/_doc/1?if_seq_no=1&if_primary_term=1`)).status).toBe(409)
    expect((await call('DELETE', `/${ix}/_doc/9?if_seq_no=1&if_primary_term=1`)).body).toEqual(conflict('[9]: version conflict, required seqNo [1], primary term [1]. but no document was found'))
    expect(await call('DELETE', `/${ix}/_doc/1?if_seq_no=2&if_primary_term=1`)).toEqual({ status: 200, body: answer(ix, '1', 4, 'deleted', 3) })

    // Update: checked against the document read; a missing one is the update's 404.
    await call('PUT', `/${ix}/_doc/u`, { a: 1 })
    expect((await call('POST', `/${ix}/_update/u?if_seq_no=0&if_primary_term=1`, { doc: { b: 2 } })).body).toEqual(conflict('[u]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [4] and primary term [1]'))
    expect((await call('POST', `/${ix}/_update/u?if_seq_no=4&if_primary_term=1`, { doc: { b: 2 } })).body).toEqual(answer(ix, 'u', 2, 'updated', 5))
    expect((await call('POST', `/${ix}/_update/u?if_seq_no=5&if_primary_term=1`, { doc: { b: 2 } })).body.result).toBe('noop')
    expect((await call('POST', `/${ix}/_update/u?if_seq_no=4&if_primary_term=1`, { doc: { b: 2 } })).status).toBe(409)
    expect((await call('POST', `/${ix}/_update/nope?if_seq_no=4&if_primary_term=1`, { doc: { b: 2 } })).body.error.type).toBe('document_missing_exception')
    expect((await call('GET', `/${ix}/_source/u`)).body).toEqual({ a: 1, b: 2 })
  })

  it('an update through the index\'s pipelines checks if_seq_no against the document it read, and answers the version it wrote', async () => {
    const ix = `v${index++}`
    await call('PUT', '/_ingest/pipeline/stamp', { processors: [{ set: { field: 'stamped', value: true } }] })
    await call('PUT', `/${ix}`, { settings: { index: { default_pipeline: 'stamp' } } })
    await call('PUT', `/${ix}/_doc/1`, { n: 1 })
    expect((await call('POST', `/${ix}/_update/1?if_seq_no=7&if_primary_term=1`, { doc: { n: 2 } })).body).toEqual(conflict('[1]: version conflict, required seqNo [7], primary term [1]. current document has seqNo [0] and primary term [1]'))
    expect((await call('POST', `/${ix}/_update/1?if_seq_no=0&if_primary_term=1`, { doc: { n: 2 } })).body).toEqual(answer(ix, '1', 2, 'updated', 1))
    expect((await call('GET', `/${ix}/_doc/1`)).body).toMatchObject({ _version: 2, _seq_no: 1, _source: { n: 2, stamped: true } })
  })

  it('version + version_type external / external_gte: the document takes the version given, if higher (or equal)', async () => {
    const ix = await fresh()
    expect(await call('PUT', `/${ix}/_doc/1?version=10&version_type=external`, { n: 1 })).toEqual({ status: 201, body: answer(ix, '1', 10, 'created', 0) })
    expect(await call('PUT', `/${ix}/_doc/1?version=10&version_type=external`, { n: 2 })).toEqual({ status: 409, body: conflict('[1]: version conflict, current version [10] is higher or equal to the one provided [10]') })
    expect((await call('PUT', `/${ix}/_doc/1?version=9&version_type=external_gte`, { n: 2 })).body).toEqual(conflict('[1]: version conflict, current version [10] is higher than the one provided [9]'))
    expect((await call('PUT', `/${ix}/_doc/1?version=10&version_type=external_gte`, { n: 2 })).body).toEqual(answer(ix, '1', 10, 'updated', 1))
    expect((await call('PUT', `/${ix}/_doc/1?version=12&version_type=external_gt`, { n: 3 })).body).toEqual(answer(ix, '1', 12, 'updated', 2))
    expect((await call('GET', `/${ix}/_doc/1`)).body).toMatchObject({ _version: 12, _seq_no: 2, _source: { n: 3 } })
    expect((await call('DELETE', `/${ix}/_doc/1?version=12&version_type=external`)).status).toBe(409)
    expect(await call('DELETE', `/${ix}/_doc/1?version=20&version_type=external`)).toEqual({ status: 200, body: answer(ix, '1', 20, 'deleted', 3) })
  })

  it('refuses what Elasticsearch refuses with its validation messages, writing nothing', async () => {
    const ix = await fresh()
    await call('PUT', `/${ix}/_doc/1`, { n: 1 })
    const validation = (...problems: string[]) => `Validation Failed: ${problems.map((p, i) => `${i + 1}: ${p};`).join('')}`
    const INTERNAL = 'internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead'
    const cases: Array<[string, string, unknown, string, string]> = [
      ['PUT', '/_doc/1?version=1', { n: 2 }, 'action_request_validation_exception', validation(INTERNAL)],
      ['PUT', '/_doc/1?version=1&version_type=internal', { n: 2 }, 'action_request_validation_exception', validation(INTERNAL)],
      ['PUT', '/_doc/1?version=0', { n: 2 }, 'action_request_validation_exception', validation('illegal version value [0] for version type [INTERNAL]', INTERNAL)],
      ['PUT', '/_doc/1?if_seq_no=0', { n: 2 }, 'action_request_validation_exception', validation('ifSeqNo is set, but primary term is [0]')],
      ['PUT', '/_doc/1?if_primary_term=1', { n: 2 }, 'action_request_validation_exception', validation('ifSeqNo is unassigned, but primary term is [1]')],
      ['PUT', '/_doc/1?if_seq_no=0&if_primary_term=1&version=5&version_type=external', { n: 2 }, 'action_request_validation_exception', validation('compare and write operations can not use versioning')],
      ['PUT', '/_doc/1?version_type=external', { n: 2 }, 'action_request_validation_exception', validation('illegal version value [-3] for version type [EXTERNAL]')],
      ['PUT', '/_doc/1?version=-1&version_type=external', { n: 2 }, 'action_request_validation_exception', validation('illegal version value [-1] for version type [EXTERNAL]')],
      ['PUT', '/_doc/1?version=5&version_type=force', { n: 2 }, 'action_request_validation_exception', validation('version type [force] may no longer be used')],
      ['PUT', '/_doc/1?version=5&version_type=sideways', { n: 2 }, 'illegal_argument_exception', 'No version type match [sideways]'],
      ['PUT', '/_doc/1?if_seq_no=abc&if_primary_term=1', { n: 2 }, 'illegal_argument_exception', 'Failed to parse long parameter [if_seq_no] with value [abc]'],
      ['PUT', '/_doc/1?if_seq_no=-1&if_primary_term=1', { n: 2 }, 'illegal_argument_exception', 'sequence numbers must be non negative. got [-1].'],
      ['PUT', '/_doc/1?if_seq_no=0&if_primary_term=-1', { n: 2 }, 'illegal_argument_exception', 'primary term must be non negative. got [-1]'],
      ['PUT', '/_doc/1?version=9007199254740992&version_type=external', { n: 2 }, 'illegal_argument_exception', "[version] must be within ±9007199254740991 in lsr (JavaScript's exact integers), got [9007199254740992]"],
      ['PUT', '/_create/1?if_seq_no=0&if_primary_term=1', { n: 2 }, 'action_request_validation_exception', validation('create operations do not support compare and set. use index instead')],
      ['PUT', '/_create/1?version=5&version_type=external', { n: 2 }, 'action_request_validation_exception', validation('create operations only support internal versioning. use index instead')],
      ['PUT', '/_doc/1?op_type=create&version=5', { n: 2 }, 'action_request_validation_exception', validation('create operations do not support explicit versions. use index instead')],
      ['POST', '/_doc?version=5&version_type=external', { n: 2 }, 'action_request_validation_exception', validation('an id must be provided if version type or value are set')],
      ['DELETE', '/_doc/1?version=1', undefined, 'action_request_validation_exception', validation(INTERNAL)],
      ['POST', '/_update/1?version=1', { doc: { n: 2 } }, 'action_request_validation_exception', validation(INTERNAL)],
      ['POST', '/_update/1?version_type=external', { doc: { n: 2 } }, 'action_request_validation_exception', validation(INTERNAL)],
      ['POST', '/_update/1?if_seq_no=0&if_primary_term=1&retry_on_conflict=2', { doc: { n: 2 } }, 'action_request_validation_exception', validation('compare and write operations can not be retried')],
      ['POST', '/_update/1?if_seq_no=0&if_primary_term=1', { doc: { n: 2 }, upsert: { n: 0 } }, 'action_request_validation_exception', validation("upsert requests don't support `if_seq_no` and `if_primary_term`")],
      ['POST', '/_update/1?if_seq_no=0&if_primary_term=1', { doc: { n: 2 }, doc_as_upsert: true }, 'action_request_validation_exception', validation('compare and write operations can not be used with upsert')],
    ]
    for (const [method, path, body, type, reason] of cases) {
      const response = await call(method, `/${ix}${path}`, body)
      expect({ method, path, status: response.status, error: response.body.error && { type: response.body.error.type, reason: response.body.error.reason } }).toEqual({ method, path, status: 400, error: { type, reason } })
    }
    expect((await call('GET', `/${ix}/_doc/1`)).body).toMatchObject({ _version: 1, _seq_no: 0, _source: { n: 1 } })
    expect((await call('GET', `/${ix}/_count`)).body.count).toBe(1)
  })

  it('_bulk takes if_seq_no, if_primary_term, version and version_type in each action\'s metadata', async () => {
    const ix = await fresh()
    await call('PUT', `/${ix}/_doc/a`, { n: 0 })
    const lines = ndjson([
      { index: { _id: 'a', if_seq_no: 0, if_primary_term: 1 } }, { n: 1 },
      { index: { _id: 'a', if_seq_no: 0, if_primary_term: 1 } }, { n: 'stale' },
      { index: { _id: 'a', if_seq_no: 1, if_primary_term: 1 } }, { n: 2 },
      { index: { _id: 'e', version: 7, version_type: 'external' } }, { n: 7 },
      { index: { _id: 'e', version: '7', version_type: 'external' } }, { n: 'not higher' },
      { create: { _id: 'a' } }, { n: 'exists' },
      { create: { _id: 'c', version: 3, version_type: 'external' } }, { n: 'create with a version' },
      { update: { _id: 'a', if_seq_no: 2, if_primary_term: 1 } }, { doc: { m: 1 } },
      { update: { _id: 'a', if_seq_no: 2, if_primary_term: 1 } }, { doc: { m: 2 } },
      { update: { _id: 'a', version: 2 } }, { doc: { m: 3 } },
      { delete: { _id: 'e', version: 6, version_type: 'external' } },
      { delete: { _id: 'e', if_seq_no: 3, if_primary_term: 1 } },
      { delete: { _id: 'e', if_seq_no: 3 } },
    ])
    const { body } = await call('POST', `/${ix}/_bulk`, lines, { 'content-type': 'application/x-ndjson' })
    const item = (action: string, id: string, status: number, rest: Record<string, unknown>) => ({ [action]: { _index: ix, _id: id, ...rest, status } })
    const written = (action: string, id: string, version: number, result: string, seqNo: number, status = 200) =>
      ({ [action]: { ...answer(ix, id, version, result, seqNo), status } })
    const failed = (action: string, id: string, status: number, type: string, reason: string) => item(action, id, status, { error: { type, reason } })
    expect(body.errors).toBe(true)
    expect(body.items).toEqual([
      written('index', 'a', 2, 'updated', 1),
      failed('index', 'a', 409, 'version_conflict_engine_exception', '[a]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]'),
      written('index', 'a', 3, 'updated', 2),
      written('index', 'e', 7, 'created', 3, 201),
      failed('index', 'e', 409, 'version_conflict_engine_exception', '[e]: version conflict, current version [7] is higher or equal to the one provided [7]'),
      failed('create', 'a', 409, 'version_conflict_engine_exception', '[a]: version conflict, document already exists (current version [3])'),
      failed('create', 'c', 400, 'action_request_validation_exception', 'Validation Failed: 1: create operations only support internal versioning. use index instead;'),
      { update: { ...answer(ix, 'a', 4, 'updated', 4), status: 200 } },
      failed('update', 'a', 409, 'version_conflict_engine_exception', '[a]: version conflict, required seqNo [2], primary term [1]. current document has seqNo [4] and primary term [1]'),
      failed('update', 'a', 400, 'action_request_validation_exception', 'line [19]: [update] option [version] is not supported (only _index, _id, retry_on_conflict, if_seq_no, if_primary_term)'),
      failed('delete', 'e', 409, 'version_conflict_engine_exception', '[e]: version conflict, current version [7] is higher or equal to the one provided [6]'),
      written('delete', 'e', 8, 'deleted', 5),
      failed('delete', 'e', 400, 'action_request_validation_exception', 'Validation Failed: 1: ifSeqNo is set, but primary term is [0];'),
    ])
    expect((await call('GET', `/${ix}/_doc/a`)).body).toMatchObject({ _version: 4, _seq_no: 4, _source: { n: 2, m: 1 } })
    expect((await call('GET', `/${ix}/_doc/c`)).status).toBe(404)
  })

  it('20 concurrent if_seq_no writers of one document: exactly one 200, nineteen 409s, and the stored document is the winner\'s', async () => {
    const ix = await fresh()
    await call('PUT', `/${ix}/_doc/hot`, { writer: 'none' })
    await call('PUT', `/${ix}/_doc/hot`, { writer: 'still none' })
    const { _seq_no: seqNo, _primary_term: term } = (await call('GET', `/${ix}/_doc/hot`)).body
    expect([seqNo, term]).toEqual([1, 1])
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call('PUT', `/${ix}/_doc/hot?if_seq_no=${seqNo}&if_primary_term=${term}`, { writer: `w${i}` })))
    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
    const winner = statuses.indexOf(200)
    expect(answers[winner].body).toEqual(answer(ix, 'hot', 3, 'updated', 2))
    for (const lost of answers.filter((a) => a.status === 409)) {
      expect(lost.body).toEqual(conflict('[hot]: version conflict, required seqNo [1], primary term [1]. current document has seqNo [2] and primary term [1]'))
    }
    expect((await call('GET', `/${ix}/_doc/hot`)).body).toEqual({ _index: ix, _id: 'hot', _version: 3, _seq_no: 2, _primary_term: 1, found: true, _source: { writer: `w${winner}` } })
  })

  it('the OpenSearch client indexes with if_seq_no / if_primary_term and gets a 409 ResponseError on a stale one', async () => {
    const client = new Client({ node: url })
    try {
      const ix = await fresh()
      const created = await client.index({ index: ix, id: 'doc', body: { title: 'first' } })
      expect(created.body).toMatchObject({ _version: 1, _seq_no: 0, _primary_term: 1, result: 'created' })
      const read = (await client.get({ index: ix, id: 'doc' })).body
      const updated = await client.index({ index: ix, id: 'doc', body: { title: 'second' }, if_seq_no: read._seq_no, if_primary_term: read._primary_term })
      expect(updated.body).toMatchObject({ _version: 2, _seq_no: 1, result: 'updated' })
      const stale = client.index({ index: ix, id: 'doc', body: { title: 'stale' }, if_seq_no: read._seq_no, if_primary_term: read._primary_term })
      await expect(stale).rejects.toBeInstanceOf(errors.ResponseError)
      await expect(stale).rejects.toMatchObject({
        meta: { statusCode: 409, body: { error: { type: 'version_conflict_engine_exception', reason: '[doc]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]' } } },
      })
      await expect(client.delete({ index: ix, id: 'doc', if_seq_no: 0, if_primary_term: 1 })).rejects.toMatchObject({ meta: { statusCode: 409 } })
      expect((await client.update({ index: ix, id: 'doc', body: { doc: { more: true } }, if_seq_no: 1, if_primary_term: 1 })).body).toMatchObject({ _version: 3, _seq_no: 2 })
      const searched = await client.search({ index: ix, body: { query: { match_all: {} }, version: true, seq_no_primary_term: true } })
      expect(searched.body.hits.hits[0]).toMatchObject({ _id: 'doc', _version: 3, _seq_no: 2, _primary_term: 1 })
      expect((await client.index({ index: ix, id: 'ext', body: { n: 1 }, version: 5, version_type: 'external' })).body._version).toBe(5)
      expect((await client.get({ index: ix, id: 'doc' })).body._source).toEqual({ title: 'second', more: true })
    } finally {
      await client.close()
    }
  })
})

describe('by-query conflicts are counted by sequence number', () => {
  /** An index `q` of ten documents, its handle, and the app's call. */
  async function tenDocs() {
    const { call, registry } = await testApp()
    await call('PUT', '/q', {})
    await call('POST', '/q/_bulk', ndjson(Array.from({ length: 10 }, (_, i) => [{ index: { _id: String(i) } }, { n: i }]).flat()), { 'content-type': 'application/x-ndjson' })
    return { call, index: await registry.get('q') }
  }

  it('_delete_by_query: a match changed between its read and its delete is a conflict (a 409 failure with abort), one deleted meanwhile is counted only', async () => {
    const { call, index } = await tenDocs()
    // Queued before the delete by query's write, applied after its matches were read.
    const racing = Promise.all([index.add([{ id: '3', source: { n: -3 } }]), index.delete(['4'])])
    const aborted = await deleteByQuery([['q', index]], { query: undefined, maxDocs: Infinity, conflicts: 'abort' })
    await racing
    expect(aborted.status).toBe(409)
    expect(aborted.body).toMatchObject({
      total: 10, deleted: 8, batches: 1, version_conflicts: 2,
      failures: [{ index: 'q', id: '3', status: 409, cause: { type: 'version_conflict_engine_exception', reason: '[3]: version conflict, required seqNo [3], primary term [1]. current document has seqNo [10] and primary term [1]' } }],
    })
    expect((await call('GET', '/q/_doc/3')).body).toMatchObject({ _seq_no: 10, _source: { n: -3 } })
    expect((await call('GET', '/q/_count')).body.count).toBe(1)

    const again = await tenDocs()
    const race = again.index.add([{ id: '3', source: { n: -3 } }])
    const proceeded = await deleteByQuery([['q', again.index]], { query: undefined, maxDocs: Infinity, conflicts: 'proceed' })
    await race
    expect(proceeded).toMatchObject({ status: 200, body: { total: 10, deleted: 9, version_conflicts: 1, failures: [] } })
  })

  it('_update_by_query re-indexes each match as a new version, identical ones included', async () => {
    const { call } = await tenDocs()
    expect((await call('POST', '/q/_update_by_query', {})).body).toMatchObject({ total: 10, updated: 10, version_conflicts: 0, failures: [] })
    expect((await call('GET', '/q/_doc/0')).body).toMatchObject({ _version: 2, _seq_no: 10, _source: { n: 0 } })
    expect((await call('POST', '/q/_delete_by_query', { query: { range: { n: { gte: 5 } } } })).body).toMatchObject({ total: 5, deleted: 5, version_conflicts: 0, failures: [] })
  })
})
