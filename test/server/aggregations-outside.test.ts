/**
 * Aggregations, post_filter and points in time checked from outside, over a real port, as an
 * attacker and as concurrent users would use them:
 * - hostile aggregation bodies are a 4xx naming the problem, fast, with no server path in the
 *   message, and the server answers afterwards; wide but legal ones answer (within HANG_MS, a hang guard, not a speed claim);
 * - while documents are bulk-written, every search answer is one committed state: its terms
 *   buckets, value_count, sum, filter, global and histogram counts agree with hits.total, and with
 *   post_filter the selected bucket equals hits.total;
 * - a point in time pages queries first run after the writes (search_after, aggregations on every
 *   page) exactly as the index answered them before, while writes go on; deleting its index frees
 *   it (404), and a new index of the same name stays invisible to it;
 * - the Elasticsearch 8 client (`--compat elasticsearch`) runs aggregations, post_filter,
 *   typed_keys and a point in time.
 */
import { Client as Client8, errors } from 'es8'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { portServer, send } from './helpers.js'

type Server = Awaited<ReturnType<typeof portServer>>
type Json = Record<string, any>

const NDJSON = { 'content-type': 'application/x-ndjson' }
const ndjson = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
/** What a message must never show: a server path or a stack frame. */
const SERVER_PATH = /\/(tmp|work|home|root|usr|src|dist)\/|\.[jt]s:\d|node:internal|\bat [\w.<>]+ \(/
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Longer than any answer takes even on a loaded 2-core machine (the slowest, about 2.3 s): past it, the server hangs. */
const HANG_MS = 15_000

/** A request timed, with its raw text. */
async function timed(url: string, method: string, body?: unknown): Promise<{ status: number; body: any; ms: number; text: string }> {
  const started = performance.now()
  const answer = await send(url, method, body)
  return { ...answer, ms: performance.now() - started, text: typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body) }
}

/** `n` named aggregations side by side. */
const wide = (n: number, make: (i: number) => Json) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, make(i)]))
/** `depth` filter aggregations, each inside the last. */
function nested(depth: number): Json {
  let aggs: Json = { m: { max: { field: 'n' } } }
  for (let i = 0; i < depth; i++) aggs = { [`l${i}`]: { filter: { match_all: {} }, aggs } }
  return aggs
}

