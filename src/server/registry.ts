/**
 * The indexes of one data directory (one LevelDB each, in a sub-folder named after the index),
 * opened on first use and kept open until closed or deleted.
 * @module
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { EncoderConfig } from '../encode/encoder.js'
import { SparseIndex } from '../index/sparse-index.js'
import { HttpError, indexNotFound } from './http-error.js'
import { validateIndexName } from './index-names.js'

export class IndexRegistry {
  readonly #open = new Map<string, Promise<SparseIndex>>()

  constructor(readonly dataDir: string) {}

  /** Names of the indexes in the data directory, sorted. */
  async names(): Promise<string[]> {
    await mkdir(this.dataDir, { recursive: true })
    const entries = await readdir(this.dataDir, { withFileTypes: true })
    const names: string[] = []
    for (const entry of entries) {
      if (entry.isDirectory() && (await stat(join(this.dataDir, entry.name, 'CURRENT')).then(() => true, () => false))) names.push(entry.name)
    }
    return names.sort()
  }

  async exists(name: string): Promise<boolean> {
    validateIndexName(name)
    return this.#open.has(name) || (await this.names()).includes(name)
  }

  /** The open index; 404 when it does not exist. */
  async get(name: string): Promise<SparseIndex> {
    validateIndexName(name)
    const opened = this.#open.get(name)
    if (opened) return opened
    if (!(await this.exists(name))) throw indexNotFound(name)
    return this.#remember(name, SparseIndex.open(join(this.dataDir, name)))
  }

  /** Creates an index; 400 `resource_already_exists_exception` when it exists. */
  async create(name: string, encoder: EncoderConfig): Promise<SparseIndex> {
    if (await this.exists(name)) throw new HttpError(400, 'resource_already_exists_exception', `index [${name}] already exists`)
    return this.#remember(name, SparseIndex.open(join(this.dataDir, name), { create: true, encoder }))
  }

  /** Closes and removes an index. */
  async drop(name: string): Promise<void> {
    const index = await this.get(name)
    this.#open.delete(name)
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
        const pattern = new RegExp(`^${part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
        all.filter((n) => pattern.test(n)).forEach((n) => names.add(n))
      } else {
        validateIndexName(part)
        if (!all.includes(part) && !this.#open.has(part)) throw indexNotFound(part)
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

  #remember(name: string, opening: Promise<SparseIndex>): Promise<SparseIndex> {
    this.#open.set(name, opening)
    opening.catch(() => this.#open.delete(name))
    return opening
  }
}
