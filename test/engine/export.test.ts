/**
 * The export of an index to OpenSearch/Elasticsearch (src/engine/export), as a library: the
 * creation body and pipeline bodies against the shapes the engines document (written out here,
 * each with the page it follows), the documents in doc id order from one snapshot whatever is
 * written meanwhile, a neural encoder's vectors decoded from their 16-bit codes, and the files of
 * an export to a folder. The cluster end (bulk loading, resuming, searching the copy) is tested in
 * test/cli/export.test.ts.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEncoder, resolveEncoderConfig } from '../../src/encode/registry.js'
import { exportIndex, type IndexExport } from '../../src/engine/export/export-index.js'
import { writeExport } from '../../src/engine/export/export-files.js'
import { shortestFloat32 } from '../../src/engine/export/documents.js'
import { exportPipelines, readPipelineDefinitions } from '../../src/engine/export/pipelines.js'
import { ingestCorpus } from '../../src/engine/ingest.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { decodeWeight, encodeWeight, WEIGHT_RELATIVE_ERROR } from '../../src/storage/weight-codec.js'
import { doc, ROOT, tempDir } from '../helpers.js'

const SAMPLE = join(ROOT, 'sample')
const TINY_DISTILBERT = join(ROOT, 'test/fixtures/models/tiny-distilbert')

async function all(exported: IndexExport) {
  const docs = []
  for await (const d of exported.documents) docs.push(d)
  return docs
}

const NO_PIPELINES = { pipelineDefinitions: { ingest: {}, search: {} } }

describe('the index creation body', () => {
  it('a bm25 encoder index: title and text with the english analyzer and a BM25 similarity of the encoder\'s k1 and b', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'bm25', k1: 1.1, b: 0.6 } })
    await index.add([doc('a', 'some text', 'a title')])
    const { body, documents } = await exportIndex(index, NO_PIPELINES)
    await documents.return()
    // Elasticsearch, "Similarity module" (https://elastic.co/guide/en/elasticsearch/reference/8.8/index-modules-similarity.html):
    // a similarity is declared in settings.index.similarity by name with its type and options (BM25: k1, b)
    // and named by a text field's `similarity`. The `english` analyzer is Elasticsearch's and OpenSearch's
    // built-in language analyzer (https://www.elastic.co/guide/en/elasticsearch/reference/current/analysis-lang-analyzer.html).
    expect(body).toEqual({
      settings: { index: { similarity: { lsr_bm25: { type: 'BM25', k1: 1.1, b: 0.6 } } } },
      mappings: {
        properties: {
          title: { type: 'text', analyzer: 'english', similarity: 'lsr_bm25' },
          text: { type: 'text', analyzer: 'english', similarity: 'lsr_bm25' },
        },
      },
    })
    await index.close()
  })

  it('a mapped index: fields, analysis and similarities as stored, sparse_vector as rank_features', async () => {
    const schema = {
      mappings: {
        dynamic: 'strict',
        properties: {
          name: { type: 'text', analyzer: 'folded', similarity: 'short', fields: { raw: { type: 'keyword' } } },
          tag: { type: 'keyword' },
          price: { type: 'float' },
          added: { type: 'date' },
          emb: { type: 'rank_features' },
          emb2: { type: 'sparse_vector' },
          meta: { properties: { stock: { type: 'integer' } } },
        },
      },
      analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
      similarity: { short: { type: 'BM25', k1: 1, b: 0.3 } },
    }
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: null, schema })
    const { body, documents } = await exportIndex(index, NO_PIPELINES)
    await documents.return()
    // OpenSearch, "Neural sparse search using raw vectors" (https://docs.opensearch.org/docs/vector-search/ai-search/neural-sparse-with-raw-vectors):
    // the vector field is `{"type": "rank_features"}`; Elasticsearch, "Rank features field type"
    // (https://elastic.co/docs/reference/elasticsearch/mapping-reference/rank-features): the same type.
    // Custom analyzers go in settings.analysis.analyzer (type custom, tokenizer, filter), similarities in settings.index.similarity.
    expect(body).toEqual({
      settings: {
        index: { similarity: { short: { type: 'BM25', k1: 1, b: 0.3 } } },
        analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
      },
      mappings: {
        dynamic: 'strict',
        properties: {
          name: expect.objectContaining({ type: 'text', analyzer: 'folded', similarity: 'short', fields: { raw: { type: 'keyword' } } }),
          tag: { type: 'keyword' },
          price: { type: 'float' },
          added: { type: 'date' },
          emb: { type: 'rank_features' },
          emb2: { type: 'rank_features' },
          meta: { properties: { stock: { type: 'integer' } } },
        },
      },
    })
    await index.close()
  })

  it('a neural encoder index: title and text as text, the vectors as the rank_features field text_embedding', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'neural', model: TINY_DISTILBERT }, runtime: { threads: 1 } })
    const { body, documents } = await exportIndex(index, NO_PIPELINES)
    await documents.return()
    expect(body).toEqual({ mappings: { properties: { title: { type: 'text' }, text: { type: 'text' }, text_embedding: { type: 'rank_features' } } } })
    await index.close()
  })

  it('refuses an index whose mapping already has the field the encoder needs on the cluster', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'neural', model: TINY_DISTILBERT }, schema: { mappings: { properties: { text_embedding: { type: 'keyword' } } } }, runtime: { threads: 1 } })
    await expect(exportIndex(index, NO_PIPELINES)).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('[text_embedding]') })
    await index.close()
  })
})

describe('the pipelines', () => {
  // OpenSearch, "Configuring ingest pipelines for neural sparse search" (https://docs.opensearch.org/2.16/search-plugins/neural-sparse-with-pipelines):
  // PUT /_ingest/pipeline/{id} {"description", "processors": [{"sparse_encoding": {"model_id", "field_map": {source: target}}}]}.
  const INGEST = { description: 'An sparse encoding ingest pipeline', processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: 'passage_embedding' } } }] }
  // OpenSearch, "Creating a search pipeline" (https://docs.opensearch.org/3.5/search-plugins/search-pipelines/creating-search-pipeline/) and the
  // normalization processor: PUT /_search/pipeline/{id} {"phase_results_processors": [{"normalization-processor": {"normalization", "combination"}}]}.
  const SEARCH = { description: 'Post processor for hybrid search', phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } } } }] }

  it('the bodies of the pipelines the index names, and the settings naming them for after the load', () => {
    const exported = exportPipelines({ default: 'enc', search: 'hyb', final: 'gone' }, { ingest: { enc: INGEST, other: { processors: [] } }, search: { hyb: SEARCH } })
    expect(exported).toEqual({
      ingest: { enc: INGEST },
      search: { hyb: SEARCH },
      // Elasticsearch/OpenSearch dynamic index settings index.default_pipeline, index.final_pipeline and
      // OpenSearch's index.search.default_pipeline (PUT /{index}/_settings {"index": {...}}).
      settings: { index: { default_pipeline: 'enc', final_pipeline: 'gone', 'search.default_pipeline': 'hyb' } },
      missing: ['ingest pipeline [gone]'],
    })
    expect(exportPipelines(undefined, { ingest: { enc: INGEST }, search: {} })).toEqual({ ingest: {}, search: {} })
    expect(exportPipelines({ default: '_none' }, { ingest: {}, search: {} })).toEqual({ ingest: {}, search: {} })
  })

  it('reads the definitions from a server\'s data directory (none when its files are absent)', async () => {
    const dir = await tempDir()
    expect(await readPipelineDefinitions(dir)).toEqual({ ingest: {}, search: {} })
    await writeFile(join(dir, '_ingest_pipelines.json'), JSON.stringify({ enc: INGEST }))
    await writeFile(join(dir, '_search_pipelines.json'), JSON.stringify({ hyb: SEARCH }))
    expect(await readPipelineDefinitions(dir)).toEqual({ ingest: { enc: INGEST }, search: { hyb: SEARCH } })
    await writeFile(join(dir, '_search_pipelines.json'), '[')
    await expect(readPipelineDefinitions(dir)).rejects.toThrow('_search_pipelines.json: not a pipeline file')
  })
})

describe('the documents', () => {
  it('come in doc id order without _id, as of the export\'s moment, whatever is written meanwhile', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add(Array.from({ length: 20 }, (_, i) => doc(`d${i}`, `text number ${i}`)))
    await index.delete(['d3'])
    await index.add([doc('d5', 'replaced text')])
    const exported = await exportIndex(index, { ...NO_PIPELINES, batchSize: 3 })
    // Written after the export began: invisible to it.
    await index.add([doc('late', 'a later document'), doc('d7', 'changed later')])
    await index.delete(['d0', 'd1'])
    const docs = await all(exported)
    expect(exported.count).toBe(19)
    expect(docs.map((d) => d.id)).toEqual([...Array.from({ length: 20 }, (_, i) => `d${i}`).filter((id) => id !== 'd3' && id !== 'd5'), 'd5'])
    expect(docs.find((d) => d.id === 'd7')!.source).toEqual({ text: 'text number 7' })
    expect(docs.find((d) => d.id === 'd5')!.source).toEqual({ text: 'replaced text' })
    expect(docs.every((d, i) => i === 0 || d.docId > docs[i - 1].docId)).toBe(true)
    // A resumed export starts after a doc id, and the fingerprint tells the states apart.
    const again = await exportIndex(index, { ...NO_PIPELINES, afterDocId: docs[4].docId })
    expect((await all(again))[0].id).toBe('d8') // d7 was replaced since: a later doc id
    expect(again.fingerprint).not.toBe(exported.fingerprint)
    await index.close()
  })

  it('a reorder changes the fingerprint, since it renumbers the documents a resumed export skips by doc id', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add(Array.from({ length: 20 }, (_, i) => doc(`d${i}`, i % 2 ? 'odd words here' : 'even terms there')))
    const before = await exportIndex(index, NO_PIPELINES)
    await before.documents.return()
    await index.compact({ reorder: true })
    const after = await exportIndex(index, NO_PIPELINES)
    await after.documents.return()
    expect(after.count).toBe(before.count)
    expect(after.fingerprint).not.toBe(before.fingerprint)
    await index.close()
  })

  it('an export left unread releases its snapshot on return(), so the index closes', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await index.add([doc('a', 'one'), doc('b', 'two')])
    const exported = await exportIndex(index, NO_PIPELINES)
    await exported.documents.return()
    await index.close()
  })

  it('a neural encoder\'s vectors: decoded from their codes, within 2^-9 of the model\'s floats, as the shortest decimals of their float32 values', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true, encoder: { name: 'neural', model: TINY_DISTILBERT }, runtime: { batchSize: 8, threads: 1 } })
    await ingestCorpus(index, SAMPLE)
    const encoder = await createEncoder(await resolveEncoderConfig({ name: 'neural', model: TINY_DISTILBERT }))
    const corpus = (await readFile(join(SAMPLE, 'corpus.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
    const floats = await encoder.encodeDocuments(corpus.map((d) => doc(d._id, d.text, d.title)))
    const docs = await all(await exportIndex(index, NO_PIPELINES))
    expect(docs.map((d) => d.id)).toEqual(corpus.map((d) => d._id))
    docs.forEach((exported, i) => {
      const { text_embedding: vector, ...rest } = exported.source as { text_embedding: Record<string, number> }
      expect(rest).toEqual({ title: corpus[i].title, text: corpus[i].text })
      const float = floats[i]
      expect(Object.keys(vector).sort()).toEqual(float.terms.filter((_, j) => encodeWeight(float.values[j]) > 0).sort())
      float.terms.forEach((term, j) => {
        const weight = float.values[j]
        if (encodeWeight(weight) === 0) return
        expect(Math.fround(vector[term])).toBe(decodeWeight(encodeWeight(weight)))
        expect(Math.abs(vector[term] - weight)).toBeLessThanOrEqual(WEIGHT_RELATIVE_ERROR * weight)
      })
    })
    await index.close()
  })

  it('shortestFloat32 gives the shortest decimal that reads back as the same float32', () => {
    for (const weight of [0.1, 1.2345678, 3.0e-5, 123.456, 2 ** -20, 7]) {
      const code = decodeWeight(encodeWeight(weight))
      const short = shortestFloat32(code)
      expect(Math.fround(short)).toBe(code)
      expect(String(short).replace(/^0\.0*|\.|e.*$/g, '').length).toBeLessThanOrEqual(String(code).replace(/^0\.0*|\.|e.*$/g, '').length)
    }
    expect(shortestFloat32(decodeWeight(encodeWeight(0.1)))).toBe(0.100097656)
    expect(decodeWeight(encodeWeight(0.1))).toBe(0.10009765625)
  })
})

describe('an export written to a folder', () => {
  it('index.json, pipelines.json and the documents as _bulk NDJSON, in one file or in chunks; a folder with files is refused', async () => {
    const index = await SparseIndex.open(await tempDir(), { create: true })
    await ingestCorpus(index, SAMPLE)
    const folder = join(await tempDir(), 'out')
    const one = await writeExport(await exportIndex(index, NO_PIPELINES), folder, { name: 'sample' })
    expect(one).toMatchObject({ documents: 30, files: ['documents.ndjson'] })
    expect((await readdir(folder)).sort()).toEqual(['documents.ndjson', 'index.json', 'pipelines.json'])
    const again = await exportIndex(index, NO_PIPELINES)
    await again.documents.return()
    expect(JSON.parse(await readFile(join(folder, 'index.json'), 'utf8'))).toEqual(again.body)
    expect(JSON.parse(await readFile(join(folder, 'pipelines.json'), 'utf8'))).toEqual({ ingest: {}, search: {} })
    const lines = (await readFile(join(folder, 'documents.ndjson'), 'utf8')).split('\n')
    expect(lines.length).toBe(61)
    expect(lines.at(-1)).toBe('')
    // Elasticsearch, "Bulk API" (https://www.Elastic.co/guide/en/elasticsearch/reference/7.8/docs-bulk.html): an
    // action_and_meta_data line {"index": {"_index", "_id"}}, then the source, each ending with a newline.
    expect(JSON.parse(lines[0])).toEqual({ index: { _index: 'sample', _id: 's01' } })
    expect(JSON.parse(lines[1])).toEqual({ title: 'Roaring bitmaps', text: expect.stringContaining('Roaring bitmaps compress') })
    expect(one.bytes).toBe(Buffer.byteLength(lines.join('\n')))

    const chunked = join(await tempDir(), 'chunked')
    const several = await writeExport(await exportIndex(index, NO_PIPELINES), chunked, { name: 'sample', chunkDocuments: 8 })
    expect(several.files).toEqual(['documents-000001.ndjson', 'documents-000002.ndjson', 'documents-000003.ndjson', 'documents-000004.ndjson'])
    const parts = await Promise.all(several.files.map((file) => readFile(join(chunked, file), 'utf8')))
    expect(parts.map((part) => part.split('\n').length - 1)).toEqual([16, 16, 16, 12])
    expect(parts.join('')).toBe(lines.join('\n'))

    await expect(writeExport(await exportIndex(index, NO_PIPELINES), folder, { name: 'sample' })).rejects.toThrow(`${folder} is not empty`)
    await index.close()
  })
})
