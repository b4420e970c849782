import { cp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkModelFolder } from '../../src/encode/neural/model-folder.js'
import { createNeuralEncoder, neuralConfig } from '../../src/encode/neural/neural-encoder.js'
import { parsePruning, prune } from '../../src/encode/neural/pooling.js'
import { decodeWeight, encodeWeight, WEIGHT_RELATIVE_ERROR } from '../../src/storage/weight-codec.js'
import { ROOT, tempDir } from '../helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')

interface Golden {
  activation: string
  window_stride: number
  docs: Array<{ text: string; tokens: string[]; weights: Record<string, number>; window_weights: Record<string, number> }>
}

async function encoderFor(model: string, dtype: 'fp32' | 'q8' = 'fp32', batchSize = 4) {
  return createNeuralEncoder(await neuralConfig({ model: join(MODELS, model), dtype }), { batchSize, threads: 1 }) as Promise<
    Awaited<ReturnType<typeof createNeuralEncoder>> & { encodeTexts(texts: string[]): Promise<Array<{ terms: string[]; values: number[] }>> }
  >
}

const asMap = (v: { terms: string[]; values: number[] }) => new Map(v.terms.map((t, i) => [t, v.values[i]]))

describe('neural document encoding against torch goldens', () => {
  for (const model of ['tiny-distilbert', 'tiny-bert']) {
    it(`${model}: vectors equal the goldens within 1e-4 (fp32; padded batches and single documents)`, async () => {
      const golden = JSON.parse(await readFile(join(MODELS, model, 'goldens.json'), 'utf8')) as Golden
      for (const batchSize of [1, 4]) {
        const encoder = await encoderFor(model, 'fp32', batchSize)
        expect(encoder.config.activation).toBe(golden.activation)
        const vectors = await encoder.encodeTexts(golden.docs.map((d) => d.text))
        golden.docs.forEach((d, i) => {
          const got = asMap(vectors[i])
          expect([...got.keys()].sort()).toEqual(Object.keys(d.weights).sort())
          for (const [token, weight] of Object.entries(d.weights)) expect(Math.abs(got.get(token)! - weight)).toBeLessThan(1e-4)
        })
      }
    })
  }

  it('encodes long documents as max-pooled overlapping windows when asked (goldens computed the same way in torch)', async () => {
    for (const model of ['tiny-distilbert', 'tiny-bert']) {
      const golden = JSON.parse(await readFile(join(MODELS, model, 'goldens.json'), 'utf8')) as Golden
      const encoder = (await createNeuralEncoder(await neuralConfig({ model: join(MODELS, model), windowStride: golden.window_stride }), { batchSize: 3, threads: 1 })) as Awaited<ReturnType<typeof encoderFor>>
      expect(encoder.config).toMatchObject({ windowStride: 32, maxLength: 64 })
      const vectors = await encoder.encodeTexts(golden.docs.map((d) => d.text))
      golden.docs.forEach((d, i) => {
        const got = asMap(vectors[i])
        expect([...got.keys()].sort()).toEqual(Object.keys(d.window_weights).sort())
        for (const [token, weight] of Object.entries(d.window_weights)) expect(Math.abs(got.get(token)! - weight)).toBeLessThan(1e-4)
      })
      // the long document differs from its truncated encoding; the short ones do not
      expect(golden.docs[4].window_weights).not.toEqual(golden.docs[4].weights)
      expect(golden.docs[0].window_weights).toEqual(golden.docs[0].weights)
    }
    await expect(neuralConfig({ model: join(MODELS, 'tiny-bert'), windowStride: 63 })).rejects.toThrow('windowStride must be an integer in [1, maxLength - 2 = 62], got 63')
  })

  it('keeps [SEP] when truncating, as Hugging Face tokenizers do (the long golden is cut to 64 tokens)', async () => {
    const golden = JSON.parse(await readFile(join(MODELS, 'tiny-distilbert', 'goldens.json'), 'utf8')) as Golden
    expect(golden.docs[4].tokens).toHaveLength(64)
    expect(golden.docs[4].tokens.at(-1)).toBe('[SEP]')
  })

  it('the q8 model runs and stays close to fp32', async () => {
    const golden = JSON.parse(await readFile(join(MODELS, 'tiny-distilbert', 'goldens.json'), 'utf8')) as Golden
    const fp32 = await (await encoderFor('tiny-distilbert', 'fp32')).encodeTexts(golden.docs.map((d) => d.text))
    const q8encoder = await encoderFor('tiny-distilbert', 'q8')
    expect(q8encoder.config).toMatchObject({ dtype: 'q8' })
    const q8 = await q8encoder.encodeTexts(golden.docs.map((d) => d.text))
    q8.forEach((vector, i) => {
      const reference = asMap(fp32[i])
      const got = asMap(vector)
      let diff = 0
      let norm = 0
      for (const [token, weight] of reference) {
        diff += (weight - (got.get(token) ?? 0)) ** 2
        norm += weight ** 2
      }
      expect(Math.sqrt(diff / norm)).toBeLessThan(0.1)
    })
  })
})

