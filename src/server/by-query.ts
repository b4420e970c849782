/**
 * `_delete_by_query` and `_update_by_query` without scripts, answered in the shape of
 * Elasticsearch's BulkByScrollResponse (`total`, `deleted`/`updated`, `batches`,
 * `version_conflicts`, `failures`, …).
 *
 * The matches of each index are read through one reader (one committed state), the first
 * `max_docs` in index order, each with its sequence number. A delete by query deletes them in one
 * atomic delete. An update by query re-indexes them through the index's ingest pipelines (what
 * it is for without a script: new fields of a pipeline, a re-encoding, a mapping that changed),
 * in batches of 1,000 read from the reader's snapshot. Each document is deleted or written only
 * if it is still at the sequence number read (`if_seq_no`), else it is a version conflict
 * (`conflicts=abort` stops after the batch with a 409 failure, `proceed` counts it and goes on),
 * as Elasticsearch's snapshot-and-version scheme does.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-delete-by-query.html
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-update-by-query.html
 * @module
 */
import type { Context } from 'hono'
import type { IngestResult } from '../engine/pipelines/ingest-pipeline.js'
import { loadQueryModels, type ModelSource } from '../engine/query/models.js'
import { type DocVersion, type IndexReader, type SparseIndex, type WriteConflict } from '../engine/sparse-index.js'
import { conflictError, sourceDocument } from './bulk.js'
import { badRequest, HttpError } from './http-error.js'
import type { Json } from './json.js'
import type { IngestInput } from './pipelines.js'
import { queryStringToDsl } from './query-string-query.js'
import { unchangedSince, writeIfUnchanged } from './update.js'
import { uriQuery } from './uri-search.js'
import { booleanParam, NO_EFFECT_ON_ONE_NODE } from './url-params.js'

export type ByQueryKind = 'delete' | 'update'

/** A by-query request, checked. */
export interface ByQueryRequest {
  /** The query DSL; undefined: match_all. */
  query: unknown
  /** The most documents to process (Infinity: all). */
  maxDocs: number
  conflicts: 'abort' | 'proceed'
}

/** URL parameters of `_delete_by_query`; `_update_by_query` also takes `pipeline`. */
export const BY_QUERY_PARAMS = ['q', 'df', 'default_operator', 'conflicts', 'max_docs', 'refresh', 'wait_for_completion', ...NO_EFFECT_ON_ONE_NODE]

/** Body keys taken; `script` (update) and `slice` are refused by name. */
const BODY_KEYS = ['query', 'max_docs', 'conflicts']

/** Elasticsearch's `max_docs` is a Java int. */
const MAX_INT = 2 ** 31 - 1

/** Documents read and written per batch (Elasticsearch's default `scroll_size`). */
const BATCH = 1000

/** `max_docs`: -1 for all, else 1 to 2^31 - 1 (a URL parameter's text as its number). */
function maxDocsOf(value: unknown, where: 'in the body' | 'in the URL'): number | undefined {
  if (value === undefined) return undefined
  const n = where === 'in the URL' && typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value
  if (n === -1) return Infinity
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_INT) {
    throw badRequest(`[max_docs] ${where} must be -1 (all) or an integer from 1 to ${MAX_INT}, got [${String(value).slice(0, 100)}]`)
  }
  return n
}

function conflictsOf(value: unknown): 'abort' | 'proceed' | undefined {
  if (value === undefined || value === 'abort' || value === 'proceed') return value
  throw badRequest(`conflicts may only be "proceed" or "abort" but was [${String(value).slice(0, 100)}]`)
}

/**
 * Checks a by-query request: body `query`, `max_docs`, `conflicts`; URL `q` (with `df`,
 * `default_operator`), `max_docs`, `conflicts` (over the body's), `refresh`, `wait_for_completion`.
 * @throws HttpError 400 naming what lsr does not take (`script`, `slice`, `wait_for_completion=false`, …)
 */
