/**
 * Index aliases and auto-create (issue 12, "Indexes"): the alias APIs, atomic `_aliases`, reads
 * and writes through an alias, names shared by no index and alias, persistence across restarts,
 * index deletion, and the first write to a missing index creating it once.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { describe, expect, it } from 'vitest'
import { startServer } from '../../src/server/serve.js'
import { ROOT, tempDir } from '../helpers.js'
import { portServer, send, testApp, type Call } from './helpers.js'

const ndjson = { 'content-type': 'application/x-ndjson' }
const bulkOf = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

/** Two indexes `logs-a` (2 documents) and `logs-b` (1), and the alias `logs` over both. */
async function logsApp(options = {}) {
  const app = await testApp(options)
  const { call } = app
  for (const name of ['logs-a', 'logs-b']) expect((await call('PUT', `/${name}`, { mappings: { properties: { text: { type: 'text' }, n: { type: 'long' } } } })).status).toBe(200)
  await call('POST', '/_bulk', bulkOf([
    { index: { _index: 'logs-a', _id: 'a1' } }, { text: 'disk full on node one', n: 1 },
    { index: { _index: 'logs-a', _id: 'a2' } }, { text: 'all quiet', n: 2 },
    { index: { _index: 'logs-b', _id: 'b1' } }, { text: 'disk almost full', n: 3 },
  ]), ndjson)
  const added = await call('POST', '/_aliases', { actions: [{ add: { indices: ['logs-a', 'logs-b'], alias: 'logs' } }] })
  expect(added).toMatchObject({ status: 200, body: { acknowledged: true } })
  return app
}

const aliasesOf = async (call: Call) => (await call('GET', '/_alias')).body
const countOf = async (call: Call, index: string) => (await call('GET', `/${index}/_count`)).body.count

