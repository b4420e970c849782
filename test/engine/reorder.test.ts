/**
 * `compact({ reorder: true })` (src/storage/reorder.ts): the documents get new internal ids in
 * bisection order, and every answer stays the same up to the order of documents with exactly equal
 * scores (ties go by internal id); pruned searches still equal exhaustive ones on the new order.
 */
import { describe, expect, it } from 'vitest'
import type { SourceDocument } from '../../src/encode/encoder.js'
import { SparseIndex, type Hit, type SearchAlgorithm } from '../../src/engine/sparse-index.js'
import { bisectionOrder, DocTermsBuilder } from '../../src/storage/doc-order/bisection.js'
import { seededRandom, tempDir } from '../helpers.js'

const TOPICS = [
  ['apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'peach', 'plum'],
  ['engine', 'piston', 'gear', 'clutch', 'brake', 'wheel', 'axle', 'valve'],
  ['violin', 'cello', 'flute', 'oboe', 'harp', 'drum', 'horn', 'piano'],
]
const COMMON = ['the', 'report', 'study', 'notes']

/** A document mostly of one topic's words (documents of the same topic share terms). */
function topicDoc(id: string, topic: number, random: () => number): SourceDocument {
  const words = Array.from({ length: 6 + Math.floor(random() * 6) }, () =>
    random() < 0.85 ? TOPICS[topic][Math.floor(random() * 8)] : COMMON[Math.floor(random() * COMMON.length)])
  const text = words.join(' ')
  const source = { _id: id, text, tag: `t${topic}`, year: 2000 + Math.floor(random() * 5), note: `${TOPICS[topic][0]} ${words[0]} ${words[1]}` }
  return { id, title: '', text, source }
}

/** Hits as groups of equal score, best first, each group's ids sorted: the order up to ties. */
function upToTies(hits: readonly Hit[]): Array<[number, string[]]> {
  const groups: Array<[number, string[]]> = []
  for (const { id, score } of hits) {
    const last = groups[groups.length - 1]
    if (last && last[0] === score) last[1].push(id)
    else groups.push([score, [id]])
  }
  for (const [, ids] of groups) ids.sort()
  return groups
}

const QUERIES = ['apple banana', 'piston gear report', 'violin the', 'cherry clutch harp', 'study', 'mango plum peach notes']
const ALGORITHMS: Array<{ algorithm: SearchAlgorithm; blockSize?: number; window?: number }> = [
  { algorithm: 'exhaustive' }, { algorithm: 'maxscore' }, { algorithm: 'maxscore', window: 3 },
  { algorithm: 'blockmax' }, { algorithm: 'blockmax', blockSize: 4 }, { algorithm: 'blockmax', blockSize: 16 },
]

/** Everything the index answers, with hits up to ties (every match: k exceeds the documents). */
async function answers(index: SparseIndex, ids: readonly string[]) {
  const query = { bool: { filter: [{ terms: { tag: ['t0', 't2'] } }], must: [{ match: { text: 'apple violin report' } }] } }
  const sorted = await index.search({ query, sort: [{ year: 'desc' }], size: 1000 })
  const phrase = await index.search({ query: { match_phrase: { note: 'apple apple' } }, size: 1000 })
  return {
    stats: await index.stats().then(({ documents, terms }) => ({ documents, terms })),
    rankings: QUERIES.flatMap((q) => ALGORITHMS.map((options) => upToTies(index.searchIds(q, { k: 1000, ...options })))),
    // Equal years are ties too (they go by internal id): compared as one group each.
    sorted: { total: sorted.total, hits: upToTies(sorted.hits.map(({ id, sort }) => ({ id, score: sort![0] as number, docId: 0 }))) },
    phrase: { total: phrase.total, hits: upToTies(phrase.hits) },
    documents: await Promise.all(ids.map((id) => index.getWithVersion(id))),
  }
}

async function topicIndex() {
  const random = seededRandom(15)
  const index = await SparseIndex.open(await tempDir(), { create: true })
  const docs = Array.from({ length: 240 }, (_, i) => topicDoc(`d${i}`, i % 3, random))
  for (let start = 0; start < docs.length; start += 40) await index.add(docs.slice(start, start + 40))
  // Deleted, replaced, and re-written identical with a new version (an identical write's `v` key).
  await index.delete(docs.filter((_, i) => i % 11 === 0).map((d) => d.id))
  await index.add(docs.filter((_, i) => i % 13 === 1).map((d, i) => topicDoc(d.id, (i + 1) % 3, random)))
  await index.add(docs.filter((_, i) => i % 17 === 2), { versionIdentical: true })
  return { index, ids: docs.map((d) => d.id) }
}

describe('compact with reorder', () => {
  it('answers the same up to the order of equal scores, and a reopen answers exactly as the reordered handle', async () => {
    const { index, ids } = await topicIndex()
    const before = await answers(index, ids)
    expect(await index.compact({ reorder: true })).toBe(before.stats.terms)
    expect(await index.check()).toEqual([])
    const after = await answers(index, ids)
    expect(after).toEqual(before)
    expect((await index.stats()).deletedDocuments).toBe(0)
    const exact = QUERIES.map((q) => index.searchIds(q, { k: 1000 }))
    await index.close()

    const reopened = await SparseIndex.open(index.dir)
    expect(await answers(reopened, ids)).toEqual(after)
    expect(QUERIES.map((q) => reopened.searchIds(q, { k: 1000 }))).toEqual(exact)
    // Writes go on from the new ids: a new document, a replaced one and a deletion.
    await reopened.add([topicDoc('new', 1, seededRandom(3)), topicDoc('d5', 2, seededRandom(4))])
    await reopened.delete(['d7'])
    expect(await reopened.check()).toEqual([])
    expect(reopened.searchIds('piston gear clutch', { k: 1000 }).map((h) => h.id)).toContain('new')
    expect(reopened.has('d7')).toBe(false)
    await reopened.close()
  })

  it('puts the documents of each topic at neighbouring ids', async () => {
    const random = seededRandom(7)
    const index = await SparseIndex.open(await tempDir(), { create: true })
    // Topics interleaved by insertion: 0, 1, 2, 0, 1, 2, ...; one word per topic in every document of it.
    await index.add(Array.from({ length: 300 }, (_, i) => topicDoc(`d${i}`, i % 3, random)).map((d, i) => ({ ...d, text: `${d.text} marker${i % 3}` })))
    await index.compact({ reorder: true })
    const topicOf: number[] = []
    for (let topic = 0; topic < 3; topic++) for (const { docId } of index.searchIds(`marker${topic}`, { k: 1000 })) topicOf[docId] = topic
    expect(topicOf).toHaveLength(300)
    // Along the ids the topic changes 299 times before (0, 1, 2, 0, ...); in a few runs after.
    const changes = topicOf.filter((topic, doc) => doc > 0 && topic !== topicOf[doc - 1]).length
    expect(changes).toBeLessThan(20)
    await index.close()
  })

  it('keeps pruned search equal to exhaustive search on the new order', async () => {
    const { index } = await topicIndex()
    await index.compact({ reorder: true })
    const random = seededRandom(99)
    const words = [...TOPICS.flat(), ...COMMON]
    for (let q = 0; q < 40; q++) {
      const query = Array.from({ length: 1 + Math.floor(random() * 5) }, () => words[Math.floor(random() * words.length)]).join(' ')
      for (const k of [1, 3, 10]) {
        const exhaustive = index.searchIds(query, { k, algorithm: 'exhaustive' })
        for (const options of ALGORITHMS) expect(index.searchIds(query, { k, ...options })).toEqual(exhaustive)
      }
    }
    await index.close()
  })

  it('reorders an empty index and an index whose documents are all deleted', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.compact({ reorder: true })
    await index.add([topicDoc('a', 0, seededRandom(1))])
    await index.delete(['a'])
    await index.compact({ reorder: true })
    expect(await index.check()).toEqual([])
    expect((await index.stats()).documents).toBe(0)
    await index.add([topicDoc('b', 0, seededRandom(2))])
    expect(index.searchIds('apple banana cherry grape lemon mango peach plum').map((h) => h.id)).toEqual(['b'])
    await index.close()
  })
})

