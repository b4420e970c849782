/**
 * What an aggregation runs over: a bucket's documents in each index searched (one scope per
 * index, so that several indexes aggregate exactly, as one), and the field values it reads from
 * their doc values (storage/columns.ts).
 * @module
 */
import type { Json } from '../json-shapes.js'
import { LsrError } from '../../errors.js'
import { numeric } from './options.js'
import { formatDate, isNumberField, METADATA_FIELDS, parseDate, parseDateMath, readBoolean, splitFormats, type LeafField } from '../../mapping/index.js'
import type { SearchRequest } from '../../search/searcher.js'
import type { DocValues } from '../../storage/columns.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { CompileOptions, IndexReader, SortedHit } from '../index-reader.js'

/** One index's part of a bucket. */
export interface AggScope {
  /** The index name hits of it show (`_index`). */
  index: string
  reader: IndexReader
  /** The search's compiled query (top_hits ranks by its scores). */
  request: SearchRequest
  /** The bucket's live documents in this index (never modified: aggregations make new bitmaps). */
  docs: RoaringBitmap32
}

export type Scopes = readonly AggScope[]

/** Elasticsearch's `search.max_buckets`. */
export const MAX_BUCKETS = 65_536

/** Hits all top_hits aggregations of one request may show together: Elasticsearch's `index.max_result_window`. */
export const MAX_TOP_HITS = 10_000

/** What one aggregation request shares while it runs. */
export class AggRun {
  #buckets = 0
  /** top_hits hits waiting for their stored sources (read after the synchronous part). */
  readonly pending: PendingHits[] = []
  /**
   * What a metric's null values sort as, by result: Elasticsearch keeps an empty min as +Infinity
   * and an empty max as -Infinity (shown as null), so ordering buckets by them puts those first in
   * one direction; other nulls (an empty avg) sort last either way.
   */
  readonly sortValues = new WeakMap<object, Record<string, number>>()

  /**
   * Names results by which Elasticsearch's typed_keys prefixes them (`sterms#by_tag`) when the
   * result's type says more than its request's (terms: by the field's family).
   */
  readonly typedNames = new WeakMap<object, string>()

  /** @param typedKeys - prefix each result's name with its type, as Elasticsearch's `typed_keys` */
  constructor(
    readonly compileOptions: CompileOptions,
    readonly typedKeys = false,
  ) {}

  #topHits = 0

  /**
   * Counts the hits top_hits aggregations show, refusing more than {@link MAX_TOP_HITS} in one
   * request: a thousand sibling top_hits of 100 hits each would build a response of gigabytes
   * (Elasticsearch's request circuit breaker stops such a request too).
   */
  addTopHits(n: number): void {
    this.#topHits += n
    if (this.#topHits > MAX_TOP_HITS) {
      throw new LsrError('invalid_argument', `top_hits aggregations would show more than ${MAX_TOP_HITS} hits in one response (${this.#topHits} so far): ask for fewer buckets or smaller top_hits`)
    }
  }