describe('the alias APIs', () => {
  it('POST /_aliases adds and removes; GET /_alias, /_alias/{name}, /{index}/_alias, HEAD and _cat/aliases show them', async () => {
    const { call } = await logsApp()
    expect(await aliasesOf(call)).toEqual({ 'logs-a': { aliases: { logs: {} } }, 'logs-b': { aliases: { logs: {} } } })
    expect(await call('PUT', '/logs-b/_alias/recent', { is_write_index: true })).toMatchObject({ status: 200, body: { acknowledged: true } })
    expect((await call('GET', '/_alias/recent')).body).toEqual({ 'logs-b': { aliases: { recent: { is_write_index: true } } } })
    expect((await call('GET', '/_alias/rec*,logs')).body).toEqual({ 'logs-a': { aliases: { logs: {} } }, 'logs-b': { aliases: { logs: {}, recent: { is_write_index: true } } } })
    expect((await call('GET', '/logs-a/_alias')).body).toEqual({ 'logs-a': { aliases: { logs: {} } } })
    expect((await call('GET', '/logs/_alias/recent')).body).toEqual({ 'logs-b': { aliases: { recent: { is_write_index: true } } } })
    expect((await call('HEAD', '/_alias/recent')).status).toBe(200)
    expect((await call('HEAD', '/_alias/nope')).status).toBe(404)
    // A missing name: Elasticsearch's 404, an error string beside what was found.
    expect(await call('GET', '/_alias/recent,nope')).toMatchObject({ status: 404, body: { error: 'alias [nope] missing', status: 404, 'logs-b': { aliases: { recent: { is_write_index: true } } } } })
    expect(await call('GET', '/_alias/nothing*')).toMatchObject({ status: 200, body: {} })

    expect((await call('GET', '/_cat/aliases?v')).body).toBe([
      'alias  index  filter routing.index routing.search is_write_index',
      'logs   logs-a -      -             -              -',
      'logs   logs-b -      -             -              -',
      'recent logs-b -      -             -              true',
      '',
    ].join('\n'))
    expect((await call('GET', '/_cat/aliases/recent?format=json')).body).toEqual([
      { alias: 'recent', index: 'logs-b', filter: '-', 'routing.index': '-', 'routing.search': '-', is_write_index: 'true' },
    ])
    expect((await call('GET', '/_cat/aliases?format=yaml')).status).toBe(400)

    expect(await call('DELETE', '/logs-b/_alias/recent')).toMatchObject({ status: 200, body: { acknowledged: true } })
    expect(await call('DELETE', '/logs-b/_alias/recent')).toMatchObject({ status: 404, body: { error: { type: 'aliases_not_found_exception', reason: 'aliases [recent] missing' } } })
    await call('POST', '/_aliases', { actions: [{ remove: { index: 'logs-a', alias: 'logs' } }] })
    expect(await aliasesOf(call)).toEqual({ 'logs-a': { aliases: {} }, 'logs-b': { aliases: { logs: {} } } })
    // The last index of an alias removed: the alias is gone.
    await call('POST', '/_aliases', { actions: [{ remove: { index: '*', alias: 'lo*' } }] })
    expect((await call('GET', '/_alias/logs')).status).toBe(404)
  })

  it('PUT /{index} with aliases creates both at once; a bad alias option creates nothing', async () => {
    const { call } = await testApp()
    expect((await call('PUT', '/v1', { aliases: { current: { is_write_index: true }, all: {} } })).status).toBe(200)
    expect((await call('GET', '/v1')).body.v1.aliases).toEqual({ all: {}, current: { is_write_index: true } })
    const filtered = await call('PUT', '/v2', { aliases: { all: { filter: { term: { a: 1 } } } } })
    expect(filtered).toMatchObject({ status: 400, body: { error: { type: 'illegal_argument_exception', reason: expect.stringMatching(/^\[aliases\.all\] option \[filter\] is not supported/) } } })
    const twoWriters = await call('PUT', '/v2', { aliases: { current: { is_write_index: true } } })
    expect(twoWriters).toMatchObject({ status: 400, body: { error: { type: 'illegal_state_exception', reason: 'alias [current] has more than one write index [v1,v2]' } } })
    expect((await call('PUT', '/v2', { aliases: { v2: {} } })).body.error.type).toBe('invalid_alias_name_exception')
    expect((await call('HEAD', '/v2')).status).toBe(404)
    expect((await call('PUT', '/v2', { aliases: { all: {}, current: { is_write_index: false } } })).status).toBe(200)
    expect((await call('GET', '/_alias/all')).body).toEqual({ v1: { aliases: { all: {} } }, v2: { aliases: { all: {} } } })
  })

  it('options lsr cannot honour, unknown keys and malformed actions are 400s naming them', async () => {
    const { call } = await logsApp()
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', routing: '1' } }] }, 400, 'illegal_argument_exception', /^\[add\] option \[routing\] is not supported/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', is_hidden: true } }] }, 400, 'illegal_argument_exception', /option \[is_hidden\] is not supported/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', search_routing: '1' } }] }, 400, 'illegal_argument_exception', /option \[search_routing\]/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', index_routing: '1' } }] }, 400, 'illegal_argument_exception', /option \[index_routing\]/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', colour: 'red' } }] }, 400, 'x_content_parse_exception', /^\[add\] unknown field \[colour\]$/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'x', is_write_index: 'yes' } }] }, 400, 'x_content_parse_exception', /is_write_index\] must be true or false/],
      [{ actions: [{ add: { alias: 'x' } }] }, 400, 'action_request_validation_exception', /One of \[index\] or \[indices\] is required/],
      [{ actions: [{ add: { index: 'logs-a' } }] }, 400, 'action_request_validation_exception', /One of \[alias\] or \[aliases\] is required/],
      [{ actions: [{ rename: { index: 'logs-a' } }] }, 400, 'x_content_parse_exception', /add, remove or remove_index, got \[rename\]/],
      [{ actions: [] }, 400, 'action_request_validation_exception', /Must specify at least one alias action/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'Upper' } }] }, 400, 'invalid_alias_name_exception', /^Invalid alias name \[Upper\]: must be lowercase$/],
      [{ actions: [{ add: { index: 'logs-a', alias: '_x' } }] }, 400, 'invalid_alias_name_exception', /must not start with/],
      [{ actions: [{ add: { index: 'logs-a', alias: 'logs-b' } }] }, 400, 'invalid_alias_name_exception', /^Invalid alias name \[logs-b\]: an index or data stream exists with the same name as the alias$/],
      [{ actions: [{ add: { index: 'logs', alias: 'x' } }] }, 400, 'illegal_argument_exception', /^The provided expression \[logs\] matches an alias, specify the corresponding concrete indices instead\.$/],
      [{ actions: [{ add: { index: 'nope', alias: 'x' } }] }, 404, 'index_not_found_exception', /no such index \[nope\]/],
      [{ actions: [{ remove: { index: 'logs-a', alias: 'nope' } }] }, 404, 'aliases_not_found_exception', /^aliases \[nope\] missing$/],
      [{ actions: [{ remove_index: { index: 'logs-*' } }] }, 400, 'illegal_argument_exception', /Wildcard expressions or all indices are not allowed/],
      [{ actions: [{ remove_index: { index: 'logs' } }] }, 400, 'illegal_argument_exception', /matches an alias/],
    ]
    for (const [body, status, type, reason] of cases) {
      const answer = await call('POST', '/_aliases', body)
      expect({ body, status: answer.status, type: answer.body.error?.type }).toEqual({ body, status, type })
      expect(answer.body.error.reason).toMatch(reason)
    }
    expect((await call('PUT', '/logs-a/_alias/x', { filter: { match_all: {} } })).status).toBe(400)
    expect((await call('PUT', '/logs', {})).body.error).toMatchObject({ type: 'invalid_index_name_exception', reason: 'Invalid index name [logs], already exists as alias' })
    expect((await call('DELETE', '/logs')).body.error.reason).toMatch(/^The provided expression \[logs\] matches an alias/)
    expect(await aliasesOf(call)).toEqual({ 'logs-a': { aliases: { logs: {} } }, 'logs-b': { aliases: { logs: {} } } })
  })
})

