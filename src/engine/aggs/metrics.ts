/**
 * Metric aggregations over a field's doc values: min, max, sum, avg, value_count, stats,
 * extended_stats, cardinality and percentiles. Every value of a multi-valued document counts (as
 * Elasticsearch's SortedNumericDocValues); `missing` stands in for documents with none.
 *
 * Exact where Elasticsearch estimates: `cardinality` counts distinct values (Elasticsearch uses
 * HyperLogLog++), `percentiles` interpolate between the sorted values' closest ranks (Elasticsearch
 * uses a t-digest), so small sets may differ from Elasticsearch's estimates.
 * @module
 */
import type { Json } from '../json-shapes.js'
import { LsrError } from '../../errors.js'
import type { LeafField } from '../../mapping/index.js'
import type { AggregationParser } from './aggregator.js'
import { AggOptions, parsing, numeric } from './options.js'
import { keyedObject, aggField, docsMissing, fieldKey, formatValue, numbersOf, numericLeaf, scopeValues, forEachDoc, type AggField, type AggRun, type Scopes } from './scope.js'

/** A metric's field and its `missing` value, read from the body. */
interface MetricSource {
  field: string
  missing: unknown
  format?: string
}

function sourceOf(options: AggOptions): MetricSource {
  options.noScript()
  return { field: options.field()!, missing: options.raw('missing'), format: options.string('format') }
}

/** The field of a metric, refusing a `format` on a field that is not a date (lsr has no number formats). */
function metricField(scopes: Scopes, source: MetricSource, agg: string, allow?: (leaf: LeafField) => boolean): AggField {
  const field = aggField(scopes, source.field, agg, allow)
  if (source.format !== undefined && field.leaf && field.leaf.type !== 'date') {
    throw new LsrError('invalid_argument', `[${agg}] [format] applies to date fields here, not to [${field.leaf.type}] field [${field.name}] (lsr has no number formats)`)
  }
  return field
}

/** Every value of the scopes' documents, with `missing` once for each document without one. */
function valuesOf(scopes: Scopes, source: MetricSource, where: string, agg: string): { field: AggField; values: Float64Array } {
  const field = metricField(scopes, source, agg, numericLeaf)
  const missing = source.missing === undefined ? undefined : (fieldKey(field, source.missing, where, 'missing') as number)
  const parts = scopes.map((scope) => {
    const values = numbersOf(scope, field)
    if (missing === undefined) return values
    const absent = docsMissing(scope, field).size
    if (absent === 0) return values
    const out = new Float64Array(values.length + absent)
    out.set(values)
    out.fill(missing, values.length)
    return out
  })
  return { field, values: parts.length === 1 ? parts[0] : concat(parts) }
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * Sums with Kahan compensation, as Elasticsearch's CompensatedSum, which also stops compensating
 * once the sum overflows (Infinity - Infinity would make it NaN).
 */
function sumOf(values: Float64Array): number {
  let sum = 0
  let compensation = 0
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(sum) || !Number.isFinite(values[i])) {
      sum += values[i]
      continue
    }
    const y = values[i] - compensation
    const t = sum + y
    compensation = t - sum - y
    sum = t
  }
  return sum
}

/** `{value}` plus `value_as_string` for dates and booleans (and any value with a `format`). */
function valueJson(field: AggField, value: number | null, format: string | undefined, key = 'value'): Json {
  const out: Json = { [key]: value }
  if (value !== null && (field.leaf?.type === 'date' || format !== undefined)) out[`${key}_as_string`] = formatValue(field, value, format)
  // Elasticsearch's boolean format: any value but 0 is true (a sum of 1,500 too).
  else if (value !== null && field.leaf?.type === 'boolean') out[`${key}_as_string`] = value !== 0 ? 'true' : 'false'
  return out
}

interface Stats {
  count: number
  min: number | null
  max: number | null
  sum: number
  avg: number | null
}

function statsOf(values: Float64Array): Stats {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i]
    if (values[i] > max) max = values[i]
  }
  const count = values.length
  const sum = sumOf(values)
  return { count, min: count ? min : null, max: count ? max : null, sum, avg: count ? sum / count : null }
}

