/**
 * Field paths in an ingest document's `_source`, read and written as Elasticsearch's
 * IngestDocument does: dots separate object keys, a number selects an array element, missing
 * objects are created on the way when setting, and failures are worded as Elasticsearch words
 * them (`field [x] not present as part of path [x.y]`). Keys are own properties only, and are
 * defined rather than assigned: a field named `__proto__` is a field.
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'

const fail = (message: string) => new LsrError('invalid_argument', message)

/** A JSON value's type as messages name it. */
export function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

/** An own key's value (undefined when absent). */
export function ownValue(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

/** Defines an own, enumerable key (assignment would treat `__proto__` as the prototype). */
export function defineValue(object: Json, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The segments of a path; `_source.` in front names the source itself, as in Elasticsearch. */
function segments(path: string): string[] {
  return (path.startsWith('_source.') ? path.slice('_source.'.length) : path).split('.')
}

/** An array index, or the failure Elasticsearch reports for it. */
function indexIn(list: unknown[], segment: string, path: string): number {
  const index = /^\d+$/.test(segment) ? Number(segment) : Number.NaN
  if (!Number.isSafeInteger(index)) throw fail(`[${segment}] is not an integer, cannot be used as an index as part of path [${path}]`)
  if (index >= list.length) throw fail(`[${index}] is out of bounds for array with length [${list.length}] as part of path [${path}]`)
  return index
}

/** One step down from `context` along `segment`, for reading. */
function step(context: unknown, segment: string, path: string): unknown {
  if (context === null || context === undefined) throw fail(`cannot resolve [${segment}] from null as part of path [${path}]`)
  if (Array.isArray(context)) return context[indexIn(context, segment, path)]
  if (!isObject(context)) throw fail(`cannot resolve [${segment}] from object of type [${typeName(context)}] as part of path [${path}]`)
  if (!Object.hasOwn(context, segment)) throw fail(`field [${segment}] not present as part of path [${path}]`)
  return context[segment]
}

/**
 * The value at `path`.
 * @throws LsrError `invalid_argument` worded as Elasticsearch's, when the path does not resolve
 */
export function getField(source: Json, path: string): unknown {
  return segments(path).reduce<unknown>((context, segment) => step(context, segment, path), source)
}

/** True when `path` resolves to a value (null included). */
export function hasField(source: Json, path: string): boolean {
  try {
    getField(source, path)
    return true
  } catch {
    return false
  }
}

/** The container of the last segment, for writing: missing objects are created on the way. */
function parentFor(source: Json, parts: string[], path: string): unknown {
  let context: unknown = source
  for (const segment of parts.slice(0, -1)) {
    if (isObject(context) && !Object.hasOwn(context, segment)) defineValue(context, segment, {})
    context = step(context, segment, path)
  }
  return context
}

/**
 * Sets the value at `path`, creating missing objects on the way.
 * @throws LsrError `invalid_argument` when a value on the way is not an object (or array)
 */
export function setField(source: Json, path: string, value: unknown): void {
  const parts = segments(path)
  const leaf = parts[parts.length - 1]
  const parent = parentFor(source, parts, path)
  if (parent === null || parent === undefined) throw fail(`cannot set [${leaf}] with null parent as part of path [${path}]`)
  if (Array.isArray(parent)) parent[indexIn(parent, leaf, path)] = value
  else if (isObject(parent)) defineValue(parent, leaf, value)
  else throw fail(`cannot set [${leaf}] with parent object of type [${typeName(parent)}] as part of path [${path}]`)
}

/**
 * Removes the value at `path`.
 * @throws LsrError `invalid_argument` when it is not there
 */
export function removeField(source: Json, path: string): void {
  const parts = segments(path)
  const leaf = parts[parts.length - 1]
  let context: unknown = source
  for (const segment of parts.slice(0, -1)) context = step(context, segment, path)
  if (context === null || context === undefined) throw fail(`cannot remove [${leaf}] from null as part of path [${path}]`)
  if (Array.isArray(context)) context.splice(indexIn(context, leaf, path), 1)
  else if (!isObject(context)) throw fail(`cannot remove [${leaf}] from object of type [${typeName(context)}] as part of path [${path}]`)
  else if (!Object.hasOwn(context, leaf)) throw fail(`field [${leaf}] not present as part of path [${path}]`)
  else delete context[leaf]
}

/**
 * Metadata fields of an Elasticsearch ingest document. lsr pipelines change `_source` only, so
 * a processor naming one of these is refused when the pipeline is defined.
 */
const METADATA_FIELDS = new Set(['_index', '_id', '_routing', '_version', '_version_type', '_if_seq_no', '_if_primary_term', '_ingest', '_source'])

/** Why a configured field path cannot be used, or undefined when it can. */
export function fieldPathProblem(path: string): string | undefined {
  if (path === '') return 'field path cannot be null nor empty'
  if (path.includes('{{')) return 'templates in field names are not supported by lsr'
  const parts = segments(path)
  if (parts.some((part) => part === '')) return `field path [${path}] has an empty part`
  if (METADATA_FIELDS.has(path.startsWith('_source.') ? '' : parts[0])) return `[${parts[0]}] is a metadata field: lsr pipelines change _source only`
  return undefined
}
