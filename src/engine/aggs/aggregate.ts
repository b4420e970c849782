/**
 * Elasticsearch aggregations (`aggs`), parsed once per request and run over the documents a
 * search matches, exactly, in every index searched at once (scope.ts). Parsing refuses unknown
 * types and options by name; running is synchronous (the index readers' in-memory state, see
 * index-reader.ts), then {@link readTopHitSources} reads the sources top_hits show.
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'
import type { Aggregator, AggregationParser, SubAggregations } from './aggregator.js'
import { dateHistogram, histogram } from './histograms.js'
import { METRICS } from './metrics.js'
import { parsing } from './options.js'
import { dateRange, range } from './ranges.js'
import { keyedObject, type AggRun, type Scopes } from './scope.js'
import { filter, filters, global, missing } from './single-bucket.js'
import { terms } from './terms.js'
import { topHits } from './top-hits.js'

/** Bucket aggregations by type (they take sub-aggregations). */
const BUCKETS: ReadonlyMap<string, AggregationParser> = new Map([
  ['terms', terms],
  ['histogram', histogram],
  ['date_histogram', dateHistogram],
  ['range', range],
  ['date_range', dateRange],
  ['filter', filter],
  ['filters', filters],
  ['missing', missing],
  ['global', global],
])

/** Deeper trees are refused before they are walked (Elasticsearch's parser has a depth limit too). */
const MAX_DEPTH = 20

/** The aggregations of one level, by name. */
class Level implements SubAggregations {
  constructor(private readonly entries: ReadonlyArray<{ name: string; type: string; aggregator: Aggregator; meta?: Json }>) {}

  get names(): string[] {
    return this.entries.map((e) => e.name)
  }

  run(scopes: Scopes, run: AggRun): Json {
    const out: Json = keyedObject()
    for (const { name, type, aggregator, meta } of this.entries) {
      const result = aggregator.run(scopes, run)
      const key = run.typedKeys ? `${run.typedNames.get(result) ?? TYPED_NAMES.get(type) ?? type}#${name}` : name
      // meta on the result itself: what AggRun keeps about a result is keyed by the object.
      out[key] = meta === undefined ? result : Object.assign(result, { meta })
    }
    return out
  }
}

/** Elasticsearch's typed_keys names where they differ from the request's type (terms names itself by field: terms.ts). */
const TYPED_NAMES = new Map([['percentiles', 'tdigest_percentiles']])

/** Aggregations parsed from a request's `aggs`: run them with {@link Level.run}. */
export type ParsedAggregations = SubAggregations

/**
 * Parses an `aggs` object: each name maps to an object of one aggregation type, with optional
 * `aggs` (or `aggregations`) and `meta`.
 * @throws LsrError query_parsing naming the unknown type, option or malformed part
 */
export function parseAggregations(spec: unknown, where = 'aggs'): ParsedAggregations {
  return parseLevel(spec, where, 0)
}

function parseLevel(spec: unknown, where: string, depth: number): Level {
  if (!isObject(spec)) throw parsing(`[${where}] must be an object of named aggregations`)
  if (depth >= MAX_DEPTH) throw parsing(`aggregations nest more than ${MAX_DEPTH} levels deep`)
  const entries = Object.entries(spec).map(([name, body]) => {
    if (/[[\]>]/.test(name) || name === '') throw parsing(`Invalid aggregation name [${name}]. Aggregation names can contain any character except '[', ']', and '>'`)
    if (!isObject(body)) throw parsing(`Expected [START_OBJECT] under [${name}], but got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : `a ${typeof body}`} in [${name}]`)
    let type: string | undefined
    let subSpec: unknown
    let meta: Json | undefined
    for (const [key, value] of Object.entries(body)) {
      if (key === 'aggs' || key === 'aggregations') {
        if (subSpec !== undefined) throw parsing(`Found two sub aggregation definitions under [${name}]`)
        subSpec = value
      } else if (key === 'meta') {
        if (!isObject(value)) throw parsing(`[meta] of [${name}] must be an object`)
        meta = value
      } else if (type !== undefined) {
        throw parsing(`Found two aggregation type definitions in [${name}]: [${type}] and [${key}]`)
      } else type = key
    }
    if (type === undefined) throw parsing(`Missing definition for aggregation [${name}]`)
    const typeBody = body[type]
    if (!isObject(typeBody)) throw parsing(`[${type}] aggregation [${name}] must be an object`)
    const at = `[${type}] aggregation [${name}]`
    const subs = subSpec === undefined ? new Level([]) : parseLevel(subSpec, `${where}.${name}.aggs`, depth + 1)
    const metric = METRICS.get(type)
    let parser: AggregationParser | undefined
    if (metric) {
      if (subs.names.length > 0) throw parsing(`Aggregator [${name}] of type [${type}] cannot accept sub-aggregations`)
      parser = metric
    } else if (type === 'top_hits') {
      parser = topHits
    } else {
      parser = BUCKETS.get(type)
      if (type === 'global' && depth > 0) throw new LsrError('invalid_argument', `Aggregator [${name}] of type [global] cannot be a sub-aggregator`)
    }
    if (!parser) throw parsing(`Unknown aggregation type [${type}] (lsr supports: ${[...BUCKETS.keys(), ...METRICS.keys(), 'top_hits'].join(', ')})`)
    return { name, type, aggregator: parser(typeBody, at, subs), meta }
  })
  return new Level(entries)
}

/**
 * Reads the stored sources of the hits top_hits aggregations chose, through each hit's index
 * reader (its snapshot: the same moment as the aggregations), and writes them into the results.
 */
export async function readTopHitSources(run: AggRun): Promise<void> {
  await Promise.all(run.pending.map(async ({ hits, fill }) => {
    const sources: Array<Record<string, unknown>> = new Array(hits.length)
    const readers = new Set(hits.map((h) => h.scope.reader))
    await Promise.all([...readers].map(async (reader) => {
      const slots = hits.flatMap((h, i) => (h.scope.reader === reader ? [i] : []))
      const read = await reader.withSources(slots.map((i) => hits[i].hit))
      slots.forEach((slot, j) => (sources[slot] = read[j].source))
    }))
    fill(sources)
  }))
}
