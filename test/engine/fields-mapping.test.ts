/**
 * Mappings through the engine: dynamic mapping (the shapes it stores and that the fields are then
 * searchable as those types), `dynamic: strict` and `false`, mapping conflicts (all or nothing per
 * document, with and without per-document errors), `PUT _mapping` merges and conflicts, and the
 * grown mapping across reopen. `check()` is clean after each.
 */
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import type { SourceDocument } from '../../src/encode/encoder.js'
import type { Query } from '../../src/engine/query/types.js'
import { LsrError, type LsrErrorCode } from '../../src/errors.js'
import type { StoredSchema } from '../../src/storage/format.js'
import { tempDir } from '../helpers.js'

const TEXT_WITH_KEYWORD = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }

const sourceDoc = (id: string, source: Record<string, unknown>): SourceDocument => ({ id, title: '', text: '', source })

async function fieldsIndex(schema: StoredSchema = { mappings: {} }, dir?: string): Promise<{ index: SparseIndex; dir: string }> {
  const folder = dir ?? (await tempDir())
  return { index: await SparseIndex.open(folder, { create: true, encoder: null, schema }), dir: folder }
}

const ids = async (index: SparseIndex, query: Query) => (await index.search({ query, size: 100 })).hits.map((h) => h.id).sort()

/** Runs `fn`, expects an LsrError with `code`, returns it. */
async function failure(fn: () => Promise<unknown>, code: LsrErrorCode): Promise<LsrError> {
  try {
    await fn()
  } catch (error) {
    expect(error).toBeInstanceOf(LsrError)
    expect((error as LsrError).code, (error as Error).message).toBe(code)
    return error as LsrError
  }
  throw new Error(`expected an LsrError ${code}, got none`)
}

/** What must not change when a write is refused. */
async function snapshot(index: SparseIndex) {
  const { documents, deletedDocuments, terms, postings, segments } = await index.stats()
  return { stats: { documents, deletedDocuments, terms, postings, segments }, mappings: index.schema!.toStored(), meta: structuredClone(index.meta) }
}

