import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { IngestPipeline } from '../../src/engine/pipelines/ingest-pipeline.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { ROOT, tempDir } from '../helpers.js'
import { lsr, SAMPLE } from './lsr.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const PIPELINE = {
  processors: [
    { sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'embedding' }, prune_type: 'top_k', prune_ratio: 8 } },
    { lowercase: { field: 'title' } },
  ],
}
const MAPPING = { properties: { title: { type: 'text' }, text: { type: 'text' }, embedding: { type: 'rank_features' } } }

describe('lsr index --pipeline', () => {
  it('runs the pipeline over the corpus in batches before indexing: the stored sources are its output', async () => {
    const work = await tempDir()
    await writeFile(join(work, 'pipeline.json'), JSON.stringify(PIPELINE))
    await writeFile(join(work, 'mapping.json'), JSON.stringify(MAPPING))
    const dir = join(work, 'idx')
    const indexed = await lsr('index', SAMPLE, '--index', dir, '--mapping', join(work, 'mapping.json'), '--pipeline', join(work, 'pipeline.json'), '--models', MODELS, '--commit-every', '7', '--threads', '1')
    expect(indexed.stderr).toBe('')
    expect(indexed.stdout).toMatch(/^pipeline: 30 records processed, 0 skipped\nindexed 30 docs \(30 added/)
    const first = JSON.parse((await readFile(join(SAMPLE, 'corpus.jsonl'), 'utf8')).split('\n')[0])
    const models = new ModelRegistry(MODELS, { threads: 1 })
    const [expected] = await (await IngestPipeline.create(PIPELINE, models)).run([first], models)
    const index = await SparseIndex.open(dir)
    try {
      const stored = await index.get(first._id)
      expect(stored).toEqual(expected.source)
      expect(Object.keys(stored!.embedding as object)).toHaveLength(8)
      expect(stored!.title).toBe(String(first.title).toLowerCase())
    } finally {
      await index.close()
    }
  })

  it('a record the pipeline fails stops the run with file:line before any index exists; a bad pipeline file names itself', async () => {
    const work = await tempDir()
    await writeFile(join(work, 'pipeline.json'), JSON.stringify(PIPELINE))
    await writeFile(join(work, 'corpus.jsonl'), [{ _id: 'a', title: 'A', text: 'fine' }, { _id: 'b', title: 'B', text: 42 }].map((r) => JSON.stringify(r)).join('\n'))
    const dir = join(work, 'idx')
    const failed = await lsr('index', join(work, 'corpus.jsonl'), '--index', dir, '--pipeline', join(work, 'pipeline.json'), '--models', MODELS)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toBe(`lsr: ${join(work, 'corpus.jsonl')}:2: the pipeline failed: map type field [text] is neither string nor nested type, cannot process it\n`)
    await expect(stat(dir)).rejects.toThrow()
    const skipped = await lsr('index', join(work, 'corpus.jsonl'), '--index', dir, '--pipeline', join(work, 'pipeline.json'), '--models', MODELS, '--skip-invalid', '--encoder', 'none')
    expect(skipped.stdout).toMatch(/^pipeline: 1 records processed, 1 skipped\nindexed 1 docs/)

    await writeFile(join(work, 'bad.json'), JSON.stringify({ processors: [{ sparse_encoding: { model_id: 'nope', field_map: { text: 'e' } } }] }))
    const bad = await lsr('index', join(work, 'corpus.jsonl'), '--index', join(work, 'other'), '--pipeline', join(work, 'bad.json'), '--models', MODELS)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(`lsr: ${join(work, 'bad.json')}: model [nope] is unknown: no such folder in the models folder\n`)
    expect((await lsr('index', SAMPLE, '--index', join(work, 'other'), '--models', MODELS)).stderr).toBe('lsr: --models applies to --pipeline\n')
  })
})
