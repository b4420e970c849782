import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { tempDir } from '../helpers.js'

describe('maxScore of a search', () => {
  it('is the best score of every match, not only of the hits kept, whatever the order', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema: { mappings: { properties: { name: { type: 'text' }, price: { type: 'float' } } } } })
    // "lamp lamp lamp" scores highest for "lamp" but is the most expensive: a price sort keeps it last.
    await index.add([
      { id: 'cheap', source: { name: 'lamp shade and stand', price: 5 } },
      { id: 'mid', source: { name: 'desk lamp', price: 20 } },
      { id: 'dear', source: { name: 'lamp lamp lamp', price: 90 } },
    ])
    const query = { match: { name: 'lamp' } }
    const byScore = await index.search({ query, size: 3 })
    const best = byScore.hits[0].score
    expect(byScore.hits[0].id).toBe('dear')
    const byPrice = await index.search({ query, sort: [{ price: 'asc' }], trackScores: true, size: 1 })
    expect(byPrice.hits.map((hit) => hit.id)).toEqual(['cheap'])
    expect(byPrice.maxScore).toBe(best)
    expect((await index.search({ query, sort: [{ _score: 'asc' }], size: 1 })).maxScore).toBe(best)
    expect((await index.search({ query, sort: [{ price: 'asc' }], size: 1 })).maxScore).toBeNull()
    await index.close()
  })
})