describe('POST /_aliases is all or nothing', () => {
  it('one bad action among good ones changes nothing, in memory or on disk', async () => {
    const { call, registry } = await logsApp()
    const file = join(registry.dataDir, '_aliases.json')
    const before = await readFile(file, 'utf8')
    const bad = [
      { add: { index: 'logs-a', alias: 'fresh' } },
      { remove: { index: 'logs-b', alias: 'logs' } },
      { remove_index: { index: 'logs-a' } },
      { add: { index: 'missing', alias: 'fresh' } },
    ]
    expect((await call('POST', '/_aliases', { actions: bad })).status).toBe(404)
    // Two write indexes only show in the result: refused as a whole too.
    const writers = [{ add: { index: 'logs-a', alias: 'w', is_write_index: true } }, { add: { index: 'logs-b', alias: 'w', is_write_index: true } }]
    expect((await call('POST', '/_aliases', { actions: writers })).body.error.reason).toBe('alias [w] has more than one write index [logs-a,logs-b]')
    expect(await aliasesOf(call)).toEqual({ 'logs-a': { aliases: { logs: {} } }, 'logs-b': { aliases: { logs: {} } } })
    expect(await readFile(file, 'utf8')).toBe(before)
    expect(await countOf(call, 'logs-a')).toBe(2)
  })

  it('swaps an alias between indexes and deletes the old index in one request (remove_index)', async () => {
    const { call } = await logsApp()
    await call('PUT', '/logs-c', {})
    const swap = [
      { add: { index: 'logs-c', alias: 'logs', is_write_index: true } },
      { remove: { index: 'logs-b', alias: 'logs' } },
      { remove_index: { index: 'logs-a' } },
    ]
    expect((await call('POST', '/_aliases', { actions: swap })).body).toEqual({ acknowledged: true })
    expect((await call('HEAD', '/logs-a')).status).toBe(404)
    expect(await aliasesOf(call)).toEqual({ 'logs-b': { aliases: {} }, 'logs-c': { aliases: { logs: { is_write_index: true } } } })
    // Document answers through an alias name the concrete index, as Elasticsearch's.
    expect(await call('PUT', '/logs/_doc/c1', { text: 'into c' })).toMatchObject({ status: 201, body: { _index: 'logs-c', result: 'created' } })
    expect((await call('POST', '/logs/_update/c1', { doc: { n: 2 } })).body).toMatchObject({ _index: 'logs-c', result: 'updated' })
    expect((await call('GET', '/logs-c/_doc/c1')).body.found).toBe(true)
    expect(await countOf(call, 'logs')).toBe(1)
  })

  it('remove_index frees a scroll reading the index first, as DELETE does, instead of waiting out its keep-alive', async () => {
    const { call } = await logsApp()
    const scroll = await call('POST', '/logs-a/_search?scroll=10m', { size: 1 })
    expect(scroll.body._scroll_id).toEqual(expect.any(String))
    expect((await call('POST', '/_aliases', { actions: [{ remove_index: { index: 'logs-a' } }] })).status).toBe(200)
    expect((await call('POST', '/_search/scroll', { scroll_id: scroll.body._scroll_id })).status).toBe(404)
    expect(await aliasesOf(call)).toEqual({ 'logs-b': { aliases: { logs: {} } } })
  })

  it('moves the write index atomically: false on one and true on the other in one request', async () => {
    const { call } = await logsApp()
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-a', alias: 'logs', is_write_index: true } }] })
    const move = [{ add: { index: 'logs-a', alias: 'logs', is_write_index: false } }, { add: { index: 'logs-b', alias: 'logs', is_write_index: true } }]
    expect((await call('POST', '/_aliases', { actions: move })).status).toBe(200)
    await call('PUT', '/logs/_doc/w', { text: 'written' })
    expect((await call('GET', '/logs-b/_doc/w')).body.found).toBe(true)
  })
})

