/**
 * Partial updates, as Elasticsearch's update API makes them (`POST /{index}/_update/{id}` and the
 * `update` action of `_bulk`): `doc` merged into the stored source (objects merge recursively,
 * anything else replaces), `upsert` or `doc_as_upsert` for a missing document, `detect_noop` (an
 * update that changes nothing writes nothing), and `_source` to answer the new source. Scripts
 * are refused by name. `if_seq_no` + `if_primary_term` make it conditional on the document read
 * (a 409 when it is not the one the caller saw), as in Elasticsearch; `version` is a 400.
 *
 * An update is a read-modify-write serialized with every other write of the index
 * ({@link SparseIndex.update}), so concurrent updates of one document lose nothing. Where ingest
 * pipelines run over the new source (asynchronous: a model may encode it), the source is read,
 * merged and run through them outside the write, and written only if the stored document is still
 * the one read, by its sequence number (else read again): updates of one document through this
 * module also wait for each other, so they do not redo each other's pipelines.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-update.html
 * @module
 */
import { PRIMARY_TERM, type DocVersion, type SparseIndex, type WriteCondition, type WriteConflict } from '../engine/sparse-index.js'
import { conflictOf } from '../engine/write-conditions.js'
import type { SourceDocument } from '../encode/encoder.js'
import { conflictError, sourceDocument } from './bulk.js'
import { badRequest, HttpError } from './http-error.js'
import { KeyedSerializer } from './keyed.js'
import type { IngestPipelines } from './pipelines.js'
import { isObject, type Json } from './json.js'
import { sourceFilter } from '../engine/source-filter.js'
import { validationFailed } from './url-params.js'

/** An update request's body, checked. */
export interface PartialUpdate {
  doc: Json
  /** The document to create when none has the id (`doc` itself with `doc_as_upsert`). */
  upsert?: Json
  /** Whether `upsert` is `doc` (`doc_as_upsert`). */
  docAsUpsert: boolean
  /** @default true */
  detectNoop: boolean
  /** The `_source` spec of the answer's `get` (undefined: no `get`). */
  source?: unknown
}

/** Keys of an update body that lsr takes; `script` and `scripted_upsert` are refused by name. */
const UPDATE_KEYS = ['doc', 'upsert', 'doc_as_upsert', 'detect_noop', '_source']


function booleanKey(body: Json, key: string): boolean | undefined {
  const value = body[key]
  if (value !== undefined && typeof value !== 'boolean') throw new HttpError(400, 'x_content_parse_exception', `[${key}] must be true or false, got ${JSON.stringify(value)?.slice(0, 100)}`)
  return value
}

/**
 * Checks an update body.
 * @param urlSource - the URL's `_source*` parameters, used when the body has no `_source`
 * @throws HttpError 400 naming an unsupported or malformed key
 */
export function parseUpdate(body: Json, urlSource?: unknown): PartialUpdate {
  for (const key of Object.keys(body)) {
    if (key === 'script' || key === 'scripted_upsert') throw badRequest(`[${key}] is not supported: lsr runs no scripts (send the fields to change in [doc])`)
    if (!UPDATE_KEYS.includes(key)) throw new HttpError(400, 'x_content_parse_exception', `[UpdateRequest] unknown field [${key}] (lsr takes ${UPDATE_KEYS.join(', ')})`)
  }
  const docAsUpsert = booleanKey(body, 'doc_as_upsert') ?? false
  const detectNoop = booleanKey(body, 'detect_noop') ?? true
  if (body.doc === undefined) throw validationFailed(['script or doc is missing'])
  if (!isObject(body.doc)) throw new HttpError(400, 'x_content_parse_exception', '[doc] must be an object')
  if (body.upsert !== undefined && !isObject(body.upsert)) throw new HttpError(400, 'x_content_parse_exception', '[upsert] must be an object')
  const source = body._source ?? urlSource
  if (source !== undefined) sourceFilter(source) // a malformed _source is refused before anything is written
  // As Elasticsearch's UpdateHelper: doc_as_upsert makes doc the upsert, whatever upsert says.
  const upsert = docAsUpsert ? body.doc : (body.upsert as Json | undefined)
  return { doc: body.doc, ...(upsert ? { upsert } : {}), docAsUpsert, detectNoop, ...(source === undefined ? {} : { source }) }
}

