#!/usr/bin/env node
// Benchmark: ingest of pre-encoded learned-sparse documents, the path a GPU-encoded corpus takes
// (`lsr index --encoder vectors`: each record's `vector` field, {token: weight}, is indexed as given).
// Writes N documents as a JSONL corpus of { _id, vector } records (synthetic.js's learned flavour:
// 100-250 distinct tokens each, drawn with MS MARCO document frequencies from OpenSearch's IDF table
// when ../shared/reference/opensearch-idf.json exists, else Zipf; weights written with 5 significant
// digits, as an encoding job would print float32s), then times ingestCorpus(index, file, { threads })
// into a new `vectors` index, with the final compaction timed apart. Issue 15's target: 1,000,000
// documents in ≤ 120 s (≥ 8,333 docs/s); with another N the rate is compared with that one.
// Run: npm run build && node scripts/bench/ingest-vectors.js [--docs 1000000] [--threads 1] [--df-from file|zipf]
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex, ingestCorpus } from '../../dist/index.js'
import { IDF_TABLE } from './datasets.js'
import { mulberry32 } from './sampling.js'
import { learnedDocs, learnedSampler, lineWriter } from './synthetic-corpus.js'

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '1000000' },
    threads: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
    'df-from': { type: 'string', default: IDF_TABLE },
  },
})
const N = Number(values.docs)
const TARGET_DOCS = 1_000_000
const TARGET_SECONDS = 120

const work = await mkdtemp(join(tmpdir(), 'lsr-ingest-vectors-'))
try {
  const corpus = join(work, 'corpus.jsonl')
  const writer = lineWriter(corpus)
  const df = new Uint32Array(30_522)
  const round = (vector) => Object.fromEntries(Object.entries(vector).map(([token, weight]) => [token, Number(weight.toPrecision(5))]))
  for (const doc of learnedDocs(N, mulberry32(Number(values.seed)), df, values['df-from'])) await writer.write(JSON.stringify({ _id: doc.id, vector: round(doc.source.vector) }))
  await writer.close()
  console.log(`${N.toLocaleString('en')} pre-encoded documents (${learnedSampler(() => 0.5, values['df-from']).source}), ${((await stat(corpus)).size / 2 ** 20).toFixed(0)} MiB of JSONL; ` +
    `${process.platform} ${process.arch}, node ${process.version}`)

  const index = await SparseIndex.open(join(work, 'index'), { create: true, encoder: { name: 'vectors' } })
  const started = performance.now()
  const { read } = await ingestCorpus(index, corpus, { compact: false, threads: Number(values.threads) })
  const compactStarted = performance.now()
  await index.compact()
  const seconds = (performance.now() - started) / 1000
  const compactSeconds = (performance.now() - compactStarted) / 1000
  const { sizeOnDiskBytes, postings } = await index.stats()
  await index.close()

  const rate = read / seconds
  console.log(`ingest with ${values.threads} thread(s): ${seconds.toFixed(1)} s (${rate.toFixed(0)} docs/s), of which compaction ${compactSeconds.toFixed(1)} s (${((100 * compactSeconds) / seconds).toFixed(0)} %); ` +
    `${postings.toLocaleString('en')} postings, ${(sizeOnDiskBytes / 2 ** 20).toFixed(0)} MiB on disk`)
  if (N === TARGET_DOCS) console.log(`1M pre-encoded learned vectors in ${seconds.toFixed(1)} s (target ≤ ${TARGET_SECONDS} s)`)
  else console.log(`${rate.toFixed(0)} docs/s against the ${(TARGET_DOCS / TARGET_SECONDS).toFixed(0)} docs/s that 1M in ≤ ${TARGET_SECONDS} s needs = ${(rate / (TARGET_DOCS / TARGET_SECONDS)).toFixed(2)} (target ≥ 1.00; run at 1M for the target itself)`)
} finally {
  await rm(work, { recursive: true, force: true })
}