describe('reads through an alias', () => {
  it('_search, _count, _msearch and wildcards matching the alias read all its indexes; hits name the concrete index', async () => {
    const { call } = await logsApp()
    await call('PUT', '/other', {})
    await call('PUT', '/other/_doc/o1', { text: 'disk full elsewhere' })
    const hits = (await call('POST', '/logs/_search', { query: { match: { text: 'disk full' } } })).body.hits
    expect(hits.hits.map((hit: { _index: string; _id: string }) => `${hit._index}/${hit._id}`).sort()).toEqual(['logs-a/a1', 'logs-b/b1'])
    expect(await countOf(call, 'logs')).toBe(3)
    // `lo*` matches the alias (and through it both indexes); `logs,logs-a` counts logs-a once.
    expect(await countOf(call, 'lo*')).toBe(3)
    expect(await countOf(call, 'logs,logs-a,other')).toBe(4)
    const msearch = await call('POST', '/_msearch', bulkOf([{ index: 'logs' }, { query: { match_all: {} } }, { index: 'logs-b' }, { query: { match_all: {} } }]), ndjson)
    expect(msearch.body.responses.map((r: { hits: { total: { value: number } } }) => r.hits.total.value)).toEqual([3, 1])
    expect((await call('GET', '/logs/_search?q=text:quiet')).body.hits.hits[0]._index).toBe('logs-a')
  })

  it('GET /{alias}, _mapping and _settings answer by the concrete indexes; GET /{index} lists its aliases', async () => {
    const { call } = await logsApp()
    const got = (await call('GET', '/logs')).body
    expect(Object.keys(got).sort()).toEqual(['logs-a', 'logs-b'])
    expect(got['logs-a']).toMatchObject({ aliases: { logs: {} }, mappings: { properties: { text: { type: 'text' } } } })
    expect(Object.keys((await call('GET', '/logs/_mapping')).body).sort()).toEqual(['logs-a', 'logs-b'])
    expect((await call('GET', '/logs/_settings')).body['logs-b'].settings.index.provided_name).toBe('logs-b')
    expect((await call('HEAD', '/logs')).status).toBe(200)
  })

  it('single-index reads (_doc, _mget, _explain) take an alias of one index, and refuse one of several', async () => {
    const { call } = await logsApp()
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-a', alias: 'only-a' } }] })
    expect((await call('GET', '/only-a/_doc/a1')).body).toMatchObject({ _index: 'logs-a', found: true, _source: { n: 1 } })
    expect((await call('POST', '/only-a/_explain/a1', { query: { match: { text: 'disk' } } })).body).toMatchObject({ _index: 'logs-a', matched: true })
    const several = await call('GET', '/logs/_doc/a1')
    expect(several).toMatchObject({ status: 400, body: { error: { type: 'illegal_argument_exception', reason: "alias [logs] has more than one index associated with it [logs-a, logs-b], can't execute a single index op" } } })
    expect((await call('POST', '/logs/_explain/a1', { query: { match_all: {} } })).status).toBe(400)
    const mget = await call('POST', '/_mget', { docs: [{ _index: 'only-a', _id: 'a2' }, { _index: 'logs', _id: 'a1' }] })
    expect(mget.body.docs[0]).toMatchObject({ found: true, _source: { n: 2 } })
    expect(mget.body.docs[1].error.type).toBe('illegal_argument_exception')
  })

  it('_delete_by_query and _update_by_query through an alias run over all its indexes, as Elasticsearch does', async () => {
    const { call } = await logsApp()
    expect((await call('POST', '/logs/_update_by_query', { query: { match: { text: 'disk' } } })).body.updated).toBe(2)
    expect((await call('POST', '/logs/_delete_by_query', { query: { match: { text: 'disk' } } })).body.deleted).toBe(2)
    expect([await countOf(call, 'logs-a'), await countOf(call, 'logs-b')]).toEqual([1, 0])
  })
})

