/**
 * Aggregations and post_filter through the library API, against a brute force written here from
 * the random documents' raw values and Elasticsearch's documented semantics and response shapes
 * (never from the code under test): terms (order, size, sum_other_doc_count, min_doc_count,
 * include/exclude, missing), histogram, date_histogram (calendar and fixed intervals, fixed-offset
 * time zones, offset, format, extended_bounds, keyed), range, date_range, filter, filters, missing,
 * global, the metrics (min, max, sum, avg, value_count, stats, extended_stats, cardinality,
 * percentiles, top_hits) and trees of them, over multi-valued and missing values, after updates
 * and deletes, with query + filter + post_filter; then hand-computed date_histogram buckets across
 * month, leap-day and year boundaries in "+05:30" and "-08:00"; then the errors.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Aggregations, AggregationsResult } from '../../src/index.js'
import { SparseIndex, type SearchBody } from '../../src/engine/sparse-index.js'
import { seededRandom } from '../helpers.js'

// ---------------------------------------------------------------------------------------------
// Random products
// ---------------------------------------------------------------------------------------------

const SCHEMA = {
  mappings: {
    properties: {
      name: { type: 'text' },
      category: { type: 'keyword' },
      tags: { type: 'keyword' },
      brand: { type: 'keyword' },
      price: { type: 'double' },
      rating: { type: 'float' },
      qty: { type: 'integer' },
      seq: { type: 'long' },
      released: { type: 'date' },
      active: { type: 'boolean' },
    },
  },
}

type Kind = 'text' | 'keyword' | 'number' | 'date' | 'boolean'
const KINDS: Record<string, Kind> = {
  name: 'text',
  category: 'keyword',
  tags: 'keyword',
  brand: 'keyword',
  price: 'number',
  rating: 'number',
  qty: 'number',
  seq: 'number',
  released: 'date',
  active: 'boolean',
}

type Value = number | string
interface Doc {
  id: string
  source: Record<string, unknown>
  /** Every field's values, parsed as the field's type reads them (dates: epoch millis; booleans: 1/0). */
  values: Record<string, Value[]>
}

const CATEGORIES = ['books', 'garden', 'toys', 'tools', 'music', 'games', 'food', 'home', 'sport', 'kids', 'auto', 'art']
const TAGS = ['new', 'sale', 'eco', 'gift', 'rare', 'bulk', 'promo']
const BRANDS = ['acme', 'zeta', 'nova', 'orbit']
const NAME_WORDS = ['red', 'green', 'lamp', 'chair', 'table', 'blue']
const HOUR = 3_600_000
const DAY = 24 * HOUR
/** Instants near month, leap-day and year boundaries in UTC, +05:30 and -08:00. */
const EDGES = [
  Date.UTC(2023, 11, 31, 18, 29, 59, 999),
  Date.UTC(2023, 11, 31, 18, 30),
  Date.UTC(2023, 11, 31, 23, 59, 59, 999),
  Date.UTC(2024, 0, 1),
  Date.UTC(2024, 0, 1, 7, 59, 59, 999),
  Date.UTC(2024, 0, 1, 8),
  Date.UTC(2024, 1, 28, 18, 30),
  Date.UTC(2024, 1, 28, 23, 59, 59, 999),
  Date.UTC(2024, 1, 29),
  Date.UTC(2024, 1, 29, 18, 29, 59, 999),
  Date.UTC(2024, 1, 29, 23, 59, 59, 999),
  Date.UTC(2024, 2, 1),
  Date.UTC(2024, 2, 1, 7, 59, 59, 999),
  Date.UTC(2024, 2, 1, 8),
]

/** A date as a source holds it: epoch millis, an ISO string (Z or +05:30), or a plain date. */
function writeDate(millis: number, next: () => number): unknown {
  const r = next()
  if (r < 0.35) return millis
  if (r < 0.75) return new Date(millis).toISOString()
  if (r < 0.85 && millis % DAY === 0) return new Date(millis).toISOString().slice(0, 10)
  // The same instant written at +05:30.
  const local = new Date(millis + 5.5 * HOUR).toISOString().slice(0, 23)
  return `${local}+05:30`
}

function randomProduct(seq: number, next: () => number): Record<string, unknown> {
  const int = (n: number) => Math.floor(next() * n)
  // Skewed picks: the first values are frequent, the last rare (counts differ, and some tie).
  const skewed = <T>(list: readonly T[]): T => list[Math.floor(next() * next() * list.length)]
  const distinct = <T>(count: number, make: () => T): T[] => {
    const out: T[] = []
    for (let i = 0; i < 10 && out.length < count; i++) {
      const v = make()
      if (!out.includes(v)) out.push(v)
    }
    return out
  }
  const one = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0] : values)
  const source: Record<string, unknown> = { seq }
  if (next() < 0.9) source.name = Array.from({ length: 1 + int(3) }, () => NAME_WORDS[int(NAME_WORDS.length)]).join(' ')
  const c = next()
  if (c < 0.04) source.category = null
  else if (c < 0.08) source.category = []
  else if (c < 0.3) source.category = distinct(2 + int(2), () => skewed(CATEGORIES))
  else if (c < 0.92) source.category = skewed(CATEGORIES)
  const tagCount = int(4)
  if (tagCount > 0) source.tags = one(distinct(tagCount, () => TAGS[int(TAGS.length)]))
  if (next() < 0.8) source.brand = skewed(BRANDS)
  if (next() < 0.85) {
    const prices = distinct(next() < 0.15 ? 2 : 1, () => int(20000) / 100)
    source.price = one(prices.map((p) => (next() < 0.1 ? String(p) : p)))
  }
  if (next() < 0.75) source.rating = int(11) / 2
  source.qty = one(distinct(next() < 0.2 ? 2 : 1, () => int(21)))
  if (next() < 0.9) {
    const instant = () => (next() < 0.3 ? EDGES[int(EDGES.length)] : Date.UTC(2023, 10, 15) + int(150 * 24) * HOUR + int(60) * 60_000)
    source.released = one(distinct(next() < 0.15 ? 2 : 1, instant).map((m) => writeDate(m, next)))
  }
  if (next() < 0.85) source.active = [true, false, 'true', 'false'][int(4)]
  return source
}

function list(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.filter((x) => x !== null) : [v]
}

/** The values each field holds, parsed here independently of the engine. */
function parse(source: Record<string, unknown>): Record<string, Value[]> {
  const values: Record<string, Value[]> = {}
  for (const [field, kind] of Object.entries(KINDS)) {
    const raw = list(source[field])
    if (kind === 'text') values[field] = raw.flatMap((v) => String(v).toLowerCase().split(/\s+/))
    else if (kind === 'keyword') values[field] = raw.map(String)
    else if (kind === 'number') values[field] = raw.map((v) => (field === 'rating' ? Math.fround(Number(v)) : Number(v)))
    else if (kind === 'date') values[field] = raw.map((v) => (typeof v === 'number' ? v : Date.parse(String(v))))
    else values[field] = raw.map((v) => (v === true || v === 'true' ? 1 : 0))
  }
  return values
}

const makeDoc = (id: string, source: Record<string, unknown>): Doc => ({ id, source, values: parse(source) })

// ---------------------------------------------------------------------------------------------
// Brute-force queries (the few the scenarios use)
// ---------------------------------------------------------------------------------------------

type Json = any // eslint-disable-line @typescript-eslint/no-explicit-any

const dateOrNumber = (field: string, v: unknown): number => (KINDS[field] === 'date' && typeof v === 'string' ? Date.parse(v) : KINDS[field] === 'boolean' ? (v === true || v === 'true' ? 1 : 0) : Number(v))
const same = (field: string, a: Value, b: unknown): boolean => (KINDS[field] === 'keyword' || KINDS[field] === 'text' ? a === String(b) : a === dateOrNumber(field, b))

function matches(query: Json, doc: Doc): boolean {
  if (query === undefined) return true
  const [type] = Object.keys(query)
  const body = query[type]
  switch (type) {
    case 'match_all':
      return true
    case 'match': {
      const [field] = Object.keys(body)
      const text = typeof body[field] === 'object' ? body[field].query : body[field]
      const words = String(text).toLowerCase().split(/\s+/)
      return doc.values[field].some((v) => words.includes(v as string))
    }
    case 'term': {
      const [field] = Object.keys(body)
      const value = typeof body[field] === 'object' && body[field] !== null ? body[field].value : body[field]
      return doc.values[field].some((v) => same(field, v, value))
    }
    case 'terms': {
      const [field] = Object.keys(body)
      return doc.values[field].some((v) => (body[field] as unknown[]).some((t) => same(field, v, t)))
    }
    case 'range': {
      const [field] = Object.keys(body)
      const r = body[field]
      const at = (x: unknown) => dateOrNumber(field, x)
      return doc.values[field].some((raw) => {
        const v = raw as number
        return (r.gte === undefined || v >= at(r.gte)) && (r.gt === undefined || v > at(r.gt)) && (r.lte === undefined || v <= at(r.lte)) && (r.lt === undefined || v < at(r.lt))
      })
    }
    case 'exists':
      return doc.values[body.field].length > 0
    case 'bool': {
      const all = (k: string): Json[] => (body[k] === undefined ? [] : Array.isArray(body[k]) ? body[k] : [body[k]])
      const required = [...all('must'), ...all('filter')]
      const should = all('should')
      if (!required.every((q) => matches(q, doc))) return false
      if (all('must_not').some((q) => matches(q, doc))) return false
      const minimum = body.minimum_should_match ?? (required.length === 0 && should.length > 0 ? 1 : 0)
      return should.filter((q) => matches(q, doc)).length >= minimum
    }
    default:
      throw new Error(`the brute force has no ${type} query`)
  }
}

