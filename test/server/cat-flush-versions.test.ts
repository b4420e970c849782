/**
 * Issue 12's remaining REST pieces: `_cat/count` and `_cat/health`, `h`/`s`/`bytes` on every
 * `_cat` table, `_flush`, `version` on a get and per `_mget` document (Elasticsearch's realtime
 * get: a 409 when the document is at another version), and the concrete index in `_bulk` items
 * and `_mget` documents written or read through an alias.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { Client as Client8 } from 'es8'
import { describe, expect, it } from 'vitest'
import { humanBytes } from '../../src/server/cat.js'
import { portServer, testApp } from './helpers.js'

const ndjson = { 'content-type': 'application/x-ndjson' }
const bulkOf = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

/** Indexes `b` (2 documents) and `a` (3, one of them deleted, so 2 live), the alias `al` of `a`. */
async function twoIndexes() {
  const app = await testApp()
  const { call } = app
  const bulk = await call('POST', '/_bulk', bulkOf([
    { index: { _index: 'b', _id: '1' } }, { text: 'one' },
    { index: { _index: 'b', _id: '2' } }, { text: 'two' },
    { index: { _index: 'a', _id: '1' } }, { text: 'uno' },
    { index: { _index: 'a', _id: '2' } }, { text: 'dos' },
    { index: { _index: 'a', _id: '3' } }, { text: 'tres' },
    { delete: { _index: 'a', _id: '3' } },
  ]), ndjson)
  expect(bulk.body.errors).toBe(false)
  expect((await call('POST', '/_aliases', { actions: [{ add: { index: 'a', alias: 'al' } }] })).status).toBe(200)
  return app
}

