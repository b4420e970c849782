/**
 * `_bulk`: NDJSON actions (`index`, `create`, `update`, `delete`), each answered with its own
 * status so one bad line does not fail the others. Consecutive `index`/`create` actions on one
 * index are written as one atomic batch; `update` and `delete` flush what precedes them, so the
 * actions take effect in order. Ingest pipelines (the action's `pipeline`, the request's, the
 * index's default and final) run over such a batch together, before it is written: a document
 * the pipelines fail is its item's error. An `update` is the update API's (update.ts: `doc`,
 * `upsert`, `doc_as_upsert`, `detect_noop`, `_source`), its new source run through the same
 * pipelines. An action's `if_seq_no` + `if_primary_term`, or `version` + `version_type`, is
 * checked inside the index's serialized write (url-params.ts `writeCondition`); every written
 * item answers its `_version`, `_seq_no` and `_primary_term`.
 * @module
 */
import { documentWithId } from '../corpus/documents.js'
import type { SourceDocument } from '../encode/encoder.js'
import { PRIMARY_TERM, type AddOutcome, type DocVersion, type SparseIndex, type WriteCondition, type WriteConflict } from '../engine/sparse-index.js'
import { HttpError, toHttpError } from './http-error.js'
import { isObject, parseJson, type Json } from './json.js'
import { applyUpdate, checkUpdateCondition, parseUpdate, updateAnswer, type UpdateIngest } from './update.js'
import { VERSION_PARAMS, writeCondition, type VersionParams } from './url-params.js'

export { deepMerge } from './update.js'

const ACTIONS = ['index', 'create', 'update', 'delete'] as const
type Action = (typeof ACTIONS)[number]
/** One response item: `{<action>: {_index, _id, result?, status, error?}}`. */
type Item = Record<string, Json>

interface Parsed {
  action: Action
  meta: Json
  source?: unknown
  /** A per-item error found while parsing. */
  error?: HttpError
}

/** Keys of an action's metadata that lsr honours; others are refused rather than ignored. */
const META_KEYS: Record<Action, readonly string[]> = {
  index: ['_index', '_id', 'pipeline', ...VERSION_PARAMS],
  create: ['_index', '_id', 'pipeline', ...VERSION_PARAMS],
  update: ['_index', '_id', 'retry_on_conflict', 'if_seq_no', 'if_primary_term'],
  delete: ['_index', '_id', ...VERSION_PARAMS],
}

function tryParse(line: string): unknown {
  try {
    return parseJson(line, 'line')
  } catch {
    return undefined
  }
}

/** True when a line looks like an action line, so a malformed action does not swallow it. */
function isActionLine(line: string): boolean {
  const value = tryParse(line)
  return isObject(value) && Object.keys(value).length === 1 && (ACTIONS as readonly string[]).includes(Object.keys(value)[0])
}

/** The document line of an index/create/update action, or why it is not one. */
function sourceOf(line: string | undefined, number: number): { source: Json } | { error: HttpError } {
  const fail = (why: string) => ({ error: new HttpError(400, 'mapper_parsing_exception', `failed to parse line [${number}]: ${why}`) })
  if (line === undefined) return fail('the document is missing')
  let source: unknown
  try {
    source = parseJson(line, 'the document')
  } catch (error) {
    return fail((error as Error).message)
  }
  return isObject(source) ? { source } : fail('the document is not a JSON object')
}

/** Splits NDJSON into actions; malformed lines become per-item errors. */
export function parseBulk(body: string): Parsed[] {
  const lines = body.split('\n').map((l) => l.trim())
  const parsed: Parsed[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue
    const raw = tryParse(lines[i])
    const value: Json = isObject(raw) ? raw : {}
    const keys = Object.keys(value)
    const action = keys.length === 1 && (ACTIONS as readonly string[]).includes(keys[0]) ? (keys[0] as Action) : undefined
    if (!action || !isObject(value[action])) {
      const hasSource = i + 1 < lines.length && lines[i + 1] !== '' && !isActionLine(lines[i + 1])
      if (hasSource) i++
      parsed.push({ action: action ?? 'index', meta: {}, error: new HttpError(400, 'parsing_exception', `Malformed action/metadata line [${i + 1 - (hasSource ? 1 : 0)}]`) })
      continue
    }
    const meta = value[action] as Json
    const unknown = Object.keys(meta).find((key) => !META_KEYS[action].includes(key))
    const metaError = unknown !== undefined
      ? new HttpError(400, 'action_request_validation_exception', `line [${i + 1}]: [${action}] option [${unknown}] is not supported (only ${META_KEYS[action].join(', ')})`)
      : meta.pipeline !== undefined && typeof meta.pipeline !== 'string'
        ? new HttpError(400, 'action_request_validation_exception', `line [${i + 1}]: [${action}] option [pipeline] must be a string`)
        : meta.retry_on_conflict !== undefined && !(Number.isInteger(meta.retry_on_conflict) && (meta.retry_on_conflict as number) >= 0)
          ? new HttpError(400, 'action_request_validation_exception', `line [${i + 1}]: [update] option [retry_on_conflict] must be a non-negative integer`)
          : undefined
    if (action === 'delete') {
      parsed.push({ action, meta, error: metaError })
      continue
    }
    const line = ++i
    const document = sourceOf(lines[line], line + 1)
    parsed.push({ action, meta, ...document, ...(metaError ? { error: metaError } : {}) })
  }
  return parsed
}

