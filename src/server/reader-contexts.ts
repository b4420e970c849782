/**
 * Open search contexts: scrolls (scroll.ts) and points in time (pit.ts). Each holds one
 * {@link IndexReader} per index it searches, so its pages read the stored documents through the
 * LevelDB snapshot of the moment it was opened, whatever is written afterwards.
 *
 * - **Bounds.** At most {@link MAX_OPEN_SCROLLS} scrolls and {@link MAX_OPEN_PITS} points in time
 *   are open (Elasticsearch's `search.max_open_scroll_context`, OpenSearch's
 *   `search.max_open_pit_context`), keep-alives are at most {@link MAX_KEEP_ALIVE_MS}, and the
 *   rankings they keep hold at most {@link MAX_HELD_HITS} hits together; beyond, a 429.
 * - **Freeing.** A context is freed when its keep-alive passes without a request (a timer that does
 *   not keep the process alive), on `DELETE`, and when an index it reads is dropped
 *   ({@link ReaderContexts.dropping}): `SparseIndex.close()` waits for every reader, so a held
 *   reader would hold a `DELETE /{index}` (and a shutdown) until the keep-alive ends. A request
 *   using a context when it is freed finishes first: its readers are released after it.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IndexReader, SparseIndex } from '../engine/sparse-index.js'
import { badRequest, HttpError, indexNotFound } from './http-error.js'
import type { IndexRegistry } from './registry.js'

/** Elasticsearch's `search.max_open_scroll_context`. */
export const MAX_OPEN_SCROLLS = 500
/** OpenSearch's `search.max_open_pit_context`. */
export const MAX_OPEN_PITS = 300
/** Elasticsearch's `search.max_keep_alive` and OpenSearch's `point_in_time.max_keep_alive`: 24 hours. */
export const MAX_KEEP_ALIVE_MS = 24 * 60 * 60 * 1000
/**
 * Hits the rankings of every open context hold together (about 150 bytes each): a scroll keeps all
 * its hits, a point in time those of the queries it ranked (scroll.ts, pit.ts).
 */
export const MAX_HELD_HITS = 1_000_000
/**
 * The most hits one ranking of a scroll or point in time holds: ten times Elasticsearch's
 * `index.max_result_window` (a scroll refuses a query that matches more).
 */
export const MAX_RANKED_HITS = 100_000

export type ContextKind = 'scroll' | 'pit'

