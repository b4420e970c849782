/**
 * Document versions and write conditions at the library level (src/engine/write-conditions.ts,
 * format.ts "Versions"): sequence numbers and versions across adds, replaces, deletes, identical
 * writes, reopen and compaction; `if_seq_no` and external-version conditions checked inside the
 * serialized write; what is on disk; and old-format indexes, whose documents read as seqNo = doc
 * id, version 1.
 */
import { join } from 'node:path'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { SparseIndex, type DocVersion, type WriteCondition } from '../../src/engine/sparse-index.js'
import { decodeDocVersion, decodeJson, KEY_STATS, prefixRange, PREFIX_SEGMENT, PREFIX_VERSION, type CorpusStats, type SegmentDocs } from '../../src/storage/format.js'
import { documentWithId } from '../../src/corpus/documents.js'
import { doc, ROOT, tempDir } from '../helpers.js'
import { fixtureCopies } from './fixture-copies.js'

const v = (seqNo: number, version: number): DocVersion => ({ seqNo, version })

/** The sequence number and version of a live document, or undefined. */
async function versionOf(index: SparseIndex, id: string): Promise<DocVersion | undefined> {
  const found = await index.getWithVersion(id)
  return found && v(found.seqNo, found.version)
}

async function versionsOf(index: SparseIndex, ids: readonly string[]): Promise<Array<DocVersion | undefined>> {
  return Promise.all(ids.map((id) => versionOf(index, id)))
}

/** What the database holds: `S`, the segment doc tables and the `v` keys (by doc id). */
async function onDisk(dir: string): Promise<{ stats: CorpusStats; segments: SegmentDocs[]; versionKeys: Record<number, DocVersion> }> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  try {
    const stats = decodeJson<CorpusStats>((await db.get(KEY_STATS))!, 'stats')
    const segments = (await db.values(prefixRange(PREFIX_SEGMENT)).all()).map((value) => decodeJson<SegmentDocs>(value, 'segment'))
    const versionKeys: Record<number, DocVersion> = {}
    for (const [key, value] of await db.iterator(prefixRange(PREFIX_VERSION)).all()) versionKeys[key.readUInt32BE(1)] = decodeDocVersion(value, key.readUInt32BE(1))
    return { stats, segments, versionKeys }
  } finally {
    await db.close()
  }
}

const ifSeqNo = (seqNo: number, primaryTerm = 1): WriteCondition => ({ ifSeqNo: seqNo, ifPrimaryTerm: primaryTerm })
const external = (version: number, gte = false): WriteCondition => ({ version, versionType: gte ? 'external_gte' : 'external' })

