/**
 * The index names of one request, resolved through the aliases (aliases.ts), and auto-create: a
 * document write to a missing index creates it with dynamic mapping, as Elasticsearch's default
 * `action.auto_create_index: true` does, through the registry's serialized create.
 * @module
 */
import type { Context } from 'hono'
import type { SparseIndex } from '../engine/sparse-index.js'
import { type AliasStore, isIndexNotFound } from './aliases.js'
import { parseBulk } from './bulk.js'
import { HttpError, parsingError } from './http-error.js'
import { isObject, parseJson } from './json.js'
import { IndexSession, type IndexRegistry } from './registry.js'

/**
 * How a request uses the single index names it gives (`_doc`, `_bulk`, `_mget`, ...): to write or
 * to read, and whether a missing one may be created (asked once a name is found missing).
 */
export interface Intent {
  write: boolean
  autoCreate?: (name: string) => Promise<boolean>
}

/** True when an update body creates a missing document: `upsert`, or `doc_as_upsert: true`. */
const upserts = (body: unknown) => isObject(body) && (isObject(body.upsert) || (body.doc_as_upsert === true && isObject(body.doc)))

/**
 * What a request does with the single indexes it names, from its method and path. Document
 * writes (`_doc`, `_create`, `_update`, `_bulk`, a document delete) go to an alias's write index.
 * As in Elasticsearch, all but a delete may create a missing index: `_doc` and `_create` always,
 * `_update` with an upsert, `_bulk` for an index that one of its index, create or upserting
 * update actions names (the body is read again only when an index is missing).
 */
export function requestIntent(c: Context, autoCreate: boolean): Intent {
  const segments = c.req.path.split('/').slice(1)
  const [, endpoint] = segments
  const method = c.req.method
  const put = method === 'PUT' || method === 'POST'
  // The body as JSON (already read by the route, so cached).
  const body = async () => parseJson(await c.req.text(), 'request body')
  const creates = (check: (name: string) => Promise<boolean>): Intent => ({ write: true, ...(autoCreate ? { autoCreate: check } : {}) })
  if (put && (segments.length === 1 ? segments[0] === '_bulk' : segments.length === 2 && endpoint === '_bulk')) {
    return creates(bulkCreates(c, segments.length === 2))
  }
  // A document write creates its index only for a document: a malformed body is the 400 it would
  // be for an existing index (the document routes read it after the index), and creates nothing.
  if (put && (segments.length === 3 ? endpoint === '_doc' || endpoint === '_create' : segments.length === 2 && endpoint === '_doc' && method === 'POST')) {
    return creates(async () => {
      if ((await c.req.text()).trim() === '') throw new HttpError(400, 'parse_exception', 'request body is required')
      if (!isObject(await body())) throw parsingError('request body must be a JSON object')
      return true
    })
  }
  if (method === 'POST' && segments.length === 3 && endpoint === '_update') return creates(async () => upserts(await body().catch(() => undefined)))
  return { write: method === 'DELETE' && segments.length === 3 && endpoint === '_doc' }
}

/** Whether a `_bulk` may create an index: one of its index, create or upserting update actions names it. */
function bulkCreates(c: Context, hasPathIndex: boolean): (name: string) => Promise<boolean> {
  let creating: Promise<Set<string>> | undefined
  return async (name) => {
    creating ??= c.req.text().then((text) => {
      // The path's index as Hono decodes route parameters (a malformed escape stays as it is).
      const raw = new URL(c.req.url).pathname.split('/')[1]
      let pathIndex: string | undefined
      try {
        pathIndex = hasPathIndex ? decodeURIComponent(raw) : undefined
      } catch {
        pathIndex = raw
      }
      const names = new Set<string>()
      for (const { action, meta, source, error } of parseBulk(text)) {
        const index = typeof meta._index === 'string' ? meta._index : pathIndex
        if (!error && index !== undefined && (action === 'index' || action === 'create' || (action === 'update' && upserts(source)))) names.add(index)
      }
      return names
    })
    return (await creating).has(name)
  }
}

/**
 * The indexes of one request, resolved through the aliases: `open` (expressions) expands them,
 * `get`/`named` (one index) takes an alias's only index to read and its write index to write,
 * and a write that may create its missing index creates it. The session's intent comes from its
 * request (see {@link requestIntent}); one that auto-creates opens no expressions.
 */
export class AliasSession extends IndexSession {
  constructor(
    registry: IndexRegistry,
    private readonly aliases: AliasStore,
    private readonly intent: Intent,
  ) {
    super(registry)
  }

  override async get(name: string): Promise<SparseIndex> {
    return (await this.named(name))[1]
  }

  /** The index a single-index request names, and its name (an alias's index: the concrete name). */
  async named(name: string): Promise<[string, SparseIndex]> {
    const target = await this.aliases.single(name, this.intent.write)
    try {
      return [target, await super.get(target)]
    } catch (error) {
      if (!(target === name && isIndexNotFound(error) && this.intent.autoCreate && (await this.intent.autoCreate(name)))) throw error
      await this.aliases.autoCreate(name)
      return [name, await super.get(name)]
    }
  }

  override async open(expression: string): Promise<Array<[string, SparseIndex]>> {
    const selected = await this.aliases.expand(expression)
    const entries = await Promise.all([...selected].map(async ([name, how]): Promise<[string, SparseIndex] | undefined> => {
      if (how === 'named') return [name, await super.get(name)]
      if (how === 'matched') {
        const state = await this.inspect(name)
        return state?.index ? [name, state.index] : undefined
      }
      // An alias's index deleted meanwhile is skipped (the alias forgets it next); a broken one is its 503.
      return super.get(name).then((index) => [name, index] as [string, SparseIndex], (error: unknown) => {
        if (isIndexNotFound(error)) return undefined
        throw error
      })
    }))
    return entries.filter((entry) => entry !== undefined)
  }
}

/** A request's view of the indexes, names resolved through `aliases` (see {@link AliasSession}). */
export function aliasSession(c: Context, registry: IndexRegistry, aliases: AliasStore, autoCreate: boolean): AliasSession {
  return new AliasSession(registry, aliases, requestIntent(c, autoCreate))
}
