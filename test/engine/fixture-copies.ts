/**
 * Copies of the committed old-format index fixtures (test/fixtures/index-v*): tests open a copy,
 * never the committed files, and each copy is removed after its test.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach } from 'vitest'
import { decodeJson, KEY_META, type IndexMeta } from '../../src/storage/format.js'

/** Registers the cleanup and returns a function that copies `fixture`'s `db/` to a fresh folder. */
export function fixtureCopies(fixture: string): () => Promise<string> {
  const copies: string[] = []
  afterEach(async () => {
    await Promise.all(copies.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  })
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsr-fixture-'))
    copies.push(dir)
    await cp(join(fixture, 'db'), dir, { recursive: true })
    return dir
  }
}

/** The metadata as stored, read with a raw LevelDB handle. */
export async function metaOnDisk(dir: string): Promise<IndexMeta> {
  const raw = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  try {
    return decodeJson<IndexMeta>((await raw.get(KEY_META))!, 'meta')
  } finally {
    await raw.close()
  }
}