describe('versions across writes', () => {
  it('each add, replace and delete takes the next sequence number; a replace is one version more, a document added after a delete starts at 1', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    expect((await index.add([doc('a', 'alpha'), doc('b', 'beta'), doc('c', 'gamma')])).versions).toEqual([v(0, 1), v(1, 1), v(2, 1)])
    expect((await index.add([doc('a', 'alpha two')])).versions).toEqual([v(3, 2)])
    expect(await index.deleteDocuments(['b', 'nope', 'b'])).toEqual({ deleted: 1, outcomes: ['deleted', 'not_found', 'not_found'], versions: [v(4, 2), undefined, undefined], conflicts: [undefined, undefined, undefined] })
    expect((await index.add([doc('b', 'beta again')])).versions).toEqual([v(5, 1)])
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual([v(3, 2), v(5, 1), v(2, 1)])
    // A missing id writes nothing and takes no sequence number.
    expect(await index.delete(['nope'])).toBe(0)
    expect((await index.add([doc('d', 'delta')])).versions).toEqual([v(6, 1)])
    await index.close()
    // Doc ids 3 (a), 4 (b) and 5 (d): after the delete, sequence numbers run ahead of doc ids and are stored.
    expect((await onDisk(dir)).segments.map(({ firstDoc, seqNos, versions }) => ({ firstDoc, seqNos, versions }))).toEqual([
      { firstDoc: 0, seqNos: undefined, versions: undefined },
      { firstDoc: 3, seqNos: undefined, versions: [2] },
      { firstDoc: 4, seqNos: [5], versions: undefined },
      { firstDoc: 5, seqNos: [6], versions: undefined },
    ])
    const reopened = await SparseIndex.open(dir)
    expect(await versionsOf(reopened, ['a', 'b', 'c', 'd'])).toEqual([v(3, 2), v(5, 1), v(2, 1), v(6, 1)])
    await reopened.close()
  })

  it('of a repeated id in one call, each document takes its own sequence number and version; the last is stored', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'one')])
    const result = await index.add([doc('a', 'two'), doc('b', 'bee'), doc('a', 'three')])
    expect(result.outcomes).toEqual(['updated', 'created', 'updated'])
    expect(result.versions).toEqual([v(1, 2), v(2, 1), v(3, 3)])
    expect(await index.getWithVersion('a')).toEqual({ source: { _id: 'a', text: 'three' }, seqNo: 3, version: 3 })
    await index.close()
  })

  it('an identical document keeps its version, or with versionIdentical takes a new one without being rewritten', async () => {
    const dir = await tempDir()
    const index = await SparseIndex.open(dir, { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'beta')])
    expect(await index.add([doc('a', 'alpha')])).toMatchObject({ unchanged: 1, outcomes: ['unchanged'], versions: [v(0, 1)] })
    const before = await index.stats()
    expect(await index.add([doc('a', 'alpha')], { versionIdentical: true })).toMatchObject({ added: 0, replaced: 0, unchanged: 1, outcomes: ['unchanged'], versions: [v(2, 2)] })
    // Not re-indexed: no new doc id, no deleted one, no posting written.
    expect(await index.stats()).toMatchObject({ documents: 2, deletedDocuments: 0, postings: before.postings, segments: before.segments })
    // A condition makes it a write too; an id whose document the call changed and changed back is touched as well.
    expect((await index.add([doc('a', 'alpha')], { conditions: [ifSeqNo(2)] })).versions).toEqual([v(3, 3)])
    expect(await index.add([doc('b', 'changed'), doc('b', 'beta')])).toMatchObject({ outcomes: ['updated', 'unchanged'], versions: [v(4, 2), v(5, 3)] })
    expect(await index.stats()).toMatchObject({ documents: 2, deletedDocuments: 0 })
    expect(await index.check()).toEqual([])
    await index.close()
    expect((await onDisk(dir)).versionKeys).toEqual({ 0: v(3, 3), 1: v(5, 3) })
  })

  it('persist through reopen and compaction; the v key of a document goes with its replace or delete', async () => {
    const dir = await tempDir()
    let index = await SparseIndex.open(dir, { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'beta'), doc('c', 'gamma')])
    await index.add([doc('a', 'alpha 2'), doc('b', 'beta')], { versionIdentical: true })
    await index.add([doc('c', 'gamma')], { conditions: [external(40)] })
    await index.delete(['a'])
    const expected = [undefined, v(4, 2), v(5, 40)]
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual(expected)
    await index.close()
    const disk = await onDisk(dir)
    expect(disk.stats.nextSeqNo).toBe(7)
    // Doc ids 1 (b) and 2 (c) are where they were: their versions are in v keys. a's replacement (doc 3) was deleted.
    expect(disk.versionKeys).toEqual({ 1: v(4, 2), 2: v(5, 40) })
    // Segments store what differs from the defaults (seqNo = doc id, version 1): a's replacement (doc 3, seqNo 3) its version.
    expect(disk.segments.map(({ firstDoc, seqNos, versions }) => ({ firstDoc, seqNos, versions }))).toEqual([
      { firstDoc: 0, seqNos: undefined, versions: undefined },
      { firstDoc: 3, seqNos: undefined, versions: [2] },
    ])

    index = await SparseIndex.open(dir)
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual(expected)
    await index.compact()
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual(expected)
    expect((await index.add([doc('c', 'gamma 2')])).versions).toEqual([v(7, 41)])
    expect(await index.check()).toEqual([])
    await index.close()
    expect((await onDisk(dir)).versionKeys).toEqual({ 1: v(4, 2) })

    // check() finds a version key of a deleted document (doc 0: a's first version, deleted by its replace).
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    const stray = Buffer.alloc(16)
    stray.writeDoubleLE(9, 0)
    stray.writeDoubleLE(9, 8)
    await db.put(Buffer.from([PREFIX_VERSION, 0, 0, 0, 0]), stray)
    await db.close()
    index = await SparseIndex.open(dir)
    expect(await index.check()).toEqual(['doc 0: a version key, but no live document'])
    await index.close()
    index = await SparseIndex.open(dir)
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual([undefined, v(4, 2), v(7, 41)])
    await index.close()
  })

  it('update() gives the change its document\'s version and answers the one written', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha')])
    const seen: Array<DocVersion | undefined> = []
    const changed = await index.update('a', (source, version) => {
      seen.push(version)
      return doc('a', `${String(source?.text)} more`)
    })
    expect(changed).toMatchObject({ existed: true, current: v(0, 1), result: { versions: [v(1, 2)] } })
    expect(await index.update('zz', (_, version) => (seen.push(version), undefined))).toEqual({ existed: false, current: undefined, result: undefined })
    expect(seen).toEqual([v(0, 1), undefined])
    await index.close()
  })

  it('are what a reader reads for hits', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha shared'), doc('b', 'beta shared')])
    await index.add([doc('b', 'beta shared again')])
    const reader = index.reader()
    try {
      const hits = reader.topK('shared', { k: 10 })
      expect(Object.fromEntries(hits.map((hit) => [hit.id, reader.version(hit.docId)]))).toEqual({ a: v(0, 1), b: v(2, 2) })
    } finally {
      reader.release()
    }
    await index.close()
  })
})

