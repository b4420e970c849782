import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { decodeJson, KEY_META, type IndexMeta } from '../../src/storage/format.js'
import { loadState, SegmentStore, type IndexDb } from '../../src/storage/load.js'
import { decodePositions } from '../../src/storage/position-codec.js'
import { seededRandom, tempDir } from '../helpers.js'

const STOP = new Set(['x', 'y'])
const GAP = 10
const WORDS = ['a', 'b', 'c', 'd', 'e', 'x', 'y', 'apple', 'pie']

/** Whitespace tokens, stop words removed with a gap, values GAP apart: Lucene's positions, computed by hand. */
function expectedPositions(values: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>()
  let position = -1
  values.forEach((value, v) => {
    if (v > 0) position += GAP
    for (const word of value.split(' ').filter((w) => w !== '')) {
      position++
      if (STOP.has(word)) continue
      out.set(word, [...(out.get(word) ?? []), position])
    }
  })
  return out
}

const schema = {
  mappings: { properties: { body: { type: 'text', analyzer: 'ws_stop', position_increment_gap: GAP }, plain: { type: 'text', index_options: 'freqs' } } },
  analysis: {
    analyzer: { ws_stop: { type: 'custom', tokenizer: 'whitespace', filter: ['stop_xy'] } },
    filter: { stop_xy: { type: 'stop', stopwords: [...STOP] } },
  },
}

/** Every (token, doc) -> positions the index holds for field `body`, read back from disk as a new process would. */
async function storedPositions(dir: string): Promise<Map<string, Map<string, number[]>>> {
  const db: IndexDb = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    const meta = decodeJson<IndexMeta>((await db.get(KEY_META))!, 'meta')
    const state = await loadState(db, meta, new SegmentStore(db), (path) => path === 'body')
    const byDoc = new Map<string, Map<string, number[]>>()
    state.terms.forEach((term, id) => {
      const list = state.postings[id]
      if (!term.startsWith('\u0001body\u0001')) {
        expect(list.positional).toBe(false)
        return
      }
      const { docs, values, length } = list.view()
      const { bytes, starts } = list.positions()
      for (let p = 0; p < length; p++) {
        if (state.live[docs[p]] !== 1) continue
        const positions = Array.from(decodePositions(bytes, starts[p], values[p], new Uint32Array(values[p])))
        const docId = state.docIdOf[docs[p]]
        if (!byDoc.has(docId)) byDoc.set(docId, new Map())
        byDoc.get(docId)!.set(term.slice('\u0001body\u0001'.length), positions)
      }
    })
    return byDoc
  } finally {
    await db.close()
  }
}

describe('positions of text fields', () => {
  it('round-trip through adds, replaces, deletes, log merges, compaction and reopen, as the stored text says', async () => {
    const dir = await tempDir()
    const random = seededRandom(16)
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]
    const text = () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(WORDS)).join(' ')
    const live = new Map<string, string[]>()
    let index = await SparseIndex.open(dir, { create: true, encoder: null, schema })
    for (let round = 0; round < 40; round++) {
      const docs = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
        const id = `d${Math.floor(random() * 60)}`
        const body = random() < 0.3 ? [text(), text()] : [text()]
        return { id, source: { body: body.length === 1 ? body[0] : body, plain: text() } }
      })
      await index.add(docs)
      for (const { id, source } of docs) live.set(id, Array.isArray(source.body) ? source.body : [source.body])
      if (round % 7 === 3) {
        const gone = [...live.keys()].filter(() => random() < 0.2)
        await index.delete(gone)
        for (const id of gone) live.delete(id)
      }
      if (round % 13 === 12) await index.compact()
      if (round % 10 === 9) {
        expect(await index.check()).toEqual([])
        await index.close()
        const stored = await storedPositions(dir)
        expect(new Set(stored.keys())).toEqual(new Set([...live].filter(([, values]) => expectedPositions(values).size > 0).map(([id]) => id)))
        for (const [id, values] of live) {
          expect(stored.get(id) ?? new Map(), id).toEqual(expectedPositions(values))
        }
        index = await SparseIndex.open(dir)
      }
    }
    expect(await index.check()).toEqual([])
    await index.close()
  })
})
