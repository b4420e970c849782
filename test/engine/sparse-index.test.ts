import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { decodeJson, decodeTermEntry, encodeJson, FORMAT_VERSION, KEY_META, postingsKey, termKey, type IndexMeta } from '../../src/storage/format.js'
import { SparseIndex, type IndexStats } from '../../src/engine/sparse-index.js'
import { segmentsToMerge } from '../../src/storage/compaction.js'
import { doc, ROOT, tempDir } from '../helpers.js'

const DOCS = [
  doc('a', 'roaring bitmaps compress sorted integer sets', 'Roaring'),
  doc('b', 'LevelDB is an ordered key value store with atomic batches', 'LevelDB'),
  doc('c', 'BM25 weighs term frequency against document length', 'BM25'),
  doc('d', 'learned sparse retrieval expands documents with new terms', 'Learned sparse'),
]

describe('SparseIndex persistence', () => {
  it('restores everything on reopen: same results, stats and sources', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    await index.add(DOCS.slice(0, 2))
    await index.add(DOCS.slice(2))
    await index.delete(['b'])
    const before = index.searchIds('sorted document terms store', { k: 10 })
    const statsBefore = await index.stats()
    await index.close()

    const reopened = await SparseIndex.open(dir)
    expect(reopened.searchIds('sorted document terms store', { k: 10 })).toEqual(before)
    // Memory differs by design: a reopened index reads a term's postings when a query needs them.
    const comparable = (stats: IndexStats) => ({ ...stats, sizeOnDiskBytes: 0, memoryBytes: 0, loadedPostings: 0 })
    expect(comparable(await reopened.stats())).toEqual(comparable(statsBefore))
    expect(await reopened.get('a')).toEqual(DOCS[0].source)
    expect(await reopened.get('b')).toBeUndefined()
    expect(await reopened.check()).toEqual([])
    await reopened.close()
  })

  it('fails clearly on a missing index, a non-index folder and an unknown format version', async () => {
    const dir = await tempDir()
    await expect(SparseIndex.open(join(dir, 'nope'))).rejects.toMatchObject({ code: 'not_found' })
    await writeFile(join(dir, 'notes.txt'), 'hello')
    await expect(SparseIndex.open(dir, { create: true })).rejects.toMatchObject({ code: 'not_an_index', message: expect.stringMatching(/is not an lsr index/) })

    const other = join(dir, 'plain-leveldb')
    const db = new Level(other)
    await db.put('hello', 'world')
    await db.close()
    await expect(SparseIndex.open(other)).rejects.toMatchObject({ code: 'not_an_index' })

    const future = join(dir, 'future')
    await (await SparseIndex.open(future, { create: true })).close()
    const raw = new Level<Buffer, Buffer>(future, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await raw.put(KEY_META, encodeJson({ format: 'lsr-index', version: 99, encoder: { name: 'bm25' }, createdAt: '' }))
    await raw.close()
    await expect(SparseIndex.open(future)).rejects.toMatchObject({
      code: 'incompatible_format',
      message: expect.stringMatching(/format version 99; this lsr reads versions 1\.\.4/),
    })
  })

  it('refuses to mix encoder settings', async () => {
    const dir = await tempDir()
    await (await SparseIndex.open(dir, { create: true, encoder: { name: 'bm25', k1: 1.2 } })).close()
    await expect(SparseIndex.open(dir, { encoder: { name: 'bm25' } })).rejects.toMatchObject({ code: 'encoder_mismatch' })
    const same = await SparseIndex.open(dir, { encoder: { name: 'bm25', k1: 1.2, b: 0.4 } })
    expect(same.meta.encoder).toMatchObject({ k1: 1.2, b: 0.4 })
    await same.close()
    await expect(SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'nope' } })).rejects.toThrow(/unknown encoder "nope" \(known: bm25, vectors, neural\)/)
  })

  it('says "index is locked" when another process holds the index', async () => {
    const dir = await tempDir()
    await (await SparseIndex.open(dir, { create: true })).close()
    const holder = spawn(process.execPath, ['-e', `
      const { Level } = require(${JSON.stringify(join(ROOT, 'node_modules/level'))});
      const db = new Level(${JSON.stringify(dir)}); db.open().then(() => console.log('open'));
      setTimeout(() => {}, 60000)`])
    await once(holder.stdout, 'data')
    try {
      await expect(SparseIndex.open(dir)).rejects.toMatchObject({ code: 'index_locked', message: expect.stringMatching(/^index is locked/) })
    } finally {
      holder.kill('SIGKILL')
    }
  })
})

