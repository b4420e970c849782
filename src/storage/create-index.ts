/**
 * Creating an index so that it appears complete or not at all (see {@link writeNewIndex}); used by
 * `SparseIndex.open` with `create`.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Level } from 'level'
import { LsrError } from '../errors.js'
import { failPoint } from './fail-points.js'
import { encodeJson, FORMAT_NAME, FORMAT_VERSION, KEY_META, KEY_STATS, type IndexMeta } from './format.js'

/** What a new index is made with: its encoder and field schema (format.ts `IndexMeta`). */
export type NewIndex = Pick<IndexMeta, 'encoder' | 'schema' | 'pipelines'>
import type { IndexDb } from './load.js'
import type { BatchOp } from './write-plan.js'

/**
 * Writes a new, empty index so that it appears complete or not at all. An absent `dir` is built
 * in a sibling folder `#creating-<random>` and renamed into place. An existing empty `dir`
 * (made by the user, a mount point, a symlink) cannot be replaced by a rename, so the index is
 * written in it: metadata and statistics in one batch, and a database still without any entry (a
 * crash before that batch) is finished by the next `open` with `create`.
 */
export async function writeNewIndex(dir: string, encoder: NewIndex, label: string): Promise<void> {
  if (await stat(dir).then(() => true, () => false)) return initializeIndex(dir, encoder)
  // Beside the target, under a short name of its own (a name near 255 bytes plus a suffix would not fit).
  const temporary = join(dirname(resolve(dir)), `#creating-${randomUUID().slice(0, 8)}`)
  await mkdir(dirname(temporary), { recursive: true })
  try {
    await initializeIndex(temporary, encoder)
    failPoint('create:before-rename')
    await rename(temporary, dir)
  } catch (error) {
    await rm(temporary, { recursive: true, force: true })
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new LsrError('index_locked', `${label} was being created by another process at the same time`, { cause: error })
    throw error
  }
}

/** Writes the metadata and empty statistics of a new index into the database in `dir`. */
async function initializeIndex(dir: string, encoder: NewIndex): Promise<void> {
  const db: IndexDb = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    await db.batch(newIndexOps(encoder), { sync: true })
  } finally {
    await db.close()
  }
}

/** The one batch that makes an empty database an index: metadata and empty statistics. */
export function newIndexOps({ encoder, schema, pipelines }: NewIndex): BatchOp[] {
  const meta: IndexMeta = { format: FORMAT_NAME, version: FORMAT_VERSION, encoder, createdAt: new Date().toISOString(), schema, ...(pipelines ? { pipelines } : {}) }
  return [
    { type: 'put', key: KEY_META, value: encodeJson(meta) },
    { type: 'put', key: KEY_STATS, value: encodeJson({ numDocs: 0, sumLength: 0, nextDocId: 0, nextSegment: 0 }) },
  ]
}
