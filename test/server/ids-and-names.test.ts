import { describe, expect, it } from 'vitest'
import { testApp } from './helpers.js'

describe('document ids and index names at their limits', () => {
  it('_bulk refuses an _id that is an object, an array, empty or over 512 bytes, and writes nothing for it', async () => {
    const { call } = await testApp()
    await call('PUT', '/scratch', {})
    const ids = [{}, [], '', 'x'.repeat(513), 'é'.repeat(257)]
    const body = ids.map((id) => `${JSON.stringify({ index: { _id: id } })}\n${JSON.stringify({ title: 'doc' })}\n`).join('') + '{"index":{"_id":7}}\n{"title":"number id"}\n'
    const { items } = (await call('POST', '/scratch/_bulk', body, { 'content-type': 'application/x-ndjson' })).body
    expect(items.map((item: { index: { status: number } }) => item.index.status)).toEqual([400, 400, 400, 400, 400, 201])
    expect(items[0].index.error.reason).toMatch(/_id must be a string, got object/)
    expect(items[2].index.error.reason).toMatch(/must not be empty/)
    expect(items[3].index.error.reason).toMatch(/must be no longer than 512 bytes but was: 513/)
    expect((await call('GET', '/scratch/_count')).body.count).toBe(1)
    expect((await call('GET', '/scratch/_doc/7')).body.found).toBe(true)
    expect((await call('GET', '/scratch/_doc/%5Bobject%20Object%5D')).status).toBe(404)
    const long = await call('PUT', `/scratch/_doc/${'y'.repeat(600)}`, { title: 'long' })
    expect(long.status).toBe(400)
  })

  it('creates an index with a 255-byte name (its temporary folder must fit too)', async () => {
    const { call } = await testApp()
    const name = 'a'.repeat(255)
    expect((await call('PUT', `/${name}`, {})).status).toBe(200)
    expect((await call('PUT', `/${name}/_doc/1`, { title: 'x' })).status).toBe(201)
    expect((await call('GET', '/_cat/indices?format=json')).body.map((r: { index: string }) => r.index)).toEqual([name])
  })
})
