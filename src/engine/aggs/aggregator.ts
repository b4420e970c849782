/**
 * The shape every aggregation takes once parsed: it runs over a bucket's documents (one scope per
 * index) and answers its result in Elasticsearch's JSON shape.
 * @module
 */
import type { Json } from '../json-shapes.js'
import type { AggRun, Scopes } from './scope.js'

export interface Aggregator {
  /** The result (without `meta`) over the scopes' documents. */
  run(scopes: Scopes, run: AggRun): Json
}

/** A bucket aggregation's parsed sub-aggregations. */
export interface SubAggregations {
  readonly names: readonly string[]
  /** The sub-aggregations' results over one bucket's documents, by name (spread into the bucket). */
  run(scopes: Scopes, run: AggRun): Json
}

/** Parses one aggregation type's body. `where` names it for messages (`[terms] aggregation [by_tag]`). */
export type AggregationParser = (body: Json, where: string, subs: SubAggregations) => Aggregator
