/**
 * `lsr export --to URL`: an index exported into an OpenSearch or Elasticsearch cluster through the
 * official OpenSearch client. In order: the pipelines the index names (`PUT _search/pipeline`,
 * `PUT _ingest/pipeline`), the index (`PUT /{name}` with the exported body), its documents through
 * the client's bulk helper (batches of `batchBytes`, `concurrency` requests in flight, a 429'd
 * document retried `retries` times, a failed request retried by the client; the helper pulls the
 * next document only when a request slot is free: backpressure), then the settings naming the
 * ingest pipelines (`PUT /{name}/_settings`: set after the load, so that no pipeline runs again
 * over documents exported as their pipelines made them), a refresh, and `_count` checked against
 * the number of documents exported. A checkpoint file (export-checkpoint.ts) advances after each
 * window of `checkpointDocuments` documents acknowledged in full; running the same command again
 * after an interruption continues after it. Messages name the URL (never its credentials) and the
 * index, and quote the cluster's own error.
 * @module
 */
import { Client } from '@opensearch-project/opensearch'
import { LsrError } from '../errors.js'
import { exportIndex, type ExportedDocument, type IndexExport } from '../engine/export/export-index.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import { readCheckpoint, removeCheckpoint, writeCheckpoint, type ExportCheckpoint } from './export-checkpoint.js'

/** Where an export goes and how to sign in. */
export interface ClusterTarget {
  url: string
  name: string
  /** `Authorization: ApiKey <key>`. */
  apiKey?: string
  username?: string
  password?: string
}

/** How the documents are sent. */
export interface ClusterLoadOptions {
  /** The checkpoint file. */
  checkpoint: string
  /** Bytes of NDJSON per bulk request. @default 5 MB (the helper's) */
  batchBytes?: number
  /** Bulk requests in flight. @default 4 */
  concurrency?: number
  /** Times a document the cluster answers 429 for is sent again, and a failed request retried. @default 3 */
  retries?: number
  /** Documents per checkpoint. @default 10,000 */
  checkpointDocuments?: number
  /** Put the pipelines and the settings naming them. @default true */
  pipelines?: boolean
  /** Called with the documents acknowledged or sent so far (a resumed export's earlier ones included) and the total. */
  onProgress?: (done: number, total: number) => void
  /** Called once the state is known: how many documents an earlier run loaded (0 when starting). */
  onStart?: (resumed: number, total: number) => void
  /** Warnings (pipelines named but not defined). */
  onWarning?: (message: string) => void
}

/** What a finished load did. */
export interface ClusterLoadResult {
  /** Documents in the cluster's index at the end (`_count`), equal to the export's. */
  documents: number
  /** Documents an earlier, interrupted run had loaded. */
  resumed: number
  /** Documents this run sent. */
  sent: number
  seconds: number
}

/** The URL as messages show it: no user name or password. */
export function shownUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString().replace(/\/$/, '')
}

/** Loads `index` into the cluster (see the module's description). */
export async function loadIntoCluster(index: SparseIndex, target: ClusterTarget, options: ClusterLoadOptions): Promise<ClusterLoadResult> {
  const started = performance.now()
  const url = shownUrl(target.url)
  const where = `${url}/${target.name}`
  const retries = options.retries ?? 3
  const client = new Client({
    node: target.url,
    maxRetries: retries,
    requestTimeout: 120_000,
    ...(target.username !== undefined && { auth: { username: target.username, password: target.password ?? '' } }),
    ...(target.apiKey !== undefined && { headers: { authorization: `ApiKey ${target.apiKey}` } }),
  })
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request()
    } catch (error) {
      throw clusterError(where, what, error)
    }
  }
  try {
    const saved = await readCheckpoint(options.checkpoint)
    const resumed = saved?.loaded ?? 0
    if (saved && (saved.url !== url || saved.name !== target.name)) {
      throw new LsrError('invalid_input', `${options.checkpoint} is the checkpoint of an export to ${saved.url}/${saved.name}, not ${where}: delete it, or export there`)
    }
    const exported = await exportIndex(index, { afterDocId: saved?.lastDocId })
    try {
      if (saved && saved.fingerprint !== exported.fingerprint) {
        throw new LsrError('invalid_input', `the index was written since the interrupted export to ${where} (${options.checkpoint}): delete the checkpoint and the cluster's index ${target.name}, and export again`)
      }
      for (const missing of exported.pipelines.missing ?? []) options.onWarning?.(`the index names ${missing}, which is not defined beside it: not exported`)
      const checkpoint: ExportCheckpoint = saved ?? { url, name: target.name, fingerprint: exported.fingerprint, lastDocId: -1, loaded: 0 }
      if (!saved) {
        if (options.pipelines !== false) await putPipelines(client, exported, call)
        const exists = await call('checking whether the index exists', () => client.indices.exists({ index: target.name }))
        if (exists.body) throw new LsrError('invalid_input', `${where} already exists: delete it, or export under another --name`)
        await call('creating the index', () => client.indices.create({ index: target.name, body: exported.body as never }))
        // From here on a rerun resumes into the index just created.
        await writeCheckpoint(options.checkpoint, checkpoint)
      }
      options.onStart?.(checkpoint.loaded, exported.count)
      const sent = await sendDocuments(client, exported, checkpoint, target.name, where, { ...options, retries })
      if (options.pipelines !== false && exported.pipelines.settings) {
        await call('setting the index\'s pipelines', () => client.indices.putSettings({ index: target.name, body: exported.pipelines.settings as never }))
      }
      await call('refreshing the index', () => client.indices.refresh({ index: target.name }))
      const counted = await call('counting the documents', () => client.count({ index: target.name }))
      const documents = (counted.body as { count: number }).count
      if (documents !== exported.count) {
        throw new LsrError('invalid_input', `${where} holds ${documents} documents after the export, not ${exported.count}: was it written to meanwhile? delete it and ${options.checkpoint}, and export again`)
      }
      await removeCheckpoint(options.checkpoint)
      return { documents, resumed, sent, seconds: (performance.now() - started) / 1000 }
    } finally {
      await exported.documents.return()
    }
  } finally {
    await client.close()
  }
}

