/**
 * Elasticsearch's `sort` and `search_after` against one view of an index: `_score` (either order),
 * `_doc`, and keyword/numeric/date/boolean fields by their doc values, with `order`, `missing`
 * (`_first`/`_last`) and `mode` (`min`/`max`). Sorting on a text field is an error, as in
 * Elasticsearch (it would need fielddata).
 * @module
 */
import { LsrError } from '../../errors.js'
import type { SortKey, SortValue } from '../../search/sorted-search.js'
import type { IndexState } from '../../storage/index-state.js'
import { isObject } from '../json-shapes.js'
import type { Schema } from '../schema.js'
import { isSparse, parseDateMath, type LeafField } from '../../mapping/index.js'

/** A parsed sort: the keys the searcher ranks by, and each key's field (for search_after values). */
export interface ParsedSort {
  keys: SortKey[]
  fields: Array<LeafField | undefined>
  /** True when the sort is the default (score descending), which the fast path serves. */
  byScore: boolean
}

const parsing = (message: string) => new LsrError('query_parsing', message)

/** Parses a `sort` value: a string, an object or an array of them. */
export function parseSort(spec: unknown, schema: Schema | undefined, state: IndexState): ParsedSort {
  const list = Array.isArray(spec) ? spec : [spec]
  const keys: SortKey[] = []
  const fields: Array<LeafField | undefined> = []
  for (const entry of list) {
    let name: string
    let options: Record<string, unknown> = {}
    if (typeof entry === 'string') {
      name = entry
    } else if (isObject(entry) && Object.keys(entry).length === 1) {
      name = Object.keys(entry)[0]
      const value = entry[name]
      if (typeof value === 'string') options = { order: value }
      else if (isObject(value)) options = value
      else throw parsing(`[sort] option of [${name}] must be "asc", "desc" or an object`)
    } else {
      throw parsing('[sort] entries must be a field name or an object with one field')
    }
    for (const key of Object.keys(options)) {
      if (!['order', 'missing', 'mode', 'unmapped_type'].includes(key)) throw parsing(`[sort] option [${key}] of [${name}] is not supported`)
    }
    const order = options.order ?? (name === '_score' ? 'desc' : 'asc')
    if (order !== 'asc' && order !== 'desc') throw parsing(`[sort] order of [${name}] must be "asc" or "desc", got ${JSON.stringify(order)}`)
    const descending = order === 'desc'
    if (name === '_score' || name === '_doc') {
      if (options.missing !== undefined || options.mode !== undefined) throw parsing(`[sort] [${name}] takes only order`)
      keys.push({ by: name === '_score' ? 'score' : 'doc', descending })
      fields.push(undefined)
      continue
    }
    const field = schema?.field(name)
    if (!field) {
      if (options.unmapped_type === undefined) throw new LsrError('invalid_argument', `No mapping found for [${name}] in order to sort on`)
    } else if (field.type === 'text') {
      throw new LsrError('invalid_argument', `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${name}] in order to load field data by uninverting the inverted index. Note that this can use significant memory. (lsr does not support fielddata: sort on a keyword sub-field such as [${name}.keyword])`)
    } else if (isSparse(field) || !field.docValues) {
      throw new LsrError('invalid_argument', `Can't load fielddata on [${name}] because fielddata is unsupported on fields of type [${field.type}]. Use doc values instead.`)
    }
    const missing = options.missing ?? '_last'
    if (missing !== '_last' && missing !== '_first') throw new LsrError('invalid_argument', `[sort] missing of [${name}]: only _first and _last are supported`)
    const mode = options.mode ?? (descending ? 'max' : 'min')
    if (mode !== 'min' && mode !== 'max') throw new LsrError('invalid_argument', `[sort] mode [${String(mode)}] of [${name}] is not supported (min, max)`)
    // The searcher reads the maximum for descending keys and the minimum for ascending ones: a
    // mode against the order flips which of the two a key reads.
    keys.push({ by: 'field', column: field ? state.columns.get(name) : undefined, descending, missing: missing === '_first' ? 'first' : 'last', read: mode })
    fields.push(field)
  }
  const byScore = keys.length === 1 && keys[0].by === 'score' && keys[0].descending
  return { keys, fields, byScore }
}

/** Reads `search_after` values: one per sort key, numbers or strings as the keys return them (dates also as date strings). */
export function parseSearchAfter(values: unknown, sort: ParsedSort): SortValue[] {
  if (!Array.isArray(values)) throw parsing('[search_after] must be an array')
  if (values.length !== sort.keys.length) {
    throw new LsrError('invalid_argument', `search_after has ${values.length} value(s) but sort has ${sort.keys.length}`)
  }
  return values.map((value, i) => {
    const key = sort.keys[i]
    const field = sort.fields[i]
    if (value === null) return null
    if (key.by !== 'field') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw parsing(`[search_after] value ${i} must be a number for [_${key.by === 'score' ? 'score' : 'doc'}]`)
      return value
    }
    if (field?.type === 'keyword') {
      if (typeof value !== 'string') throw parsing(`[search_after] value ${i} must be a string (a keyword sort)`)
      return value
    }
    if (field?.type === 'date' && typeof value === 'string') return parseDateMath(value, field.formats, Date.now(), false)
    if (field?.type === 'boolean' && typeof value === 'boolean') return value ? 1 : 0
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof n !== 'number' || !Number.isFinite(n)) throw parsing(`[search_after] value ${i} must be a number`)
    return n
  })
}