describe('bisectionOrder', () => {
  it('separates two shuffled groups of documents that share no term', () => {
    // 32 documents hold terms 0-3, 32 others terms 4-7, in a shuffled order: a perfect split exists.
    const n = 64
    const random = seededRandom(5)
    const group = Array.from({ length: n }, (_, i) => i % 2)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[group[i], group[j]] = [group[j], group[i]]
    }
    const builder = new DocTermsBuilder(n, new Uint32Array(8).fill(n / 2), { maxDfRatio: 1 })
    for (let doc = 0; doc < n; doc++) builder.add(group[doc] === 0 ? [0, 1, 2, 3] : [4, 5, 6, 7])
    const order = bisectionOrder(builder.build(), { minPartition: 4 })
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
    expect(new Set(Array.from(order.subarray(0, n / 2), (doc) => group[doc])).size).toBe(1)
  })

  it('leaves out terms below the minimum document frequency or above the ratio', () => {
    const builder = new DocTermsBuilder(4, [1, 2, 4], { minDf: 2, maxDfRatio: 0.5 })
    for (let doc = 0; doc < 4; doc++) builder.add([0, 1, 2])
    // Only term 1 (df 2) is kept, renumbered 0.
    expect(builder.build()).toEqual({ starts: Uint32Array.of(0, 1, 2, 3, 4), terms: Uint32Array.of(0, 0, 0, 0), termCount: 1 })
  })
})
