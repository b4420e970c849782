import { cp, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { IngestPipeline } from '../../src/engine/pipelines/ingest-pipeline.js'
import { ROOT, tempDir } from '../helpers.js'
import { portServer, send, testApp } from './helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
// One registry for the file: each model loads once, whichever app uses it.
const models = new ModelRegistry(MODELS, { threads: 1 })
const app = (dataDir?: string) => testApp({ modelsDir: MODELS, models }, dataDir)
const ndjson = { 'content-type': 'application/x-ndjson' }
const bulkBody = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n'

const ENCODE = { description: 'text to embedding', processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'embedding' }, prune_type: 'max_ratio', prune_ratio: 0.1 } }] }
const SPARSE_INDEX = { mappings: { properties: { text: { type: 'text' }, embedding: { type: 'rank_features' } } } }
/** The embedding the ENCODE pipeline gives a text, computed by the engine directly. */
const embeddingOf = async (text: string) => (await (await IngestPipeline.create(ENCODE, models)).run([{ text }], models))[0].source!.embedding
const docCount = async (call: Awaited<ReturnType<typeof app>>['call'], index: string) => (await call('GET', `/${index}/_count`)).body.count

describe('ingest pipeline CRUD', () => {
  it('puts, gets (ids, lists, patterns), deletes, and keeps pipelines across a restart in <data>/_ingest_pipelines.json', async () => {
    const dataDir = await tempDir()
    const { call, registry } = await app(dataDir)
    expect(await call('GET', '/_ingest/pipeline')).toMatchObject({ status: 404, body: {} })
    expect((await call('PUT', '/_ingest/pipeline/encode', ENCODE)).body).toEqual({ acknowledged: true })
    const lower = { processors: [{ lowercase: { field: 'title' } }], version: 2 }
    expect((await call('PUT', '/_ingest/pipeline/lower-title', lower)).status).toBe(200)
    expect((await call('PUT', '/products', {})).status).toBe(200)
    expect((await call('GET', '/_ingest/pipeline/encode')).body).toEqual({ encode: ENCODE })
    expect((await call('GET', '/_ingest/pipeline')).body).toEqual({ encode: ENCODE, 'lower-title': lower })
    expect(Object.keys((await call('GET', '/_ingest/pipeline/encode,lower-title')).body)).toEqual(['encode', 'lower-title'])
    expect(Object.keys((await call('GET', '/_ingest/pipeline/lower*')).body)).toEqual(['lower-title'])
    expect(await call('GET', '/_ingest/pipeline/nope')).toMatchObject({ status: 404, body: {} })
    expect((await call('DELETE', '/_ingest/pipeline/lower-title')).body).toEqual({ acknowledged: true })
    const missing = await call('DELETE', '/_ingest/pipeline/lower-title')
    expect(missing).toMatchObject({ status: 404, body: { error: { type: 'resource_not_found_exception', reason: 'pipeline [lower-title] is missing' } } })

    // A restart (a new registry and app over the same data directory) reads them back.
    await registry.closeAll()
    const restarted = await app(dataDir)
    expect((await restarted.call('GET', '/_ingest/pipeline')).body).toEqual({ encode: ENCODE })
    expect(await restarted.registry.names()).toEqual(['products'])
    expect(JSON.parse(await readFile(join(dataDir, '_ingest_pipelines.json'), 'utf8'))).toEqual({ encode: ENCODE })
    expect((await readdir(dataDir)).filter((name) => name.includes('.tmp-'))).toEqual([])
    await restarted.registry.closeAll()
  })

  it('refuses an unknown processor, option or model, and a model named by a path, with a 400: nothing is stored', async () => {
    const { call } = await app()
    const sparse = (options: Record<string, unknown>) => ({ processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'e' }, ...options } }] })
    const cases: Array<[unknown, RegExp]> = [
      [{ processors: [{ script: { source: 'ctx.x = 1' } }] }, /\[processors\]\[0\]\[script\] No processor type exists with name \[script\]/],
      [sparse({ prune_type: 'max_ratio', prune_ratio: 0.1, prune: 1 }), /\[processors\]\[0\]\[sparse_encoding\]\[prune\] is not an option/],
      [sparse({ model_id: 'no-such-model' }), /model \[no-such-model\] is unknown/],
      [sparse({ model_id: '../x' }), /\[model_id\] a model id names a folder/],
      [sparse({ model_id: '/etc' }), /\[model_id\] a model id names a folder/],
      [sparse({ model_id: 'a/../../b' }), /\[model_id\] a model id names a folder/],
      [sparse({ model_id: '..' }), /\[model_id\] a model id names a folder/],
      [{ processors: [], on_failure: [{ set: { field: 'x', value: 1 } }] }, /\[on_failure\] is not supported/],
    ]
    for (const [definition, reason] of cases) {
      const response = await call('PUT', '/_ingest/pipeline/bad', definition)
      expect(response.status, JSON.stringify(definition)).toBe(400)
      expect(response.body.error.reason, JSON.stringify(definition)).toMatch(reason)
      expect(JSON.stringify(response.body)).not.toContain(MODELS)
    }
    for (const id of ['_bad', 'a,b', 'a*']) expect((await call('PUT', `/_ingest/pipeline/${encodeURIComponent(id)}`, ENCODE)).status, id).toBe(400)
    expect((await call('GET', '/_ingest/pipeline')).status).toBe(404)
    // Without a models folder, every model is unknown.
    const noModels = await testApp()
    const response = await noModels.call('PUT', '/_ingest/pipeline/bad', ENCODE)
    expect(response.body.error.reason).toMatch(/model \[tiny-bert\] is unknown: this server has no models folder/)
  })
})

