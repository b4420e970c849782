import { execFile } from 'node:child_process'
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import type { SourceDocument } from '../../src/encode/encoder.js'
import { keywordsOf } from '../../src/corpus/keywords.js'
import { planCompaction } from '../../src/storage/compaction.js'
import { decodeJson, encodeJson, KEY_META, postingsKey, type IndexMeta } from '../../src/storage/format.js'
import { loadState, SegmentStore, type IndexDb } from '../../src/storage/load.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import type { SearchAlgorithm } from '../../src/search/searcher.js'
import { doc, ROOT, tempDir } from '../helpers.js'
import { ensureBuilt } from '../cli/build.js'

/** A `vectors` document; other source fields become keyword metadata, as the server indexes them. */
function vectorDoc(id: string, vector: Record<string, number>, extra: Record<string, unknown> = {}): SourceDocument {
  const source = { _id: id, vector, ...extra }
  return { id, title: '', text: '', source, keywords: keywordsOf(source, ['_id', 'title', 'text']) }
}

const openDb = async (dir: string): Promise<IndexDb> => {
  const db: IndexDb = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  return db
}

describe('write invariants the engine enforces', () => {
  it('refuses a client token in the keyword namespace, so a document cannot hold a term twice', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'vectors' } })
    await index.add([vectorDoc('ok', { apple: 1 }, { tag: 'x' })])
    await expect(index.add([vectorDoc('evil', { '\u0000tag\u0000x': 2, apple: 1 }, { tag: 'x' })])).rejects.toThrow(/U\+0000/)
    // Nothing was written and the term still answers (it failed with "1 docs but 4 value bytes").
    expect(index.has('evil')).toBe(false)
    expect(index.docsWithKeyword('tag', ['x']).toArray()).toHaveLength(1)
    expect(index.searchIds([{ term: 'apple', weight: 1 }]).map((h) => h.id)).toEqual(['ok'])
    expect(await index.check()).toEqual([])
    await index.close()
  })

  it('drops weights that quantize to 0, and every algorithm returns each match once when contributions sum to 0', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'vectors' } })
    const docs = Array.from({ length: 300 }, (_, i) => vectorDoc(`d${i}`, { common: 1e-30 * (1 + (i % 7)), rare: i % 50 === 0 ? 2 : 0, dust: 1e-45 }))
    await index.add(docs)
    // dust (1e-45) is below the smallest 16-bit code: it is not stored.
    expect(index.docsWithAnyTerm(['dust']).size).toBe(0)
    // 1e-300 x 1e-30 underflows to 0: every document with "common" matches with score 0.
    const query = [{ term: 'common', weight: 1e-300 }]
    const results = (['exhaustive', 'maxscore', 'blockmax', 'auto'] as SearchAlgorithm[]).map((algorithm) => index.searchIds(query, { k: 1000, algorithm, blockSize: 16 }))
    for (const hits of results) {
      expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length)
      expect(hits).toEqual(results[0])
    }
    expect(results[0]).toHaveLength(300)
    expect(results[0].every((h) => h.score === 0)).toBe(true)
    expect(index.execute({ terms: query, matchAnyTerm: true, allowed: index.docsWithIds(['d1', 'd2']) }, { algorithm: 'candidates' }).hits.map((h) => h.id)).toEqual(['d1', 'd2'])
    await index.close()
  })

  it('create-only documents are checked inside the serialized write: of two concurrent creates one wins', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const [first, second] = await Promise.all([
      index.add([doc('x', 'first')], { createOnly: [true] }),
      index.add([doc('x', 'second')], { createOnly: [true] }),
    ])
    expect([first.outcomes, second.outcomes]).toEqual([['created'], ['exists']])
    expect(await index.get('x')).toEqual({ _id: 'x', text: 'first' })
    // In one call documents are taken in order: index then create of one id refuses the create.
    expect((await index.add([doc('y', 'one'), doc('y', 'two'), doc('x', 'three')], { createOnly: [false, true, true] })).outcomes).toEqual(['created', 'exists', 'exists'])
    expect(await index.get('y')).toEqual({ _id: 'y', text: 'one' })
    await index.close()
  })

  it('a failed create leaves nothing behind, whatever fails', async () => {
    const parent = await tempDir()
    const dir = join(parent, 'idx')
    for (const encoder of [{ name: '__proto__' }, { name: 'toString' }, { name: 'bm25', k1: -1 }, { name: 'neural', model: join(parent, 'no-such-model') }]) {
      await expect(SparseIndex.open(dir, { create: true, encoder })).rejects.toMatchObject({ code: expect.stringMatching(/invalid_argument|not_found/) })
      expect(await readdir(parent)).toEqual([])
    }
    // An empty folder stays usable for the next attempt.
    await mkdir(dir)
    const index = await SparseIndex.open(dir, { create: true })
    expect(await readdir(parent)).toEqual(['idx'])
    await index.close()
  })

  it('creates in an existing empty folder, through a symlink, after a create that died in place, and refuses concurrent creators cleanly', async () => {
    const parent = await tempDir()
    // An empty folder the user made, and a symlink to one (a rename cannot replace either).
    await mkdir(join(parent, 'made'))
    await mkdir(join(parent, 'target'))
    await symlink(join(parent, 'target'), join(parent, 'link'))
    for (const name of ['made', 'link']) {
      const index = await SparseIndex.open(join(parent, name), { create: true })
      await index.add([doc('a', 'alpha')])
      await index.close()
    }
    expect((await readdir(join(parent, 'target'))).includes('CURRENT')).toBe(true)
    // A database without a single entry: an in-place create killed before its batch.
    const dead = join(parent, 'dead')
    await mkdir(dead)
    await (await openDb(dead)).close()
    await expect(SparseIndex.open(dead)).rejects.toMatchObject({ code: 'not_an_index' })
    const finished = await SparseIndex.open(dead, { create: true, encoder: { name: 'bm25', k1: 1.2 } })
    expect(finished.meta.encoder).toMatchObject({ name: 'bm25', k1: 1.2 })
    await finished.close()
    // Three creators of one new index: one wins, the others are told so, without a path.
    const results = await Promise.allSettled([1, 2, 3].map(() => SparseIndex.open(join(parent, 'race'), { create: true, label: 'index [race]' })))
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'index_locked', message: expect.not.stringContaining(parent) })
    }
    await (won[0] as PromiseFulfilledResult<SparseIndex>).value.close()
    expect((await readdir(parent)).filter((name) => name.includes('#creating-'))).toEqual([])
  })

  it('an I/O failure at open (too many open files) is "unavailable", not a broken index', async () => {
    await ensureBuilt()
    const parent = await tempDir()
    const script = `
      import { SparseIndex } from ${JSON.stringify(join(ROOT, 'dist/engine/sparse-index.js'))}
      const open = []
      for (let i = 0; i < 100; i++) {
        try { open.push(await SparseIndex.open(${JSON.stringify(parent)} + '/i' + i, { create: i < 8, label: 'index [i' + i + ']' })) }
        catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); break }
      }`
    for (let i = 0; i < 100; i++) await (await SparseIndex.open(join(parent, `i${i}`), { create: true })).close()
    const file = join(parent, 'open-many.mjs')
    await writeFile(file, script)
    const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -n 128 && exec "$0" "$1"', process.execPath, file])
    expect(JSON.parse(stdout)).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^cannot open index \[i\d+\] now: IO error: .*Too many open files/) })
  })

  it('names the index by its label, not its path, when asked', async () => {
    const dir = await tempDir()
    await expect(SparseIndex.open(join(dir, 'nothing'), { label: 'index [nothing]' })).rejects.toThrow(/^no index at index \[nothing\]$/)
    const index = await SparseIndex.open(join(dir, 'one'), { create: true, label: 'index [one]' })
    await expect(SparseIndex.open(join(dir, 'one'), { label: 'index [one]' })).rejects.toThrow(/^index is locked: index \[one\] is open in another process/)
    await index.close()
  })

  it('refuses metadata without an integer format version', async () => {
    for (const version of [undefined, '2', 2.5, null]) {
      const dir = await tempDir()
      const index = await SparseIndex.open(dir, { create: true })
      const meta = { ...index.meta, version }
      await index.close()
      const db = await openDb(dir)
      await db.put(KEY_META, encodeJson(meta))
      await db.close()
      await expect(SparseIndex.open(dir)).rejects.toMatchObject({ code: 'incompatible_format' })
    }
  })

  it('a query term of weight 0 matches with score 0 (a zero boost) instead of dropping its documents', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'alpha beta'), doc('c', 'gamma')])
    for (const algorithm of ['exhaustive', 'maxscore', 'blockmax', 'auto'] as SearchAlgorithm[]) {
      expect(index.searchIds([{ term: 'alpha', weight: 0 }], { algorithm }), algorithm).toEqual([{ id: 'a', score: 0, docId: 0 }, { id: 'b', score: 0, docId: 1 }])
    }
    const total = index.execute({ terms: [{ term: 'alpha', weight: 0 }, { term: 'gamma', weight: 1 }], matchAnyTerm: true }).total
    expect(total).toBe(3)
    for (const weight of [-1, Number.NaN, Infinity]) expect(() => index.searchIds([{ term: 'alpha', weight }])).toThrow(/must be a finite number >= 0/)
    await index.close()
  })

  it('bounds the two-phase window by the documents and refuses a fractional or infinite one', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha beta'), doc('b', 'alpha')])
    expect(index.searchIds('alpha beta', { twoPhase: { expansionRate: 1e300, maxWindowSize: 2 ** 31 } })).toEqual(index.searchIds('alpha beta', { twoPhase: {} }))
    for (const twoPhase of [{ maxWindowSize: 1.5 }, { expansionRate: Infinity }]) expect(() => index.searchIds('alpha', { twoPhase })).toThrow(/two-phase/)
    await index.close()
  })

  it('rejects bad k and unknown algorithm names as invalid arguments, and bounds k by the documents', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'alpha beta')])
    expect(index.searchIds('alpha', { k: 2 ** 31 })).toHaveLength(2)
    for (const k of [-1, 1.5, Number.NaN]) expect(() => index.searchIds('alpha', { k })).toThrow(/k must be a non-negative integer/)
    for (const algorithm of ['__proto__', 'toString', 'constructor']) {
      expect(() => index.searchIds('alpha', { algorithm: algorithm as SearchAlgorithm })).toThrow(/unknown algorithm/)
    }
    await index.close()
  })
})