const UNITS: Record<string, number> = { nanos: 1e-6, micros: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A keep-alive as Elasticsearch's time values write it (`30s`, `1m`, `500ms`, `2h`, `1d`), in
 * milliseconds: positive and at most {@link MAX_KEEP_ALIVE_MS}, else a 400 naming `name`.
 */
export function parseKeepAlive(value: unknown, name: string): number {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined
  const match = text === undefined ? null : /^(\d+)(nanos|micros|ms|s|m|h|d)$/.exec(text)
  if (!match) throw badRequest(`[${name}] must be a time value such as 30s, 1m or 1h, got ${JSON.stringify(value)?.slice(0, 100)}`)
  const ms = Number(match[1]) * UNITS[match[2]]
  if (!(ms > 0)) throw badRequest(`[${name}] must be longer than 0, got [${text}]`)
  if (ms > MAX_KEEP_ALIVE_MS) {
    throw badRequest(`Keep alive for request (${text}) is too large. It must be less than (1d). This limit can be set by changing the [search.max_keep_alive] cluster level setting.`)
  }
  return ms
}

/** Elasticsearch's answer for a scroll or point in time that expired, was freed or never existed. */
export const contextMissing = (id: string) => new HttpError(404, 'search_context_missing_exception', `No search context found for id [${id}]`)

/** One open scroll or point in time: its readers, keep-alive and users. */
export class ReaderContext {
  readonly id = randomBytes(18).toString('base64url')
  /** Epoch milliseconds. */
  readonly createdAt = Date.now()
  /** Hits its rankings hold (counted against {@link MAX_HELD_HITS}). */
  heldHits = 0
  #keepAliveMs: number
  #timer: NodeJS.Timeout | undefined
  #uses = 0
  #freed = false
  /** Frozen readers of indexes changed since the context opened (SparseIndex.freeze), by index name. */
  readonly #frozen = new Map<string, Promise<IndexReader>>()
  /** The frozen readers loaded so far. */
  readonly #frozenLoaded = new Map<string, IndexReader>()

  constructor(
    readonly kind: ContextKind,
    /** The indexes it searches, in order, each with its reader. */
    readonly indexes: ReadonlyArray<{ name: string; index: SparseIndex; reader: IndexReader }>,
    keepAliveMs: number,
    private readonly onExpiry: (context: ReaderContext) => void,
  ) {
    this.#keepAliveMs = keepAliveMs
    this.#arm()
  }

  get keepAliveMs(): number {
    return this.#keepAliveMs
  }

  get freed(): boolean {
    return this.#freed
  }

  /** Sets a new keep-alive, counted from now. */
  keepAlive(ms: number): void {
    this.#keepAliveMs = ms
    this.#arm()
  }

  /**
   * Runs a request's work on the context: it stays open meanwhile (its keep-alive restarts
   * before and after), and if it is freed meanwhile its readers are released once `task` ends.
   */
  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.#freed) throw contextMissing(this.id)
    this.#uses++
    this.#arm()
    try {
      return await task()
    } finally {
      this.#uses--
      if (this.#freed) this.#releaseIfIdle()
      else this.#arm()
    }
  }

  /**
   * A reader of index `name` as of the context's moment that is current now: the context's own
   * while the index is unchanged, else the index loaded again from that reader's snapshot (once;
   * a second copy of its in-memory tables, kept until the context is freed).
   */
  async currentReader(name: string): Promise<IndexReader> {
    const entry = this.#entry(name)
    if (entry.reader.current) return entry.reader
    let frozen = this.#frozen.get(name)
    if (!frozen) {
      frozen = entry.index.freeze(entry.reader)
      this.#frozen.set(name, frozen)
      frozen.then((reader) => this.#frozenLoaded.set(name, reader), () => this.#frozen.delete(name))
    }
    return frozen
  }

  /**
   * The reader of index `name` without loading anything: its frozen copy if one is loaded, else
   * the context's own reader, which is stale once the index changed (then {@link currentReader}).
   * Paging a ranking the context kept needs no current reader, so no copy.
   */
  readerNow(name: string): IndexReader {
    return this.#frozenLoaded.get(name) ?? this.#entry(name).reader
  }

  #entry(name: string): ReaderContext['indexes'][number] {
    const entry = this.indexes.find((e) => e.name === name)
    if (!entry) throw new Error(`no index [${name}] in search context ${this.id}`)
    return entry
  }

  /** Frees it (idempotent): no new request may use it, its readers are released when none does. */
  free(): void {
    if (this.#freed) return
    this.#freed = true
    clearTimeout(this.#timer)
    this.#releaseIfIdle()
  }

  #arm(): void {
    if (this.#freed) return
    clearTimeout(this.#timer)
    // A request using it re-arms the timer when it ends.
    this.#timer = setTimeout(() => this.#uses === 0 && this.onExpiry(this), this.#keepAliveMs)
    // An open scroll is no reason for the process to stay alive.
    this.#timer.unref()
  }

  #releaseIfIdle(): void {
    if (this.#uses > 0) return
    for (const { reader } of this.indexes) reader.release()
    for (const frozen of this.#frozen.values()) frozen.then((reader) => reader.release(), () => {})
    this.#frozen.clear()
    this.#frozenLoaded.clear()
  }
}

/** The open scrolls and points in time of one server. */
export class ReaderContexts {
  readonly #open: Record<ContextKind, Map<string, ReaderContext>> = { scroll: new Map(), pit: new Map() }
  /** Index names being dropped (a count per name): no context may be opened on them meanwhile. */
  readonly #dropping = new Map<string, number>()
  #heldHits = 0

  /** 429 when no context of `kind` can be opened now (checked again when it is opened). */
  checkRoom(kind: ContextKind): void {
    const max = kind === 'scroll' ? MAX_OPEN_SCROLLS : MAX_OPEN_PITS
    if (this.#open[kind].size < max) return
    throw new HttpError(429, 'rejected_execution_exception', kind === 'scroll'
      ? `Trying to create too many scroll contexts. Must be less than or equal to: [${max}]. This limit can be set by changing the [search.max_open_scroll_context] setting.`
      : `Trying to create too many Point In Time contexts. Must be less than or equal to: [${max}]. This limit can be set by changing the [search.max_open_pit_context] setting.`)
  }

  /**
   * Opens a context over `indexes` (each with a reader it now owns: on a refusal they are
   * released): 429 when too many are open, 404 when one of the indexes is being dropped.
   */
  open(kind: ContextKind, indexes: ReaderContext['indexes'], keepAliveMs: number): ReaderContext {
    try {
      this.checkRoom(kind)
      const dropped = indexes.find(({ name }) => this.#dropping.has(name))
      if (dropped) throw indexNotFound(dropped.name)
    } catch (error) {
      for (const { reader } of indexes) reader.release()
      throw error
    }
    const context = new ReaderContext(kind, indexes, keepAliveMs, (expired) => this.free(expired))
    this.#open[kind].set(context.id, context)
    return context
  }

  /** The open context of an id: 404 `search_context_missing_exception` when there is none. */
  get(kind: ContextKind, id: string): ReaderContext {
    const context = this.#open[kind].get(id)
    if (!context) throw contextMissing(id)
    return context
  }

  /** The open contexts of a kind, oldest first. */
  list(kind: ContextKind): ReaderContext[] {
    return [...this.#open[kind].values()]
  }

  /** Frees a context (expiry, DELETE); false when it was not open. */
  free(context: ReaderContext): boolean {
    if (this.#open[context.kind].get(context.id) !== context) return false
    this.#open[context.kind].delete(context.id)
    this.#heldHits -= context.heldHits
    context.heldHits = 0
    context.free()
    return true
  }

  /** Frees the context of an id; false when none is open. */
  freeId(kind: ContextKind, id: string): boolean {
    const context = this.#open[kind].get(id)
    return context !== undefined && this.free(context)
  }

  /** Frees every context (of a kind, or all); returns those freed. */
  freeAll(kind?: ContextKind): ReaderContext[] {
    const freed = (kind ? [kind] : (['scroll', 'pit'] as const)).flatMap((k) => this.list(k))
    for (const context of freed) this.free(context)
    return freed
  }

  /**
   * Counts `hits` more held by a context's rankings (negative: fewer): 429 when all contexts
   * together would hold more than {@link MAX_HELD_HITS}.
   */
  hold(context: ReaderContext, hits: number): void {
    if (hits > 0 && this.#heldHits + hits > MAX_HELD_HITS) {
      throw new HttpError(429, 'rejected_execution_exception', `open scrolls and points in time hold ${this.#heldHits} ranked hits, and ${hits} more would pass lsr's limit of ${MAX_HELD_HITS}: clear scrolls and points in time no longer needed (DELETE /_search/scroll, DELETE /_search/point_in_time) or let them expire`)
    }
    this.#heldHits += hits
    context.heldHits += hits
  }

  /**
   * An index is being dropped: frees every context that reads it (its `close()` waits for their
   * readers) and refuses new ones until the returned function is called, once the drop ended.
   */
  dropping(name: string): () => void {
    this.#dropping.set(name, (this.#dropping.get(name) ?? 0) + 1)
    for (const kind of ['scroll', 'pit'] as const) {
      for (const context of this.list(kind)) if (context.indexes.some((entry) => entry.name === name)) this.free(context)
    }
    let done = false
    return () => {
      if (done) return
      done = true
      const left = this.#dropping.get(name)! - 1
      if (left > 0) this.#dropping.set(name, left)
      else this.#dropping.delete(name)
    }
  }
}

const byRegistry = new WeakMap<IndexRegistry, ReaderContexts>()

/**
 * The open scrolls and points in time over a registry's indexes: one set per registry, so that
 * whoever closes the registry can free them first (`freeAll`), as `closeAll()` waits for readers.
 */
export function readerContexts(registry: IndexRegistry): ReaderContexts {
  let contexts = byRegistry.get(registry)
  if (!contexts) byRegistry.set(registry, (contexts = new ReaderContexts()))
  return contexts
}