describe('writes through an alias', () => {
  it('go to its only index, or to its is_write_index', async () => {
    const { call } = await logsApp()
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-b', alias: 'current' } }] })
    expect(await call('PUT', '/current/_doc/c1', { text: 'one index' })).toMatchObject({ status: 201 })
    expect((await call('GET', '/logs-b/_doc/c1')).body.found).toBe(true)
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-a', alias: 'logs', is_write_index: true } }] })
    expect((await call('POST', '/logs/_doc', { text: 'to the write index' })).status).toBe(201)
    expect((await call('POST', '/logs/_update/a1', { doc: { n: 10 } })).body.result).toBe('updated')
    expect((await call('POST', '/logs/_bulk', bulkOf([{ index: { _id: 'k' } }, { text: 'bulk' }, { delete: { _id: 'a2' } }]), ndjson)).body.errors).toBe(false)
    expect(await countOf(call, 'logs-a')).toBe(3)
    expect((await call('DELETE', '/logs/_doc/k')).body.result).toBe('deleted')
    expect(await countOf(call, 'logs-a')).toBe(2)
    expect(await countOf(call, 'logs-b')).toBe(2)
  })

  it('an alias of two indexes without a write index is a 400 for every write, and nothing is written', async () => {
    const { call } = await logsApp()
    const reason = 'no write index is defined for alias [logs]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index'
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/logs/_doc/x', { text: 'x' }], ['POST', '/logs/_doc', { text: 'x' }], ['PUT', '/logs/_create/x', { text: 'x' }],
      ['POST', '/logs/_update/a1', { doc: { n: 9 } }], ['POST', '/logs/_update/x', { doc: { n: 9 }, doc_as_upsert: true }], ['DELETE', '/logs/_doc/a1', undefined],
    ]
    for (const [method, path, body] of writes) {
      const answer = await call(method, path, body)
      expect({ path, status: answer.status, error: answer.body.error }).toEqual({ path, status: 400, error: { root_cause: [{ type: 'illegal_argument_exception', reason }], type: 'illegal_argument_exception', reason } })
    }
    const bulk = await call('POST', '/_bulk', bulkOf([{ index: { _index: 'logs', _id: 'y' } }, { text: 'y' }, { delete: { _index: 'logs', _id: 'b1' } }]), ndjson)
    expect(bulk.body.items.map((item: Record<string, { status: number; error: { reason: string } }>) => [Object.values(item)[0].status, Object.values(item)[0].error.reason])).toEqual([[400, reason], [400, reason]])
    expect([await countOf(call, 'logs-a'), await countOf(call, 'logs-b')]).toEqual([2, 1])
    expect((await call('GET', '/logs-a/_doc/a1')).body._source.n).toBe(1)
    // An only index marked is_write_index: false has no write index either.
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-a', alias: 'ro', is_write_index: false } }] })
    expect((await call('PUT', '/ro/_doc/z', { text: 'z' })).body.error.reason).toMatch(/^no write index is defined for alias \[ro\]/)
    expect((await call('GET', '/ro/_doc/a1')).body.found).toBe(true)
  })
})

