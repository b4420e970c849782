/**
 * Aggregations that narrow the documents by a query or a field, rather than by its values:
 * `filter`, `filters` (named or anonymous, with `other_bucket`), `missing` and `global`.
 * @module
 */
import { LsrError } from '../../errors.js'
import type { Json } from '../json-shapes.js'
import { isObject } from '../json-shapes.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { AggregationParser, SubAggregations } from './aggregator.js'
import { AggOptions, parsing } from './options.js'
import { keyedObject, aggField, docCount, docsMissing, withDocs, type AggRun, type Scopes } from './scope.js'

/** The scopes' documents that also match a query (query DSL, compiled per index). */
function matching(scopes: Scopes, query: unknown, run: AggRun): RoaringBitmap32[] {
  return scopes.map((scope) => scope.reader.matching(query, run.compileOptions).andInPlace(scope.docs))
}

/** A single bucket: its count and its sub-aggregations over its documents. */
function bucketJson(scopes: Scopes, docs: RoaringBitmap32[], subs: SubAggregations, run: AggRun): Json {
  return { doc_count: docCount(docs), ...subs.run(withDocs(scopes, docs), run) }
}

/** `filter`: the body is the query. */
export const filter: AggregationParser = (body, _where, subs) => ({
  run(scopes, run) {
    const docs = matching(scopes, body, run)
    return bucketJson(scopes, docs, subs, run)
  },
})

export const filters: AggregationParser = (body, where, subs) => {
  const options = new AggOptions(body, where)
  const spec = options.raw('filters')
  const named = isObject(spec)
  if (!named && !Array.isArray(spec)) throw parsing(`${where}: [filters] must be an object of named queries or an array of queries`)
  if ((named ? Object.keys(spec) : (spec as unknown[])).length === 0) throw new LsrError('invalid_argument', `${where}: [filters] cannot be empty.`)
  // Elasticsearch orders named filters by name.
  const entries: Array<[string | undefined, unknown]> = named ? Object.entries(spec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : (spec as unknown[]).map((q) => [undefined, q])
  const otherKey = options.string('other_bucket_key')
  const other = options.boolean('other_bucket', otherKey !== undefined)
  const keyed = options.boolean('keyed', named)
  options.done()
  if (other && named && Object.hasOwn(spec, otherKey ?? '_other_')) throw parsing(`${where}: the other bucket's key [${otherKey ?? '_other_'}] is also the name of a filter: set [other_bucket_key]`)
  if (keyed && !named) throw parsing(`${where}: [keyed] needs named filters (an object)`)
  return {
    run(scopes, run) {
      run.addBuckets(entries.length + (other ? 1 : 0))
      const buckets = entries.map(([name, query]) => ({ name, docs: matching(scopes, query, run) }))
      if (other) {
        const rest = scopes.map((scope, i) => scope.docs.clone().andNotInPlace(RoaringBitmap32.orMany(buckets.map((b) => b.docs[i]))))
        buckets.push({ name: otherKey ?? '_other_', docs: rest })
      }
      const rendered = buckets.map(({ name, docs }) => ({ name, json: bucketJson(scopes, docs, subs, run) }))
      if (!keyed) return { buckets: rendered.map((b) => b.json) }
      const out: Json = keyedObject()
      for (const { name, json } of rendered) out[name!] = json
      return { buckets: out }
    },
  }
}

export const missing: AggregationParser = (body, where, subs) => {
  const options = new AggOptions(body, where)
  const name = options.field()!
  options.done()
  return {
    run(scopes, run) {
      const field = aggField(scopes, name, 'missing')
      const docs = scopes.map((scope) => docsMissing(scope, field))
      return bucketJson(scopes, docs, subs, run)
    },
  }
}

/** `global`: every live document of the indexes searched, whatever the query (top level only). */
export const global: AggregationParser = (body, where, subs) => {
  new AggOptions(body, where).done()
  return {
    run(scopes, run) {
      const docs = scopes.map((scope) => scope.reader.allDocs())
      return bucketJson(scopes, docs, subs, run)
    },
  }
}