describe('conditions', () => {
  it('if_seq_no + if_primary_term: the document must be at that sequence number, with primary term 1', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'beta')])
    const result = await index.add([doc('a', 'stale'), doc('a', 'wrong term'), doc('z', 'missing'), doc('b', 'fresh')], { conditions: [ifSeqNo(5), ifSeqNo(0, 2), ifSeqNo(0), ifSeqNo(1)] })
    expect(result.outcomes).toEqual(['conflict', 'conflict', 'conflict', 'updated'])
    expect(result.conflicts).toEqual([
      { reason: 'required seqNo [5], primary term [1]. current document has seqNo [0] and primary term [1]', current: v(0, 1) },
      { reason: 'required seqNo [0], primary term [2]. current document has seqNo [0] and primary term [1]', current: v(0, 1) },
      { reason: 'required seqNo [0], primary term [1]. but no document was found' },
      undefined,
    ])
    expect(result.versions).toEqual([v(0, 1), v(0, 1), undefined, v(2, 2)])
    expect(await index.get('a')).toEqual({ _id: 'a', text: 'alpha' })
    expect(await index.get('z')).toBeUndefined()
    await index.close()
  })

  it('are checked in order against what the documents before them in the call left', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha')])
    const twice = await index.add([doc('a', 'first'), doc('a', 'second')], { conditions: [ifSeqNo(0), ifSeqNo(0)] })
    expect(twice.outcomes).toEqual(['updated', 'conflict'])
    const chained = await index.add([doc('a', 'third'), doc('a', 'fourth')], { conditions: [ifSeqNo(1), ifSeqNo(2)] })
    expect(chained.outcomes).toEqual(['updated', 'updated'])
    expect(await index.getWithVersion('a')).toEqual({ source: { _id: 'a', text: 'fourth' }, seqNo: 3, version: 4 })
    await index.close()
  })

  it('external versions: higher (external) or higher-or-equal (external_gte) than the current one, which the document takes; a missing document is created with it', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    expect((await index.add([doc('a', 'one')], { conditions: [external(10)] })).versions).toEqual([v(0, 10)])
    const refused = await index.add([doc('a', 'equal'), doc('a', 'lower')], { conditions: [external(10), external(9, true)] })
    expect(refused.conflicts).toEqual([
      { reason: 'current version [10] is higher or equal to the one provided [10]', current: v(0, 10) },
      { reason: 'current version [10] is higher than the one provided [9]', current: v(0, 10) },
    ])
    expect((await index.add([doc('a', 'gte')], { conditions: [external(10, true)] })).versions).toEqual([v(1, 10)])
    expect((await index.add([doc('a', 'big')], { conditions: [external(2 ** 53 - 1)] })).versions).toEqual([v(2, 2 ** 53 - 1)])
    // An internal write after an external one counts on from it.
    expect((await index.add([doc('a', 'internal')])).versions).toEqual([v(3, 2 ** 53)])
    await index.close()
  })

  it('createOnly refuses a live id with the current version', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha')])
    await index.add([doc('a', 'alpha 2')])
    expect(await index.add([doc('a', 'again'), doc('n', 'new'), doc('n', 'new again')], { createOnly: [true, true, true] })).toMatchObject({
      outcomes: ['exists', 'created', 'exists'],
      versions: [v(1, 2), v(2, 1), v(2, 1)],
      conflicts: [{ reason: 'document already exists (current version [2])', current: v(1, 2) }, undefined, { reason: 'document already exists (current version [1])', current: v(2, 1) }],
    })
    await index.close()
  })

  it('deletes: if_seq_no and external versions as for adds', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'alpha'), doc('b', 'beta'), doc('c', 'gamma')])
    const result = await index.deleteDocuments(['a', 'b', 'c', 'z', 'y'], { conditions: [ifSeqNo(7), ifSeqNo(1), external(1), ifSeqNo(0), external(3)] })
    expect(result).toEqual({
      deleted: 1,
      outcomes: ['conflict', 'deleted', 'conflict', 'conflict', 'not_found'],
      versions: [v(0, 1), v(3, 2), v(2, 1), undefined, undefined],
      conflicts: [
        { reason: 'required seqNo [7], primary term [1]. current document has seqNo [0] and primary term [1]', current: v(0, 1) },
        undefined,
        { reason: 'current version [1] is higher or equal to the one provided [1]', current: v(2, 1) },
        { reason: 'required seqNo [0], primary term [1]. but no document was found' },
        undefined,
      ],
    })
    expect((await index.deleteDocuments(['c'], { conditions: [external(5)] })).versions).toEqual([v(4, 5)])
    expect(await versionsOf(index, ['a', 'b', 'c'])).toEqual([v(0, 1), undefined, undefined])
    await index.close()
  })

  it('a number out of range fails the call before anything is written', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    const cases: Array<[WriteCondition, RegExp]> = [
      [ifSeqNo(-1), /^if_seq_no must be an integer from 0/],
      [ifSeqNo(1.5), /^if_seq_no must be an integer/],
      [ifSeqNo(0, 0), /^if_primary_term must be an integer from 1/],
      [external(-1), /^version must be an integer from 0/],
      [external(2 ** 53), /^version must be an integer from 0 to 9007199254740991/],
      [{ version: 1, versionType: 'internal' } as unknown as WriteCondition, /^version type must be external or external_gte/],
    ]
    for (const [condition, message] of cases) {
      await expect(index.add([doc('ok', 'fine'), doc('x', 'x')], { conditions: [undefined, condition] })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(message) })
      await expect(index.deleteDocuments(['ok'], { conditions: [condition] })).rejects.toMatchObject({ code: 'invalid_argument' })
    }
    expect(await index.has('ok')).toBe(false)
    await index.close()
  })

  it('20 concurrent conditional writers of one document: exactly one wins', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'start')])
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => index.add([doc('a', `writer ${i}`)], { conditions: [ifSeqNo(0)] })))
    const winners = results.flatMap((result, i) => (result.outcomes[0] === 'updated' ? [i] : []))
    expect(winners).toHaveLength(1)
    expect(results.filter((result) => result.outcomes[0] === 'conflict')).toHaveLength(19)
    expect(await index.getWithVersion('a')).toEqual({ source: { _id: 'a', text: `writer ${winners[0]}` }, seqNo: 1, version: 2 })
    await index.close()
  })
})

