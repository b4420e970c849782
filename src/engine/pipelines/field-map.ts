/**
 * The `field_map` of OpenSearch's inference processors: which text fields of a document are
 * encoded, and where each vector goes. Read as OpenSearch's InferenceProcessor reads it:
 *
 * - `{"text": "text_embedding"}`: the top-level `text` is encoded into `text_embedding`.
 * - `{"a.b": "t"}` or `{"a": {"b": "t"}}` (the same map): `a.b` is encoded into `a.t` (the
 *   target sits beside its text); when `a` is a list of objects, each object's `b` is.
 * - A text field holding a list of strings gets a list of `{"sparse_encoding": vector}` objects.
 * - A missing, null or blank text is skipped; a number, a list holding null, a nested list, or
 *   an object where the map names text is that document's failure, in OpenSearch's words.
 *
 * Dotted keys on the map's paths are expanded into objects first (`{"a.b": "x"}` becomes
 * `{"a": {"b": "x"}}`), as OpenSearch does before it reads the texts (it expands every key).
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'
import { defineValue, fieldPathProblem, ownValue, setField, typeName } from './document-paths.js'

/** A parsed field map: text field -> target path, or -> the map of the object it holds. */
export type FieldMap = Map<string, string | FieldMap>

/** Texts of one document to encode, and how their vectors are written back. */
export interface TextSlot {
  texts: string[]
  write(vectors: Json[]): void
}

/** OpenSearch's key of a list element's vector (SparseEncodingProcessor.LIST_TYPE_NESTED_MAP_KEY). */
const LIST_ITEM_KEY = 'sparse_encoding'

const fail = (message: string) => new LsrError('invalid_argument', message)

/**
 * Parses a `field_map` option (its dotted keys unflattened).
 * @param where - the option's path, for messages
 * @throws LsrError `invalid_argument` for an empty map, a blank key or target, a target that is
 *   not a string or a map, a metadata field, or keys that overlap (`a` and `a.b`)
 */
export function parseFieldMap(raw: Json, where: string, top = true): FieldMap {
  const map: FieldMap = new Map()
  if (Object.keys(raw).length === 0) throw fail(`${where} must map at least one text field to a target field`)
  for (const [key, target] of Object.entries(raw)) {
    const at = `${where}[${key}]`
    const parts = key.split('.')
    if (parts.some((part) => part.trim() === '')) throw fail(`${at}: field name [${key}] contains invalid dot usage`)
    const metadata = top ? fieldPathProblem(key) : undefined
    if (metadata !== undefined) throw fail(`${at}: ${metadata}`)
    let value: string | FieldMap
    if (typeof target === 'string') {
      const problem = target.trim() === '' ? 'the target field must not be blank' : fieldPathProblem(target)
      if (problem !== undefined) throw fail(`${at}: ${problem}`)
      value = target
    } else if (isObject(target)) value = parseFieldMap(target, at, false)
    else throw fail(`${at} must be a target field name or a map of the object's fields, got ${typeName(target)}`)
    insert(map, parts, value, at)
  }
  return map
}

/** Puts `value` at `parts` in `map`, merging maps; a text and a map at one key overlap. */
function insert(map: FieldMap, parts: string[], value: string | FieldMap, at: string): void {
  const [head, ...rest] = parts
  const incoming = rest.reduceRight<string | FieldMap>((inner, part) => new Map([[part, inner]]), value)
  const existing = map.get(head)
  if (existing === undefined) return void map.set(head, incoming)
  if (typeof existing === 'string' || typeof incoming === 'string') throw fail(`${at} overlaps another entry of the field map at [${head}]`)
  for (const [key, inner] of incoming) insert(existing, [key], inner, at)
}

/**
 * The texts a document holds under the field map, and their writers.
 * @throws LsrError `invalid_argument` (the document's failure) for values that cannot be encoded
 */
