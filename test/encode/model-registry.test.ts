import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createNeuralEncoder, neuralConfig } from '../../src/encode/neural/neural-encoder.js'
import { ModelRegistry, UnknownModelError } from '../../src/encode/neural/model-registry.js'
import { LsrError } from '../../src/errors.js'
import { ROOT, tempDir } from '../helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
// One registry for the file: each model loads once.
const models = new ModelRegistry(MODELS, { threads: 1, batchSize: 4 })
const TEXTS = ['Roaring bitmaps compress sorted sets of integers.', 'x', 'Learned sparse retrieval expands documents with terms.']

/** The error a promise rejects with. */
const rejection = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a rejection') }, (error: unknown) => error as LsrError)

describe('ModelRegistry', () => {
  it('lists the folders of the models folder by name, with what each can do', async () => {
    expect(await models.list()).toEqual([
      { id: 'tiny-bert', algorithm: 'SPARSE_ENCODING', idf: 'idf.json', dtypes: ['fp32', 'q8'], modelType: 'bert' },
      { id: 'tiny-distilbert', algorithm: 'SPARSE_ENCODING', idf: 'idf.json', dtypes: ['fp32', 'q8'], modelType: 'distilbert' },
    ])
    expect(await new ModelRegistry(undefined).list()).toEqual([])
  })

  it('loads a model once for concurrent callers; loaded() has it afterwards', async () => {
    const fresh = new ModelRegistry(MODELS, { threads: 1 })
    expect(fresh.loaded('tiny-distilbert')).toBeUndefined()
    const [a, b] = await Promise.all([fresh.model('tiny-distilbert'), fresh.model('tiny-distilbert')])
    expect(a).toBe(b)
    expect(fresh.loaded('tiny-distilbert')).toBe(a)
    expect(a).toMatchObject({ id: 'tiny-distilbert', idf: 'idf.json' })
  })

  it('encodes unpruned vectors and queries as the neural encoder of the same folder does', async () => {
    const model = await models.model('tiny-bert')
    const encoder = (await createNeuralEncoder(await neuralConfig({ model: join(MODELS, 'tiny-bert') }), { threads: 1, batchSize: 4 })) as Awaited<ReturnType<typeof createNeuralEncoder>> & {
      encodeTexts(texts: string[]): Promise<unknown[]>
    }
    expect(await model.encodeTexts(TEXTS)).toEqual(await encoder.encodeTexts(TEXTS))
    expect(model.encodeQuery('sparse retrieval')).toEqual(encoder.encodeQuery('sparse retrieval'))
    expect(model.wordTerms('bitmaps')).toEqual(encoder.wordTerms('bitmaps'))
  })

  it('never takes a path for a model id; unknown ids and a missing models folder name the model', async () => {
    for (const id of ['../tiny-bert', '/etc', 'a/../../b', '..', '.hidden', 'a/b/c', 'a\\b', '']) {
      const error = await rejection(models.model(id))
      expect(error, id).toBeInstanceOf(LsrError)
      expect(error.code, id).toBe('invalid_argument')
      expect(error.message, id).toMatch(/is not a model id/)
    }
    const unknown = await rejection(models.model('no-such-model'))
    expect(unknown).toBeInstanceOf(UnknownModelError)
    expect(unknown.message).toBe('model [no-such-model] is unknown: no such folder in the models folder')
    expect((await rejection(new ModelRegistry(undefined).model('tiny-bert'))).message).toMatch(/model \[tiny-bert\] is unknown: this server has no models folder/)
    await expect(models.info('nope')).rejects.toThrow(UnknownModelError)
  })

  it('an incomplete folder is an error naming the model, not the folder; once completed, it loads', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'half'))
    await writeFile(join(dir, 'half', 'config.json'), '{}')
    const registry = new ModelRegistry(dir, { threads: 1 })
    const missingTokenizer = await rejection(registry.model('half'))
    expect(missingTokenizer.message).toBe('model [half] is unknown: its folder holds no tokenizer.json')
    await cp(join(MODELS, 'tiny-bert', 'tokenizer.json'), join(dir, 'half', 'tokenizer.json'))
    const incomplete = await rejection(registry.model('half'))
    expect(incomplete.code).toBe('invalid_argument')
    expect(incomplete.message).toBe('model folder half is incomplete: tokenizer_config.json is missing')
    expect(incomplete.message).not.toContain(dir)
    // A failed load is not remembered.
    await rm(join(dir, 'half'), { recursive: true })
    await cp(join(MODELS, 'tiny-bert'), join(dir, 'half'), { recursive: true })
    expect((await registry.model('half')).id).toBe('half')
  })

  it('a tokenizer without an ONNX model (org/name) encodes queries, and refuses documents by name', async () => {
    const dir = await tempDir()
    await cp(join(MODELS, 'tiny-bert'), join(dir, 'org', 'tokenizer'), { recursive: true })
    await rm(join(dir, 'org', 'tokenizer', 'onnx'), { recursive: true })
    const registry = new ModelRegistry(dir)
    expect(await registry.list()).toEqual([{ id: 'org/tokenizer', algorithm: 'SPARSE_TOKENIZE', idf: 'idf.json', dtypes: [], modelType: 'bert' }])
    const model = await registry.model('org/tokenizer')
    expect(model.encodeQuery('sparse retrieval')).toEqual((await models.model('tiny-bert')).encodeQuery('sparse retrieval'))
    const refused = await rejection(model.encodeTexts(['a document']))
    expect(refused.message).toBe('model [org/tokenizer] is a tokenizer (SPARSE_TOKENIZE): it has no ONNX model to encode documents with')
  })
})
