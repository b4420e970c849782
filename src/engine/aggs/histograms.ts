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
import { calendarRounding, calendarUnit, DAY, fixedInterval, fixedRounding, signedTimeValue, type Rounding } from './date-rounding.js'
import { javaDouble } from './metrics.js'
import { AggOptions, parsing } from './options.js'
import { comparator, parseOrder, type Order } from './terms.js'
import { keyedObject, aggField, dateBound, fieldKey, forEachDoc, MAX_BUCKETS, tooManyBuckets, numericLeaf, scopeValues, withDocs, type AggField, type AggRun, type Scopes } from './scope.js'

/** The widest span of days a day table covers (16 MiB); wider spans search the bucket starts. */
const MAX_TABLE_DAYS = 1 << 22

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
  options.noScript()
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

/** Reads a bound of `extended_bounds` or `hard_bounds` as the field's number. */
type BoundReader = (value: unknown, what: string) => number

function boundsOf(spec: Json | undefined, read: BoundReader, where: string, what: string): Bounds | undefined {
  if (!spec) return undefined
  for (const key of Object.keys(spec)) if (key !== 'min' && key !== 'max') throw parsing(`${where}: [${what}] takes min and max, not [${key}]`)
  const bound = (key: 'min' | 'max') => (spec[key] === undefined || spec[key] === null ? undefined : read(spec[key], `${what}.${key}`))
  const bounds = { min: bound('min'), max: bound('max') }
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

/**
 * Buckets of the scopes' documents by the rounding of their values.
 * @param inBounds - whether a value counts under `hard_bounds`, as Elasticsearch tests it (a numeric
 *   histogram its bucket number x interval within [min, max], a date histogram its bucket's start
 *   within the rounded [min, max))
 */
function bucketsOf(scopes: Scopes, field: AggField, rounding: Rounding, spec: HistogramSpec, readBound: BoundReader, inBounds: (hard: Bounds) => (v: number) => boolean): Bucket[] {
  const hard = boundsOf(spec.hard, readBound, spec.where, 'hard_bounds')
  const extended = boundsOf(spec.extended, readBound, spec.where, 'extended_bounds')
  if (hard && extended && ((hard.min !== undefined && extended.min !== undefined && extended.min < hard.min) || (hard.max !== undefined && extended.max !== undefined && extended.max > hard.max))) {
    const show = (b: Bounds) => `${b.min ?? ''}--${b.max ?? ''}`
    throw new LsrError('invalid_argument', `${spec.where}: Extended bounds have to be inside hard bounds, hard bounds: [${show(hard)}] extended bounds: [${show(extended)}]`)
  }
  const missing = spec.missing === undefined ? undefined : (fieldKey(field, spec.missing, spec.where, 'missing') as number)
  const inside = hard ? inBounds(hard) : undefined
  const withDocLists = spec.subs.names.length > 0
  const byKey = new Map<number, Bucket>()
  const slots = slotsOf(scopes, field, rounding, inside, missing)
  const dense: Array<Bucket | undefined> = []
  /** The bucket of a value (its slot's, or its rounded key's), made on first use. */
  const bucketOf = (value: number): Bucket => {
    const slot = slots ? slots.slot(value) : -1
    let bucket = slots ? dense[slot] : byKey.get(rounding.round(value))
    if (!bucket) {
      // Every bucket made here is shown (its count is at least 1): refused before a narrow interval fills memory.
      if (byKey.size >= MAX_BUCKETS && spec.minDocCount <= 1) throw tooManyBuckets(byKey.size + 1)
      const key = slots ? slots.key(slot) : rounding.round(value)
      bucket = { key, count: 0, docs: withDocLists ? scopes.map(() => []) : undefined }
      byKey.set(key, bucket)
      if (slots) dense[slot] = bucket
    }
    return bucket
  }
  scopes.forEach((scope, at) => {
    const values = scopeValues(scope, field)
    const rows = values?.family === 'number' ? values.rows : undefined
    const ids = scope.docs.toUint32Array()
    const covered = rows?.docs ?? 0
    for (let k = 0; k < ids.length; k++) {
      const doc = ids[k]
      const start = doc < covered ? rows!.starts[doc] : 0
      const end = doc < covered ? rows!.starts[doc + 1] : 0
      // A document counts once per bucket: its values are sorted (columns.ts), so a repeated bucket is the last one.
      let last: Bucket | undefined
      for (let i = start; i < (end > start ? end : start + (missing === undefined ? 0 : 1)); i++) {
        const value = end > start ? rows!.values[i] : missing!
        if (inside && !inside(value)) continue
        const bucket = bucketOf(value)
        if (bucket === last) continue
        last = bucket
        bucket.count++
        bucket.docs?.[at].push(doc)
      }
    }
  })
  const buckets = [...byKey.values()]
  if (spec.minDocCount === 0) fillEmpty(buckets, byKey, rounding, extended, hard, inside, scopes.length, withDocLists)
  return buckets.filter((b) => b.count >= spec.minDocCount)
}

/**
 * Bucket numbers for the values of the scopes without a rounding and a map lookup per value:
 * arithmetic for a numeric interval, else a binary search over the bucket starts between the
 * smallest and largest value (dates: integer millis, so the search finds exactly the rounding's
 * start). Undefined when the values span more buckets than may be shown.
 */
function slotsOf(scopes: Scopes, field: AggField, rounding: Rounding, inside: ((v: number) => boolean) | undefined, missing: number | undefined): { slot(v: number): number; key(slot: number): number } | undefined {
  let min = missing !== undefined && (!inside || inside(missing)) ? missing : Infinity
  let max = min === Infinity ? -Infinity : min
  for (const scope of scopes) {
    const values = scopeValues(scope, field)
    if (values?.family !== 'number') continue
    const all = values.rows.values
    forEachDoc(scope.docs, values.rows, (_doc, start, end) => {
      for (let i = start; i < end; i++) {
        const v = all[i]
        if (v < min && (!inside || inside(v))) min = v
        if (v > max && (!inside || inside(v))) max = v
      }
    })
  }
  if (!(min <= max)) return undefined
  if (rounding.ordinal) {
    const { ordinal, keyAt } = rounding
    const first = ordinal(min)
    if (ordinal(max) - first >= MAX_BUCKETS) return undefined
    return { slot: (v) => ordinal(v) - first, key: (slot) => keyAt!(slot + first) }
  }
  const starts: number[] = []
  for (let key = rounding.round(min); key <= max; key = rounding.next(key)) if (starts.push(key) > MAX_BUCKETS) return undefined
  const keys = Float64Array.from(starts)
  const { dayShift } = rounding
  if (dayShift !== undefined) {
    // Buckets of whole (shifted) days: one bucket per day, looked up in a table of the days the
    // values span (a month histogram over every document spent two-thirds of its time searching).
    const firstDay = Math.floor((min + dayShift) / DAY)
    const days = Math.floor((max + dayShift) / DAY) - firstDay + 1
    if (days <= MAX_TABLE_DAYS) {
      const table = new Int32Array(days)
      for (let d = 0, at = 0; d < days; d++) {
        const dayStart = (firstDay + d) * DAY - dayShift
        while (at + 1 < keys.length && keys[at + 1] <= dayStart) at++
        table[d] = at
      }
      return { slot: (v) => table[Math.floor((v + dayShift) / DAY) - firstDay], key: (at) => keys[at] }
    }
  }
  // The last start <= v (a loop of its own: the shared searchSorted also serves strings, and is slower here).
  const slot = (v: number) => {
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid] <= v) lo = mid + 1
      else hi = mid
    }
    return lo - 1
  }
  return { slot, key: (at) => keys[at] }
}

