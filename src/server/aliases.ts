/**
 * Index aliases, as Elasticsearch keeps them: a name that stands for one or more indexes.
 * alias-session.ts resolves the names of requests through them (and auto-creates indexes),
 * alias-routes.ts serves the alias APIs.
 *
 * - Reads through an alias (`_search`, `_count`, `_msearch`, by-query, `GET /{alias}`) use all
 *   its indexes, wildcards matching alias names too; a single-index read (`_doc`, `_mget`,
 *   `_explain`) needs an alias of one index; a document write goes to the alias's
 *   `is_write_index`, or to its only index.
 * - Kept in `<data>/_aliases.json` (`{"format": 1, "aliases": {"<alias>": {"<index>": {"is_write_index": true}}}}`),
 *   rewritten whole on each change (a temporary file, synced, renamed over the old one) and read
 *   once: an index it names that no longer exists (deleted just before a crash) is dropped from it.
 * - Changes run one at a time and all or nothing: `POST /_aliases` applies every action to a copy,
 *   checks the result, and writes it or nothing. Deleting an index removes it from its aliases.
 * - No name is both an index and an alias. An index being created and an alias being added claim
 *   their names synchronously, each checking the other's claims, so of two racing requests for
 *   one name one fails; index creation itself stays the registry's serialized create.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/aliases.html
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from './atomic-file.js'
import { LsrError } from '../errors.js'
import { badRequest, HttpError, indexNotFound } from './http-error.js'
import { indexNameProblem, isPattern, refuseDestructive, validateIndexName } from './index-names.js'
import { indexSettingsFrom } from './index-settings.js'
import { isObject, wildcardMatcher } from './json.js'
import { KeyedSerializer, UseCounter } from './keyed.js'
import type { IndexRegistry } from './registry.js'

/** What lsr keeps of an alias on one index: Elasticsearch's `is_write_index` (absent: not given). */
export interface AliasOptions {
  is_write_index?: boolean
}

/** Aliases by name, each with its indexes and their options. */
export type AliasTable = ReadonlyMap<string, ReadonlyMap<string, AliasOptions>>
type Table = Map<string, Map<string, AliasOptions>>

/** One action of `POST /_aliases`, parsed. */
export type AliasAction =
  | { type: 'add'; indices: string[]; aliases: string[]; options: AliasOptions }
  | { type: 'remove'; indices: string[]; aliases: string[]; mustExist: boolean }
  | { type: 'remove_index'; indices: string[] }

const FILE_NAME = '_aliases.json'
const FORMAT = 1
/** Alias options Elasticsearch has and lsr cannot honour: a 400 naming them, never ignored. */
export const UNSUPPORTED = ['filter', 'routing', 'index_routing', 'search_routing', 'is_hidden']
const SAME_NAME = 'an index or data stream exists with the same name as the alias'

export const invalidAliasName = (name: string, why: string) => new HttpError(400, 'invalid_alias_name_exception', `Invalid alias name [${name}]: ${why}`)
const aliasesMissing = (names: readonly string[]) => new HttpError(404, 'aliases_not_found_exception', `aliases [${names.join(', ')}] missing`)
export const parseError = (reason: string) => new HttpError(400, 'x_content_parse_exception', reason)
export const isIndexNotFound = (error: unknown) => error instanceof HttpError && error.type === 'index_not_found_exception'

/** `PUT /{name}` where `name` is an alias: Elasticsearch's words. */
export const aliasNamedIndex = (name: string) => badRequest(`Invalid index name [${name}], already exists as alias`, 'invalid_index_name_exception')
/** An alias where only concrete indexes are taken (`DELETE /{index}`, the `index` of an alias action). */
export const matchesAlias = (expression: string) => badRequest(`The provided expression [${expression}] matches an alias, specify the corresponding concrete indices instead.`)

export function validateAliasName(name: string): string {
  const problem = indexNameProblem(name)
  if (problem !== undefined) throw invalidAliasName(name, problem)
  return name
}

/** A matcher of alias names: comma-separated names and `*` patterns, `_all`. */
export function aliasMatcher(names: readonly string[]): (alias: string) => boolean {
  if (names.some((name) => name === '_all' || name === '*')) return () => true
  const parts = names.map((name) => (name.includes('*') ? wildcardMatcher(name, 'alias') : (alias: string) => alias === name))
  return (alias) => parts.some((matches) => matches(alias))
}

/** The write index of an alias: the one marked `is_write_index`, else its only index unless marked false. */
function writeIndexOf(alias: string, members: ReadonlyMap<string, AliasOptions>): string {
  for (const [index, options] of members) if (options.is_write_index === true) return index
  const [only] = members
  if (members.size === 1 && only[1].is_write_index !== false) return only[0]
  throw badRequest(`no write index is defined for alias [${alias}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index`)
}

