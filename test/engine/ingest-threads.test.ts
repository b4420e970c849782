/**
 * Ingest with worker threads (encoding-workers.ts) against ingest on the calling thread: the same
 * index (documents, terms, postings, scores, stored sources, mapped fields), the same errors at the
 * same lines, the same skipped counts. The workers run compiled code, so these tests import dist/.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import type * as Lsr from '../../src/index.js'
import { ensureBuilt } from '../cli/build.js'
import { ROOT, tempDir } from '../helpers.js'

let lsr: typeof Lsr
beforeAll(async () => {
  await ensureBuilt()
  lsr = (await import(join(ROOT, 'dist/index.js'))) as typeof Lsr
}, 120_000)

const WORDS = ['protein', 'cell', 'café', 'naïve', 'cells', 'running', 'ran', "patient's", 'β-amyloid', '東京', 'tumour', 'mouse', 'mice', 'x-ray', 'the', 'of']

/** Records of every shape ingest meets: titles or none, numeric ids, mapped fields, Object.prototype's names as keys, long texts. */
function records(count: number): Array<Record<string, unknown>> {
  let seed = 11
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const text = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
  return Array.from({ length: count }, (_, i) => {
    const record: Record<string, unknown> = { _id: i % 10 === 3 ? i : `d${i}`, text: text(5 + Math.floor(random() ** 6 * 2000)) }
    if (i % 4 !== 0) record.title = text(3)
    if (i % 5 === 0) record.tags = ['a', `t${i % 3}`]
    if (i % 7 === 0) record.year = 2000 + (i % 20)
    if (i === 42) Object.assign(record, { constructor: 'c', toString: { nested: 'x' } })
    return record
  })
}

async function corpus(lines: string[], name = 'corpus.jsonl'): Promise<string> {
  const file = join(await tempDir(), name)
  await writeFile(file, name.endsWith('.gz') ? gzipSync(lines.join('\n')) : lines.join('\n'))
  return file
}

/** What an index holds, as a user sees it. */
async function contents(index: Lsr.SparseIndex, ids: string[], queries: string[]) {
  const { documents, terms, postings, deletedDocuments } = await index.stats()
  const hits = await Promise.all(queries.map(async (q) => (await index.search(q, { k: 20 })).map((h) => [h.id, h.score])))
  const filtered = await index.search({ query: { bool: { filter: [{ terms: { tags: ['t1', 'k1'] } }, { range: { year: { gte: 2005 } } }] } }, size: 50 })
  const sources = await Promise.all(ids.map((id) => index.get(id)))
  return { documents, terms, postings, deletedDocuments, hits, filtered: filtered.hits.map((h) => h.id), sources }
}

async function ingestWith(threads: number, file: string, options: Partial<Lsr.IngestOptions> = {}, open: Lsr.OpenOptions = {}) {
  const index = await lsr.SparseIndex.open(await tempDir(), { create: true, ...open })
  try {
    const result = await lsr.ingestCorpus(index, file, { ...options, threads }).then((r) => ({ ...r, seconds: 0 }), (error: Error) => ({ error: error.message }))
    return { result, index }
  } catch (error) {
    await index.close()
    throw error
  }
}

