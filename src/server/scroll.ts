/**
 * Scroll: `_search?scroll=1m` answers the first page and a `_scroll_id`; `GET|POST
 * /_search/scroll` the next pages; `DELETE /_search/scroll` frees scrolls (reader-contexts.ts keeps
 * them, with their keep-alive and bounds).
 *
 * A scroll ranks every hit of its query once, when it starts, with one reader per index: at most
 * {@link MAX_RANKED_HITS} (ten times Elasticsearch's `index.max_result_window`; a query matching
 * more is a 400 that says so). It keeps the ranked hits and the readers, and each page reads the
 * next hits' stored sources through the readers' LevelDB snapshots. So every page comes from the
 * one state the index had when the scroll started: a document written, replaced or deleted since
 * is not seen. Ranking later is not possible: a reader ranks only while no write has been applied
 * since it was taken (index-reader.ts), and it cannot be kept current while writes go on.
 * @module
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'
import { hybridOf } from '../engine/hybrid/hybrid-query.js'
import type { HeldRanking, PageRenderer, SearchHold } from './search.js'
import { badRequest } from './http-error.js'
import type { Json } from './json.js'
import type { JsonBodyReader } from './pipelines.js'
import { MAX_RANKED_HITS, parseKeepAlive, type ReaderContext, type ReaderContexts } from './reader-contexts.js'
import { restTotalHitsAsInt, totalAsInt } from './uri-search.js'
import { acceptsParams, otherMethods } from './url-params.js'

/** Runs a `_search` body over the request's indexes with a hold (the app's search: pipelines, `rest_total_hits_as_int`). */
export type HeldSearchRunner = (body: Json, hold: SearchHold) => Promise<Json>

/** Where a scroll is: its ranking, the renderer of its first request's settings, the next hit to show. */
interface ScrollState {
  ranking: HeldRanking
  render: PageRenderer
  size: number
  next: number
}

const scrolls = new WeakMap<ReaderContext, ScrollState>()

/**
 * Refuses what a scroll or a point in time cannot hold: explanations (a reader explains only while
 * current, and pages are read later) and hybrid queries (fused, not ranked by one sort).
 */
export function refuseInHeldSearch(body: Json, what: string): void {
  if (body.explain === true || body.explain === 'true') throw badRequest(`[explain] is not supported in ${what}`)
  if (hybridOf(body.query)) throw badRequest(`a [hybrid] query is not supported in ${what}`)
}

/**
 * `_search?scroll=`: ranks every hit of the body with fresh readers, keeps them in a new scroll,
 * and answers the first page with its `_scroll_id`.
 */
export async function startScroll(contexts: ReaderContexts, scroll: string, body: Json, run: HeldSearchRunner): Promise<Json> {
  const keepAlive = parseKeepAlive(scroll, 'scroll')
  refuseInHeldSearch(body, 'a scroll context')
  if (body.pit !== undefined) throw badRequest('using [point in time] is not allowed in a scroll context')
  if (body.search_after !== undefined) throw badRequest('[search_after] cannot be used in a scroll context')
  if (body.from !== undefined && body.from !== 0) throw badRequest('using [from] is not allowed in a scroll context')
  if (body.size === 0) throw badRequest('[size] cannot be [0] in a scroll context')
  if (body.track_total_hits === false || body.track_total_hits === 'false') throw badRequest('disabling [track_total_hits] is not allowed in a scroll context')
  contexts.checkRoom('scroll')
  const taken: Array<ReaderContext['indexes'][number]> = []
  let context: ReaderContext | undefined
  try {
    // A scroll counts every hit exactly: it ranks them all anyway.
    const answer = await run({ ...body, track_total_hits: body.track_total_hits ?? true }, {
      depth: MAX_RANKED_HITS,
      reader: (name, index) => {
        const reader = index.reader()
        taken.push({ name, index, reader })
        return reader
      },
      page: (ranking, render) => {
        if (ranking.total > MAX_RANKED_HITS) {
          throw badRequest(`a scroll ranks all its hits when it starts, and this query matches ${ranking.total} documents, more than lsr's limit of ${MAX_RANKED_HITS}: narrow the query, or page with search_after sorted by a unique field`)
        }
        context = contexts.open('scroll', taken, keepAlive)
        contexts.hold(context, ranking.ranked.length)
        const size = typeof body.size === 'number' ? body.size : 10
        scrolls.set(context, { ranking, render, size, next: size })
        return render(ranking, ranking.ranked.slice(0, size))
      },
    })
    return { _scroll_id: context!.id, ...answer }
  } catch (error) {
    // Released once: by the scroll if it was opened, else here (release() is idempotent).
    if (context) contexts.free(context)
    else for (const { reader } of taken) reader.release()
    throw error
  }
}

