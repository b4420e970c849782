/**
 * Points in time: OpenSearch's `POST /{index}/_search/point_in_time?keep_alive=` (→ `pit_id`,
 * `creation_time`), `GET|DELETE /_search/point_in_time/_all`, `DELETE /_search/point_in_time`;
 * Elasticsearch's `POST /{index}/_pit?keep_alive=` (→ `id`) and `DELETE /_pit`; and `_search`
 * with `pit: {id, keep_alive}` (no index in the path), with `sort`, `from` and `search_after`.
 *
 * A point in time holds one reader per index, taken when it opens (reader-contexts.ts), and sees
 * its indexes as of then whatever is written afterwards:
 * - while an index is unchanged, its searches rank with that reader; once a write has been
 *   applied, with a frozen copy loaded from the reader's LevelDB snapshot the first time it is
 *   needed (SparseIndex.freeze: a second copy of the index's in-memory tables, held until the point
 *   in time is freed). Stored documents are read through the same snapshot.
 * - it keeps the ranking of each query it ran (the first {@link PIT_WINDOW} hits, deeper on demand
 *   up to `MAX_RANKED_HITS`) for {@link MAX_PIT_RANKINGS} queries, so that paging through one with
 *   `search_after` or `from` does not rank it again.
 *
 * As in Elasticsearch, each hit's `sort` ends with an implicit tiebreaker (`_shard_doc`: index
 * position × 2^32 + doc id), so `search_after` with the last hit's `sort` never skips or repeats
 * a hit; `search_after` without it (the sort's values only) is taken too.
 * @module
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import { parseSearchAfter, type ParsedSort } from '../engine/query/sort.js'
import { compareSortValues, type SortValue } from '../search/sorted-search.js'
import { badRequest, parsingError } from './http-error.js'
import { isObject, type Json } from './json.js'
import type { JsonBodyReader } from './pipelines.js'
import { MAX_RANKED_HITS, parseKeepAlive, type ReaderContext, type ReaderContexts } from './reader-contexts.js'
import { refuseInHeldSearch } from './scroll.js'
import type { HeldRanking, SearchHold } from './search.js'
import { INDEX_STRIDE, SHARDS } from './search.js'
import { acceptsParams, NO_EFFECT_ON_ONE_NODE, otherMethods } from './url-params.js'

/** Hits a point in time ranks of a query at first: Elasticsearch's `index.max_result_window`. */
export const PIT_WINDOW = 10_000
/** Rankings a point in time keeps: those of the queries it searched last. */
export const MAX_PIT_RANKINGS = 8
/** The order of a search without `sort`. */
const BY_SCORE: ParsedSort = { keys: [{ by: 'score', descending: true }], fields: [undefined], byScore: true }

/** A ranking a point in time keeps, and the depth it was ranked to. */
interface KeptRanking {
  ranking: HeldRanking
  depth: number
}

const kept = new WeakMap<ReaderContext, Map<string, KeptRanking>>()

/** Runs a `_search` body over given indexes with a hold (the app's search). */
export type PitSearchRunner = (indexes: Array<[string, SparseIndex]>, body: Json, hold: SearchHold) => Promise<Json>

/** Opens a point in time over the indexes: a reader of each, taken now. */
export function openPit(contexts: ReaderContexts, found: ReadonlyArray<[string, SparseIndex]>, keepAliveMs: number): ReaderContext {
  contexts.checkRoom('pit')
  const indexes: Array<ReaderContext['indexes'][number]> = []
  try {
    for (const [name, index] of found) indexes.push({ name, index, reader: index.reader() })
  } catch (error) {
    for (const { reader } of indexes) reader.release()
    throw error
  }
  const context = contexts.open('pit', indexes, keepAliveMs)
  kept.set(context, new Map())
  return context
}

/** The `pit` of a search body: `{id, keep_alive}`. */
function pitReference(pit: unknown): { id: string; keepAlive?: number } {
  if (!isObject(pit) || typeof pit.id !== 'string' || pit.id === '') throw parsingError('[pit] must be an object with an [id] (and a [keep_alive])')
  for (const key of Object.keys(pit)) if (key !== 'id' && key !== 'keep_alive') throw parsingError(`[pit] option [${key}] is not supported (options: id, keep_alive)`)
  return { id: pit.id, keepAlive: pit.keep_alive === undefined ? undefined : parseKeepAlive(pit.keep_alive, 'pit.keep_alive') }
}

/** Signals that a page lies past a ranking's depth: rank deeper. */
class RankDeeper extends Error {}

