/**
 * `_bulk`: NDJSON actions (`index`, `create`, `update`, `delete`), each answered with its own
 * status so one bad line does not fail the others. Consecutive `index`/`create` actions on one
 * index are written as one atomic batch; `update` and `delete` flush what precedes them, so the
 * actions take effect in order.
 * @module
 */
import { documentWithId } from '../corpus/documents.js'
import type { SourceDocument } from '../encode/encoder.js'
import type { SparseIndex } from '../index/sparse-index.js'
import { HttpError, toHttpError } from './http-error.js'
import { isObject, type Json } from './json.js'

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

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

/** True when a line looks like an action line, so a malformed action does not swallow it. */
function isActionLine(line: string): boolean {
  const value = parseJson(line)
  return isObject(value) && Object.keys(value).length === 1 && (ACTIONS as readonly string[]).includes(Object.keys(value)[0])
}

/** Splits NDJSON into actions; malformed lines become per-item errors. */
export function parseBulk(body: string): Parsed[] {
  const lines = body.split('\n').map((l) => l.trim())
  const parsed: Parsed[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue
    const raw = parseJson(lines[i])
    const value: Json = isObject(raw) ? raw : {}
    const action = Object.keys(value).length === 1 ? (Object.keys(value)[0] as Action) : undefined
    if (!action || !ACTIONS.includes(action) || !isObject(value[action])) {
      const hasSource = i + 1 < lines.length && lines[i + 1] !== '' && !isActionLine(lines[i + 1])
      if (hasSource) i++
      parsed.push({ action: action && ACTIONS.includes(action) ? action : 'index', meta: {}, error: new HttpError(400, 'parsing_exception', `Malformed action/metadata line [${i + 1 - (hasSource ? 1 : 0)}]`) })
      continue
    }
    const meta = value[action] as Json
    if (action === 'delete') {
      parsed.push({ action, meta })
      continue
    }
    const sourceLine = lines[++i]
    const source = sourceLine === undefined ? undefined : parseJson(sourceLine)
    if (!isObject(source)) {
      parsed.push({ action, meta, error: new HttpError(400, 'mapper_parsing_exception', `failed to parse line [${i + 1}]: the document is not a JSON object`) })
      continue
    }
    parsed.push({ action, meta, source })
  }
  return parsed
}

/** Resolves an index name to an open index (and may create it, as Elasticsearch auto-creates). */
export type IndexLookup = (name: string) => Promise<SparseIndex>

/** Runs the actions; returns the bulk response body. */
export async function runBulk(body: string, defaultIndex: string | undefined, lookup: IndexLookup): Promise<Json> {
  const started = performance.now()
  const items: Item[] = []
  const pending = new Map<string, { index: SparseIndex; docs: SourceDocument[]; slots: number[]; ids: Set<string> }>()

  const flush = async (name?: string) => {
    for (const [key, group] of [...pending]) {
      if (name !== undefined && key !== name) continue
      pending.delete(key)
      try {
        await group.index.add(group.docs)
      } catch (error) {
        const http = toHttpError(error)
        for (const slot of group.slots) items[slot] = failure(Object.keys(items[slot])[0], items[slot][Object.keys(items[slot])[0]], http)
      }
    }
  }

  for (const { action, meta, source, error } of parseBulk(body)) {
    const indexName = typeof meta._index === 'string' ? meta._index : defaultIndex
    const id = meta._id === undefined ? undefined : String(meta._id)
    const head = { _index: indexName, _id: id }
    if (error) {
      items.push(failure(action, head, error))
      continue
    }
    try {
      if (!indexName) throw new HttpError(400, 'action_request_validation_exception', 'index is missing')
      const index = await lookup(indexName)
      if (action === 'index' || action === 'create') {
        const docId = id ?? generateId()
        let group = pending.get(indexName)
        if (!group) pending.set(indexName, (group = { index, docs: [], slots: [], ids: new Set() }))
        const exists = index.has(docId) || group.ids.has(docId)
        if (action === 'create' && exists) {
          throw new HttpError(409, 'version_conflict_engine_exception', `[${docId}]: version conflict, document already exists`)
        }
        group.docs.push(documentWithId(docId, source, `document [${docId}]`))
        group.ids.add(docId)
        group.slots.push(items.length)
        items.push({ [action]: { _index: indexName, _id: docId, result: exists ? 'updated' : 'created', status: exists ? 200 : 201, _shards: { total: 1, successful: 1, failed: 0 } } })
        continue
      }
      if (!id) throw new HttpError(400, 'action_request_validation_exception', 'id is missing')
      await flush(indexName)
      if (action === 'delete') {
        const deleted = await index.delete([id])
        items.push({ delete: { ...head, result: deleted ? 'deleted' : 'not_found', status: deleted ? 200 : 404 } })
      } else {
        items.push({ update: { ...head, ...(await update(index, id, source as Json)) } })
      }
    } catch (caught) {
      items.push(failure(action, head, toHttpError(caught)))
    }
  }
  await flush()
  return { took: Math.round(performance.now() - started), errors: items.some((item) => 'error' in Object.values(item)[0]), items }
}

/** A 20-character random document id, as Elasticsearch generates for documents sent without one. */
export function generateId(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 20)
}

/** `update` with `doc` (merged into the stored source) and optional `doc_as_upsert`. */
async function update(index: SparseIndex, id: string, body: Json): Promise<Json> {
  for (const key of Object.keys(body)) {
    if (key !== 'doc' && key !== 'doc_as_upsert') throw new HttpError(400, 'action_request_validation_exception', `update option [${key}] is not supported (only doc and doc_as_upsert)`)
  }
  if (!isObject(body.doc)) throw new HttpError(400, 'action_request_validation_exception', 'update needs a "doc" object')
  const patch = body.doc
  const { existed, result } = await index.update(id, (current) => {
    if (!current && body.doc_as_upsert !== true) return undefined
    return documentWithId(id, current ? deepMerge(current, patch) : patch, `document [${id}]`)
  })
  if (!result) throw new HttpError(404, 'document_missing_exception', `[${id}]: document missing`)
  const outcome = !existed ? 'created' : result.unchanged > 0 ? 'noop' : 'updated'
  return { result: outcome, status: outcome === 'created' ? 201 : 200 }
}

/** Elasticsearch's partial-document merge: objects merge recursively, everything else replaces. */
export function deepMerge(target: Json, patch: Json): Json {
  const out: Json = { ...target }
  for (const [key, value] of Object.entries(patch)) {
    out[key] = isObject(value) && isObject(out[key]) ? deepMerge(out[key] as Json, value) : value
  }
  return out
}

function failure(action: string, head: Json, error: HttpError): Item {
  return { [action]: { _index: head._index, _id: head._id, status: error.status, error: { type: error.type, reason: error.message } } }
}
