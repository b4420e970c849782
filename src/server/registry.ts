/**
 * The indexes of one data directory (one LevelDB each, in a sub-folder named after the index).
 * The server owns the directory: its sub-folders are read once, then kept up to date by create
 * and drop.
 *
 * - Create, open and drop of one name run one at a time (a promise chain per name), so concurrent
 *   `PUT`/`DELETE` of a name never see each other's half-done work.
 * - Requests use indexes through an {@link IndexSession}: drop waits until no request uses the
 *   index before closing it, and requests arriving while a name is being dropped get a 404.
 * - A sub-folder that looks like an index but is not a complete one (LevelDB files without
 *   `CURRENT`, or an open failing as not lsr's / incompatible / corrupt) is *broken*: patterns and
 *   `_all` skip it, naming it answers 503, `DELETE` removes it. So is one whose open throws an
 *   error that is neither lsr's nor the system's (see isBroken). Other folders (empty ones, the
 *   default models folder `index-data/models`, a download cache) are not indexes: left alone.
 * - Leftovers of interrupted creates (`#creating-<random>`, see SparseIndex.open) are
 *   deleted at startup.
 * @module
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join, resolve as resolvePath } from 'node:path'
import type { IndexSettings } from './index-settings.js'
import { LsrError, type LsrErrorCode } from '../errors.js'
import { SparseIndex } from '../engine/sparse-index.js'
import { badRequest, HttpError, indexExists, indexNotFound, indexUnavailable } from './http-error.js'
import { indexNameProblem, isPattern, validateIndexName } from './index-names.js'
import { wildcardMatcher } from './json.js'
import { KeyedSerializer, UseCounter } from './keyed.js'

/** Marks the engine's temporary folder of a create in progress. */
const CREATING = '#creating-'
/** Open failures that mean the folder is not a usable index (unlike a lock, which passes). */
const BROKEN_CODES: ReadonlySet<LsrErrorCode> = new Set(['not_an_index', 'incompatible_format', 'data_corruption'])
const INCOMPLETE = 'the folder holds no complete index (no LevelDB CURRENT file: an interrupted create?)'
/** LevelDB's own files, which tell an index folder from any other folder. */
const LEVELDB_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(log|ldb|sst))$/

/**
 * Whether an open failure means the index cannot be opened as it is (so it is answered 503 and
 * skipped by patterns until deleted): lsr's not-an-index / incompatible / corrupt errors, and any
 * error that is neither lsr's nor the system's (a RangeError of data the code cannot load would
 * otherwise fail every request naming the index, and every `_all` search, with a 500). A system
 * error (EMFILE, EACCES: `code` set) or another lsr error (a lock) may pass: it is not remembered.
 */
