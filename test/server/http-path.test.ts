import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { portServer, send } from './helpers.js'

/** Sends a body in chunks without a Content-Length (Transfer-Encoding: chunked). */
function sendChunked(url: string, chunks: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

describe('request bodies over a socket', () => {
  let server: Awaited<ReturnType<typeof portServer>>
  beforeAll(async () => {
    server = await portServer({ maxBodyBytes: 1000 })
    await send(`${server.url}/b`, 'PUT')
  })
  afterAll(() => server.close())

  it('refuses a body over the limit with a 413, whether its length is declared or chunked', async () => {
    const big = JSON.stringify({ query: { match: { text: 'x'.repeat(2000) } } })
    for (const answer of [await send(`${server.url}/b/_search`, 'POST', big), await sendChunked(`${server.url}/b/_search`, [big.slice(0, 600), big.slice(600)])]) {
      expect(answer.status).toBe(413)
      expect(answer.body.error.type).toBe('content_too_long_exception')
    }
  })

  it('reads a body under the limit, declared or chunked', async () => {
    const body = JSON.stringify({ query: { match_all: {} }, size: 0 })
    expect((await send(`${server.url}/b/_search`, 'POST', body)).status).toBe(200)
    expect((await sendChunked(`${server.url}/b/_search`, [body.slice(0, 10), body.slice(10)])).body.hits.total).toEqual({ value: 0, relation: 'eq' })
  })
})
