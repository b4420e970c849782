/**
 * `histogram` and `date_histogram`: a bucket per interval holding a value of the field (a document
 * once per bucket), empty buckets filled between the first and last (`min_doc_count` 0, the
 * default) and out to `extended_bounds`, values outside `hard_bounds` left out.
 * @module
 */
import { LsrError } from '../../errors.js'
import { formatDate, parseTimeZone } from '../../mapping/index.js'
import type { Json } from '../json-shapes.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { AggregationParser, SubAggregations } from './aggregator.js'
import { calendarRounding, calendarUnit, fixedInterval, fixedRounding, signedTimeValue, type Rounding } from './date-rounding.js'
import { javaDouble } from './metrics.js'
import { AggOptions, parsing } from './options.js'
import { comparator, parseOrder, type Order } from './terms.js'
import { aggField, fieldKey, forEachDoc, MAX_BUCKETS, tooManyBuckets, numericLeaf, scopeValues, withDocs, type AggField, type AggRun, type Scopes } from './scope.js'

interface Bounds {
  min?: number
  max?: number
}

/** What both histograms share once their rounding is known. */
interface HistogramSpec {
  name: string
  minDocCount: number
  extended?: Json
  hard?: Json
  missing: unknown
  keyed: boolean
  orders: Order[]
  where: string
  subs: SubAggregations
}

function histogramSpec(options: AggOptions, where: string, subs: SubAggregations): HistogramSpec {
  if (options.has('script')) throw parsing(`${where}: [script] is not supported (lsr does not run scripts)`)
  return {
    name: options.field()!,
    minDocCount: options.count('min_doc_count', 0),
    extended: options.object('extended_bounds'),
    hard: options.object('hard_bounds'),
    missing: options.raw('missing'),
    keyed: options.boolean('keyed', false),
    orders: parseOrder(options.raw('order'), where, subs, [{ by: '_key', asc: true }]),
    where,
    subs,
  }
}

function boundsOf(spec: Json | undefined, field: AggField, where: string, what: string): Bounds | undefined {
  if (!spec) return undefined
  for (const key of Object.keys(spec)) if (key !== 'min' && key !== 'max') throw parsing(`${where}: [${what}] takes min and max, not [${key}]`)
  const read = (key: 'min' | 'max') => (spec[key] === undefined || spec[key] === null ? undefined : (fieldKey(field, spec[key], where, `${what}.${key}`) as number))
  const bounds = { min: read('min'), max: read('max') }
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    throw new LsrError('invalid_argument', `${where}: [${what}.min][${bounds.min}] cannot be greater than [${what}.max][${bounds.max}]`)
  }
  return bounds
}

interface Bucket {
  key: number
  count: number
  docs?: number[][]
  subs?: Json
}

/** Buckets of the scopes' documents by the rounding of their values. */
function bucketsOf(scopes: Scopes, field: AggField, rounding: Rounding, spec: HistogramSpec): Bucket[] {
  const hard = boundsOf(spec.hard, field, spec.where, 'hard_bounds')
  const extended = boundsOf(spec.extended, field, spec.where, 'extended_bounds')
  const missing = spec.missing === undefined ? undefined : (fieldKey(field, spec.missing, spec.where, 'missing') as number)
  const inside = (v: number) => (hard?.min === undefined || v >= hard.min) && (hard?.max === undefined || v < hard.max)
  const withDocLists = spec.subs.names.length > 0
  const byKey = new Map<number, Bucket>()
  const keysOfDoc: number[] = []
  scopes.forEach((scope, at) => {
    const values = scopeValues(scope, field)
    const add = (doc: number, value: number) => {
      if (!inside(value)) return
      const key = rounding.round(value)
      if (keysOfDoc.includes(key)) return
      keysOfDoc.push(key)
      let bucket = byKey.get(key)
      if (!bucket) {
        // Every bucket made here is shown (its count is at least 1): refused before a narrow interval fills memory.
        if (byKey.size >= MAX_BUCKETS && spec.minDocCount <= 1) throw tooManyBuckets(byKey.size + 1)
        byKey.set(key, (bucket = { key, count: 0, docs: withDocLists ? scopes.map(() => []) : undefined }))
      }
      bucket.count++
      bucket.docs?.[at].push(doc)
    }
    if (values?.family === 'number') {
      const all = values.rows.values
      forEachDoc(scope.docs, values.rows, (doc, start, end) => {
        keysOfDoc.length = 0
        for (let i = start; i < end; i++) add(doc, all[i])
        if (start === end && missing !== undefined) add(doc, missing)
      })
    } else if (missing !== undefined) {
      for (const doc of scope.docs.toArray()) {
        keysOfDoc.length = 0
        add(doc, missing)
      }
    }
  })
  const buckets = [...byKey.values()]
  if (spec.minDocCount === 0) fillEmpty(buckets, byKey, rounding, extended, hard, scopes.length, withDocLists)
  return buckets.filter((b) => b.count >= spec.minDocCount)
}