describe('aliases and index deletion', () => {
  it('deleting an index removes it from its aliases; an alias left with none goes, and a new index of that name starts without them', async () => {
    const { call } = await logsApp()
    await call('POST', '/_aliases', { actions: [{ add: { index: 'logs-b', alias: 'b-only' } }] })
    expect((await call('DELETE', '/logs-b')).status).toBe(200)
    expect(await aliasesOf(call)).toEqual({ 'logs-a': { aliases: { logs: {} } } })
    expect((await call('GET', '/_alias/b-only')).status).toBe(404)
    expect(await countOf(call, 'logs')).toBe(2)
    expect((await call('PUT', '/logs-b', {})).status).toBe(200)
    expect((await call('GET', '/logs-b/_alias')).body).toEqual({ 'logs-b': { aliases: {} } })
    // The alias name is free again for an index.
    expect((await call('PUT', '/b-only', {})).status).toBe(200)
  })

  it('an index deleted while its aliases were not updated (a crash) is forgotten on the next start', async () => {
    const { call, registry } = await logsApp()
    const file = join(registry.dataDir, '_aliases.json')
    const saved = await readFile(file, 'utf8')
    await call('DELETE', '/logs-b')
    await registry.closeAll()
    await writeFile(file, saved)
    const after = await testApp({}, registry.dataDir)
    expect(await aliasesOf(after.call)).toEqual({ 'logs-a': { aliases: { logs: {} } } })
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ format: 1, aliases: { logs: { 'logs-a': {} } } })
    expect((await after.call('PUT', '/logs-b', {})).status).toBe(200)
    expect(await aliasesOf(after.call)).toEqual({ 'logs-a': { aliases: { logs: {} } }, 'logs-b': { aliases: {} } })
  })

  it('a corrupt alias file is a 500 naming it (not its path) for what needs the aliases; requests naming indexes still work', async () => {
    const { registry } = await logsApp()
    await registry.closeAll()
    await writeFile(join(registry.dataDir, '_aliases.json'), '{"format": 1, "aliases": [')
    const after = await testApp({}, registry.dataDir)
    const answer = await after.call('GET', '/_alias')
    expect(answer).toMatchObject({ status: 500, body: { error: { type: 'lsr_data_corruption_exception', reason: expect.stringMatching(/^<data>\/_aliases\.json is not valid JSON/) } } })
    expect((await after.call('GET', '/logs/_count')).status).toBe(500)
    expect(await countOf(after.call, 'logs-a,logs-b')).toBe(3)
    expect((await after.call('PUT', '/logs-a/_doc/a3', { text: 'still writable' })).status).toBe(201)
  })
})