/** The index of an alias a single-index read names: it must have exactly one. */
function onlyIndexOf(alias: string, members: ReadonlyMap<string, AliasOptions>): string {
  if (members.size === 1) return [...members.keys()][0]
  throw badRequest(`alias [${alias}] has more than one index associated with it [${[...members.keys()].sort().join(', ')}], can't execute a single index op`)
}

/** The concrete indexes an action's `index` names, as of the state before the request: aliases refused. */
function concreteIndexes(parts: readonly string[], before: AliasTable, indexes: ReadonlySet<string>): string[] {
  const found = new Set<string>()
  for (const part of parts) {
    if (before.has(part)) throw matchesAlias(part)
    if (isPattern(part)) {
      const matches = part === '_all' ? () => true : wildcardMatcher(part, 'index')
      for (const name of indexes) if (matches(name)) found.add(name)
    } else {
      if (!indexes.has(validateIndexName(part))) throw indexNotFound(part)
      found.add(part)
    }
  }
  return [...found]
}

/** Refuses a table where an alias has more than one write index (Elasticsearch's words). */
function checkWriteIndexes(table: AliasTable): void {
  for (const [alias, members] of table) {
    const writers = [...members].filter(([, options]) => options.is_write_index === true).map(([index]) => index)
    if (writers.length > 1) throw new HttpError(400, 'illegal_state_exception', `alias [${alias}] has more than one write index [${writers.sort().join(',')}]`)
  }
}

/**
 * Applies the actions, in order, to `table` (a copy of `before`). Index expressions and the
 * aliases a `remove` matches are read in `before`, as Elasticsearch resolves them.
 * @returns the indexes `remove_index` deletes
 * @throws HttpError when any action fails: the caller then keeps `before`
 */
function applyActions(actions: readonly AliasAction[], table: Table, before: AliasTable, indexes: ReadonlySet<string>, allowDestructive: boolean): string[] {
  const dropped: string[] = []
  let applied = 0
  for (const action of actions) {
    if (action.type === 'remove_index') refuseDestructive(action.indices.join(','), allowDestructive)
    for (const index of concreteIndexes(action.indices, before, indexes)) {
      if (dropped.includes(index)) throw indexNotFound(index)
      if (action.type === 'remove_index') {
        for (const members of table.values()) members.delete(index)
        dropped.push(index)
        applied++
      } else if (action.type === 'add') {
        for (const alias of action.aliases) {
          if (indexes.has(validateAliasName(alias))) throw invalidAliasName(alias, SAME_NAME)
          if (!table.has(alias)) table.set(alias, new Map())
          table.get(alias)!.set(index, { ...action.options })
          applied++
        }
      } else {
        const matches = aliasMatcher(action.aliases)
        const removed = [...before].filter(([alias, members]) => matches(alias) && members.has(index)).map(([alias]) => alias)
        if (removed.length === 0 && action.mustExist) throw aliasesMissing(action.aliases)
        for (const alias of removed) table.get(alias)?.delete(index)
        applied += removed.length
      }
    }
  }
  // As Elasticsearch: a request whose actions come to nothing names aliases that are not there.
  if (applied === 0) throw aliasesMissing(actions.flatMap((action) => (action.type === 'remove_index' ? [] : action.aliases)))
  for (const [alias, members] of table) if (members.size === 0) table.delete(alias)
  checkWriteIndexes(table)
  return dropped
}

const copyOf = (table: AliasTable): Table => new Map([...table].map(([alias, members]) => [alias, new Map([...members].map(([index, options]) => [index, { ...options }]))]))

/** The file's text: aliases and their indexes sorted, so equal tables are equal text. */
function serialize(table: AliasTable): string {
  const aliases = Object.fromEntries([...table].sort(([a], [b]) => (a < b ? -1 : 1)).map(([alias, members]) => [alias, Object.fromEntries([...members].sort(([a], [b]) => (a < b ? -1 : 1)))]))
  return JSON.stringify({ format: FORMAT, aliases }, null, 1)
}

