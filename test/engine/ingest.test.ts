import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ingestCorpus } from '../../src/engine/ingest.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { tempDir } from '../helpers.js'

const line = (id: string, text: string) => JSON.stringify({ _id: id, title: `T ${id}`, text })

async function corpusFile(lines: string[], name = 'corpus.jsonl'): Promise<string> {
  const file = join(await tempDir(), name)
  await writeFile(file, name.endsWith('.gz') ? gzipSync(lines.join('\n')) : lines.join('\n'))
  return file
}

describe('ingestCorpus', () => {
  it('reads a BEIR folder, plain or gzipped, in batches', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => line(`d${i}`, `document number ${i}`))
    for (const name of ['corpus.jsonl', 'corpus.jsonl.gz']) {
      const file = await corpusFile(lines, name)
      const index = await SparseIndex.open(await tempDir(), { create: true })
      const progress: number[] = []
      const result = await ingestCorpus(index, join(file, '..'), { batchSize: 10, onProgress: (p) => progress.push(p.docs) })
      expect(result).toMatchObject({ read: 25, added: 25, skipped: 0 })
      expect(progress).toEqual([10, 20, 25])
      expect(await index.get('d7')).toEqual({ _id: 'd7', title: 'T d7', text: 'document number 7' })
      await index.close()
    }
  })

  it('writes by the memory budget by default: a small corpus is one write', async () => {
    const file = await corpusFile(Array.from({ length: 12_000 }, (_, i) => line(`d${i}`, `document number ${i}`)))
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const progress: number[] = []
    await ingestCorpus(index, file, { onProgress: (p) => progress.push(p.docs) })
    expect(progress).toEqual([12_000]) // not a write per 10,000 documents, as before
    await index.close()
  })

  it('stops at a malformed line with file:line, keeping every document before it', async () => {
    const file = await corpusFile([line('a', 'one'), line('b', 'two'), line('c', 'three'), '{"_id": "d", "text": ', line('e', 'five')])
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await expect(ingestCorpus(index, file, { batchSize: 2 })).rejects.toMatchObject({
      code: 'invalid_input',
      line: 4,
      message: expect.stringMatching(new RegExp(`^${file}:4: invalid JSON`)),
    })
    expect((await index.stats()).documents).toBe(3)
    expect(await index.get('c')).toBeDefined()
    expect(await index.get('e')).toBeUndefined()
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('names the line and field of a record without an id or with a non-string text', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const noId = await corpusFile([line('a', 'one'), JSON.stringify({ text: 'x' })])
    await expect(ingestCorpus(index, noId)).rejects.toThrow(`${noId}:2: missing id field "_id"`)
    const badText = await corpusFile([JSON.stringify({ _id: 'z', text: 42 })])
    await expect(ingestCorpus(index, badText)).rejects.toThrow(`${badText}:1: text field "text" must be a string, got number`)
    expect((await index.stats()).documents).toBe(1)
    await index.close()
  })

  it('stops at a document the index refuses (its mapping, its values) with file:line, keeping every document before it', async () => {
    const good = (id: string, year: number) => JSON.stringify({ _id: id, text: `doc ${id}`, year })
    // One write of 40 documents; the refused one at the start, in the middle and at the end of it.
    for (const at of [0, 17, 39]) {
      const lines = Array.from({ length: 40 }, (_, i) => (i === at ? JSON.stringify({ _id: 'bad', text: 'x', year: 'not a year' }) : good(`d${i}`, 2000 + i)))
      const file = await corpusFile([good('first', 1999), ...lines])
      const index = await SparseIndex.open(await tempDir(), { create: true })
      // The first record maps year as a number; the refused one's year cannot be one.
      await expect(ingestCorpus(index, file)).rejects.toMatchObject({
        code: 'invalid_input',
        line: at + 2,
        message: `${file}:${at + 2}: failed to parse field [year] of type [long] in document with id 'bad'. Preview of field's value: 'not a year'`,
      })
      expect((await index.stats()).documents).toBe(at + 1)
      expect(await index.get(at === 0 ? 'first' : `d${at - 1}`)).toBeDefined()
      expect(await index.get(`d${at + 1}`)).toBeUndefined()
      expect(await index.check()).toEqual([])
      await index.close()

      const skipping = await SparseIndex.open(await tempDir(), { create: true })
      expect(await ingestCorpus(skipping, file, { skipInvalid: true })).toMatchObject({ read: 40, added: 40, skipped: 1 })
      expect(await skipping.get('bad')).toBeUndefined()
      await skipping.close()
    }
  })

  it('skips every refused document of a write with skipInvalid, and keeps the others', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify(i % 7 === 3 ? { _id: `bad${i}`, text: 'x', year: `year ${i}` } : { _id: `d${i}`, text: `doc ${i}`, year: 2000 + i }))
    // A value a term cannot hold (a lone surrogate) is refused when the write is planned, not by the mapping.
    lines.splice(30, 0, String.raw`{"_id": "surrogate", "text": "ok", "tag": "\ud800"}`)
    const file = await corpusFile([JSON.stringify({ _id: 'first', text: 'first', year: 1999 }), ...lines])
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const refused = lines.filter((line) => line.includes('"bad') || line.includes('surrogate')).length
    expect(refused).toBe(10)
    expect(await ingestCorpus(index, file, { skipInvalid: true })).toMatchObject({ read: 62 - refused, added: 62 - refused, skipped: refused })
    expect((await index.stats()).documents).toBe(62 - refused)
    expect(await index.get('surrogate')).toBeUndefined()
    expect(await index.get('d58')).toBeDefined()
    expect(await index.get('bad3')).toBeUndefined()
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('skips and counts bad lines with skipInvalid', async () => {
    const file = await corpusFile([line('a', 'one'), 'not json', JSON.stringify({ text: 'no id' }), line('b', 'two')])
    const index = await SparseIndex.open(await tempDir(), { create: true })
    expect(await ingestCorpus(index, file, { skipInvalid: true })).toMatchObject({ read: 2, added: 2, skipped: 2 })
    await index.close()
  })

  it('uses custom field names', async () => {
    const file = await corpusFile([JSON.stringify({ id: 7, body: 'custom fields work' })])
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await ingestCorpus(index, file, { fields: { id: 'id', title: 'name', text: 'body' } })
    expect(index.searchIds('custom').map((h) => h.id)).toEqual(['7'])
    await index.close()
  })
})