describe('_cat tables', () => {
  it('humanBytes prints sizes as Elasticsearch ByteSizeValue does (one decimal cut, .0 dropped)', () => {
    expect([0, 500, 1023, 1024, 1536, 4607, 1048575, 1048576, 5 * 1024 ** 3 + 1].map(humanBytes)).toEqual(['0b', '500b', '1023b', '1kb', '1.5kb', '4.4kb', '1023.9kb', '1mb', '5gb'])
  })

  it('_cat/count counts the live documents of all indexes, an index or an alias; v, h, ts=false and format=json', async () => {
    const { call } = await twoIndexes()
    const line = (await call('GET', '/_cat/count')).body as string
    expect(line).toMatch(/^\d{10} \d\d:\d\d:\d\d 4\n$/)
    const epoch = Number(line.slice(0, 10))
    expect(Math.abs(epoch - Date.now() / 1000)).toBeLessThan(60)
    expect((await call('GET', '/_cat/count/a')).body).toMatch(/ 2\n$/)
    expect((await call('GET', '/_cat/count/al?h=count&v')).body).toBe('count\n    2\n')
    expect((await call('GET', '/_cat/count/a,b?v&ts=false')).body).toBe('count\n    4\n')
    const json = (await call('GET', '/_cat/count/b?format=json')).body
    expect(json).toEqual([{ epoch: expect.stringMatching(/^\d{10}$/), timestamp: expect.stringMatching(/^\d\d:\d\d:\d\d$/), count: '2' }])
    expect((await call('GET', '/_cat/count/missing')).status).toBe(404)
  })

  it('_cat/health: one green node, a shard per index; v prints the padded header', async () => {
    const { call } = await twoIndexes()
    const text = (await call('GET', '/_cat/health?v&ts=false')).body as string
    expect(text).toBe([
      'cluster status node.total node.data shards pri relo init unassign pending_tasks max_task_wait_time active_shards_percent',
      'lsr     green           1         1      2   2    0    0        0             0 -                  100.0%',
      '',
    ].join('\n'))
    expect((await call('GET', '/_cat/health?format=json&h=status,shards,asp')).body).toEqual([{ status: 'green', shards: '2', active_shards_percent: '100.0%' }])
  })

  it('h picks columns by name, alias or wildcard; s sorts (numbers as numbers, :desc); bytes sets the unit', async () => {
    const { call } = await twoIndexes()
    expect((await call('GET', '/_cat/indices?h=index,dc')).body).toBe('a 2\nb 2\n')
    expect((await call('GET', '/_cat/indices?h=i,docs.deleted&s=dd:desc')).body).toBe('a 1\nb 0\n')
    expect((await call('GET', '/_cat/indices?h=index&s=index:desc')).body).toBe('b\na\n')
    expect((await call('GET', '/_cat/indices?format=json&h=docs*')).body).toEqual([{ 'docs.count': '2', 'docs.deleted': '1' }, { 'docs.count': '2', 'docs.deleted': '0' }])
    const sizes = (await call('GET', '/_cat/indices?format=json&h=index,store.size&bytes=b')).body as Array<Record<string, string>>
    const bytes = Number(sizes[0]['store.size'])
    expect(bytes).toBeGreaterThan(0)
    const kb = (await call('GET', '/_cat/indices?format=json&h=index,ss&bytes=kb')).body[0]['store.size']
    expect(kb).toBe(String(Math.floor(bytes / 1024)))
    // Without bytes, human sizes.
    expect((await call('GET', '/_cat/indices?format=json&h=store.size')).body[0]['store.size']).toBe(humanBytes(bytes))
    const bigFirst = (await call('GET', '/_cat/indices?h=index,store.size&bytes=b&s=store.size:desc')).body as string
    const bySize = [...sizes].sort((x, y) => Number(y['store.size']) - Number(x['store.size'])).map((row) => row.index)
    expect(bigFirst.trim().split('\n').map((row) => row.split(' ')[0])).toEqual(bySize)
    expect((await call('GET', '/_cat/aliases?h=alias,index&v')).body).toBe('alias index\nal    a\n')
  })

  it('_cat/indices/{index} lists an index expression\'s indexes: names, patterns, aliases; a missing name is a 404', async () => {
    const { call } = await twoIndexes()
    const listed = async (expression: string) => (await call('GET', `/_cat/indices/${expression}?format=json&h=index`)).body.map((row: { index: string }) => row.index)
    expect(await listed('b')).toEqual(['b'])
    expect(await listed('a*,b')).toEqual(['a', 'b'])
    expect(await listed('al')).toEqual(['a'])
    expect(await listed('z*')).toEqual([])
    expect((await call('GET', '/_cat/indices/missing')).status).toBe(404)
  })

  it('_cat/indices/{pattern} lists a broken index the pattern matches, red', async () => {
    const { call, registry } = await testApp()
    await call('PUT', '/half-good', {})
    await registry.closeAll()
    // A folder without CURRENT (LevelDB files, but never completed).
    await mkdir(join(registry.dataDir, 'half-broken'))
    await writeFile(join(registry.dataDir, 'half-broken', 'LOG'), '')
    const restarted = await testApp({}, registry.dataDir)
    expect((await restarted.call('GET', '/_cat/indices/half*?h=index,health')).body).toBe('half-broken red\nhalf-good   green\n')
    expect((await restarted.call('GET', '/_cat/health?h=status,shards,unassign,active_shards_percent')).body).toBe('red 1 1 50.0%\n')
  })

  it('an unknown column in h or s, a bad sort order, bytes or format is a 400 naming it', async () => {
    const { call } = await twoIndexes()
    const cases: Array<[string, string]> = [
      ['/_cat/indices?h=index,nope,zz*', '[h] names unknown columns [nope, zz*] (columns: health, status, index, pri, rep, docs.count, docs.deleted, store.size, pri.store.size, reason)'],
      ['/_cat/count?h=size', '[h] names unknown column [size] (columns: epoch, timestamp, count)'],
      ['/_cat/health?s=colour', 'Unable to sort by unknown sort key `colour` (columns: epoch, timestamp, cluster, status, node.total, node.data, shards, pri, relo, init, unassign, pending_tasks, max_task_wait_time, active_shards_percent)'],
      ['/_cat/aliases?s=alias:up', '[s] sort key [alias:up] must be a column, optionally followed by :asc or :desc'],
      ['/_cat/indices?bytes=kib', '[bytes] must be one of b, k, kb, m, mb, g, gb, t, tb, p, pb, got [kib]'],
      ['/_cat/count?format=yaml', '[format] must be text or json, got [yaml]'],
      ['/_cat/health?v=yes', '[v] must be true or false, got [yes]'],
    ]
    for (const [path, reason] of cases) {
      const answer = await call('GET', path)
      expect({ path, status: answer.status, reason: answer.body.error?.reason }).toEqual({ path, status: 400, reason })
    }
  })
})

describe('_flush', () => {
  it('answers Elasticsearch shape, a shard per index, for all, one, an alias; a missing index is a 404', async () => {
    const { call } = await twoIndexes()
    expect(await call('POST', '/_flush')).toMatchObject({ status: 200, body: { _shards: { total: 2, successful: 2, failed: 0 } } })
    expect((await call('GET', '/a/_flush?force=true&wait_if_ongoing=false')).body).toEqual({ _shards: { total: 1, successful: 1, failed: 0 } })
    expect((await call('POST', '/al/_flush')).body).toEqual({ _shards: { total: 1, successful: 1, failed: 0 } })
    expect((await call('POST', '/missing/_flush')).status).toBe(404)
    expect((await call('POST', '/a/_flush?force=maybe')).body.error.reason).toBe('[force] must be true or false, got [maybe]')
  })
})

