import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { send } from './helpers.js'

describe('URL parameters and GET bodies over a real port', () => {
  let server: RunningServer
  let base: string
  let dataDir: string

  beforeAll(async () => {
    // Its own folder: tempDir() folders are removed after each test, this one serves them all.
    dataDir = await mkdtemp(join(tmpdir(), 'lsr-url-params-'))
    server = await startServer({ dataDir, port: 0 })
    base = server.url
    await send(`${base}/fruit`, 'PUT', {})
    for (const [id, text] of [['1', 'apple pie'], ['2', 'banana split'], ['3', 'banana bread and apple']]) await send(`${base}/fruit/_doc/${id}`, 'PUT', { text })
  })
  afterAll(async () => {
    await server.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('GET _search and _count read their JSON body (they ran as match_all)', async () => {
    const query = { query: { match: { text: 'banana' } } }
    const searched = await send(`${base}/fruit/_search`, 'GET', query)
    expect(searched.body.hits.hits.map((h: { _id: string }) => h._id).sort()).toEqual(['2', '3'])
    expect((await send(`${base}/_search`, 'GET', query)).body.hits.total.value).toBe(2)
    expect((await send(`${base}/fruit/_count`, 'GET', query)).body.count).toBe(2)
    expect((await send(`${base}/_count`, 'GET', query)).body.count).toBe(2)
    expect((await send(`${base}/fruit/_search`, 'GET', { query: { bogus: {} } })).status).toBe(400)
  })

  it('URL size, from, _source, sort, explain and rest_total_hits_as_int apply to POST as to GET', async () => {
    const body = { query: { match: { text: 'banana apple' } } }
    const all = (await send(`${base}/fruit/_search`, 'POST', body)).body.hits.hits
    const page = (await send(`${base}/fruit/_search?size=1&from=1&_source=false&explain=true`, 'POST', body)).body.hits
    expect(page.hits).toHaveLength(1)
    expect(page.hits[0]._id).toBe(all[1]._id)
    expect(page.hits[0]._source).toBeUndefined()
    expect(page.hits[0]._explanation.value).toBeCloseTo(page.hits[0]._score, 12)
    expect((await send(`${base}/fruit/_search?size=1`, 'POST', { ...body, size: 3 })).body.hits.hits).toHaveLength(1)
    const included = (await send(`${base}/fruit/_search?_source_includes=text`, 'POST', body)).body.hits.hits[0]
    expect(Object.keys(included._source)).toEqual(['text'])
    expect((await send(`${base}/fruit/_search?sort=_score:desc`, 'POST', body)).status).toBe(200)
    const ascending = (await send(`${base}/fruit/_search?sort=_score:asc`, 'POST', body)).body.hits.hits
    expect(ascending.map((h: { _score: number }) => h._score)).toEqual(all.map((h: { _score: number }) => h._score).reverse())
    expect((await send(`${base}/fruit/_search?sort=_score:sideways`, 'POST', body)).body.error.reason).toMatch(/order of \[_score\] must be "asc" or "desc"/)
    expect((await send(`${base}/fruit/_search?rest_total_hits_as_int=true`, 'POST', body)).body.hits.total).toBe(3)
    expect((await send(`${base}/fruit/_search?q=banana`, 'GET')).body.hits.total.value).toBe(2)
    expect((await send(`${base}/fruit/_search?size=ten`, 'POST', body)).body.error.reason).toMatch(/\[size\] must be a non-negative integer/)
  })

  it('a URL parameter lsr does not honour is a 400 naming it, never ignored', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/fruit/_search?foo=1', {}],
      ['POST', '/fruit/_search?ignore_unavailable=true', {}],
      ['PUT', '/fruit/_doc/1?require_data_stream=true', { text: 'data stream write' }],
      ['DELETE', '/fruit/_doc/1?parent=3', undefined],
      ['GET', '/fruit/_doc/1?stored_fields=text', undefined],
      ['GET', '/_cat/indices?time=ms', undefined],
    ]
    for (const [method, path, body] of cases) {
      const response = await send(`${base}${path}`, method, body)
      const name = path.slice(path.indexOf('?') + 1).split('=')[0]
      expect(response.status, path).toBe(400)
      expect(response.body.error.reason, path).toBe(`request [${path.slice(0, path.indexOf('?'))}] contains unrecognized parameter: [${name}]`)
    }
    expect((await send(`${base}/fruit/_doc/1`, 'GET')).body._source).toEqual({ text: 'apple pie' })
    // Formatting flags and parameters without effect on one node are taken.
    expect((await send(`${base}/fruit/_search?pretty&routing=x&preference=_local&timeout=1s`, 'POST', {})).status).toBe(200)
  })

  it('the official client sends size, from and _source in the URL: they are honoured', async () => {
    const client = new Client({ node: base })
    const { body } = await client.search({ index: 'fruit', size: 1, from: 0, _source: ['text'], body: { query: { match: { text: 'banana' } } } })
    expect(body.hits.hits).toHaveLength(1)
    expect(body.hits.total).toEqual({ value: 2, relation: 'eq' })
    await client.close()
  })

  it('_cat/indices?v prints a header line', async () => {
    const text = await (await fetch(`${base}/_cat/indices?v`)).text()
    expect(text.split('\n')[0]).toBe('health status index pri rep docs.count docs.deleted store.size')
    // Columns padded to the header, numbers to the right; the size human-readable (cat.ts).
    expect(text.split('\n')[1]).toMatch(/^green  open   fruit   1   0          3            0 +\d+(\.\d)?[kmg]?b$/)
  })
})
