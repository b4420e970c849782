/**
 * Index lifecycle (issue 10): create, delete and open of one name are serialized; a failed create
 * leaves nothing behind; a folder that is not a complete index is reported, skipped by the
 * all-index endpoints and deletable, instead of failing every request.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testApp, type Call } from './helpers.js'

type Row = { index: string; health: string; status: string; reason?: string; 'docs.count': string | null }

const catIndices = async (call: Call): Promise<Row[]> => (await call('GET', '/_cat/indices?format=json')).body

/** An app over `dataDir` as a restarted server sees it (the old registry must be closed). */
const restart = (dataDir: string) => testApp({}, dataDir)

describe('concurrent create and delete of one name', () => {
  it('40 mixed rounds of PUT and DELETE answer 200/400 and 200/404 only, and leave a usable index', async () => {
    const { call, registry } = await testApp()
    const statuses = new Set<string>()
    for (let round = 0; round < 40; round++) {
      const requests = [
        call('PUT', '/race', {}), call('DELETE', '/race'), call('PUT', '/race', {}),
        call('PUT', '/race/_doc/1', { text: 'hello' }), call('DELETE', '/race'), call('PUT', '/race', {}),
      ]
      const answers = await Promise.all(requests)
      answers.forEach((answer, i) => {
        const method = i === 3 ? 'DOC' : i === 1 || i === 4 ? 'DELETE' : 'PUT'
        statuses.add(`${method} ${answer.status} ${answer.body?.error?.type ?? ''}`.trim())
      })
    }
    for (const status of statuses) {
      expect(['PUT 200', 'PUT 400 resource_already_exists_exception', 'DELETE 200', 'DELETE 404 index_not_found_exception', 'DOC 201', 'DOC 200', 'DOC 404 index_not_found_exception']).toContain(status)
    }
    // Whatever the last round left, the index works, and a restart sees the same.
    if ((await call('HEAD', '/race')).status === 404) expect((await call('PUT', '/race', {})).status).toBe(200)
    expect((await call('PUT', '/race/_doc/2', { text: 'still works' })).status).toBe(201)
    expect((await call('POST', '/race/_search', { query: { match: { text: 'works' } } })).body.hits.hits[0]._id).toBe('2')
    await registry.closeAll()
    const after = await restart(registry.dataDir)
    expect((await catIndices(after.call)).map((r) => [r.index, r.health])).toEqual([['race', 'green']])
    expect((await after.call('DELETE', '/race')).status).toBe(200)
    expect(await readdir(registry.dataDir)).toEqual([])
  })
})

describe('requests racing a delete of their index', () => {
  it('finish before the index closes (or get a 404 once the delete started): never a 5xx', async () => {
    // Without auto-create: a write after the delete would create the index again.
    const { call } = await testApp({ autoCreateIndex: false })
    const seen = new Set<number>()
    const bulkOf = (from: number) => Array.from({ length: 200 }, (_, i) => `{"index":{"_id":"d${from + i}"}}\n{"text":"common words ${i}"}`).join('\n') + '\n'
    for (let round = 0; round < 15; round++) {
      await call('PUT', '/busy', {})
      await call('POST', '/busy/_bulk', bulkOf(0))
      const answers = await Promise.all([
        call('POST', '/busy/_bulk', bulkOf(1000)),
        call('POST', '/busy/_search', { query: { match: { text: 'common' } }, size: 50 }),
        call('POST', '/busy/_count', {}),
        call('GET', '/busy/_doc/d1'),
        call('GET', '/_cat/indices?format=json'),
        call('POST', '/busy/_forcemerge'),
        call('DELETE', '/busy'),
        call('POST', '/_search', { query: { match: { text: 'common' } } }),
        call('PUT', '/busy/_doc/late', { text: 'late' }),
      ])
      for (const answer of answers) seen.add(answer.status)
      // The bulk either ran before the delete closed the index (all written) or found it gone (all 404).
      const items = new Set(answers[0].body.items.map((item: { index: { status: number } }) => item.index.status))
      expect([[201], [404]]).toContainEqual([...items])
      expect((await call('HEAD', '/busy')).status).toBe(404)
    }
    expect([...seen].filter((status) => status >= 500)).toEqual([])
  })
})

describe('a failed create leaves nothing behind', () => {
  it('an unknown encoder or a bad k1 is a 400, and after a restart every endpoint still works', async () => {
    const { call, registry } = await testApp()
    await call('PUT', '/good', {})
    await call('PUT', '/good/_doc/1', { text: 'hello world' })
    for (const encoder of [{ name: 'nope' }, { name: 'bm25', k1: -1 }, { name: 'vectors', field: '' }]) {
      const response = await call('PUT', '/bad', { settings: { encoder } })
      expect(response.status, JSON.stringify(encoder)).toBe(400)
    }
    expect(await readdir(registry.dataDir)).toEqual(['good'])
    await registry.closeAll()
    const { call: again } = await restart(registry.dataDir)
    expect((await catIndices(again)).map((r) => r.index)).toEqual(['good'])
    expect((await again('GET', '/_search?q=hello')).body.hits.total.value).toBe(1)
    expect((await again('DELETE', '/bad')).status).toBe(404)
    expect((await again('PUT', '/bad', {})).status).toBe(200)
  })
})

