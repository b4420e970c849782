/**
 * Documents with fields under attack, over a real port: mappings, analysis, documents and queries
 * that an attacker or a sloppy client sends. Each case answers a 4xx in Elasticsearch's error shape
 * naming what is wrong (never a 500, never a reset connection), in bounded time without stalling
 * the requests beside it (the event loop's longest delay is measured), and leaves the index as it was
 * (mapping, count and a search compared before and after).
 *
 * Engine gaps found the same way are tests here too, with the numbers seen when they were found.
 */
import { connect } from 'node:net'
import { basename } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { startServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'
import { portServer, send } from './helpers.js'

const NDJSON = { 'content-type': 'application/x-ndjson' }
const ndjson = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

/**
 * A request timed, with the longest the event loop was blocked meanwhile (`stall`): the server
 * runs in this process, so that is how long any other request would have waited. The body is
 * serialized before the clock starts.
 */
async function timed(url: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body)
  let stall = 0
  let last = performance.now()
  const observe = () => {
    const now = performance.now()
    stall = Math.max(stall, now - last)
    last = now
  }
  const ticks = setInterval(observe, 5)
  const started = performance.now()
  try {
    const response = await send(`${url}${path}`, method, text, headers)
    const ms = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 10))
    observe()
    return { ...response, ms, stall }
  } finally {
    clearInterval(ticks)
  }
}

/** An Elasticsearch error body: `{error: {root_cause, type, reason}, status}`. */
function expectError(response: { status: number; body: any }, status: number, reason: RegExp): void {
  expect(response.status, JSON.stringify(response.body)?.slice(0, 500)).toBe(status)
  expect(response.body.status).toBe(status)
  expect(response.body.error.root_cause[0].type).toBe(response.body.error.type)
  expect(response.body.error.reason).toMatch(reason)
}

/** What a client can see of an index: its mapping, its count and a sorted search. */
async function snapshot(url: string, index: string): Promise<unknown> {
  const mapping = await send(`${url}/${index}/_mapping`, 'GET')
  const count = await send(`${url}/${index}/_count`, 'GET')
  const hits = await send(`${url}/${index}/_search?size=100&sort=_doc`, 'GET')
  return { mapping: mapping.body, count: count.body.count, hits: hits.body.hits?.hits }
}

describe('query_string and ?q= over the default fields (every field)', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    ({ url, close } = await portServer())
    await send(`${url}/shop`, 'PUT', { mappings: { properties: { name: { type: 'text' }, tag: { type: 'keyword' }, price: { type: 'float' } } } })
    await send(`${url}/shop/_bulk`, 'POST', ndjson([{ index: { _id: '1' } }, { name: 'red lamp', tag: 'home' }, { index: { _id: '2' } }, { price: 3 }, { index: { _id: '3' } }, { tag: 'garden' }]), NDJSON)
  })
  afterAll(async () => close())

  // Was: 400 "[dis_max] queries must be term-scored queries": the default fields reached the parser
  // expanded (name, tag), so `*` became exists on each of them, in a dis_max.
  it('q=* matches every document, as the query_string * does, in _search, _count and _explain', async () => {
    const searched = await send(`${url}/shop/_search?q=*`, 'GET')
    expect(searched.status, JSON.stringify(searched.body)).toBe(200)
    expect(searched.body.hits.hits.map((h: { _id: string }) => h._id).sort()).toEqual(['1', '2', '3'])
    expect((await send(`${url}/shop/_count?q=*`, 'GET')).body.count).toBe(3)
    expect((await send(`${url}/shop/_count`, 'POST', { query: { query_string: { query: '*' } } })).body.count).toBe(3)
    expect((await send(`${url}/shop/_count`, 'POST', { query: { query_string: { query: '*', default_field: '*' } } })).body.count).toBe(3)
    expect((await send(`${url}/shop/_count`, 'POST', { query: { query_string: { query: '*:*' } } })).body.count).toBe(3)
    expect((await send(`${url}/_count?q=*`, 'GET')).body.count).toBe(3)
    const explained = await send(`${url}/shop/_explain/2`, 'POST', { query: { query_string: { query: '*' } } })
    expect(explained.status).toBe(200)
    expect(explained.body.matched).toBe(true)
    // A named field keeps Elasticsearch's meaning: documents that have it.
    expect((await send(`${url}/shop/_count?q=*&df=tag`, 'GET')).body.count).toBe(2)
    expect((await send(`${url}/shop/_count?q=tag:*`, 'GET')).body.count).toBe(2)
    expect((await send(`${url}/shop/_count`, 'POST', { query: { query_string: { query: '*', fields: ['name'] } } })).body.count).toBe(1)
  })
})

