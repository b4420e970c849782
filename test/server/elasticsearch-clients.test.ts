/**
 * The official Elasticsearch JavaScript clients, 8.x and 7.17, over a real port. With the
 * compatibility mode (`compat: 'elasticsearch'`, `lsr serve --compat elasticsearch`) they pass
 * their product check and run the document, search, scroll and multi-request APIs; without it their
 * first request is a 400 naming the flag and nothing is written, while the OpenSearch client
 * goes on as before.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { Client as OpenSearchClient } from '@opensearch-project/opensearch'
import { Client as Client7 } from 'es7'
import { Client as Client8 } from 'es8'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compatHandshake } from '../../src/server/compat.js'
import { LSR, lsr } from '../cli/lsr.js'
import { tempDir } from '../helpers.js'
import { portServer, send } from './helpers.js'

type Server = Awaited<ReturnType<typeof portServer>>

const BOOKS = [
  { title: 'Dune', genre: 'sf', year: 1965 },
  { title: 'Emma', genre: 'novel', year: 1815 },
  { title: 'Solaris', genre: 'sf', year: 1961 },
  { title: 'Ulysses', genre: 'novel', year: 1922 },
]
const MAPPINGS = { properties: { title: { type: 'text' }, genre: { type: 'keyword' }, year: { type: 'integer' } } } as const
/** Bulk operations indexing {@link BOOKS} under ids 1 to 4. */
const bulkOperations = (index: string) => BOOKS.flatMap((book, i) => [{ index: { _index: index, _id: String(i + 1) } }, book])

/** What the 8.x client sends on its own: the meta header and the vendored media types. */
const CLIENT8_HEADERS = {
  'x-elastic-client-meta': 'es=8.19.2,js=20.0.0,t=8.11.0,un=20.0.0',
  accept: 'application/vnd.elasticsearch+json; compatible-with=8,text/plain',
  'content-type': 'application/vnd.elasticsearch+json; compatible-with=8',
}

/** A request over the network with its answer's headers, and its body parsed when it is JSON. */
async function head(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, init)
  const text = await response.text()
  const json = /json/.test(response.headers.get('content-type') ?? '') && text !== ''
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text }
}

