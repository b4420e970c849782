import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  documentWithId, Schema, SparseIndex,
  type LeafField, type SearchBody, type SearchResult, type SortedHit, type SortValue, type StoredSchema,
} from '../../src/index.js'
import { tempDir } from '../helpers.js'

// What a library user imports from 'lsr' (src/index.ts) is enough to type a search over fields.
describe("the package's public exports", () => {
  it('type a fields-only index: its schema, a search body and its result', async () => {
    const schema: StoredSchema = {
      mappings: { properties: { name: { type: 'text' }, category: { type: 'keyword' }, price: { type: 'float' } } },
      similarity: { default: { type: 'BM25', k1: 1.2, b: 0.75 } },
    }
    // A schema can be checked without an index.
    expect(() => Schema.parse({ mappings: { properties: { price: { type: 'money' } } } })).toThrow(/No handler for type \[money\]/)
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema })
    try {
      await index.add([
        documentWithId('p1', { name: 'Oak desk lamp', category: 'lighting', price: 39.5 }, 'p1'),
        documentWithId('p2', { name: 'Steel floor lamp', category: 'lighting', price: 89 }, 'p2'),
        documentWithId('p3', { name: 'Lamp shade', category: 'parts', price: 12 }, 'p3'),
      ])
      const body: SearchBody = {
        query: { multi_match: { query: 'lamp', fields: ['name^3'] } },
        filter: { term: { category: 'lighting' } },
        sort: [{ price: 'desc' }],
        size: 1,
      }
      const page = await index.search(body)
      expectTypeOf(page).toMatchTypeOf<SearchResult>()
      expectTypeOf(page.hits[0]).toMatchTypeOf<SortedHit & { source: Record<string, unknown> }>()
      expectTypeOf(page.hits[0].sort).toEqualTypeOf<SortValue[] | undefined>()
      expect(page.total).toBe(2)
      expect(page.hits).toHaveLength(1)
      expect([page.hits[0].id, page.hits[0].sort, page.hits[0].source.name]).toEqual(['p2', [89], 'Steel floor lamp'])
      const next = await index.search({ ...body, searchAfter: page.hits[0].sort })
      expect(next.hits.map((hit) => hit.id)).toEqual(['p1'])
      const price: LeafField | undefined = index.schema?.field('price')
      expect(price?.type).toBe('float')
      expect(index.schema?.toStored()).toEqual(schema)
    } finally {
      await index.close()
    }
  })
})