// ---------------------------------------------------------------------------------------------
// Brute-force aggregations, after Elasticsearch's reference
// ---------------------------------------------------------------------------------------------

/** Java's Double.toString for the values used here (range keys, histogram and percentile keys). */
const javaDouble = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n))
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** "+05:30" / "-08:00" / "UTC" / "Z" as milliseconds east of UTC. */
function zoneOffset(zone: string | undefined): number {
  if (zone === undefined || zone === 'UTC' || zone === 'Z') return 0
  const m = /^([+-])(\d\d):(\d\d)$/.exec(zone)
  if (!m) throw new Error(`the brute force has no time zone ${zone}`)
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * 60_000)
}

/** An instant formatted in a fixed offset: the default (strict_date_optional_time) or a few patterns. */
function formatDate(millis: number, format: string | undefined, offset: number): string {
  const local = new Date(millis + offset)
  const y = local.getUTCFullYear()
  const date = `${pad(y, 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`
  switch (format) {
    case undefined:
    case 'strict_date_optional_time': {
      const sign = offset < 0 ? '-' : '+'
      const abs = Math.abs(offset) / 60_000
      const zone = offset === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
      return `${date}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${zone}`
    }
    case 'yyyy-MM-dd':
      return date
    case 'yyyy-MM':
      return date.slice(0, 7)
    case 'yyyy':
      return date.slice(0, 4)
    default:
      throw new Error(`the brute force has no date format ${format}`)
  }
}

/** A date string of a format (UTC) or epoch millis as epoch millis. */
function parseDate(value: unknown): number {
  if (typeof value === 'number') return value
  const text = String(value)
  if (/^\d{4}-\d\d$/.test(text)) return Date.parse(`${text}-01T00:00:00Z`)
  if (/^\d{4}$/.test(text)) return Date.parse(`${text}-01-01T00:00:00Z`)
  return Date.parse(text)
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: DAY }
function duration(text: string): number {
  const m = /^([+-]?)(\d+)(ms|s|m|h|d)$/.exec(text)
  if (!m) throw new Error(`the brute force has no duration ${text}`)
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]]
}

const CALENDAR: Record<string, string> = { minute: 'minute', '1m': 'minute', hour: 'hour', '1h': 'hour', day: 'day', '1d': 'day', week: 'week', '1w': 'week', month: 'month', '1M': 'month', quarter: 'quarter', '1q': 'quarter', year: 'year', '1y': 'year' }

/** Rounding of local wall-clock millis (as if UTC) down to a calendar unit, and the next unit's start. */
function calendarRound(local: number, unit: string): number {
  const d = new Date(local)
  const y = d.getUTCFullYear()
  const mo = d.getUTCMonth()
  switch (unit) {
    case 'minute':
      return Math.floor(local / 60_000) * 60_000
    case 'hour':
      return Math.floor(local / HOUR) * HOUR
    case 'day':
      return Date.UTC(y, mo, d.getUTCDate())
    case 'week':
      return Date.UTC(y, mo, d.getUTCDate()) - ((d.getUTCDay() + 6) % 7) * DAY
    case 'month':
      return Date.UTC(y, mo, 1)
    case 'quarter':
      return Date.UTC(y, mo - (mo % 3), 1)
    case 'year':
      return Date.UTC(y, 0, 1)
  }
  throw new Error(unit)
}
function calendarNext(start: number, unit: string): number {
  const d = new Date(start)
  const y = d.getUTCFullYear()
  const mo = d.getUTCMonth()
  switch (unit) {
    case 'minute':
      return start + 60_000
    case 'hour':
      return start + HOUR
    case 'day':
      return Date.UTC(y, mo, d.getUTCDate() + 1)
    case 'week':
      return Date.UTC(y, mo, d.getUTCDate() + 7)
    case 'month':
      return Date.UTC(y, mo + 1, 1)
    case 'quarter':
      return Date.UTC(y, mo + 3, 1)
    case 'year':
      return Date.UTC(y + 1, 0, 1)
  }
  throw new Error(unit)
}

/** A bucket's key fields as Elasticsearch writes them for a field's type. */
function keyFields(field: string, key: Value, format?: string): Record<string, unknown> {
  const kind = KINDS[field]
  if (kind === 'boolean') return { key, key_as_string: key === 1 ? 'true' : 'false' }
  if (kind === 'date') return { key, key_as_string: formatDate(key as number, format, 0) }
  return { key }
}

/** The values a document holds for an aggregation's field, with its `missing` value standing in. */
function docValues(doc: Doc, field: string, missing: unknown): Value[] {
  const values = doc.values[field] ?? []
  if (values.length > 0 || missing === undefined) return values
  const kind = KINDS[field]
  return [kind === 'keyword' ? String(missing) : kind === 'date' ? parseDate(missing) : kind === 'boolean' ? (missing === true || missing === 'true' ? 1 : 0) : Number(missing)]
}