describe('_simulate', () => {
  it('runs an inline or a stored pipeline over docs without writing; a failing document is an error item', async () => {
    const { call, registry } = await app()
    const docs = [{ _index: 'i', _id: '1', _source: { text: 'sparse retrieval' } }, { _source: { text: 7 } }]
    const inline = await call('POST', '/_ingest/pipeline/_simulate', { pipeline: ENCODE, docs })
    expect(inline.status).toBe(200)
    expect(inline.body.docs[0].doc).toMatchObject({ _index: 'i', _id: '1', _source: { text: 'sparse retrieval', embedding: await embeddingOf('sparse retrieval') } })
    expect(Date.parse(inline.body.docs[0].doc._ingest.timestamp)).not.toBeNaN()
    expect(inline.body.docs[1]).toEqual({ error: {
      root_cause: [{ type: 'illegal_argument_exception', reason: 'map type field [text] is neither string nor nested type, cannot process it' }],
      type: 'illegal_argument_exception',
      reason: 'map type field [text] is neither string nor nested type, cannot process it',
    } })
    await call('PUT', '/_ingest/pipeline/encode', ENCODE)
    const stored = await call('POST', '/_ingest/pipeline/encode/_simulate', { docs })
    expect(stored.body.docs[0].doc._source).toEqual(inline.body.docs[0].doc._source)
    expect(stored.body.docs[1].doc).toBeUndefined()
    expect((await call('POST', '/_ingest/pipeline/encode/_simulate?verbose=true', { docs })).body.error.reason).toMatch(/unrecognized parameter: \[verbose\]/)
    expect((await call('POST', '/_ingest/pipeline/encode/_simulate', { docs: [] })).body.error.reason).toBe('must specify at least one document in [docs]')
    expect((await call('POST', '/_ingest/pipeline/encode/_simulate', { pipeline: ENCODE, docs })).status).toBe(400)
    expect((await call('POST', '/_ingest/pipeline/nope/_simulate', { docs })).status).toBe(404)
    expect(await registry.names()).toEqual([])
  })

  it('takes GET with a body over a real port, as Elasticsearch clients send it', async () => {
    const { url, close } = await portServer({ modelsDir: MODELS, models })
    try {
      const response = await send(`${url}/_ingest/pipeline/_simulate`, 'GET', { pipeline: ENCODE, docs: [{ _source: { text: 'over the wire' } }] })
      expect(response.body.docs[0].doc).toMatchObject({ _index: '_index', _id: '_id', _source: { embedding: await embeddingOf('over the wire') } })
    } finally {
      await close()
    }
  })
})

