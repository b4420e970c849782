/**
 * `lsr export`: an index as what an OpenSearch or Elasticsearch cluster needs to rebuild it
 * (src/engine/export), written to a folder (`--out`) or loaded into a cluster (`--to`,
 * src/cli/cluster-load.ts).
 * @module
 */
import { basename, resolve } from 'node:path'
import type { Command } from 'commander'
import { LsrError } from '../../errors.js'
import { exportIndex } from '../../engine/export/export-index.js'
import { writeExport } from '../../engine/export/export-files.js'
import { SparseIndex } from '../../engine/sparse-index.js'
import { loadIntoCluster, shownUrl } from '../cluster-load.js'
import { exportProgressBar } from '../export-progress.js'
import { formatBytes, parsePositiveInt } from '../format.js'

interface ExportFlags {
  index: string
  out?: string
  to?: string
  name?: string
  apiKey?: string
  user?: string
  chunkDocs?: number
  batchBytes?: number
  concurrency?: number
  checkpoint?: string
  checkpointDocs?: number
  pipelines: boolean
}

const usage = (message: string) => new LsrError('invalid_argument', message)

/** Elasticsearch's index name rules: lowercase, not `.`/`..`, no leading `-_+`, none of `\/*?"<>| ,#:`, at most 255 bytes. */
function nameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'must not be empty, "." or ".."'
  if (name !== name.toLowerCase()) return 'must be lowercase'
  if (/^[-_+]/.test(name)) return 'must not start with "-", "_" or "+"'
  if (/[\\/*?"<>| ,#:]/.test(name)) return 'must not contain \\, /, *, ?, ", <, >, |, space, ",", "#" or ":"'
  if (Buffer.byteLength(name) > 255) return 'must be at most 255 bytes'
  return undefined
}

/** The flags checked together: one destination, credentials only for a cluster, a valid name. */
function checkFlags(flags: ExportFlags): { name: string; username?: string; password?: string } {
  if ((flags.out === undefined) === (flags.to === undefined)) throw usage('give one of --out <folder> and --to <url>')
  if (flags.out !== undefined) {
    for (const flag of ['apiKey', 'user', 'batchBytes', 'concurrency', 'checkpoint', 'checkpointDocs'] as const) {
      if (flags[flag] !== undefined) throw usage(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --to, not --out`)
    }
  } else if (flags.chunkDocs !== undefined) throw usage('--chunk-docs goes with --out, not --to')
  if (flags.to !== undefined) {
    let url: URL
    try {
      url = new URL(flags.to)
    } catch {
      throw usage(`--to must be an http(s) URL, got "${flags.to}"`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--to must be an http(s) URL, got "${flags.to}"`)
  }
  if (flags.apiKey !== undefined && flags.user !== undefined) throw usage('give one of --api-key and --user')
  let username: string | undefined
  let password: string | undefined
  if (flags.user !== undefined) {
    const colon = flags.user.indexOf(':')
    if (colon <= 0) throw usage('--user must be USER:PASSWORD')
    username = flags.user.slice(0, colon)
    password = flags.user.slice(colon + 1)
  }
  const name = flags.name ?? basename(resolve(flags.index)).toLowerCase()
  const problem = nameProblem(name)
  if (problem) throw usage(`${flags.name === undefined ? `the index name taken from --index, "${name}",` : `--name "${name}"`} ${problem}${flags.name === undefined ? '; give one with --name' : ''}`)
  return { name, username, password }
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('write an index as an OpenSearch/Elasticsearch index body, pipelines and _bulk documents, or load it into a cluster')
    .requiredOption('--index <dir>', 'index directory')
    .option('--out <folder>', 'write index.json, pipelines.json and documents.ndjson into this new folder')
    .option('--to <url>', 'create the index on this cluster and bulk-load it (resumable: run again after an interruption)')
    .option('--name <name>', 'the index name on the cluster (default: the index folder\'s name)')
    .option('--api-key <key>', 'with --to: send Authorization: ApiKey <key>')
    .option('--user <user:password>', 'with --to: HTTP basic authentication')
    .option('--chunk-docs <n>', 'with --out: documents per NDJSON file (documents-000001.ndjson, ...)', parsePositiveInt('--chunk-docs'))
    .option('--batch-bytes <n>', 'with --to: bytes of NDJSON per bulk request (default: 5000000)', parsePositiveInt('--batch-bytes'))
    .option('--concurrency <n>', 'with --to: bulk requests in flight (default: 4)', parsePositiveInt('--concurrency'))
    .option('--checkpoint <file>', 'with --to: the resume file (default: <index dir>.export-<name>.json)')
    .option('--checkpoint-docs <n>', 'with --to: documents acknowledged between checkpoints (default: 10000)', parsePositiveInt('--checkpoint-docs'))
    .option('--no-pipelines', 'with --to: do not put the index\'s pipelines, nor the settings naming them')
    .action(async (flags: ExportFlags) => {
      const { name, username, password } = checkFlags(flags)
      const index = await SparseIndex.open(flags.index)
      try {
        if (flags.out !== undefined) await exportToFolder(index, flags.out, name, flags.chunkDocs)
        else await exportToCluster(index, flags, name, username, password)
      } finally {
        await index.close()
      }
    })
}

async function exportToFolder(index: SparseIndex, folder: string, name: string, chunkDocuments: number | undefined): Promise<void> {
  const started = performance.now()
  const exported = await exportIndex(index)
  for (const missing of exported.pipelines.missing ?? []) console.error(`lsr: warning: the index names ${missing}, which is not defined beside it: not exported`)
  const bar = exportProgressBar('exporting')
  let written
  try {
    written = await writeExport(exported, folder, { name, chunkDocuments, onDocument: (n) => n % 1000 === 0 && bar.update(n, exported.count) })
    bar.update(written.documents, exported.count)
  } finally {
    bar.stop()
  }
  const seconds = (performance.now() - started) / 1000
  const files = ['index.json', 'pipelines.json', ...(written.files.length > 3 ? [`${written.files[0]} ... ${written.files.at(-1)}`] : written.files)]
  console.log(`exported ${written.documents} documents to ${folder} (${files.join(', ')}; ${formatBytes(written.bytes)} of NDJSON) in ${seconds.toFixed(1)} s, ${Math.round(written.documents / Math.max(seconds, 1e-3))} docs/s`)
}

async function exportToCluster(index: SparseIndex, flags: ExportFlags, name: string, username?: string, password?: string): Promise<void> {
  const checkpoint = flags.checkpoint ?? `${resolve(flags.index)}.export-${name}.json`
  const bar = exportProgressBar('loading')
  let result
  try {
    result = await loadIntoCluster(index, { url: flags.to!, name, apiKey: flags.apiKey, username, password }, {
      checkpoint,
      batchBytes: flags.batchBytes,
      concurrency: flags.concurrency,
      checkpointDocuments: flags.checkpointDocs,
      pipelines: flags.pipelines,
      onProgress: (done, total) => bar.update(done, total),
      onStart: (resumed, total) => resumed > 0 && console.error(`lsr: resuming after ${resumed} of ${total} documents (${checkpoint})`),
      onWarning: (message) => console.error(`lsr: warning: ${message}`),
    })
  } finally {
    bar.stop()
  }
  const rate = Math.round(result.sent / Math.max(result.seconds, 1e-3))
  console.log(`exported ${result.documents} documents to ${shownUrl(flags.to!)}/${name} (${result.sent} sent by this run${result.resumed > 0 ? `, ${result.resumed} before` : ''}; _count checked) in ${result.seconds.toFixed(1)} s, ${rate} docs/s`)
}