const compareKeys = (a: Value, b: Value): number => (typeof a === 'number' ? (a === b ? 0 : a < (b as number) ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0)

type Aggs = Record<string, Json>

/** Every aggregation of a request over the matched documents (`all`: every live one, for `global`). */
function brute(aggs: Aggs | undefined, docs: Doc[], all: Doc[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(aggs ?? {})) out[name] = bruteOne(spec, docs, all)
  return out
}

function bruteOne(spec: Json, docs: Doc[], all: Doc[]): Json {
  const { aggs, aggregations, meta, ...rest } = spec
  const subs: Aggs = aggs ?? aggregations ?? {}
  const [type] = Object.keys(rest)
  const p = rest[type]
  const result = bruteType(type, p, subs, docs, all)
  if (meta !== undefined) result.meta = meta
  return result
}

function bruteType(type: string, p: Json, subs: Aggs, docs: Doc[], all: Doc[]): Json {
  const bucket = (ds: Doc[], fields: Record<string, unknown> = {}): Json => ({ ...fields, doc_count: ds.length, ...brute(subs, ds, all) })
  const values = () => docs.flatMap((d) => docValues(d, p.field, p.missing)) as number[]
  switch (type) {
    case 'terms': {
      const { field, size = 10, min_doc_count = 1, include, exclude, format } = p
      const groups = new Map<Value, Doc[]>()
      const norm = (v: unknown) => (KINDS[field] === 'keyword' ? String(v) : dateOrNumber(field, v))
      for (const d of docs) {
        for (const v of new Set(docValues(d, field, p.missing))) {
          if (include && !(include as unknown[]).map(norm).includes(v)) continue
          if (exclude && (exclude as unknown[]).map(norm).includes(v)) continue
          if (!groups.has(v)) groups.set(v, [])
          groups.get(v)!.push(d)
        }
      }
      if (min_doc_count === 0) {
        // Every value of the field in the index (live documents), matched or not.
        for (const d of all) for (const v of d.values[field] ?? []) if (!groups.has(v) && (!include || (include as unknown[]).map(norm).includes(v)) && !(exclude && (exclude as unknown[]).map(norm).includes(v))) groups.set(v, [])
      }
      const orders: Array<[string, 'asc' | 'desc']> = (p.order === undefined ? [{ _count: 'desc' }] : Array.isArray(p.order) ? p.order : [p.order]).map((o: Json) => Object.entries(o)[0])
      if (orders[orders.length - 1][0] !== '_key') orders.push(['_key', 'asc'])
      const sortValue = (key: Value, ds: Doc[], by: string): Value => {
        if (by === '_count') return ds.length
        if (by === '_key') return key
        // A path: single-bucket aggregations separated by '>', then a metric and maybe '.property'.
        const steps = by.split('>')
        let level: Aggs = subs
        let r: Json
        let spec: Json
        for (const [i, step] of steps.entries()) {
          const [agg] = step.split('.')
          spec = level[agg]
          r = bruteOne(spec, ds, all)
          if (i < steps.length - 1) {
            ds = ds.filter((d) => matches(spec.filter, d))
            level = spec.aggs
          }
        }
        const prop = steps[steps.length - 1].split('.')[1]
        const value = r.doc_count !== undefined && prop === undefined ? r.doc_count : prop === undefined ? r.value : r[prop]
        if (value !== null) return value
        // An empty max sorts as -Infinity and an empty min as +Infinity (what they hold in Elasticsearch).
        const [type] = Object.keys(spec).filter((k) => k !== 'aggs' && k !== 'meta')
        if (type === 'max') return -Infinity
        if (type === 'min') return Infinity
        throw new Error(`the brute force does not order by an empty ${type}`)
      }
      const buckets = [...groups].filter(([, ds]) => ds.length >= min_doc_count)
      buckets.sort(([ka, da], [kb, db]) => {
        for (const [by, dir] of orders) {
          const c = compareKeys(sortValue(ka, da, by), sortValue(kb, db, by))
          if (c !== 0) return dir === 'asc' ? c : -c
        }
        return 0
      })
      const shown = buckets.slice(0, size)
      return {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: buckets.slice(size).reduce((n, [, ds]) => n + ds.length, 0),
        buckets: shown.map(([key, ds]) => {
          const b = bucket(ds, keyFields(field, key, format))
          return p.show_term_doc_count_error ? { ...b, doc_count_error_upper_bound: 0 } : b
        }),
      }
    }
    case 'histogram': {
      const { field, interval, offset = 0, min_doc_count = 0, extended_bounds, keyed = false } = p
      const round = (v: number) => Math.floor((v - offset) / interval) * interval + offset
      const groups = new Map<number, Doc[]>()
      for (const d of docs) {
        for (const k of new Set(docValues(d, field, p.missing).map((v) => round(v as number)))) {
          if (!groups.has(k)) groups.set(k, [])
          groups.get(k)!.push(d)
        }
      }
      let keys = [...groups.keys()].sort((a, b) => a - b)
      if (min_doc_count === 0) {
        let lo = keys.length > 0 ? keys[0] : Infinity
        let hi = keys.length > 0 ? keys[keys.length - 1] : -Infinity
        if (extended_bounds) {
          lo = Math.min(lo, round(extended_bounds.min))
          hi = Math.max(hi, round(extended_bounds.max))
        }
        keys = []
        for (let i = 0; lo + i * interval <= hi; i++) keys.push(lo + i * interval)
      } else {
        keys = keys.filter((k) => groups.get(k)!.length >= min_doc_count)
      }
      const buckets = keys.map((k) => bucket(groups.get(k) ?? [], { key: k }))
      return { buckets: keyed ? Object.fromEntries(buckets.map((b) => [javaDouble(b.key as number), b])) : buckets }
    }
    case 'date_histogram': {
      const { field, calendar_interval, fixed_interval, time_zone, format, min_doc_count = 0, extended_bounds, keyed = false } = p
      const tz = zoneOffset(time_zone)
      const shift = p.offset === undefined ? 0 : duration(p.offset)
      const unit = calendar_interval === undefined ? undefined : CALENDAR[calendar_interval]
      const fixed = fixed_interval === undefined ? 0 : duration(fixed_interval)
      // Local wall-clock millis of a bucket start <-> its key (UTC millis).
      const roundLocal = (local: number) => (unit ? calendarRound(local, unit) : Math.floor(local / fixed) * fixed)
      const nextLocal = (start: number) => (unit ? calendarNext(start, unit) : start + fixed)
      const startOf = (utc: number) => roundLocal(utc + tz - shift)
      const keyOf = (start: number) => start - tz + shift
      const groups = new Map<number, Doc[]>()
      for (const d of docs) {
        for (const s of new Set(docValues(d, field, p.missing).map((v) => startOf(v as number)))) {
          if (!groups.has(s)) groups.set(s, [])
          groups.get(s)!.push(d)
        }
      }
      let starts = [...groups.keys()].sort((a, b) => a - b)
      if (min_doc_count === 0) {
        let lo = starts.length > 0 ? starts[0] : Infinity
        let hi = starts.length > 0 ? starts[starts.length - 1] : -Infinity
        if (extended_bounds) {
          lo = Math.min(lo, startOf(parseDate(extended_bounds.min)))
          hi = Math.max(hi, startOf(parseDate(extended_bounds.max)))
        }
        starts = []
        for (let s = lo; s <= hi; s = nextLocal(s)) starts.push(s)
      } else {
        starts = starts.filter((s) => groups.get(s)!.length >= min_doc_count)
      }
      const buckets = starts.map((s) => bucket(groups.get(s) ?? [], { key_as_string: formatDate(keyOf(s), format, tz), key: keyOf(s) }))
      return { buckets: keyed ? Object.fromEntries(buckets.map((b) => [b.key_as_string, b])) : buckets }
    }
    case 'range':
    case 'date_range': {
      const { field, ranges, keyed = false, format } = p
      const date = type === 'date_range'
      const buckets = (ranges as Json[]).map((r) => {
        const from = r.from === undefined || r.from === null ? undefined : date ? parseDate(r.from) : Number(r.from)
        const to = r.to === undefined || r.to === null ? undefined : date ? parseDate(r.to) : Number(r.to)
        const text = (v: number | undefined) => (v === undefined ? '*' : date ? formatDate(v, format, 0) : javaDouble(v))
        const key: string = r.key ?? `${text(from)}-${text(to)}`
        const ds = docs.filter((d) => docValues(d, field, p.missing).some((raw) => {
          const v = raw as number
          return (from === undefined || v >= from) && (to === undefined || v < to)
        }))
        const fields: Record<string, unknown> = keyed ? {} : { key }
        if (from !== undefined) Object.assign(fields, { from }, date ? { from_as_string: text(from) } : {})
        if (to !== undefined) Object.assign(fields, { to }, date ? { to_as_string: text(to) } : {})
        return [key, bucket(ds, fields)] as const
      })
      return { buckets: keyed ? Object.fromEntries(buckets) : buckets.map(([, b]) => b) }
    }
    case 'filter':
      return bucket(docs.filter((d) => matches(p, d)))
    case 'filters': {
      const otherKey: string | undefined = p.other_bucket_key ?? (p.other_bucket ? '_other_' : undefined)
      const filters: Array<[string, Json]> = Array.isArray(p.filters) ? p.filters.map((q: Json, i: number) => [String(i), q]) : Object.entries(p.filters)
      const rest = docs.filter((d) => !filters.some(([, q]) => matches(q, d)))
      if (Array.isArray(p.filters)) {
        const buckets = filters.map(([, q]) => bucket(docs.filter((d) => matches(q, d))))
        if (otherKey !== undefined) buckets.push(bucket(rest))
        return { buckets }
      }
      const buckets: Record<string, unknown> = Object.fromEntries(filters.map(([name, q]) => [name, bucket(docs.filter((d) => matches(q, d)))]))
      if (otherKey !== undefined) buckets[otherKey] = bucket(rest)
      return { buckets }
    }
    case 'missing':
      return bucket(docs.filter((d) => (d.values[p.field] ?? []).length === 0))
    case 'global':
      return bucket(all)
    case 'min':
    case 'max': {
      const vs = values()
      if (vs.length === 0) return { value: null }
      const value = type === 'min' ? Math.min(...vs) : Math.max(...vs)
      return KINDS[p.field] === 'date' ? { value, value_as_string: formatDate(value, p.format, 0) } : { value }
    }
    case 'sum':
      return { value: values().reduce((a, b) => a + b, 0) }
    case 'avg': {
      const vs = values()
      return { value: vs.length === 0 ? null : vs.reduce((a, b) => a + b, 0) / vs.length }
    }
    case 'value_count':
      return { value: values().length }
    case 'cardinality':
      return { value: new Set(values()).size }
    case 'stats': {
      const vs = values()
      const sum = vs.reduce((a, b) => a + b, 0)
      return vs.length === 0 ? { count: 0, min: null, max: null, avg: null, sum: 0 } : { count: vs.length, min: Math.min(...vs), max: Math.max(...vs), avg: sum / vs.length, sum }
    }
    case 'extended_stats': {
      const vs = values()
      const sigma = p.sigma ?? 2
      const n = vs.length
      const sum = vs.reduce((a, b) => a + b, 0)
      if (n === 0) {
        const nulls = { upper: null, lower: null, upper_population: null, lower_population: null, upper_sampling: null, lower_sampling: null }
        return { count: 0, min: null, max: null, avg: null, sum: 0, sum_of_squares: null, variance: null, variance_population: null, variance_sampling: null, std_deviation: null, std_deviation_population: null, std_deviation_sampling: null, std_deviation_bounds: nulls }
      }
      const avg = sum / n
      const sumOfSquares = vs.reduce((a, b) => a + b * b, 0)
      // Computed around the mean (exact), not as sum_of_squares/n - avg² (cancels).
      const dev2 = vs.reduce((a, b) => a + (b - avg) * (b - avg), 0)
      const population = dev2 / n
      const sampling = dev2 / (n - 1)
      const sd = Math.sqrt(population)
      const sds = Math.sqrt(sampling)
      const result: Json = {
        count: n,
        min: Math.min(...vs),
        max: Math.max(...vs),
        avg,
        sum,
        sum_of_squares: sumOfSquares,
        variance: population,
        variance_population: population,
        variance_sampling: sampling,
        std_deviation: sd,
        std_deviation_population: sd,
        std_deviation_sampling: sds,
        std_deviation_bounds: { upper: avg + sigma * sd, lower: avg - sigma * sd, upper_population: avg + sigma * sd, lower_population: avg - sigma * sd, upper_sampling: avg + sigma * sds, lower_sampling: avg - sigma * sds },
      }
      if (n < 2) {
        // One value: the sampling variance divides by zero (Elasticsearch writes NaN); not compared.
        result[SKIP] = ['variance_sampling', 'std_deviation_sampling', 'std_deviation_bounds.upper_sampling', 'std_deviation_bounds.lower_sampling']
      }
      return result
    }
    case 'percentiles': {
      const percents: number[] = p.percents ?? [1, 5, 25, 50, 75, 95, 99]
      const sorted = values().sort((a, b) => a - b)
      const at = (q: number): number | null => {
        if (sorted.length === 0) return null
        const rank = (q / 100) * (sorted.length - 1)
        const lo = Math.floor(rank)
        const hi = Math.min(lo + 1, sorted.length - 1)
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo])
      }
      return { values: p.keyed === false ? percents.map((q) => ({ key: q, value: at(q) })) : Object.fromEntries(percents.map((q) => [javaDouble(q), at(q)])) }
    }
    case 'top_hits': {
      const { size = 3, from = 0, sort, _source } = p
      const [[sortField, spec]] = Object.entries(sort[0] as Record<string, Json>)
      if (sortField !== 'seq') throw new Error('the brute force sorts top_hits by seq only')
      const dir = typeof spec === 'string' ? spec : (spec.order ?? 'asc')
      const ranked = [...docs].sort((a, b) => ((a.values.seq[0] as number) - (b.values.seq[0] as number)) * (dir === 'desc' ? -1 : 1))
      const pick = (source: Record<string, unknown>) => (Array.isArray(_source) ? Object.fromEntries(_source.filter((f: string) => f in source).map((f: string) => [f, source[f]])) : source)
      return {
        hits: {
          total: { value: docs.length, relation: 'eq' },
          max_score: null,
          hits: ranked.slice(from, from + size).map((d) => partial({ _id: d.id, _source: pick(d.source), sort: [d.values.seq[0]] })),
        },
      }
    }
  }
  throw new Error(`the brute force has no ${type} aggregation`)
}