describe('pipelines on writes', () => {
  it('?pipeline= on _doc (PUT, POST, _create, POST without id) encodes the text; an unknown pipeline is a 400 and nothing is written', async () => {
    const { call } = await app()
    await call('PUT', '/_ingest/pipeline/encode', ENCODE)
    await call('PUT', '/docs', SPARSE_INDEX)
    expect((await call('PUT', '/docs/_doc/1?pipeline=encode', { text: 'posting lists' })).status).toBe(201)
    expect((await call('POST', '/docs/_doc/2?pipeline=encode', { text: 'roaring bitmaps' })).status).toBe(201)
    expect((await call('PUT', '/docs/_create/3?pipeline=encode', { text: 'learned sparse' })).status).toBe(201)
    const generated = await call('POST', '/docs/_doc?pipeline=encode', { text: 'no id' })
    expect(generated.status).toBe(201)
    for (const [id, text] of [['1', 'posting lists'], ['2', 'roaring bitmaps'], ['3', 'learned sparse'], [generated.body._id, 'no id']]) {
      expect((await call('GET', `/docs/_doc/${id}`)).body._source).toEqual({ text, embedding: await embeddingOf(text) })
    }
    const unknown = await call('PUT', '/docs/_doc/4?pipeline=nope', { text: 'never written' })
    expect(unknown).toMatchObject({ status: 400, body: { error: { type: 'illegal_argument_exception', reason: 'pipeline with id [nope] does not exist' } } })
    const failing = await call('PUT', '/docs/_doc/5?pipeline=encode', { text: ['ok', null] })
    expect(failing).toMatchObject({ status: 400, body: { error: { reason: 'list type field [text] has null, cannot process it' } } })
    expect(await docCount(call, 'docs')).toBe(4)
  })

  it('index.default_pipeline then index.final_pipeline run on each write; ?pipeline= replaces the default, _none skips it', async () => {
    const { call } = await app()
    await call('PUT', '/_ingest/pipeline/tag-default', { processors: [{ set: { field: 'steps', value: 'default' } }] })
    await call('PUT', '/_ingest/pipeline/tag-request', { processors: [{ set: { field: 'steps', value: 'request' } }] })
    await call('PUT', '/_ingest/pipeline/tag-final', { processors: [{ set: { field: 'steps', value: '{{{steps}}}+final' } }] })
    const created = await call('PUT', '/tagged', { settings: { index: { default_pipeline: 'tag-default' }, 'index.final_pipeline': 'tag-final' } })
    expect(created.status).toBe(200)
    expect((await call('GET', '/tagged/_settings')).body.tagged.settings.index).toMatchObject({ default_pipeline: 'tag-default', final_pipeline: 'tag-final' })
    expect((await call('GET', '/tagged')).body.tagged.settings.index).toMatchObject({ default_pipeline: 'tag-default', final_pipeline: 'tag-final' })
    await call('PUT', '/tagged/_doc/1', { n: 1 })
    await call('PUT', '/tagged/_doc/2?pipeline=tag-request', { n: 2 })
    await call('PUT', '/tagged/_doc/3?pipeline=_none', { n: 3 })
    await call('POST', '/tagged/_bulk', bulkBody([{ index: { _id: '4' } }, { n: 4 }, { index: { _id: '5', pipeline: 'tag-request' } }, { n: 5 }]), ndjson)
    await call('POST', '/tagged/_bulk?pipeline=_none', bulkBody([{ create: { _id: '6' } }, { n: 6 }]), ndjson)
    const steps = async (id: string) => (await call('GET', `/tagged/_doc/${id}`)).body._source.steps
    expect([await steps('1'), await steps('2'), await steps('3'), await steps('4'), await steps('5'), await steps('6')])
      .toEqual(['default+final', 'request+final', '+final', 'default+final', 'request+final', '+final'])
    // Settings spelled as Elasticsearch takes them; a bad name is a 400 naming the setting.
    expect((await call('PUT', '/flat', { settings: { 'index.default_pipeline': 'tag-default' } })).status).toBe(200)
    expect((await call('PUT', '/plain', { settings: { final_pipeline: '_none' } })).status).toBe(200)
    const bad = await call('PUT', '/bad', { settings: { index: { default_pipeline: 'a/b' } } })
    expect(bad.body.error.reason).toMatch(/^\[settings\.index\.default_pipeline\] must not contain/)
  })

  it('a default pipeline that does not exist fails the index\'s writes (400, nothing written)', async () => {
    const { call } = await app()
    expect((await call('PUT', '/orphan', { settings: { index: { default_pipeline: 'later' } } })).status).toBe(200)
    const single = await call('PUT', '/orphan/_doc/1', { n: 1 })
    expect(single).toMatchObject({ status: 400, body: { error: { reason: 'pipeline with id [later] does not exist' } } })
    const bulk = await call('POST', '/_bulk', bulkBody([{ index: { _index: 'orphan', _id: '2' } }, { n: 2 }]), ndjson)
    expect(bulk.body.items[0].index).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception', reason: 'pipeline with id [later] does not exist' } })
    expect(await docCount(call, 'orphan')).toBe(0)
    await call('PUT', '/_ingest/pipeline/later', { processors: [] })
    expect((await call('PUT', '/orphan/_doc/1', { n: 1 })).status).toBe(201)
  })

  it('_bulk runs the pipeline over its documents together; a failing document is its item\'s 400, the others are indexed', async () => {
    const { call } = await app()
    await call('PUT', '/_ingest/pipeline/encode', ENCODE)
    await call('PUT', '/docs', SPARSE_INDEX)
    const texts = ['sparse vectors of documents', 'an inverted index', 'bitmaps']
    const lines = [
      { index: { _id: 'a' } }, { text: texts[0] },
      { index: { _id: 'bad' } }, { text: 42 },
      { create: { _id: 'b' } }, { text: texts[1] },
      { index: { _id: 'c', pipeline: '_none' } }, { text: texts[2] },
      { index: { _id: 'd', pipeline: 'nope' } }, { text: 'x' },
      { delete: { _id: 'zz', pipeline: 'encode' } },
    ]
    const response = await call('POST', '/docs/_bulk?pipeline=encode', bulkBody(lines), ndjson)
    expect(response.status).toBe(200)
    const items = response.body.items.map((item: Record<string, { status: number; error?: { reason: string } }>) => Object.values(item)[0])
    expect(items.map((item: { status: number }) => item.status)).toEqual([201, 400, 201, 201, 400, 400])
    expect(items[1].error).toEqual({ type: 'illegal_argument_exception', reason: 'map type field [text] is neither string nor nested type, cannot process it' })
    expect(items[4].error.reason).toBe('pipeline with id [nope] does not exist')
    expect(items[5].error.reason).toMatch(/\[delete\] option \[pipeline\] is not supported/)
    expect((await call('GET', '/docs/_doc/a')).body._source).toEqual({ text: texts[0], embedding: await embeddingOf(texts[0]) })
    expect((await call('GET', '/docs/_doc/b')).body._source).toEqual({ text: texts[1], embedding: await embeddingOf(texts[1]) })
    expect((await call('GET', '/docs/_doc/c')).body._source).toEqual({ text: texts[2] })
    expect(await docCount(call, 'docs')).toBe(3)
    // An unknown pipeline in the URL fails the whole request before anything is written.
    const unknown = await call('POST', '/docs/_bulk?pipeline=nope', bulkBody([{ index: { _id: 'e' } }, { text: 'never' }]), ndjson)
    expect(unknown).toMatchObject({ status: 400, body: { error: { reason: 'pipeline with id [nope] does not exist' } } })
    expect(await docCount(call, 'docs')).toBe(3)
  })
})

