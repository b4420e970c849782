/**
 * `lsr index <input> --index <dir>`: streams a corpus into a new or existing index. A new index
 * gets the bm25 encoder of title + text (Anserini's settings) and dynamic mapping for every other
 * field; with `--mapping FILE`, the fields the file declares and, unless `--encoder` says
 * otherwise, no encoder (title and text are then mapped fields too, as over HTTP). With
 * `--pipeline FILE`, an ingest pipeline runs over the records first (see engine/pipelines/pipeline-corpus.ts).
 * @module
 */
import type { Command } from 'commander'
import { resolveCorpusFile } from '../../corpus/beir.js'
import type { EncoderConfig } from '../../encode/encoder.js'
import type { EncoderRuntime } from '../../encode/registry.js'
import { ingestCorpus, ingestThreadsFrom } from '../../engine/ingest.js'
import { SparseIndex } from '../../engine/sparse-index.js'
import { LsrError } from '../../errors.js'
import type { StoredSchema } from '../../storage/format.js'
import { addEncoderOptions, encoderRuntime, requestedEncoder, type EncoderFlags } from '../encoder-options.js'
import { formatBytes, parsePositiveInt } from '../format.js'
import { applyToExisting, checkNewSchema, readMappingFile } from '../mapping-file.js'
import { readPipelineFile, runPipelineOverCorpus } from '../../engine/pipelines/pipeline-corpus.js'
import { ingestProgressBar } from '../progress.js'

interface IndexFlags extends EncoderFlags {
  index: string
  idField: string
  titleField: string
  textField: string
  commitEvery?: number
  skipInvalid?: boolean
  mapping?: string
  pipeline?: string
  models?: string
}

/** Records per pipeline run when --commit-every does not say. */
const PIPELINE_BATCH = 64

export function registerIndexCommand(program: Command): void {
  const command = program
    .command('index')
    .description('index a BEIR corpus.jsonl(.gz), a BEIR dataset folder, or any JSONL; adds to/replaces in an existing index')
    .argument('<input>', 'corpus file or BEIR dataset folder')
    .requiredOption('--index <dir>', 'index directory (created if missing)')
  addEncoderOptions(command, { allowNone: true })
    .option('--mapping <file>', 'JSON file: Elasticsearch mappings, or {"mappings", "settings": {"analysis", "index": {"similarity"}}}; on an existing index, adds its new fields')
    .option('--id-field <name>', 'record field holding the document id', '_id')
    .option('--title-field <name>', 'record field holding the title', 'title')
    .option('--text-field <name>', 'record field holding the text', 'text')
    .option('--commit-every <n>', 'documents per atomic write; an interrupted ingest resumes after the last one (default: as many as 256 MiB of memory holds, about 90,000 short texts; 64 for neural)', parsePositiveInt('--commit-every'))
    .option('--skip-invalid', 'skip and count malformed lines and refused documents instead of stopping')
    .option('--pipeline <file>', 'JSON file: an ingest pipeline (the body of PUT _ingest/pipeline/{id}) run over the records before indexing')
    .option('--models <dir>', 'with --pipeline: folder of the models its sparse_encoding model_ids name (default index-data/models)')
    .action(async (input: string, flags: IndexFlags) => {
      // Check the flags and the input before the index is opened (or created): a typo must not leave an empty index behind.
      const encoder = requestedEncoder(flags)
      const schema = flags.mapping === undefined ? undefined : await readMappingFile(flags.mapping)
      if (flags.models !== undefined && flags.pipeline === undefined) throw new LsrError('invalid_argument', '--models applies to --pipeline')
      const pipeline = flags.pipeline === undefined ? undefined : await readPipelineFile(flags.pipeline, flags.models ?? 'index-data/models', encoderRuntime(flags))
      const corpus = await resolveCorpusFile(input)
      // The pipeline runs before the index is opened: a record it fails leaves nothing behind.
      const pipelined = pipeline && (await runPipelineOverCorpus(corpus, pipeline, { batchSize: flags.commitEvery ?? PIPELINE_BATCH, idField: flags.idField, skipInvalid: flags.skipInvalid }))
      const file = pipelined?.file ?? corpus
      const index = await openIndex(flags.index, { encoder, runtime: encoderRuntime(flags), schema, mappingFile: flags.mapping }).catch(async (error: unknown) => {
        await pipelined?.remove()
        throw error
      })
      const progress = ingestProgressBar()
      try {
        if (pipelined) console.log(`pipeline: ${pipelined.processed} records processed, ${pipelined.skipped} skipped`)
        const result = await ingestCorpus(index, file, {
          fields: { id: flags.idField, title: flags.titleField, text: flags.textField },
          batchSize: flags.commitEvery,
          skipInvalid: flags.skipInvalid,
          threads: ingestThreadsFrom(index, flags.threads),
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
        await pipelined?.remove()
      }
    })
}

interface IndexSettings {
  encoder: EncoderConfig | null | undefined
  runtime: EncoderRuntime
  schema: StoredSchema | undefined
  mappingFile: string | undefined
}

/**
 * Opens the index, or creates it (after checking the mapping file: a bad one leaves nothing behind).
 * An existing index keeps its encoder unless one is asked for (which must then be its own), and
 * takes the mapping file's new fields.
 */
async function openIndex(dir: string, { encoder, runtime, schema, mappingFile }: IndexSettings): Promise<SparseIndex> {
  const existing = await SparseIndex.open(dir, { encoder, runtime }).catch((error: unknown) => {
    if (error instanceof LsrError && error.code === 'not_found') return undefined
    throw error
  })
  if (existing) {
    if (!schema) return existing
    try {
      await applyToExisting(mappingFile!, schema, existing)
    } catch (error) {
      await existing.close()
      throw error
    }
    return existing
  }
  // A mapping describes the documents' fields as over HTTP: no encoder unless one is asked for.
  const newEncoder = encoder === undefined && schema ? null : encoder
  if (schema) checkNewSchema(mappingFile!, schema, newEncoder === null ? undefined : (newEncoder?.name ?? 'bm25'))
  return SparseIndex.open(dir, { create: true, encoder: newEncoder, runtime, schema })
}