describe('check and compaction on damaged or large indexes', () => {
  it('check() reports an undecodable posting segment instead of throwing', async () => {
    const dir = await tempDir()
    let index = await SparseIndex.open(dir, { create: true })
    await index.add([doc('a', 'alpha beta'), doc('b', 'alpha')])
    await index.close()
    const db = await openDb(dir)
    const keys: Buffer[] = []
    for await (const key of db.keys({ gte: Buffer.from('p'), lt: Buffer.from('q') })) keys.push(key)
    await db.put(keys[0], Buffer.from([7, 0, 0, 0, 0]))
    await db.close()
    index = await SparseIndex.open(dir)
    const problems = await index.check()
    expect(problems).toContainEqual(expect.stringMatching(/postings: index data corruption: postings of term \d+: value width 7/))
    await index.close()
    // Keys too short for their kind are reported too.
    const damaged = await openDb(dir)
    await damaged.put(Buffer.from('d\x01'), Buffer.from('{}'))
    await damaged.put(Buffer.from('p\x00\x00'), Buffer.from([1]))
    await damaged.close()
    index = await SparseIndex.open(dir)
    expect(await index.check()).toEqual(expect.arrayContaining([
      'stored source key 6401 has 2 bytes, not 5',
      'posting segment key 700000 has 3 bytes, not 9',
    ]))
    await index.close()
  })

  it('compaction reads only the segments of the terms it rewrites', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true, encoder: { name: 'vectors' } })
    const vector = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`t${String(i).padStart(4, '0')}`, 1]))
    await index.add([vectorDoc('all', vector)])
    await index.add([vectorDoc('ends', { t0000: 1, t0999: 1 })])
    await index.close()
    const db = await openDb(dir)
    const store = new SegmentStore(db)
    const state = await loadState(db, decodeJson<IndexMeta>((await db.get(KEY_META))!, 'meta'), store)
    const batches = []
    for await (const batch of planCompaction(state, db)) batches.push(batch)
    // Two terms with two segments each: 4 segments read (the whole id range held 1,002).
    expect(batches.map((b) => [b.terms, b.segmentsRead])).toEqual([[2, 4]])
    expect(await db.get(postingsKey(0, 0))).toBeDefined()
    await db.close()
  })
})
