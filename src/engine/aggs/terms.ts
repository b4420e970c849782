/**
 * The `terms` aggregation: a bucket per distinct value of a field among the matched documents,
 * counted exactly (one node sees every document, so `doc_count_error_upper_bound` is 0 and
 * `sum_other_doc_count` is exact).
 *
 * Two ways to count a keyword field, chosen per index and request (`execution_hint` forces one):
 * - `bitmaps`: one AND-cardinality of the matched documents with each value's posting bitmap
 *   (the exact term's postings); cheap when the field has few values;
 * - a pass over the matched documents' doc values (`global_ordinals`, `map`), counting into an
 *   array indexed by the column's value numbers; cheap when the field has many values.
 * Numeric, date and boolean fields count their doc values in a map.
 * @module
 */
import { LsrError } from '../../errors.js'
import { exactTerm } from '../schema.js'
import type { Json } from '../json-shapes.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { AggregationParser, SubAggregations } from './aggregator.js'
import { javaDouble } from './metrics.js'
import { AggOptions, parsing } from './options.js'
import { aggField, docsMissing, fieldKey, forEachDoc, keyJson, scopeValues, withDocs, type AggField, type AggRun, type AggScope, type Scopes } from './scope.js'

type Key = string | number

/** Bitmaps cost about one AND-cardinality per value, the pass a few operations per document. */
const DOCS_PER_BITMAP = 256

type Hint = 'bitmaps' | 'global_ordinals' | 'map' | undefined

/** One ordering of buckets: by count, key, or a sub-aggregation's value (path `agg`, `agg.metric`, `a>b.metric`). */
type Order = { by: '_count' | '_key'; asc: boolean } | { by: 'path'; path: string[]; metric?: string; asc: boolean }

interface Bucket {
  key: Key
  count: number
  /** Its documents per scope (made when sub-aggregations or a sub-aggregation order need them). */
  docs?: RoaringBitmap32[]
  subs?: Json
}

export const terms: AggregationParser = (body, where, subs) => {
  const options = new AggOptions(body, where)
  options.noScript('value_type')
  const name = options.field()!
  const size = options.count('size', 10)
  if (size === 0) throw parsing(`${where}: [size] must be greater than 0. Found [0]`)
  // Shard-level knobs: one node counts every document exactly whatever they are.
  options.count('shard_size', size)
  options.count('shard_min_doc_count', 0)
  const minDocCount = options.count('min_doc_count', 1)
  const showError = options.boolean('show_term_doc_count_error', false)
  const collectMode = options.string('collect_mode')
  if (collectMode !== undefined && collectMode !== 'breadth_first' && collectMode !== 'depth_first') throw parsing(`${where}: [collect_mode] must be breadth_first or depth_first`)
  const hint = options.string('execution_hint') as Hint
  if (hint !== undefined && !['bitmaps', 'global_ordinals', 'map'].includes(hint)) throw parsing(`${where}: [execution_hint] must be map, global_ordinals or bitmaps, got [${String(hint)}]`)
  const missing = options.raw('missing')
  const include = exactList(options.raw('include'), 'include', where)
  const exclude = exactList(options.raw('exclude'), 'exclude', where)
  const format = options.string('format')
  const orders = parseOrder(options.raw('order'), where, subs)
  options.done()

  return {
    run(scopes, run) {
      const field = aggField(scopes, name, 'terms')
      if (format !== undefined && field.leaf?.type !== 'date') throw new LsrError('invalid_argument', `${where}: [format] applies to date fields here, not to [${field.leaf?.type ?? 'unmapped'}] field [${name}]`)
      // A field no index maps has no type to read `missing` as: its bucket is keyed as given.
      const missingKey = missing === undefined ? undefined : !field.leaf && (typeof missing === 'string' || typeof missing === 'number') ? missing : fieldKey(field, missing, where, 'missing')
      const counts = new Map<Key, number>()
      for (const scope of scopes) countValues(scope, field, hint, counts)
      if (missingKey !== undefined) {
        const absent = scopes.reduce((n, scope) => n + docsMissing(scope, field).size, 0)
        if (absent > 0) counts.set(missingKey, (counts.get(missingKey) ?? 0) + absent)
      }
      if (minDocCount === 0) for (const scope of scopes) addLiveValues(scope, field, counts)
      const keep = keyFilter(field, include, exclude, where)
      let buckets: Bucket[] = []
      for (const [key, count] of counts) if (count >= minDocCount && keep(key)) buckets.push({ key, count })

      const bySubAggregation = orders.some((o) => o.by === 'path')
      if (bySubAggregation) {
        bucketDocs(scopes, field, buckets, missingKey)
        for (const bucket of buckets) bucket.subs = subs.run(withDocs(scopes, bucket.docs!), run)
      }
      const total = buckets.reduce((n, b) => n + b.count, 0)
      buckets = firstInOrder(buckets, comparator(orders, where, run), size)
      run.addBuckets(buckets.length)
      if (!bySubAggregation && subs.names.length > 0) {
        bucketDocs(scopes, field, buckets, missingKey)
        for (const bucket of buckets) bucket.subs = subs.run(withDocs(scopes, bucket.docs!), run)
      }
      const result = {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: total - buckets.reduce((n, b) => n + b.count, 0),
        buckets: buckets.map((b) => ({
          ...keyJson(field, b.key, format),
          doc_count: b.count,
          ...(showError ? { doc_count_error_upper_bound: 0 } : {}),
          ...b.subs,
        })),
      }
      run.typedNames.set(result, typedName(field))
      return result
    },
  }
}