// ---------------------------------------------------------------------------------------------
// Comparison: exact structure, numbers to 1e-9 relative (sums are summed in another order)
// ---------------------------------------------------------------------------------------------

const PARTIAL = new WeakSet<object>()
/** An expected object whose actual counterpart may have more keys (a top hit's _index, _score). */
function partial<T extends object>(o: T): T {
  PARTIAL.add(o)
  return o
}
/** Paths (relative, dotted) of an expected object that are not compared. */
const SKIP = Symbol('skip')

const show = (v: unknown) => {
  const text = JSON.stringify(v)
  return text === undefined ? 'undefined' : text.length > 1200 ? `${text.slice(0, 1200)}…` : text
}

function compare(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, `${path}: ${show(actual)} is not the number ${expected}`).toBe('number')
    const a = actual as number
    if (a !== expected && !(Math.abs(a - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))) expect(a, path).toBe(expected)
    return
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path}: ${show(actual)} is not an array`).toBe(true)
    const a = actual as unknown[]
    expect(a.length, `${path}.length\n actual:   ${show(a)}\n expected: ${show(expected)}`).toBe(expected.length)
    expected.forEach((e, i) => compare(a[i], e, `${path}[${i}]`))
    return
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: ${show(actual)} is not an object`).toBe(true)
    const a = actual as Record<string, unknown>
    const e = expected as Record<string | symbol, unknown>
    const skipped = (e[SKIP] as string[] | undefined) ?? []
    const strip = (o: Record<string, unknown>, prefix = ''): string[] => Object.keys(o).filter((k) => !skipped.includes(prefix + k))
    if (!PARTIAL.has(expected)) expect(strip(a).sort(), `${path} keys\n actual:   ${show(a)}\n expected: ${show(expected)}`).toEqual(strip(e as Record<string, unknown>).sort())
    for (const key of strip(e as Record<string, unknown>)) {
      const nested = skipped.filter((s) => s.startsWith(`${key}.`)).map((s) => s.slice(key.length + 1))
      const ev = e[key]
      if (nested.length > 0 && ev && typeof ev === 'object') {
        const av = a[key] as Record<string, unknown>
        const keep = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !nested.includes(k)))
        compare(keep(av), keep(ev as Record<string, unknown>), `${path}.${key}`)
      } else {
        compare(a[key], ev, `${path}.${key}`)
      }
    }
    return
  }
  expect(actual, path).toEqual(expected)
}

// ---------------------------------------------------------------------------------------------
// The index and the scenarios
// ---------------------------------------------------------------------------------------------

interface Scenario {
  name: string
  query?: Json
  filter?: Json
  postFilter?: Json
}

const SCENARIOS: Scenario[] = [
  { name: 'match_all' },
  { name: 'match + post_filter', query: { match: { name: 'red' } }, postFilter: { term: { category: 'toys' } } },
  { name: 'filter + post_filter', filter: { range: { price: { gte: 50 } } }, postFilter: { terms: { brand: ['acme', 'zeta'] } } },
  {
    name: 'query + filter + post_filter',
    query: { match: { name: 'lamp' } },
    filter: { bool: { must_not: [{ term: { active: false } }] } },
    postFilter: { range: { released: { gte: '2024-02-01' } } },
  },
  { name: 'bool query of filters', query: { bool: { filter: [{ exists: { field: 'category' } }, { range: { qty: { lte: 14 } } }] } }, postFilter: { exists: { field: 'rating' } } },
]

type AggResult = Record<string, Json>
type Searched = { hits: Array<{ id: string; score: number; source: Record<string, unknown> }>; total: number; aggregations?: AggResult }

/** A search through the library with a body this suite builds (aggs, postFilter) whatever SearchBody's declared keys. */
async function search(index: SparseIndex, body: Record<string, unknown>): Promise<Searched> {
  return (await index.search(body as SearchBody)) as unknown as Searched
}

