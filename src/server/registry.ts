/**
 * The indexes of one data directory (one LevelDB each, in a sub-folder named after the index),
 * opened on first use and kept open until closed or deleted. The server owns the directory: the
 * list of indexes is read once and then kept up to date by create and drop.
 * @module
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { EncoderConfig } from '../encode/encoder.js'
import { SparseIndex } from '../index/sparse-index.js'
import { HttpError, indexNotFound } from './http-error.js'
import { validateIndexName } from './index-names.js'
import { wildcardPattern } from './json.js'

export class IndexRegistry {
  readonly #open = new Map<string, Promise<SparseIndex>>()
  #known: Promise<Set<string>> | undefined

  constructor(readonly dataDir: string) {}

  /** Names of the indexes, sorted. */
  async names(): Promise<string[]> {
    return [...(await this.#names())].sort()
  }

  async exists(name: string): Promise<boolean> {
    validateIndexName(name)
    return (await this.#names()).has(name)
  }

  /** The open index; 404 when it does not exist. Concurrent callers share one open. */
  get(name: string): Promise<SparseIndex> {
    validateIndexName(name)
    let opening = this.#open.get(name)
    if (!opening) {
      opening = this.#names().then((known) => {
        if (!known.has(name)) throw indexNotFound(name)
        return SparseIndex.open(join(this.dataDir, name))
      })
      this.#remember(name, opening)
    }
    return opening
  }

  /** Creates an index; 400 `resource_already_exists_exception` when it exists. */
  async create(name: string, encoder: EncoderConfig): Promise<SparseIndex> {
    const known = await this.#names()
    if (known.has(validateIndexName(name)) || this.#open.has(name)) {
      throw new HttpError(400, 'resource_already_exists_exception', `index [${name}] already exists`)
    }
    const opening = SparseIndex.open(join(this.dataDir, name), { create: true, encoder })
    this.#remember(name, opening)
    await opening
    known.add(name)
    return opening
  }

  /** Closes and removes an index. */
  async drop(name: string): Promise<void> {
    const index = await this.get(name)
    this.#open.delete(name)
    ;(await this.#names()).delete(name)
    await index.close()
    await rm(join(this.dataDir, name), { recursive: true, force: true })
  }

  /** Names matching an Elasticsearch index expression: `a,b`, `logs-*`, `_all` or `*`. */
  async resolve(expression: string): Promise<string[]> {
    const all = await this.names()
    const names = new Set<string>()
    for (const part of expression.split(',')) {
      if (part === '_all' || part === '*') all.forEach((n) => names.add(n))
      else if (part.includes('*')) {
        const pattern = wildcardPattern(part)
        all.filter((n) => pattern.test(n)).forEach((n) => names.add(n))
      } else {
        validateIndexName(part)
        if (!all.includes(part)) throw indexNotFound(part)
        names.add(part)
      }
    }
    return [...names]
  }

  /** Closes every open index (waiting for their pending writes). */
  async closeAll(): Promise<void> {
    const open = [...this.#open.values()]
    this.#open.clear()
    await Promise.all(open.map(async (index) => (await index.catch(() => undefined))?.close()))
  }

  /** Sub-folders holding a LevelDB database, read once. */
  #names(): Promise<Set<string>> {
    this.#known ??= (async () => {
      await mkdir(this.dataDir, { recursive: true })
      const names = new Set<string>()
      for (const entry of await readdir(this.dataDir, { withFileTypes: true })) {
        if (entry.isDirectory() && (await stat(join(this.dataDir, entry.name, 'CURRENT')).then(() => true, () => false))) names.add(entry.name)
      }
      return names
    })()
    return this.#known
  }

  #remember(name: string, opening: Promise<SparseIndex>): void {
    this.#open.set(name, opening)
    opening.catch(() => {
      if (this.#open.get(name) === opening) this.#open.delete(name)
    })
  }
}
