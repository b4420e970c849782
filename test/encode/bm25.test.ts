import { describe, expect, it } from 'vitest'
import { bm25Config, createBm25Encoder } from '../../src/encode/bm25.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { doc, tempDir } from '../helpers.js'

// d1: apple x2, banana (length 3); d2: banana, cherry (2); d3: cherry x3, date (4). N = 3, avgdl = 3.
const CORPUS = [doc('d1', 'apple banana apple'), doc('d2', 'banana cherry'), doc('d3', 'cherry cherry cherry date')]

async function corpusIndex() {
  const index = await SparseIndex.open(await tempDir(), { create: true })
  await index.add(CORPUS)
  return index
}

describe('bm25 encoder', () => {
  it('encodes title + " " + text into term frequencies and the analyzed length', async () => {
    const encoder = createBm25Encoder(bm25Config())
    const [vector] = await encoder.encodeDocuments([doc('x', 'the apples of apple', 'Apple pie')])
    expect(vector).toEqual({ terms: ['appl', 'pie'], values: [3, 1], length: 4 })
  })

  it('counts a repeated query term as many times as it occurs', () => {
    const encoder = createBm25Encoder(bm25Config())
    expect(encoder.encodeQuery('apple Apples banana')).toEqual([{ term: 'appl', weight: 2 }, { term: 'banana', weight: 1 }])
  })

  it('rejects out-of-range parameters', () => {
    expect(() => bm25Config({ b: 1.5 })).toThrow(/b must be in \[0, 1\]/)
    expect(() => bm25Config({ k1: -1 })).toThrow(/k1 must be a number >= 0/)
  })
})

describe('bm25 scoring (Lucene BM25Similarity, k1 = 0.9, b = 0.4)', () => {
  it('matches hand-computed scores', async () => {
    const index = await corpusIndex()
    // idf(apple) = ln(1 + 2.5 / 1.5); d1: tf 2, norm 0.9 * (0.6 + 0.4 * 3 / 3) = 0.9 -> idf * 2 / 2.9
    const [apple, ...rest] = index.searchIds('apple')
    expect(rest).toEqual([])
    expect(apple.id).toBe('d1')
    expect(apple.score).toBeCloseTo(0.676433967594294, 14)
    // idf(banana) = idf(cherry) = ln(1.6); d2 norm 0.78, d3 norm 1.02, d1 norm 0.9
    const hits = index.searchIds('banana cherry')
    expect(hits.map((h) => h.id)).toEqual(['d2', 'd3', 'd1'])
    expect(hits[0].score).toBeCloseTo(0.5280939654446468, 14)
    expect(hits[1].score).toBeCloseTo(0.35074897704905644, 14)
    expect(hits[2].score).toBeCloseTo(0.24737033118196614, 14)
    await index.close()
  })

  it('a query term repeated n times contributes n times', async () => {
    const index = await corpusIndex()
    const [once] = index.searchIds('apple')
    const [twice] = index.searchIds('apple apple')
    expect(twice.score).toBe(2 * once.score)
    await index.close()
  })

  it('stays exact for the current statistics after deletes and replacements', async () => {
    const index = await corpusIndex()
    await index.delete(['d3'])
    await index.add([doc('d1', 'apple date')])
    const fresh = await SparseIndex.open(await tempDir(), { create: true })
    await fresh.add([doc('d2', 'banana cherry'), doc('d1', 'apple date')])
    for (const query of ['apple', 'banana cherry', 'date apple cherry']) {
      const strip = (hits: { id: string; score: number }[]) => hits.map(({ id, score }) => ({ id, score }))
      expect(strip(index.searchIds(query))).toEqual(strip(fresh.searchIds(query)))
    }
    await Promise.all([index.close(), fresh.close()])
  })

  it('returns no hits for an empty or stop-word-only query', async () => {
    const index = await corpusIndex()
    expect(index.searchIds('')).toEqual([])
    expect(index.searchIds('the and of')).toEqual([])
    expect(index.searchIds('unknownterm')).toEqual([])
    await index.close()
  })
})
