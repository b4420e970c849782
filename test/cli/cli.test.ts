import { spawn } from 'node:child_process'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { tempDir } from '../helpers.js'
import { LSR, lsr, SAMPLE } from './lsr.js'

describe('lsr CLI', () => {
  it('indexes the sample corpus, searches it and writes a TREC run', async () => {
    const dir = join(await tempDir(), 'idx')
    const indexed = await lsr('index', SAMPLE, '--index', dir)
    expect(indexed.code).toBe(0)
    expect(indexed.stdout).toMatch(/^indexed \d+ docs \(\d+ added, 0 replaced, 0 unchanged, 0 skipped\)/)

    const search = await lsr('search', 'posting lists compressed with roaring bitmaps', '--index', dir, '-k', '3', '--json')
    const hits = JSON.parse(search.stdout)
    expect(hits).toHaveLength(3)
    expect(hits[0]._source.title).toMatch(/roaring/i)

    const run = join(dir, '..', 'run.trec')
    const batch = await lsr('search', '--index', dir, '--queries', join(SAMPLE, 'queries.jsonl'), '--qids-from', join(SAMPLE, 'qrels/test.tsv'), '-k', '5', '--run', run)
    expect(batch.code).toBe(0)
    const lines = (await readFile(run, 'utf8')).trim().split('\n')
    expect(lines[0]).toMatch(/^\S+ Q0 \S+ 1 [\d.e+-]+ lsr$/)

    expect((await lsr('delete', 's01', 's02', 'nope', '--index', dir)).stdout).toBe('deleted 2 of 3 ids\n')
    expect((await lsr('stats', '--index', dir)).stdout).toMatch(/documents {4}28 \(2 deleted\)/)
    expect((await lsr('compact', '--index', dir)).stdout).toMatch(/^compacted \d+ terms: (\d+) -> (\d+) postings/)
    expect((await lsr('check', '--index', dir)).stdout).toBe('ok: 28 documents consistent\n')
    // Compaction dropped the deleted documents' postings: they take no space any more.
    expect((await lsr('stats', '--index', dir)).stdout).toMatch(/documents {4}28 \(0 deleted\)/)
  })

  it('indexes and searches with the neural encoder and the fixture model, offline', async () => {
    const dir = join(await tempDir(), 'neural')
    const model = join(SAMPLE, '..', 'test/fixtures/models/tiny-bert')
    const indexed = await lsr('index', SAMPLE, '--index', dir, '--encoder', 'neural', '--model', model, '--dtype', 'q8', '--batch-size', '4', '--threads', '1')
    expect(indexed.code).toBe(0)
    expect(indexed.stdout).toMatch(/^indexed 30 docs \(30 added/)
    const search = await lsr('search', 'learned sparse retrieval', '--index', dir, '-k', '3', '--json')
    expect(JSON.parse(search.stdout)).toHaveLength(3)
    const missing = await lsr('index', SAMPLE, '--index', join(dir, '..', 'x'), '--encoder', 'neural', '--model', join(dir, '..', 'no-model'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`lsr: model folder ${join(dir, '..', 'no-model')} does not exist (to fetch a Hugging Face hub model into index-data/models instead, give its org/name with --hub)\n`)
  })

  it('exits non-zero with one line on stderr for errors', async () => {
    const missing = await lsr('search', 'x', '--index', join(await tempDir(), 'none'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^lsr: no index at .*\n$/)
    const usage = await lsr('search', '--index', 'x')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toBe('lsr: give either a query or --queries <file>\n')
    const badK = await lsr('search', 'x', '--index', 'x', '-k', 'zero')
    expect(badK.code).toBe(2)
    expect(badK.stderr).toMatch(/-k must be a positive integer/)
  })

  it('survives SIGKILL mid-ingest: each document fully present or absent; a re-run completes it', async () => {
    const work = await tempDir()
    const corpus = join(work, 'corpus.jsonl')
    const total = 30000
    const lines = Array.from({ length: total }, (_, i) => JSON.stringify({ _id: `d${i}`, text: `document ${i} about topic ${i % 97} and subject ${i % 89}` }))
    await writeFile(corpus, lines.join('\n'))
    const dir = join(work, 'idx')
    const child = spawn(process.execPath, [LSR, 'index', corpus, '--index', dir, '--commit-every', '500'])
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
    // Kill once a few batches are in LevelDB's log, well before the end.
    for (;;) {
      const logs = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.log'))
      const sizes = await Promise.all(logs.map((f) => stat(join(dir, f)).then((s) => s.size, () => 0)))
      if (sizes.some((s) => s > 400_000)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const index = await SparseIndex.open(dir)
    const { documents } = await index.stats()
    expect(documents).toBeGreaterThan(0)
    expect(documents).toBeLessThan(total)
    expect(documents % 500).toBe(0)
    expect(await index.check()).toEqual([])
    expect(index.searchIds('topic 5').length).toBeGreaterThan(0)
    await index.close()

    // Resumed with worker threads: the documents they encode are found identical as well.
    const rerun = await lsr('index', corpus, '--index', dir, '--commit-every', '500', '--threads', '2')
    expect(rerun.stdout).toContain(`${documents} unchanged`)
    const done = await SparseIndex.open(dir)
    expect((await done.stats()).documents).toBe(total)
    expect(await done.check()).toEqual([])
    await done.close()
  })
})