/** `_search/scroll`: the scroll's next page (empty once every hit was shown); `scroll` sets a new keep-alive. */
export async function continueScroll(contexts: ReaderContexts, id: string, scroll: unknown): Promise<Json> {
  const started = performance.now()
  const keepAlive = scroll === undefined ? undefined : parseKeepAlive(scroll, 'scroll')
  const context = contexts.get('scroll', id)
  const state = scrolls.get(context)!
  return context.use(async () => {
    if (keepAlive !== undefined) context.keepAlive(keepAlive)
    // Taken before the first await: two requests at once get two pages.
    const hits = state.ranking.ranked.slice(state.next, state.next + state.size)
    state.next += hits.length
    return { _scroll_id: id, ...(await state.render(state.ranking, hits, started)) }
  })
}

/** Scroll ids as a body or the path gives them: one string, a comma list, or an array of strings. */
function scrollIds(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) && value.every((id) => typeof id === 'string') ? (value as string[]) : undefined
  if (!list || list.length === 0 || list.some((id) => id === '')) throw badRequest('[scroll_id] must be a scroll id or an array of them')
  return list
}

/** The scroll routes: next page (`GET|POST /_search/scroll[/{id}]`) and clear (`DELETE`). */
export function scrollRoutes(app: Hono<AppEnv>, contexts: ReaderContexts, jsonBody: JsonBodyReader): void {
  const next = async (c: Context<AppEnv>) => {
    const body = await jsonBody(c)
    for (const key of Object.keys(body)) if (key !== 'scroll' && key !== 'scroll_id') throw badRequest(`[${key}] is not a scroll option (options: scroll, scroll_id)`)
    // The body's values over the URL's, as Elasticsearch reads them.
    const id = body.scroll_id ?? c.req.param('scroll_id') ?? c.req.query('scroll_id')
    if (typeof id !== 'string' || id === '') throw badRequest('[scroll_id] is required (in the body, the path or the URL)')
    const answer = await continueScroll(contexts, id, body.scroll ?? c.req.query('scroll'))
    return c.json(restTotalHitsAsInt(c) ? totalAsInt(answer) : answer)
  }
  app.on(['GET', 'POST'], '/_search/scroll', acceptsParams('scroll', 'scroll_id', 'rest_total_hits_as_int'), next)
  app.on(['GET', 'POST'], '/_search/scroll/:scroll_id', acceptsParams('scroll', 'rest_total_hits_as_int'), next)

  const clear = async (c: Context<AppEnv>) => {
    const body = await jsonBody(c)
    for (const key of Object.keys(body)) if (key !== 'scroll_id') throw badRequest(`[${key}] is not a clear scroll option (options: scroll_id)`)
    const path = c.req.param('scroll_id')
    if (path === undefined && body.scroll_id === undefined) throw badRequest('[scroll_id] is required: the ids of the scrolls to clear, or _all')
    const ids = [...(path === undefined ? [] : scrollIds(path)), ...(body.scroll_id === undefined ? [] : scrollIds(body.scroll_id))]
    let freed = 0
    if (ids.includes('_all')) freed = contexts.freeAll('scroll').length
    else for (const id of new Set(ids)) if (contexts.freeId('scroll', id)) freed++
    // Elasticsearch answers 404 when nothing was freed.
    return c.json({ succeeded: true, num_freed: freed }, freed > 0 ? 200 : 404)
  }
  app.delete('/_search/scroll', acceptsParams(), clear)
  app.delete('/_search/scroll/:scroll_id', acceptsParams(), clear)
  app.all('/_search/scroll', otherMethods('/_search/scroll', ['GET', 'POST', 'DELETE']))
}