describe('SparseIndex updates', () => {
  it('replaces a document whose id exists and leaves identical ones untouched', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const none = (n: number) => Array(n).fill(undefined)
    const versions = [0, 1, 2, 3].map((seqNo) => ({ seqNo, version: 1 }))
    expect(await index.add(DOCS)).toEqual({ added: 4, replaced: 0, unchanged: 0, outcomes: ['created', 'created', 'created', 'created'], errors: none(4), versions, conflicts: none(4) })
    // The identical document keeps its version; the replaced one is version 2, with the next sequence number.
    expect(await index.add([DOCS[0], doc('b', 'a completely different text about zebras')])).toEqual({
      added: 0, replaced: 1, unchanged: 1, outcomes: ['unchanged', 'updated'], errors: none(2), versions: [versions[0], { seqNo: 4, version: 2 }], conflicts: none(2),
    })
    expect(index.searchIds('LevelDB')).toEqual([])
    expect(index.searchIds('zebras').map((h) => h.id)).toEqual(['b'])
    expect((await index.stats()).documents).toBe(4)
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('keeps the last of a repeated id within one batch', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('x', 'first version'), doc('x', 'second version')])
    expect(await index.get('x')).toEqual({ _id: 'x', text: 'second version' })
    expect((await index.stats()).documents).toBe(1)
    await index.close()
  })

  it('deletes by id: gone from results and statistics', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add(DOCS)
    expect(await index.delete(['c', 'missing', 'c'])).toBe(1)
    expect(index.searchIds('BM25 frequency')).toEqual([])
    const stats = await index.stats()
    expect(stats).toMatchObject({ documents: 3, deletedDocuments: 1 })
    expect(await index.check()).toEqual([])
    // Compaction drops the deleted documents' postings: none takes space any more (docs.deleted 0).
    await index.compact()
    expect((await index.stats()).deletedDocuments).toBe(0)
    await index.delete(['a'])
    expect((await index.stats()).deletedDocuments).toBe(1)
    await index.close()
    const reopened = await SparseIndex.open(index.dir)
    expect(await reopened.stats()).toMatchObject({ documents: 2, deletedDocuments: 1 })
    expect(await reopened.check()).toEqual([])
    await reopened.close()
  })

  it('refuses work after close', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.close()
    expect(() => index.searchIds('x')).toThrow(/is closed/)
  })
})

describe('SparseIndex.compact', () => {
  it('merges segments and drops deleted postings without changing results', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    for (const d of DOCS) await index.add([d])
    await index.delete(['b'])
    const before = index.searchIds('document terms store sorted', { k: 10 })
    expect((await index.stats()).postings).toBe(27)
    expect(await index.compact()).toBeGreaterThan(0)
    expect((await index.stats()).postings).toBe(20)
    expect(index.searchIds('document terms store sorted', { k: 10 })).toEqual(before)
    expect(await index.compact()).toBe(0)
    await index.add([doc('e', 'a later document with sorted terms')])
    await index.close()
    const reopened = await SparseIndex.open(dir)
    expect(await reopened.check()).toEqual([])
    expect(reopened.searchIds('sorted').map((h) => h.id).sort()).toEqual(['a', 'e'])
    await reopened.close()
  })
})

describe('log merges on write', () => {
  it('merge the newest segments of a term in levels of ten, cascading', () => {
    expect(segmentsToMerge(Array(9).fill(1))).toBe(0)
    expect(segmentsToMerge(Array(10).fill(1))).toBe(10)
    expect(segmentsToMerge([100, ...Array(10).fill(1)])).toBe(10)
    expect(segmentsToMerge([...Array(9).fill(10), ...Array(10).fill(1)])).toBe(19)
    expect(segmentsToMerge([...Array(9).fill(1), 10])).toBe(0)
  })

  it('keep many small writes at few segments per term, with unchanged results', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    const docs = Array.from({ length: 250 }, (_, i) => doc(`d${i}`, `common words and number ${i % 17} of ${i % 5}`))
    for (const d of docs) await index.add([d])
    await index.delete(['d3', 'd100'])
    const fresh = await SparseIndex.open(await tempDir(), { create: true })
    await fresh.add(docs.filter((d) => d.id !== 'd3' && d.id !== 'd100'))
    const strip = (hits: { id: string; score: number }[]) => hits.map(({ id, score }) => ({ id, score }))
    expect(strip(index.searchIds('common number 7', { k: 50 }))).toEqual(strip(fresh.searchIds('common number 7', { k: 50 })))
    // Without merges the 250 writes would leave ~1,200 segments ('common', 'word', 'number' alone 750).
    const stats = await index.stats()
    expect(stats.segments).toBeLessThan(150)
    await index.close()
    await fresh.close()
    const reopened = await SparseIndex.open(dir)
    expect(await reopened.check()).toEqual([])
    expect(strip(reopened.searchIds('common number 7', { k: 50 }))).toHaveLength(50)
    await reopened.close()
  })
})