/** min, max, sum, avg: one number. */
function singleValue(agg: 'min' | 'max' | 'sum' | 'avg'): AggregationParser {
  return (body, where) => {
    const options = new AggOptions(body, where)
    const source = sourceOf(options)
    options.done()
    return {
      run(scopes, run) {
        const { field, values } = valuesOf(scopes, source, where, agg)
        const stats = statsOf(values)
        const json = valueJson(field, stats[agg], source.format)
        if (stats.count === 0 && (agg === 'min' || agg === 'max')) run.sortValues.set(json, { value: EMPTY[agg] })
        return json
      },
    }
  }
}

const valueCount: AggregationParser = (body, where) => {
  const options = new AggOptions(body, where)
  const source = sourceOf(options)
  options.done()
  return {
    run(scopes) {
      const field = metricField(scopes, source, 'value_count')
      let count = 0
      for (const scope of scopes) {
        const values = scopeValues(scope, field)
        if (values) forEachDoc(scope.docs, values.rows, (_doc, start, end) => (count += end - start))
        if (source.missing !== undefined) count += docsMissing(scope, field).size
      }
      return { value: count }
    },
  }
}

const stats: AggregationParser = (body, where) => {
  const options = new AggOptions(body, where)
  const source = sourceOf(options)
  options.done()
  return {
    run(scopes, run) {
      const { field, values } = valuesOf(scopes, source, where, 'stats')
      return statsJson(field, statsOf(values), source.format, run)
    },
  }
}

/** What an empty min and max are, for ordering (AggRun.sortValues). */
const EMPTY = { min: Infinity, max: -Infinity }

function statsJson(field: AggField, s: Stats, format: string | undefined, run: AggRun): Json {
  const out: Json = { count: s.count, min: s.min, max: s.max, avg: s.avg, sum: s.sum }
  if (s.count > 0 && (field.leaf?.type === 'date' || format !== undefined)) {
    for (const key of ['min', 'max', 'avg', 'sum'] as const) out[`${key}_as_string`] = formatValue(field, s[key]!, format)
  }
  if (s.count === 0) run.sortValues.set(out, EMPTY)
  return out
}

const extendedStats: AggregationParser = (body, where) => {
  const options = new AggOptions(body, where)
  const source = sourceOf(options)
  const sigma = options.number('sigma', 2)
  if (sigma < 0) throw parsing(`${where}: [sigma] must be greater than or equal to 0. Found [${sigma}]`)
  options.done()
  return {
    run(scopes, run) {
      const { field, values } = valuesOf(scopes, source, where, 'extended_stats')
      const s = statsOf(values)
      const squares = new Float64Array(values.length)
      for (let i = 0; i < values.length; i++) squares[i] = values[i] * values[i]
      const n = s.count
      const sumOfSquares = n ? sumOf(squares) : null
      // Elasticsearch's formulas: population variance = E[x²] - E[x]², sampling divides by n - 1.
      const population = n ? Math.max(0, sumOfSquares! / n - s.avg! * s.avg!) : null
      const sampling = n > 1 ? Math.max(0, (sumOfSquares! - (s.sum * s.sum) / n) / (n - 1)) : null
      const deviation = (v: number | null) => (v === null ? null : Math.sqrt(v))
      const bound = (variance: number | null, sign: number) => (variance === null ? null : s.avg! + sign * sigma * Math.sqrt(variance))
      const out: Json = {
        ...statsJson(field, s, source.format, run),
        sum_of_squares: sumOfSquares,
        variance: population,
        variance_population: population,
        variance_sampling: sampling,
        std_deviation: deviation(population),
        std_deviation_population: deviation(population),
        std_deviation_sampling: deviation(sampling),
        std_deviation_bounds: {
          upper: bound(population, 1),
          lower: bound(population, -1),
          upper_population: bound(population, 1),
          lower_population: bound(population, -1),
          upper_sampling: bound(sampling, 1),
          lower_sampling: bound(sampling, -1),
        },
      }
      if (n === 0) run.sortValues.set(out, EMPTY)
      return out
    },
  }
}

