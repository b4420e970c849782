/**
 * Facts about an index directory on disk: is it a LevelDB database, is it empty, how large is it,
 * and what an open failure means (another process holding LevelDB's lock).
 * @module
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { LsrError } from '../errors.js'

export async function isLevelDb(dir: string): Promise<boolean> {
  return stat(join(dir, 'CURRENT')).then(() => true, () => false)
}

export async function hasEntries(dir: string): Promise<boolean> {
  return readdir(dir).then((entries) => entries.length > 0, () => false)
}

export async function directorySize(dir: string): Promise<number> {
  let total = 0
  // LevelDB compacts in the background: a file listed may be gone by the time it is measured.
  for (const name of await readdir(dir)) total += await stat(join(dir, name)).then((s) => s.size, () => 0)
  return total
}

export function openError(error: unknown, label: string): LsrError {
  const cause = (error as { cause?: { code?: string } }).cause
  if (cause?.code === 'LEVEL_LOCKED') {
    return new LsrError('index_locked', `index is locked: ${label} is open in another process`, { cause: error })
  }
  // An I/O error (too many open files, no space) says nothing about the data: not "broken".
  if (cause?.code === 'LEVEL_IO_ERROR') {
    return new LsrError('unavailable', `cannot open ${label} now: ${(cause as unknown as Error).message}`, { cause: error })
  }
  return new LsrError('not_an_index', `cannot open ${label} as an index: ${(error as Error).message}`, { cause: error })
}
