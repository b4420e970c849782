import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readQrels } from '../../src/corpus/beir.js'
import { evaluateRun } from '../../src/eval/metrics.js'
import { readRunFile } from '../../src/eval/run-file.js'
import { tempDir } from '../helpers.js'
import { lsr, SAMPLE } from './lsr.js'

describe('lsr eval', () => {
  it('evaluates a dataset folder, writes report.json and run.trec, and the run re-scores to the same numbers', async () => {
    const out = join(await tempDir(), 'out')
    const result = await lsr('eval', SAMPLE, '--out', out)
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n')[0]).toMatch(/^dataset\s+docs\s+queries\s+nDCG@10\s+Recall@100/)
    expect(result.stdout).toMatch(/^sample\s+30\s+8\s+0\.\d{4}/m)

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
    expect(report).toMatchObject({ dataset: 'sample', split: 'test', counts: { documents: 30, queries: 8 }, settings: { depth: 1000, encoder: { name: 'bm25', k1: 0.9, b: 0.4 } } })
    expect(Object.keys(report.perQuery)).toHaveLength(8)
    const rescored = evaluateRun(await readRunFile(join(out, 'run.trec')), await readQrels(join(SAMPLE, 'qrels/test.tsv')))
    expect(rescored.mean).toEqual(report.metrics)
  })

  it('compares two reports with a paired randomization test', async () => {
    const dir = await tempDir()
    await lsr('eval', SAMPLE, '--out', join(dir, 'a'))
    await lsr('eval', SAMPLE, '--out', join(dir, 'b'), '--k1', '1.2', '--b', '0.75')
    const result = await lsr('eval', '--compare', join(dir, 'a'), join(dir, 'b', 'report.json'))
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/dataset\s+queries\s+nDCG@10 A\s+nDCG@10 B\s+B - A\s+p \(randomization\)/)
    expect(result.stdout).toMatch(/^sample\s+8\s+0\.\d{4}\s+0\.\d{4}\s+[+-]\d\.\d{4}\s+[01]\.\d{4}$/m)
  })

  it('evaluates with the neural encoder (fixture model), recording the model settings', async () => {
    const out = join(await tempDir(), 'out')
    const model = join(SAMPLE, '..', 'test/fixtures/models/tiny-distilbert')
    const result = await lsr('eval', SAMPLE, '--encoder', 'neural', '--model', model, '--threads', '1', '--out', out)
    expect(result.code).toBe(0)
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
    expect(report.settings.encoder).toMatchObject({ name: 'neural', dtype: 'fp32', activation: 'log1p_relu', idf: 'idf.json', modelFingerprint: expect.any(String) })
    expect(report.counts).toEqual({ documents: 30, queries: 8 })
    expect(report.metrics.ndcg_cut_10).toBeGreaterThan(0)
  })

  it('refuses to reuse an index built from another corpus', async () => {
    const dir = await tempDir()
    const other = join(dir, 'other.jsonl')
    await writeFile(other, '{"_id":"x","text":"other corpus"}\n')
    await lsr('index', other, '--index', join(dir, 'idx'))
    const result = await lsr('eval', SAMPLE, '--index', join(dir, 'idx'))
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/was not built from .*corpus\.jsonl: it lacks document s01/)
  })
})