  /** Counts buckets made, refusing more than Elasticsearch's `search.max_buckets`. */
  addBuckets(n: number): void {
    this.#buckets += n
    if (this.#buckets > MAX_BUCKETS) throw tooManyBuckets(this.#buckets)
  }
}

/** Elasticsearch's too_many_buckets_exception message. */
export function tooManyBuckets(n: number): LsrError {
  return new LsrError('too_many_buckets', `Trying to create too many buckets. Must be less than or equal to: [${MAX_BUCKETS}] but was [${n}]. This limit can be set by changing the [search.max_buckets] cluster level setting.`)
}


/** Hits of a top_hits aggregation: `fill` writes them into its result once their sources are read. */
export interface PendingHits {
  hits: Array<{ scope: AggScope; hit: SortedHit }>
  fill(sources: Array<Record<string, unknown>>): void
}

/** How a field's values read: as strings (keyword) or numbers (numeric, date millis, boolean 0/1). */
export type ValueFamily = 'string' | 'number'

/** A field as the scopes map it: its leaf (from the first index mapping it) and value family. */
export interface AggField {
  name: string
  /** Undefined: no index searched maps it (every document is missing it). */
  leaf?: LeafField
  family: ValueFamily
}

/**
 * The field an aggregation names, checked as Elasticsearch checks it: a text field has no doc
 * values ("fielddata"), a learned-sparse field no single values, a field without doc values
 * cannot be aggregated, and indexes mapping it with incompatible types cannot aggregate it together.
 * @param allow - the leaf types the aggregation takes (default: every field with doc values)
 */
export function aggField(scopes: Scopes, name: string, agg: string, allow?: (leaf: LeafField) => boolean): AggField {
  // Not "unmapped" (which counts nothing): Elasticsearch aggregates some of them, lsr none.
  if (METADATA_FIELDS.has(name)) throw new LsrError('invalid_argument', `[${agg}] on the metadata field [${name}] is not supported`)
  let found: LeafField | undefined
  for (const { reader } of scopes) {
    const leaf = reader.schema?.field(name)
    if (!leaf) continue
    if (leaf.type === 'text') {
      throw new LsrError('invalid_argument', `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${name}] in order to load field data by uninverting the inverted index. Note that this can use significant memory. (lsr does not support fielddata: aggregate a keyword sub-field such as [${name}.keyword])`)
    }
    if (leaf.type === 'rank_features' || leaf.type === 'sparse_vector') throw new LsrError('invalid_argument', `Field [${name}] of type [${leaf.type}] is not supported for aggregation [${agg}]`)
    if ('docValues' in leaf && !leaf.docValues) throw new LsrError('invalid_argument', `Can't load fielddata on [${name}] because fielddata is unsupported on fields of type [${leaf.type}]. Use doc values instead.`)
    if (allow && !allow(leaf)) throw new LsrError('invalid_argument', `Field [${name}] of type [${leaf.type}] is not supported for aggregation [${agg}]`)
    if (found && familyOf(found) !== familyOf(leaf)) throw new LsrError('invalid_argument', `Field [${name}] is mapped as [${found.type}] in one index and [${leaf.type}] in another: they cannot be aggregated together`)
    found ??= leaf
  }
  return { name, leaf: found, family: found ? familyOf(found) : 'number' }
}

function familyOf(leaf: LeafField): ValueFamily {
  return leaf.type === 'keyword' ? 'string' : 'number'
}

/** Leaves a metric reads as numbers: numeric, date and boolean fields. */
export const numericLeaf = (leaf: LeafField): boolean => isNumberField(leaf) || leaf.type === 'date' || leaf.type === 'boolean'

/** A scope's doc values of a field: numbers, or strings as numbers into a dictionary. */
export type ScopeValues =
  | { family: 'number'; rows: DocValues<Float64Array> }
  | { family: 'string'; rows: DocValues<Uint32Array>; dictionary: readonly string[] }

/** The doc values of a field in one scope; undefined when no document of the index has one. */
export function scopeValues(scope: AggScope, field: AggField): ScopeValues | undefined {
  if (!field.leaf || !scope.reader.schema?.field(field.name)) return undefined
  const column = scope.reader.column(field.name)
  if (!column) return undefined
  if (column.kind === 'number') return { family: 'number', rows: column.docValues() }
  const rows = column.docValues()
  return { family: 'string', rows, dictionary: rows.dictionary }
}

/**
 * Calls `each(doc, start, end)` for every document of `docs` with its rows' range of values
 * (`start === end`: none). Doc ids in ascending order.
 */
export function forEachDoc(docs: RoaringBitmap32, rows: DocValues<Float64Array | Uint32Array>, each: (doc: number, start: number, end: number) => void): void {
  const ids = docs.toUint32Array()
  const { starts, docs: covered } = rows
  for (let i = 0; i < ids.length; i++) {
    const doc = ids[i]
    if (doc < covered) each(doc, starts[doc], starts[doc + 1])
    else each(doc, 0, 0)
  }
}

/** Every value (numbers) of the documents of a scope, as the field's numbers; none for a string field. */
export function numbersOf(scope: AggScope, field: AggField): Float64Array {
  const values = scopeValues(scope, field)
  if (!values || values.family !== 'number') return new Float64Array(0)
  const ids = scope.docs.toUint32Array()
  const { starts, values: all, docs: covered } = values.rows
  let n = 0
  for (let i = 0; i < ids.length && ids[i] < covered; i++) n += starts[ids[i] + 1] - starts[ids[i]]
  const out = new Float64Array(n)
  let at = 0
  for (let i = 0; i < ids.length && ids[i] < covered; i++) {
    const doc = ids[i]
    for (let j = starts[doc]; j < starts[doc + 1]; j++) out[at++] = all[j]
  }
  return out
}

/** The documents of a scope with no value of the field. */
export function docsMissing(scope: AggScope, field: AggField): RoaringBitmap32 {
  const values = scopeValues(scope, field)
  if (!values) return scope.docs.clone()
  const missing: number[] = []
  forEachDoc(scope.docs, values.rows, (doc, start, end) => {
    if (start === end) missing.push(doc)
  })
  return new RoaringBitmap32(missing)
}

/** The same scopes over other documents (one bitmap per scope). */
export function withDocs(scopes: Scopes, docs: readonly RoaringBitmap32[]): AggScope[] {
  return scopes.map((scope, i) => ({ ...scope, docs: docs[i] }))
}

/** A key of a bucket or a metric's value as Elasticsearch shows it: dates and booleans also as strings. */
export function keyJson(field: AggField, key: number | string, format?: string): Json {
  if (typeof key === 'string') return { key }
  const leaf = field.leaf
  if (leaf?.type === 'date') return { key, key_as_string: formatValue(field, key, format) }
  if (leaf?.type === 'boolean') return { key, key_as_string: key === 1 ? 'true' : 'false' }
  return { key }
}

/** A date's millis in the aggregation's format or the field's first; other numbers as they are. */
export function formatValue(field: AggField, value: number, format?: string, timeZone?: string): string {
  if (field.leaf?.type === 'date') return formatDate(value, format ?? field.leaf.formats, timeZone)
  return String(value)
}

/**
 * A value of the request (`missing`, `include`, `exclude`) as the field's key: a string for a
 * keyword field; a number for numeric fields, epoch millis for dates (a string through the field's
 * formats), 1/0 for booleans.
 * @param what - the option, for messages
 */
export function fieldKey(field: AggField, value: unknown, where: string, what: string): string | number {
  const fail = (reason: string): never => {
    throw new LsrError('invalid_argument', `${where}: [${what}] ${reason}`)
  }
  if (value === null || typeof value === 'object') return fail(`must be a string, number or boolean, got ${JSON.stringify(value)?.slice(0, 80)}`)
  if (field.family === 'string') return String(value)
  const leaf = field.leaf
  if (leaf?.type === 'date' && typeof value === 'string') {
    const parsed = parseDate(value, leaf.formats)
    return parsed.ok ? parsed.value : fail(parsed.reason)
  }
  if (leaf?.type === 'boolean') {
    const parsed = readBoolean(value)
    return parsed.ok ? (parsed.value ? 1 : 0) : fail(parsed.reason)
  }
  const n = numeric(value)
  return typeof n === 'number' && Number.isFinite(n) ? n : fail(`must be a number for field [${field.name}], got ${JSON.stringify(value)?.slice(0, 80)}`)
}

/**
 * An object for keys a request names (aggregation, filter and range names, formatted keys):
 * without a prototype, so that a name such as `__proto__` is an ordinary key, not the prototype.
 */
export function keyedObject(): Json {
  return Object.create(null) as Json
}

/** The documents of a bucket over every index. */
export function docCount(docs: readonly RoaringBitmap32[]): number {
  return docs.reduce((n, d) => n + d.size, 0)
}

/**
 * A date an aggregation's request names (a range bound, extended or hard bounds): date math with
 * `now`, read with the aggregation's formats (or the field's) in its time zone.
 */
export function dateBound(text: string, formats: string | readonly string[], run: AggRun, timeZone?: string): number {
  return parseDateMath(text, splitFormats(typeof formats === 'string' ? formats : formats.join('||')), run.compileOptions.now ?? Date.now(), false, timeZone)
}
