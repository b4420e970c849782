/**
 * Query values of typed fields: exact terms and range bounds, read as the field's type reads them
 * (src/mapping), so that `term {price: "19.50"}` finds a stored 19.5 and a date range compares
 * epoch milliseconds.
 * @module
 */
import { parseDateMath, queryNumber, termValue, type LeafField } from '../../mapping/index.js'
import { LsrError } from '../../errors.js'
import type { RoaringBitmap32 } from '../../storage/roaring.js'
import type { Json } from '../json-shapes.js'
import type { QueryContext } from './context.js'

/** The canonical exact term of a query value for a keyword/numeric/date/boolean field. */
export function exactValue(field: LeafField, value: unknown, path: string): string {
  return termValue(field, value, path)
}

/** One bound of a range: the value as a number on the field's scale. */
function bound(field: LeafField, path: string, value: unknown, roundUp: boolean, spec: Json, now: number): number {
  if (field.type === 'date') {
    if (spec.format !== undefined && typeof spec.format !== 'string') throw new LsrError('query_parsing', `[range] format of [${path}] must be a string`)
    if (spec.time_zone !== undefined && typeof spec.time_zone !== 'string') throw new LsrError('query_parsing', `[range] time_zone of [${path}] must be a string`)
    const formats = typeof spec.format === 'string' ? [spec.format] : field.formats
    const text = typeof value === 'number' ? String(value) : value
    if (typeof text !== 'string') throw new LsrError('query_parsing', `[range] bound of [${path}] must be a date string or a number`)
    return parseDateMath(text, formats, now, roundUp, spec.time_zone as string | undefined)
  }
  if (spec.format !== undefined || spec.time_zone !== undefined) throw new LsrError('invalid_argument', `[range] format and time_zone apply to date fields; [${path}] is a [${field.type}] field`)
  if (field.type === 'boolean') return termValue(field, value, path) === 'true' ? 1 : 0
  if (field.type === 'text' || field.type === 'keyword') throw new LsrError('invalid_argument', `[range] on [${path}] of type [${field.type}] is not supported`)
  return queryNumber(field, value, path)
}

/**
 * Documents with a value of a numeric, date or boolean field in the range (`gt`/`gte`/`lt`/`lte`;
 * date bounds with `format`, `time_zone` and date math, rounded as Elasticsearch rounds them:
 * `gt` and `lte` up, `gte` and `lt` down).
 */
export function rangeBitmap(ctx: QueryContext, path: string, field: LeafField, spec: Json, now: number): RoaringBitmap32 {
  if (field.type === 'text' || field.type === 'keyword') {
    throw new LsrError('invalid_argument', `[range] on [${path}] of type [${field.type}] is not supported (numeric, date and boolean fields)`)
  }
  if (spec.gt !== undefined && spec.gte !== undefined) throw new LsrError('query_parsing', `[range] [${path}] has both gt and gte`)
  if (spec.lt !== undefined && spec.lte !== undefined) throw new LsrError('query_parsing', `[range] [${path}] has both lt and lte`)
  const lower = spec.gt ?? spec.gte
  const upper = spec.lt ?? spec.lte
  const from = lower === undefined || lower === null ? -Infinity : bound(field, path, lower, spec.gt !== undefined, spec, now)
  const to = upper === undefined || upper === null ? Infinity : bound(field, path, upper, spec.lte !== undefined, spec, now)
  return ctx.numericRange(path, from, spec.gt === undefined, to, spec.lt === undefined)
}