/** Elasticsearch's typed_keys name of a terms result: by the field's values (unmapped: umterms). */
function typedName(field: AggField): string {
  const type = field.leaf?.type
  if (type === undefined) return 'umterms'
  if (type === 'keyword') return 'sterms'
  return ['float', 'double', 'half_float', 'scaled_float'].includes(type) ? 'dterms' : 'lterms'
}

/**
 * The first `size` items in the comparator's order: a full sort when most are kept, else one pass
 * keeping the best `size` sorted (a field with 100,000 values shown 10 at a time sorts 10, not 100,000).
 */
function firstInOrder<T>(items: T[], compare: (a: T, b: T) => number, size: number): T[] {
  if (size * 8 >= items.length) return items.sort(compare).slice(0, size)
  const best: T[] = []
  for (const item of items) {
    if (best.length === size && compare(item, best[size - 1]) >= 0) continue
    // Binary search for the first kept item that sorts after this one (stable: ties stay in order).
    let lo = 0
    let hi = best.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(best[mid], item) <= 0) lo = mid + 1
      else hi = mid
    }
    best.splice(lo, 0, item)
    if (best.length > size) best.pop()
  }
  return best
}

/** `include`/`exclude`: exact values only (an array); a regular expression or partitions are refused. */
function exactList(value: unknown, what: string, where: string): unknown[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw parsing(`${where}: [${what}] must be an array of exact values (lsr does not support regular expressions or partitions)`)
  return value
}

function keyFilter(field: AggField, include: unknown[] | undefined, exclude: unknown[] | undefined, where: string): (key: Key) => boolean {
  const keys = (list: unknown[], what: string) => new Set(list.map((v) => fieldKey(field, v, where, what)))
  const included = include && keys(include, 'include')
  const excluded = exclude && keys(exclude, 'exclude')
  return (key) => (!included || included.has(key)) && (!excluded || !excluded.has(key))
}

/** Adds each value's count of documents in the scope (a document once per distinct value). */
function countValues(scope: AggScope, field: AggField, hint: Hint, counts: Map<Key, number>): void {
  const values = scopeValues(scope, field)
  if (!values) return
  if (values.family === 'string') {
    const { dictionary } = values
    const bitmaps = hint === 'bitmaps' || (hint === undefined && dictionary.length * DOCS_PER_BITMAP <= scope.docs.size)
    // Values written with the field indexed have postings; doc-values-only fields take the pass.
    // This index's own mapping decides (another index searched may map the field index: false).
    const leaf = scope.reader.schema?.field(field.name)
    if (bitmaps && leaf?.type === 'keyword' && leaf.index) {
      for (const value of dictionary) {
        const docs = scope.reader.termDocs(exactTerm(field.name, value))
        const n = docs ? docs.andCardinality(scope.docs) : 0
        if (n > 0) counts.set(value, (counts.get(value) ?? 0) + n)
      }
      return
    }
    const perValue = new Uint32Array(dictionary.length)
    const ids = values.rows.values
    forEachDoc(scope.docs, values.rows, (_doc, start, end) => {
      for (let i = start; i < end; i++) perValue[ids[i]]++
    })
    for (let id = 0; id < perValue.length; id++) if (perValue[id] > 0) counts.set(dictionary[id], (counts.get(dictionary[id]) ?? 0) + perValue[id])
    return
  }
  const all = values.rows.values
  forEachDoc(scope.docs, values.rows, (_doc, start, end) => {
    for (let i = start; i < end; i++) {
      // A value repeated in one document counts once (a document's numbers are sorted: columns.ts).
      if (i === start || all[i] !== all[i - 1]) counts.set(all[i], (counts.get(all[i]) ?? 0) + 1)
    }
  })
}

/** `min_doc_count: 0`: every value a live document of the index holds, with 0 when none matched. */
function addLiveValues(scope: AggScope, field: AggField, counts: Map<Key, number>): void {
  const values = scopeValues(scope, field)
  if (!values) return
  const all = values.rows.values
  forEachDoc(scope.reader.allDocs(), values.rows, (_doc, start, end) => {
    for (let i = start; i < end; i++) {
      const key = values.family === 'string' ? values.dictionary[all[i]] : all[i]
      if (!counts.has(key)) counts.set(key, 0)
    }
  })
}

