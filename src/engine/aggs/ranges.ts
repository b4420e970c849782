/**
 * `range` and `date_range`: a bucket per range of values, `from` included, `to` excluded; a
 * document counts once in each range one of its values falls into. A range is a bitmap from the
 * field's value-sorted column (storage/columns.ts) ANDed with the bucket's documents.
 * @module
 */
import { LsrError } from '../../errors.js'
import { formatDate } from '../../mapping/index.js'
import type { Json } from '../json-shapes.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { AggregationParser } from './aggregator.js'
import { javaDouble } from './metrics.js'
import { AggOptions, parsing, numeric } from './options.js'
import { keyedObject, aggField, dateBound, docCount, docsMissing, fieldKey, numericLeaf, withDocs, type AggField, type AggScope } from './scope.js'

/** A range as the request gives it (bounds not yet read: date math needs the field and the clock). */
interface RangeSpec {
  from?: unknown
  to?: unknown
  key?: string
}

function rangesOf(value: unknown, where: string): RangeSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw parsing(`${where}: [ranges] must be a non-empty array of {from, to, key}`)
  return value.map((range, i) => {
    if (range === null || typeof range !== 'object' || Array.isArray(range)) throw parsing(`${where}: [ranges][${i}] must be an object`)
    for (const key of Object.keys(range)) if (!['from', 'to', 'key'].includes(key)) throw parsing(`${where}: [ranges][${i}] unknown option [${key}]`)
    const { from, to, key } = range as Json
    if (key !== undefined && typeof key !== 'string') throw parsing(`${where}: [ranges][${i}].key must be a string`)
    return { from: from ?? undefined, to: to ?? undefined, key: key as string | undefined }
  })
}

/** The documents of a scope with a value in [from, to). */
function docsInRange(scope: AggScope, field: AggField, from: number, to: number, missing: number | undefined): RoaringBitmap32 {
  const column = field.leaf && scope.reader.schema?.field(field.name) ? scope.reader.column(field.name) : undefined
  const docs = column?.kind === 'number' ? column.range(from, true, to, false).andInPlace(scope.docs) : new RoaringBitmap32()
  if (missing !== undefined && missing >= from && missing < to) docs.orInPlace(docsMissing(scope, field))
  return docs
}

function rangeAggregation(agg: 'range' | 'date_range'): AggregationParser {
  return (body, where, subs) => {
    const options = new AggOptions(body, where)
    options.noScript()
    const name = options.field()!
    const specs = rangesOf(options.raw('ranges'), where)
    const keyed = options.boolean('keyed', false)
    const missing = options.raw('missing')
    const format = agg === 'date_range' ? options.string('format') : undefined
    const timeZone = agg === 'date_range' ? options.string('time_zone') : undefined
    options.done()
    return {
      run(scopes, run) {
        const field = aggField(scopes, name, agg, agg === 'date_range' ? (leaf) => leaf.type === 'date' : numericLeaf)
        const dates = agg === 'date_range'
        const formats = format ?? (field.leaf?.type === 'date' ? field.leaf.formats : ['strict_date_optional_time'])
        const bound = (value: unknown, what: string): number | undefined => {
          if (value === undefined) return undefined
          if (dates && typeof value === 'string') return dateBound(value, formats, run, timeZone)
          const n = numeric(value)
          if (typeof n !== 'number' || !Number.isFinite(n)) throw new LsrError('invalid_argument', `${where}: [${what}] must be a number${dates ? ' or a date' : ''}, got ${JSON.stringify(value)?.slice(0, 80)}`)
          return n
        }
        const missingValue = missing === undefined ? undefined : (fieldKey(field, missing, where, 'missing') as number)
        const show = (n: number) => (dates ? formatDate(n, formats, timeZone) : javaDouble(n))
        const ranges = specs
          .map((spec, i) => ({ ...spec, from: bound(spec.from, `ranges][${i}].from`), to: bound(spec.to, `ranges][${i}].to`) }))
          // Elasticsearch orders the buckets by from, then to (an absent from first, an absent to last).
          .sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity) || (a.to ?? Infinity) - (b.to ?? Infinity))
        run.addBuckets(ranges.length)
        const buckets = ranges.map((range) => {
          const docs = scopes.map((scope) => docsInRange(scope, field, range.from ?? -Infinity, range.to ?? Infinity, missingValue))
          const key = range.key ?? `${range.from === undefined ? '*' : show(range.from)}-${range.to === undefined ? '*' : show(range.to)}`
          const out: Json = { key }
          if (range.from !== undefined) {
            out.from = range.from
            if (dates) out.from_as_string = show(range.from)
          }
          if (range.to !== undefined) {
            out.to = range.to
            if (dates) out.to_as_string = show(range.to)
          }
          out.doc_count = docCount(docs)
          return { key, json: { ...out, ...subs.run(withDocs(scopes, docs), run) } }
        })
        if (!keyed) return { buckets: buckets.map((b) => b.json) }
        const byKey: Json = keyedObject()
        for (const { key, json } of buckets) {
          const { key: _key, ...rest } = json
          byKey[key] = rest
        }
        return { buckets: byKey }
      },
    }
  }
}

export const range = rangeAggregation('range')
export const dateRange = rangeAggregation('date_range')
