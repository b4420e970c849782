/**
 * The checkpoint of `lsr export --to`: a small JSON file saying which documents a cluster has
 * acknowledged, so that running the same export again after an interruption continues where it
 * stopped. Documents are exported in internal doc id order, and the checkpoint advances only
 * past a window of documents that the cluster acknowledged in full: re-running sends again at
 * most the window that was in flight (`index` actions by `_id`: the same documents again).
 * Written to a temporary file and renamed over the old one, so a kill leaves one or the other.
 * @module
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { LsrError } from '../errors.js'

/** What a checkpoint file holds. */
export interface ExportCheckpoint {
  /** Where the export goes, as shown (no credentials), and the index name there. */
  url: string
  name: string
  /** The exported state's fingerprint (IndexExport.fingerprint): an index written since cannot resume. */
  fingerprint: string
  /** The last internal doc id acknowledged, with every one before it; -1: none yet. */
  lastDocId: number
  /** Documents acknowledged. */
  loaded: number
}

/** The checkpoint in `file`, or undefined when there is none. */
export async function readCheckpoint(file: string): Promise<ExportCheckpoint | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const parsed = JSON.parse(text) as ExportCheckpoint
    const ok = typeof parsed === 'object' && parsed !== null && typeof parsed.url === 'string' && typeof parsed.name === 'string' &&
      typeof parsed.fingerprint === 'string' && Number.isInteger(parsed.lastDocId) && Number.isInteger(parsed.loaded)
    if (!ok) throw new Error('missing fields')
    return parsed
  } catch (error) {
    throw new LsrError('invalid_input', `${file}: not an export checkpoint (${(error as Error).message}); delete it to start the export over`)
  }
}

/** Replaces the checkpoint in `file`. */
export async function writeCheckpoint(file: string, checkpoint: ExportCheckpoint): Promise<void> {
  const temporary = `${file}.tmp`
  await writeFile(temporary, JSON.stringify(checkpoint) + '\n')
  await rename(temporary, file)
}

/** Removes the checkpoint (a finished export). */
export async function removeCheckpoint(file: string): Promise<void> {
  await rm(file, { force: true })
}