type Call = <T>(what: string, request: () => Promise<T>) => Promise<T>

async function putPipelines(client: Client, exported: IndexExport, call: Call): Promise<void> {
  for (const [id, body] of Object.entries(exported.pipelines.search)) {
    await call(`putting search pipeline [${id}] (--no-pipelines leaves pipelines out)`, () => client.searchPipeline.put({ id, body: body as never }))
  }
  for (const [id, body] of Object.entries(exported.pipelines.ingest)) {
    await call(`putting ingest pipeline [${id}] (--no-pipelines leaves pipelines out)`, () => client.ingest.putPipeline({ id, body: body as never }))
  }
}

/**
 * Sends the documents in windows of `checkpointDocuments`, each through one run of the bulk
 * helper; the checkpoint advances after each window the cluster acknowledged in full.
 * @returns the documents sent
 */
async function sendDocuments(
  client: Client,
  exported: IndexExport,
  checkpoint: ExportCheckpoint,
  name: string,
  where: string,
  options: ClusterLoadOptions & { retries: number },
): Promise<number> {
  const window = options.checkpointDocuments ?? 10_000
  const docs = exported.documents
  let sent = 0
  let finished = false
  while (!finished) {
    let inWindow = 0
    let lastDocId = checkpoint.lastDocId
    const take = async function* (): AsyncGenerator<ExportedDocument> {
      while (inWindow < window) {
        const next = await docs.next()
        if (next.done) {
          finished = true
          return
        }
        inWindow++
        lastDocId = next.value.docId
        yield next.value
      }
    }
    const dropped: Array<{ id: string; status: number; reason: string }> = []
    try {
      await client.helpers.bulk<ExportedDocument>({
        datasource: take(),
        onDocument: (doc) => {
          options.onProgress?.(checkpoint.loaded + inWindow, exported.count)
          return [{ index: { _index: name, _id: doc.id } }, doc.source]
        },
        flushBytes: options.batchBytes ?? 5_000_000,
        concurrency: options.concurrency ?? 4,
        retries: options.retries,
        wait: 1000,
        onDrop: (drop) => {
          dropped.push({ id: String((drop.operation as unknown as { index: { _id: string } }).index._id), status: drop.status, reason: drop.error ? `${drop.error.type}: ${drop.error.reason}` : 'too many requests (429) after every retry' })
        },
      })
    } catch (error) {
      throw clusterError(where, 'bulk loading the documents', error)
    }
    if (dropped.length > 0) {
      const first = dropped[0]
      throw new LsrError('invalid_input', `${where} refused ${dropped.length} documents; the first, ${JSON.stringify(first.id)}: ${first.status} ${first.reason}. Rerun to resume after the last window acknowledged in full`)
    }
    sent += inWindow
    if (inWindow > 0) {
      checkpoint.loaded += inWindow
      checkpoint.lastDocId = lastDocId
      await writeCheckpoint(options.checkpoint, checkpoint)
      options.onProgress?.(checkpoint.loaded, exported.count)
    }
  }
  return sent
}

/** One line for a client error: where, what was being done, and the cluster's answer. */
function clusterError(where: string, what: string, error: unknown): Error {
  if (error instanceof LsrError) return error
  const { name, message, meta } = (error ?? {}) as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } }
  if (name === 'ResponseError' && meta) {
    const body = meta.body as { error?: { type?: string; reason?: string } | string } | undefined
    const reason = typeof body?.error === 'object' ? `${body.error.type}: ${body.error.reason}` : typeof body?.error === 'string' ? body.error : JSON.stringify(body)
    return new LsrError('invalid_input', `${where}: ${what}: ${meta.statusCode} ${reason}`)
  }
  if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError') {
    return new LsrError('unavailable', `${where}: ${what}: cannot reach the cluster (${message}); rerun to resume`)
  }
  return error instanceof Error ? error : new Error(String(error))
}