describe('auto-create', () => {
  it('the first _doc, _create, _bulk item or upserting _update to a missing index creates it with dynamic mapping', async () => {
    const { call } = await testApp()
    expect(await call('PUT', '/books/_doc/1', { title: 'Dune', year: 1965 })).toMatchObject({ status: 201, body: { _index: 'books', result: 'created' } })
    expect((await call('GET', '/books/_mapping')).body.books.mappings.properties).toMatchObject({ title: { type: 'text' }, year: { type: 'long' } })
    expect((await call('POST', '/notes/_doc', { text: 'x' })).status).toBe(201)
    expect((await call('PUT', '/drafts/_create/1', { text: 'x' })).status).toBe(201)
    expect((await call('POST', '/upserted/_update/1', { doc: { a: 1 }, doc_as_upsert: true })).body.result).toBe('created')
    expect((await call('POST', '/upserted2/_update/1', { doc: { a: 1 }, upsert: { a: 0 } })).body.result).toBe('created')
    const bulk = await call('POST', '/_bulk', bulkOf([
      { index: { _index: 'from-bulk', _id: '1' } }, { text: 'x' },
      { update: { _index: 'from-bulk-upsert', _id: '1' } }, { doc: { a: 1 }, doc_as_upsert: true },
    ]), ndjson)
    expect(bulk.body.items.map((item: Record<string, { status: number }>) => Object.values(item)[0].status)).toEqual([201, 201])
    expect((await call('POST', '/pathed/_bulk', bulkOf([{ create: { _id: '1' } }, { text: 'x' }]), ndjson)).body.errors).toBe(false)
    const names = (await call('GET', '/_cat/indices?format=json')).body.map((row: { index: string }) => row.index).sort()
    expect(names).toEqual(['books', 'drafts', 'from-bulk', 'from-bulk-upsert', 'notes', 'pathed', 'upserted', 'upserted2'])
  })

  it('reads, deletes, updates without an upsert and malformed writes create nothing', async () => {
    const { call } = await testApp()
    expect((await call('GET', '/nope/_doc/1')).status).toBe(404)
    expect((await call('POST', '/nope/_search', {})).status).toBe(404)
    expect((await call('DELETE', '/nope/_doc/1')).body.error.type).toBe('index_not_found_exception')
    expect((await call('POST', '/nope/_update/1', { doc: { a: 1 } })).body.error.type).toBe('index_not_found_exception')
    expect((await call('PUT', '/nope/_doc/1', '{"not json')).body.error.type).toBe('parsing_exception')
    expect((await call('PUT', '/nope/_doc/1', '[1, 2]')).body.error).toMatchObject({ type: 'parsing_exception', reason: 'request body must be a JSON object' })
    expect((await call('POST', '/nope/_doc', '')).body.error).toMatchObject({ type: 'parse_exception', reason: 'request body is required' })
    expect((await call('PUT', '/Nope/_doc/1', { a: 1 })).body.error.type).toBe('invalid_index_name_exception')
    const bulk = await call('POST', '/_bulk', bulkOf([
      { delete: { _index: 'nope', _id: '1' } },
      { update: { _index: 'nope', _id: '1' } }, { doc: { a: 1 } },
    ]), ndjson)
    expect(bulk.body.items.map((item: Record<string, { status: number }>) => Object.values(item)[0].status)).toEqual([404, 404])
    expect((await call('GET', '/_cat/indices?format=json')).body).toEqual([])
    // A delete before an index action of the same bulk finds the index the bulk creates (as Elasticsearch).
    const mixed = await call('POST', '/_bulk', bulkOf([{ delete: { _index: 'later', _id: '1' } }, { index: { _index: 'later', _id: '2' } }, { a: 1 }]), ndjson)
    expect(mixed.body.items.map((item: Record<string, { status: number }>) => Object.values(item)[0].status)).toEqual([404, 201])
    expect((await call('HEAD', '/later')).status).toBe(200)
  })

  it('autoCreateIndex: false (lsr serve --no-auto-create) keeps writes to a missing index a 404', async () => {
    const { call } = await testApp({ autoCreateIndex: false })
    expect((await call('PUT', '/nope/_doc/1', { a: 1 })).body.error.type).toBe('index_not_found_exception')
    const bulk = await call('POST', '/_bulk', bulkOf([{ index: { _index: 'nope', _id: '1' } }, { a: 1 }]), ndjson)
    expect(bulk.body.items[0].index.status).toBe(404)
    expect((await call('GET', '/_cat/indices?format=json')).body).toEqual([])
  })

  it('a write to a name that is an alias goes through the alias, never creating an index of that name', async () => {
    const { call } = await logsApp()
    expect((await call('PUT', '/logs/_doc/1', { a: 1 })).status).toBe(400)
    expect((await call('HEAD', '/logs')).status).toBe(200)
    expect((await call('GET', '/_cat/indices?format=json')).body.map((row: { index: string }) => row.index).sort()).toEqual(['logs-a', 'logs-b'])
  })

  it('40 concurrent first writes (documents and bulks) to one missing index create it once and keep every document', async () => {
    const { call, registry } = await testApp()
    const writes = Array.from({ length: 40 }, (_, i) => (i % 2 === 0
      ? call('PUT', `/fresh/_doc/d${i}`, { text: `document ${i}` })
      : call('POST', '/_bulk', bulkOf([{ index: { _index: 'fresh', _id: `d${i}` } }, { text: `document ${i}` }]), ndjson)))
    const answers = await Promise.all(writes)
    expect(answers.map((answer, i) => (i % 2 === 0 ? answer.status : answer.body.items[0].index.status))).toEqual(Array(40).fill(201))
    expect(await countOf(call, 'fresh')).toBe(40)
    expect(await registry.names()).toEqual(['fresh'])
  })

  it('an index creation and an alias of the same name racing: exactly one wins, and the name is never both', async () => {
    for (let round = 0; round < 10; round++) {
      const { call } = await testApp()
      await call('PUT', '/base', {})
      const [index, alias] = await Promise.all([
        round % 2 === 0 ? call('PUT', '/race', {}) : call('PUT', '/race/_doc/1', { a: 1 }),
        call('POST', '/_aliases', { actions: [{ add: { index: 'base', alias: 'race' } }] }),
      ])
      expect([index.status < 300, alias.status === 200].filter(Boolean)).toHaveLength(1)
      const isIndex = (await call('GET', '/_cat/indices?format=json')).body.some((row: { index: string }) => row.index === 'race')
      const isAlias = (await call('GET', '/_alias/race')).status === 200
      expect([isIndex, isAlias].filter(Boolean)).toHaveLength(1)
    }
  })
})

