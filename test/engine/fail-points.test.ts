/**
 * Crash tests: `lsr index` / `lsr compact` killed (SIGKILL) at each named fail point of the write
 * path (src/storage/fail-points.ts), then reopened: check() is clean, every committed batch is whole,
 * and a re-run ends in exactly the index a run without a crash builds.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { lsr, lsrWithFailPoint as crash } from '../cli/lsr.js'

const DOCS = 300
const COMMIT = 10
// Fifteen words unique to each document (so the replacing run leaves thousands of terms for
// compaction to rewrite: more than one compaction batch of 4,096), plus words shared by many.
const text = (i: number, run: number) =>
  `topic${i % 7} subject${i % 13} run${run} ${Array.from({ length: 15 }, (_, w) => `u${run}x${i}x${w}`).join(' ')}`
const corpus = (run: number) => Array.from({ length: DOCS }, (_, i) => JSON.stringify({ _id: `d${i}`, text: text(i, run) })).join('\n')
const QUERIES = ['topic3 subject5', 'run1 topic1', 'run2 subject12 topic6', 'u1x17x3', 'u2x250x11']

/** What queries answer (ids and scores), the documents, and problems. */
async function snapshot(dir: string) {
  const index = await SparseIndex.open(dir)
  const result = {
    documents: (await index.stats()).documents,
    problems: await index.check(),
    rankings: QUERIES.map((q) => index.searchIds(q, { k: 50 }).map((h) => [h.id, h.score])),
  }
  await index.close()
  return result
}

let work: string
let reference: Awaited<ReturnType<typeof snapshot>>
let first: string
let second: string

// One folder for the whole file (tempDir() folders go after each test; these outlive one).
afterAll(() => rm(work, { recursive: true, force: true }))

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lsr-fail-points-'))
  first = join(work, 'first.jsonl')
  second = join(work, 'second.jsonl')
  await writeFile(first, corpus(1))
  await writeFile(second, corpus(2))
  // Reference: both runs, no crash.
  const dir = join(work, 'reference')
  expect((await lsr('index', first, '--index', dir, '--commit-every', String(COMMIT))).code).toBe(0)
  expect((await lsr('index', second, '--index', dir, '--commit-every', String(COMMIT))).code).toBe(0)
  reference = await snapshot(dir)
  expect(reference.problems).toEqual([])
  expect(reference.documents).toBe(DOCS)
})

describe('a crash at any step of ingest, log merge or compaction', () => {
  // [fail point, nth time reached, during the first run (new index) or the second (replacing every document)]
  const cases: Array<[string, number, 1 | 2]> = [
    ['create:before-rename', 1, 1],
    ['write:before-batch', 7, 1],
    ['write:after-batch', 7, 1],
    ['merge:before-batch', 2, 1],
    ['merge:after-batch', 2, 1],
    ['ingest:after-commit', 13, 1],
    ['write:after-batch', 5, 2],
    ['merge:after-batch', 3, 2],
    ['compact:before-batch', 1, 2],
    ['compact:after-batch', 1, 2],
    ['compact:after-batch', 2, 2],
  ]
  for (const [point, nth, run] of cases) {
    it(`${point} (${nth}) during run ${run}: reopens clean with whole batches, and a re-run builds the reference index`, async () => {
      const dir = join(work, `${point.replace(':', '-')}-${nth}-${run}`)
      if (run === 2) expect((await lsr('index', first, '--index', dir, '--commit-every', String(COMMIT))).code).toBe(0)
      const input = run === 1 ? first : second
      expect(await crash(`${point}:${nth}`, 'index', input, '--index', dir, '--commit-every', String(COMMIT))).toBe('SIGKILL')

      if (point === 'create:before-rename') {
        // Killed before the new index was renamed into place: there is no index (and no empty folder).
        expect((await readdir(work)).filter((name) => name.startsWith('#creating-'))).toHaveLength(1)
        expect(await readdir(work)).not.toContain(`${point.replace(':', '-')}-${nth}-${run}`)
        await expect(SparseIndex.open(dir)).rejects.toMatchObject({ code: 'not_found' })
      } else {
        const crashed = await snapshot(dir)
        expect(crashed.problems).toEqual([])
        expect(crashed.documents % COMMIT).toBe(0)
        const index = await SparseIndex.open(dir)
        // Every document is whole: of one run or the other, never a mix, and findable by its own words.
        for (let i = 0; i < DOCS; i += 37) {
          const source = await index.get(`d${i}`)
          if (source === undefined) continue
          const which = source.text === text(i, 2) ? 2 : 1
          expect(source.text).toBe(text(i, which))
          expect(index.searchIds(`u${which}x${i}x4`).map((h) => h.id)).toEqual([`d${i}`])
        }
        await index.close()
      }
      // Re-running what was interrupted completes it: the same index as without a crash.
      expect((await lsr('index', input, '--index', dir, '--commit-every', String(COMMIT))).code).toBe(0)
      expect(await snapshot(dir)).toEqual(reference.documents === DOCS && run === 2 ? reference : await referenceOfFirst())
    })
  }
})

let firstOnly: Awaited<ReturnType<typeof snapshot>> | undefined
async function referenceOfFirst() {
  if (!firstOnly) {
    const dir = join(work, 'reference-first')
    expect((await lsr('index', first, '--index', dir, '--commit-every', String(COMMIT))).code).toBe(0)
    firstOnly = await snapshot(dir)
  }
  return firstOnly
}
