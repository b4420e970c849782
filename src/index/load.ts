/**
 * Reads an index's LevelDB database into an {@link IndexState}: one sequential pass per key range,
 * posting segments appended in key order (ascending doc ids).
 * @module
 */
import type { Level } from 'level'
import {
  decodeDeleted, decodeJson, decodeTermEntry, KEY_DELETED, KEY_STATS, prefixRange,
  PREFIX_POSTINGS, PREFIX_SEGMENT, PREFIX_TERM, segmentFromPostingsKey, termFromKey, termIdFromPostingsKey,
  type CorpusStats, type SegmentDocs,
} from './format.js'
import { IndexState } from './index-state.js'
import { LsrError } from '../errors.js'

export type IndexDb = Level<Buffer, Buffer>

const PAGE = 1000

/** Calls `visit` for every entry with the given one-byte key prefix, in key order. */
export async function scanPrefix(db: IndexDb, prefix: number, visit: (key: Buffer, value: Buffer) => void): Promise<void> {
  const iterator = db.iterator(prefixRange(prefix))
  try {
    for (;;) {
      const entries = await iterator.nextv(PAGE)
      if (entries.length === 0) break
      for (const [key, value] of entries) visit(key, value)
    }
  } finally {
    await iterator.close()
  }
}

/** Loads everything queries need into memory. */
export async function loadState(db: IndexDb): Promise<IndexState> {
  const state = new IndexState()
  const [statsValue, deletedValue] = await db.getMany([KEY_STATS, KEY_DELETED])
  if (!statsValue) throw new LsrError('data_corruption', 'index data corruption: corpus statistics are missing')
  state.stats = decodeJson<CorpusStats>(statsValue, 'corpus statistics')
  if (deletedValue) state.deleted = decodeDeleted(deletedValue)

  await scanPrefix(db, PREFIX_SEGMENT, (_key, value) => {
    const segment = decodeJson<SegmentDocs>(value, 'segment doc table')
    state.addDocs(segment.firstDoc, segment.ids, segment.lengths)
  })
  await scanPrefix(db, PREFIX_TERM, (key, value) => state.setTerm(termFromKey(key), decodeTermEntry(value, key)))
  await scanPrefix(db, PREFIX_POSTINGS, (key, value) => {
    const termId = termIdFromPostingsKey(key)
    const list = state.postings[termId]
    if (!list) throw new LsrError('data_corruption', `index data corruption: postings of unknown term id ${termId}`)
    list.addEncoded(segmentFromPostingsKey(key), value)
  })
  return state
}
