import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FORMAT_VERSION, type IndexMeta } from '../../src/storage/format.js'
import { SparseIndex, type IndexStats } from '../../src/engine/sparse-index.js'
import type { Query } from '../../src/engine/query/types.js'
import { doc, ROOT } from '../helpers.js'
import { fixtureCopies, metaOnDisk } from './fixture-copies.js'

type Scored = Array<{ id: string; score: number }>

/** What the format-2 code answered (test/fixtures/index-v2/README.md). */
interface Expected {
  meta: IndexMeta
  stats: Pick<IndexStats, 'documents' | 'deletedDocuments' | 'terms' | 'postings' | 'segments'>
  check: string[]
  searches: Array<{ query: string; k: number; hits: Scored }>
  keywords: Array<{ field: string; values: string[]; total: number; ids: string[] }>
  filtered: Array<{ query: string; field: string; values: string[]; total: number; hits: Scored }>
  dsl: Array<{ query: Query; total: number; hits: Scored }>
  sources: Record<string, Record<string, unknown> | null>
}

const FIXTURE = join(ROOT, 'test/fixtures/index-v2')
const expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Expected

/** A copy of the committed database (the committed files are never opened, so never changed). */
const copyOfFixture = fixtureCopies(FIXTURE)

const scored = (hits: Scored): Scored => hits.map(({ id, score }) => ({ id, score }))

/** The current code's answers to everything the format-2 code was asked. */
async function answers(index: SparseIndex) {
  const { documents, deletedDocuments, terms, postings, segments } = await index.stats()
  const allowedIds = (field: string, values: string[]) => {
    const { hits, total } = index.execute({ terms: [], allowed: index.docsWithKeyword(field, values), matchAnyTerm: false }, { k: 100 })
    return { total, ids: hits.map((hit) => hit.id) }
  }
  return {
    stats: { documents, deletedDocuments, terms, postings, segments },
    searches: expected.searches.map(({ query, k }) => ({ query, k, hits: scored(index.searchIds(query, { k })) })),
    keywords: expected.keywords.map(({ field, values }) => ({ field, values, ...allowedIds(field, values) })),
    filtered: expected.filtered.map(({ query, field, values }) => {
      const { hits, total } = index.execute({ terms: index.encoder!.encodeQuery(query), allowed: index.docsWithKeyword(field, values), matchAnyTerm: true }, { k: 10 })
      return { query, field, values, total, hits: scored(hits) }
    }),
    sources: Object.fromEntries(await Promise.all(Object.keys(expected.sources).map(async (id) => [id, (await index.get(id)) ?? null]))),
  }
}

const old = {
  stats: expected.stats,
  searches: expected.searches,
  keywords: expected.keywords,
  filtered: expected.filtered,
  sources: expected.sources,
}

describe('a format-2 index (test/fixtures/index-v2, written by the code of commit ad7e19b)', () => {
  it('is the fixture the README describes: format 2, an update and a delete, clean', async () => {
    expect(expected.meta.version).toBe(2)
    expect(expected.check).toEqual([])
    expect(expected.stats).toMatchObject({ documents: 7, deletedDocuments: 2 })
    expect(expected.sources.c).toBeNull()
    expect((await metaOnDisk(await copyOfFixture())).version).toBe(2)
  })

  it('opens as the current version (in memory and on disk) and answers exactly what the format-2 code answered', async () => {
    const dir = await copyOfFixture()
    const index = await SparseIndex.open(dir)
    expect(index.meta).toEqual({ ...expected.meta, version: FORMAT_VERSION })
    expect(index.schema).toBeUndefined()
    expect(await answers(index)).toEqual(old)
    expect(await index.check()).toEqual([])
    await index.close()
    expect(await metaOnDisk(dir)).toEqual({ ...expected.meta, version: FORMAT_VERSION })

    const again = await SparseIndex.open(dir)
    expect(await answers(again)).toEqual(old)
    expect(await again.check()).toEqual([])
    await again.close()
  })

  it('answers the query DSL (match, term and terms on metadata, bool filter and must_not) as the format-2 server did', async () => {
    const index = await SparseIndex.open(await copyOfFixture())
    for (const { query, total, hits } of expected.dsl) {
      const result = await index.search({ query, size: 10 })
      expect(result.total, JSON.stringify(query)).toBe(total)
      expect(result.hits.map((hit) => hit.id), JSON.stringify(query)).toEqual(hits.map((hit) => hit.id))
      expect(result.hits.map((hit) => hit.score), JSON.stringify(query)).toEqual(hits.map((hit) => hit.score))
      for (const hit of result.hits) expect(hit.source).toEqual(expected.sources[hit.id])
    }
    await index.close()
  })

  it('takes writes after the upgrade: adds, updates and deletes, compaction, reopen, all clean', async () => {
    const dir = await copyOfFixture()
    const index = await SparseIndex.open(dir)
    const added = await index.add([
      { ...doc('i', 'sorted write batches of postings', 'Merges'), source: { title: 'Merges', text: 'sorted write batches of postings', tag: 'db', year: 2024 } },
      { ...doc('b', 'LevelDB compacts sorted tables', 'LevelDB'), source: { title: 'LevelDB', text: 'LevelDB compacts sorted tables', tag: 'db', year: 2013 } },
    ])
    expect(added).toMatchObject({ added: 1, replaced: 1, outcomes: ['created', 'updated'] })
    expect(await index.delete(['e'])).toBe(1)
    const top = index.searchIds('sorted write batches', { k: 10 }).map((hit) => hit.id)
    expect(top[0]).toBe('i')
    expect(top).not.toContain('e')
    const db = await index.search({ query: { match: { text: 'sorted' } }, filter: { term: { tag: 'db' } } })
    expect(db.hits.map((hit) => hit.id).sort()).toEqual(['b', 'i'])
    expect(await index.check()).toEqual([])
    const before = index.searchIds('sorted write batches', { k: 10 })
    await index.compact()
    expect(index.searchIds('sorted write batches', { k: 10 })).toEqual(before)
    expect(await index.check()).toEqual([])
    await index.close()

    const reopened = await SparseIndex.open(dir)
    expect(reopened.meta.version).toBe(FORMAT_VERSION)
    expect(reopened.searchIds('sorted write batches', { k: 10 })).toEqual(before)
    expect(await reopened.get('b')).toMatchObject({ year: 2013 })
    expect(await reopened.get('e')).toBeUndefined()
    expect(await reopened.check()).toEqual([])
    await reopened.close()
  })
})