export function parseByQuery(c: Context, raw: Json, kind: ByQueryKind): ByQueryRequest {
  const endpoint = `_${kind}_by_query`
  for (const key of Object.keys(raw)) {
    if (key === 'script' && kind === 'update') throw badRequest(`[script] is not supported: lsr runs no scripts (${endpoint} re-indexes the matches through the index's ingest pipelines)`)
    if (key === 'slice') throw badRequest(`[slice] is not supported: lsr runs ${endpoint} as one slice`)
    if (!BODY_KEYS.includes(key)) throw badRequest(`[${endpoint}] unknown field [${key}] (lsr takes ${BODY_KEYS.join(', ')})`)
  }
  if (!booleanParam(c, 'wait_for_completion', true)) throw badRequest(`[wait_for_completion=false] is not supported: lsr runs ${endpoint} to its end within the request (it has no tasks API)`)
  booleanParam(c, 'refresh', false) // honoured by any write: each is visible when acknowledged
  const body = uriQuery(c, raw)
  const [inBody, inUrl] = [maxDocsOf(body.max_docs, 'in the body'), maxDocsOf(c.req.query('max_docs'), 'in the URL')]
  if (inBody !== undefined && inUrl !== undefined && inBody !== inUrl) throw badRequest(`[max_docs] set to two different values [${body.max_docs}] and [${c.req.query('max_docs')}]`)
  const conflicts = conflictsOf(c.req.query('conflicts')) ?? conflictsOf(body.conflicts) ?? 'abort'
  return { query: body.query, maxDocs: inUrl ?? inBody ?? Infinity, conflicts }
}

/** The counts of a by-query answer. */
interface Counts {
  total: number
  done: number
  batches: number
  conflicts: number
  failures: Json[]
}

/** Elasticsearch's BulkByScrollResponse around the counts; `done` is `deleted` or `updated`. */
function answer(kind: ByQueryKind, started: number, { total, done, batches, conflicts, failures }: Counts): Json {
  return {
    took: Math.round(performance.now() - started),
    timed_out: false,
    total,
    ...(kind === 'delete' ? { deleted: done } : { updated: done, deleted: 0 }),
    batches,
    version_conflicts: conflicts,
    noops: 0,
    retries: { bulk: 0, search: 0 },
    throttled_millis: 0,
    requests_per_second: -1,
    throttled_until_millis: 0,
    failures,
  }
}

/** The live documents of one index a by-query request matched, as of one moment. */
interface Matches {
  docIds: Uint32Array
  ids: string[]
  /** Each match's sequence number and version, read with it. */
  versions: DocVersion[]
}

/**
 * The live documents of `index` the query matches, at most `limit`, in index order, with the
 * reader they were read through (released when `use` ends).
 */
async function withMatches<T>(index: SparseIndex, query: unknown, limit: number, models: ModelSource | undefined, use: (reader: IndexReader, matches: Matches) => Promise<T>): Promise<T> {
  const loaded = models && (await loadQueryModels(query, models))
  const reader = index.reader()
  try {
    // Synchronous: the matches, their ids and versions as of one moment.
    const matches = reader.matching(query ?? { match_all: {} }, { queryString: queryStringToDsl, models: loaded })
    const docIds = matches.toUint32Array(Math.min(limit, matches.size))
    const ids = Array.from(docIds, (docId) => reader.externalId(docId))
    const versions = Array.from(docIds, (docId) => reader.version(docId))
    return await use(reader, { docIds, ids, versions })
  } finally {
    reader.release()
  }
}

/** The condition that a document is still the one read (Elasticsearch's `if_seq_no` of a by-query write). */
/** A by-query failure (Elasticsearch's BulkItemResponse.Failure shape). */
function failure(index: string, id: string, error: HttpError): Json {
  return { index, id, cause: { type: error.type, reason: error.message }, status: error.status }
}

/** The answer and its status: 200, or the highest status of the failures (409 for conflicts with `conflicts=abort`). */
function withStatus(kind: ByQueryKind, started: number, counts: Counts): { status: number; body: Json } {
  const status = counts.failures.reduce((max, f) => Math.max(max, f.status as number), 200)
  return { status, body: answer(kind, started, counts) }
}

/**
 * `_delete_by_query`: per index, the matches read through one reader, then one atomic delete of
 * those still at the sequence number read. A match changed since is a version conflict (a
 * failure with `conflicts=abort`, which stops the request); a match another request deleted
 * in between is counted as a version conflict too, but never a failure (it is gone, as asked;
 * Elasticsearch fails it as well).
 */