export function textSlots(source: Json, map: FieldMap): TextSlot[] {
  const slots: TextSlot[] = []
  collect(source, map, slots)
  return slots
}

function collect(node: Json, map: FieldMap, slots: TextSlot[]): void {
  for (const [key, target] of map) {
    const value = ownValue(node, key)
    if (value === undefined || value === null) continue
    if (typeof target === 'string') {
      if (typeof value === 'string') {
        if (value.trim() !== '') slots.push({ texts: [value], write: ([vector]) => setField(node, target, vector) })
      } else if (Array.isArray(value)) {
        const texts = value.map((item) => listText(item, key))
        if (texts.length > 0) slots.push({ texts, write: (vectors) => setField(node, target, vectors.map((vector) => ({ [LIST_ITEM_KEY]: vector }))) })
      } else if (isObject(value)) {
        throw fail(`[${key}] configuration doesn't match actual value type, configuration type is: string, actual value type is: object`)
      } else {
        throw fail(`map type field [${key}] is neither string nor nested type, cannot process it`)
      }
    } else if (isObject(value)) {
      collect(value, target, slots)
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (!isObject(item)) listText(item, key, 'object')
        else collect(item, target, slots)
      }
    } else {
      throw fail(`[${key}] configuration doesn't match actual value type, configuration type is: map, actual value type is: ${typeName(value)}`)
    }
  }
}

/** A list element that must be a string (or an object, where the map describes objects). */
function listText(item: unknown, key: string, expected: 'string' | 'object' = 'string'): string {
  if (item === null) throw fail(`list type field [${key}] has null, cannot process it`)
  if (Array.isArray(item)) throw fail(`list type field [${key}] is nested list type, cannot process it`)
  if (expected === 'string' && typeof item === 'string') return item
  throw fail(`list type field [${key}] has non ${expected} value, cannot process it`)
}

/**
 * The document with dotted keys expanded into objects along the field map's paths (arrays
 * included), so that `{"a.b": "x"}` is found as `a.b`. OpenSearch unflattens the whole document;
 * lsr leaves keys off the map's paths as they are, because a learned vector already in the
 * document has tokens such as `.` or `u.s` as keys, which unflattening would refuse or split.
 * @throws LsrError `invalid_argument` when a dotted key on the map's paths is malformed or meets a value that is not an object
 */
export function expandDottedKeys(value: unknown, map: FieldMap): unknown {
  if (Array.isArray(value)) return value.map((item) => expandDottedKeys(item, map))
  if (!isObject(value)) return value
  const out: Json = {}
  for (const [key, item] of Object.entries(value)) {
    const parts = key.split('.')
    if (!map.has(parts[0])) {
      merge(out, key, item, key)
      continue
    }
    if (parts.some((part) => part.trim() === '')) throw fail(`Field name '${key}' contains invalid dot usage`)
    let at = out
    let inner: string | FieldMap | undefined = map
    for (const part of parts.slice(0, -1)) {
      inner = inner instanceof Map ? inner.get(part) : undefined
      const next = ownValue(at, part)
      if (next === undefined) defineValue(at, part, (at = {}))
      else if (isObject(next)) at = next
      else throw fail(`field [${key}] cannot be expanded: [${part}] holds a ${typeName(next)}`)
    }
    const last = inner instanceof Map ? inner.get(parts[parts.length - 1]) : undefined
    merge(at, parts[parts.length - 1], last instanceof Map ? expandDottedKeys(item, last) : item, key)
  }
  return out
}

/** Puts a value under `key`; two objects there merge, anything else there is a conflict. */
function merge(target: Json, key: string, value: unknown, path: string): void {
  const existing = ownValue(target, key)
  if (existing === undefined) return defineValue(target, key, value)
  if (!isObject(existing) || !isObject(value)) throw fail(`field [${path}] is given twice (once with a dotted name)`)
  for (const [inner, item] of Object.entries(value)) merge(existing, inner, item, `${path}.${inner}`)
}