/** Adds the empty buckets between the first and last key, out to the extended bounds (within the hard ones). */
function fillEmpty(buckets: Bucket[], byKey: Map<number, Bucket>, rounding: Rounding, extended: Bounds | undefined, hard: Bounds | undefined, scopes: number, withDocLists: boolean): void {
  let first = Infinity
  let last = -Infinity
  for (const { key } of buckets) {
    first = Math.min(first, key)
    last = Math.max(last, key)
  }
  if (extended?.min !== undefined) first = Math.min(first, rounding.round(extended.min))
  if (extended?.max !== undefined) last = Math.max(last, rounding.round(extended.max))
  if (hard?.min !== undefined) first = Math.max(first, rounding.round(hard.min))
  if (hard?.max !== undefined) last = Math.min(last, rounding.round(hard.max))
  if (!Number.isFinite(first) || !Number.isFinite(last)) return
  let made = 0
  for (let key = first; key <= last; key = rounding.next(key)) {
    // Checked while walking: a tiny interval over a wide range must fail before it allocates.
    if (++made > MAX_BUCKETS) throw tooManyBuckets(made)
    if (!byKey.has(key)) {
      const bucket = { key, count: 0, docs: withDocLists ? Array.from({ length: scopes }, () => []) : undefined }
      byKey.set(key, bucket)
      buckets.push(bucket)
    }
  }
}

/** Orders, runs sub-aggregations and renders the buckets. */
function render(scopes: Scopes, buckets: Bucket[], spec: HistogramSpec, run: AggRun, keyJson: (key: number) => Json, keyedName: (key: number) => string): Json {
  run.addBuckets(buckets.length)
  const bySubAggregation = spec.orders.some((o) => o.by === 'path')
  const runSubs = (bucket: Bucket) => {
    bucket.subs = spec.subs.run(withDocs(scopes, bucket.docs!.map((docs) => new RoaringBitmap32(docs))), run)
  }
  if (bySubAggregation) buckets.forEach(runSubs)
  buckets.sort(comparator(spec.orders, spec.where))
  if (!bySubAggregation && spec.subs.names.length > 0) buckets.forEach(runSubs)
  const rendered = buckets.map((b) => ({ ...keyJson(b.key), doc_count: b.count, ...b.subs }))
  if (!spec.keyed) return { buckets: rendered }
  const keyed: Json = {}
  buckets.forEach((b, i) => (keyed[keyedName(b.key)] = rendered[i]))
  return { buckets: keyed }
}

export const histogram: AggregationParser = (body, where, subs) => {
  const options = new AggOptions(body, where)
  const interval = options.number('interval')
  if (interval === undefined || !(interval > 0)) throw parsing(`${where}: [interval] must be a number greater than 0`)
  const offset = options.number('offset', 0)
  const spec = histogramSpec(options, where, subs)
  options.done()
  // Keys as Elasticsearch computes them: floor((value - offset) / interval) x interval + offset.
  const keyOf = (i: number) => i * interval + offset
  const rounding: Rounding = {
    round: (v) => keyOf(Math.floor((v - offset) / interval)),
    next: (key) => keyOf(Math.round((key - offset) / interval) + 1),
  }
  return {
    run(scopes, run) {
      const field = aggField(scopes, spec.name, 'histogram', numericLeaf)
      return render(scopes, bucketsOf(scopes, field, rounding, spec), spec, run, (key) => ({ key }), javaDouble)
    },
  }
}

export const dateHistogram: AggregationParser = (body, where, subs) => {
  const options = new AggOptions(body, where)
  if (options.has('interval')) throw parsing(`${where}: [interval] was removed from date_histogram: use [calendar_interval] or [fixed_interval]`)
  const calendar = options.string('calendar_interval')
  const fixed = options.string('fixed_interval')
  if ((calendar === undefined) === (fixed === undefined)) throw parsing(`${where}: one of [calendar_interval] or [fixed_interval] is required`)
  const timeZone = options.string('time_zone')
  const zone = timeZone === undefined ? 0 : parseTimeZone(timeZone)
  const offsetSpec = options.raw('offset')
  const offset = offsetSpec === undefined ? 0 : typeof offsetSpec === 'number' && Number.isInteger(offsetSpec) ? offsetSpec : signedTimeValue(String(offsetSpec), where)
  const format = options.string('format')
  const spec = histogramSpec(options, where, subs)
  options.done()
  const rounding = calendar !== undefined ? calendarRounding(calendarUnit(calendar, where), zone, offset) : fixedRounding(fixedInterval(fixed!, where), zone, offset)
  return {
    run(scopes, run) {
      const field = aggField(scopes, spec.name, 'date_histogram', (leaf) => leaf.type === 'date')
      const formats = format ?? (field.leaf?.type === 'date' ? field.leaf.formats : 'strict_date_optional_time')
      const asString = (key: number) => formatDate(key, formats, timeZone)
      return render(scopes, bucketsOf(scopes, field, rounding, spec), spec, run, (key) => ({ key_as_string: asString(key), key }), asString)
    },
  }
}
