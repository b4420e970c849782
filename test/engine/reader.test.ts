import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { sourceKey } from '../../src/storage/format.js'
import { doc, tempDir } from '../helpers.js'

const gen = (g: number, ids: string[]) => ids.map((id) => ({ ...doc(id, `alpha beta gen${g} ${'alpha '.repeat(g % 3)}`), source: { _id: id, text: `alpha gen${g}`, gen: g } }))
const IDS = ['a', 'b', 'c', 'd']

/** A new index holding generation 1 of the documents. */
async function firstGeneration(): Promise<SparseIndex> {
  const index = await SparseIndex.open(await tempDir(), { create: true })
  await index.add(gen(1, IDS))
  return index
}

describe('SparseIndex.freeze: a reader that stays current', () => {
  it('ranks, counts, aggregates and reads sources as of its moment, after replaces, deletes, new fields and compaction', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null })
    const products = (g: number, ids: string[]) => ids.map((id, i) => ({ id, title: '', text: '', source: { name: `lamp ${id} gen${g}`, price: 10 * (i + 1) + g, tag: g % 2 ? 'odd' : 'even' } }))
    await index.add(products(1, ['a', 'b', 'c', 'd']))
    const body = { query: { match: { name: 'lamp' } }, aggs: { tags: { terms: { field: 'tag.keyword' } }, price: { stats: { field: 'price' } } }, size: 10 } as const
    const before = await index.search(body)
    const live = index.reader()
    // Everything changes: replaced, deleted, added documents, a new field, then a compaction.
    await index.add(products(2, ['a', 'b', 'e']))
    await index.delete(['c'])
    await index.add([{ id: 'f', title: '', text: '', source: { name: 'lamp f', colour: 'red' } }])
    await index.compact()
    expect(live.current).toBe(false)
    const frozen = await index.freeze(live)
    live.release()
    expect(frozen.current).toBe(true)
    const result = frozen.search(body)
    await frozen.readAggregationSources(result)
    const sources = await frozen.withSources(result.hits)
    expect(result.total).toBe(before.total)
    expect(result.aggregations).toEqual(before.aggregations)
    expect(sources.map((h) => [h.id, h.score, h.source])).toEqual(before.hits.map((h) => [h.id, h.score, h.source]))
    // A field added later does not exist in the frozen view.
    expect(frozen.schema?.field('colour')).toBeUndefined()
    expect(frozen.search({ query: { match: { colour: 'red' } } }).total).toBe(0)
    // The live index moved on; close waits for the frozen reader.
    expect((await index.search(body)).total).toBe(5)
    let closed = false
    const closing = index.close().then(() => (closed = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(closed).toBe(false)
    frozen.release()
    await closing
  })
})

describe('SparseIndex.freeze: copies shared by readers of one moment', () => {
  it('two readers of one moment share a copy that lives until both are released; a later moment loads its own', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null })
    await index.add([{ id: 'a', title: '', text: '', source: { name: 'lamp one' } }])
    const [first, second] = [index.reader(), index.reader()]
    await index.add([{ id: 'b', title: '', text: '', source: { name: 'lamp two' } }])
    const third = index.reader()
    await index.add([{ id: 'c', title: '', text: '', source: { name: 'lamp three' } }])
    const [a, b, c] = await Promise.all([index.freeze(first), index.freeze(second), index.freeze(third)])
    for (const reader of [first, second, third]) reader.release()
    const total = (reader: typeof a) => reader.search({ query: { match: { name: 'lamp' } } }).total
    expect([total(a), total(b), total(c)]).toEqual([1, 1, 2])
    a.release()
    // The shared copy outlives one of its readers.
    expect(total(b)).toBe(1)
    expect((await b.withSources(b.search({ query: { match_all: {} } }).hits)).map((hit) => hit.source.name)).toEqual(['lamp one'])
    b.release()
    c.release()
    await index.close()
  })
})

describe('IndexReader: one committed state per read', () => {
  it('reads the sources of the state it ranked, although writes commit before the sources are read', async () => {
    const index = await firstGeneration()
    const reader = index.reader()
    const hits = reader.topK('alpha', { k: 10 })
    // Every ranked document is then replaced or deleted before its source is read.
    await index.add(gen(2, ['a', 'b']))
    await index.delete(['c', 'd'])
    await index.compact()
    const read = await reader.withSources(hits)
    reader.release()
    expect(read.map((h) => [h.id, h.source.gen])).toEqual(hits.map((h) => [h.id, 1]))
    expect(read).toHaveLength(4)
    expect((await index.search('alpha', { k: 10 })).map((h) => h.source.gen)).toEqual([2, 2])
    await index.close()
  })

  it('refuses in-memory reads once a write has been applied since it was taken', async () => {
    const index = await firstGeneration()
    const reader = index.reader()
    expect(reader.current).toBe(true)
    await index.delete(['a'])
    expect(reader.current).toBe(false)
    expect(() => reader.topK('alpha')).toThrow(/stale/)
    expect(() => reader.docId('b')).toThrow(/stale/)
    reader.release()
    await index.close()
  })

  it('get answers the state of one moment', async () => {
    const index = await firstGeneration()
    const reader = index.reader()
    const pending = reader.source('a')
    await index.add(gen(5, ['a']))
    expect((await pending)?.gen).toBe(1)
    reader.release()
    expect((await index.get('a'))?.gen).toBe(5)
    await index.close()
  })

  it('close waits for the readers in use', async () => {
    const index = await firstGeneration()
    const reader = index.reader()
    const hits = reader.topK('alpha')
    let closed = false
    const closing = index.close().then(() => (closed = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(closed).toBe(false)
    expect((await reader.withSources(hits)).map((h) => h.source.gen)).toEqual([1, 1, 1, 1])
    reader.release()
    await closing
    expect(closed).toBe(true)
  })

  it('explains from the in-memory postings: the explanation equals the score, after replaces and compaction', async () => {
    const index = await firstGeneration()
    await index.add(gen(2, ['b', 'c']))
    await index.compact()
    for (const hit of index.searchIds('alpha gen2', { k: 10 })) {
      expect(index.explain('alpha gen2', hit.id)!.value).toBeCloseTo(hit.score, 12)
    }
    expect(index.explain('alpha', 'zz')).toBeUndefined()
    await index.close()
  })

  it('reports a missing stored source as missing, not as invalid JSON', async () => {
    const dir = await tempDir()
    let index = await SparseIndex.open(dir, { create: true })
    await index.add(gen(1, IDS))
    const victim = index.searchIds('alpha').find((h) => h.id === 'b')!.docId
    await index.close()
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.del(sourceKey(victim))
    await db.close()
    index = await SparseIndex.open(dir)
    await expect(index.search('alpha', { k: 10 })).rejects.toThrow(/source of document b \(doc \d+\) is missing/)
    expect(await index.check()).toContainEqual(expect.stringMatching(/stored source present=false/))
    await index.close()
  })
})
