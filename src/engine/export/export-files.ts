/**
 * An export written to a folder: `index.json` (the body of `PUT /{name}`), `pipelines.json` (see
 * pipelines.ts) and the documents as `_bulk` NDJSON (`{"index":{"_index":name,"_id":id}}` then the
 * source, one line each), in one `documents.ndjson` or, with `chunkDocuments`, in files of that
 * many documents each (`documents-000001.ndjson`, ...), which `curl --data-binary @file` sends as
 * they are. Written as the documents are read, waiting on the file stream: constant memory.
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { LsrError } from '../../errors.js'
import type { IndexExport } from './export-index.js'

/** Options of {@link writeExport}. */
export interface WriteExportOptions {
  /** The cluster index the bulk actions name. */
  name: string
  /** Documents per NDJSON file; absent: one file. */
  chunkDocuments?: number
  /** Called after each document written, with the count so far. */
  onDocument?: (written: number) => void
}

/** What {@link writeExport} wrote. */
export interface WrittenExport {
  documents: number
  /** The NDJSON files, in order (names inside the folder). */
  files: string[]
  /** Bytes of NDJSON. */
  bytes: number
}

/** The bulk action line of a document. */
export function bulkAction(name: string, id: string): string {
  return JSON.stringify({ index: { _index: name, _id: id } })
}

/**
 * Writes an export into `folder` (created; it must be empty or absent).
 * @throws LsrError `invalid_input` when the folder holds files
 */
export async function writeExport(exported: IndexExport, folder: string, { name, chunkDocuments, onDocument }: WriteExportOptions): Promise<WrittenExport> {
  try {
    await mkdir(folder, { recursive: true })
    if ((await readdir(folder)).length > 0) throw new LsrError('invalid_input', `${folder} is not empty: export into a new folder`)
    await writeFile(join(folder, 'index.json'), JSON.stringify(exported.body, null, 2) + '\n')
    await writeFile(join(folder, 'pipelines.json'), JSON.stringify(exported.pipelines, null, 2) + '\n')
  } catch (error) {
    await exported.documents.return()
    throw error
  }
  const files: string[] = []
  let out: WriteStream | undefined
  let documents = 0
  let bytes = 0
  const open = async () => {
    if (out) await close(out)
    const file = chunkDocuments === undefined ? 'documents.ndjson' : `documents-${String(files.length + 1).padStart(6, '0')}.ndjson`
    files.push(file)
    out = createWriteStream(join(folder, file))
    await once(out, 'open')
  }
  try {
    if (chunkDocuments === undefined) await open()
    for await (const { id, source } of exported.documents) {
      if (chunkDocuments !== undefined && documents % chunkDocuments === 0) await open()
      const lines = `${bulkAction(name, id)}\n${JSON.stringify(source)}\n`
      bytes += Buffer.byteLength(lines)
      if (!out!.write(lines)) await once(out!, 'drain')
      documents++
      onDocument?.(documents)
    }
    if (out) await close(out)
  } catch (error) {
    out?.destroy()
    throw error
  } finally {
    await exported.documents.return()
  }
  return { documents, files, bytes }
}

/** Ends a file stream and waits until its data is written. */
async function close(out: WriteStream): Promise<void> {
  out.end()
  await once(out, 'finish')
}