describe('aggregations over random products, against a brute force', () => {
  let dir: string
  let index: SparseIndex
  const live = new Map<string, Doc>()
  const next = seededRandom(13)
  let n = 0

  const write = async (docs: Doc[]) => {
    const result = await index.add(docs.map((d) => ({ id: d.id, title: '', text: '', source: d.source })))
    expect(result.errors.every((e) => e === undefined)).toBe(true)
    for (const d of docs) {
      live.delete(d.id)
      live.set(d.id, d)
    }
  }
  const fresh = (count: number) => Array.from({ length: count }, () => {
    const seq = n++
    return makeDoc(`p${seq}`, randomProduct(seq, next))
  })

  /** Runs a scenario with aggregations and checks hits, total and every aggregation against the brute force. */
  async function check(scenario: Scenario, aggs: Aggs): Promise<AggResult> {
    const all = [...live.values()]
    const matched = all.filter((d) => matches(scenario.query, d) && matches(scenario.filter, d))
    const hits = matched.filter((d) => matches(scenario.postFilter, d))
    const body: Record<string, unknown> = { size: all.length + 10, aggs }
    if (scenario.query) body.query = scenario.query
    if (scenario.filter) body.filter = scenario.filter
    if (scenario.postFilter) body.postFilter = scenario.postFilter
    const result = await search(index, body)
    const where = scenario.name
    expect(result.total, `${where}: total`).toBe(hits.length)
    expect(result.hits.map((h) => h.id).sort(), `${where}: hits`).toEqual(hits.map((d) => d.id).sort())
    expect(result.aggregations, `${where}: aggregations`).toBeDefined()
    compare(result.aggregations, brute(aggs, matched, all), where)
    return result.aggregations!
  }
  const checkAll = async (aggs: Aggs) => {
    for (const scenario of SCENARIOS) await check(scenario, aggs)
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsr-aggs-'))
    index = await SparseIndex.open(dir, { create: true, encoder: null, schema: SCHEMA })
    await write(fresh(120))
    await write(fresh(100))
    await write(fresh(100))
    // Updates: new random values (a new doc id), and some with fields removed.
    const ids = [...live.keys()]
    await write(ids.filter((_, i) => i % 7 === 2).map((id) => makeDoc(id, randomProduct(live.get(id)!.values.seq[0] as number, next))))
    await write(ids.filter((_, i) => i % 11 === 5).map((id) => {
      const { price: _p, released: _r, category: _c, ...rest } = live.get(id)!.source
      return makeDoc(id, rest)
    }))
    const deleted = ids.filter((_, i) => i % 5 === 3)
    expect(await index.delete(deleted)).toBe(deleted.length)
    for (const id of deleted) live.delete(id)
    await write(fresh(40))
  })
  afterAll(async () => {
    await index?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('the random corpus exercises the scenarios', () => {
    const all = [...live.values()]
    expect(all.length).toBeGreaterThan(250)
    for (const s of SCENARIOS) {
      const matched = all.filter((d) => matches(s.query, d) && matches(s.filter, d))
      expect(matched.length, s.name).toBeGreaterThan(20)
      if (s.postFilter) expect(matched.filter((d) => matches(s.postFilter, d)).length, s.name).toBeLessThan(matched.length)
    }
    expect(all.filter((d) => d.values.category.length > 1).length).toBeGreaterThan(20)
    expect(all.filter((d) => d.values.category.length === 0).length).toBeGreaterThan(10)
    expect(all.filter((d) => d.values.price.length > 1).length).toBeGreaterThan(10)
    expect(all.filter((d) => d.values.released.length > 1).length).toBeGreaterThan(10)
  })

  it('terms on keyword, numeric, boolean and date fields: default order (_count desc, _key asc), size, sum_other_doc_count', async () => {
    await checkAll({
      cat: { terms: { field: 'category' } },
      cat3: { terms: { field: 'category', size: 3 } },
      tags: { terms: { field: 'tags', size: 2, shard_size: 50 } },
      brand: { terms: { field: 'brand', size: 100 } },
      qty: { terms: { field: 'qty', size: 5 } },
      rating: { terms: { field: 'rating' } },
      price: { terms: { field: 'price', size: 4 } },
      active: { terms: { field: 'active' } },
      released: { terms: { field: 'released', size: 3 } },
    })
    // With the whole corpus, categories outnumber the default size: the rest is counted per bucket.
    const all = [...live.values()]
    const result = await search(index, { size: 0, aggs: { cat: { terms: { field: 'category' } } } })
    expect(result.aggregations!.cat.buckets).toHaveLength(10)
    expect(result.aggregations!.cat.sum_other_doc_count).toBeGreaterThan(0)
    const perBucket = all.reduce((sum, d) => sum + new Set(d.values.category).size, 0)
    const shown = (result.aggregations!.cat.buckets as Array<{ doc_count: number }>).reduce((sum, b) => sum + b.doc_count, 0)
    expect(shown + result.aggregations!.cat.sum_other_doc_count).toBe(perBucket)
  })

  it('terms order by _count asc, _key asc/desc, a sub-aggregation value, a stats path and an array of orders', async () => {
    await checkAll({
      by_count_asc: { terms: { field: 'category', size: 4, order: { _count: 'asc' } } },
      by_key: { terms: { field: 'category', size: 5, order: { _key: 'asc' } } },
      by_key_desc: { terms: { field: 'qty', size: 6, order: { _key: 'desc' } } },
      by_max_qty: { terms: { field: 'category', size: 4, order: { top_qty: 'desc' } }, aggs: { top_qty: { max: { field: 'qty' } } } },
      by_stats: { terms: { field: 'brand', order: { q: 'asc' } }, aggs: { q: { sum: { field: 'qty' } } } },
      by_stats_path: { terms: { field: 'tags', size: 3, order: { st: 'desc' } }, aggs: { st: { value_count: { field: 'qty' } } } },
      by_stats_avg: { terms: { field: 'category', size: 5, order: { 'qs.avg': 'desc' } }, aggs: { qs: { stats: { field: 'qty' } } } },
      by_two: { terms: { field: 'qty', size: 7, order: [{ _count: 'desc' }, { _key: 'desc' }] } },
      by_sub_then_key: { terms: { field: 'category', size: 6, order: [{ mn: 'asc' }, { _key: 'desc' }] }, aggs: { mn: { min: { field: 'qty' } } } },
    })
  })

  it('terms min_doc_count, include/exclude as exact values, and missing', async () => {
    await checkAll({
      frequent: { terms: { field: 'category', size: 50, min_doc_count: 8 } },
      included: { terms: { field: 'category', include: ['toys', 'books', 'art', 'nope'] } },
      excluded: { terms: { field: 'category', size: 4, exclude: ['books', 'garden'] } },
      numbers: { terms: { field: 'qty', include: [0, 3, 7, 20] } },
      missing_cat: { terms: { field: 'category', missing: 'N/A', size: 20 } },
      missing_rating: { terms: { field: 'rating', missing: -1, size: 20 } },
    })
  })

  it('terms min_doc_count 0 lists every value of the index, show_term_doc_count_error, and order by a single-bucket sub-aggregation', async () => {
    await checkAll({
      all_cats: { terms: { field: 'category', size: 8, min_doc_count: 0 } },
      all_qty: { terms: { field: 'qty', size: 30, min_doc_count: 0, order: { _key: 'asc' } } },
      errors: { terms: { field: 'brand', show_term_doc_count_error: true } },
      by_sale: { terms: { field: 'category', size: 5, order: { sale: 'desc' } }, aggs: { sale: { filter: { term: { tags: 'sale' } } } } },
      by_sale_max: { terms: { field: 'brand', order: [{ 'sale>q': 'desc' }] }, aggs: { sale: { filter: { term: { tags: 'sale' } }, aggs: { q: { max: { field: 'qty' } } } } } },
    })
  })

  it('top_hits without a sort ranks by the query\'s score, as the hits themselves (post_filter aside)', async () => {
    const query = { match: { name: 'red lamp' } }
    const plain = await search(index, { query, size: 5 })
    const result = await search(index, { query, postFilter: { term: { category: 'toys' } }, size: 0, aggs: { top: { top_hits: { size: 5 } } } })
    const top = result.aggregations!.top.hits
    expect(top.total).toEqual({ value: plain.total, relation: 'eq' })
    expect(top.hits.map((h: Json) => h._id)).toEqual(plain.hits.map((h) => h.id))
    expect(top.hits.map((h: Json) => h._score)).toEqual(plain.hits.map((h) => h.score))
    expect(top.max_score).toBe(plain.hits[0].score)
    expect(top.hits.map((h: Json) => h._source)).toEqual(plain.hits.map((h) => h.source))
  })

  it('histogram: interval, offset, min_doc_count, extended_bounds, keyed', async () => {
    await checkAll({
      price: { histogram: { field: 'price', interval: 25 } },
      price_off: { histogram: { field: 'price', interval: 20, offset: 5 } },
      price_min: { histogram: { field: 'price', interval: 10, min_doc_count: 3 } },
      rating: { histogram: { field: 'rating', interval: 1.5 } },
      qty_bounds: { histogram: { field: 'qty', interval: 4, extended_bounds: { min: -10, max: 40 } } },
      qty_keyed: { histogram: { field: 'qty', interval: 2.5, keyed: true } },
      qty_inside_bounds: { histogram: { field: 'qty', interval: 5, extended_bounds: { min: 6, max: 7 } } },
    })
  })

  it('date_histogram: calendar and fixed intervals, fixed-offset time zones, offset, format, min_doc_count, keyed', async () => {
    await checkAll({
      month: { date_histogram: { field: 'released', calendar_interval: 'month' } },
      month_ist: { date_histogram: { field: 'released', calendar_interval: '1M', time_zone: '+05:30' } },
      month_pst: { date_histogram: { field: 'released', calendar_interval: 'month', time_zone: '-08:00', format: 'yyyy-MM' } },
      week: { date_histogram: { field: 'released', calendar_interval: 'week', time_zone: '-08:00' } },
      quarter: { date_histogram: { field: 'released', calendar_interval: 'quarter', time_zone: '+05:30' } },
      year: { date_histogram: { field: 'released', calendar_interval: '1y', time_zone: '-08:00' } },
      day_min: { date_histogram: { field: 'released', calendar_interval: 'day', time_zone: '+05:30', min_doc_count: 2, format: 'yyyy-MM-dd' } },
      fixed: { date_histogram: { field: 'released', fixed_interval: '3d', time_zone: 'UTC' } },
      fixed_ist: { date_histogram: { field: 'released', fixed_interval: '10d', time_zone: '+05:30' } },
      day_offset: { date_histogram: { field: 'released', calendar_interval: 'day', offset: '+6h', min_doc_count: 1 } },
      keyed: { date_histogram: { field: 'released', calendar_interval: 'month', keyed: true, format: 'yyyy-MM' } },
      bounds: { date_histogram: { field: 'released', calendar_interval: 'month', extended_bounds: { min: Date.UTC(2023, 6, 4), max: Date.UTC(2024, 8, 30) } } },
    })
  })

  it('range and date_range: from inclusive, to exclusive, keyed and not, custom keys, formats', async () => {
    await checkAll({
      price: { range: { field: 'price', ranges: [{ to: 25 }, { from: 25, to: 99.5 }, { from: 99.5, to: 150 }, { from: 150 }] } },
      price_keyed: { range: { field: 'price', keyed: true, ranges: [{ to: 50 }, { key: 'mid', from: 50, to: 100 }, { from: 100 }] } },
      overlapping: { range: { field: 'qty', ranges: [{ from: 0, to: 10 }, { from: 5, to: 15 }, { from: 10 }] } },
      rating: { range: { field: 'rating', ranges: [{ to: 2.5 }, { from: 2.5 }] } },
      dates: { date_range: { field: 'released', format: 'yyyy-MM-dd', ranges: [{ to: '2024-01-01' }, { from: '2024-01-01', to: '2024-02-29' }, { from: '2024-02-29', to: '2024-03-01' }, { from: '2024-03-01' }] } },
      dates_keyed: { date_range: { field: 'released', format: 'yyyy-MM', keyed: true, ranges: [{ key: 'old', to: '2024-01' }, { from: '2024-01' }] } },
      dates_default_format: { date_range: { field: 'released', ranges: [{ from: '2024-02-29T00:00:00.000Z' }] } },
    })
  })

  it('filter, filters (named, anonymous, other_bucket, other_bucket_key), missing, and global, which ignores the query', async () => {
    await checkAll({
      cheap: { filter: { range: { price: { lt: 40 } } } },
      named: { filters: { filters: { toys: { term: { category: 'toys' } }, lamps: { match: { name: 'lamp' } } } } },
      named_other: { filters: { other_bucket: true, filters: { toys: { term: { category: 'toys' } }, sale: { term: { tags: 'sale' } } } } },
      named_other_key: { filters: { other_bucket_key: 'rest', filters: { acme: { term: { brand: 'acme' } } } } },
      anonymous: { filters: { filters: [{ term: { active: true } }, { range: { qty: { gte: 10 } } }] } },
      anonymous_other: { filters: { other_bucket: true, filters: [{ exists: { field: 'rating' } }] } },
      no_category: { missing: { field: 'category' } },
      no_price: { missing: { field: 'price' } },
      everything: { global: {}, aggs: { cats: { terms: { field: 'category', size: 3 } }, price: { avg: { field: 'price' } } } },
    })
    const all = await search(index, { query: { term: { category: 'no-such' } }, size: 0, aggs: { g: { global: {} } } })
    expect(all.aggregations!.g).toEqual({ doc_count: live.size })
  })

  it('metrics over multi-valued fields: min, max, sum, avg, value_count, stats, extended_stats, cardinality, percentiles', async () => {
    await checkAll({
      min: { min: { field: 'price' } },
      max: { max: { field: 'price' } },
      sum: { sum: { field: 'price' } },
      avg: { avg: { field: 'price' } },
      count: { value_count: { field: 'price' } },
      stats: { stats: { field: 'price' } },
      rating_stats: { stats: { field: 'rating' } },
      extended: { extended_stats: { field: 'price' } },
      extended_qty: { extended_stats: { field: 'qty', sigma: 3 } },
      cardinality: { cardinality: { field: 'category' } },
      cardinality_price: { cardinality: { field: 'price' } },
      percentiles: { percentiles: { field: 'price' } },
      percentiles_some: { percentiles: { field: 'qty', percents: [0, 10, 50, 99.9, 100] } },
      percentiles_list: { percentiles: { field: 'rating', percents: [25, 75], keyed: false } },
      first_release: { min: { field: 'released' } },
      last_release: { max: { field: 'released' } },
    })
  })

  it('the missing option of metrics stands in for documents without a value', async () => {
    await checkAll({
      avg0: { avg: { field: 'rating', missing: 0 } },
      sum10: { sum: { field: 'price', missing: 10 } },
      stats: { stats: { field: 'price', missing: 1000 } },
      hist: { histogram: { field: 'rating', interval: 1, missing: 9 } },
    })
  })

  it('extended_stats has every documented field, and std_deviation_bounds at sigma', async () => {
    const result = await search(index, { size: 0, aggs: { e: { extended_stats: { field: 'qty' } } } })
    const e = result.aggregations!.e
    expect(Object.keys(e).sort()).toEqual(['avg', 'count', 'max', 'min', 'std_deviation', 'std_deviation_bounds', 'std_deviation_population', 'std_deviation_sampling', 'sum', 'sum_of_squares', 'variance', 'variance_population', 'variance_sampling'])
    expect(Object.keys(e.std_deviation_bounds).sort()).toEqual(['lower', 'lower_population', 'lower_sampling', 'upper', 'upper_population', 'upper_sampling'])
    expect(e.variance).toBeCloseTo(e.sum_of_squares / e.count - e.avg * e.avg, 6)
    expect(e.variance_sampling).toBeCloseTo((e.variance * e.count) / (e.count - 1), 9)
    expect(e.std_deviation_bounds.upper).toBeCloseTo(e.avg + 2 * e.std_deviation, 9)
    expect(e.std_deviation_bounds.lower_sampling).toBeCloseTo(e.avg - 2 * e.std_deviation_sampling, 9)
  })

  it('percentiles interpolate linearly between the closest ranks', async () => {
    // qty values of the live corpus, by hand: rank = p/100 * (n - 1).
    const vs = [...live.values()].flatMap((d) => d.values.qty as number[]).sort((a, b) => a - b)
    const result = await search(index, { size: 0, aggs: { p: { percentiles: { field: 'qty', percents: [50, 33.3] } } } })
    const at = (p: number) => {
      const rank = (p / 100) * (vs.length - 1)
      const lo = Math.floor(rank)
      return vs[lo] + (rank - lo) * (vs[lo + 1] - vs[lo])
    }
    expect(Object.keys(result.aggregations!.p.values).sort()).toEqual(['33.3', '50.0'])
    expect(result.aggregations!.p.values['50.0']).toBeCloseTo(at(50), 9)
    expect(result.aggregations!.p.values['33.3']).toBeCloseTo(at(33.3), 9)
  })

  it('sub-aggregation trees three levels deep, with meta echoed at each level', async () => {
    await checkAll({
      cats: {
        meta: { facet: 'category' },
        terms: { field: 'category', size: 4 },
        aggs: {
          months: {
            date_histogram: { field: 'released', calendar_interval: 'month', time_zone: '+05:30', min_doc_count: 1 },
            meta: { level: 2 },
            aggs: {
              brands: {
                terms: { field: 'brand', size: 2, order: { price: 'desc' } },
                aggs: { price: { max: { field: 'price' } }, qty: { stats: { field: 'qty' } }, tags: { cardinality: { field: 'tags' } } },
              },
              price_ranges: { range: { field: 'price', ranges: [{ to: 100 }, { from: 100 }] }, aggs: { p: { percentiles: { field: 'price', percents: [50] } } } },
            },
          },
          sale: { filter: { term: { tags: 'sale' } }, aggs: { hist: { histogram: { field: 'qty', interval: 5 }, aggs: { avg: { avg: { field: 'price' } } } } } },
        },
      },
      kinds: {
        filters: { other_bucket: true, filters: { cheap: { range: { price: { lt: 50 } } }, dear: { range: { price: { gte: 150 } } } } },
        aggs: { no_brand: { missing: { field: 'brand' }, aggs: { q: { terms: { field: 'qty', size: 3 }, aggs: { r: { extended_stats: { field: 'rating' } } } } } } },
      },
    })
  })

  it('top_hits with sort, size, from and _source, under terms', async () => {
    await checkAll({
      top: { top_hits: { sort: [{ seq: 'desc' }], _source: ['seq', 'category'] } },
      cats: { terms: { field: 'category', size: 3 }, aggs: { latest: { top_hits: { size: 2, from: 1, sort: [{ seq: { order: 'asc' } }], _source: ['seq', 'price', 'nope'] } } } },
    })
  })

  it('post_filter restricts hits and total, never aggregations', async () => {
    const aggs = { cat: { terms: { field: 'category' } }, avg: { avg: { field: 'price' } } }
    const plain = await search(index, { query: { match: { name: 'red' } }, aggs, size: 0 })
    const filtered = await search(index, { query: { match: { name: 'red' } }, postFilter: { term: { category: 'toys' } }, aggs, size: 0 })
    expect(filtered.aggregations).toEqual(plain.aggregations)
    expect(filtered.total).toBeLessThan(plain.total)
    expect(filtered.hits).toEqual([])
    await check(SCENARIOS[1], aggs)
  })

  it('an empty result set answers each aggregation in its empty shape', async () => {
    const empty: Scenario = { name: 'empty', query: { term: { category: 'no-such' } } }
    const aggs: Aggs = {
      terms: { terms: { field: 'category' } },
      hist: { histogram: { field: 'price', interval: 10 } },
      hist_bounds: { histogram: { field: 'qty', interval: 5, extended_bounds: { min: 0, max: 20 } } },
      dates: { date_histogram: { field: 'released', calendar_interval: 'month' } },
      range: { range: { field: 'price', ranges: [{ to: 10 }, { from: 10 }] } },
      filter: { filter: { term: { brand: 'acme' } }, aggs: { m: { max: { field: 'qty' } } } },
      filters: { filters: { other_bucket: true, filters: { a: { term: { brand: 'acme' } } } } },
      missing: { missing: { field: 'price' } },
      min: { min: { field: 'price' } },
      max: { max: { field: 'released' } },
      sum: { sum: { field: 'price' } },
      avg: { avg: { field: 'price' } },
      count: { value_count: { field: 'price' } },
      stats: { stats: { field: 'price' } },
      extended: { extended_stats: { field: 'price' } },
      cardinality: { cardinality: { field: 'category' } },
      percentiles: { percentiles: { field: 'price' } },
      top: { top_hits: { sort: [{ seq: 'asc' }] } },
    }
    const result = await check(empty, aggs)
    // Spelled out, as Elasticsearch documents them.
    expect(result.terms).toEqual({ doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [] })
    expect(result.hist).toEqual({ buckets: [] })
    expect(result.hist_bounds.buckets.map((b: Json) => [b.key, b.doc_count])).toEqual([[0, 0], [5, 0], [10, 0], [15, 0], [20, 0]])
    expect(result.stats).toEqual({ count: 0, min: null, max: null, avg: null, sum: 0 })
    expect(result.min).toEqual({ value: null })
    expect(result.sum).toEqual({ value: 0 })
    expect(result.percentiles.values['50.0']).toBeNull()
    expect(result.filters.buckets).toEqual({ a: { doc_count: 0 }, _other_: { doc_count: 0 } })
  })

  it('a field no document maps: no buckets, null values', async () => {
    const result = await search(index, {
      size: 0,
      aggs: {
        terms: { terms: { field: 'nope' } },
        hist: { histogram: { field: 'nope', interval: 5 } },
        avg: { avg: { field: 'nope' } },
        sum: { sum: { field: 'nope' } },
        count: { value_count: { field: 'nope' } },
        cardinality: { cardinality: { field: 'nope' } },
        missing: { missing: { field: 'nope' } },
      },
    })
    expect(result.aggregations).toEqual({
      terms: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [] },
      hist: { buckets: [] },
      avg: { value: null },
      sum: { value: 0 },
      count: { value: 0 },
      cardinality: { value: 0 },
      missing: { doc_count: live.size },
    })
  })

  it('terms execution hints give the same buckets, on every field type and option', async () => {
    const cases: Json[] = [
      { field: 'category', size: 5 },
      { field: 'category', size: 3, order: { _key: 'desc' }, missing: 'none', exclude: ['toys'] },
      { field: 'category', size: 20, min_doc_count: 0, include: ['toys', 'art', 'kids', 'auto', 'nope'] },
      { field: 'tags', order: { q: 'asc' } },
      { field: 'qty', size: 4 },
      { field: 'rating', missing: 9 },
      { field: 'active' },
      { field: 'released', size: 2 },
    ]
    for (const base of cases) {
      const answers = []
      for (const hint of [undefined, 'map', 'global_ordinals', 'bitmaps']) {
        const terms = hint === undefined ? base : { ...base, execution_hint: hint }
        for (const scenario of [SCENARIOS[0], SCENARIOS[2], SCENARIOS[3]]) answers.push((await check(scenario, { t: { terms, aggs: { q: { sum: { field: 'qty' } } } } })).t)
      }
      for (let i = 3; i < answers.length; i++) expect(answers[i], JSON.stringify(base)).toEqual(answers[i % 3])
    }
  })

  it('gives the same answers after compact() and reopen', async () => {
    const aggs: Aggs = {
      cats: { terms: { field: 'category', size: 4 }, aggs: { p: { percentiles: { field: 'price', percents: [50] } }, s: { extended_stats: { field: 'qty' } } } },
      months: { date_histogram: { field: 'released', calendar_interval: 'month', time_zone: '-08:00' }, aggs: { c: { cardinality: { field: 'tags' } } } },
      g: { global: {}, aggs: { b: { terms: { field: 'brand' } } } },
    }
    await index.compact()
    await checkAll(aggs)
    await index.close()
    index = await SparseIndex.open(dir)
    await checkAll(aggs)
  })

  it('the typed API: Aggregations in, AggregationsResult out', async () => {
    const aggs: Aggregations = {
      by_brand: { terms: { field: 'brand', size: 2, order: { 'p.max': 'desc' } }, aggs: { p: { stats: { field: 'price' } } } },
      months: { date_histogram: { field: 'released', calendar_interval: 'month', time_zone: '-08:00', min_doc_count: 1 } },
    }
    const result = await index.search({ query: { match: { name: 'green' } }, postFilter: { term: { brand: 'acme' } }, aggs, size: 0 })
    const aggregations: AggregationsResult | undefined = result.aggregations
    const all = [...live.values()]
    compare(aggregations, brute(aggs, all.filter((d) => matches({ match: { name: 'green' } }, d)), all), 'typed')
    expect(result.total).toBe(all.filter((d) => matches({ match: { name: 'green' } }, d) && d.values.brand.includes('acme')).length)
  })

  it('refuses unknown aggregations and options, naming them', async () => {
    const refused: Array<[Aggs, RegExp]> = [
      [{ x: { significant_terms: { field: 'category' } } }, /significant_terms/],
      [{ x: { terms: { field: 'category', foo: 1 } } }, /foo/],
      [{ x: { terms: { field: 'category', include: 'to.*' } } }, /include/],
      [{ x: { terms: { field: 'name' } } }, /name|fielddata|text/],
      [{ x: { avg: { field: 'price' }, aggs: { y: { min: { field: 'price' } } } } }, /avg|sub-agg/],
      [{ x: { terms: { field: 'category' }, avg: { field: 'price' } } }, /terms|avg|two/],
      [{ x: { date_histogram: { field: 'released', calendar_interval: '2d' } } }, /2d/],
      [{ x: { date_histogram: { field: 'released', calendar_interval: 'month', fixed_interval: '3d' } } }, /calendar_interval|fixed_interval/],
      [{ x: { histogram: { field: 'price', interval: 0 } } }, /interval/],
      [{ x: { range: { field: 'price', ranges: [{ from: 1, bogus: 2 }] } } }, /bogus/],
      [{ x: { terms: { field: 'category' }, aggs: { g: { global: {} } } } }, /global|top-level|top level/],
      [{ x: { terms: { field: 'category', size: 0 } } }, /size/],
      [{ x: { percentiles: { field: 'price', percents: [101] } } }, /percents|101/],
      [{ x: { extended_stats: { field: 'price', sigma: -1 } } }, /sigma/],
      [{ x: { range: { field: 'price', ranges: [] } } }, /ranges/],
      [{ x: { top_hits: { size: 101 } } }, /100|size/],
      [{ 'a>b': { max: { field: 'price' } } }, /a>b/],
      [{ x: { date_histogram: { field: 'released', calendar_interval: 'day', time_zone: 'Europe/Paris' } } }, /Europe\/Paris/],
      [{ x: { date_histogram: { field: 'released', interval: 'day' } } }, /interval/],
      [{ x: { avg: { field: 'category' } } }, /category|keyword/],
      [{ x: { terms: { field: 'category', order: { nope: 'desc' } } } }, /nope/],
      [{ x: { terms: { field: 'qty', missing: 'many' } } }, /missing|many/],
    ]
    for (const [aggs, message] of refused) await expect(search(index, { size: 0, aggs }), JSON.stringify(aggs)).rejects.toThrow(message)
  })
})

