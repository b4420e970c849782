/**
 * `_bulk` index/create results come from what the serialized write did, not from a check made
 * while parsing (issue 10): concurrent creates of one id cannot both succeed.
 */
import { describe, expect, it } from 'vitest'
import { testApp } from './helpers.js'

type Item = Record<string, { status: number; result?: string; error?: { type: string } }>
const statusesOf = (items: Item[]) => items.map((item) => Object.entries(item).map(([action, v]) => `${action}:${v.status}:${v.result ?? v.error?.type}`)[0])

describe('bulk create and index outcomes', () => {
  it('two concurrent bulks creating the same new id: exactly one 201 and one 409', async () => {
    const { call } = await testApp()
    await call('PUT', '/c', {})
    for (let round = 0; round < 20; round++) {
      const body = (who: string) => `{"create":{"_id":"id${round}"}}\n{"text":"written by ${who}"}\n`
      const [a, b] = await Promise.all([call('POST', '/c/_bulk', body('a')), call('POST', '/c/_bulk', body('b'))])
      const statuses = [a.body.items[0].create.status, b.body.items[0].create.status].sort()
      expect(statuses, `round ${round}`).toEqual([201, 409])
      const winner = a.body.items[0].create.status === 201 ? 'a' : 'b'
      expect((await call('GET', `/c/_doc/id${round}`)).body._source.text).toBe(`written by ${winner}`)
      const loser = (winner === 'a' ? b : a).body
      expect(loser.errors).toBe(true)
      expect(loser.items[0].create.error.type).toBe('version_conflict_engine_exception')
    }
  })

  it('two concurrent bulks indexing the same new id: one created (201), one updated (200)', async () => {
    const { call } = await testApp()
    await call('PUT', '/c', {})
    for (let round = 0; round < 10; round++) {
      const body = (who: string) => `{"index":{"_id":"id${round}"}}\n{"text":"written by ${who}"}\n`
      const answers = await Promise.all([call('POST', '/c/_bulk', body('a')), call('POST', '/c/_bulk', body('b'))])
      expect(answers.map((r) => `${r.body.items[0].index.status}:${r.body.items[0].index.result}`).sort()).toEqual(['200:updated', '201:created'])
    }
  })

  it('within one request, repeated ids apply in order: index then create conflicts, identical re-index is an update', async () => {
    const { call } = await testApp()
    await call('PUT', '/c', {})
    await call('PUT', '/c/_doc/old', { text: 'old' })
    const ndjson = [
      '{"index":{"_id":"x"}}', '{"text":"one"}',
      '{"create":{"_id":"x"}}', '{"text":"two"}',
      '{"create":{"_id":"y"}}', '{"text":"y"}',
      '{"index":{"_id":"y"}}', '{"text":"y2"}',
      '{"create":{"_id":"old"}}', '{"text":"new"}',
      '{"index":{"_id":"old"}}', '{"text":"old"}',
    ].join('\n')
    const response = await call('POST', '/c/_bulk', ndjson)
    expect(statusesOf(response.body.items)).toEqual([
      'index:201:created', 'create:409:version_conflict_engine_exception', 'create:201:created', 'index:200:updated',
      'create:409:version_conflict_engine_exception', 'index:200:updated',
    ])
    expect((await call('GET', '/c/_doc/x')).body._source).toEqual({ text: 'one' })
    expect((await call('GET', '/c/_doc/y')).body._source).toEqual({ text: 'y2' })
    expect((await call('GET', '/c/_doc/old')).body._source).toEqual({ text: 'old' })
  })
})
