/**
 * Crash tests of `lsr compact --reorder` (src/storage/reorder.ts): killed (SIGKILL) at each of its
 * fail points, the index reopens clean and exactly as it was before the reorder (a crash before
 * the commit marker: the staged keys are dropped) or exactly as a reorder without a crash leaves it
 * (after the marker: the reopen finishes it); re-running the reorder then gives that index too.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { lsr, lsrWithFailPoint as crash } from '../cli/lsr.js'

const DOCS = 300
const text = (i: number) => `topic${i % 7} subject${i % 13} ${Array.from({ length: 15 }, (_, w) => `u${i}x${w}`).join(' ')}`
const QUERIES = ['topic3 subject5', 'topic1', 'subject12 topic6', 'u17x3', 'u250x11 topic2']

/** What the index answers, in exact order (ties by internal id: they tell one order from another). */
async function snapshot(dir: string) {
  const index = await SparseIndex.open(dir)
  const result = {
    documents: (await index.stats()).documents,
    problems: await index.check(),
    rankings: QUERIES.map((q) => index.searchIds(q, { k: 50 }).map((h) => [h.id, h.docId, h.score])),
    sources: await Promise.all([0, 5, 150, 299].map((i) => index.get(`d${i}`))),
  }
  await index.close()
  return result
}

let work: string
let base: string
let original: Awaited<ReturnType<typeof snapshot>>
let reordered: Awaited<ReturnType<typeof snapshot>>

afterAll(() => rm(work, { recursive: true, force: true }))

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lsr-reorder-crash-'))
  const corpus = join(work, 'corpus.jsonl')
  await writeFile(corpus, Array.from({ length: DOCS }, (_, i) => JSON.stringify({ _id: `d${i}`, text: text(i) })).join('\n'))
  base = join(work, 'base')
  expect((await lsr('index', corpus, '--index', base, '--commit-every', '25')).code).toBe(0)
  expect((await lsr('delete', 'd3', 'd40', 'd41', 'd200', '--index', base)).code).toBe(0)
  original = await snapshot(base)
  const reference = join(work, 'reference')
  await cp(base, reference, { recursive: true })
  expect((await lsr('compact', '--reorder', '--index', reference)).code).toBe(0)
  reordered = await snapshot(reference)
  expect(reordered.problems).toEqual([])
  expect(reordered.rankings).not.toEqual(original.rankings)
})

describe('a crash at any step of a reorder', () => {
  // [fail point, nth time reached, whether the reorder had committed]; this index's reorder writes
  // one staging batch, then 5 batches delete the old layout and 2 move the staged keys.
  const cases: Array<[string, number, boolean]> = [
    ['reorder:stage-batch', 1, false],
    ['reorder:before-commit', 1, false],
    ['reorder:after-commit', 1, true],
    ['reorder:replace-batch', 1, true],
    ['reorder:replace-batch', 4, true],
    ['reorder:replace-batch', 6, true],
    ['reorder:replace-batch', 7, true],
  ]
  for (const [point, nth, committed] of cases) {
    it(`${point} (${nth}): reopens clean as ${committed ? 'reordered' : 'before'}, and a re-run gives the reordered index`, async () => {
      const dir = join(work, `${point.replace(':', '-')}-${nth}`)
      await cp(base, dir, { recursive: true })
      expect(await crash(`${point}:${nth}`, 'compact', '--reorder', '--index', dir)).toBe('SIGKILL')
      expect(await snapshot(dir)).toEqual(committed ? reordered : original)
      if (!committed) {
        expect((await lsr('compact', '--reorder', '--index', dir)).code).toBe(0)
        expect(await snapshot(dir)).toEqual(reordered)
      }
    })
  }
})