/** Resolves an index name (or an alias) to the concrete index's name and the open index. */
export type IndexLookup = (name: string) => Promise<[string, SparseIndex]>

/** One document of a bulk write, as the ingest pipelines take it. */
export interface BulkDocument {
  id: string
  source: Json
  /** The action's `pipeline`, else the request's. */
  pipeline?: string
}

/** Runs ingest pipelines over one index's batch of documents: one source or error per document, in order. */
export interface BulkIngest {
  /** The request's `?pipeline=`. */
  pipeline?: string
  run(index: SparseIndex, name: string, docs: readonly BulkDocument[]): Promise<Array<{ source?: Json; error?: unknown }>>
  /** The pipelines an `update` action's new source runs through (none when undefined, or when this is absent). */
  update?(index: SparseIndex, name: string, id: string): Promise<UpdateIngest | undefined>
}

/** Consecutive index/create actions on one index, written as one batch. */
interface Group {
  index: SparseIndex
  docs: BulkDocument[]
  createOnly: boolean[]
  conditions: Array<WriteCondition | undefined>
  items: Array<{ slot: number; action: 'index' | 'create'; head: Json }>
}

/** `_shards` of a write's answer: the one primary shard. */
export const WRITE_SHARDS = { total: 1, successful: 1, failed: 0 }

/**
 * Runs the actions; returns the bulk response body.
 * @param errorOf - how a failure becomes an item's error (the app hides server paths there)
 * @param ingest - runs the ingest pipelines (none without it)
 * @throws HttpError 400 `action_request_validation_exception` when the body holds no action
 */
export async function runBulk(body: string, defaultIndex: string | undefined, lookup: IndexLookup, errorOf: (error: unknown) => HttpError = toHttpError, ingest?: BulkIngest): Promise<Json> {
  const started = performance.now()
  const actions = parseBulk(body)
  if (actions.length === 0) throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;')
  const items: Item[] = []
  const pending = new Map<string, Group>()

  // What each document came to is decided inside the index's serialized write (so two
  // concurrent creates of one id cannot both succeed), and only then put in its item.
  const flush = async (name?: string) => {
    for (const [key, group] of [...pending]) {
      if (name !== undefined && key !== name) continue
      pending.delete(key)
      try {
        const ingested: Array<{ source?: Json; error?: unknown }> = ingest ? await ingest.run(group.index, key, group.docs) : group.docs
        // Documents the pipelines fail, or leave unindexable, are their items' errors; the others are written.
        const kept: number[] = []
        const docs: SourceDocument[] = []
        ingested.forEach(({ source, error }, i) => {
          const { slot, action, head } = group.items[i]
          try {
            if (error !== undefined) throw error
            docs.push(sourceDocument(group.docs[i].id, source))
            kept.push(i)
          } catch (caught) {
            items[slot] = failure(action, head, errorOf(caught))
          }
        })
        if (docs.length === 0) continue
        const { outcomes, errors, versions, conflicts } = await group.index.add(docs, {
          createOnly: kept.map((i) => group.createOnly[i]),
          conditions: kept.map((i) => group.conditions[i]),
          perDocumentErrors: true,
          versionIdentical: true,
        })
        kept.forEach((i, j) => {
          const { slot, action, head } = group.items[i]
          const [error, conflict] = [errors[j], conflicts[j]]
          items[slot] = error
            ? failure(action, head, errorOf(error))
            : conflict ? failure(action, head, conflictError(String(head._id), conflict)) : written(action, head, outcomes[j], versions[j]!)
        })
      } catch (error) {
        const http = errorOf(error)
        for (const { slot, action, head } of group.items) items[slot] = failure(action, head, http)
      }
    }
  }

  for (const { action, meta, source, error } of actions) {
    const indexName = typeof meta._index === 'string' ? meta._index : defaultIndex
    const head = { _index: indexName, _id: typeof meta._id === 'string' || typeof meta._id === 'number' ? String(meta._id) : undefined }
    if (error) {
      items.push(failure(action, head, error))
      continue
    }
    try {
      const id = meta._id === undefined ? undefined : documentId(meta._id)
      const condition = writeCondition(meta as VersionParams, action, id !== undefined)
      if (!indexName) throw new HttpError(400, 'action_request_validation_exception', 'index is missing')
      // Through an alias: the item names (and the pipelines run under) the concrete index, as Elasticsearch's do.
      const [concrete, index] = await lookup(indexName)
      head._index = concrete
      if (action === 'index' || action === 'create') {
        const docId = id ?? generateId()
        sourceDocument(docId, source) // an _id field is refused before any pipeline sees the document
        let group = pending.get(concrete)
        if (!group) pending.set(concrete, (group = { index, docs: [], createOnly: [], conditions: [], items: [] }))
        const pipeline = (meta.pipeline as string | undefined) ?? ingest?.pipeline
        group.docs.push({ id: docId, source: source as Json, ...(pipeline === undefined ? {} : { pipeline }) })
        group.createOnly.push(action === 'create')
        group.conditions.push(condition)
        group.items.push({ slot: items.length, action, head: { _index: concrete, _id: docId } })
        items.push({ [action]: { _index: concrete, _id: docId } }) // filled in by flush
        continue
      }
      if (!id) throw new HttpError(400, 'action_request_validation_exception', 'id is missing')
      await flush(concrete)
      if (action === 'delete') {
        const { outcomes: [outcome], versions: [version], conflicts: [conflict] } = await index.deleteDocuments([id], { conditions: [condition] })
        if (conflict) throw conflictError(id, conflict)
        const found = outcome === 'deleted'
        items.push({ delete: { ...writeAnswer(head, found ? 'deleted' : 'not_found', version), status: found ? 200 : 404 } })
      } else {
        const update = parseUpdate(source as Json)
        checkUpdateCondition(update, condition, meta.retry_on_conflict as number | undefined)
        const outcome = await applyUpdate(index, id, update, await ingest?.update?.(index, concrete, id), condition)
        items.push({ update: { ...head, ...updateAnswer(outcome, update), status: outcome.result === 'created' ? 201 : 200 } })
      }
    } catch (caught) {
      items.push(failure(action, head, errorOf(caught)))
    }
  }
  await flush()
  return { took: Math.round(performance.now() - started), errors: items.some((item) => Object.hasOwn(Object.values(item)[0] as Json, 'error')), items }
}