export async function deleteByQuery(indexes: ReadonlyArray<[string, SparseIndex]>, request: ByQueryRequest, models?: ModelSource): Promise<{ status: number; body: Json }> {
  const started = performance.now()
  const counts: Counts = { total: 0, done: 0, batches: 0, conflicts: 0, failures: [] }
  for (const [name, index] of indexes) {
    const limit = request.maxDocs - counts.total
    if (limit <= 0 || counts.failures.length > 0) break
    const { ids, versions } = await withMatches(index, request.query, limit, models, async (_, matches) => matches)
    if (ids.length === 0) continue
    const { deleted, conflicts } = await index.deleteDocuments(ids, { conditions: versions.map(unchangedSince) })
    counts.total += ids.length
    counts.done += deleted
    counts.conflicts += ids.length - deleted
    counts.batches++
    conflicts.forEach((conflict, i) => {
      if (conflict?.current && request.conflicts === 'abort') counts.failures.push(failure(name, ids[i], conflictError(ids[i], conflict)))
    })
  }
  return withStatus('delete', started, counts)
}

/** Runs an index's ingest pipelines over a batch of documents (undefined: the index runs none). */
export type BatchIngest = (docs: readonly IngestInput[]) => Promise<IngestResult[]>

/**
 * `_update_by_query`: per index, the matches re-indexed through its pipelines (`ingest`, by
 * index name), in batches; a document changed since it was read is a version conflict.
 * @returns the answer and its status: 200, or the highest status of the failures (409 for
 *   conflicts with `conflicts=abort`), as Elasticsearch answers
 */
export async function updateByQuery(
  indexes: ReadonlyArray<[string, SparseIndex]>,
  request: ByQueryRequest,
  ingest: ReadonlyMap<string, BatchIngest | undefined>,
  errorOf: (error: unknown) => HttpError,
  models?: ModelSource,
): Promise<{ status: number; body: Json }> {
  const started = performance.now()
  const counts: Counts = { total: 0, done: 0, batches: 0, conflicts: 0, failures: [] }
  const abort = request.conflicts === 'abort'
  for (const [name, index] of indexes) {
    // With conflicts=proceed, Elasticsearch goes past max_docs until max_docs are updated.
    const want = () => request.maxDocs - (abort ? counts.total : counts.done)
    if (want() <= 0 || counts.failures.length > 0) break
    await withMatches(index, request.query, abort ? want() : Infinity, models, async (reader, { docIds, ids, versions }) => {
      const run = ingest.get(name)
      for (let at = 0; at < docIds.length && want() > 0; ) {
        const start = at
        const size = Math.min(BATCH, want(), docIds.length - at)
        const hits = Array.from(docIds.subarray(start, start + size), (docId, i) => ({ id: ids[start + i], docId, score: 0 }))
        at += size
        counts.batches++
        const read = await reader.withSources(hits)
        const piped: IngestResult[] = run ? await run(read.map(({ id, source }) => ({ id, source }))) : read.map(({ source }) => ({ source }))
        const outcomes = await Promise.all(read.map(async ({ id }, i): Promise<{ error: HttpError } | { conflict: WriteConflict } | 'updated'> => {
          try {
            const result = piped[i]
            if (result.error) throw result.error
            const written = await writeIfUnchanged(index, versions[start + i], sourceDocument(id, result.source))
            return 'version' in written ? 'updated' : written
          } catch (error) {
            return { error: errorOf(error) }
          }
        }))
        counts.total += size
        outcomes.forEach((outcome, i) => {
          const { id } = read[i]
          if (outcome === 'updated') counts.done++
          else if ('error' in outcome) counts.failures.push(failure(name, id, outcome.error))
          else {
            counts.conflicts++
            if (abort) counts.failures.push(failure(name, id, conflictError(id, outcome.conflict)))
          }
        })
        // Any failure ends the request after its batch (Elasticsearch aborts on failures).
        if (counts.failures.length > 0) return
      }
    })
  }
  return withStatus('update', started, counts)
}