function isBroken(error: unknown): boolean {
  if (error instanceof LsrError) return BROKEN_CODES.has(error.code)
  return !(error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string')
}

/** A sub-folder known to hold an index; `broken` says why it cannot be opened. */
interface Folder {
  broken?: string
}

/** A name an index expression resolved to; `matched` when only a pattern or `_all` selected it. */
export interface Resolved {
  name: string
  matched: boolean
}

/** How error messages name an index (never by its path). */
const labelOf = (name: string) => `index [${name}]`

export class IndexRegistry {
  readonly #open = new Map<string, SparseIndex>()
  readonly #lifecycle = new KeyedSerializer()
  /** Requests using each index (leases); drop waits for none. */
  readonly #users = new UseCounter()
  /** Drops called and not finished, per name. */
  readonly #dropping = new UseCounter()
  #folders: Promise<Map<string, Folder>> | undefined

  constructor(readonly dataDir: string) {}

  /** Names of the indexes, broken ones included, sorted. */
  async names(): Promise<string[]> {
    return [...(await this.#scan()).keys()].sort()
  }

  async exists(name: string): Promise<boolean> {
    return (await this.#scan()).has(validateIndexName(name))
  }

  /** Why an index cannot be opened; undefined while it is not known to be broken. */
  async brokenReason(name: string): Promise<string | undefined> {
    return (await this.#scan()).get(name)?.broken
  }

  /** The open index (opened on first use): 404 when it does not exist, 503 when it is broken. */
  get(name: string): Promise<SparseIndex> {
    validateIndexName(name)
    const open = this.#open.get(name)
    return open ? Promise.resolve(open) : this.#lifecycle.run(name, () => this.#openNow(name))
  }

  /** A new request's view of the indexes; release it when the request ends. */
  session(): IndexSession {
    return new IndexSession(this)
  }

  /** The index for a request, counted as in use until {@link release}; 404 once a drop of it is called. */
  async acquire(name: string): Promise<SparseIndex> {
    if (this.#dropping.has(validateIndexName(name))) throw indexNotFound(name)
    const index = await this.get(name)
    // A drop called meanwhile waits for the users it can see: it must not get a new one.
    if (this.#dropping.has(name) || this.#open.get(name) !== index) throw indexNotFound(name)
    this.#users.add(name)
    return index
  }

  release(name: string): void {
    this.#users.remove(name)
  }

  /**
   * Creates an index: 400 `resource_already_exists_exception` when it exists (broken or not). The
   * engine builds it in a temporary folder, so a failed create leaves nothing behind.
   */
  async create(name: string, { encoder, schema, pipelines }: IndexSettings): Promise<void> {
    validateIndexName(name)
    await this.#lifecycle.run(name, async () => {
      const folders = await this.#scan()
      if (folders.has(name)) throw indexExists(name)
      const dir = join(this.dataDir, name)
      // An empty folder may be replaced by the new index; anything else of that name is not ours.
      const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : undefined))
      if (entries === undefined || entries.length > 0) {
        throw badRequest(`index [${name}] cannot be created: the data directory holds something else of that name`)
      }
      this.#open.set(name, await SparseIndex.open(dir, { create: true, encoder, schema, pipelines, label: labelOf(name) }))
      folders.set(name, {})
    })
  }

  /** Waits until no request uses the index, closes it and removes its folder (broken or not). */
  async drop(name: string): Promise<void> {
    this.#dropping.add(validateIndexName(name))
    try {
      await this.#lifecycle.run(name, async () => {
        const folders = await this.#scan()
        if (!folders.has(name)) throw indexNotFound(name)
        const index = this.#open.get(name)
        this.#open.delete(name)
        await this.#users.drained(name)
        await index?.close()
        await rm(join(this.dataDir, name), { recursive: true, force: true })
        folders.delete(name)
      })
    } finally {
      this.#dropping.remove(name)
    }
  }

  /** Names an Elasticsearch index expression selects (`a,b`, `logs-*`, `_all`, `*`); 404 for a missing name. */
  async resolve(expression: string): Promise<Resolved[]> {
    const all = await this.names()
    const found = new Map<string, boolean>()
    for (const part of expression.split(',')) {
      if (isPattern(part)) {
        const matches = part === '_all' ? () => true : wildcardMatcher(part, 'index')
        for (const name of all) if (matches(name) && !found.has(name)) found.set(name, true)
      } else {
        validateIndexName(part)
        if (!all.includes(part)) throw indexNotFound(part)
        found.set(part, false)
      }
    }
    return [...found].map(([name, matched]) => ({ name, matched }))
  }

  /** Closes every open index (waiting for their pending writes). */
  async closeAll(): Promise<void> {
    const open = [...this.#open.values()]
    this.#open.clear()
    await Promise.all(open.map((index) => index.close()))
  }

  /** Opens a known index; runs inside the name's lifecycle chain. */
  async #openNow(name: string): Promise<SparseIndex> {
    const open = this.#open.get(name)
    if (open) return open
    const folder = (await this.#scan()).get(name)
    if (!folder) throw indexNotFound(name)
    if (folder.broken !== undefined) throw indexUnavailable(name, folder.broken)
    try {
      const index = await SparseIndex.open(join(this.dataDir, name), { label: labelOf(name) })
      this.#open.set(name, index)
      return index
    } catch (error) {
      if (!isBroken(error)) throw error
      // A failure other than lsr's own names the index by label already; anything else (a bug
      // the index's data trips) is shown by its message, without the data directory.
      folder.broken = error instanceof LsrError ? error.message : `opening it failed: ${String((error as Error)?.message ?? error).replaceAll(resolvePath(this.dataDir), '<data>').replaceAll(this.dataDir, '<data>')}`
      throw indexUnavailable(name, folder.broken)
    }
  }

  /** The index folders, read once: leftovers of interrupted creates are deleted on the way. */
  #scan(): Promise<Map<string, Folder>> {
    this.#folders ??= (async () => {
      await mkdir(this.dataDir, { recursive: true })
      const folders = new Map<string, Folder>()
      for (const entry of await readdir(this.dataDir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue
        const dir = join(this.dataDir, entry.name)
        if (entry.name.includes(CREATING)) await rm(dir, { recursive: true, force: true })
        else if (indexNameProblem(entry.name) === undefined) {
          const kind = await folderKind(dir)
          if (kind !== 'other') folders.set(entry.name, kind === 'incomplete' ? { broken: INCOMPLETE } : {})
        }
      }
      return folders
    })()
    return this.#folders
  }
}