describe('_plugins/_ml/models', () => {
  it('lists the models folder as deployed models, by name, never by path', async () => {
    const { call } = await app()
    const model = await call('GET', '/_plugins/_ml/models/tiny-bert')
    expect(model.body).toEqual({
      model_id: 'tiny-bert', name: 'tiny-bert', algorithm: 'SPARSE_ENCODING', model_state: 'DEPLOYED', model_format: 'ONNX',
      model_config: { model_type: 'bert' }, lsr: { idf: 'idf.json', dtypes: ['fp32', 'q8'] },
    })
    const search = await call('POST', '/_plugins/_ml/models/_search', { query: { match_all: {} }, size: 10 })
    expect(search.body.hits.total.value).toBe(2)
    expect(search.body.hits.hits.map((hit: { _id: string }) => hit._id)).toEqual(['tiny-bert', 'tiny-distilbert'])
    expect((await call('GET', '/_plugins/_ml/models/_search')).body.hits.hits).toHaveLength(2)
    expect((await call('POST', '/_plugins/_ml/models/_search', { query: { term: { algorithm: 'x' } } })).status).toBe(400)
    expect(await call('GET', '/_plugins/_ml/models/nope')).toMatchObject({ status: 404, body: { error: { reason: 'Failed to find model [nope]' } } })
    for (const id of ['..%2Fmodels', '%2Fetc', 'a%2F..%2F..%2Fb']) {
      const response = await call('GET', `/_plugins/_ml/models/${id}`)
      expect(response.status, id).toBe(400)
      expect(JSON.stringify(response.body)).not.toContain(MODELS)
    }
  })

  it('a folder with a tokenizer and no ONNX model is SPARSE_TOKENIZE, and no pipeline may encode with it', async () => {
    const modelsDir = await tempDir()
    await cp(join(MODELS, 'tiny-bert'), join(modelsDir, 'org', 'tokenizer-only'), { recursive: true })
    await rm(join(modelsDir, 'org', 'tokenizer-only', 'onnx'), { recursive: true })
    const { call } = await testApp({ modelsDir })
    const model = await call('GET', '/_plugins/_ml/models/org%2Ftokenizer-only')
    expect(model.body).toMatchObject({ model_id: 'org/tokenizer-only', algorithm: 'SPARSE_TOKENIZE', lsr: { dtypes: [] } })
    const response = await call('PUT', '/_ingest/pipeline/p', { processors: [{ sparse_encoding: { model_id: 'org/tokenizer-only', field_map: { text: 'e' } } }] })
    expect(response.body.error.reason).toMatch(/model \[org\/tokenizer-only\] is a tokenizer \(SPARSE_TOKENIZE\)/)
    expect(JSON.stringify(response.body)).not.toContain(modelsDir)
  })
})
