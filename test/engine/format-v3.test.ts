import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FORMAT_VERSION, type IndexMeta } from '../../src/storage/format.js'
import { SparseIndex, type IndexStats } from '../../src/engine/sparse-index.js'
import type { Query } from '../../src/engine/query/types.js'
import { ROOT } from '../helpers.js'
import { fixtureCopies, metaOnDisk } from './fixture-copies.js'

type Scored = Array<{ id: string; score: number }>

/** What the format-3 code answered (test/fixtures/index-v3/README.md). */
interface Expected {
  meta: IndexMeta
  stats: Pick<IndexStats, 'documents' | 'deletedDocuments' | 'terms' | 'postings' | 'segments'>
  check: string[]
  searches: Array<{ query: Query; total: number; hits: Scored }>
  sources: Record<string, Record<string, unknown> | null>
}

const FIXTURE = join(ROOT, 'test/fixtures/index-v3')
const expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Expected

/** A copy of the committed database (the committed files are never opened, so never changed). */
const copyOfFixture = fixtureCopies(FIXTURE)

/** The current code's answers to what the format-3 code was asked. */
async function answers(index: SparseIndex) {
  const { documents, deletedDocuments, terms, postings, segments } = await index.stats()
  const searches = []
  for (const { query } of expected.searches) {
    const { total, hits } = await index.search({ query, size: 10 })
    searches.push({ query, total, hits: hits.map(({ id, score }) => ({ id, score })) })
  }
  return {
    stats: { documents, deletedDocuments, terms, postings, segments },
    searches,
    sources: Object.fromEntries(await Promise.all(Object.keys(expected.sources).map(async (id) => [id, (await index.get(id)) ?? null]))),
  }
}

const old = { stats: expected.stats, searches: expected.searches, sources: expected.sources }

describe('a format-3 index (test/fixtures/index-v3, written by the code of commit 58f7b70)', () => {
  it('is the fixture the README describes: format 3, clean, mapped fields only', () => {
    expect(expected.meta.version).toBe(3)
    expect(expected.check).toEqual([])
    expect(expected.stats).toEqual({ documents: 7, deletedDocuments: 2, terms: 109, postings: 181, segments: 152 })
  })

  it('opens as format 4 with the same answers, its text fields marked index_options: freqs, on disk too', async () => {
    const dir = await copyOfFixture()
    const index = await SparseIndex.open(dir)
    expect(await answers(index)).toEqual(old)
    expect(await index.check()).toEqual([])
    const properties = (index.schema!.toStored().mappings as { properties: Record<string, Record<string, unknown>> }).properties
    expect(properties.title.index_options).toBe('freqs')
    expect(properties.body.index_options).toBe('freqs')
    expect(properties.tag.index_options).toBeUndefined()
    await index.close()
    const meta = await metaOnDisk(dir)
    expect(meta.version).toBe(FORMAT_VERSION)
    const reopened = await SparseIndex.open(dir)
    expect(await answers(reopened)).toEqual(old)
    await reopened.close()
  })

  it('refuses phrases on its text fields (no positions were stored) and keeps taking writes', async () => {
    const index = await SparseIndex.open(await copyOfFixture())
    await expect(index.search({ query: { match_phrase: { body: 'sorted term' } } })).rejects.toThrow(/indexed without position data/)
    await index.add([{ id: 'i', source: { title: 'Phrase search', body: 'sorted term dictionary', tag: 'ranking', year: 2026 } }])
    await index.delete(['a'])
    await index.compact()
    expect(await index.check()).toEqual([])
    const { hits } = await index.search({ query: { match: { body: 'dictionary' } } })
    expect(hits.map((h) => h.id).sort()).toEqual(['f', 'i'])
    await index.close()
  })
})