describe('dynamic mapping through the engine', () => {
  it('maps new fields as Elasticsearch does and stores the grown mapping', async () => {
    const { index } = await fieldsIndex()
    expect(index.schema!.toStored().mappings).toEqual({})
    await index.add([
      sourceDoc('1', {
        title: 'Hello world',
        count: 3,
        ratio: 1.5,
        ok: true,
        when: '2024-01-01T10:00:00Z',
        slash: '2015/09/02',
        user: { name: 'ann', age: 30 },
        tags: ['red', 'green'],
        nothing: null,
        empty: [],
        'dotted.key': 'x',
      }),
    ])
    expect(index.schema!.toStored().mappings).toEqual({
      properties: {
        count: { type: 'long' },
        dotted: { properties: { key: TEXT_WITH_KEYWORD } },
        ok: { type: 'boolean' },
        ratio: { type: 'float' },
        slash: { type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' },
        tags: TEXT_WITH_KEYWORD,
        title: TEXT_WITH_KEYWORD,
        user: { properties: { age: { type: 'long' }, name: TEXT_WITH_KEYWORD } },
        when: { type: 'date' },
      },
    })
    expect(index.meta.schema).toEqual(index.schema!.toStored())
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('searches dynamic fields as their types: text, keyword sub-field, numbers, dates, booleans, objects, arrays', async () => {
    const { index } = await fieldsIndex()
    await index.add([
      sourceDoc('a', { title: 'Red Lamp', count: 3, ratio: 1.5, ok: true, when: '2024-01-01T10:00:00Z', user: { name: 'ann', age: 30 }, tags: ['red', 'green'] }),
      sourceDoc('b', { title: 'red chair', count: 2.7, ratio: 2, ok: 'false', when: '2024-02-01', user: { age: '41' }, tags: 'blue' }),
    ])
    await index.add([sourceDoc('c', { title: 'Table', count: '10', ratio: '0.5', when: 1_700_000_000_000, tags: [] })])
    expect(await ids(index, { match: { title: 'red' } })).toEqual(['a', 'b'])
    expect(await ids(index, { term: { 'title.keyword': 'Red Lamp' } })).toEqual(['a'])
    expect(await ids(index, { term: { 'title.keyword': 'red lamp' } })).toEqual([])
    // count is a long: 2.7 was truncated to 2, "10" coerced.
    expect(await ids(index, { term: { count: 2 } })).toEqual(['b'])
    expect(await ids(index, { range: { count: { gte: 3 } } })).toEqual(['a', 'c'])
    // ratio is a float: 2 (an integer JSON number in a float field) and "0.5" are floats.
    expect(await ids(index, { range: { ratio: { lt: 1.5 } } })).toEqual(['c'])
    expect(await ids(index, { term: { ok: false } })).toEqual(['b'])
    expect(await ids(index, { range: { when: { gte: '2024-01-15' } } })).toEqual(['b'])
    expect(await ids(index, { range: { when: { lt: '2024-01-01' } } })).toEqual(['c'])
    expect(await ids(index, { range: { 'user.age': { gt: 35 } } })).toEqual(['b'])
    expect(await ids(index, { match: { 'user.name': 'ann' } })).toEqual(['a'])
    expect(await ids(index, { term: { 'tags.keyword': 'green' } })).toEqual(['a'])
    expect(await ids(index, { exists: { field: 'tags' } })).toEqual(['a', 'b'])
    // An object's name matches documents with a value in any of its sub-fields (ES tries `user.*`).
    expect(await ids(index, { exists: { field: 'user' } })).toEqual(['a', 'b'])
    expect(await ids(index, { exists: { field: 'user.name' } })).toEqual(['a'])
    expect(await ids(index, { bool: { must_not: { exists: { field: 'user' } } } })).toEqual(['c'])
    expect(await ids(index, { exists: { field: 'ok' } })).toEqual(['a', 'b'])
    const sorted = await index.search({ sort: [{ 'title.keyword': 'asc' }] })
    expect(sorted.hits.map((h) => [h.id, h.sort])).toEqual([['a', ['Red Lamp']], ['c', ['Table']], ['b', ['red chair']]])
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('a field takes the type of its first value: later documents must fit it (within one batch too)', async () => {
    const { index } = await fieldsIndex()
    await index.add([sourceDoc('1', { size: 10 })])
    const before = await snapshot(index)
    const error = await failure(() => index.add([sourceDoc('2', { size: 'big' })]), 'mapper_parsing')
    expect(error.message).toMatch(/\[size\].*\[long\]/)
    expect(await snapshot(index)).toEqual(before)
    // In one batch: the first document maps `shape` as long; the second cannot be a string there.
    const result = await index.add([sourceDoc('3', { shape: 1 }), sourceDoc('4', { shape: 'round' }), sourceDoc('5', { shape: 7 })], { perDocumentErrors: true })
    expect(result.outcomes).toEqual(['created', 'failed', 'created'])
    expect(result.errors[1]?.code).toBe('mapper_parsing')
    expect(index.schema!.field('shape')?.type).toBe('long')
    expect(index.has('4')).toBe(false)
    expect(await ids(index, { range: { shape: { gte: 0 } } })).toEqual(['3', '5'])
    expect(await index.check()).toEqual([])
    await index.close()
  })
})

describe('dynamic: strict and dynamic: false', () => {
  it('strict refuses a document with an unmapped field: nothing of it is written', async () => {
    const { index } = await fieldsIndex({ mappings: { dynamic: 'strict', properties: { name: { type: 'text' }, price: { type: 'float' } } } })
    await index.add([sourceDoc('1', { name: 'lamp', price: 5 })])
    const before = await snapshot(index)
    const error = await failure(() => index.add([sourceDoc('2', { name: 'chair', price: 7, color: 'red' })]), 'strict_dynamic_mapping')
    expect(error.message).toMatch(/color/)
    expect(await snapshot(index)).toEqual(before)
    expect(index.has('2')).toBe(false)
    expect(await index.get('2')).toBeUndefined()
    expect(await ids(index, { match: { name: 'chair' } })).toEqual([])
    // An update refused leaves the old document as it was.
    await failure(() => index.add([sourceDoc('1', { name: 'desk', extra: true })]), 'strict_dynamic_mapping')
    expect(await index.get('1')).toEqual({ name: 'lamp', price: 5 })
    expect(await ids(index, { match: { name: 'lamp' } })).toEqual(['1'])
    // With per-document errors, the others of the batch are written.
    const result = await index.add([sourceDoc('3', { name: 'table' }), sourceDoc('4', { nested: { x: 1 } }), sourceDoc('1', { name: 'lamp', price: 6 })], { perDocumentErrors: true })
    expect(result.outcomes).toEqual(['created', 'failed', 'updated'])
    expect(result.errors[1]?.code).toBe('strict_dynamic_mapping')
    expect(await ids(index, { range: { price: { gte: 6 } } })).toEqual(['1'])
    expect(await ids(index, { match_all: {} })).toEqual(['1', '3'])
    expect(index.schema!.toStored().mappings).toEqual(before.mappings.mappings)
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('false keeps unmapped fields in the source only: not searchable, not in the mapping', async () => {
    const { index } = await fieldsIndex({ mappings: { dynamic: false, properties: { name: { type: 'text' } } } })
    await index.add([sourceDoc('1', { name: 'lamp', color: 'red', dims: { w: 3 } })])
    expect(await index.get('1')).toEqual({ name: 'lamp', color: 'red', dims: { w: 3 } })
    // GET _mapping shows dynamic as a string, as Elasticsearch does.
    expect(index.schema!.toStored().mappings).toEqual({ dynamic: 'false', properties: { name: { type: 'text' } } })
    expect(await ids(index, { match: { color: 'red' } })).toEqual([])
    expect(await ids(index, { term: { color: 'red' } })).toEqual([])
    expect(await ids(index, { exists: { field: 'color' } })).toEqual([])
    expect(await ids(index, { range: { 'dims.w': { gte: 0 } } })).toEqual([])
    expect(await ids(index, { match: { name: 'lamp' } })).toEqual(['1'])
    expect((await index.search({ query: { match: { name: 'lamp' } } })).hits[0].source).toEqual({ name: 'lamp', color: 'red', dims: { w: 3 } })
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('an object can set its own dynamic: strict inside a dynamic index', async () => {
    const { index } = await fieldsIndex({ mappings: { properties: { meta: { dynamic: 'strict', properties: { a: { type: 'keyword' } } } } } })
    await index.add([sourceDoc('1', { meta: { a: 'x' }, other: 1 })])
    await failure(() => index.add([sourceDoc('2', { meta: { b: 'y' } })]), 'strict_dynamic_mapping')
    expect(index.schema!.field('other')?.type).toBe('long')
    expect(index.schema!.field('meta.b')).toBeUndefined()
    expect(await index.check()).toEqual([])
    await index.close()
  })
})

describe('mapping conflicts: all or nothing per document', () => {
  it('a value its field cannot hold fails the document: error mapper_parsing, nothing of it written, its other new fields not mapped', async () => {
    const { index } = await fieldsIndex()
    await index.add([sourceDoc('1', { price: 10, name: 'lamp' })])
    const before = await snapshot(index)
    const error = await failure(() => index.add([sourceDoc('2', { brand: 'acme', price: 'abc', name: 'chair' })]), 'mapper_parsing')
    expect(error.message).toMatch(/failed to parse field \[price\] of type \[long\] in document with id '2'/)
    expect(await snapshot(index)).toEqual(before)
    expect(index.schema!.field('brand')).toBeUndefined()
    expect(index.has('2')).toBe(false)
    expect(await ids(index, { match: { name: 'chair' } })).toEqual([])
    expect(await index.check()).toEqual([])

    // A whole batch without per-document errors: nothing written, not even the good documents.
    await failure(() => index.add([sourceDoc('3', { price: 3 }), sourceDoc('4', { price: { nested: 1 } })]), 'mapper_parsing')
    expect(await snapshot(index)).toEqual(before)
    expect(index.has('3')).toBe(false)

    // With per-document errors: the others are written; a failed update keeps the old document.
    const result = await index.add(
      [sourceDoc('3', { price: 3, color: 'red' }), sourceDoc('1', { price: 'cheap', name: 'desk' }), sourceDoc('5', { price: '7', size: 'xl', name: 'table' })],
      { perDocumentErrors: true },
    )
    expect(result.outcomes).toEqual(['created', 'failed', 'created'])
    expect(result.errors.map((e) => e?.code)).toEqual([undefined, 'mapper_parsing', undefined])
    expect(result.added).toBe(2)
    expect(await index.get('1')).toEqual({ price: 10, name: 'lamp' })
    expect(await ids(index, { match: { name: 'lamp' } })).toEqual(['1'])
    expect(await ids(index, { match: { name: 'desk' } })).toEqual([])
    expect(await ids(index, { range: { price: { gte: 3 } } })).toEqual(['1', '3', '5'])
    expect(Object.keys((index.schema!.toStored().mappings as { properties: object }).properties).sort()).toEqual(['color', 'name', 'price', 'size'])
    expect((await index.stats()).documents).toBe(3)
    expect(await index.check()).toEqual([])
    await index.close()
  })
})

describe('PUT _mapping', () => {
  it('merges new fields and multi-fields; existing documents keep what they were indexed with', async () => {
    const { index } = await fieldsIndex({ mappings: { properties: { title: { type: 'text' }, price: { type: 'float' } } } })
    await index.add([sourceDoc('1', { title: 'Red Lamp', price: 5, brand: 'acme' })])
    expect(index.schema!.field('brand')?.type).toBe('text') // dynamic: text + keyword
    await index.putMapping({ properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } }, sku: { type: 'keyword' }, price: { type: 'float' } } })
    expect(index.schema!.toStored().mappings).toEqual({
      properties: {
        brand: TEXT_WITH_KEYWORD,
        price: { type: 'float' },
        sku: { type: 'keyword' },
        title: { type: 'text', fields: { raw: { type: 'keyword' } } },
      },
    })
    await index.add([sourceDoc('2', { title: 'Blue Chair', sku: 'B-1', price: 7 })])
    expect(await ids(index, { term: { 'title.raw': 'Blue Chair' } })).toEqual(['2'])
    // Document 1 was indexed before title.raw existed (Elasticsearch does not reindex either).
    expect(await ids(index, { term: { 'title.raw': 'Red Lamp' } })).toEqual([])
    expect(await ids(index, { term: { sku: 'B-1' } })).toEqual(['2'])
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('refuses a type change or a parameter Elasticsearch cannot update, and leaves the mapping unchanged', async () => {
    const { index } = await fieldsIndex({ mappings: { properties: { title: { type: 'text' }, price: { type: 'float' }, when: { type: 'date' } } } })
    await index.add([sourceDoc('1', { title: 'lamp', price: 5, when: '2024-01-01' })])
    const before = await snapshot(index)
    const conflicts: Array<[unknown, RegExp]> = [
      [{ properties: { price: { type: 'text' } } }, /price.*float.*text|cannot be changed/],
      [{ properties: { title: { type: 'text', analyzer: 'english' } } }, /analyzer/],
      [{ properties: { when: { type: 'date', format: 'yyyy' } } }, /format/],
      [{ properties: { title: { properties: { x: { type: 'keyword' } } } } }, /object/],
    ]
    for (const [update, message] of conflicts) {
      let error: unknown
      try {
        await index.putMapping(update)
      } catch (caught) {
        error = caught
      }
      expect(error, JSON.stringify(update)).toBeInstanceOf(LsrError)
      expect(['mapper_parsing', 'invalid_argument']).toContain((error as LsrError).code)
      expect((error as Error).message, JSON.stringify(update)).toMatch(message)
      expect(await snapshot(index)).toEqual(before)
    }
    await failure(() => index.putMapping({ properties: { bad: { type: 'no_such_type' } } }), 'mapper_parsing')
    expect(await snapshot(index)).toEqual(before)
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('can switch dynamic to strict: later unmapped fields are refused', async () => {
    const { index } = await fieldsIndex()
    await index.add([sourceDoc('1', { a: 1 })])
    await index.putMapping({ dynamic: 'strict' })
    expect(index.schema!.toStored().mappings).toEqual({ dynamic: 'strict', properties: { a: { type: 'long' } } })
    await failure(() => index.add([sourceDoc('2', { b: 1 })]), 'strict_dynamic_mapping')
    await index.add([sourceDoc('2', { a: 2 })])
    expect(await ids(index, { range: { a: { gte: 1 } } })).toEqual(['1', '2'])
    expect(await index.check()).toEqual([])
    await index.close()
  })
})

describe('the grown mapping persists', () => {
  it('reopens with the mapping grown by dynamic fields and PUT _mapping, and keeps growing and answering the same', async () => {
    const { index, dir } = await fieldsIndex({
      mappings: { properties: { body: { type: 'text', analyzer: 'whitespace_lower' } } },
      analysis: { analyzer: { whitespace_lower: { type: 'custom', tokenizer: 'whitespace', filter: ['lowercase'] } } },
      similarity: { default: { type: 'BM25', k1: 0.9, b: 0.5 } },
    })
    await index.add([sourceDoc('1', { body: 'Red-Lamp shines', price: 5, when: '2024-01-01' }), sourceDoc('2', { body: 'blue chair', price: 7.5, tags: ['x', 'y'] })])
    await index.putMapping({ properties: { sku: { type: 'keyword' } } })
    await index.add([sourceDoc('3', { body: 'red-lamp again', sku: 'S-1', price: 9 })])
    const stored = index.schema!.toStored()
    const queries: Query[] = [
      { match: { body: 'red-lamp' } },
      { range: { price: { gt: 5 } } },
      { term: { sku: 'S-1' } },
      { term: { 'tags.keyword': 'y' } },
      { range: { when: { lte: '2024-01-01' } } },
    ]
    const answers = async (idx: SparseIndex) => Promise.all(queries.map(async (query) => (await idx.search({ query })).hits.map((h) => [h.id, h.score])))
    const before = await answers(index)
    // The whitespace analyzer keeps red-lamp one token; both documents have it once in two tokens.
    expect(before[0].map(([id]) => id)).toEqual(['1', '3'])
    await index.close()

    const reopened = await SparseIndex.open(dir)
    expect(reopened.schema!.toStored()).toEqual(stored)
    expect(stored.analysis).toBeDefined()
    expect(stored.similarity).toEqual({ default: { type: 'BM25', k1: 0.9, b: 0.5 } })
    expect(reopened.schema!.bm25('body')).toEqual({ k1: 0.9, b: 0.5 })
    expect(await answers(reopened)).toEqual(before)
    // The stored types hold after reopen: price is a float.
    await failure(() => reopened.add([sourceDoc('4', { price: 'free' })]), 'mapper_parsing')
    await reopened.add([sourceDoc('4', { colour: 'green' })])
    expect(reopened.schema!.field('colour')?.type).toBe('text')
    expect(await reopened.check()).toEqual([])
    await reopened.close()
    const again = await SparseIndex.open(dir)
    expect(again.schema!.field('colour')?.type).toBe('text')
    expect(await again.check()).toEqual([])
    await again.close()
  })
})

describe('re-adds and repeated ids are applied as a bulk applies its actions', () => {
  // A document whose stored source is identical is left as it is only when its field terms under
  // today's mapping are identical too: Elasticsearch reindexes every PUT of a document, which is
  // how a field added by PUT _mapping (or a dynamic: false field mapped later) becomes searchable.
  it('re-adding an identical document after PUT _mapping indexes it under the new mapping', async () => {
    const { index } = await fieldsIndex({ mappings: { dynamic: false, properties: { name: { type: 'text' } } } })
    await index.add([sourceDoc('1', { name: 'lamp', color: 'red' })])
    await index.putMapping({ properties: { color: { type: 'keyword' } } })
    await index.add([sourceDoc('1', { name: 'lamp', color: 'red' })])
    try {
      expect(await ids(index, { term: { color: 'red' } })).toEqual(['1'])
    } finally {
      await index.close()
    }
  })

  // Elasticsearch's _bulk applies each action in turn: of a repeated id, each document succeeds
  // or fails on its own, and the last one accepted is the one written.
  it('with per-document errors, each document of a repeated id succeeds or fails on its own', async () => {
    const { index } = await fieldsIndex({ mappings: { properties: { price: { type: 'long' } } } })
    try {
      const result = await index.add([sourceDoc('1', { price: 1 }), sourceDoc('1', { price: 'abc' })], { perDocumentErrors: true })
      expect(result.outcomes).toEqual(['created', 'failed'])
      expect(await index.get('1')).toEqual({ price: 1 })
    } finally {
      await index.close()
    }
  })
})
