/**
 * `lsr index <input> --index <dir>`: streams a corpus into a new or existing index.
 * @module
 */
import type { Command } from 'commander'
import { resolveCorpusFile } from '../../corpus/beir.js'
import { ingestCorpus } from '../../engine/ingest.js'
import { SparseIndex } from '../../engine/sparse-index.js'
import { addEncoderOptions, encoderRuntime, requestedEncoder, type EncoderFlags } from '../encoder-options.js'
import { formatBytes, parsePositiveInt } from '../format.js'
import { ingestProgressBar } from '../progress.js'

interface IndexFlags extends EncoderFlags {
  index: string
  idField: string
  titleField: string
  textField: string
  commitEvery?: number
  skipInvalid?: boolean
}

export function registerIndexCommand(program: Command): void {
  const command = program
    .command('index')
    .description('index a BEIR corpus.jsonl(.gz), a BEIR dataset folder, or any JSONL; adds to/replaces in an existing index')
    .argument('<input>', 'corpus file or BEIR dataset folder')
    .requiredOption('--index <dir>', 'index directory (created if missing)')
  addEncoderOptions(command)
    .option('--id-field <name>', 'record field holding the document id', '_id')
    .option('--title-field <name>', 'record field holding the title', 'title')
    .option('--text-field <name>', 'record field holding the text', 'text')
    .option('--commit-every <n>', 'documents per atomic write; an interrupted ingest resumes after the last one (default 1000; 64 for neural)', parsePositiveInt('--commit-every'))
    .option('--skip-invalid', 'skip and count malformed lines instead of stopping')
    .action(async (input: string, flags: IndexFlags) => {
      // Check the flags and the input before the index is opened (or created): a typo must not leave an empty index behind.
      const encoder = requestedEncoder(flags)
      const file = await resolveCorpusFile(input)
      const index = await SparseIndex.open(flags.index, { create: true, encoder, runtime: encoderRuntime(flags) })
      const progress = ingestProgressBar()
      try {
        const result = await ingestCorpus(index, file, {
          fields: { id: flags.idField, title: flags.titleField, text: flags.textField },
          batchSize: flags.commitEvery,
          skipInvalid: flags.skipInvalid,
          onProgress: progress.onProgress,
        })
        progress.stop()
        const stats = await index.stats()
        const rate = Math.round(result.read / Math.max(result.seconds, 1e-9))
        console.log(
          `indexed ${result.read} docs (${result.added} added, ${result.replaced} replaced, ${result.unchanged} unchanged, ` +
            `${result.skipped} skipped) in ${result.seconds.toFixed(1)} s (${rate} docs/s); ` +
            `index: ${stats.documents} docs, ${stats.terms} terms, ${stats.postings} postings, ${formatBytes(stats.sizeOnDiskBytes)}`,
        )
      } finally {
        progress.stop()
        await index.close()
      }
    })
}
