import { describe, expect, it } from 'vitest'
import { startServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'

// One writer changes 20 documents while readers search (with explanations and highlighting),
// count, explain and get them over a real port, for 12 s and at least 3,000 reads. Every answer must be one of a committed state:
//
//   - The writer replaces d0..d19 with generation g in one _bulk (consecutive index actions are
//     one atomic batch); every DELETE_EVERY generations it first deletes d0..d9 in one _bulk,
//     whose deletes are written one after the other (the README: "update and delete flush what
//     precedes them"), so the committed states in between are "d0..d(k-1) deleted", k = 1..10.
//     The next replacement brings d0..d9 back.
//   - So a committed state is (g, k): generation g, d0..d(k-1) deleted. A search sees exactly
//     d(k)..d19, all of generation g; a count is 20 - k, in [10, 20]; d10..d19 are always there.
//   - The text changes with g (term frequencies and lengths), so scores change with every state;
//     the scores a state gives are recorded the first time it is seen and every later answer in
//     that state must give the same (statistics and postings of one state, never mixed).
//
// Each read records whether its [start, end] overlapped a write's, and the test requires many
// such reads: it cannot pass without concurrency.

const DOCS = 20
const DELETE_EVERY = 4
/** Traffic runs at least this long, and on until MIN_READS reads (at most MAX_TRAFFIC_MS, for slow machines). */
const TRAFFIC_MS = 12_000
const MAX_TRAFFIC_MS = 45_000
const MIN_READS = 3000
const READERS = 6
const QUERY = { match: { text: 'common alpha' } }

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `d${from + i}`)

function source(i: number, g: number) {
  const text = `common ${'alpha '.repeat(1 + ((i + g) % 4))}gen${g} word${i}${' filler'.repeat((i * 3 + g) % 7)}`
  return { title: `doc ${i}`, text, gen: g, n: i }
}

const replaceAll = (g: number) => ids(0, DOCS).map((id, i) => `{"index":{"_id":"${id}"}}\n${JSON.stringify(source(i, g))}`).join('\n') + '\n'
const deleteFirstHalf = () => ids(0, DOCS / 2).map((id) => `{"delete":{"_id":"${id}"}}`).join('\n') + '\n'

interface Interval {
  start: number
  end: number
}