/** Adds the empty buckets between the first and last key, out to the extended bounds (within the hard ones). */
function fillEmpty(
  buckets: Bucket[], byKey: Map<number, Bucket>, rounding: Rounding, extended: Bounds | undefined, hard: Bounds | undefined,
  inside: ((key: number) => boolean) | undefined, scopes: number, withDocLists: boolean,
): void {
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
    // A bucket the hard bounds leave out (a date histogram's max is exclusive) stays out.
    if (!byKey.has(key) && (!inside || inside(key))) {
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
  buckets.sort(comparator(spec.orders, spec.where, run))
  if (!bySubAggregation && spec.subs.names.length > 0) buckets.forEach(runSubs)
  const rendered = buckets.map((b) => ({ ...keyJson(b.key), doc_count: b.count, ...b.subs }))
  if (!spec.keyed) return { buckets: rendered }
  const keyed: Json = keyedObject()
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
  const keyAt = (i: number) => i * interval + offset
  const ordinal = (v: number) => Math.floor((v - offset) / interval)
  const rounding: Rounding = {
    round: (v) => keyAt(ordinal(v)),
    next: (key) => keyAt(Math.round((key - offset) / interval) + 1),
    ordinal,
    keyAt,
  }
  return {
    run(scopes, run) {
      const field = aggField(scopes, spec.name, 'histogram', numericLeaf)
      const readBound: BoundReader = (value, what) => fieldKey(field, value, where, what) as number
      // Elasticsearch keeps a value whose bucket number x interval lies within the hard bounds, both included.
      const inBounds = ({ min, max }: Bounds) => (v: number) => {
        const at = ordinal(v) * interval
        return (min === undefined || at >= min) && (max === undefined || at <= max)
      }
      return render(scopes, bucketsOf(scopes, field, rounding, spec, readBound, inBounds), spec, run, (key) => ({ key }), javaDouble)
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
      // Bounds as dates in the aggregation's format and time zone (date math too), or millis, then
      // rounded, as Elasticsearch's LongBounds.round; a value counts when its bucket's start is
      // in [min, max).
      const readBound: BoundReader = (value, what) => {
        const millis = typeof value !== 'string' ? (fieldKey(field, value, where, what) as number)
          : dateBound(value, formats, run, timeZone)
        return rounding.round(millis)
      }
      const inBounds = ({ min, max }: Bounds) => (v: number) => {
        const start = rounding.round(v)
        return (min === undefined || start >= min) && (max === undefined || start < max)
      }
      return render(scopes, bucketsOf(scopes, field, rounding, spec, readBound, inBounds), spec, run, (key) => ({ key_as_string: asString(key), key }), asString)
    },
  }
}