/** Signals that a search needs a current reader of an index that changed since the point in time opened. */
class ReadersChanged extends Error {
  constructor(readonly index: string) {
    super(`index [${index}] changed`)
  }
}

/**
 * `_search` with `pit`: the page of the query's ranking in the point in time (ranked now if its
 * indexes are unchanged, else as kept), after `search_after`, with `pit_id`.
 * @param options.pathIndex the index of the path, which a point in time search must not have
 * @param options.urlPipeline `?search_pipeline=`, part of what the ranking is kept by
 */
export async function pitSearch(
  contexts: ReaderContexts,
  body: Json,
  options: { pathIndex?: string; scroll?: string; urlPipeline?: string },
  run: PitSearchRunner,
): Promise<Json> {
  if (options.pathIndex !== undefined) throw badRequest('[indices] cannot be used with point in time. Do not specify any index with point in time.')
  if (options.scroll !== undefined) throw badRequest('using [point in time] is not allowed in a scroll context')
  const { id, keepAlive } = pitReference(body.pit)
  refuseInHeldSearch(body, 'a point in time search')
  const { pit: _, search_after: after, ...rest } = body
  const from = typeof rest.from === 'number' ? rest.from : 0
  if (after !== undefined && from > 0) throw badRequest('[from] parameter must be set to 0 when [search_after] is used')
  const context = contexts.get('pit', id)
  const rankings = kept.get(context)!
  const key = JSON.stringify([rest.query ?? null, rest.post_filter ?? null, rest.sort ?? null, rest.track_scores ?? null, rest.search_pipeline ?? null, options.urlPipeline ?? null])
  const indexes = context.indexes.map(({ name, index }) => [name, index] as [string, SparseIndex])
  return context.use(async () => {
    if (keepAlive !== undefined) context.keepAlive(keepAlive)
    let known = rankings.get(key)
    let depth = known?.depth ?? PIT_WINDOW
    for (let freezes = 0; ;) {
      try {
        const answer = await run(indexes, rest, {
          depth,
          ranking: known?.ranking,
          reader: (name) => {
            // Its own reader while the index is unchanged, else its frozen copy, loaded (then the
            // search runs again) only when a search needs a current reader: paging a kept ranking does not.
            const reader = context.readerNow(name)
            if (!reader.current) throw new ReadersChanged(name)
            return reader
          },
          page: (ranking, render) => {
            const size = typeof rest.size === 'number' ? rest.size : 10
            if (known) touch(rankings, key)
            else keep(contexts, context, rankings, key, { ranking, depth })
            const start = startAfter(ranking, after) + from
            if (start + size > ranking.ranked.length && ranking.ranked.length < ranking.total) {
              if (depth >= MAX_RANKED_HITS) throw badRequest(`a point in time search pages through the first ${MAX_RANKED_HITS} hits of a query at most`)
              throw new RankDeeper()
            }
            const hits = ranking.ranked.slice(start, start + size).map(({ at, hit }) => ({ at, hit: { ...hit, sort: [...sortValues(hit), at * INDEX_STRIDE + hit.docId] } }))
            return render(ranking, hits)
          },
        })
        return { pit_id: id, ...answer }
      } catch (error) {
        // Each retry freezes one more index, and a frozen reader never changes.
        if (error instanceof ReadersChanged && freezes++ < context.indexes.length) {
          await context.currentReader(error.index)
          continue
        }
        if (!(error instanceof RankDeeper)) throw error
        // Ranked anew, deeper.
        known = undefined
        depth = Math.min(depth * 10, MAX_RANKED_HITS)
      }
    }
  })
}

/** Makes a kept ranking the most recently used. */
function touch(rankings: Map<string, KeptRanking>, key: string): void {
  const entry = rankings.get(key)!
  rankings.delete(key)
  rankings.set(key, entry)
}

/**
 * Keeps a new ranking of a query, trimmed to its depth (past it, the merge of several indexes'
 * top hits is not exact), in place of an earlier one; the least recently used go past
 * {@link MAX_PIT_RANKINGS}. Refused (429) when open contexts hold too many hits.
 */
function keep(contexts: ReaderContexts, context: ReaderContext, rankings: Map<string, KeptRanking>, key: string, entry: KeptRanking): void {
  const { ranking, depth } = entry
  if (ranking.ranked.length > depth) ranking.ranked.length = depth
  const replaced = rankings.get(key)
  if (replaced) {
    rankings.delete(key)
    contexts.hold(context, -replaced.ranking.ranked.length)
  }
  contexts.hold(context, ranking.ranked.length)
  rankings.set(key, entry)
  for (const [oldest, { ranking: old }] of rankings) {
    if (rankings.size <= MAX_PIT_RANKINGS) break
    rankings.delete(oldest)
    contexts.hold(context, -old.ranked.length)
  }
}

