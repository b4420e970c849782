import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readQrels, readQueries } from '../../src/corpus/beir.js'
import { evaluateDataset } from '../../src/eval/evaluate.js'
import { ingestCorpus } from '../../src/engine/ingest.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { ROOT, tempDir } from '../helpers.js'

// The development data beside the repository; absent on a fresh machine, where these tests skip.
const SCIFACT = join(ROOT, '..', 'shared', 'datasets', 'scifact')

describe.skipIf(!existsSync(SCIFACT))('SciFact (BEIR test split, bm25 flat)', () => {
  it('matches the golden numbers (lsr: nDCG@10 0.6777, R@100 0.9253, R@1000 0.9767; Anserini flat: 0.6789 / 0.9253 / 0.9767, the nDCG gap explained in the README)', async () => {
    const { report } = await evaluateDataset('scifact', SCIFACT)
    expect(report.counts).toEqual({ documents: 5183, queries: 300 })
    expect(report.metrics.ndcg_cut_10.toFixed(4)).toBe('0.6777')
    expect(report.metrics.recall_100.toFixed(4)).toBe('0.9253')
    expect(report.metrics.recall_1000.toFixed(4)).toBe('0.9767')
  })

  it('auto, maxscore, blockmax and exhaustive give identical top-100 runs', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await ingestCorpus(index, SCIFACT)
    const qrels = await readQrels(join(SCIFACT, 'qrels/test.tsv'))
    for (const query of (await readQueries(join(SCIFACT, 'queries.jsonl'))).filter((q) => qrels.has(q.id))) {
      const exhaustive = index.searchIds(query.text, { k: 100, algorithm: 'exhaustive' })
      expect(index.searchIds(query.text, { k: 100, algorithm: 'maxscore' })).toEqual(exhaustive)
      expect(index.searchIds(query.text, { k: 100, algorithm: 'blockmax' })).toEqual(exhaustive)
      expect(index.searchIds(query.text, { k: 100 })).toEqual(exhaustive)
    }
    await index.close()
  })
})