/** Exact distinct count: strings by value across indexes, numbers by value. */
const cardinality: AggregationParser = (body, where) => {
  const options = new AggOptions(body, where)
  const source = sourceOf(options)
  // Elasticsearch's accuracy knob: lsr counts exactly, at any threshold.
  options.count('precision_threshold', 3000, 40_000)
  options.done()
  return {
    run(scopes) {
      const field = metricField(scopes, source, 'cardinality')
      if (field.family === 'number') {
        const { values } = valuesOf(scopes, source, where, 'cardinality')
        return { value: new Set(values).size }
      }
      const distinct = new Set<string>()
      for (const scope of scopes) {
        const values = scopeValues(scope, field)
        if (values?.family === 'string') {
          const seen = new Uint8Array(values.dictionary.length)
          forEachDoc(scope.docs, values.rows, (_doc, start, end) => {
            for (let i = start; i < end; i++) seen[values.rows.values[i]] = 1
          })
          for (let id = 0; id < seen.length; id++) if (seen[id] === 1) distinct.add(values.dictionary[id])
        }
        if (source.missing !== undefined && docsMissing(scope, field).size > 0) distinct.add(String(source.missing))
      }
      return { value: distinct.size }
    },
  }
}

const DEFAULT_PERCENTS = [1, 5, 25, 50, 75, 95, 99]

/** Java's Double.toString for the keys Elasticsearch writes percentiles under ("50.0", "99.9"). */
export function javaDouble(n: number): string {
  const abs = Math.abs(n)
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa, exponent] = n.toExponential().split('e')
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`
  }
  return Number.isInteger(n) ? `${n}.0` : String(n)
}

const percentiles: AggregationParser = (body, where) => {
  const options = new AggOptions(body, where)
  const source = sourceOf(options)
  for (const method of ['tdigest', 'hdr']) {
    if (options.has(method)) throw parsing(`${where}: [${method}] is not supported: lsr computes percentiles exactly (linear interpolation between the closest ranks)`)
  }
  const given = options.raw('percents') ?? DEFAULT_PERCENTS
  // Numeric strings too, as every other numeric option.
  const percents = Array.isArray(given) ? given.map(numeric) : given
  if (!Array.isArray(percents) || percents.length === 0 || !percents.every((p) => typeof p === 'number' && p >= 0 && p <= 100)) {
    throw parsing(`${where}: [percents] must be a non-empty array of numbers from 0 to 100`)
  }
  const keyed = options.boolean('keyed', true)
  options.done()
  return {
    run(scopes) {
      const { field, values } = valuesOf(scopes, source, where, 'percentiles')
      values.sort()
      const entries = (percents as number[]).map((p) => {
        const value = percentileOf(values, p)
        const key = javaDouble(p)
        const extra = value !== null && (field.leaf?.type === 'date' || source.format !== undefined) ? formatValue(field, value, source.format) : undefined
        return { key, p, value, extra }
      })
      if (keyed) {
        const out: Json = keyedObject()
        for (const { key, value, extra } of entries) {
          out[key] = value
          if (extra !== undefined) out[`${key}_as_string`] = extra
        }
        return { values: out }
      }
      return { values: entries.map(({ p, value, extra }) => (extra === undefined ? { key: p, value } : { key: p, value, value_as_string: extra })) }
    },
  }
}

/** The p-th percentile of sorted values: rank p/100 x (n - 1), interpolated between its neighbours. */
export function percentileOf(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.min(low + 1, sorted.length - 1)
  return sorted[low] + (rank - low) * (sorted[high] - sorted[low])
}

/** The metric aggregations by type. */
export const METRICS: ReadonlyMap<string, AggregationParser> = new Map([
  ['min', singleValue('min')],
  ['max', singleValue('max')],
  ['sum', singleValue('sum')],
  ['avg', singleValue('avg')],
  ['value_count', valueCount],
  ['stats', stats],
  ['extended_stats', extendedStats],
  ['cardinality', cardinality],
  ['percentiles', percentiles],
])