// ---------------------------------------------------------------------------------------------
// date_histogram across month, leap-day and year boundaries, by hand
// ---------------------------------------------------------------------------------------------

describe('date_histogram across month, leap-day and year boundaries in fixed-offset time zones', () => {
  let dir: string
  let index: SparseIndex
  const utc = Date.UTC
  /** Instants (UTC); local times at +05:30 and -08:00 in the comments of each expectation. */
  const DATES: Record<string, unknown> = {
    A: '2023-12-31T20:00:00Z',
    B: '2024-01-01T03:00:00.000Z',
    C: utc(2024, 1, 28, 18, 29, 59, 999),
    D: '2024-02-29T00:00:00+05:30',
    E: '2024-02-28T23:30:00Z',
    F: '2024-02-29T12:00:00Z',
    G: '2024-02-29T23:59:59.999Z',
    H: '2024-03-01',
    I: '2024-02-29T23:59:59.999-08:00',
    J: utc(2024, 2, 1, 8),
    M: ['2024-02-29T01:00:00Z', '2024-02-29T02:00:00Z'],
  }
  const SINCE_FEB_15 = { range: { at: { gte: '2024-02-15' } } }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lsr-aggs-dates-'))
    index = await SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties: { at: { type: 'date' } } } } })
    await index.add(Object.entries(DATES).map(([id, at]) => ({ id, title: '', text: '', source: { at } })))
  })
  afterAll(async () => {
    await index?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const buckets = async (histogram: Json, filter?: Json) => {
    const result = await search(index, { size: 0, ...(filter ? { filter } : {}), aggs: { h: { date_histogram: { field: 'at', ...histogram } } } })
    return result.aggregations!.h.buckets as Json
  }

  it('calendar months in UTC, +05:30 and -08:00 (an empty month filled)', async () => {
    expect(await buckets({ calendar_interval: 'month' })).toEqual([
      { key_as_string: '2023-12-01T00:00:00.000Z', key: utc(2023, 11, 1), doc_count: 1 },
      { key_as_string: '2024-01-01T00:00:00.000Z', key: utc(2024, 0, 1), doc_count: 1 },
      { key_as_string: '2024-02-01T00:00:00.000Z', key: utc(2024, 1, 1), doc_count: 6 },
      { key_as_string: '2024-03-01T00:00:00.000Z', key: utc(2024, 2, 1), doc_count: 3 },
    ])
    // +05:30: A is 01:30 on Jan 1st, C is 23:59:59.999 on Feb 28th, G is 05:29 on Mar 1st.
    expect(await buckets({ calendar_interval: 'month', time_zone: '+05:30' })).toEqual([
      { key_as_string: '2024-01-01T00:00:00.000+05:30', key: utc(2023, 11, 31, 18, 30), doc_count: 2 },
      { key_as_string: '2024-02-01T00:00:00.000+05:30', key: utc(2024, 0, 31, 18, 30), doc_count: 5 },
      { key_as_string: '2024-03-01T00:00:00.000+05:30', key: utc(2024, 1, 29, 18, 30), doc_count: 4 },
    ])
    // -08:00: B is 19:00 on Dec 31st, H and I are still Feb 29th, January is empty.
    expect(await buckets({ calendar_interval: '1M', time_zone: '-08:00' })).toEqual([
      { key_as_string: '2023-12-01T00:00:00.000-08:00', key: utc(2023, 11, 1, 8), doc_count: 2 },
      { key_as_string: '2024-01-01T00:00:00.000-08:00', key: utc(2024, 0, 1, 8), doc_count: 0 },
      { key_as_string: '2024-02-01T00:00:00.000-08:00', key: utc(2024, 1, 1, 8), doc_count: 8 },
      { key_as_string: '2024-03-01T00:00:00.000-08:00', key: utc(2024, 2, 1, 8), doc_count: 1 },
    ])
    expect(await buckets({ calendar_interval: 'month', time_zone: '-08:00', min_doc_count: 1, format: 'yyyy-MM' })).toEqual([
      { key_as_string: '2023-12', key: utc(2023, 11, 1, 8), doc_count: 2 },
      { key_as_string: '2024-02', key: utc(2024, 1, 1, 8), doc_count: 8 },
      { key_as_string: '2024-03', key: utc(2024, 2, 1, 8), doc_count: 1 },
    ])
  })

  it('days across Feb 28th, the leap day and Mar 1st; a document with two values that day counts once', async () => {
    expect(await buckets({ calendar_interval: 'day' }, SINCE_FEB_15)).toEqual([
      { key_as_string: '2024-02-28T00:00:00.000Z', key: utc(2024, 1, 28), doc_count: 3 },
      { key_as_string: '2024-02-29T00:00:00.000Z', key: utc(2024, 1, 29), doc_count: 3 },
      { key_as_string: '2024-03-01T00:00:00.000Z', key: utc(2024, 2, 1), doc_count: 3 },
    ])
    expect(await buckets({ calendar_interval: '1d', time_zone: '+05:30', format: 'yyyy-MM-dd' }, SINCE_FEB_15)).toEqual([
      { key_as_string: '2024-02-28', key: utc(2024, 1, 27, 18, 30), doc_count: 1 },
      { key_as_string: '2024-02-29', key: utc(2024, 1, 28, 18, 30), doc_count: 4 },
      { key_as_string: '2024-03-01', key: utc(2024, 1, 29, 18, 30), doc_count: 4 },
    ])
    expect(await buckets({ calendar_interval: 'day', time_zone: '-08:00' }, SINCE_FEB_15)).toEqual([
      { key_as_string: '2024-02-28T00:00:00.000-08:00', key: utc(2024, 1, 28, 8), doc_count: 4 },
      { key_as_string: '2024-02-29T00:00:00.000-08:00', key: utc(2024, 1, 29, 8), doc_count: 4 },
      { key_as_string: '2024-03-01T00:00:00.000-08:00', key: utc(2024, 2, 1, 8), doc_count: 1 },
    ])
  })

  it('years: one bucket at +05:30, the year boundary elsewhere', async () => {
    expect(await buckets({ calendar_interval: 'year' })).toEqual([
      { key_as_string: '2023-01-01T00:00:00.000Z', key: utc(2023, 0, 1), doc_count: 1 },
      { key_as_string: '2024-01-01T00:00:00.000Z', key: utc(2024, 0, 1), doc_count: 10 },
    ])
    expect(await buckets({ calendar_interval: '1y', time_zone: '+05:30' })).toEqual([{ key_as_string: '2024-01-01T00:00:00.000+05:30', key: utc(2023, 11, 31, 18, 30), doc_count: 11 }])
    expect(await buckets({ calendar_interval: 'year', time_zone: '-08:00', format: 'yyyy' })).toEqual([
      { key_as_string: '2023', key: utc(2023, 0, 1, 8), doc_count: 2 },
      { key_as_string: '2024', key: utc(2024, 0, 1, 8), doc_count: 9 },
    ])
  })

  it('weeks start on Monday and quarters on Jan/Apr/Jul/Oct 1st, in local time', async () => {
    // Feb 29th 2024 is a Thursday: its week starts Monday Feb 26th; Dec 31st 2023 is a Sunday.
    const weeks = await buckets({ calendar_interval: 'week' })
    expect(weeks.map((b: Json) => [b.key, b.doc_count])).toEqual([
      [utc(2023, 11, 25), 1],
      ...[0, 7, 14, 21, 28, 35, 42, 49].map((d) => [utc(2024, 0, 1 + d), d === 0 ? 1 : 0]),
      [utc(2024, 1, 26), 9],
    ])
    expect(await buckets({ calendar_interval: '1w', time_zone: '+05:30' }, SINCE_FEB_15)).toEqual([{ key_as_string: '2024-02-26T00:00:00.000+05:30', key: utc(2024, 1, 25, 18, 30), doc_count: 9 }])
    expect(await buckets({ calendar_interval: 'quarter', time_zone: '-08:00' })).toEqual([
      { key_as_string: '2023-10-01T00:00:00.000-08:00', key: utc(2023, 9, 1, 8), doc_count: 2 },
      { key_as_string: '2024-01-01T00:00:00.000-08:00', key: utc(2024, 0, 1, 8), doc_count: 9 },
    ])
    expect(await buckets({ calendar_interval: '1q' })).toEqual([
      { key_as_string: '2023-10-01T00:00:00.000Z', key: utc(2023, 9, 1), doc_count: 1 },
      { key_as_string: '2024-01-01T00:00:00.000Z', key: utc(2024, 0, 1), doc_count: 10 },
    ])
  })

  it('fixed intervals round in local time; offset shifts the buckets', async () => {
    expect(await buckets({ fixed_interval: '12h', time_zone: '+05:30' }, SINCE_FEB_15)).toEqual([
      { key_as_string: '2024-02-28T12:00:00.000+05:30', key: utc(2024, 1, 28, 6, 30), doc_count: 1 },
      { key_as_string: '2024-02-29T00:00:00.000+05:30', key: utc(2024, 1, 28, 18, 30), doc_count: 3 },
      { key_as_string: '2024-02-29T12:00:00.000+05:30', key: utc(2024, 1, 29, 6, 30), doc_count: 1 },
      { key_as_string: '2024-03-01T00:00:00.000+05:30', key: utc(2024, 1, 29, 18, 30), doc_count: 2 },
      { key_as_string: '2024-03-01T12:00:00.000+05:30', key: utc(2024, 2, 1, 6, 30), doc_count: 2 },
    ])
    expect(await buckets({ calendar_interval: 'day', offset: '+6h' }, SINCE_FEB_15)).toEqual([
      { key_as_string: '2024-02-28T06:00:00.000Z', key: utc(2024, 1, 28, 6), doc_count: 4 },
      { key_as_string: '2024-02-29T06:00:00.000Z', key: utc(2024, 1, 29, 6), doc_count: 3 },
      { key_as_string: '2024-03-01T06:00:00.000Z', key: utc(2024, 2, 1, 6), doc_count: 2 },
    ])
  })

  it('extended_bounds and keyed', async () => {
    const months = await buckets({ calendar_interval: 'month', time_zone: '-08:00', extended_bounds: { min: utc(2023, 9, 15), max: utc(2024, 3, 2) } })
    expect(months.map((b: Json) => [b.key_as_string, b.doc_count])).toEqual([
      ['2023-10-01T00:00:00.000-08:00', 0],
      ['2023-11-01T00:00:00.000-08:00', 0],
      ['2023-12-01T00:00:00.000-08:00', 2],
      ['2024-01-01T00:00:00.000-08:00', 0],
      ['2024-02-01T00:00:00.000-08:00', 8],
      ['2024-03-01T00:00:00.000-08:00', 1],
      ['2024-04-01T00:00:00.000-08:00', 0],
    ])
    expect(await buckets({ calendar_interval: 'month', keyed: true, format: 'yyyy-MM' })).toEqual({
      '2023-12': { key_as_string: '2023-12', key: utc(2023, 11, 1), doc_count: 1 },
      '2024-01': { key_as_string: '2024-01', key: utc(2024, 0, 1), doc_count: 1 },
      '2024-02': { key_as_string: '2024-02', key: utc(2024, 1, 1), doc_count: 6 },
      '2024-03': { key_as_string: '2024-03', key: utc(2024, 2, 1), doc_count: 3 },
    })
  })

  it('date terms, min and max carry key_as_string and value_as_string in the field format', async () => {
    const result = await search(index, { size: 0, filter: { ids: { values: ['A', 'C'] } }, aggs: { t: { terms: { field: 'at' } }, lo: { min: { field: 'at' } }, hi: { max: { field: 'at' } } } })
    expect(result.aggregations).toEqual({
      t: {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: 0,
        buckets: [
          { key: utc(2023, 11, 31, 20), key_as_string: '2023-12-31T20:00:00.000Z', doc_count: 1 },
          { key: utc(2024, 1, 28, 18, 29, 59, 999), key_as_string: '2024-02-28T18:29:59.999Z', doc_count: 1 },
        ],
      },
      lo: { value: utc(2023, 11, 31, 20), value_as_string: '2023-12-31T20:00:00.000Z' },
      hi: { value: utc(2024, 1, 28, 18, 29, 59, 999), value_as_string: '2024-02-28T18:29:59.999Z' },
    })
    // stats and percentiles of dates also carry their strings (Elasticsearch: min_as_string..., "50.0_as_string").
    const a = utc(2023, 11, 31, 20)
    const c = utc(2024, 1, 28, 18, 29, 59, 999)
    const more = await search(index, { size: 0, filter: { ids: { values: ['A', 'C'] } }, aggs: { s: { stats: { field: 'at' } }, p: { percentiles: { field: 'at', percents: [0, 100] } }, f: { max: { field: 'at', format: 'yyyy-MM-dd' } } } })
    expect(more.aggregations!.s).toMatchObject({ count: 2, min: a, max: c, min_as_string: '2023-12-31T20:00:00.000Z', max_as_string: '2024-02-28T18:29:59.999Z' })
    expect(more.aggregations!.p.values).toEqual({ '0.0': a, '0.0_as_string': '2023-12-31T20:00:00.000Z', '100.0': c, '100.0_as_string': '2024-02-28T18:29:59.999Z' })
    expect(more.aggregations!.f).toEqual({ value: c, value_as_string: '2024-02-28' })
  })
})