describe('model folders', () => {
  it('names the missing file of an incomplete folder', async () => {
    const dir = join(await tempDir(), 'model')
    await cp(join(MODELS, 'tiny-distilbert'), dir, { recursive: true })
    await rm(join(dir, 'onnx', 'model_quantized.onnx'))
    await expect(neuralConfig({ model: dir, dtype: 'q8' })).rejects.toThrow(`model folder ${dir} is incomplete: onnx/model_quantized.onnx is missing`)
    await rm(join(dir, 'tokenizer.json'))
    await expect(checkModelFolder(dir)).rejects.toThrow(`model folder ${dir} is incomplete: tokenizer.json is missing`)
    await expect(neuralConfig({ model: join(dir, 'nope') })).rejects.toThrow(/does not exist/)
  })

  it('reads the activation, maximum length and IDF source from the folder', async () => {
    expect(await neuralConfig({ model: join(MODELS, 'tiny-bert') })).toMatchObject({ activation: 'log1p_log1p_relu', maxLength: 64, idf: 'idf.json', pruning: { method: 'none' } })
    expect(await neuralConfig({ model: join(MODELS, 'tiny-distilbert'), pruning: 'max_ratio:0.1', maxLength: 32 })).toMatchObject({ activation: 'log1p_relu', maxLength: 32, pruning: { method: 'max_ratio', ratio: 0.1 } })
  })
})

describe('pruning', () => {
  const vector = { ids: Uint32Array.from([1, 2, 3, 4, 5]), weights: Float32Array.from([4, 0.3, 2, 1, 0.5]) }
  const kept = (spec: string) => Array.from(prune(vector, parsePruning(spec)).ids)
  it('max_ratio, top_k, abs_value, alpha_mass and none keep what OpenSearch keeps', () => {
    expect(kept('max_ratio:0.25')).toEqual([1, 3, 4])
    expect(kept('top_k:2')).toEqual([1, 3])
    expect(kept('abs_value:0.5')).toEqual([1, 3, 4, 5])
    // the largest weights while their running sum stays within 80% of the mass (PruneUtils.pruneByAlphaMass):
    // 4 <= 6.24, 4 + 2 = 6 <= 6.24, 6 + 1 = 7 > 6.24
    expect(kept('alpha_mass:0.8')).toEqual([1, 3])
    expect(kept('alpha_mass:0.9')).toEqual([1, 3, 4]) // 7 <= 7.02, 7.5 > 7.02
    expect(kept('none')).toEqual([1, 2, 3, 4, 5])
    expect(() => parsePruning('max_ratio:2')).toThrow(/needs a value in \[0, 1\]/)
    expect(() => parsePruning('bogus:1')).toThrow(/unknown method/)
  })
})

describe('stored weight quantization', () => {
  it(`decodes every weight within a relative error of 2^-9 and keeps order`, () => {
    fc.assert(fc.property(fc.float({ min: Math.fround(1e-6), max: Math.fround(1e4), noNaN: true }), fc.float({ min: Math.fround(1e-6), max: Math.fround(1e4), noNaN: true }), (a, b) => {
      expect(Math.abs(decodeWeight(encodeWeight(a)) - a) / a).toBeLessThanOrEqual(WEIGHT_RELATIVE_ERROR)
      if (a <= b) expect(encodeWeight(a)).toBeLessThanOrEqual(encodeWeight(b))
    }), { numRuns: 5000 })
    expect(encodeWeight(0)).toBe(0)
    expect(encodeWeight(1)).toBe(0x7f00)
  })
})
