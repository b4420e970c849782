/**
 * Types of the aggregations `SparseIndex.search` takes (`aggs`) and answers (`aggregations`):
 * Elasticsearch's request and response shapes for the aggregations lsr runs (aggregate.ts), so
 * that a misspelled option is a type error. JSON read at run time is checked by the parser, which
 * names what it refuses.
 * @example
 * const aggs: Aggregations = {
 *   by_brand: { terms: { field: 'brand', size: 5 }, aggs: { price: { stats: { field: 'price' } } } },
 *   prices: { histogram: { field: 'price', interval: 50 } },
 * }
 * @module
 */
import type { Query, Sort } from '../query/types.js'

type Value = string | number | boolean

/** The order of buckets: `_count`, `_key`, or a sub-aggregation's value (`avg_price`, `stats.max`). */
export type BucketOrder = Record<string, 'asc' | 'desc'> | ReadonlyArray<Record<string, 'asc' | 'desc'>>

interface FieldMetric {
  field: string
  /** The value of documents without one. */
  missing?: Value
  /** A date format for `value_as_string`. */
  format?: string
}

interface HistogramCommon {
  field: string
  /** @default 0: empty buckets are filled between the first and the last */
  min_doc_count?: number
  extended_bounds?: { min?: Value; max?: Value }
  hard_bounds?: { min?: Value; max?: Value }
  missing?: Value
  keyed?: boolean
  /** @default {_key: 'asc'} */
  order?: BucketOrder
}

interface Range<T> {
  from?: T
  to?: T
  key?: string
}

/** One aggregation: exactly one type, with optional sub-aggregations (bucket types) and `meta`. */
export type Aggregation = (
  | { terms: { field: string; size?: number; min_doc_count?: number; order?: BucketOrder; missing?: Value; include?: Value[]; exclude?: Value[]; shard_size?: number; show_term_doc_count_error?: boolean; execution_hint?: 'map' | 'global_ordinals' | 'bitmaps'; collect_mode?: 'breadth_first' | 'depth_first'; format?: string } }
  | { histogram: HistogramCommon & { interval: number; offset?: number } }
  | { date_histogram: HistogramCommon & ({ calendar_interval: string } | { fixed_interval: string }) & { time_zone?: string; offset?: string; format?: string } }
  | { range: { field: string; ranges: Array<Range<number>>; keyed?: boolean; missing?: number } }
  | { date_range: { field: string; ranges: Array<Range<string | number>>; keyed?: boolean; missing?: Value; format?: string; time_zone?: string } }
  | { filter: Query }
  | { filters: { filters: Record<string, Query> | Query[]; other_bucket?: boolean; other_bucket_key?: string; keyed?: boolean } }
  | { missing: { field: string } }
  | { global: Record<string, never> }
  | { min: FieldMetric } | { max: FieldMetric } | { sum: FieldMetric } | { avg: FieldMetric }
  | { value_count: FieldMetric } | { stats: FieldMetric }
  | { extended_stats: FieldMetric & { sigma?: number } }
  | { cardinality: FieldMetric & { precision_threshold?: number } }
  | { percentiles: FieldMetric & { percents?: number[]; keyed?: boolean } }
  | { top_hits: { size?: number; from?: number; sort?: Sort; _source?: boolean | string | string[] | { includes?: string[]; excludes?: string[] }; track_scores?: boolean; version?: boolean; seq_no_primary_term?: boolean } }
) & { aggs?: Aggregations; aggregations?: Aggregations; meta?: Record<string, unknown> }

/** Named aggregations. */
export type Aggregations = Record<string, Aggregation>

/** One bucket: its key, count, and its sub-aggregations' results by name. */
export interface Bucket {
  key: string | number
  key_as_string?: string
  doc_count: number
  [sub: string]: unknown
}

/**
 * The result of one aggregation, in Elasticsearch's shape: `buckets` (an array, or an object when
 * keyed) for bucket aggregations, `doc_count` for single-bucket ones, `value` for single-value
 * metrics, the named values of `stats`/`extended_stats`/`percentiles`, `hits` for top_hits.
 */
export interface AggregationResult {
  buckets?: Bucket[] | Record<string, Omit<Bucket, 'key'>>
  doc_count?: number
  doc_count_error_upper_bound?: number
  sum_other_doc_count?: number
  value?: number | null
  value_as_string?: string
  values?: Record<string, number | null> | Array<{ key: number; value: number | null }>
  [other: string]: unknown
}

/** Results by the request's names. */
export type AggregationsResult = Record<string, AggregationResult>