/** Reads the file's text; anything but the expected shape is `data_corruption`. */
function deserialize(text: string, shown: string): Table {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new LsrError('data_corruption', `${shown} is not valid JSON: ${(error as Error).message}`)
  }
  const corrupt = (why: string) => new LsrError('data_corruption', `${shown} ${why}`)
  if (!isObject(parsed) || parsed.format !== FORMAT || !isObject(parsed.aliases)) throw corrupt(`is not an alias table of format ${FORMAT}`)
  const table: Table = new Map()
  for (const [alias, members] of Object.entries(parsed.aliases)) {
    if (!isObject(members)) throw corrupt(`holds alias [${alias}] without an object of indexes`)
    table.set(alias, new Map(Object.entries(members).map(([index, options]) => {
      if (!isObject(options) || !(options.is_write_index === undefined || typeof options.is_write_index === 'boolean')) throw corrupt(`holds bad options of alias [${alias}] on index [${index}]`)
      return [index, options.is_write_index === undefined ? {} : { is_write_index: options.is_write_index }]
    })))
  }
  return table
}

/** How an expression selected an index: by name (it must be there), as an alias's (skipped once deleted), by a pattern (skipped when deleted or broken). */
export type Selected = 'named' | 'member' | 'matched'
const STRENGTH: Record<Selected, number> = { matched: 0, member: 1, named: 2 }

/** A server's aliases (one per data directory), and index resolution through them. */
export class AliasStore {
  readonly #file: string
  readonly #shown = `<data>/${FILE_NAME}`
  readonly #changes = new KeyedSerializer()
  #table: Promise<AliasTable> | undefined
  /** Names claimed by index creations and by alias changes under way (see the module doc). */
  readonly #creating = new UseCounter()
  readonly #adding = new UseCounter()

  constructor(readonly registry: IndexRegistry) {
    this.#file = join(registry.dataDir, FILE_NAME)
  }

  /** The aliases as committed: read once (and checked against the indexes), then kept up to date. */
  table(): Promise<AliasTable> {
    if (!this.#table) {
      const loading = this.#load()
      this.#table = loading
      // A failed read is not remembered: the next request tries again.
      loading.catch(() => this.#table === loading && (this.#table = undefined))
    }
    return this.#table
  }

  /** The aliases of each index, as `GET /{index}` and `GET /_alias` show them. */
  async byIndex(): Promise<Map<string, Record<string, AliasOptions>>> {
    const byIndex = new Map<string, Record<string, AliasOptions>>()
    for (const [alias, members] of [...(await this.table())].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const [index, options] of members) byIndex.set(index, { ...byIndex.get(index), [alias]: { ...options } })
    }
    return byIndex
  }

  /** The index a single-index request names through `name`: itself, or its alias's only index (its write index for a write). */
  async single(name: string, write: boolean): Promise<string> {
    // An index is never an alias: its requests need not read the aliases.
    if (await this.registry.exists(name)) return name
    const members = (await this.table()).get(name)
    if (!members) return name
    return write ? writeIndexOf(name, members) : onlyIndexOf(name, members)
  }

  /**
   * The indexes an expression selects (`a,b`, `logs-*`, `_all`), an alias standing for its
   * indexes and a pattern matching alias names too, as Elasticsearch resolves them.
   * @throws HttpError 404 for a name that is neither an index nor an alias
   */
  async expand(expression: string): Promise<Map<string, Selected>> {
    const found = new Map<string, Selected>()
    const select = (name: string, how: Selected) => {
      const was = found.get(name)
      if (was === undefined || STRENGTH[how] > STRENGTH[was]) found.set(name, how)
    }
    for (const part of expression.split(',')) {
      if (!isPattern(part) && (await this.registry.exists(part))) {
        select(part, 'named')
        continue
      }
      const table = await this.table()
      const members = table.get(part)
      if (members) {
        for (const index of members.keys()) select(index, 'member')
        continue
      }
      if (isPattern(part) && part !== '_all') {
        const matches = wildcardMatcher(part, 'index')
        for (const [alias, members] of table) if (matches(alias)) for (const index of members.keys()) select(index, 'matched')
      }
      for (const { name, matched } of await this.registry.resolve(part)) select(name, matched ? 'matched' : 'named')
    }
    return found
  }

  /** Refuses an expression that names an alias where indexes must be named (`DELETE /{index}`). */
  async refuseAliases(expression: string): Promise<void> {
    for (const part of expression.split(',')) {
      if (!isPattern(part) && !(await this.registry.exists(part)) && (await this.table()).has(part)) throw matchesAlias(part)
    }
  }

