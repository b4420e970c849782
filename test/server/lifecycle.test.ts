import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/index/sparse-index.js'
import { startServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'

const bulkOf = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `{"index":{"_id":"d${from + i}"}}\n{"text":"common words and number ${from + i}"}`).join('\n') + '\n'

describe('server lifecycle and concurrency', () => {
  it('searches during bulk indexing see whole batches only', async () => {
    const server = await startServer({ dataDir: await tempDir(), port: 0 })
    await fetch(`${server.url}/live`, { method: 'PUT' })
    const writes = Array.from({ length: 20 }, (_, i) => fetch(`${server.url}/live/_bulk`, { method: 'POST', body: bulkOf(i * 50, 50) }))
    const counts: number[] = []
    const reads = Array.from({ length: 60 }, async () => {
      const response = await fetch(`${server.url}/live/_count`, { method: 'POST', body: JSON.stringify({ query: { match: { text: 'common' } } }) })
      counts.push(((await response.json()) as { count: number }).count)
    })
    await Promise.all([...writes, ...reads])
    expect(counts.every((n) => n % 50 === 0)).toBe(true)
    const final = (await fetch(`${server.url}/live/_count`).then((r) => r.json())) as { count: number }
    expect(final.count).toBe(1000)
    await server.close()
  })

  it('graceful close lets an in-flight bulk finish and closes the indexes; a disconnected client loses nothing', async () => {
    const dataDir = await tempDir()
    const server = await startServer({ dataDir, port: 0 })
    await fetch(`${server.url}/g`, { method: 'PUT' })

    // A client that sends a whole bulk body, then hangs up before the answer.
    const url = new URL(`${server.url}/g/_bulk`)
    await new Promise<void>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-ndjson' } })
      req.on('error', () => resolve())
      req.end(bulkOf(0, 500), () => {
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 5)
      })
    })
    const inFlight = fetch(`${server.url}/g/_bulk`, { method: 'POST', body: bulkOf(500, 2000) })
    await new Promise((r) => setTimeout(r, 20))
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
