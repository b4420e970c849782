/**
 * `_mget`, as Elasticsearch's multi get API answers it: the body's `docs` (`_index`, `_id`,
 * `_source`, `version` + `version_type` per document) or `ids` (with the index of the path), one
 * answer per requested document, in order, each naming the concrete index (an alias's). Each index is read through one reader (one committed state, one LevelDB
 * read for all its documents), and an index that cannot be read is an error in its documents'
 * answers, not in the request's.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-multi-get.html
 * @module
 */
import { PRIMARY_TERM, type DocVersion, type Hit, type SparseIndex } from '../engine/sparse-index.js'
import { documentId } from './bulk.js'
import { badRequest, errorBody, HttpError } from './http-error.js'
import { isObject, type Json } from './json.js'
import { sourceFilter, type SourceFilter } from '../engine/source-filter.js'
import { conflictError } from './bulk.js'
import { validationFailed } from './url-params.js'

/** One document a multi get asks for. */
export interface GetItem {
  index: string
  id: string
  filter: SourceFilter
  /** The version the document must be at (`version`), else a conflict. */
  version?: number
}

/** Keys of a `docs` entry: the document, its `_source`, its expected version, and routing (no effect on one node). */
const DOC_KEYS = ['_index', '_id', '_source', 'version', 'version_type', 'routing', '_routing']

/** Elasticsearch's `version` when none is given (Versions.MATCH_ANY). */
const MATCH_ANY = -3

/**
 * The version a get expects (`version` + `version_type` of `GET /{index}/_doc/{id}` or of an
 * `_mget` document), validated as Elasticsearch's GetRequest: a long, above 0 for internal
 * versioning (the default), 0 or more for `external` / `external_gt` / `external_gte`.
 * @returns undefined when no version is given
 * @throws HttpError 400 naming the bad value
 */
export function readVersion(version: unknown, versionType: unknown): number | undefined {
  const typeName = versionType === undefined ? 'internal' : String(versionType)
  if (!['internal', 'external', 'external_gt', 'external_gte'].includes(typeName)) {
    throw badRequest(typeName === 'force' ? 'version type [force] may no longer be used' : `No version type match [${typeName.slice(0, 100)}]`)
  }
  if (version === undefined) return undefined
  const n = typeof version === 'string' && /^-?\d+$/.test(version) ? Number(version) : version
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw badRequest(`Failed to parse long parameter [version] with value [${String(version).slice(0, 100)}]`)
  if (n === MATCH_ANY) return undefined
  const external = typeName !== 'internal'
  if (external ? n < 0 : n <= 0) throw validationFailed([`illegal version value [${n}] for version type [${external ? typeName.replace('external_gt', 'external').toUpperCase() : 'INTERNAL'}]`])
  return n
}

/**
 * A realtime get's version check: a found document at another version than the one asked for is
 * Elasticsearch's 409 (VersionType.explainConflictForReads; every version type compares equality
 * for reads). A missing document is just not found.
 */
export function checkReadVersion(id: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && current !== expected) {
    throw conflictError(id, { reason: `current version [${current}] is different than the one provided [${expected}]` })
  }
}


/**
 * The documents a multi get body asks for.
 * @param pathIndex - the index of `/{index}/_mget`: the default of `docs`, required by `ids`
 * @param urlSource - the URL's `_source*` parameters: the `_source` of documents that name none
 * @throws HttpError 400 naming the key or document that is wrong; nothing is read then
 */