  /**
   * Creates an index (`create`: the registry's create) with its `aliases`, all or nothing.
   * @throws HttpError 400 when the name is an alias, an alias is an index or the aliases are bad
   */
  async createIndex(name: string, aliases: ReadonlyMap<string, AliasOptions>, create: () => Promise<void>): Promise<void> {
    if (aliases.size === 0) return this.#creatingIndex(name, create)
    await this.#change((table, before, indexes) => {
      if (before.has(name)) throw aliasNamedIndex(name)
      for (const [alias, options] of aliases) {
        if (alias === name || indexes.has(alias)) throw invalidAliasName(alias, SAME_NAME)
        table.set(alias, (table.get(alias) ?? new Map()).set(name, options))
      }
      checkWriteIndexes(table)
    }, { name, create })
  }

  /** Creates a missing index as a first write does: dynamic mapping; one created meanwhile (a concurrent first write) is no error. */
  async autoCreate(name: string): Promise<void> {
    const settings = await indexSettingsFrom({})
    await this.#creatingIndex(name, () => this.registry.create(name, settings)).catch((error: unknown) => {
      if (!(error instanceof HttpError && error.type === 'resource_already_exists_exception')) throw error
    })
  }

  /**
   * Applies `POST /_aliases` actions all or nothing, then deletes the indexes `remove_index` named.
   * @param drop - deletes an index (default: the registry's drop; the app may free what holds it first)
   * @throws HttpError naming the first action that fails; nothing is changed then
   */
  async update(actions: readonly AliasAction[], allowDestructive: boolean, drop = (name: string) => this.registry.drop(name)): Promise<void> {
    const dropped = await this.#change((table, before, indexes) => applyActions(actions, table, before, indexes, allowDestructive))
    for (const name of dropped) {
      // Deleted meanwhile by another request: gone already, as asked.
      await drop(name).catch((error: unknown) => {
        if (!isIndexNotFound(error)) throw error
      })
      await this.indexDeleted(name)
    }
  }

  /** Removes a deleted index from its aliases (an alias left without indexes goes too). */
  indexDeleted(name: string): Promise<void> {
    return this.#change((table) => {
      for (const [alias, members] of table) if (members.delete(name) && members.size === 0) table.delete(alias)
    })
  }

  /** Runs an index's creation with its name claimed as an index: a 400 when it is an alias, or being added as one. */
  async #creatingIndex<T>(name: string, create: () => Promise<T>): Promise<T> {
    const table = await this.table()
    if (table.has(name) || this.#adding.has(name)) throw aliasNamedIndex(name)
    this.#creating.add(name)
    try {
      return await create()
    } finally {
      this.#creating.remove(name)
    }
  }

  /**
   * One change, serialized with the others: `plan` edits a copy of the table (throwing leaves it
   * unchanged), the aliases it adds are claimed and checked against indexes and creations under
   * way, `create` (an index created with aliases) runs, and the copy is written and kept.
   */
  #change<T>(plan: (table: Table, before: AliasTable, indexes: ReadonlySet<string>) => T, create?: { name: string; create: () => Promise<void> }): Promise<T> {
    return this.#changes.run('file', async () => {
      const before = await this.table()
      const table = copyOf(before)
      const result = plan(table, before, new Set(await this.registry.names()))
      const added = [...table.keys()].filter((alias) => !before.has(alias))
      // Claimed in the same step as the check: an index creation starting later sees the claim,
      // one under way is seen here, and one that ended is in the data directory (checked below).
      for (const alias of added) this.#adding.add(alias)
      if (create) this.#creating.add(create.name)
      try {
        const clash = added.find((alias) => this.#creating.has(alias) && alias !== create?.name)
        if (clash !== undefined) throw invalidAliasName(clash, SAME_NAME)
        const now = await this.registry.names()
        const existing = added.find((alias) => now.includes(alias))
        if (existing !== undefined) throw invalidAliasName(existing, SAME_NAME)
        await create?.create()
        const text = serialize(table)
        if (text !== serialize(before)) {
          await writeFileAtomically(this.#file, text).catch(async (error: unknown) => {
            if (create) await this.registry.drop(create.name).catch(() => undefined)
            throw error
          })
        }
        this.#table = Promise.resolve(table)
        return result
      } finally {
        for (const alias of added) this.#adding.remove(alias)
        if (create) this.#creating.remove(create.name)
      }
    })
  }

  async #load(): Promise<AliasTable> {
    const text = await readFile(this.#file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text === undefined) return new Map()
    const stored = deserialize(text, this.#shown)
    // Indexes deleted before their aliases were updated (a crash between the two) are forgotten,
    // and so is an alias that became an index's name: the file is rewritten without them.
    const indexes = new Set(await this.registry.names())
    const table = copyOf(stored)
    for (const [alias, members] of table) {
      for (const index of members.keys()) if (!indexes.has(index)) members.delete(index)
      if (members.size === 0 || indexes.has(alias)) table.delete(alias)
    }
    const kept = serialize(table)
    if (kept !== serialize(stored)) await writeFileAtomically(this.#file, kept)
    return table
  }

}