/** The item of a written index/create: created (201), replaced or identical (200). */
function written(action: 'index' | 'create', head: Json, outcome: AddOutcome, version: DocVersion): Item {
  const created = outcome === 'created'
  return { [action]: { ...writeAnswer(head, created ? 'created' : 'updated', version), status: created ? 201 : 200 } }
}

/**
 * A write's answer in Elasticsearch's order: `_index`, `_id`, `_version`, `result`, `_shards`,
 * `_seq_no`, `_primary_term`. A delete that found nothing took no sequence number: it answers
 * version 1 (Elasticsearch's for an id never written) and no `_seq_no`.
 */
export function writeAnswer(head: Json, result: string, version: DocVersion | undefined, shards: Json = WRITE_SHARDS): Json {
  return {
    _index: head._index,
    _id: head._id,
    _version: version?.version ?? 1,
    result,
    _shards: shards,
    ...(version ? { _seq_no: version.seqNo, _primary_term: PRIMARY_TERM } : {}),
  }
}

/** Elasticsearch's version conflict: 409 `[id]: version conflict, <why>`. */
export const conflictError = (id: string, conflict: WriteConflict) => new HttpError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, ${conflict.reason}`)

/**
 * A client's document as the engine takes it. As in Elasticsearch, the id is the request's, and
 * an `_id` field inside the document is a 400 (it would be stored, and read back, beside the id).
 */
export function sourceDocument(id: string, source: unknown): SourceDocument {
  if (isObject(source) && Object.hasOwn(source, '_id')) {
    throw new HttpError(400, 'mapper_parsing_exception', 'Field [_id] is a metadata field and cannot be added inside a document. Use the index API request parameters.')
  }
  return documentWithId(id, source, `document [${id}]`)
}

/** Longest document id, in UTF-8 bytes (Elasticsearch's limit). */
const MAX_ID_BYTES = 512

/**
 * A client-given document id as Elasticsearch takes it: a non-empty string of at most 512 bytes,
 * or a number (its text); anything else (an object, an array, "") is a 400, never a made-up id.
 */
export function documentId(raw: unknown): string {
  const id = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw
  if (typeof id !== 'string') throw new HttpError(400, 'action_request_validation_exception', `Validation Failed: 1: _id must be a string, got ${Array.isArray(raw) ? 'an array' : typeof raw};`)
  if (id === '') throw new HttpError(400, 'action_request_validation_exception', 'Validation Failed: 1: if _id is specified it must not be empty;')
  const bytes = Buffer.byteLength(id)
  if (bytes > MAX_ID_BYTES) throw new HttpError(400, 'action_request_validation_exception', `Validation Failed: 1: id [${id.slice(0, 64)}…] is too long, must be no longer than ${MAX_ID_BYTES} bytes but was: ${bytes};`)
  return id
}

/** A 20-character random document id, as Elasticsearch generates for documents sent without one. */
export function generateId(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 20)
}

function failure(action: string, head: Json, error: HttpError): Item {
  return { [action]: { _index: head._index, _id: head._id, status: error.status, error: { type: error.type, reason: error.message } } }
}
