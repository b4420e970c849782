/**
 * Writing the server's small state files (pipelines, aliases) so that a crash leaves the old file
 * or the new one, never a torn one: write a temporary sibling, fsync it, rename it over the file.
 * @module
 */
import { open, rename, rm } from 'node:fs/promises'

/** Replaces `file` with `text` atomically and durably. */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp-${crypto.randomUUID()}`
  try {
    const handle = await open(temporary, 'w')
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
