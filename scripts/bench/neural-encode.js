#!/usr/bin/env node
// Benchmark: neural document encoding speed with a random-weight model of distilbert-base size
// (6 layers, 768 dims, 12 heads, 3,072 FFN, 30,522-token bert-base-uncased vocabulary), on SciFact
// documents. For fp32 and q8 it reports docs/s of the whole encoder (tokenize, forward, pool,
// activation) and, for the same batches, the time inside onnxruntime's forward pass alone.
// The model is built once with Debian's python3-torch into index-data/models/ (about 260 MB).
// Run: npm run build && node scripts/bench/neural-encode.js [dataset] [--docs 256] [--threads 2] [--batch-size 8]
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createEncoder, resolveEncoderConfig, resolveCorpusFile } from '../../dist/index.js'
import { bertBaseVocab } from '../models/bert-base-tokenizer.js'
import { datasetFolder } from './datasets.js'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { docs: { type: 'string', default: '256' }, threads: { type: 'string', default: '2' }, 'batch-size': { type: 'string', default: '8' } },
})
const root = fileURLToPath(new URL('../..', import.meta.url))
const dataset = datasetFolder(positionals[0], { needs: ['corpus'] })
const modelDir = join(root, 'index-data', 'models', 'distilbert-base-random')

if (!existsSync(join(modelDir, 'onnx', 'model_quantized.onnx'))) {
  await mkdir(modelDir, { recursive: true })
  await writeFile(join(modelDir, 'vocab.txt'), `${bertBaseVocab().join('\n')}\n`)
  console.error('building the random distilbert-base-size model (once)...')
  execFileSync('/usr/bin/python3', [join(root, 'scripts/models/make_test_model.py'), '--arch', 'distilbert', '--vocab', join(modelDir, 'vocab.txt'),
    '--layers', '6', '--dim', '768', '--heads', '12', '--ffn', '3072', '--max-pos', '512', '--out', modelDir], { stdio: 'inherit' })
}

const lines = (await readFile(await resolveCorpusFile(dataset), 'utf8')).trim().split('\n').slice(0, Number(values.docs))
const docs = lines.map((line) => JSON.parse(line)).map((r) => ({ id: r._id, title: r.title ?? '', text: r.text ?? '', source: r }))

console.log(`model        ${modelDir} (random weights, distilbert-base size)`)
console.log(`data         ${docs.length} SciFact documents (title + text, truncated to 512 tokens), batch ${values['batch-size']}, ${values.threads} threads`)
console.log(`machine      ${process.platform} ${process.arch}, node ${process.version}`)
for (const dtype of ['fp32', 'q8']) {
  let forwardMs = 0
  const runtime = { threads: Number(values.threads), batchSize: Number(values['batch-size']), onForwardPass: (ms) => (forwardMs += ms) }
  const encoder = await createEncoder(await resolveEncoderConfig({ name: 'neural', model: modelDir, dtype }), runtime)
  await encoder.encodeDocuments(docs.slice(0, Number(values['batch-size'])))
  forwardMs = 0
  const started = performance.now()
  const vectors = await encoder.encodeDocuments(docs)
  const totalMs = performance.now() - started
  const terms = vectors.reduce((s, v) => s + v.terms.length, 0) / vectors.length
  console.log(`${dtype.padEnd(12)} ${(docs.length / (totalMs / 1000)).toFixed(2)} docs/s; total ${(totalMs / 1000).toFixed(1)} s, forward pass ${(forwardMs / 1000).toFixed(1)} s, ` +
    `total / forward ${(totalMs / forwardMs).toFixed(3)}; ${terms.toFixed(0)} terms per document`)
}
