/**
 * `lsr eval --query-template` and `--tune` through the built CLI, on the synthetic dataset of
 * test/eval/hybrid-dataset.ts: one table of three runs over one index built with a mapping and
 * an ingest pipeline, their report and run files, the tuned fusion's output, and errors naming
 * the file or flag at fault.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRunFile } from '../../src/eval/run-file.js'
import { tempDir } from '../helpers.js'
import { MODELS, writeHybridDataset, type HybridDataset } from '../eval/hybrid-dataset.js'
import { lsr } from './lsr.js'

const templateFlags = (data: HybridDataset) => Object.entries(data.templates).flatMap(([name, file]) => ['--query-template', `${name}=${file}`])
const indexFlags = (data: HybridDataset) => ['--mapping', data.mapping, '--pipeline', data.pipeline, '--models', MODELS, '--threads', '1']

describe('lsr eval --query-template', () => {
  it('prints one table of the three runs, tested against the first, and writes a report and run file per run', async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const out = join(root, 'out')
    const result = await lsr('eval', data.dir, ...indexFlags(data), '--search-pipeline', data.searchPipeline, ...templateFlags(data), '--out', out)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^run\s+docs\s+queries\s+nDCG@10\s+Recall@100\s+MAP@100\s+MRR@10\s+index s\s+p50 ms\s+p99 ms\s+q\/s\s+vs bm25 nDCG@10\s+p \(randomization\)$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^bm25\s+48\s+8\s+0\.\d{4}\s.*\s-\s+-$/)
    expect(lines[2]).toMatch(/^neural\s+48\s+8\s+0\.\d{4}\s.*\s[+-]\d\.\d{4}\s+[01]\.\d{4}$/)
    expect(lines[3]).toMatch(/^hybrid\s+48\s+8\s+0\.\d{4}\s.*\s\+0\.0000\s+1\.0000$/)

    const report = JSON.parse(await readFile(join(out, 'hybrid', 'report.json'), 'utf8'))
    expect(report).toMatchObject({ dataset: 'tiny', run: 'hybrid', settings: { encoder: null, template: { file: data.templates.hybrid } } })
    // Weights [1, 0] with min_max + arithmetic_mean: the BM25 run's order, then what only the neural sub-query found, at 0.
    const bm25 = await readRunFile(join(out, 'bm25', 'run.trec'))
    const hybrid = await readRunFile(join(out, 'hybrid', 'run.trec'))
    expect([...hybrid.keys()]).toEqual([...bm25.keys()])
    for (const [qid, hits] of bm25) {
      const fused = hybrid.get(qid)!
      expect(fused.slice(0, hits.length).map((h) => h.docId)).toEqual(hits.map((h) => h.docId))
      expect(fused.slice(hits.length).every((h) => h.score === 0)).toBe(true)
    }
    expect((await readFile(join(out, 'neural', 'run.trec'), 'utf8')).split('\n')[0]).toMatch(/^q\d[ab] Q0 d\d+ 1 \S+ neural$/)
  })

  it('--tune prints the chosen pipeline, its train nDCG@10, the sweep time and the test table against the untuned pipeline', async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const out = join(root, 'out')
    const result = await lsr('eval', data.dir, ...indexFlags(data), '--search-pipeline', data.searchPipeline, '--query-template', `hybrid=${data.templates.hybrid}`, '--tune', '--depth', '20', '--out', out)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^hybrid: fusion tuned on tiny train \(8 queries\): 83 settings \(2 sub-queries, weights in steps of 0\.1\), swept in \d+\.\d\d s/)
    const tune = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8'))
    expect(result.stdout).toContain(`chosen: ${tune.best.label}: train nDCG@10 ${tune.best.trainNdcg10.toFixed(4)}`)
    expect(result.stdout).toContain(`search pipeline: ${JSON.stringify(tune.best.searchPipeline)}`)
    expect(tune.best.trainNdcg10).toBe(Math.max(...tune.candidates.map((c: { trainNdcg10: number }) => c.trainNdcg10)))
    expect(result.stdout).toMatch(/^hybrid-tuned\s+48\s+8\s+0\.\d{4}\s.*\s[+-]\d\.\d{4}\s+[01]\.\d{4}$/m)
    expect(JSON.parse(await readFile(join(out, 'hybrid-tuned', 'report.json'), 'utf8')).settings.template.searchPipeline).toEqual(tune.best.searchPipeline)
  })

  it('names the file or flag at fault', async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const plain = join(root, 'plain.json')
    await writeFile(plain, '{"match": {"text": "statins"}}')
    const run = (...args: string[]) => lsr('eval', data.dir, '--models', MODELS, ...args)

    const noPlaceholder = await run('--query-template', `plain=${plain}`)
    expect(noPlaceholder.code).toBe(1)
    expect(noPlaceholder.stderr).toContain(`${plain}: a query template needs the placeholder {{query}}`)
    const noPipeline = await run('--mapping', data.mapping, '--query-template', `hybrid=${data.templates.hybrid}`)
    expect(noPipeline.code).toBe(2)
    expect(noPipeline.stderr).toContain(`query template hybrid (${data.templates.hybrid}) is a hybrid query: it needs a search pipeline (--search-pipeline FILE)`)
    const badSearchPipeline = join(root, 'bad-search-pipeline.json')
    await writeFile(badSearchPipeline, '{"phase_results_processors": [{"normalization-processor": {"combination": {"technique": "max"}}}]}')
    const badPipeline = await run('--search-pipeline', badSearchPipeline, '--query-template', `hybrid=${data.templates.hybrid}`)
    expect(badPipeline.stderr).toContain(`${badSearchPipeline}: [phase_results_processors][0][normalization-processor][combination][technique]`)
    const badIngest = join(root, 'bad-pipeline.json')
    await writeFile(badIngest, '{"processors": [{"nope": {}}]}')
    expect((await run('--mapping', data.mapping, '--pipeline', badIngest, '--query-template', `bm25=${data.templates.bm25}`)).stderr).toContain(`${badIngest}: [processors][0][nope] No processor type exists`)
    expect((await run('--mapping', data.mapping)).stderr).toContain('--mapping applies to runs of query templates')
    expect((await run('--tune', ...templateFlags(data))).stderr).toContain('--tune takes one --query-template (a hybrid query), got 3')
  })
})
