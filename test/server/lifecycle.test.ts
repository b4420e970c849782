import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { startServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'

const bulkOf = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `{"index":{"_id":"d${from + i}"}}\n{"text":"common words and number ${from + i}"}`).join('\n') + '\n'

/** Resolves the next time the server's instance of an index starts writing a batch (its add is wrapped). */
function writeStarts(index: SparseIndex): () => Promise<void> {
  const add = index.add.bind(index)
  let started = () => {}
  index.add = (...args: Parameters<SparseIndex['add']>) => {
    started()
    return add(...args)
  }
  return () => new Promise<void>((resolve) => (started = resolve))
}

describe('server lifecycle and concurrency', () => {
  it('searches during bulk indexing see whole batches only', async () => {
    const server = await startServer({ dataDir: await tempDir(), port: 0 })
    await fetch(`${server.url}/live`, { method: 'PUT' })
    const writes: Array<{ start: number; end: number }> = []
    const reads: Array<{ start: number; end: number; total: number }> = []
    let writing = true
    const written = Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const start = performance.now()
      const response = await fetch(`${server.url}/live/_bulk`, { method: 'POST', body: bulkOf(i * 50, 50) })
      expect(((await response.json()) as { errors: boolean }).errors).toBe(false)
      writes.push({ start, end: performance.now() })
    })).finally(() => (writing = false))
    // Readers keep reading until the last write is answered, alternating counts and searches.
    const readers = Array.from({ length: 4 }, async (_, r) => {
      for (let i = r; writing; i++) {
        const start = performance.now()
        const total = i % 2 === 0
          ? ((await (await fetch(`${server.url}/live/_count`, { method: 'POST', body: JSON.stringify({ query: { match: { text: 'common' } } }) })).json()) as { count: number }).count
          : ((await (await fetch(`${server.url}/live/_search`, { method: 'POST', body: JSON.stringify({ query: { match: { text: 'common' } }, size: 0, track_total_hits: true }) })).json()) as { hits: { total: { value: number } } }).hits.total.value
        reads.push({ start, end: performance.now(), total })
      }
    })
    await Promise.all([written, ...readers])
    expect(reads.map((r) => r.total).filter((n) => n % 50 !== 0)).toEqual([])
    // The reads really ran during the writes: many overlapped a write request, and some saw a
    // state between the first batch and the last.
    const overlapping = reads.filter((r) => writes.some((w) => w.start <= r.end && r.start <= w.end))
    expect(overlapping.length).toBeGreaterThanOrEqual(10)
    expect(reads.some((r) => r.total > 0 && r.total < 1000)).toBe(true)
    const final = (await fetch(`${server.url}/live/_count`).then((r) => r.json())) as { count: number }
    expect(final.count).toBe(1000)
    await server.close()
  })

  it('graceful close lets an in-flight bulk finish and closes the indexes; a disconnected client loses nothing', async () => {
    const dataDir = await tempDir()
    const server = await startServer({ dataDir, port: 0 })
    await fetch(`${server.url}/g`, { method: 'PUT' })
    const nextWrite = writeStarts(await server.registry.get('g'))

    // A client that sends a whole bulk body, then hangs up once the server is writing it, before the answer.
    const url = new URL(`${server.url}/g/_bulk`)
    const firstWrite = nextWrite()
    let answered = false
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-ndjson' } })
    req.on('response', () => (answered = true))
    req.on('error', () => {})
    req.end(bulkOf(0, 500))
    await firstWrite
    req.destroy()
    expect(answered).toBe(false)

    // Close while a bulk is being written.
    const secondWrite = nextWrite()
    const inFlight = fetch(`${server.url}/g/_bulk`, { method: 'POST', body: bulkOf(500, 2000) })
    await secondWrite
    const closing = server.close()
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(((await response.json()) as { errors: boolean }).errors).toBe(false)
    await closing

    const index = await SparseIndex.open(`${dataDir}/g`) // fails with index_locked if the server had not closed it
    expect((await index.stats()).documents).toBe(2500)
    expect(await index.check()).toEqual([])
    await index.close()
  })
})