describe('version on get and _mget (realtime get)', () => {
  const reason = (id: string, current: number, given: number) => `[${id}]: version conflict, current version [${current}] is different than the one provided [${given}]`

  it('GET _doc and _source with the current version answer the document; another is a 409; a missing document is a 404', async () => {
    const { call } = await twoIndexes()
    expect((await call('PUT', '/a/_doc/1', { text: 'uno bis' })).body._version).toBe(2)
    expect(await call('GET', '/a/_doc/1?version=2')).toMatchObject({ status: 200, body: { _version: 2, found: true, _source: { text: 'uno bis' } } })
    const stale = await call('GET', '/a/_doc/1?version=1')
    expect(stale.status).toBe(409)
    expect(stale.body.error).toEqual({ root_cause: [{ type: 'version_conflict_engine_exception', reason: reason('1', 2, 1) }], type: 'version_conflict_engine_exception', reason: reason('1', 2, 1) })
    expect((await call('GET', '/a/_doc/1?version=3&version_type=external')).body.error.reason).toBe(reason('1', 2, 3))
    expect((await call('HEAD', '/a/_doc/1?version=1')).status).toBe(409)
    expect((await call('GET', '/a/_source/1?version=2')).body).toEqual({ text: 'uno bis' })
    expect((await call('GET', '/a/_source/1?version=5')).status).toBe(409)
    expect((await call('GET', '/a/_doc/nope?version=1')).status).toBe(404)
    // Through an alias, the same document.
    expect((await call('GET', '/al/_doc/1?version=2')).body._index).toBe('a')
  })

  it('a version that is no long, below 1 (internal) or below 0 (external), or an unknown version_type is a 400', async () => {
    const { call } = await twoIndexes()
    const cases: Array<[string, string]> = [
      ['?version=x', 'Failed to parse long parameter [version] with value [x]'],
      ['?version=0', 'Validation Failed: 1: illegal version value [0] for version type [INTERNAL];'],
      ['?version=-1&version_type=external', 'Validation Failed: 1: illegal version value [-1] for version type [EXTERNAL];'],
      ['?version=1&version_type=sideways', 'No version type match [sideways]'],
    ]
    for (const [query, message] of cases) expect((await call('GET', `/a/_doc/1${query}`)).body.error.reason, query).toBe(message)
    expect((await call('GET', '/a/_doc/1?version=0&version_type=external_gte')).status).toBe(409)
  })

  it('_mget: a document at its version is found, one at another answers its 409 error, the others are unaffected', async () => {
    const { call } = await twoIndexes()
    await call('PUT', '/b/_doc/2', { text: 'two bis' })
    const answer = await call('POST', '/_mget', { docs: [
      { _index: 'b', _id: '1', version: 1 }, { _index: 'b', _id: '2', version: 1 }, { _index: 'b', _id: '2', version: '2', version_type: 'external' }, { _index: 'b', _id: 'x', version: 4 },
    ] })
    expect(answer.status).toBe(200)
    expect(answer.body.docs).toEqual([
      { _index: 'b', _id: '1', _version: 1, _seq_no: 0, _primary_term: 1, found: true, _source: { text: 'one' } },
      { _index: 'b', _id: '2', error: { root_cause: [{ type: 'version_conflict_engine_exception', reason: reason('2', 2, 1) }], type: 'version_conflict_engine_exception', reason: reason('2', 2, 1) } },
      { _index: 'b', _id: '2', _version: 2, _seq_no: 2, _primary_term: 1, found: true, _source: { text: 'two bis' } },
      { _index: 'b', _id: 'x', found: false },
    ])
    expect((await call('POST', '/b/_mget', { docs: [{ _id: '1', version: 0 }] })).body.error.reason).toBe('Validation Failed: 1: illegal version value [0] for version type [INTERNAL];')
  })
})

describe('_bulk and _mget through an alias name the concrete index', () => {
  it('items written and documents read through the alias answer _index: the index', async () => {
    const { call } = await twoIndexes()
    const bulk = await call('POST', '/al/_bulk', bulkOf([
      { index: { _id: '7' } }, { text: 'siete' },
      { create: { _index: 'al', _id: '8' } }, { text: 'ocho' },
      { update: { _id: '7' } }, { doc: { n: 7 } },
      { delete: { _index: 'al', _id: '8' } },
      { index: { _index: 'b', _id: '9' } }, { text: 'nine' },
    ]), ndjson)
    expect(bulk.body.items.map((item: Record<string, { _index: string; status: number }>) => Object.entries(item).map(([action, { _index, status }]) => `${action} ${_index} ${status}`)[0]))
      .toEqual(['index a 201', 'create a 201', 'update a 200', 'delete a 200', 'index b 201'])
    const mget = await call('POST', '/_mget', { docs: [{ _index: 'al', _id: '7' }, { _index: 'al', _id: 'none' }, { _index: 'b', _id: '9' }] })
    expect(mget.body.docs.map((doc: { _index: string; found: boolean }) => [doc._index, doc.found])).toEqual([['a', true], ['a', false], ['b', true]])
    expect((await call('POST', '/al/_mget', { ids: ['1'] })).body.docs[0]).toMatchObject({ _index: 'a', _id: '1', found: true })
    // An index that cannot be opened keeps the name asked for.
    expect((await call('POST', '/_mget', { docs: [{ _index: 'gone', _id: '1' }] })).body.docs[0]).toMatchObject({ _index: 'gone', error: { type: 'index_not_found_exception' } })
  })
})