describe('reads during writes', () => {
  it('every search, count, explain and get answers from one committed state while a writer replaces and deletes documents', async () => {
    const server = await startServer({ dataDir: await tempDir(), port: 0 })
    const url = server.url
    const post = (path: string, body: unknown, contentType = 'application/json') =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) })
    try {
      expect((await fetch(`${url}/c`, { method: 'PUT' })).status).toBe(200)
      expect(((await (await post('/c/_bulk', replaceAll(0), 'application/x-ndjson')).json()) as { errors: boolean }).errors).toBe(false)

      const writes: Interval[] = []
      const reads: Array<Interval & { kind: string }> = []
      const errors: Array<{ kind: string; problem: string; detail: string }> = []
      const problem = (kind: string, what: string, detail: unknown) => {
        errors.push({ kind, problem: what, detail: JSON.stringify(detail).slice(0, 600) })
      }
      /** Scores by state `${gen}:${k}`, as first seen. */
      const scoresOfState = new Map<string, Map<string, number>>()
      let stop = false
      let generation = 0

      const writer = async () => {
        while (!stop) {
          const g = generation + 1
          if (g % DELETE_EVERY === 0) {
            const start = performance.now()
            const response = await post('/c/_bulk', deleteFirstHalf(), 'application/x-ndjson')
            const body = (await response.json()) as { errors: boolean }
            writes.push({ start, end: performance.now() })
            if (response.status !== 200 || body.errors) problem('write', 'the delete bulk failed', body)
          }
          const start = performance.now()
          const response = await post('/c/_bulk', replaceAll(g), 'application/x-ndjson')
          const body = (await response.json()) as { errors: boolean }
          writes.push({ start, end: performance.now() })
          if (response.status !== 200 || body.errors) problem('write', 'the replacement bulk failed', body)
          generation = g
        }
      }

      /** The state a set of live ids and a generation stand for; a problem when no committed state has them. */
      const stateOf = (kind: string, gens: number[], live: string[]): string | undefined => {
        const sorted = [...live].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
        const k = DOCS - sorted.length
        if (new Set(gens).size > 1) return problem(kind, 'hits of more than one generation in one answer', { gens, live: sorted }), undefined
        if (k < 0 || k > DOCS / 2 || sorted.join() !== ids(k, DOCS).join()) return problem(kind, 'live documents are not d(k)..d19 for some k in 0..10', sorted), undefined
        if (k > 0 && gens[0] % DELETE_EVERY !== DELETE_EVERY - 1) return problem(kind, `documents deleted in generation ${gens[0]}, which deletes none`, { gens, live: sorted }), undefined
        return `${gens[0]}:${k}`
      }

      const readers: Record<string, () => Promise<void>> = {
        search: async () => {
          const response = await post('/c/_search', { query: QUERY, size: 30, explain: true, highlight: { fields: { text: {} } } })
          const body = (await response.json()) as any
          if (response.status !== 200) return problem('search', `status ${response.status}`, body)
          const hits = body.hits.hits as Array<{ _id: string; _score: number; _source: ReturnType<typeof source>; _explanation: { value: number }; highlight?: { text?: string[] } }>
          if (body.hits.total.value !== hits.length || body.hits.total.relation !== 'eq') problem('search', 'total is not the number of hits', body.hits.total)
          for (const hit of hits) {
            if (Math.abs(hit._explanation?.value - hit._score) > 1e-9) problem('search', 'explanation value differs from the score', { id: hit._id, score: hit._score, explanation: hit._explanation?.value })
            const expected = source(Number(hit._id.slice(1)), hit._source.gen)
            if (JSON.stringify(hit._source) !== JSON.stringify(expected)) problem('search', 'the source is not the one its generation wrote', hit._source)
            if (!hit.highlight?.text?.some((f) => f.includes('<em>common</em>'))) problem('search', 'no highlight of the matched term', hit)
          }
          const state = stateOf('search', hits.map((h) => h._source.gen), hits.map((h) => h._id))
          if (!state) return
          const scores = new Map(hits.map((h) => [h._id, h._score]))
          const seen = scoresOfState.get(state)
          if (!seen) scoresOfState.set(state, scores)
          else for (const [id, score] of scores) if (Math.abs((seen.get(id) ?? NaN) - score) > 1e-9) return problem('search', `scores differ between two answers in state ${state}`, { id, first: seen.get(id), now: score })
        },
        count: async () => {
          const response = await post('/c/_count', { query: QUERY })
          const body = (await response.json()) as any
          if (response.status !== 200) return problem('count', `status ${response.status}`, body)
          if (!(Number.isInteger(body.count) && body.count >= DOCS / 2 && body.count <= DOCS)) problem('count', 'count outside 10..20', body)
        },
        explain: async () => {
          const n = Math.floor(Math.random() * DOCS)
          const response = await post(`/c/_explain/d${n}`, { query: QUERY })
          const body = (await response.json()) as any
          if (response.status === 404 && n < DOCS / 2 && body.matched === false) return
          if (response.status !== 200) return problem('explain', `status ${response.status} for d${n}`, body)
          if (body.matched !== true || !(body.explanation?.value > 0)) problem('explain', `d${n} does not match`, body)
        },
        get: async () => {
          const response = await fetch(`${url}/c/_doc/d15`)
          const body = (await response.json()) as any
          if (response.status !== 200 || body.found !== true || body._source?.n !== 15) return problem('get', `d15: status ${response.status}`, body)
          if (JSON.stringify(body._source) !== JSON.stringify(source(15, body._source.gen))) problem('get', 'd15: the source is not the one its generation wrote', body)
        },
        getDeleted: async () => {
          const response = await fetch(`${url}/c/_doc/d3`)
          const body = (await response.json()) as any
          if (response.status === 404 && body.found === false) return
          if (response.status !== 200 || body._source?.n !== 3) problem('getDeleted', `d3: status ${response.status}`, body)
        },
      }
      const kinds = Object.keys(readers)
      const reader = async (r: number) => {
        for (let i = r; !stop; i++) {
          const kind = kinds[i % kinds.length]
          const start = performance.now()
          try {
            await readers[kind]()
          } catch (error) {
            problem(kind, 'request failed', String(error))
          }
          reads.push({ kind, start, end: performance.now() })
        }
      }

      const running = [writer(), ...Array.from({ length: READERS }, (_, r) => reader(r))]
      const started = performance.now()
      while (performance.now() - started < MAX_TRAFFIC_MS && (performance.now() - started < TRAFFIC_MS || reads.length < MIN_READS)) {
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      stop = true
      await Promise.all(running)

      // Reads whose interval overlapped a write's (both lists are in start order).
      let overlapped = 0
      let w = 0
      for (const read of [...reads].sort((a, b) => a.start - b.start)) {
        while (w < writes.length && writes[w].end < read.start) w++
        if (w < writes.length && writes[w].start <= read.end) overlapped++
      }
      const byKind = Object.fromEntries(kinds.map((k) => [k, reads.filter((r) => r.kind === k).length]))
      const summary = `${reads.length} reads (${JSON.stringify(byKind)}), ${writes.length} writes, ${generation} generations, ${overlapped} reads overlapping a write, ${errors.length} errors`
      const examples = [...new Map(errors.map((e) => [`${e.kind}: ${e.problem}`, e])).values()].slice(0, 12)
      const counts = Object.entries(errors.reduce<Record<string, number>>((acc, e) => ({ ...acc, [`${e.kind}: ${e.problem.replace(/d\d+|\d+:\d+/g, '#')}`]: (acc[`${e.kind}: ${e.problem.replace(/d\d+|\d+:\d+/g, '#')}`] ?? 0) + 1 }), {}))
      console.log(`concurrency: ${summary}`)
      expect(errors, `${summary}\n${counts.map(([k, n]) => `${n} x ${k}`).join('\n')}\n${examples.map((e) => `${e.kind}: ${e.problem}: ${e.detail}`).join('\n')}`).toEqual([])
      expect(reads.length).toBeGreaterThanOrEqual(MIN_READS)
      expect(generation).toBeGreaterThan(2 * DELETE_EVERY)
      expect(overlapped, summary).toBeGreaterThanOrEqual(MIN_READS / 2)
      expect(scoresOfState.size).toBeGreaterThan(2)
    } finally {
      await server.close()
    }
  }, 120_000)
})