/**
 * Refuses what Elasticsearch's UpdateRequest refuses with `if_seq_no`: retries, and an upsert
 * (`upsert` or `doc_as_upsert`), which a missing document would take unconditionally.
 * @throws HttpError 400 `action_request_validation_exception` listing the problems
 */
export function checkUpdateCondition(update: PartialUpdate, condition: WriteCondition | undefined, retryOnConflict: number | string | undefined): void {
  if (!condition) return
  const problems: string[] = []
  if (Number(retryOnConflict ?? 0) > 0) problems.push('compare and write operations can not be retried')
  if (update.docAsUpsert) problems.push('compare and write operations can not be used with upsert')
  else if (update.upsert) problems.push("upsert requests don't support `if_seq_no` and `if_primary_term`")
  if (problems.length > 0) throw validationFailed(problems)
}

/** What an update did: `created` (an upsert), `updated` or `noop`, and the document's source and version now. */
export interface UpdateOutcome {
  result: 'created' | 'updated' | 'noop'
  source: Json
  version: DocVersion
}

/** Runs an index's ingest pipelines over an update's new source. */
export type UpdateIngest = (source: Json) => Promise<Json>

/** The source an update writes over `current` (undefined: the document is missing). */
type Plan = { write: Json; created: boolean } | { noop: Json } | { missing: true }

function plan(current: Json | undefined, update: PartialUpdate): Plan {
  if (current === undefined) return update.upsert ? { write: update.upsert, created: true } : { missing: true }
  const merged = deepMerge(current, update.doc)
  return update.detectNoop && sameSource(merged, current) ? { noop: current } : { write: merged, created: false }
}

/** Two stored sources are the same document (both read back from JSON: equal text is equal content). */
function sameSource(a: Json | undefined, b: Json | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b))
}

/** The write condition that a document is still at the version it was read at. */
export const unchangedSince = ({ seqNo }: DocVersion) => ({ ifSeqNo: seqNo, ifPrimaryTerm: PRIMARY_TERM })

/**
 * Writes `doc` only if its id's document is still the one read at `before` (its sequence number;
 * undefined: it was missing, and must still be), checked inside the index's serialized write.
 * @returns the version written, or why nothing was (the document changed meanwhile)
 */
export async function writeIfUnchanged(index: SparseIndex, before: DocVersion | undefined, doc: SourceDocument): Promise<{ version: DocVersion } | { conflict: WriteConflict }> {
  const condition = before ? { conditions: [unchangedSince(before)] } : { createOnly: [true] }
  const { versions: [version], conflicts: [conflict] } = await index.add([doc], { ...condition, versionIdentical: true })
  return conflict ? { conflict } : { version: version! }
}

/** Elasticsearch's answer to an update of a document that does not exist, without an upsert. */
export const documentMissing = (id: string) => new HttpError(404, 'document_missing_exception', `[${id}]: document missing`)

/** How many times a pipeline-run update reads again after another writer changed the document meanwhile. */
const MAX_ATTEMPTS = 100

/** Updates of one document that run pipelines, one at a time per index and id. */
const pipelineUpdates = new WeakMap<SparseIndex, KeyedSerializer>()

/** A 409 unless `current` (a live document) meets the update's `if_seq_no` condition. */
function checkCurrent(id: string, condition: WriteCondition | undefined, current: DocVersion | undefined): void {
  // A missing document is the update's 404 (no upsert goes with a condition), as in Elasticsearch.
  const conflict = current && conflictOf(condition, current)
  if (conflict) throw conflictError(id, conflict)
}

/**
 * Applies an update to the document `id`.
 * @param ingest - the index's pipelines over the new source; none when the index runs none
 * @param condition - `if_seq_no` + `if_primary_term`: the document read must be at that sequence number
 * @throws HttpError 404 `document_missing_exception` when the document is missing and there is no upsert;
 *   400 when the new source cannot be indexed; 409 when the condition does not hold, or other
 *   writers kept changing the document
 */