describe('the Elasticsearch 8.x client with --compat elasticsearch', () => {
  let server: Server
  let client: Client8

  beforeAll(async () => {
    server = await portServer({ compat: 'elasticsearch' })
    client = new Client8({ node: server.url })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('passes the product check: info() is Elasticsearch-shaped, the header is on every answer', async () => {
    const info = await client.info()
    expect(info).toMatchObject({ name: 'lsr', tagline: 'You Know, for Search', version: { number: '8.11.0', build_flavor: 'default' }, lsr: { compat: 'elasticsearch' } })
    expect(await client.ping()).toBe(true)
    // Errors too (the 7.17 client reads its product check's answer whatever its status).
    for (const path of ['/', '/nope/_doc/1', '/_no_such_endpoint']) {
      expect((await head(`${server.url}${path}`)).headers.get('x-elastic-product')).toBe('Elasticsearch')
    }
  })

  it('creates an index with mappings, bulk-loads, searches, gets, updates, mgets, msearches, counts and deletes', async () => {
    expect(await client.indices.create({ index: 'books', mappings: MAPPINGS })).toMatchObject({ acknowledged: true, index: 'books' })
    expect(await client.indices.exists({ index: 'books' })).toBe(true)
    expect(await client.indices.getMapping({ index: 'books' })).toEqual({ books: { mappings: MAPPINGS } })

    const bulk = await client.bulk({ operations: bulkOperations('books'), refresh: true })
    expect(bulk.errors).toBe(false)
    expect(bulk.items.map((item) => item.index?.status)).toEqual([201, 201, 201, 201])

    const found = await client.search<{ title: string }>({ index: 'books', query: { bool: { must: { match: { title: 'dune' } }, filter: { term: { genre: 'sf' } } } } })
    expect(found.hits.hits.map((hit) => hit._id)).toEqual(['1'])
    expect(found.hits.total).toEqual({ value: 1, relation: 'eq' })
    const sorted = await client.search({ index: 'books', sort: [{ year: 'asc' }], size: 2 })
    expect(sorted.hits.hits.map((hit) => hit._id)).toEqual(['2', '4'])

    expect(await client.get({ index: 'books', id: '3' })).toMatchObject({ found: true, _source: BOOKS[2] })
    await expect(client.get({ index: 'books', id: '9' })).rejects.toMatchObject({ meta: { statusCode: 404 } })

    expect(await client.update({ index: 'books', id: '3', doc: { year: 1962 }, refresh: true })).toMatchObject({ result: 'updated' })
    expect((await client.get<{ year: number }>({ index: 'books', id: '3' }))._source?.year).toBe(1962)
    expect(await client.index({ index: 'books', id: '5', document: { title: 'Kindred', genre: 'sf', year: 1979 }, refresh: true })).toMatchObject({ result: 'created' })

    const mget = await client.mget<{ title: string }>({ index: 'books', ids: ['1', '5', '9'] })
    expect(mget.docs.map((doc) => ('found' in doc ? doc.found : undefined))).toEqual([true, true, false])

    const msearch = await client.msearch({ searches: [{ index: 'books' }, { query: { term: { genre: 'novel' } } }, { index: 'books' }, { query: { match: { title: 'kindred' } } }] })
    expect(msearch.responses.map((response) => ('hits' in response ? response.hits.hits.map((hit) => hit._id).sort() : 'error'))).toEqual([['2', '4'], ['5']])

    expect((await client.count({ index: 'books' })).count).toBe(5)
    expect((await client.count({ index: 'books', query: { term: { genre: 'sf' } } })).count).toBe(3)

    expect(await client.delete({ index: 'books', id: '5', refresh: true })).toMatchObject({ result: 'deleted' })
    expect((await client.count({ index: 'books' })).count).toBe(4)
    expect(await client.indices.delete({ index: 'books' })).toEqual({ acknowledged: true })
    expect(await client.indices.exists({ index: 'books' })).toBe(false)
  })

  it('scrolls: search with scroll, scroll, clearScroll and helpers.scrollDocuments', async () => {
    await client.indices.create({ index: 'scrolled', mappings: MAPPINGS })
    await client.bulk({ operations: bulkOperations('scrolled'), refresh: true })
    const first = await client.search({ index: 'scrolled', scroll: '1m', size: 3, sort: [{ year: 'asc' }] })
    expect(first.hits.hits.map((hit) => hit._id)).toEqual(['2', '4', '3'])
    const second = await client.scroll({ scroll_id: first._scroll_id!, scroll: '1m' })
    expect(second.hits.hits.map((hit) => hit._id)).toEqual(['1'])
    expect((await client.scroll({ scroll_id: second._scroll_id!, scroll: '1m' })).hits.hits).toEqual([])
    expect(await client.clearScroll({ scroll_id: second._scroll_id! })).toMatchObject({ succeeded: true, num_freed: 1 })
    await expect(client.scroll({ scroll_id: second._scroll_id! })).rejects.toMatchObject({ meta: { statusCode: 404 } })
    const titles: string[] = []
    for await (const doc of client.helpers.scrollDocuments<{ title: string }>({ index: 'scrolled', size: 1, query: { match_all: {} } })) titles.push(doc.title)
    expect(titles.sort()).toEqual(BOOKS.map((book) => book.title).sort())
  })

  it('helpers.bulk (its own meta header) loads and refreshes', async () => {
    await client.indices.create({ index: 'helped', mappings: MAPPINGS })
    const stats = await client.helpers.bulk({ datasource: BOOKS, onDocument: (doc) => ({ index: { _index: 'helped', _id: String(BOOKS.indexOf(doc) + 1) } }), refreshOnCompletion: true })
    expect(stats).toMatchObject({ total: 4, successful: 4, failed: 0, aborted: false })
    expect((await client.count({ index: 'helped' })).count).toBe(4)
  })

  it('reports errors as ResponseErrors with the status and reason', async () => {
    await expect(client.indices.create({ index: 'Bad' })).rejects.toMatchObject({ meta: { statusCode: 400 } })
    await expect(client.search({ index: 'missing' })).rejects.toMatchObject({ meta: { statusCode: 404, body: { error: { type: 'index_not_found_exception' } } } })
  })

  it('reads the vendored JSON and NDJSON media types and answers JSON in the vendored type asked for', async () => {
    const created = await head(`${server.url}/media`, { method: 'PUT', headers: CLIENT8_HEADERS, body: JSON.stringify({ mappings: MAPPINGS }) })
    expect(created.status).toBe(200)
    expect(created.headers.get('content-type')).toBe('application/vnd.elasticsearch+json;compatible-with=8')
    const ndjson = bulkOperations('media').map((line) => JSON.stringify(line)).join('\n') + '\n'
    const bulk = await head(`${server.url}/_bulk`, { method: 'POST', headers: { ...CLIENT8_HEADERS, 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8' }, body: ndjson })
    expect(bulk).toMatchObject({ status: 200, body: { errors: false } })
    // compatible-with=7 (the 7.17 client's API versioning) is read too; plain JSON stays plain.
    const seven = await head(`${server.url}/media/_count`, { headers: { accept: 'application/vnd.elasticsearch+json;compatible-with=7' } })
    expect(seven).toMatchObject({ status: 200, body: { count: 4 } })
    expect(seven.headers.get('content-type')).toBe('application/vnd.elasticsearch+json;compatible-with=7')
    expect((await head(`${server.url}/media/_count`)).headers.get('content-type')).toMatch(/^application\/json/)
    // Text answers stay text (the 8.x client accepts text/plain).
    expect((await head(`${server.url}/_cat/indices`, { headers: CLIENT8_HEADERS })).headers.get('content-type')).toMatch(/^text\/plain/)
  })

  it('serves the OpenSearch client too (it ignores the handshake)', async () => {
    const opensearch = new OpenSearchClient({ node: server.url })
    try {
      await opensearch.indices.create({ index: 'both', body: { mappings: MAPPINGS } })
      await opensearch.bulk({ body: bulkOperations('both'), refresh: true })
      expect((await opensearch.search({ index: 'both', body: { query: { term: { genre: 'sf' } } } })).body.hits.total).toEqual({ value: 2, relation: 'eq' })
    } finally {
      await opensearch.close()
    }
  })

  it('refuses a compatible-with version it does not answer, before anything runs', async () => {
    const refused = await head(`${server.url}/nine`, { method: 'PUT', headers: { ...CLIENT8_HEADERS, 'content-type': 'application/vnd.elasticsearch+json; compatible-with=9' }, body: '{}' })
    expect(refused).toMatchObject({ status: 400, body: { error: { type: 'media_type_header_exception', reason: expect.stringMatching(/Content-Type version must be 7 or 8, but found \[9\]/) } } })
    expect(refused.headers.get('x-elastic-product')).toBe('Elasticsearch')
    expect((await send(`${server.url}/nine`, 'GET')).status).toBe(404)
  })
})

describe('the Elasticsearch 7.17 client with --compat elasticsearch', () => {
  let server: Server
  let client: Client7

  beforeAll(async () => {
    server = await portServer({ compat: 'elasticsearch' })
    client = new Client7({ node: server.url })
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it('creates an index with mappings, bulk-loads, searches, gets, updates, mgets, msearches, counts and deletes', async () => {
    expect((await client.info()).body.version).toMatchObject({ number: '8.11.0', build_flavor: 'default' })
    expect((await client.indices.create({ index: 'books', body: { mappings: MAPPINGS } })).body).toMatchObject({ acknowledged: true })
    const bulk = await client.bulk({ body: bulkOperations('books'), refresh: true })
    expect(bulk.body.errors).toBe(false)

    const found = await client.search({ index: 'books', body: { query: { match: { title: 'solaris' } } } })
    expect(found.body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['3'])
    expect((await client.get({ index: 'books', id: '1' })).body).toMatchObject({ found: true, _source: BOOKS[0] })
    expect((await client.update({ index: 'books', id: '1', body: { doc: { year: 1966 } }, refresh: true })).body).toMatchObject({ result: 'updated' })
    expect((await client.get({ index: 'books', id: '1' })).body._source.year).toBe(1966)

    const mget = await client.mget({ index: 'books', body: { ids: ['1', '2', '9'] } })
    expect(mget.body.docs.map((doc: { found: boolean }) => doc.found)).toEqual([true, true, false])
    const msearch = await client.msearch({ body: [{ index: 'books' }, { query: { term: { genre: 'sf' } } }, { index: 'books' }, { query: { match_none: {} } }] })
    expect(msearch.body.responses.map((response: { hits: { total: { value: number } } }) => response.hits.total.value)).toEqual([2, 0])
    expect((await client.count({ index: 'books' })).body.count).toBe(4)

    expect((await client.delete({ index: 'books', id: '2', refresh: true })).body).toMatchObject({ result: 'deleted' })
    expect((await client.count({ index: 'books' })).body.count).toBe(3)
    await expect(client.get({ index: 'books', id: '2' })).rejects.toMatchObject({ meta: { statusCode: 404 } })
    expect((await client.indices.delete({ index: 'books' })).body).toEqual({ acknowledged: true })
  })

  it('scrolls: search with scroll, scroll and clearScroll', async () => {
    await client.indices.create({ index: 'scrolled', body: { mappings: MAPPINGS } })
    await client.bulk({ body: bulkOperations('scrolled'), refresh: true })
    const first = await client.search({ index: 'scrolled', scroll: '1m', size: 2, body: { sort: [{ year: 'desc' }] } })
    expect(first.body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['1', '3'])
    const second = await client.scroll({ body: { scroll_id: first.body._scroll_id, scroll: '1m' } })
    expect(second.body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['4', '2'])
    expect((await client.clearScroll({ body: { scroll_id: second.body._scroll_id } })).body).toMatchObject({ succeeded: true })
  })
})

describe('--compat-version 7.10.2: the version older tools expect, which 7.17 and 8.x clients accept too', () => {
  let server: Server

  beforeAll(async () => {
    server = await portServer({ compat: 'elasticsearch', compatVersion: '7.10.2' })
  })
  afterAll(async () => server.close())

  it('answers 7.10.2 with the tagline and build flavor that 7.14-7.17 clients require below 7.14', async () => {
    const client7 = new Client7({ node: server.url })
    const client8 = new Client8({ node: server.url })
    try {
      expect((await client7.info()).body).toMatchObject({ version: { number: '7.10.2', build_flavor: 'default' }, tagline: 'You Know, for Search' })
      await client7.indices.create({ index: 'old', body: { mappings: MAPPINGS } })
      expect((await client7.index({ index: 'old', id: '1', body: BOOKS[0], refresh: true })).body).toMatchObject({ result: 'created' })
      expect((await client7.search({ index: 'old' })).body.hits.total.value).toBe(1)
      // The 8.x client reads only the product header; compatible-with=8 is still answered.
      expect((await client8.count({ index: 'old' })).count).toBe(1)
    } finally {
      await client7.close()
      await client8.close()
    }
  })
})

describe('without --compat: Elasticsearch clients refused before anything runs', () => {
  let server: Server

  beforeAll(async () => {
    server = await portServer()
  })
  afterAll(async () => server.close())

  const refusal = { meta: { statusCode: 400, body: { error: { type: 'illegal_argument_exception', reason: expect.stringContaining('lsr serve --compat elasticsearch') } } } }

  it('an 8.x client gets a 400 naming --compat elasticsearch for create, bulk and index, and nothing is written', async () => {
    // An index made by plain HTTP, for the writes into an existing index.
    expect((await send(`${server.url}/plain`, 'PUT', { mappings: MAPPINGS })).status).toBe(200)
    const client = new Client8({ node: server.url })
    try {
      const error = await client.indices.create({ index: 'books', mappings: MAPPINGS }).catch((e: unknown) => e)
      expect(error).toMatchObject(refusal)
      expect(String((error as Error).message)).toContain('--compat elasticsearch')
      for (const index of ['books', 'plain']) {
        await expect(client.bulk({ operations: bulkOperations(index), refresh: true })).rejects.toMatchObject(refusal)
        await expect(client.index({ index, id: '9', document: BOOKS[0], refresh: true })).rejects.toMatchObject(refusal)
      }
      await expect(client.info()).rejects.toMatchObject(refusal)
    } finally {
      await client.close()
    }
    // A plain HTTP client sees nothing written: no new index, no document in the old one.
    expect((await send(`${server.url}/books`, 'GET')).status).toBe(404)
    expect((await send(`${server.url}/plain/_doc/1`, 'GET')).status).toBe(404)
    expect((await send(`${server.url}/plain/_doc/9`, 'GET')).status).toBe(404)
    expect((await send(`${server.url}/plain/_count`, 'GET')).body.count).toBe(0)
    expect((await send(`${server.url}/_cat/indices?format=json`, 'GET')).body.map((row: { index: string }) => row.index)).toEqual(['plain'])
  })

  it('an 8.x client without its meta header is known by its media types', async () => {
    const client = new Client8({ node: server.url, enableMetaHeader: false })
    try {
      await expect(client.index({ index: 'quiet', id: '1', document: BOOKS[0] })).rejects.toMatchObject(refusal)
    } finally {
      await client.close()
    }
    expect((await send(`${server.url}/quiet`, 'GET')).status).toBe(404)
  })

  it('a 7.17 client gets the same 400 at its product check, before its first request', async () => {
    const client = new Client7({ node: server.url })
    try {
      await expect(client.index({ index: 'books', id: '1', body: BOOKS[0] })).rejects.toMatchObject(refusal)
    } finally {
      await client.close()
    }
    expect((await send(`${server.url}/books`, 'GET')).status).toBe(404)
  })

  it('the OpenSearch client, curl and browsers are unaffected, and nothing claims to be Elasticsearch', async () => {
    const client = new OpenSearchClient({ node: server.url })
    try {
      expect((await client.indices.create({ index: 'open', body: { mappings: MAPPINGS } })).body).toMatchObject({ acknowledged: true })
      expect((await client.index({ index: 'open', id: '1', body: BOOKS[0], refresh: true })).body).toMatchObject({ result: 'created' })
      expect((await client.get({ index: 'open', id: '1' })).body).toMatchObject({ found: true })
      expect((await client.info()).body).toMatchObject({ version: { distribution: 'lsr' }, tagline: 'You Know, for Sparse Search' })
    } finally {
      await client.close()
    }
    const main = await head(`${server.url}/`)
    expect(main.headers.get('x-elastic-product')).toBeNull()
    expect(main.body.version.number).not.toMatch(/^[78]\./)
  })
})

describe('compatibility options', () => {
  it('check the product and version, and that a version comes with the mode', () => {
    expect(compatHandshake({})).toBeUndefined()
    expect(compatHandshake({ compat: 'elasticsearch' })).toEqual({ version: '8.11.0', majors: [7, 8] })
    expect(compatHandshake({ compat: 'elasticsearch', compatVersion: '9.1.0' })).toEqual({ version: '9.1.0', majors: [7, 8, 9] })
    expect(() => compatHandshake({ compatVersion: '8.11.0' })).toThrow(/needs the compatibility mode \(--compat elasticsearch\)/)
    expect(() => compatHandshake({ compat: 'opensearch' })).toThrow(/unknown compatibility mode \[opensearch\]/)
    for (const version of ['8', '8.11', '6.8.0', 'v8.11.0', '8.11.0-SNAPSHOT']) {
      expect(() => compatHandshake({ compat: 'elasticsearch', compatVersion: version }), version).toThrow(/major\.minor\.patch from 7\.0\.0 on/)
    }
  })
})

describe('lsr serve --compat elasticsearch', () => {
  it('gives the handshake at the --compat-version asked for', async () => {
    const child = spawn(process.execPath, [LSR, 'serve', '--port', '0', '--data', await tempDir(), '--compat', 'elasticsearch', '--compat-version', '7.10.2'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
      while (!/ at (http:\S+) /.test(stdout)) {
        if (child.exitCode !== null) throw new Error('lsr serve did not start')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const main = await head(/ at (http:\S+) /.exec(stdout)![1])
      expect(main.body.version).toMatchObject({ number: '7.10.2', build_flavor: 'default' })
      expect(main.headers.get('x-elastic-product')).toBe('Elasticsearch')
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })

  it('is a usage error (exit 2) with another product, a malformed version, or a version alone; no data folder is made', async () => {
    const data = `${await tempDir()}/data`
    for (const [args, message] of [
      [['--compat', 'opensearch'], /argument 'opensearch' is invalid/],
      [['--compat', 'elasticsearch', '--compat-version', '8.11'], /major\.minor\.patch from 7\.0\.0 on/],
      [['--compat-version', '8.11.0'], /needs the compatibility mode \(--compat elasticsearch\)/],
    ] as const) {
      const run = await lsr('serve', '--port', '0', '--data', data, ...args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(message)
    }
    expect(existsSync(data)).toBe(false)
  })
})