/** Each bucket's documents per scope: one pass over the matched documents' values. */
function bucketDocs(scopes: Scopes, field: AggField, buckets: Bucket[], missingKey: Key | undefined): void {
  const at = new Map<Key, number>(buckets.map((b, i) => [b.key, i]))
  for (const bucket of buckets) bucket.docs = []
  for (const scope of scopes) {
    const lists: number[][] = buckets.map(() => [])
    const values = scopeValues(scope, field)
    const missingAt = missingKey === undefined ? undefined : at.get(missingKey)
    if (values) {
      const all = values.rows.values
      forEachDoc(scope.docs, values.rows, (doc, start, end) => {
        if (start === end && missingAt !== undefined) lists[missingAt].push(doc)
        for (let i = start; i < end; i++) {
          // Sorted numbers, distinct strings (columns.ts): a repeat is the previous value.
          if (i > start && all[i] === all[i - 1]) continue
          const bucket = at.get(values.family === 'string' ? values.dictionary[all[i]] : all[i])
          if (bucket !== undefined) lists[bucket].push(doc)
        }
      })
    } else if (missingAt !== undefined) {
      lists[missingAt] = scope.docs.toArray()
    }
    lists.forEach((docs, i) => buckets[i].docs!.push(new RoaringBitmap32(docs)))
  }
}

/** Parses `order`: an object of one key, or an array of them; a tie breaks by key ascending. */
export function parseOrder(spec: unknown, where: string, subs: SubAggregations, fallback: Order[] = [{ by: '_count', asc: false }]): Order[] {
  if (spec === undefined) return [...fallback, { by: '_key', asc: true }]
  const list = Array.isArray(spec) ? spec : [spec]
  const orders = list.map((entry): Order => {
    const pairs = entry !== null && typeof entry === 'object' ? Object.entries(entry as Json) : []
    if (pairs.length !== 1) throw parsing(`${where}: each [order] must be an object of one key, such as {"_count": "desc"}`)
    const [path, direction] = pairs[0]
    if (direction !== 'asc' && direction !== 'desc') throw parsing(`${where}: unknown order direction [${String(direction)}]: asc or desc`)
    const asc = direction === 'asc'
    if (path === '_count' || path === '_key') return { by: path, asc }
    // `_term` and `_time` were renamed `_key` in Elasticsearch 6.
    const dot = path.lastIndexOf('.')
    const steps = (dot < 0 ? path : path.slice(0, dot)).split('>')
    if (!subs.names.includes(steps[0])) {
      throw new LsrError('invalid_argument', `${where}: Invalid aggregator order path [${path}]. The path must name a sub-aggregation, _count or _key`)
    }
    return { by: 'path', path: steps, metric: dot < 0 ? undefined : path.slice(dot + 1), asc }
  })
  return orders.some((o) => o.by === '_key') ? orders : [...orders, { by: '_key', asc: true }]
}

/** The bucket comparator of the orders; a sub-aggregation's missing value (null) sorts last either way. */
export function comparator(orders: Order[], where: string, run: AggRun): (a: { key: Key; count: number; subs?: Json }, b: { key: Key; count: number; subs?: Json }) => number {
  return (a, b) => {
    for (const order of orders) {
      let c: number
      if (order.by === '_count') c = a.count - b.count
      else if (order.by === '_key') c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0
      else if (order.by === 'path') {
        const [x, y] = [pathValue(a.subs!, order, where, run), pathValue(b.subs!, order, where, run)]
        if (x === null || y === null) {
          if (x !== y) return x === null ? 1 : -1
          continue
        }
        // Not x - y: an empty min or max is ±Infinity, and Infinity - Infinity is NaN.
        c = x < y ? -1 : x > y ? 1 : 0
      } else c = 0
      if (c !== 0) return order.asc ? c : -c
    }
    return 0
  }
}

/** The number a bucket sorts by: a metric's value, a multi-value metric's named value, or a single-bucket's count. */
function pathValue(results: Json, order: Extract<Order, { by: 'path' }>, where: string, run: AggRun): number | null {
  let node: unknown = results
  for (const step of order.path) {
    node = node !== null && typeof node === 'object' ? (node as Json)[step] : undefined
    if (node === undefined) throw new LsrError('invalid_argument', `${where}: Invalid aggregator order path [${order.path.join('>')}]: no aggregation [${step}]`)
  }
  const result = node as Json
  let value: unknown
  if (order.metric !== undefined) {
    const values = result.values as Json | undefined
    value = Object.hasOwn(result, order.metric) ? result[order.metric] : values?.[order.metric] ?? values?.[javaDouble(Number(order.metric))]
    if (value === undefined) throw new LsrError('invalid_argument', `${where}: Invalid aggregation order path: [${order.path.join('>')}] has no value [${order.metric}]`)
  } else if (Object.hasOwn(result, 'value')) value = result.value
  else if (Object.hasOwn(result, 'doc_count')) value = result.doc_count
  else {
    throw new LsrError('invalid_argument', `${where}: Buckets can only be sorted on a sub-aggregator path that is built out of zero or more single-bucket aggregations within the path and a final single-bucket or a metrics aggregation at the path end; [${order.path.join('>')}] needs a metric name, e.g. [${order.path.join('>')}.avg]`)
  }
  return typeof value === 'number' ? value : (run.sortValues.get(result)?.[order.metric ?? 'value'] ?? null)
}

export type { Order }