/** A hit's values in its ranking's order: its sort values, or its score. */
const sortValues = (hit: HeldRanking['ranked'][number]['hit']): SortValue[] => hit.sort ?? [hit.score]

/** The position of the first hit after `search_after` (its sort values, and maybe the tiebreaker). */
function startAfter(ranking: HeldRanking, after: unknown): number {
  if (after === undefined) return 0
  const sort = ranking.sort ?? BY_SCORE
  const n = sort.keys.length
  if (!Array.isArray(after) || (after.length !== n && after.length !== n + 1)) {
    throw parsingError(`[search_after] must be an array of the sort's ${n} value(s), and maybe the point in time's tiebreaker (the last value of a hit's sort)`)
  }
  const values = parseSearchAfter(after.slice(0, n), sort)
  const tiebreaker = after[n] as unknown
  if (tiebreaker !== undefined && (typeof tiebreaker !== 'number' || !Number.isFinite(tiebreaker))) throw parsingError(`[search_after] value ${n} must be a number (the tiebreaker)`)
  const position = ranking.ranked.findIndex(({ at, hit }) => {
    const order = compareSortValues(sort.keys, sortValues(hit), values)
    return order > 0 || (order === 0 && tiebreaker !== undefined && at * INDEX_STRIDE + hit.docId > tiebreaker)
  })
  return position < 0 ? ranking.ranked.length : position
}

/** The ids of a delete body's key: one id or an array of them. */
function idsOf(body: Json, key: string): string[] {
  for (const name of Object.keys(body)) if (name !== key) throw badRequest(`[${name}] is not an option here (options: ${key})`)
  const value = body[key]
  const ids = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((id) => typeof id === 'string') ? (value as string[]) : undefined
  if (!ids || ids.length === 0) throw badRequest(`[${key}] must be an id or an array of ids`)
  return ids
}

/** The point in time routes, OpenSearch's and Elasticsearch's. */
export function pitRoutes(app: Hono<AppEnv>, contexts: ReaderContexts, jsonBody: JsonBodyReader): void {
  const open = async (c: Context<AppEnv>) => {
    const keepAlive = c.req.query('keep_alive')
    if (keepAlive === undefined) throw badRequest('[keep_alive] is not specified')
    const ms = parseKeepAlive(keepAlive, 'keep_alive')
    const found = await c.var.indexes.open(c.req.param('index') ?? '_all')
    return { context: openPit(contexts, found, ms), shards: { ...SHARDS, total: found.length, successful: found.length } }
  }
  const params = acceptsParams('keep_alive', 'allow_partial_pit_creation', ...NO_EFFECT_ON_ONE_NODE)
  app.post('/:index/_search/point_in_time', params, async (c) => {
    const { context, shards } = await open(c)
    return c.json({ pit_id: context.id, _shards: shards, creation_time: context.createdAt })
  })
  app.post('/:index/_pit', params, async (c) => {
    const { context, shards } = await open(c)
    return c.json({ id: context.id, _shards: shards })
  })

  const detail = (context: ReaderContext) => ({ pit_id: context.id, creation_time: context.createdAt, keep_alive: context.keepAliveMs })
  app.get('/_search/point_in_time/_all', acceptsParams(), (c) => c.json({ pits: contexts.list('pit').map(detail) }))
  app.delete('/_search/point_in_time/_all', acceptsParams(), (c) => c.json({ pits: contexts.freeAll('pit').map((context) => ({ pit_id: context.id, successful: true })) }))
  app.delete('/_search/point_in_time', acceptsParams(), async (c) => {
    const ids = idsOf(await jsonBody(c, true), 'pit_id')
    return c.json({ pits: ids.map((id) => ({ pit_id: id, successful: contexts.freeId('pit', id) })) })
  })
  app.delete('/_pit', acceptsParams(), async (c) => {
    const freed = idsOf(await jsonBody(c, true), 'id').filter((id) => contexts.freeId('pit', id)).length
    // Elasticsearch answers 404 when nothing was freed.
    return c.json({ succeeded: true, num_freed: freed }, freed > 0 ? 200 : 404)
  })
  app.all('/_pit', otherMethods('/_pit', ['DELETE']))
}