describe('hostile aggregation bodies over a real port', () => {
  let server: Server
  const DOCS = 2000
  const HI_PER_DOC = 50 // 100,000 distinct values of `hi`

  beforeAll(async () => {
    server = await portServer()
    const created = await send(`${server.url}/docs`, 'PUT', {
      mappings: { properties: { cat: { type: 'keyword' }, hi: { type: 'keyword' }, n: { type: 'long' }, price: { type: 'double' }, added: { type: 'date' }, title: { type: 'text' }, flag: { type: 'boolean' }, feats: { type: 'rank_features' } } },
    })
    expect(created.status).toBe(200)
    const lines = Array.from({ length: DOCS }, (_, i) => [
      { index: { _id: `d${i}` } },
      { cat: `c${i % 7}`, hi: Array.from({ length: HI_PER_DOC }, (_, j) => `v${i}_${j}`), n: i, price: (i % 100) + 0.5, added: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(), title: `lamp ${i}`, flag: i % 2 === 0, feats: { a: 1 + (i % 10) } },
    ]).flat()
    const bulk = await send(`${server.url}/docs/_bulk`, 'POST', ndjson(lines), NDJSON)
    expect(bulk.body.errors).toBe(false)
  })
  afterAll(async () => {
    await server?.close()
  })

  const deepFilter = (() => {
    let q: Json = { match_all: {} }
    for (let i = 0; i < 40; i++) q = { bool: { filter: q } }
    return q
  })()

  // [what, aggs (or a whole body with `$body`), the reason's words]
  const REFUSED: Array<[string, unknown, RegExp]> = [
    ['21 nested levels', nested(20), /nest more than 20 levels/],
    ['too many terms buckets', { a: { terms: { field: 'hi', size: 65_537 } } }, /too many buckets/],
    ['a terms size past 2^31', { a: { terms: { field: 'cat', size: 1e12 } } }, /\[size\] must be an integer/],
    ['terms size as a word', { a: { terms: { field: 'cat', size: 'lots' } } }, /\[size\] must be a number/],
    ['terms over text', { a: { terms: { field: 'title' } } }, /Text fields are not optimised/],
    ['terms over rank_features', { a: { terms: { field: 'feats' } } }, /rank_features.*not supported/],
    ['terms over _id', { a: { terms: { field: '_id' } } }, /metadata field \[_id\]/],
    ['a regex include', { a: { terms: { field: 'cat', include: 'c.*' } } }, /\[include\]/],
    ['a histogram interval of 0.0001', { a: { histogram: { field: 'n', interval: 0.0001 } } }, /too many buckets/],
    ['histogram extended_bounds of ±1e15', { a: { histogram: { field: 'n', interval: 1, min_doc_count: 0, extended_bounds: { min: -1e15, max: 1e15 } } } }, /too many buckets/],
    ['histogram extended_bounds inverted', { a: { histogram: { field: 'n', interval: 1, min_doc_count: 0, extended_bounds: { min: 100, max: 0 } } } }, /cannot be greater than/],
    ['a zero interval', { a: { histogram: { field: 'n', interval: 0 } } }, /\[interval\] must be a number greater than 0/],
    ['1ms date_histogram', { a: { date_histogram: { field: 'added', fixed_interval: '1ms' } } }, /too many buckets/],
    ['minute date_histogram over all time', { a: { date_histogram: { field: 'added', calendar_interval: 'minute', min_doc_count: 0, extended_bounds: { min: 0, max: 8.64e15 } } } }, /too many buckets/],
    ['year date_histogram past the date range', { a: { date_histogram: { field: 'added', calendar_interval: 'year', min_doc_count: 0, extended_bounds: { min: -1e300, max: 1e300 } } } }, /too many buckets/],
    ['a fixed_interval in fortnights', { a: { date_histogram: { field: 'added', fixed_interval: '1 fortnight' } } }, /fixed_interval/],
    ['date math garbage in bounds', { a: { date_histogram: { field: 'added', calendar_interval: 'day', extended_bounds: { min: 'now-1x', max: 'now' } } } }, /unit \[x\]/],
    ['date math garbage in date_range', { r: { date_range: { field: 'added', ranges: [{ from: 'now-1d/d/d/d-+' }] } } }, /date math/],
    ['NaN percents', { a: { percentiles: { field: 'n', percents: ['NaN'] } } }, /\[percents\]/],
    ['percents past 100', { a: { percentiles: { field: 'n', percents: [101] } } }, /\[percents\]/],
    ['missing of the wrong type', { a: { sum: { field: 'n', missing: 'abc' } } }, /\[missing\] must be a number/],
    ['missing as an object', { a: { terms: { field: 'cat', missing: { x: 1 } } } }, /\[missing\] must be/],
    ['a date missing that is no date', { a: { max: { field: 'added', missing: 'notadate' } } }, /failed to parse date/],
    ['an empty name', { '': { max: { field: 'n' } } }, /Invalid aggregation name/],
    ['a name with >', { 'a>b': { max: { field: 'n' } } }, /Invalid aggregation name/],
    ['a type named __proto__', JSON.parse('{"t":{"__proto__":{"field":"n"}}}'), /Unknown aggregation type \[__proto__\]/],
    ['a type named constructor', { t: { constructor: { field: 'n' } } }, /Unknown aggregation type \[constructor\]/],
    ['70,000 filters', { f: { filters: { filters: Array.from({ length: 70_000 }, (_, i) => ({ term: { n: i } })) } } }, /too many buckets/],
    ['an unknown query in filters', { f: { filters: { filters: { a: { nosuch: {} } } } } }, /unknown query \[nosuch\]/],
    ['a 41-level query in filter', { f: { filter: deepFilter } }, /max_nested_depth/],
    ['top_hits size 101', { t: { top_hits: { size: 101 } } }, /Top hits result window is too large/],
    ['top_hits sorted by text', { t: { top_hits: { size: 3, sort: [{ title: 'asc' }] } } }, /Text fields are not optimised/],
    ['an order path to no aggregation', { t: { terms: { field: 'cat', order: { nosuch: 'desc' } } } }, /Invalid aggregator order path \[nosuch\]/],
    ['an order path to no value', { t: { terms: { field: 'cat', order: { 'a>b.c': 'desc' } }, aggs: { a: { filter: { match_all: {} }, aggs: { b: { stats: { field: 'n' } } } } } } }, /has no value \[c\]/],
    ['an order by a bucket aggregation', { t: { terms: { field: 'cat', order: { u: 'desc' } }, aggs: { u: { terms: { field: 'n' } } } } }, /Buckets can only be sorted/],
    ['aggs: []', [], /\[aggs\] must be an object/],
    ['aggs: "terms"', 'terms', /\[aggs\] must be an object/],
    ['an aggregation of null', { a: null }, /\[a\]/],
    ['two types in one aggregation', { a: { max: { field: 'n' }, min: { field: 'n' } } }, /two aggregation type definitions/],
    ['sub-aggregations under a metric', { a: { max: { field: 'n' }, aggs: { b: { max: { field: 'n' } } } } }, /cannot accept sub-aggregations/],
    ['a nested global', { t: { terms: { field: 'cat' }, aggs: { g: { global: {} } } } }, /cannot be a sub-aggregator/],
    ['a script', { a: { terms: { script: { source: 'doc.n.value' } } } }, /script/],
  ]

  it.each(REFUSED)('refuses %s with a 400 naming it, fast, with no server path', async (_what, aggs, reason) => {
    const answer = await timed(`${server.url}/docs/_search`, 'POST', { size: 0, aggs })
    expect(answer.status, answer.text.slice(0, 300)).toBe(400)
    expect(answer.body.error.root_cause[0].reason).toMatch(reason)
    expect(answer.text).not.toMatch(SERVER_PATH)
    expect(answer.ms).toBeLessThan(HANG_MS)
    expect((await send(`${server.url}/_cluster/health`, 'GET')).status).toBe(200)
  })

  it('answers wide and large but legal bodies without hanging', async () => {
    const LEGAL: Array<[string, Json, (aggregations: Json) => void]> = [
      ['20 nested levels', nested(19), (a) => expect(JSON.stringify(a)).toContain('"m":{"value":1999}')],
      ['5,000 sibling max', wide(5000, () => ({ max: { field: 'n' } })), (a) => expect(a.a4999).toEqual({ value: 1999 })],
      ['5,000 sibling terms', wide(5000, () => ({ terms: { field: 'cat' } })), (a) => expect(a.a4999.buckets).toHaveLength(7)],
      ['terms over 100,000 distinct values, size 65,536', { a: { terms: { field: 'hi', size: 65_536 } } }, (a) => expect(a.a.sum_other_doc_count).toBe(DOCS * HI_PER_DOC - 65_536)],
      ['cardinality of 100,000 values', { a: { cardinality: { field: 'hi' } } }, (a) => expect(a.a.value).toBe(DOCS * HI_PER_DOC)],
      ['terms over 100,000 values ordered by a sub-aggregation', { a: { terms: { field: 'hi', order: { m: 'desc' } }, aggs: { m: { max: { field: 'n' } } } } }, (a) => expect(a.a.buckets[0].m.value).toBe(1999)],
      ['5,000 percents', { a: { percentiles: { field: 'n', percents: Array.from({ length: 5000 }, (_, i) => i / 50) } } }, (a) => expect(Object.keys(a.a.values)).toHaveLength(5000)],
      ['5,000 named filters', { f: { filters: { filters: wide(5000, (i) => ({ term: { n: i } })) } } }, (a) => expect(Object.keys(a.f.buckets)).toHaveLength(5000)],
      ['10,000 ranges', { r: { range: { field: 'n', ranges: Array.from({ length: 10_000 }, (_, i) => ({ from: i, to: i + 1 })) } } }, (a) => expect(a.r.buckets).toHaveLength(10_000)],
      ['65,536 histogram buckets', { a: { histogram: { field: 'n', interval: 1, min_doc_count: 0, extended_bounds: { min: 0, max: 65_535 } } } }, (a) => expect(a.a.buckets).toHaveLength(65_536)],
      ['a range from > to', { r: { range: { field: 'n', ranges: [{ from: 100, to: 10 }] } } }, (a) => expect(a.r.buckets[0].doc_count).toBe(0)],
      ['numbers as strings', { a: { terms: { field: 'cat', size: '3', min_doc_count: '1' } }, h: { histogram: { field: 'n', interval: '500' } }, r: { range: { field: 'n', ranges: [{ from: '10', to: '20' }] } } }, (a) => {
        expect(a.a.buckets).toHaveLength(3)
        expect(a.h.buckets).toHaveLength(4)
        expect(a.r.buckets[0].doc_count).toBe(10)
      }],
      ['top_hits in 2,000 buckets', { a: { terms: { field: 'n', size: 2000 }, aggs: { t: { top_hits: { size: 100 } } } } }, (a) => expect(a.a.buckets).toHaveLength(2000)],
    ]
    for (const [what, aggs, check] of LEGAL) {
      const answer = await timed(`${server.url}/docs/_search`, 'POST', { size: 0, aggs })
      expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBe(200)
      expect(answer.ms, what).toBeLessThan(HANG_MS)
      check(answer.body.aggregations)
    }
  })

  it('names chosen by the request (__proto__, constructor, unicode) come back as sent, as own keys', async () => {
    const raw = '{"size":0,"aggs":{"__proto__":{"max":{"field":"n"}},"constructor":{"min":{"field":"n"}},"ファセット🙂":{"sum":{"field":"n"}},' +
      '"f":{"filters":{"filters":{"__proto__":{"match_all":{}},"toString":{"term":{"cat":"c1"}}}}},' +
      '"r":{"range":{"field":"n","keyed":true,"ranges":[{"key":"__proto__","to":5},{"key":"hasOwnProperty","from":5}]}},' +
      '"t":{"terms":{"field":"cat","order":{"__proto__":"desc"}},"aggs":{"__proto__":{"max":{"field":"n"}}}}}}'
    const answer = await timed(`${server.url}/docs/_search`, 'POST', raw)
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    // The text itself: JSON.parse makes __proto__ an own key again.
    expect(answer.text).toContain('"__proto__":{"value":1999}')
    const a = answer.body.aggregations
    expect(Object.keys(a)).toEqual(['__proto__', 'constructor', 'ファセット🙂', 'f', 'r', 't'])
    expect(a.constructor).toEqual({ value: 0 })
    expect(a['ファセット🙂']).toEqual({ value: (DOCS * (DOCS - 1)) / 2 })
    expect(a.f.buckets).toEqual(JSON.parse(`{"__proto__":{"doc_count":${DOCS}},"toString":{"doc_count":286}}`))
    expect(Object.keys(a.r.buckets)).toEqual(['__proto__', 'hasOwnProperty'])
    expect(a.t.buckets[0].__proto__).toEqual({ value: 1999 })
  })
})

