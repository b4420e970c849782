import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import type { SourceDocument } from '../src/encode/encoder.js'

const made: string[] = []

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lsr-test-'))
  made.push(dir)
  return dir
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A document with `text` and optional `title`. */
export function doc(id: string, text: string, title = ''): SourceDocument {
  return { id, title, text, source: title ? { _id: id, title, text } : { _id: id, text } }
}

/** Path to the repository root. */
export const ROOT = new URL('..', import.meta.url).pathname

/** A seeded PRNG (mulberry32): the same random data every run. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