describe('posting lists load on first use', () => {
  const rawDb = (dir: string) => new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })

  it('opening reads no posting segment; a query reads the segments of the terms it needs', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    await index.add(DOCS)
    await index.close()
    const raw = rawDb(dir)
    const { entry, segments } = decodeTermEntry((await raw.get(termKey('roar')))!, termKey('roar'), 2)
    expect(segments).toHaveLength(1)
    await raw.del(postingsKey(entry.id, segments[0].segment))
    await raw.close()

    const reopened = await SparseIndex.open(dir)
    const opened = await reopened.stats()
    expect(opened.loadedPostings).toBe(0)
    expect(reopened.searchIds('atomic batches').map((h) => h.id)).toEqual(['b'])
    const queried = await reopened.stats()
    expect(queried.memoryBytes).toBeGreaterThan(opened.memoryBytes)
    expect(queried.loadedPostings).toBe(2) // 'atom' and 'batch', one document each
    expect(() => reopened.searchIds('roaring')).toThrow(expect.objectContaining({
      code: 'data_corruption',
      message: expect.stringMatching(/posting segment \d+ of term id \d+ is missing/),
    }))
    expect(await reopened.check()).toEqual([expect.stringMatching(/term "roar": segment \d+ is listed but not stored/)])
    await reopened.close()
  })

  it('writes, merges and compaction on a reopened index, between queries, match a fresh index', async () => {
    const dir = await tempDir()
    const docs = Array.from({ length: 120 }, (_, i) => doc(`d${i}`, `shared words ${i % 7} and ${i % 11} more ${i % 3}`))
    const first = await SparseIndex.open(dir, { create: true })
    for (const d of docs.slice(0, 60)) await first.add([d])
    await first.close()
    const index = await SparseIndex.open(dir)
    const strip = (hits: { id: string; score: number }[]) => hits.map(({ id, score }) => ({ id, score }))
    for (const [i, d] of docs.slice(60).entries()) {
      await index.add([d])
      if (i % 9 === 0) await index.delete([`d${i}`])
      if (i % 5 === 0) index.searchIds(`words ${i % 7}`)
    }
    const deleted = new Set(docs.slice(60).map((_, i) => i).filter((i) => i % 9 === 0).map((i) => `d${i}`))
    const fresh = await SparseIndex.open(await tempDir(), { create: true })
    await fresh.add(docs.filter((d) => !deleted.has(d.id)))
    for (const query of ['shared 3 more', 'words 5 and 10', '2 0 1']) {
      expect(strip(index.searchIds(query, { k: 30 }))).toEqual(strip(fresh.searchIds(query, { k: 30 })))
    }
    expect(await index.check()).toEqual([])
    await index.compact()
    expect(await index.check()).toEqual([])
    await index.close()
    const reopened = await SparseIndex.open(dir)
    expect(strip(reopened.searchIds('shared 3 more', { k: 30 }))).toEqual(strip(fresh.searchIds('shared 3 more', { k: 30 })))
    expect((await reopened.stats()).segments).toBe((await reopened.stats()).terms)
    await reopened.close()
    await fresh.close()
  })

  it('upgrades a real version 1 index on open (test/fixtures/index-v1, written by the format-1 code) and answers what that code answered', async () => {
    const fixture = join(ROOT, 'test/fixtures/index-v1')
    const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as {
      meta: IndexMeta
      stats: Pick<IndexStats, 'documents' | 'deletedDocuments' | 'terms' | 'postings' | 'segments'>
      searches: Array<{ query: string; k: number; hits: Array<{ id: string; score: number }> }>
      filtered: { query: string; filter: { tag: string[] }; total: number; hits: Array<{ id: string; score: number }> }
      sources: Record<string, Record<string, unknown> | null>
    }
    const dir = await tempDir()
    await cp(join(fixture, 'db'), dir, { recursive: true })
    const versionOnDisk = async () => {
      const raw = rawDb(dir)
      const meta = decodeJson<IndexMeta>((await raw.get(KEY_META))!, 'meta')
      await raw.close()
      return meta.version
    }
    expect(await versionOnDisk()).toBe(1)

    const answers = async (index: SparseIndex) => {
      const { documents, deletedDocuments, terms, postings, segments } = await index.stats()
      const { query, filter } = expected.filtered
      const { hits, total } = index.execute({ terms: index.encoder!.encodeQuery(query), allowed: index.docsWithKeyword('tag', filter.tag), matchAnyTerm: true }, { k: 10 })
      return {
        stats: { documents, deletedDocuments, terms, postings, segments },
        searches: expected.searches.map(({ query: text, k }) => ({ query: text, k, hits: index.searchIds(text, { k }).map(({ id, score }) => ({ id, score })) })),
        filtered: { ...expected.filtered, total, hits: hits.map(({ id, score }) => ({ id, score })) },
        sources: Object.fromEntries(await Promise.all(Object.keys(expected.sources).map(async (id) => [id, (await index.get(id)) ?? null]))),
      }
    }
    const old = { stats: expected.stats, searches: expected.searches, filtered: expected.filtered, sources: expected.sources }
    const upgraded = await SparseIndex.open(dir)
    expect(upgraded.meta).toEqual({ ...expected.meta, version: FORMAT_VERSION })
    expect(await answers(upgraded)).toEqual(old)
    expect(await upgraded.check()).toEqual([])
    await upgraded.close()

    // The upgrade is on disk; the index reopens with the same answers and takes writes.
    expect(await versionOnDisk()).toBe(FORMAT_VERSION)
    const again = await SparseIndex.open(dir)
    expect(await answers(again)).toEqual(old)
    await again.add([doc('g', 'sorted write batches')])
    expect(again.searchIds('sorted write batches', { k: 10 }).map((h) => h.id)).toContain('g')
    expect(await again.check()).toEqual([])
    await again.close()
  })
})