describe('aliases over a real port', () => {
  it('survive a restart of the server', async () => {
    const dataDir = await tempDir()
    const first = await startServer({ dataDir, port: 0 })
    await send(`${first.url}/v1`, 'PUT', { aliases: { current: {} } })
    await send(`${first.url}/v1/_doc/1`, 'PUT', { text: 'kept' })
    await send(`${first.url}/v2`, 'PUT', {})
    await send(`${first.url}/_aliases`, 'POST', { actions: [{ add: { index: 'v2', alias: 'all' } }, { add: { index: 'v1', alias: 'all', is_write_index: true } }] })
    await first.close()

    const second = await startServer({ dataDir, port: 0 })
    try {
      expect((await send(`${second.url}/_alias`, 'GET')).body).toEqual({ v1: { aliases: { all: { is_write_index: true }, current: {} } }, v2: { aliases: { all: {} } } })
      expect((await send(`${second.url}/current/_doc/1`, 'GET')).body._source).toEqual({ text: 'kept' })
      expect((await send(`${second.url}/all/_doc/2`, 'PUT', { text: 'via the write index' })).status).toBe(201)
      expect((await send(`${second.url}/v1/_doc/2`, 'GET')).body.found).toBe(true)
      expect((await send(`${second.url}/all/_count`, 'GET')).body.count).toBe(2)
    } finally {
      await second.close()
    }
  })

  it('with the OpenSearch JS client: putAlias, getAlias, existsAlias, updateAliases, cat.aliases, deleteAlias, search and index through an alias', async () => {
    const server = await portServer()
    const client = new Client({ node: server.url })
    try {
      await client.indices.create({ index: 'movies-1' })
      await client.indices.create({ index: 'movies-2' })
      expect((await client.indices.putAlias({ index: 'movies-1', name: 'movies', body: { is_write_index: true } })).body).toEqual({ acknowledged: true })
      await client.indices.updateAliases({ body: { actions: [{ add: { index: 'movies-2', alias: 'movies' } }, { add: { index: 'movies-2', alias: 'old-movies' } }] } })
      expect((await client.indices.existsAlias({ name: 'movies' })).body).toBe(true)
      expect((await client.indices.existsAlias({ name: 'series' })).body).toBe(false)
      expect((await client.indices.getAlias({ name: 'movies' })).body).toEqual({ 'movies-1': { aliases: { movies: { is_write_index: true } } }, 'movies-2': { aliases: { movies: {} } } })
      expect((await client.indices.getAlias({ index: 'movies-2' })).body).toEqual({ 'movies-2': { aliases: { movies: {}, 'old-movies': {} } } })

      await client.index({ index: 'movies', id: '1', body: { title: 'Alien' }, refresh: true })
      await client.index({ index: 'old-movies', id: '2', body: { title: 'Aliens' }, refresh: true })
      const found = await client.search({ index: 'movies', body: { query: { match: { title: 'alien aliens' } } } })
      expect(found.body.hits.hits.map((hit) => `${hit._index}/${hit._id}`).sort()).toEqual(['movies-1/1', 'movies-2/2'])
      expect((await client.count({ index: 'mov*' })).body.count).toBe(2)
      expect((await client.cat.aliases({ format: 'json', name: 'movies' })).body).toEqual([
        { alias: 'movies', index: 'movies-1', filter: '-', 'routing.index': '-', 'routing.search': '-', is_write_index: 'true' },
        { alias: 'movies', index: 'movies-2', filter: '-', 'routing.index': '-', 'routing.search': '-', is_write_index: '-' },
      ])

      expect((await client.indices.deleteAlias({ index: 'movies-2', name: 'old-movies' })).body).toEqual({ acknowledged: true })
      await expect(client.indices.getAlias({ name: 'old-movies' })).rejects.toMatchObject({ meta: { statusCode: 404 } })
      await expect(client.indices.putAlias({ index: 'movies-1', name: 'movies-2' })).rejects.toMatchObject({ meta: { statusCode: 400, body: { error: { type: 'invalid_alias_name_exception' } } } })
      // Auto-create through the client: an index call to a missing index.
      expect((await client.index({ index: 'shows', id: '1', body: { title: 'Dark' } })).body).toMatchObject({ _index: 'shows', result: 'created' })
    } finally {
      await client.close()
      await server.close()
    }
  })
})

describe('lsr serve --no-auto-create', () => {
  it('answers a write to a missing index with a 404; without the flag the write creates it', async () => {
    const { LSR } = await import('../cli/lsr.js') // builds dist/ when it is stale
    const data = await tempDir()
    for (const [flags, status] of [[['--no-auto-create'], 404], [[], 201]] as const) {
      const child = spawn(process.execPath, [LSR, 'serve', '--port', '0', '--data', data, ...flags], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
      const exited = once(child, 'exit')
      for (let waited = 0; !/ at (http:\S+) /.test(stdout); waited += 20) {
        if (child.exitCode !== null || waited > 20_000) throw new Error('lsr serve did not start')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const url = / at (http:\S+) /.exec(stdout)![1]
      expect((await send(`${url}/fresh/_doc/1`, 'PUT', { a: 1 })).status).toBe(status)
      child.kill('SIGTERM')
      await exited
    }
  })
})