/** An index (has CURRENT), an incomplete one (LevelDB files without CURRENT), or something else. */
async function folderKind(dir: string): Promise<'index' | 'incomplete' | 'other'> {
  const entries = await readdir(dir).catch((): string[] => [])
  if (entries.includes('CURRENT')) return 'index'
  return entries.some((entry) => LEVELDB_FILE.test(entry)) ? 'incomplete' : 'other'
}

/** What one index looks like to a request: open, broken (with the reason), or gone. */
export type IndexStatus = { index: SparseIndex; broken?: undefined } | { index?: undefined; broken: string } | undefined

/**
 * The indexes one request uses, each acquired once (a bulk naming an index a thousand times holds
 * one lease) and all released together when the request ends.
 */
export class IndexSession {
  readonly #held = new Map<string, Promise<SparseIndex>>()
  readonly #acquired = new Set<string>()
  #released = false

  constructor(private readonly registry: IndexRegistry) {}

  /** The named index: 404 when absent or being dropped, 503 when broken. */
  get(name: string): Promise<SparseIndex> {
    let held = this.#held.get(name)
    if (!held) {
      const acquiring = this.registry.acquire(name)
      this.#held.set(name, (held = acquiring))
      acquiring.then(
        () => (this.#released ? this.registry.release(name) : this.#acquired.add(name)),
        () => this.#held.get(name) === acquiring && this.#held.delete(name),
      )
    }
    return held
  }

  /** The indexes an expression selects; those only a pattern selected are skipped when broken or gone. */
  async open(expression: string): Promise<Array<[string, SparseIndex]>> {
    const entries = await Promise.all((await this.registry.resolve(expression)).map(async ({ name, matched }) => {
      if (!matched) return [name, await this.get(name)] as [string, SparseIndex]
      const state = await this.inspect(name)
      return state?.index ? ([name, state.index] as [string, SparseIndex]) : undefined
    }))
    return entries.filter((entry) => entry !== undefined)
  }

  /** One index's state, for listings that show broken indexes instead of failing on them. */
  async inspect(name: string): Promise<IndexStatus> {
    try {
      return { index: await this.get(name) }
    } catch (error) {
      const broken = await this.registry.brokenReason(name)
      if (broken !== undefined) return { broken }
      if (error instanceof HttpError && error.type === 'index_not_found_exception') return undefined
      throw error
    }
  }

  /** Ends the request's use of its indexes (a drop waiting for them can go on). */
  release(): void {
    this.#released = true
    for (const name of this.#acquired) this.registry.release(name)
    this.#acquired.clear()
  }
}
