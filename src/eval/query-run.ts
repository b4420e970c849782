/**
 * Running a split's queries one at a time and timing each: the run, and the latency figures of
 * an evaluation report.
 * @module
 */
import type { BeirQuery } from '../corpus/beir.js'
import type { Run } from './metrics.js'

/** One retrieved document, by external id. */
export interface RetrievedHit {
  id: string
  score: number
}

/** The latency figures of a report. */
export interface QueryTiming {
  queryP50Ms: number
  queryP99Ms: number
  queriesPerSecond: number
}

/** A run and how long its queries took. */
export interface TimedRun {
  run: Run
  timing: QueryTiming
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0

/**
 * Runs each query through `search` and collects the run. BEIR drops a hit whose id is the
 * query's own (a query that is also a corpus document), unless `keepIdenticalIds`.
 * @example const { run, timing } = runQueries(queries, (q) => index.searchIds(q.text, { k: 1000 }), false)
 */
export function runQueries(queries: readonly BeirQuery[], search: (query: BeirQuery) => readonly RetrievedHit[], keepIdenticalIds: boolean): TimedRun {
  const run: Run = new Map()
  const times: number[] = []
  const started = performance.now()
  for (const query of queries) {
    const t = performance.now()
    const hits = search(query)
    times.push(performance.now() - t)
    run.set(query.id, hits.filter((h) => keepIdenticalIds || h.id !== query.id).map((h) => ({ docId: h.id, score: h.score })))
  }
  const seconds = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  return { run, timing: { queryP50Ms: percentile(times, 50), queryP99Ms: percentile(times, 99), queriesPerSecond: queries.length / Math.max(seconds, 1e-9) } }
}