describe('requests the HTTP parser refuses', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => ({ url, close } = await portServer()))
  afterAll(async () => close())

  // Was: a 100 KB ?q= got a connection reset (no answer at all), 1 MB a bare 431 without a body.
  it('a URL over 16 KiB (a long ?q=) is a 431 in Elasticsearch shape saying to POST the query, not a reset', async () => {
    await send(`${url}/big`, 'PUT', {})
    for (const length of [20_000, 100_000, 1_000_000]) {
      const response = await send(`${url}/big/_search?q=${'a'.repeat(length)}`, 'GET')
      expectError(response, 431, /larger than 16384 bytes .*POST/)
      expect(response.body.error.type).toBe('too_long_http_line_exception')
    }
    expect((await send(`${url}/big/_count`, 'GET')).body.count).toBe(0)
  })

  /** The raw answer to raw HTTP bytes, read until the server closes the connection. */
  const raw = (bytes: Buffer) => new Promise<string>((resolve, reject) => {
    const { port, hostname } = new URL(url)
    const socket = connect(Number(port), hostname, () => socket.end(bytes))
    let text = ''
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })

  // Was: Node's bare 400 without a body.
  it('malformed HTTP is a 400 in Elasticsearch shape; a HEAD gets the status and headers only', async () => {
    const answer = await raw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'))
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
    expect(body).toMatchObject({ status: 400, error: { type: 'http_exception', reason: expect.stringMatching(/malformed HTTP request/) } })
    const head = await raw(Buffer.concat([Buffer.from('HEAD /x'), Buffer.from([0xe9, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]))
    expect(head).toMatch(/^HTTP\/1\.1 400 /)
    expect(head.endsWith('\r\n\r\n')).toBe(true)
  })
})

