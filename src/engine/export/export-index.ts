/**
 * `exportIndex`: an lsr index as what an OpenSearch or Elasticsearch cluster needs to rebuild it,
 * all as of one committed state: the index creation body (index-body.ts), the pipelines it names
 * (pipelines.ts), and its live documents as a stream (documents.ts). Take it while no write is
 * running, or accept that it shows the index as of the call: the body, the count and the
 * documents are read at the same moment (nothing awaited between), the documents through one
 * LevelDB snapshot.
 * @module
 */
import { dirname } from 'node:path'
import type { SparseIndex } from '../sparse-index.js'
import { exportDocuments, type ExportedDocument } from './documents.js'
import { indexCreationBody, type IndexCreationBody } from './index-body.js'
import { exportPipelines, readPipelineDefinitions, type ExportedPipelines, type PipelineDefinitions } from './pipelines.js'

export { ENCODER_SIMILARITY, ENCODER_VECTOR_FIELD, type IndexCreationBody } from './index-body.js'
export type { ExportedDocument } from './documents.js'
export type { ExportedPipelines, PipelineDefinitions } from './pipelines.js'

/** The documents of an export: iterate them once; `return()` ends the iteration early and releases the snapshot. */
export type DocumentStream = AsyncIterableIterator<ExportedDocument> & { return(): Promise<IteratorResult<ExportedDocument>> }

/** An index as a cluster takes it. */
export interface IndexExport {
  /** The body of `PUT /{name}`. */
  body: IndexCreationBody
  /** The pipelines the index names, and the settings that name them (to apply after the load). */
  pipelines: ExportedPipelines
  /** Live documents at the export's moment (all of them, a resumed export's too). */
  count: number
  /** Identifies the committed state exported: any write that changes a document changes it. */
  fingerprint: string
  /** The documents, in internal doc id order (after `afterDocId` when given). Iterate it to the end, or call `return()`, to release its snapshot. */
  documents: DocumentStream
}

/** Options of {@link exportIndex}. */
export interface ExportOptions {
  /**
   * Pipeline definitions by id, where the index's pipelines are looked up; by default those of the
   * server whose data directory holds the index (its folder's parent).
   */
  pipelineDefinitions?: { ingest: PipelineDefinitions; search: PipelineDefinitions }
  /** Documents read per LevelDB read. @default 256 */
  batchSize?: number
  /** Continue after this internal doc id (see {@link ExportedDocument.docId}). */
  afterDocId?: number
}

/**
 * Exports an open index.
 * @throws LsrError `invalid_input` when the encoder's fields on the cluster are mapped in the index
 * @example
 * const { body, documents } = await exportIndex(index)
 * for await (const { id, source } of documents) bulk.push({ index: { _index: 'docs', _id: id } }, source)
 */
export async function exportIndex(index: SparseIndex, options: ExportOptions = {}): Promise<IndexExport> {
  const defined = options.pipelineDefinitions ?? (await readPipelineDefinitions(dirname(index.dir)))
  // From here to the documents' first read nothing is awaited: one moment.
  const body = indexCreationBody(index.schema?.toStored(), index.encoder?.config)
  const pipelines = exportPipelines(index.meta.pipelines, defined)
  const live = index.allDocs()
  // Resuming goes by doc id: the fingerprint changes whenever doc ids may (a write, a reorder).
  const fingerprint = `${index.meta.createdAt}/${index.docTables}/${live.size}/${live.size === 0 ? -1 : live.maximum()}`
  const stream = exportDocuments(index, { batchSize: options.batchSize, afterDocId: options.afterDocId })
  // Started now (the snapshot is taken on the first read), handed out as it is.
  let first: Promise<IteratorResult<ExportedDocument>> | undefined = stream.next()
  // Its failure is the first next()'s to report, not an unhandled rejection when none comes.
  first.catch(() => undefined)
  const documents: DocumentStream = {
    next() {
      const head = first
      first = undefined
      return head ?? stream.next()
    },
    return: () => stream.return(undefined),
    [Symbol.asyncIterator]() {
      return this
    },
  }
  return { body, pipelines, count: live.size, fingerprint, documents }
}
