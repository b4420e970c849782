import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEncoder, resolveEncoderConfig } from '../../src/encode/registry.js'
import type { EncodedDocument } from '../../src/encode/encoder.js'
import { ingestCorpus } from '../../src/engine/ingest.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { decodeWeight, encodeWeight, WEIGHT_RELATIVE_ERROR } from '../../src/storage/weight-codec.js'
import { bm25Idf } from '../../src/search/scorers/scored-query.js'
import { doc, ROOT, tempDir } from '../helpers.js'

const MODEL = join(ROOT, 'test/fixtures/models/tiny-distilbert')
const SAMPLE = join(ROOT, 'sample')
const QUERIES = ['roaring bitmaps compress posting lists', 'what is the weather in new york', 'learned sparse retrieval without a model', 'index documents fast']

async function neuralIndex(model = MODEL) {
  const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'neural', model }, runtime: { batchSize: 4, threads: 1 } })
  await ingestCorpus(index, SAMPLE)
  return index
}

/** The sample corpus' float vectors, straight from the encoder. */
async function floatVectors(model = MODEL): Promise<Map<string, Map<string, number>>> {
  const encoder = await createEncoder(await resolveEncoderConfig({ name: 'neural', model }))
  const docs = (await readFile(join(SAMPLE, 'corpus.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
  const vectors: EncodedDocument[] = await encoder.encodeDocuments(docs.map((d) => doc(d._id, d.text, d.title)))
  return new Map(docs.map((d, i) => [d._id, new Map(vectors[i].terms.map((t, j) => [t, vectors[i].values[j]]))]))
}

describe('an index built with the neural encoder', () => {
  it('answers queries with scores equal to hand-computed dot products of IDF weights and stored weights', async () => {
    const index = await neuralIndex()
    const vectors = await floatVectors()
    for (const text of QUERIES) {
      const query = index.encoder!.encodeQuery(text)
      const hits = index.searchIds(text, { k: 30 })
      expect(hits.length).toBeGreaterThan(0)
      for (const hit of hits) {
        const vector = vectors.get(hit.id)!
        let expected = 0
        for (const { term, weight } of query) if (weight > 0 && vector.has(term)) expected += weight * decodeWeight(encodeWeight(vector.get(term)!))
        expect(hit.score).toBeCloseTo(expected, 10)
      }
    }
    await index.close()
  })

  it('keeps quantized scores within 2^-9 of float scoring, and the float order wherever scores differ by more than that', async () => {
    const index = await neuralIndex()
    const vectors = await floatVectors()
    for (const text of QUERIES) {
      const query = index.encoder!.encodeQuery(text)
      const hits = index.searchIds(text, { k: 30 })
      const float = (id: string) => query.reduce((s, { term, weight }) => s + weight * (vectors.get(id)!.get(term) ?? 0), 0)
      for (const hit of hits) expect(Math.abs(hit.score - float(hit.id))).toBeLessThanOrEqual(WEIGHT_RELATIVE_ERROR * float(hit.id) + 1e-12)
      for (let i = 1; i < hits.length; i++) {
        const [a, b] = [float(hits[i - 1].id), float(hits[i].id)]
        if (Math.abs(a - b) > 2 * WEIGHT_RELATIVE_ERROR * Math.max(a, b)) expect(a).toBeGreaterThan(b)
      }
    }
    await index.close()
  })

  it('stores its model settings and fingerprints, and refuses a changed model folder', async () => {
    const model = join(await tempDir(), 'model')
    await cp(MODEL, model, { recursive: true })
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true, encoder: { name: 'neural', model, pruning: 'top_k:50' } })
    expect(index.meta.encoder).toMatchObject({ name: 'neural', model, dtype: 'fp32', maxLength: 64, activation: 'log1p_relu', pruning: { method: 'top_k', k: 50 }, idf: 'idf.json', queryFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) })
    await index.add([doc('a', 'roaring bitmaps')])
    await index.close()
    await writeFile(join(model, 'idf.json'), JSON.stringify({ roaring: 1 }))
    await expect(SparseIndex.open(dir)).rejects.toMatchObject({ code: 'encoder_mismatch', message: expect.stringMatching(/tokenizer or IDF table .* changed/) })
  })

  it('computes IDF from the indexed corpus when the model has no table, and says so', async () => {
    const model = join(await tempDir(), 'model')
    await cp(MODEL, model, { recursive: true })
    await rm(join(model, 'idf.json'))
    const index = await neuralIndex(model)
    expect(index.meta.encoder!.idf).toBe('corpus')
    const vectors = await floatVectors(model)
    const [hit] = index.searchIds('roaring bitmaps', { k: 1 })
    const tokens = index.encoder!.encodeQuery('roaring bitmaps')
    expect(tokens.every((t) => t.weight === 1)).toBe(true)
    const df = (term: string) => [...vectors.values()].filter((v) => v.has(term)).length
    const expected = tokens.reduce((s, { term }) => s + (vectors.get(hit.id)!.has(term) ? bm25Idf(30, df(term)) * decodeWeight(encodeWeight(vectors.get(hit.id)!.get(term)!)) : 0), 0)
    expect(hit.score).toBeCloseTo(expected, 10)
    await index.close()
  })

  it('resumes an interrupted ingest without re-encoding committed documents', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true, encoder: { name: 'neural', model: MODEL } })
    await index.add([doc('s01', 'stale text')])
    const first = await ingestCorpus(index, SAMPLE, { batchSize: 10 })
    expect(first).toMatchObject({ added: 29, replaced: 1 })
    const again = await ingestCorpus(index, SAMPLE, { batchSize: 10 })
    expect(again).toMatchObject({ added: 0, replaced: 0, unchanged: 30 })
    expect(await index.check()).toEqual([])
    await index.close()
  })
})

describe('an index of precomputed vectors (vectors encoder)', () => {
  it('indexes {token: weight} objects as they are, scores by dot product, and keeps them out of keyword metadata', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'vectors' } })
    const sources = [
      { _id: 'a', vector: { cat: 1.5, pet: 0.5 }, lang: 'en' },
      { _id: 'b', vector: { dog: 2, pet: 1 }, lang: 'de' },
    ]
    await index.add(sources.map((source) => ({ id: source._id, title: '', text: '', source, keywords: [['lang', source.lang], ['vector.cat', '1.5']] as Array<[string, string]> })))
    const hits = index.searchIds([{ term: 'pet', weight: 2 }, { term: 'cat', weight: 1 }])
    expect(hits.map((h) => [h.id, h.score])).toEqual([['a', 2.5], ['b', 2]])
    expect(index.docsWithKeyword('lang', ['de']).toArray()).toEqual([1])
    expect(index.docsWithKeyword('vector.cat', ['1.5']).size).toBe(0)
    for (const x of [-1, 1e39, Infinity]) {
      await expect(index.add([{ id: 'c', title: '', text: '', source: { vector: { x } } }])).rejects.toThrow('document c: weight of "x" in "vector" must be a number from 0 to 3.4028234663852886e+38 (float32)')
    }
    await index.close()
  })
})