describe('the OpenSearch client over a real port: cat, flush, analyze, get with version', () => {
  it('cat.count, cat.health, cat.indices (h, s, bytes), indices.flush, indices.analyze, get with version', async () => {
    const server = await portServer()
    const client = new Client({ node: server.url })
    try {
      await client.indices.create({ index: 'books', body: { mappings: { properties: { title: { type: 'text' }, tag: { type: 'keyword' } } } } })
      await client.index({ index: 'books', id: '1', body: { title: 'Pride and Prejudice', tag: 'novel' } })
      await client.index({ index: 'books', id: '1', body: { title: 'Pride and Prejudice', tag: 'classic' } })
      expect((await client.cat.count({ index: 'books', format: 'json' })).body).toEqual([expect.objectContaining({ count: '1' })])
      expect((await client.cat.health({ format: 'json', h: ['status', 'shards'] })).body).toEqual([{ status: 'green', shards: '1' }])
      const indices = (await client.cat.indices({ format: 'json', h: ['index', 'docs.count', 'store.size'], s: ['index:desc'], bytes: 'b' })).body
      expect(indices).toEqual([{ index: 'books', 'docs.count': '1', 'store.size': expect.stringMatching(/^\d+$/) }])
      expect((await client.indices.flush({ index: 'books' })).body).toEqual({ _shards: { total: 1, successful: 1, failed: 0 } })
      const analyzed = (await client.indices.analyze({ index: 'books', body: { field: 'title', text: 'Pride and Prejudice' } })).body
      expect((analyzed.tokens ?? []).map((t: { token: string; start_offset: number; end_offset: number }) => [t.token, t.start_offset, t.end_offset])).toEqual([['pride', 0, 5], ['and', 6, 9], ['prejudice', 10, 19]])
      expect((await client.get({ index: 'books', id: '1', version: 2 })).body._source).toEqual({ title: 'Pride and Prejudice', tag: 'classic' })
      const stale = await client.get({ index: 'books', id: '1', version: 1 }).catch((error: { meta: { statusCode: number; body: { error: { type: string } } } }) => error.meta)
      expect(stale).toMatchObject({ statusCode: 409, body: { error: { type: 'version_conflict_engine_exception' } } })
    } finally {
      await client.close()
      await server.close()
    }
  })
})

describe('the Elasticsearch 8.x client with --compat elasticsearch: cat, flush, analyze, mget with versions', () => {
  it('cat.count, cat.health, cat.indices, indices.flush, indices.analyze, get and mget with version', async () => {
    const server = await portServer({ compat: 'elasticsearch' })
    const client = new Client8({ node: server.url })
    try {
      await client.index({ index: 'shelf', id: '1', document: { title: 'Emma' }, refresh: true })
      expect(await client.cat.count({ index: 'shelf', format: 'json' })).toEqual([expect.objectContaining({ count: '1' })])
      expect(await client.cat.health({ format: 'json', h: ['status'] })).toEqual([{ status: 'green' }])
      expect(await client.cat.indices({ format: 'json', h: ['index', 'docs.count'], bytes: 'b' })).toEqual([{ index: 'shelf', 'docs.count': '1' }])
      expect(await client.indices.flush({ index: 'shelf' })).toEqual({ _shards: { total: 1, successful: 1, failed: 0 } })
      const analyzed = await client.indices.analyze({ analyzer: 'standard', text: ['Is this', 'déjà vu?'] })
      expect(analyzed.tokens?.map(({ token, start_offset: start, end_offset: end, position }) => [token, start, end, position])).toEqual([['is', 0, 2, 0], ['this', 3, 7, 1], ['déjà', 8, 12, 2], ['vu', 13, 15, 3]])
      expect((await client.get({ index: 'shelf', id: '1', version: 1 }))._source).toEqual({ title: 'Emma' })
      const mget = await client.mget({ docs: [{ _index: 'shelf', _id: '1', version: 1 }, { _index: 'shelf', _id: '1', version: 3 }] })
      expect(mget.docs.map((doc) => ('error' in doc ? doc.error.type : doc.found))).toEqual([true, 'version_conflict_engine_exception'])
    } finally {
      await client.close()
      await server.close()
    }
  })
})