describe('ingestCorpus with worker threads', () => {
  it('builds the same bm25 index as one thread: scores, sources, mapped fields (many chunks, gzip too)', async () => {
    const docs = records(1500)
    const lines = docs.map((d) => JSON.stringify(d))
    const ids = docs.map((d) => String(d._id))
    const queries = ['protein cells', 'café naïve', 'mice running', 'β amyloid 東京', "patient x-ray tumour"]
    for (const name of ['corpus.jsonl', 'corpus.jsonl.gz']) {
      const file = await corpus(['\uFEFF' + lines[0], ...lines.slice(1)], name)
      const one = await ingestWith(1, file)
      const three = await ingestWith(3, file)
      expect(three.result).toEqual({ ...one.result })
      expect(one.result).toMatchObject({ read: 1500, added: 1500 })
      const expected = await contents(one.index, ids, queries)
      expect(await contents(three.index, ids, queries)).toEqual(expected)
      expect(expected.sources[42]).toMatchObject({ constructor: 'c', toString: { nested: 'x' } })
      expect(expected.filtered.length).toBeGreaterThan(0)
      await one.index.close()
      await three.index.close()
    }
  }, 120_000)

  it('builds the same vectors index, and an index without an encoder', async () => {
    const lines = Array.from({ length: 800 }, (_, i) => JSON.stringify({ _id: `v${i}`, vector: { a: 1 + (i % 5), [`t${i % 17}`]: 0.25 * (i % 9), z: 1e-40 }, tags: [`k${i % 4}`], year: 2000 + (i % 20) }))
    const file = await corpus(lines)
    const ids = Array.from({ length: 800 }, (_, i) => `v${i}`)
    for (const open of [{ encoder: { name: 'vectors' } }, { encoder: null }] as Lsr.OpenOptions[]) {
      const one = await ingestWith(1, file, {}, open)
      const two = await ingestWith(2, file, {}, open)
      expect(two.result).toEqual(one.result)
      const queries = open.encoder ? ['a t3', 't5'] : []
      const expected = await contents(one.index, ids, queries)
      expect(expected.filtered.length).toBeGreaterThan(0)
      expect(await contents(two.index, ids, queries)).toEqual(expected)
      await one.index.close()
      await two.index.close()
    }
  }, 60_000)

  it('stops at the same line with the same error, having committed the same documents; skips the same lines', async () => {
    const good = records(300).map((d) => JSON.stringify(d))
    const cases: Array<[string, string]> = [
      ['invalid JSON', '{"_id": "bad", '],
      ['invalid record', '{"_id": "bad", "text": 5}'],
      ['missing id', '{"text": "no id"}'],
      ['refused by the mapping', '{"_id": "bad", "text": "x", "year": "not a year"}'],
      ['a "__proto__" key', '{"_id": "bad", "__proto__": {"x": 1}, "text": "a"}'],
    ]
    for (const [, bad] of cases) {
      const file = await corpus([...good.slice(0, 200), bad, ...good.slice(200)])
      for (const options of [{ batchSize: 64 }, { skipInvalid: true }]) {
        const one = await ingestWith(1, file, options)
        const two = await ingestWith(2, file, options)
        expect(two.result).toEqual(one.result)
        expect((await two.index.stats()).documents).toBe((await one.index.stats()).documents)
        if ('error' in one.result) expect(one.result.error).toMatch(/corpus\.jsonl:201: /)
        else expect(one.result.skipped).toBe(1)
        await one.index.close()
        await two.index.close()
      }
    }
  }, 60_000)

  it('commits every line read before a gzip file breaks, as one thread does, and reports an earlier bad line first', async () => {
    const lines = records(1500).map((d) => JSON.stringify(d))
    const gzipped = async (content: string[]) => {
      const gzip = gzipSync(content.join('\n'))
      const file = join(await tempDir(), 'broken.jsonl.gz')
      await writeFile(file, gzip.subarray(0, Math.floor(gzip.length * 0.8)))
      return file
    }
    // Where a broken gzip stream stops depends on how much zlib had decompressed when it failed
    // (read timing), so each ingest is checked against the line it names: every line before it committed.
    const broken = await gzipped(lines)
    for (const threads of [1, 2]) {
      const { result, index } = await ingestWith(threads, broken, { batchSize: 100 })
      const [, line, after] = /broken\.jsonl\.gz:(\d+): gzip data broken after line (\d+)/.exec((result as { error: string }).error ?? '') ?? []
      expect(Number(after)).toBe(Number(line) - 1)
      expect(Number(after)).toBeGreaterThan(800)
      expect((await index.stats()).documents).toBe(Number(after))
      await index.close()
    }
    const badFirst = await gzipped([...lines.slice(0, 700), '{"_id": ', ...lines.slice(700)])
    const one = await ingestWith(1, badFirst, { batchSize: 100 })
    const two = await ingestWith(2, badFirst, { batchSize: 100 })
    expect(one.result).toEqual({ error: expect.stringMatching(/broken\.jsonl\.gz:701: invalid JSON/) })
    expect(two.result).toEqual(one.result)
    expect((await one.index.stats()).documents).toBe(700)
    expect((await two.index.stats()).documents).toBe(700)
    await one.index.close()
    await two.index.close()
  }, 60_000)

  it("reports a document its encoder refuses as one thread does", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ _id: `v${i}`, vector: i === 30 ? [1, 2] : { a: 1 } }))
    const file = await corpus(lines)
    const one = await ingestWith(1, file, { batchSize: 20 }, { encoder: { name: 'vectors' } })
    const two = await ingestWith(2, file, { batchSize: 20 }, { encoder: { name: 'vectors' } })
    expect(one.result).toEqual({ error: expect.stringMatching(/document v30: field "vector" must be an object/) })
    expect(two.result).toEqual(one.result)
    expect((await two.index.stats()).documents).toBe((await one.index.stats()).documents)
    await one.index.close()
    await two.index.close()
  })

  it('finds re-ingested documents unchanged whichever way each ingest ran', async () => {
    const file = await corpus(records(300).map((d) => JSON.stringify(d)))
    for (const [first, second] of [[1, 2], [2, 1], [2, 2]]) {
      const { index } = await ingestWith(first, file)
      expect(await lsr.ingestCorpus(index, file, { threads: second })).toMatchObject({ read: 300, added: 0, replaced: 0, unchanged: 300 })
      await index.close()
    }
  })

  it('refuses a thread count that is not a positive integer', async () => {
    const file = await corpus(['{"_id": "a", "text": "x"}'])
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      const { result, index } = await ingestWith(threads, file)
      expect(result).toEqual({ error: `threads must be a positive integer, got ${threads}` })
      expect((await index.stats()).documents).toBe(0)
      await index.close()
    }
  })

  it('refuses worker threads for the neural encoder, whose model has threads of its own', async () => {
    const file = await corpus(['{"_id": "a", "text": "x"}'])
    const model = join(ROOT, 'test/fixtures/models/tiny-distilbert')
    const { result, index } = await ingestWith(2, file, {}, { encoder: { name: 'neural', model } })
    expect(result).toEqual({ error: expect.stringMatching(/^threads: the neural encoder runs its model on onnxruntime threads/) })
    expect((await index.stats()).documents).toBe(0)
    await index.close()
  })
})