describe('old-format indexes', () => {
  for (const version of [1, 2, 3]) {
    const copy = fixtureCopies(join(ROOT, `test/fixtures/index-v${version}`))
    it(`format ${version}: every live document reads as seqNo = its doc id, version 1; writes go on from nextDocId`, async () => {
      const dir = await copy()
      const index = await SparseIndex.open(dir)
      const reader = index.reader()
      const live = [...Array(26)].map((_, i) => String.fromCharCode(97 + i)).flatMap((id) => {
        const docId = reader.docId(id)
        return docId === undefined ? [] : [{ id, docId, version: reader.version(docId) }]
      })
      reader.release()
      expect(live.length).toBeGreaterThan(3)
      for (const { docId, version: found } of live) expect(found).toEqual(v(docId, 1))
      const nextDocId = Math.max(...live.map((d) => d.docId)) + 1
      const [first, second] = live
      // A replace (new doc id, in a segment of its own) and an identical write (a v key), each conditional.
      const source = (await index.get(first.id))!
      const field = 'text' in source ? 'text' : 'body'
      const replaced = await index.add([documentWithId(first.id, { ...source, [field]: `${String(source[field])} more` }, 'test')], { conditions: [ifSeqNo(first.docId)] })
      const touched = await index.add([documentWithId(second.id, (await index.get(second.id))!, 'test')], { conditions: [ifSeqNo(second.docId)] })
      expect([replaced.outcomes[0], touched.outcomes[0]]).toEqual(['updated', 'unchanged'])
      expect([...replaced.versions, ...touched.versions]).toEqual([v(nextDocId, 2), v(nextDocId + 1, 2)])
      await index.close()
      const reopened = await SparseIndex.open(dir)
      expect(await versionsOf(reopened, [first.id, second.id])).toEqual([v(nextDocId, 2), v(nextDocId + 1, 2)])
      expect(await reopened.check()).toEqual([])
      await reopened.close()
    })
  }
})