export async function applyUpdate(index: SparseIndex, id: string, update: PartialUpdate, ingest?: UpdateIngest, condition?: WriteCondition): Promise<UpdateOutcome> {
  if (!ingest) {
    let planned: Plan = { missing: true }
    // Checked and written in one serialized read-modify-write: the condition holds when the write happens.
    const { current, result } = await index.update(id, (source, version) => {
      checkCurrent(id, condition, version)
      planned = plan(source, update)
      return 'write' in planned ? sourceDocument(id, planned.write) : undefined
    }, { versionIdentical: true })
    return outcomeOf(planned, id, result?.versions[0] ?? current)
  }
  let serializer = pipelineUpdates.get(index)
  if (!serializer) pipelineUpdates.set(index, (serializer = new KeyedSerializer()))
  return serializer.run(id, async () => {
    for (let attempt = 1; ; attempt++) {
      const found = await index.getWithVersion(id)
      const current = found && { seqNo: found.seqNo, version: found.version }
      // A document changed since an earlier attempt read it fails the condition here.
      checkCurrent(id, condition, current)
      const planned = plan(found?.source, update)
      if (!('write' in planned)) return outcomeOf(planned, id, current)
      const source = await ingest(planned.write)
      const written = await writeIfUnchanged(index, current, sourceDocument(id, source))
      if ('version' in written) return { result: planned.created ? 'created' : 'updated', source, version: written.version }
      if (attempt === MAX_ATTEMPTS) throw new HttpError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, the document changed ${MAX_ATTEMPTS} times while the update ran its pipelines`)
    }
  })
}

function outcomeOf(planned: Plan, id: string, version: DocVersion | undefined): UpdateOutcome {
  if ('missing' in planned) throw documentMissing(id)
  // A noop's version is the live document's; a write's, the one it was written with.
  if ('noop' in planned) return { result: 'noop', source: planned.noop, version: version! }
  return { result: planned.created ? 'created' : 'updated', source: planned.write, version: version! }
}

/**
 * An update's answer beside `_index` and `_id`: `_version`, `result`, `_shards` (none written
 * for a noop, as in Elasticsearch), `_seq_no`, `_primary_term`, and `get` with the source when
 * `_source` asked for it.
 */
export function updateAnswer(outcome: UpdateOutcome, update: PartialUpdate): Json {
  const written = outcome.result === 'noop' ? 0 : 1
  const { version, seqNo } = outcome.version
  const answer: Json = { _version: version, result: outcome.result, _shards: { total: written, successful: written, failed: 0 }, _seq_no: seqNo, _primary_term: PRIMARY_TERM }
  if (update.source !== undefined) {
    const filtered = sourceFilter(update.source)(outcome.source)
    if (filtered !== undefined) answer.get = { _seq_no: outcome.version.seqNo, _primary_term: PRIMARY_TERM, found: true, _source: filtered }
  }
  return answer
}

/**
 * Elasticsearch's partial-document merge: objects merge recursively, everything else replaces.
 * Own properties only, defined rather than assigned: a field named `__proto__` is a field.
 */
export function deepMerge(target: Json, patch: Json): Json {
  const out: Json = { ...target }
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined
    const merged = isObject(value) && isObject(current) ? deepMerge(current, value) : value
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true })
  }
  return out
}

/**
 * The pipelines a write of `index` runs (the requested one or the index's default, then its
 * final one) as an update's ingest; undefined when there are none.
 * @throws HttpError 400 naming a pipeline that does not exist
 */
export async function updateIngest(pipelines: IngestPipelines, index: SparseIndex, name: string, id: string, requested?: string): Promise<UpdateIngest | undefined> {
  const chain = await pipelines.chain(index.meta.pipelines, requested)
  if (chain.length === 0) return undefined
  return async (source) => {
    const [result] = await pipelines.run(chain, name, [{ id, source }])
    if (result.error) throw result.error
    return result.source
  }
}