describe('aggregations while documents are written', () => {
  let server: Server
  const KEYS = 12

  beforeAll(async () => {
    server = await portServer()
    await send(`${server.url}/conc`, 'PUT', { mappings: { properties: { k: { type: 'keyword' }, v: { type: 'long' }, t: { type: 'text' } } } })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('every answer is one committed state: buckets, value_count, sum, filter, global and histogram agree with hits.total, and post_filter with its bucket', async () => {
    const { url } = server
    // A deterministic sequence of keys, so that a failure can be replayed.
    let seed = 7
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const doc = (i: number) => ({ k: `k${Math.floor(random() * KEYS)}`, v: 1, t: `word${i % 9} common` })
    const live = new Set<number>()
    let next = 0
    const initial = Array.from({ length: 800 }, (_, i) => [{ index: { _id: String(i) } }, doc(i)]).flat()
    for (let i = 0; i < 800; i++) live.add(i)
    next = 800
    expect((await send(`${url}/conc/_bulk`, 'POST', ndjson(initial), NDJSON)).body.errors).toBe(false)

    let stop = false
    let writes = 0
    const writer = (async () => {
      while (!stop) {
        const lines: unknown[] = []
        const ids = [...live]
        for (let j = 0; j < 1 + Math.floor(random() * 30); j++) {
          const r = random()
          if (r < 0.4) {
            lines.push({ index: { _id: String(next) } }, doc(next))
            live.add(next++)
          } else if (r < 0.7) {
            const id = ids[Math.floor(random() * ids.length)]
            lines.push({ index: { _id: String(id) } }, doc(id))
          } else {
            const id = ids.splice(Math.floor(random() * ids.length), 1)[0]
            if (live.delete(id)) lines.push({ delete: { _id: String(id) } })
          }
        }
        const answer = await send(`${url}/conc/_bulk`, 'POST', ndjson(lines), NDJSON)
        expect(answer.body.errors).toBe(false)
        writes++
      }
    })()

    const problems: string[] = []
    let answers = 0
    const reader = async (selected?: string) => {
      while (!stop) {
        const body: Json = {
          size: 3,
          track_total_hits: true,
          query: selected ? { match: { t: 'common' } } : { match_all: {} },
          aggs: {
            k: { terms: { field: 'k', size: 100 } },
            vc: { value_count: { field: 'v' } },
            s: { sum: { field: 'v' } },
            f: { filter: { match_all: {} } },
            g: { global: {} },
            h: { histogram: { field: 'v', interval: 1 } },
            sub: { terms: { field: 'k', size: 100 }, aggs: { s: { sum: { field: 'v' } } } },
          },
          ...(selected ? { post_filter: { term: { k: selected } } } : {}),
        }
        const answer = await send(`${url}/conc/_search`, 'POST', body)
        answers++
        if (answer.status !== 200) {
          problems.push(`status ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`)
          continue
        }
        const total: number = answer.body.hits.total.value
        const a = answer.body.aggregations
        const counted = a.k.buckets.reduce((sum: number, b: Json) => sum + b.doc_count, 0) + a.k.sum_other_doc_count
        const histogram = a.h.buckets.reduce((sum: number, b: Json) => sum + b.doc_count, 0)
        // All documents match: each count is the number of documents of one state.
        const all = [counted, a.vc.value, a.s.value, a.f.doc_count, a.g.doc_count, histogram]
        if (selected) {
          const bucket = a.k.buckets.find((b: Json) => b.key === selected)?.doc_count ?? 0
          if (bucket !== total) problems.push(`post_filter ${selected}: hits.total ${total}, bucket ${bucket}`)
          if (answer.body.hits.hits.some((hit: Json) => hit._source.k !== selected)) problems.push('a hit the post_filter excludes')
        } else all.push(total)
        if (new Set(all).size !== 1) problems.push(`counts disagree: total ${total}, terms ${counted}, value_count ${a.vc.value}, sum ${a.s.value}, filter ${a.f.doc_count}, global ${a.g.doc_count}, histogram ${histogram}`)
        for (const b of a.sub.buckets) if (b.s.value !== b.doc_count) problems.push(`bucket ${b.key}: ${b.doc_count} documents, sum ${b.s.value}`)
        const keys = (buckets: Json[]) => JSON.stringify(buckets.map((b) => [b.key, b.doc_count]))
        if (keys(a.sub.buckets) !== keys(a.k.buckets)) problems.push('two terms aggregations over one field differ')
      }
    }
    const readers = [reader(), reader(), reader('k1'), reader('k5')]
    await sleep(3000)
    stop = true
    await Promise.all([writer, ...readers])
    expect(problems.slice(0, 5)).toEqual([])
    expect(writes).toBeGreaterThan(5)
    expect(answers).toBeGreaterThan(50)
    expect((await send(`${url}/conc/_count`, 'GET')).body.count).toBe(live.size)
  })
})

describe('a point in time while documents are written', () => {
  let server: Server
  const DOCS = 1500
  const words = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta']
  const doc = (i: number, salt = 0) => ({
    k: `k${(i + salt) % 13}`,
    n: (i * 7919 + salt) % 100_003,
    t: Array.from({ length: 3 + (i % 5) }, (_, j) => words[(i * (j + 1) + salt) % 8]).join(' '),
    d: new Date(Date.UTC(2024, 0, 1) + ((i + salt) % 400) * 86_400_000).toISOString(),
  })
  const MAPPINGS = { mappings: { properties: { k: { type: 'keyword' }, n: { type: 'long' }, t: { type: 'text' }, d: { type: 'date' } } } }

  beforeAll(async () => {
    server = await portServer()
  })
  afterAll(async () => {
    await send(`${server.url}/_search/point_in_time/_all`, 'DELETE')
    await server?.close()
  })

  async function load(index: string): Promise<void> {
    expect((await send(`${server.url}/${index}`, 'PUT', MAPPINGS)).status).toBe(200)
    const lines = Array.from({ length: DOCS }, (_, i) => [{ index: { _id: `p${i}` } }, doc(i)]).flat()
    expect((await send(`${server.url}/${index}/_bulk`, 'POST', ndjson(lines), NDJSON)).body.errors).toBe(false)
  }

  it('answers queries first run after the writes, page by page with search_after and aggregations, as the index did before them', async () => {
    const { url } = server
    await load('pitx')
    const aggs = { k: { terms: { field: 'k', size: 50 } }, s: { stats: { field: 'n' } }, dh: { date_histogram: { field: 'd', calendar_interval: 'month' } } }
    const queries: Json[] = [
      { query: { match: { t: 'alpha beta' } } },
      { query: { match: { t: 'gamma' } }, sort: [{ n: 'asc' }] },
      { query: { term: { k: 'k3' } }, sort: [{ n: 'desc' }] },
      { query: { range: { n: { gte: 1000, lt: 60_000 } } }, sort: [{ d: 'asc' }, { n: 'asc' }] },
      { query: { bool: { must: { match: { t: 'delta' } }, filter: { terms: { k: ['k1', 'k2', 'k5'] } } } } },
      { query: { match_all: {} }, sort: [{ k: 'asc' }, { n: 'asc' }] },
      { query: { match: { t: 'theta eta' } }, post_filter: { term: { k: 'k7' } } },
    ]
    const shown = (hits: Json[], sorted: boolean) => hits.map((hit) => ({ _id: hit._id, _score: hit._score, sort: sorted ? hit.sort.slice(0, -1) : null, _source: hit._source }))
    // The index's own answers, taken with nothing written between them and the point in time.
    const expected: Json[] = []
    for (const query of queries) {
      const answer = await send(`${url}/pitx/_search`, 'POST', { ...query, size: 10_000, track_total_hits: true, aggs })
      expect(answer.status).toBe(200)
      expected.push({ total: answer.body.hits.total.value, hits: shown(answer.body.hits.hits.map((hit: Json) => ({ ...hit, sort: [...(hit.sort ?? []), 0] })), Boolean(query.sort)), aggs: answer.body.aggregations })
    }
    const pit = (await send(`${url}/pitx/_search/point_in_time?keep_alive=2m`, 'POST')).body.pit_id
    expect(pit).toEqual(expect.any(String))

    let stop = false
    let writes = 0
    let salt = 1
    const writer = (async () => {
      let next = DOCS
      while (!stop) {
        const lines: unknown[] = []
        for (let j = 0; j < 40; j++) {
          const r = (j * 37 + writes * 11) % 10
          const i = (j * 131 + writes * 17) % DOCS
          if (r < 3) lines.push({ index: { _id: `p${next}` } }, doc(next++, salt))
          else if (r < 7) lines.push({ index: { _id: `p${i}` } }, doc(i, salt++))
          else lines.push({ delete: { _id: `p${i}` } })
        }
        await send(`${url}/pitx/_bulk`, 'POST', ndjson(lines), NDJSON)
        writes++
      }
    })()
    // Writes first: the point in time's first search must already use a frozen copy.
    while (writes < 2) await sleep(10)

    for (const [q, query] of queries.entries()) {
      const hits: Json[] = []
      let after: unknown
      for (let page = 0; ; page++) {
        const answer = await send(`${url}/_search`, 'POST', { ...query, size: 150, track_total_hits: true, aggs, pit: { id: pit, keep_alive: '2m' }, ...(after ? { search_after: after } : {}) })
        expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(200)
        expect(answer.body.hits.total.value, `query ${q} page ${page}`).toBe(expected[q].total)
        expect(answer.body.aggregations, `query ${q} page ${page}`).toEqual(expected[q].aggs)
        if (answer.body.hits.hits.length === 0) break
        hits.push(...answer.body.hits.hits)
        after = answer.body.hits.hits.at(-1).sort
      }
      expect(shown(hits, Boolean(query.sort)), `query ${q}`).toEqual(expected[q].hits)
    }
    stop = true
    await writer
    expect(writes).toBeGreaterThan(2)
    // The index did change meanwhile.
    const now = await send(`${url}/pitx/_search`, 'POST', { ...queries[5], size: 0, track_total_hits: true, aggs })
    expect(now.body.aggregations).not.toEqual(expected[5].aggs)
    expect((await send(`${url}/_search/point_in_time`, 'DELETE', { pit_id: pit })).body.pits).toEqual([{ pit_id: pit, successful: true }])
  })

  it('is freed when its index is deleted while it is frozen, and never sees a new index of the same name', async () => {
    const { url } = server
    await load('gone')
    const query = { query: { match: { t: 'alpha' } }, aggs: { k: { terms: { field: 'k' } } }, track_total_hits: true }
    const before = (await send(`${url}/gone/_search`, 'POST', query)).body.hits.total.value
    const frozen = (await send(`${url}/gone/_search/point_in_time?keep_alive=2m`, 'POST')).body.pit_id
    const freezing = (await send(`${url}/gone/_search/point_in_time?keep_alive=2m`, 'POST')).body.pit_id
    await send(`${url}/gone/_doc/new?refresh=true`, 'PUT', { k: 'k0', t: 'alpha alpha' })
    // One frozen before the delete; one freezing while it is deleted.
    const first = await send(`${url}/_search`, 'POST', { ...query, pit: { id: frozen } })
    expect(first.body.hits.total.value).toBe(before)
    const [during, deleted] = await Promise.all([send(`${url}/_search`, 'POST', { ...query, pit: { id: freezing } }), send(`${url}/gone`, 'DELETE')])
    expect(deleted).toMatchObject({ status: 200, body: { acknowledged: true } })
    expect([200, 404]).toContain(during.status)
    if (during.status === 200) expect(during.body.hits.total.value).toBe(before)
    expect((await send(`${url}/gone`, 'GET')).status).toBe(404)
    for (const id of [frozen, freezing]) {
      const after = await send(`${url}/_search`, 'POST', { ...query, pit: { id } })
      expect(after.status).toBe(404)
      expect(after.body.error.type).toBe('search_context_missing_exception')
    }
    // The same name again: the freed points in time stay freed.
    await send(`${url}/gone`, 'PUT', MAPPINGS)
    await send(`${url}/gone/_doc/x?refresh=true`, 'PUT', { k: 'k0', t: 'alpha' })
    const again = await send(`${url}/_search`, 'POST', { ...query, pit: { id: frozen } })
    expect(again.status).toBe(404)
    expect((await send(`${url}/_search/point_in_time/_all`, 'GET')).body.pits).toEqual([])
  })
})

describe('the Elasticsearch 8 client: aggregations, post_filter, typed_keys and a point in time', () => {
  let server: Server
  let client: Client8
  const PRODUCTS = [
    { name: 'desk lamp', category: 'lighting', price: 35, added: '2024-03-01' },
    { name: 'floor lamp', category: 'lighting', price: 120, added: '2024-05-12' },
    { name: 'lamp table', category: 'furniture', price: 80, added: '2024-02-10' },
    { name: 'wall lamp', category: 'lighting', price: 45, added: '2024-01-20' },
    { name: 'sofa', category: 'furniture', price: 900, added: '2023-12-01' },
  ]
  const SEARCH = {
    query: { match: { name: 'lamp' } },
    post_filter: { term: { category: 'lighting' } },
    aggs: {
      categories: { terms: { field: 'category' } },
      prices: { range: { field: 'price', ranges: [{ to: 50 }, { from: 50 }] }, aggs: { newest: { max: { field: 'added' } } } },
      months: { date_histogram: { field: 'added', calendar_interval: 'month' as const, min_doc_count: 0 } },
      median: { percentiles: { field: 'price', percents: [50] } },
      dearest: { top_hits: { size: 1, sort: [{ price: { order: 'desc' as const } }] } },
    },
  }

  beforeAll(async () => {
    server = await portServer({ compat: 'elasticsearch' })
    client = new Client8({ node: server.url })
    await client.indices.create({ index: 'products', mappings: { properties: { name: { type: 'text' }, category: { type: 'keyword' }, price: { type: 'double' }, added: { type: 'date' } } } })
    const bulk = await client.bulk({ operations: PRODUCTS.flatMap((p, i) => [{ index: { _index: 'products', _id: String(i) } }, p]), refresh: true })
    expect(bulk.errors).toBe(false)
  })
  afterAll(async () => {
    await client?.close()
    await server?.close()
  })

  it('search with aggs and post_filter: hits narrowed, facets counted before it', async () => {
    const answer = await client.search({ index: 'products', ...SEARCH })
    expect(answer.hits.total).toEqual({ value: 3, relation: 'eq' })
    expect(answer.hits.hits.map((hit) => hit._id).sort()).toEqual(['0', '1', '3'])
    const aggs = answer.aggregations as Json
    expect(aggs.categories.buckets).toEqual([{ key: 'lighting', doc_count: 3 }, { key: 'furniture', doc_count: 1 }])
    expect(aggs.prices.buckets.map((b: Json) => [b.key, b.doc_count, b.newest.value_as_string])).toEqual([['*-50.0', 2, '2024-03-01T00:00:00.000Z'], ['50.0-*', 2, '2024-05-12T00:00:00.000Z']])
    expect(aggs.months.buckets.map((b: Json) => b.doc_count)).toEqual([1, 1, 1, 0, 1])
    expect(aggs.median.values).toEqual({ '50.0': 62.5 })
    expect(aggs.dearest.hits.hits[0]._id).toBe('1')
  })

  it('typed_keys=true, sent by the client as a query parameter, names each result type#name', async () => {
    const answer = await client.search({ index: 'products', ...SEARCH, typed_keys: true }, { meta: true })
    expect(answer.meta.request.params.querystring).toBe('typed_keys=true')
    expect(Object.keys(answer.body.aggregations!)).toEqual(['sterms#categories', 'range#prices', 'date_histogram#months', 'tdigest_percentiles#median', 'top_hits#dearest'])
    expect(Object.keys((answer.body.aggregations as Json)['range#prices'].buckets[0])).toContain('max#newest')
  })

  it('openPointInTime, a write, search with the pit (aggs, typed_keys, search_after), closePointInTime, then a 404', async () => {
    const pit = await client.openPointInTime({ index: 'products', keep_alive: '1m' })
    await client.index({ index: 'products', id: '9', document: { name: 'lamp new', category: 'lighting', price: 10, added: '2024-06-01' }, refresh: true })
    const first = await client.search({ pit: { id: pit.id, keep_alive: '1m' }, ...SEARCH, sort: [{ price: 'asc' }], size: 2, typed_keys: true })
    expect(first.pit_id).toBe(pit.id)
    expect(first.hits.total).toEqual({ value: 3, relation: 'eq' })
    expect(first.hits.hits.map((hit) => hit._id)).toEqual(['0', '3'])
    expect((first.aggregations as Json)['sterms#categories'].buckets).toEqual([{ key: 'lighting', doc_count: 3 }, { key: 'furniture', doc_count: 1 }])
    const second = await client.search({ pit: { id: pit.id }, ...SEARCH, sort: [{ price: 'asc' }], size: 2, search_after: first.hits.hits[1].sort })
    expect(second.hits.hits.map((hit) => hit._id)).toEqual(['1'])
    // The index itself has the new lamp.
    expect((await client.search({ index: 'products', ...SEARCH })).hits.total).toEqual({ value: 4, relation: 'eq' })
    expect(await client.closePointInTime({ id: pit.id })).toEqual({ succeeded: true, num_freed: 1 })
    const closed = await client.search({ pit: { id: pit.id }, query: { match_all: {} } }).catch((error: unknown) => error)
    expect(closed).toBeInstanceOf(errors.ResponseError)
    expect((closed as InstanceType<typeof errors.ResponseError>).meta.statusCode).toBe(404)
    expect((closed as InstanceType<typeof errors.ResponseError>).body).toMatchObject({ error: { type: 'search_context_missing_exception' } })
  })
})
