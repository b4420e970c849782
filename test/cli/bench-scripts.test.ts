import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers.js'
import './lsr.js' // builds dist/, which the scripts import

function run(script: string, args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const failed = error as (Error & { code?: number; killed?: boolean }) | null
      resolve({ code: failed ? (failed.killed ? 'timeout' : (failed.code ?? 'signal')) : 0, stdout, stderr })
    })
  })
}

/** A copy of the repository's scripts/ beside links to its dist/ and node_modules/, with no ../shared next to it. */
async function repoWithoutShared(): Promise<string> {
  const repo = join(await tempDir(), 'lsr')
  await mkdir(repo)
  await cp(join(ROOT, 'scripts'), join(repo, 'scripts'), { recursive: true })
  await symlink(join(ROOT, 'dist'), join(repo, 'dist'))
  await symlink(join(ROOT, 'node_modules'), join(repo, 'node_modules'))
  await writeFile(join(repo, 'package.json'), '{"type":"module"}')
  return repo
}

const GET_SCIFACT = 'get SciFact with `npx lsr eval scifact` (downloads it into index-data/beir/scifact, where the benchmarks look next) or pass a BEIR dataset folder'
const DATASET_SCRIPTS = ['approximate.js', 'beir-bm25.js', 'compare-engines.js', 'http-load.js', 'neural-encode.js', 'reorder.js']

describe('benchmark scripts without their data', () => {
  it.each(DATASET_SCRIPTS)('%s without ../shared: one line naming what is missing and how to get it, exit 2', async (script) => {
    const repo = await repoWithoutShared()
    const result = await run(join(repo, 'scripts', 'bench', script), [])
    expect(result.stderr).toBe(`${script}: no dataset: neither ${join(repo, '..', 'shared', 'datasets', 'scifact')} nor ${join(repo, 'index-data', 'beir', 'scifact')} exists; ${GET_SCIFACT}\n`)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
  })

  it.each(DATASET_SCRIPTS)('%s with a dataset folder that does not exist or lacks a file: one line, exit 2', async (script) => {
    const dir = await tempDir()
    const missing = await run(join(ROOT, 'scripts', 'bench', script), [join(dir, 'nope')])
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: `${script}: no dataset folder ${join(dir, 'nope')}; ${GET_SCIFACT}\n` })
    await writeFile(join(dir, 'queries.jsonl'), '')
    const partial = await run(join(ROOT, 'scripts', 'bench', script), [dir])
    expect(partial).toMatchObject({ code: 2, stdout: '', stderr: `${script}: ${dir} has no corpus.jsonl or corpus.jsonl.gz; ${GET_SCIFACT} with one\n` })
  })

  it('auto-choice.js without ../shared names the IDF table and where to get it; without --index, its usage', async () => {
    const repo = await repoWithoutShared()
    const script = join(repo, 'scripts', 'bench', 'auto-choice.js')
    const noShared = await run(script, ['--index', repo])
    expect(noShared.code).toBe(2)
    expect(noShared.stderr).toBe(
      `auto-choice.js: no IDF table at ${join(repo, '..', 'shared', 'reference', 'opensearch-idf.json')}; get it as idf.json from the Hugging Face model opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill and pass it with --idf-table\n`,
    )
    const usage = await run(join(ROOT, 'scripts', 'bench', 'auto-choice.js'), [])
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: auto-choice\.js --index DIR .*\n$/) })
    const noIndex = await run(join(ROOT, 'scripts', 'bench', 'auto-choice.js'), ['--index', join(repo, 'none')])
    expect(noIndex).toMatchObject({ code: 2, stderr: `auto-choice.js: no index at ${join(repo, 'none')}; build one with node scripts/bench/synthetic.js --flavour learned --keep DIR, then pass DIR/learned\n` })
  })

  it('posting-bytes.js on a folder that is not an index: one line, exit 2, nothing created', async () => {
    const dir = join(await tempDir(), 'none')
    const result = await run(join(ROOT, 'scripts', 'bench', 'posting-bytes.js'), [dir])
    expect(result).toMatchObject({ code: 2, stderr: `posting-bytes.js: no lsr index at ${dir}; pass the folder of a closed index (e.g. one kept by synthetic.js --keep DIR)\n` })
    expect(existsSync(dir)).toBe(false)
  })
})

it('hybrid.js at 300 documents and 5 queries: exits 0, prints its latency table and the verified fusion check', async () => {
  const result = await run(join(ROOT, 'scripts', 'bench', 'hybrid.js'), ['--docs', '300', '--queries', '5'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toContain('| query | top-10 p50 | top-10 p99 | depth 100 p50 | depth 100 p99 |')
  expect(result.stdout).toMatch(/\| hybrid min_max 0\.3\/0\.7 \| [\d.]+ \|/)
  expect(result.stdout).toContain('checked: 5 queries equal of 5')
})

it('aggs.js at 300 documents: exits 0, prints both tables and its checks of the terms strategies', async () => {
  const result = await run(join(ROOT, 'scripts', 'bench', 'aggs.js'), ['--docs', '300', '--repeats', '3'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/\| terms brand bitmaps \| [\d.]+ \|/)
  expect(result.stdout).toContain('checked: 18 checks passed')
})