export function parseMultiGet(body: Json, pathIndex: string | undefined, urlSource: unknown): GetItem[] {
  const items: Array<{ index?: string; id: string; source: unknown; version?: number }> = []
  for (const [key, value] of Object.entries(body)) {
    if (key === 'docs' && Array.isArray(value)) {
      for (const doc of value) items.push(docOf(doc, items.length))
    } else if (key === 'ids' && Array.isArray(value)) {
      for (const id of value) {
        // Elasticsearch takes any scalar (a number is its text); an object or array is no id.
        if (isObject(id) || Array.isArray(id)) throw badRequest('ids array element should only contain ids')
        items.push({ id: idOf(id, items.length), source: urlSource })
      }
    } else {
      throw new HttpError(400, 'parse_exception', `unknown key [${key}] for a multi get request${key === 'docs' || key === 'ids' ? ' (it must be an array)' : ''}, expected [docs] or [ids]`)
    }
  }
  if (items.length === 0) throw validationFailed(['no documents to get'])
  // Filters are parsed once per distinct spec: ten thousand ids share the URL's.
  const filters = new Map<unknown, SourceFilter>()
  return items.map(({ index, id, source, version }, i) => {
    const name = index ?? pathIndex
    if (name === undefined) throw validationFailed([`index is missing for doc ${i}`])
    let filter = filters.get(source)
    if (!filter) filters.set(source, (filter = sourceFilter(source)))
    return { index: name, id, filter, ...(version === undefined ? {} : { version }) }
  })

  function docOf(doc: unknown, at: number): { index?: string; id: string; source: unknown; version?: number } {
    if (!isObject(doc)) throw new HttpError(400, 'parse_exception', 'docs array element should include an object')
    const unknown = Object.keys(doc).find((key) => !DOC_KEYS.includes(key))
    if (unknown !== undefined) throw new HttpError(400, 'parse_exception', `failed to parse multi get request. unknown field [${unknown}] (lsr takes ${DOC_KEYS.join(', ')})`)
    if (doc._index !== undefined && typeof doc._index !== 'string') throw new HttpError(400, 'parse_exception', `[_index] of doc ${at} must be a string`)
    const version = readVersion(doc.version, doc.version_type)
    return { index: doc._index as string | undefined, id: idOf(doc._id, at), source: doc._source ?? urlSource, ...(version === undefined ? {} : { version }) }
  }
}

/** A requested id: a string or a number (its text); missing or null is Elasticsearch's validation error. */
function idOf(raw: unknown, at: number): string {
  if (raw === undefined || raw === null) throw validationFailed([`id is missing for doc ${at}`])
  return documentId(typeof raw === 'boolean' ? String(raw) : raw)
}

/**
 * Reads the documents: `{docs: [{_index, _id, _version, _seq_no, _primary_term, found, _source}]}` in the request's
 * order; a document of an index that cannot be opened, or found at another version than its
 * `version`, answers `{_index, _id, error}`.
 * @param lookup - opens an index by name (404 when missing): the concrete index's name and the index
 * @param errorOf - how a failure becomes a document's error
 */
export async function multiGet(items: readonly GetItem[], lookup: (name: string) => Promise<[string, SparseIndex]>, errorOf: (error: unknown) => HttpError): Promise<Json> {
  const docs: Json[] = new Array(items.length)
  const byIndex = new Map<string, number[]>()
  items.forEach(({ index }, i) => {
    const positions = byIndex.get(index)
    if (positions) positions.push(i)
    else byIndex.set(index, [i])
  })
  for (const [requested, positions] of byIndex) {
    let opened: [string, SparseIndex]
    try {
      opened = await lookup(requested)
    } catch (error) {
      const { error: body } = errorBody(errorOf(error))
      for (const at of positions) docs[at] = { _index: requested, _id: items[at].id, error: body }
      continue
    }
    // Through an alias: the concrete index, as Elasticsearch names it.
    const [name, index] = opened
    const reader = index.reader()
    try {
      // Which ids are live and their versions, at the reader's moment (synchronous), then their sources in one read.
      const found: Array<{ at: number; hit: Hit; version: DocVersion }> = []
      for (const at of positions) {
        const docId = reader.docId(items[at].id)
        if (docId === undefined) {
          docs[at] = { _index: name, _id: items[at].id, found: false }
          continue
        }
        const version = reader.version(docId)
        try {
          checkReadVersion(items[at].id, version.version, items[at].version)
          found.push({ at, hit: { id: items[at].id, docId, score: 0 }, version })
        } catch (error) {
          docs[at] = { _index: name, _id: items[at].id, error: errorBody(errorOf(error)).error }
        }
      }
      const read = await reader.withSources(found.map(({ hit }) => hit))
      found.forEach(({ at, version: { version, seqNo } }, j) => {
        const filtered = items[at].filter(read[j].source)
        docs[at] = { _index: name, _id: items[at].id, _version: version, _seq_no: seqNo, _primary_term: PRIMARY_TERM, found: true, ...(filtered ? { _source: filtered } : {}) }
      })
    } finally {
      reader.release()
    }
  }
  return { docs }
}