describe('an index of 900 fields', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    ({ url, close } = await portServer())
    const properties = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`f${i}`, { type: i % 2 === 0 ? 'keyword' : 'text' }]))
    expect((await send(`${url}/wide`, 'PUT', { mappings: { properties } })).status).toBe(200)
    const lines = Array.from({ length: 120 }, (_, i) => [{ index: { _id: String(i) } }, Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`f${(i + k * 45) % 900}`, `v${i % 7} common`]))]).flat()
    expect((await send(`${url}/wide/_bulk`, 'POST', ndjson(lines), NDJSON)).body.errors).toBe(false)
  })
  afterAll(async () => close())

  // Was: 9.5 s with GET / waiting as long (1,000 patterns x 100 hits, each listing the index's
  // 900 fields and matching them again).
  it('1,000 patterns on 100 hits answer in well under a second, without stalling a request beside them', async () => {
    const fields = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}*`, {}]))
    const response = await timed(url, 'POST', '/wide/_search', { query: { multi_match: { query: 'common', fields: ['f1*'] } }, highlight: { fields }, size: 100 })
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200)
    expect(response.body.hits.hits).toHaveLength(100)
    const highlighted = response.body.hits.hits.filter((h: { highlight?: object }) => h.highlight)
    expect(highlighted.length).toBeGreaterThan(0)
    for (const hit of highlighted) for (const [field, fragments] of Object.entries(hit.highlight)) {
      expect(field).toMatch(/^f1\d*$/)
      expect(fragments).toEqual([expect.stringContaining('<em>common</em>')])
    }
    expect(response.ms).toBeLessThan(3000)
    expect(response.stall).toBeLessThan(1500)
  })

  // Engine gap. Seen (990 fields): q of 1,000 terms 4.3 s with the event loop blocked, then 400
  // too_many_clauses (990,000 scored terms; multi_match over * of 1,000 words 1.5 s): every term
  // is expanded to every field and analyzed before compile.ts counts the scored terms.
  it('q of 300 terms over 900 fields is refused as too many clauses at once', async () => {
    const response = await timed(url, 'GET', `/wide/_search?q=${Array.from({ length: 300 }, (_, i) => `w${i}`).join('+')}`)
    expectError(response, 400, /too many scored terms/)
    // A hang guard, not a timing: the failure was a 4.3 s stall; 160 ms was seen with another test file beside it.
    expect(response.stall).toBeLessThan(500)
  })

  it('a field named by several patterns is highlighted once, with the first pattern\'s options', async () => {
    const response = await send(`${url}/wide/_search`, 'POST', {
      query: { match: { f1: 'common' } }, size: 1,
      highlight: { fields: [{ 'f1*': { pre_tags: ['<a>'], post_tags: ['</a>'] } }, { f1: { pre_tags: ['<b>'], post_tags: ['</b>'] } }, { '*': {} }] },
    })
    expect(response.status).toBe(200)
    expect(response.body.hits.hits[0].highlight).toEqual({ f1: [expect.stringContaining('<a>common</a>')] })
  })
})

describe('PUT _mapping', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    ({ url, close } = await portServer())
    await send(`${url}/a`, 'PUT', { mappings: { properties: { x: { type: 'keyword' } } } })
    await send(`${url}/b`, 'PUT', { mappings: { properties: { x: { type: 'long' } } } })
    await send(`${url}/a/_doc/1`, 'PUT', { x: 'v' })
    await send(`${url}/b/_doc/1`, 'PUT', { x: 5 })
  })
  afterAll(async () => close())

  // Was: a changed (y added), b refused, and a 400.
  it('on several indexes changes all or none: a conflict in one changes no other', async () => {
    const before = [await snapshot(url, 'a'), await snapshot(url, 'b')]
    for (const expression of ['a,b', 'b,a', '*', '_all']) {
      const response = await send(`${url}/${expression}/_mapping`, 'PUT', { properties: { x: { type: 'keyword' }, y: { type: 'text' } } })
      expectError(response, 400, /mapper \[x\] cannot be changed from type \[long\] to \[keyword\]/)
      expect([await snapshot(url, 'a'), await snapshot(url, 'b')], expression).toEqual(before)
    }
    // Each index's own rules: an analyzer one of them lacks.
    await send(`${url}/c`, 'PUT', { settings: { analysis: { analyzer: { mine: { type: 'whitespace' } } } } })
    const refused = await send(`${url}/c,a/_mapping`, 'PUT', { properties: { z: { type: 'text', analyzer: 'mine' } } })
    expectError(refused, 400, /analyzer \[mine\] has not been configured/)
    expect((await send(`${url}/c/_mapping`, 'GET')).body.c.mappings).toEqual({})
    // What every index takes is taken by every index.
    expect((await send(`${url}/a,b/_mapping`, 'PUT', { properties: { y: { type: 'text' } } })).status).toBe(200)
    const after = await send(`${url}/a,b/_mapping`, 'GET')
    expect(after.body.a.mappings.properties.y).toEqual({ type: 'text' })
    expect(after.body.b.mappings.properties.y).toEqual({ type: 'text' })
  })

  // Was: 200 acknowledged, as if the (empty) mapping had been applied.
  it('without a body is a 400, as Elasticsearch answers', async () => {
    const before = await snapshot(url, 'a')
    expectError(await send(`${url}/a/_mapping`, 'PUT', ''), 400, /request body is required/)
    expectError(await send(`${url}/a/_mapping`, 'POST', '  \n'), 400, /request body is required/)
    expect(await snapshot(url, 'a')).toEqual(before)
  })
})

describe('search body values Elasticsearch refuses', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    ({ url, close } = await portServer())
    await send(`${url}/t`, 'PUT', {})
    await send(`${url}/t/_doc/1`, 'PUT', { x: 'v' })
  })
  afterAll(async () => close())

  // Was: any timeout (an object, "x") was taken and ignored.
  it('a timeout that is no time value is a 400 naming [timeout]; time values are taken', async () => {
    for (const timeout of ['x', {}, [], '10', 10, '1.5s', '10 parsecs', true]) {
      expectError(await send(`${url}/t/_search`, 'POST', { timeout }), 400, /\[timeout\] must be a time value/)
    }
    for (const timeout of ['10s', '500ms', '1m', '2h', '1d', '100micros', '7nanos', '10S', ' 5s ', '-1', '0', 0, -1]) {
      expect((await send(`${url}/t/_search`, 'POST', { timeout })).status, JSON.stringify(timeout)).toBe(200)
    }
  })
})

describe('an index that cannot be opened', () => {
  afterEach(() => vi.restoreAllMocks())

  // Was: every request naming it a 500 "Maximum call stack size exceeded", and so were _all and *
  // searches, _cat/indices and _cluster/health (the open was retried, and failed, each time). Seen
  // with an index holding a document of 130,000 numbers (see the engine gap below).
  it('when the open throws an error of its data (not lsr\'s, not the system\'s) it is a broken index: 503 by name, skipped by patterns, red, deletable', async () => {
    const dataDir = await tempDir()
    const first = await startServer({ dataDir, port: 0 })
    for (const name of ['good', 'bad']) {
      await send(`${first.url}/${name}`, 'PUT', {})
      await send(`${first.url}/${name}/_doc/1`, 'PUT', { x: 'hello' })
    }
    await first.close()

    const open = SparseIndex.open.bind(SparseIndex)
    vi.spyOn(SparseIndex, 'open').mockImplementation(async (dir, options) => {
      if (basename(dir) === 'bad') throw new RangeError(`Maximum call stack size exceeded reading ${dir}`)
      return open(dir, options)
    })
    const server = await startServer({ dataDir, port: 0 })
    try {
      const url = server.url
      for (const path of ['/bad', '/bad/_search', '/good,bad/_search', '/bad/_doc/1']) {
        const response = await send(`${url}${path}`, 'GET')
        expectError(response, 503, /index \[bad\] is unavailable: opening it failed: Maximum call stack size exceeded reading <data>\/bad \(DELETE \/bad removes it\)/)
        expect(JSON.stringify(response.body)).not.toContain(dataDir)
      }
      for (const path of ['/_search', '/*/_search', '/_all/_search']) {
        const response = await send(`${url}${path}`, 'GET')
        expect(response.status, path).toBe(200)
        expect(response.body.hits.hits.map((h: { _index: string }) => h._index)).toEqual(['good'])
      }
      expect((await send(`${url}/_cluster/health`, 'GET')).body).toMatchObject({ status: 'red', unassigned_shards: 1, active_primary_shards: 1 })
      const cat = await send(`${url}/_cat/indices?format=json`, 'GET')
      expect(cat.body.map((row: { index: string; health: string }) => [row.index, row.health])).toEqual([['bad', 'red'], ['good', 'green']])
      expect(JSON.stringify(cat.body)).not.toContain(dataDir)
      expect((await send(`${url}/bad`, 'DELETE')).status).toBe(200)
      expect((await send(`${url}/_cluster/health`, 'GET')).body.status).toBe('green')
    } finally {
      await server.close()
    }
  })

  it('a system error on open (EMFILE) is not remembered: the next request opens the index', async () => {
    const dataDir = await tempDir()
    const first = await startServer({ dataDir, port: 0 })
    await send(`${first.url}/flaky`, 'PUT', {})
    await send(`${first.url}/flaky/_doc/1`, 'PUT', { x: 'hello' })
    await first.close()
    const open = SparseIndex.open.bind(SparseIndex)
    vi.spyOn(SparseIndex, 'open').mockImplementationOnce(async () => {
      throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })
    }).mockImplementation(open)
    const server = await startServer({ dataDir, port: 0 })
    try {
      expect((await send(`${server.url}/flaky/_count`, 'GET')).status).toBe(500)
      expect((await send(`${server.url}/flaky/_count`, 'GET')).body.count).toBe(1)
    } finally {
      await server.close()
    }
  })
})

/** Gaps of the engine (src/engine, src/storage, src/mapping) found over the port, fixed since. */
describe('engine gaps', () => {
  let url: string
  let close: () => Promise<void>
  const count = async (query: unknown) => (await send(`${url}/q/_count`, 'POST', { query })).body.count
  beforeAll(async () => {
    ({ url, close } = await portServer())
    await send(`${url}/q`, 'PUT', { mappings: { properties: { k: { type: 'keyword' }, n: { type: 'long' }, t: { type: 'text' }, flag: { type: 'boolean' } } } })
    const lines = Array.from({ length: 20_000 }, (_, i) => [{ index: { _id: String(i) } }, { k: `a${i.toString(36)}`, n: i, t: `word${i % 100} common` }]).flat()
    expect((await send(`${url}/q/_bulk`, 'POST', ndjson(lines), NDJSON)).body.errors).toBe(false)
  })
  afterAll(async () => close())

  // Seen: 500 "Maximum call stack size exceeded" (storage/columns.ts NumberColumn.add spreads the
  // values into Math.min/Math.max) after the write was committed: _count said 2, GET of the
  // document 404, a match_all search 500 lsr_data_corruption_exception; after a restart the
  // index no longer opened (every request 500; 503 since the registry fix above).
  it('a document with 300,000 values in one numeric field is written whole or refused, and the index stays readable', async () => {
    await send(`${url}/nums`, 'PUT', { mappings: { properties: { flag: { type: 'boolean' } } } })
    await send(`${url}/nums/_doc/small`, 'PUT', { flag: false })
    const before = await snapshot(url, 'nums')
    const written = await send(`${url}/nums/_doc/big`, 'PUT', { flag: new Array(300_000).fill(true) })
    expect(written.status, JSON.stringify(written.body)).toBeLessThan(500)
    if (written.status >= 400) expect(await snapshot(url, 'nums')).toEqual(before)
    else expect((await send(`${url}/nums/_doc/big?_source=false`, 'GET')).body.found).toBe(true)
    expect((await send(`${url}/nums/_search`, 'POST', {})).status).toBe(200)
  })

  // Seen (100,000 keyword documents): 1,000 prefix clauses 15 s with every other request waiting
  // (context.ts termsStartingWith scans every term of the index once per prefix), even when the
  // answer is a 400; one prefix expanding to 10,000 terms 0.9 s.
  it('1,000 prefix filters over 20,000 keywords do not stall the server', async () => {
    const response = await timed(url, 'POST', '/q/_count', { query: { bool: { filter: Array.from({ length: 1000 }, (_, i) => ({ prefix: { k: `zz${i}` } })) } } })
    expect(response.status).toBe(200)
    expect(response.body.count).toBe(0)
    // A hang guard (the failure was 0.9 s for one prefix), loose enough for another test file beside it.
    expect(response.stall).toBeLessThan(500)
  })

  // Seen: "prefix query [ka] expands to more than 65536 terms" for prefix "a" on field k.
  it('a prefix expanding too far is named by its field and its prefix apart', async () => {
    const many = Array.from({ length: 70_000 }, (_, i) => `b${i}`)
    await send(`${url}/many`, 'PUT', { mappings: { properties: { k: { type: 'keyword' } } } })
    await send(`${url}/many/_doc/1`, 'PUT', { k: many })
    const response = await send(`${url}/many/_count`, 'POST', { query: { prefix: { k: 'b' } } })
    expectError(response, 400, /expands to more than 65536 terms/)
    expect(response.body.error.reason).toMatch(/\[k\]/)
  })

  // Seen: 400 too_many_clauses "Query contains too many scored terms: 1025; maxClauseCount is set
  // to 1024": Elasticsearch's terms query is one constant-score TermInSetQuery (up to
  // index.max_terms_count, 65,536), not 1,025 scored clauses; in a filter lsr takes it.
  it('terms with 1,025 keyword values in query context runs, as in a filter', async () => {
    const values = Array.from({ length: 1025 }, (_, i) => `a${i.toString(36)}`)
    expect(await count({ bool: { filter: { terms: { k: values } } } })).toBe(1025)
    const response = await send(`${url}/q/_count`, 'POST', { query: { terms: { k: values } } })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    expect(response.body.count).toBe(1025)
  })

  // Seen: 20,000 (every document). A bool of should clauses only needs one of them whatever
  // minimum_should_match computes to (Lucene's pure disjunction; Elasticsearch sets no minimum
  // below 1).
  it('a bool of should clauses whose minimum_should_match comes to 0 or less still needs one clause', async () => {
    const should = [{ term: { k: 'a1' } }, { term: { k: 'a2' } }]
    expect(await count({ bool: { should } })).toBe(2)
    for (const msm of [0, '0', -5, '-1000%', '0%']) expect(await count({ bool: { should, minimum_should_match: msm } }), String(msm)).toBe(2)
  })

  // Seen: 1.5 taken as "at least 2" (Elasticsearch parses minimum_should_match as an integer or a
  // percentage: 1.5 is an error).
  it('minimum_should_match 1.5 is a 400', async () => {
    const response = await send(`${url}/q/_count`, 'POST', { query: { bool: { should: [{ term: { k: 'a1' } }, { term: { k: 'a2' } }], minimum_should_match: 1.5 } } })
    expectError(response, 400, /minimum_should_match/)
  })

  // Seen: a 100,000-star field pattern ran (0.4 s stall); the server refuses index and _source
  // patterns over 1,000 characters.
  it('a multi_match field pattern of 100,000 characters is a 400 naming the pattern', async () => {
    const response = await timed(url, 'POST', '/q/_search', { query: { multi_match: { query: 'common', fields: ['*'.repeat(100_000)] } } })
    expectError(response, 400, /pattern/)
  })

  // Seen: accepted (and kept as a term and a sort value). Lucene refuses terms over 32,766 bytes:
  // Elasticsearch answers "Document contains at least one immense term" (a 400) unless
  // ignore_above drops the value.
  it('a keyword value over 32,766 bytes is a 400, as Elasticsearch answers', async () => {
    expect((await send(`${url}/nums/_mapping`, 'PUT', { properties: { word: { type: 'keyword' } } })).status).toBe(200)
    const before = await snapshot(url, 'nums')
    const response = await send(`${url}/nums/_doc/immense`, 'PUT', { word: 'x'.repeat(40_000) })
    expect(response.status).toBe(400)
    expect(response.body.error.reason).toMatch(/immense term in field="word"/)
    expect(await snapshot(url, 'nums')).toEqual(before)
    // A dynamic string is text (tokens of at most 255 characters) plus a keyword with ignore_above 256: taken.
    expect((await send(`${url}/nums/_doc/long-text`, 'PUT', { prose: 'x'.repeat(40_000) })).status).toBe(201)
  })
})