describe('broken index folders', () => {
  /** A data directory with one good index and two broken ones, as crashes and old versions leave them. */
  async function brokenDataDir(): Promise<string> {
    const { call, registry } = await testApp()
    await call('PUT', '/good', {})
    await call('PUT', '/good/_doc/1', { text: 'hello world' })
    // An interrupted create before the rename: removed at startup.
    await call('PUT', '/gone', {})
    await registry.closeAll()
    const dir = registry.dataDir
    const { rename } = await import('node:fs/promises')
    await rename(join(dir, 'gone'), join(dir, 'gone#creating-1234'))
    // A LevelDB folder without lsr metadata (what a failed create used to leave).
    const { Level } = await import('level')
    const db = new Level(join(dir, 'nometa'))
    await db.open()
    await db.close()
    // A folder without CURRENT (LevelDB files, but never completed).
    await mkdir(join(dir, 'half'))
    await writeFile(join(dir, 'half', 'LOG'), '')
    // Folders that are not indexes at all: an empty one, a models folder, a download cache.
    await mkdir(join(dir, 'empty'))
    await mkdir(join(dir, 'models', 'tiny-bert'), { recursive: true })
    await mkdir(join(dir, 'beir'))
    await writeFile(join(dir, 'beir', 'scifact.zip'), 'zip')
    await writeFile(join(dir, 'notes.txt'), 'a file')
    return dir
  }

  it('_cat/indices lists broken indexes red with a reason; leftovers of interrupted creates are deleted', async () => {
    const dir = await brokenDataDir()
    const { call } = await restart(dir)
    const rows = await catIndices(call)
    expect(rows.map((r) => [r.index, r.health, r.status])).toEqual([
      ['good', 'green', 'open'], ['half', 'red', 'open'], ['nometa', 'red', 'open'],
    ])
    for (const row of rows.filter((r) => r.health === 'red')) {
      expect(row.reason, row.index).toMatch(/\w/)
      expect(row.reason, row.index).not.toContain(dir)
      expect(row['docs.count']).toBeNull()
    }
    expect(rows.find((r) => r.index === 'good')).toMatchObject({ 'docs.count': '1' })
    expect((await readdir(dir)).sort()).toEqual(['beir', 'empty', 'good', 'half', 'models', 'nometa', 'notes.txt'])
    const text = (await call('GET', '/_cat/indices')).body as string
    expect(text.split('\n').filter((l) => l.startsWith('red '))).toHaveLength(2)
    expect((await call('GET', '/_cat/indices?format=yaml')).body.error.reason).toBe('[format] must be text or json, got [yaml]')
  })

  it('the all-index endpoints skip broken indexes; naming one is a 503 naming the index without a path', async () => {
    const dir = await brokenDataDir()
    const { call } = await restart(dir)
    expect((await call('GET', '/_search?q=hello')).body.hits.total.value).toBe(1)
    expect((await call('POST', '/_count', {})).body.count).toBe(1)
    expect((await call('POST', '/_all/_count', {})).body.count).toBe(1)
    expect((await call('POST', '/*/_search', {})).body.hits.hits.map((h: { _index: string }) => h._index)).toEqual(['good'])
    expect(Object.keys((await call('GET', '/*')).body)).toEqual(['good'])
    const health = (await call('GET', '/_cluster/health')).body
    expect(health).toMatchObject({ status: 'red', active_primary_shards: 1, unassigned_shards: 2 })
    for (const name of ['nometa', 'half']) {
      for (const [method, path] of [['POST', `/${name}/_search`], ['GET', `/${name}/_doc/1`], ['PUT', `/${name}/_doc/1`], ['GET', `/${name}`], ['POST', `/good,${name}/_search`]]) {
        const response = await call(method, path, method === 'GET' ? undefined : { text: 'x' })
        expect(response.status, `${method} ${path}`).toBe(503)
        expect(response.body.error.type).toBe('unavailable_shards_exception')
        expect(response.body.error.reason).toContain(`[${name}]`)
        expect(JSON.stringify(response.body)).not.toContain(dir)
      }
      expect((await call('PUT', `/${name}`, {})).body.error.type).toBe('resource_already_exists_exception')
    }
    expect((await call('PUT', '/models', {})).status).toBe(400)
    expect((await call('DELETE', '/models')).status).toBe(404)
    expect((await call('DELETE', '/empty')).status).toBe(404)
    // An empty folder is not an index, and can become one.
    expect((await call('PUT', '/empty', {})).status).toBe(200)
    expect((await call('PUT', '/empty/_doc/1', { text: 'x' })).status).toBe(201)
  })

  it('DELETE removes a broken index; the name can then be created again', async () => {
    const dir = await brokenDataDir()
    const { call } = await restart(dir)
    for (const name of ['nometa', 'half']) {
      expect((await call('DELETE', `/${name}`)).body, name).toEqual({ acknowledged: true })
      expect((await call('HEAD', `/${name}`)).status).toBe(404)
    }
    expect((await catIndices(call)).map((r) => [r.index, r.health])).toEqual([['good', 'green']])
    expect((await call('GET', '/_cluster/health')).body.status).toBe('green')
    expect((await call('PUT', '/nometa', {})).status).toBe(200)
    expect((await call('PUT', '/nometa/_doc/1', { text: 'x' })).status).toBe(201)
    expect((await readdir(dir)).sort()).toEqual(['beir', 'empty', 'good', 'models', 'nometa', 'notes.txt'])
  })
})
