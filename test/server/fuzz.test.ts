import { describe, expect, it } from 'vitest'
import { decodeURIComponentSafe, fuzzCases, PROTECTED } from '../../scripts/fuzz/cases.js'
import { formatSummary, runFuzz } from '../../scripts/fuzz/harness.js'

// A short run of scripts/fuzz/http-fuzz.js (same generator, same checks), against the sources:
// the server runs in a process of its own (a request that blocks its event loop is reported as
// a timeout instead of hanging the test run).
describe('HTTP fuzz', () => {
  it('the generator is deterministic for a seed, and every request that may write a protected index must fail', () => {
    const run = (seed: number) => [...fuzzCases({ seed, count: 400 })].map((c) => JSON.stringify({ ...c, body: c.body?.toString(), raw: c.raw?.toString('latin1') }))
    expect(run(11)).toEqual(run(11))
    expect(run(11)).not.toEqual(run(12))
    const kinds = new Set([...fuzzCases({ seed: 11, count: 2000 })].map((c) => c.kind))
    for (const kind of ['search', 'count', 'explain', 'broken-json', 'index-name', 'bulk-protected', 'bulk-scratch', 'doc-empty', 'create-index', 'unknown-path', 'unknown-method', 'query-string', 'bad-auth', 'raw-http', 'delete-index', 'alias-actions', 'alias-api', 'alias-read', 'alias-write']) {
      expect(kinds, kind).toContain(kind)
    }
    for (const c of fuzzCases({ seed: 11, count: 2000 })) {
      const write = !['GET', 'HEAD', 'RAW', 'BURST'].includes(c.method) && !/\/(_search|_count|_explain\/[^/]+|_refresh|_stats)$/.test(c.path.split('?')[0])
      const names = decodeURIComponentSafe(c.path.split('?')[0].split('/')[1] ?? '').split(',')
      if (write && names.some((n) => PROTECTED.includes(n))) expect(c.mustFail, `${c.method} ${c.path}`).toBe(true)
    }
  })

  it('400 hostile requests over a real port: no 5xx, no server path, errors in Elasticsearch shape, protected indexes unchanged', async () => {
    const summary = await runFuzz({ from: 'src', requests: 400, seed: 20240611, slowMs: 5000, timeoutMs: 8000, maxSeconds: 150 })
    expect(summary.requests).toBe(400)
    expect(summary.failureCount, formatSummary(summary, { failures: 10 })).toBe(0)
  }, 300_000)
})
