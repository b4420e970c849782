/**
 * The `_cat` APIs' tables, as Elasticsearch's RestTable prints them: `GET /_cat/indices[/{index}]`,
 * `/_cat/count[/{index}]`, `/_cat/health` here, `/_cat/aliases` in alias-routes.ts. Every one
 * takes `v` (a header line), `format` (`text` or `json`), `h` (the columns, by name or alias,
 * wildcards allowed; an unknown one is a 400 naming it), `s` (sort keys, each `column[:asc|:desc]`)
 * and `bytes` (`b`, `kb`, `mb`, `gb`, `tb`, `pb`: byte columns as whole units; without it, human
 * sizes such as `4.4kb`). Text tables pad every column to its widest cell, numbers to the right.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/cat.html
 * @module
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'
import { badRequest } from './http-error.js'
import type { AliasSession } from './alias-session.js'
import type { AliasStore } from './aliases.js'
import type { IndexRegistry } from './registry.js'
import { acceptsParams, booleanParam } from './url-params.js'
import { globMatcher } from '../engine/glob.js'

/** A cell: text, a number (right-aligned, sorted as a number), or nothing (empty in text, null in JSON). */
export type Cell = string | number | null | undefined

/** One column of a cat table. */
export interface CatColumn {
  name: string
  /** Other names `h` and `s` take for it (Elasticsearch's). */
  aliases?: readonly string[]
  /** Shown when `h` is not given. @default true */
  default?: boolean
  /** A byte count, printed per `bytes`. */
  bytes?: boolean
  /** Not a default column, but in JSON without `h` a row that has a value shows it (lsr's `reason` of a red index). */
  jsonWhenSet?: boolean
}

/** URL parameters every cat API takes. */
export const CAT_PARAMS = ['format', 'v', 'h', 's', 'bytes'] as const

/** The units `bytes` takes, as powers of 1024. */
const BYTE_UNITS: ReadonlyMap<string, number> = new Map([
  ['b', 0], ['k', 1], ['kb', 1], ['m', 2], ['mb', 2], ['g', 3], ['gb', 3], ['t', 4], ['tb', 4], ['p', 5], ['pb', 5],
])
const HUMAN_SUFFIXES = ['b', 'kb', 'mb', 'gb', 'tb', 'pb']

/**
 * A byte count as Elasticsearch's ByteSizeValue prints it: the largest unit it reaches, one
 * decimal cut (not rounded), `.0` dropped.
 * @example humanBytes(4607) // '4.4kb'
 */
export function humanBytes(bytes: number): string {
  let power = 0
  while (power < 5 && bytes >= 1024 ** (power + 1)) power++
  const value = bytes / 1024 ** power
  const tenths = Math.floor(value * 10) / 10
  return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)}${HUMAN_SUFFIXES[power]}`
}

/** Where the columns `h` (or the defaults) select, and the sort keys `s` gives. */
interface Layout {
  columns: CatColumn[]
  sort: Array<{ column: CatColumn; descending: boolean }>
}

/** The column `name` names (its name or an alias), if any. */
const columnNamed = (columns: readonly CatColumn[], name: string) => columns.find((column) => column.name === name || column.aliases?.includes(name))

function layoutOf(c: Context, columns: readonly CatColumn[]): Layout {
  const h = c.req.query('h')
  let selected: CatColumn[]
  if (h === undefined) {
    selected = columns.filter((column) => column.default !== false)
  } else {
    selected = []
    const unknown: string[] = []
    for (const entry of h.split(',').map((name) => name.trim()).filter((name) => name !== '')) {
      const matches = entry.includes('*')
        ? columns.filter((column) => [column.name, ...(column.aliases ?? [])].some(globMatcher(entry)))
        : [columnNamed(columns, entry)].filter((column) => column !== undefined)
      if (matches.length === 0) unknown.push(entry)
      for (const column of matches) if (!selected.includes(column)) selected.push(column)
    }
    if (unknown.length > 0) throw badRequest(`[h] names unknown column${unknown.length > 1 ? 's' : ''} [${unknown.join(', ')}] (columns: ${columns.map((column) => column.name).join(', ')})`)
  }
  const sort = (c.req.query('s') ?? '').split(',').map((key) => key.trim()).filter((key) => key !== '').map((key) => {
    const [name, order = 'asc', ...rest] = key.split(':')
    if (rest.length > 0 || (order !== 'asc' && order !== 'desc')) throw badRequest(`[s] sort key [${key}] must be a column, optionally followed by :asc or :desc`)
    const column = columnNamed(columns, name)
    if (!column) throw badRequest(`Unable to sort by unknown sort key \`${name}\` (columns: ${columns.map((each) => each.name).join(', ')})`)
    return { column, descending: order === 'desc' }
  })
  return { columns: selected, sort }
}

/** Orders two cells: nothing first, numbers numerically, text by UTF-16 code units. */
function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : 1
}

/**
 * Answers a cat table in the request's format, columns and order.
 * @param rows - each row's cells by column name (byte columns as byte counts)
 * @throws HttpError 400 naming a bad `format`, `h`, `s` or `bytes`
 */
export function catTable(c: Context, columns: readonly CatColumn[], rows: ReadonlyArray<Readonly<Record<string, Cell>>>): Response {
  const format = c.req.query('format') ?? 'text'
  if (format !== 'text' && format !== 'json') throw badRequest(`[format] must be text or json, got [${format}]`)
  const unit = c.req.query('bytes')
  if (unit !== undefined && !BYTE_UNITS.has(unit)) throw badRequest(`[bytes] must be one of ${[...BYTE_UNITS.keys()].join(', ')}, got [${unit}]`)
  const header = booleanParam(c, 'v', false)
  const { columns: shown, sort } = layoutOf(c, columns)
  const sorted = sort.length === 0 ? rows : [...rows].sort((a, b) => {
    for (const { column, descending } of sort) {
      const order = compareCells(a[column.name], b[column.name])
      if (order !== 0) return descending ? -order : order
    }
    return 0
  })
  const render = (column: CatColumn, cell: Cell): string | null => {
    if (cell === null || cell === undefined) return null
    if (column.bytes && typeof cell === 'number') return unit === undefined ? humanBytes(cell) : String(Math.floor(cell / 1024 ** BYTE_UNITS.get(unit)!))
    return String(cell)
  }
  if (format === 'json') {
    const extra = c.req.query('h') === undefined ? columns.filter((column) => column.jsonWhenSet) : []
    return c.json(sorted.map((row) => Object.fromEntries([
      ...shown.map((column) => [column.name, render(column, row[column.name])]),
      ...extra.filter((column) => row[column.name] !== undefined && row[column.name] !== null).map((column) => [column.name, render(column, row[column.name])]),
    ])))
  }
  const right = shown.map((column) => column.bytes === true || sorted.some((row) => typeof row[column.name] === 'number'))
  const lines = [...(header ? [shown.map((column) => column.name)] : []), ...sorted.map((row) => shown.map((column) => render(column, row[column.name]) ?? ''))]
  const widths = shown.map((_, i) => Math.max(0, ...lines.map((line) => line[i].length)))
  const text = lines.map((line) => line.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' ').trimEnd()).join('\n')
  return c.text(text + (lines.length > 0 ? '\n' : ''))
}

/** `_cat/indices` columns (Elasticsearch's names and aliases; `reason` is lsr's, for a red index). */
const INDICES_COLUMNS: readonly CatColumn[] = [
  { name: 'health', aliases: ['h'] },
  { name: 'status', aliases: ['s'] },
  { name: 'index', aliases: ['i', 'idx'] },
  { name: 'pri', aliases: ['p', 'shards.primary', 'shardsPrimary'] },
  { name: 'rep', aliases: ['r', 'shards.replica', 'shardsReplica'] },
  { name: 'docs.count', aliases: ['dc', 'docsCount'] },
  { name: 'docs.deleted', aliases: ['dd', 'docsDeleted'] },
  { name: 'store.size', aliases: ['ss', 'storeSize'], bytes: true },
  { name: 'pri.store.size', bytes: true, default: false },
  { name: 'reason', default: false, jsonWhenSet: true },
]

/** `_cat/count` columns. */
const COUNT_COLUMNS: readonly CatColumn[] = [
  { name: 'epoch', aliases: ['t', 'time'] },
  { name: 'timestamp', aliases: ['ts', 'hms', 'hhmmss'] },
  { name: 'count', aliases: ['dc', 'docs.count', 'docsCount'] },
]

/** `_cat/health` columns (Elasticsearch 7's and OpenSearch's). */
const HEALTH_COLUMNS: readonly CatColumn[] = [
  { name: 'epoch', aliases: ['t', 'time'] },
  { name: 'timestamp', aliases: ['ts', 'hms', 'hhmmss'] },
  { name: 'cluster', aliases: ['cl'] },
  { name: 'status', aliases: ['st'] },
  { name: 'node.total', aliases: ['nt', 'nodeTotal'] },
  { name: 'node.data', aliases: ['nd', 'nodeData'] },
  { name: 'shards', aliases: ['t', 'sh', 'shards.total', 'shardsTotal'] },
  { name: 'pri', aliases: ['p', 'shards.primary', 'shardsPrimary'] },
  { name: 'relo', aliases: ['r', 'shards.relocating', 'shardsRelocating'] },
  { name: 'init', aliases: ['i', 'shards.initializing', 'shardsInitializing'] },
  { name: 'unassign', aliases: ['u', 'shards.unassigned', 'shardsUnassigned'] },
  { name: 'pending_tasks', aliases: ['pt', 'pendingTasks'] },
  { name: 'max_task_wait_time', aliases: ['mtwt', 'maxTaskWaitTime'] },
  { name: 'active_shards_percent', aliases: ['asp', 'activeShardsPercent'] },
]

/** `epoch` and `timestamp` of now (UTC), as `_cat/count` and `_cat/health` start their rows; `ts=false` drops them. */
function timeCells(): Record<string, Cell> {
  const now = new Date()
  return { epoch: Math.floor(now.getTime() / 1000), timestamp: now.toISOString().slice(11, 19) }
}

/** The columns without `epoch` and `timestamp` when `ts=false`. */
const withTimestamps = (c: Context, columns: readonly CatColumn[]) =>
  booleanParam(c, 'ts', true) ? columns : columns.filter((column) => column.name !== 'epoch' && column.name !== 'timestamp')

/** What the cat routes use of the app. */
export interface CatRouteDeps {
  registry: IndexRegistry
  /** Resolves `/_cat/indices/{index}`'s expression (aliases and patterns) to index names. */
  aliases: AliasStore
}

type Ctx = Context<AppEnv>

/** Every index's state; a broken one is listed (red), not a failure. */
async function states(c: Ctx, registry: IndexRegistry) {
  const session: AliasSession = c.var.indexes
  const all = await Promise.all((await registry.names()).map(async (name) => ({ name, state: await session.inspect(name) })))
  return all.flatMap(({ name, state }) => (state ? [{ name, ...state }] : []))
}

/** `GET /_cat/indices[/{index}]`, `/_cat/count[/{index}]` and `/_cat/health`. */
export function catRoutes(app: Hono<AppEnv>, { registry, aliases }: CatRouteDeps): void {
  // All indexes (a broken one red, with its reason), or those of an index expression or alias.
  const indices = async (c: Ctx) => {
    const expression = c.req.param('index')
    // Names, not opened indexes: a broken index a pattern matches is listed too (red).
    const selected = expression === undefined ? undefined : new Set((await aliases.expand(expression)).keys())
    const all = (await states(c, registry)).filter(({ name }) => !selected || selected.has(name))
    const rows = await Promise.all(all.map(async ({ name, index, broken }): Promise<Record<string, Cell>> => {
      const row = { health: 'red', status: 'open', index: name, pri: 1, rep: 0 }
      if (!index) return { ...row, reason: broken }
      const stats = await index.stats()
      return { ...row, health: 'green', 'docs.count': stats.documents, 'docs.deleted': stats.deletedDocuments, 'store.size': stats.sizeOnDiskBytes, 'pri.store.size': stats.sizeOnDiskBytes }
    }))
    return catTable(c, INDICES_COLUMNS, rows)
  }
  app.get('/_cat/indices', acceptsParams(...CAT_PARAMS), indices)
  app.get('/_cat/indices/:index', acceptsParams(...CAT_PARAMS), indices)

  // The live documents of the indexes (all of them, or an expression's, through aliases).
  const count = async (c: Ctx) => {
    const columns = withTimestamps(c, COUNT_COLUMNS)
    const found = await c.var.indexes.open(c.req.param('index') ?? '_all')
    let documents = 0
    for (const [, index] of found) documents += (await index.stats()).documents
    return catTable(c, columns, [{ ...timeCells(), count: documents }])
  }
  app.get('/_cat/count', acceptsParams(...CAT_PARAMS, 'ts'), count)
  app.get('/_cat/count/:index', acceptsParams(...CAT_PARAMS, 'ts'), count)

  // One node holding one primary shard per index, no replicas: green unless an index is broken (red, its shard unassigned).
  app.get('/_cat/health', acceptsParams(...CAT_PARAMS, 'ts', 'local'), async (c) => {
    const all = await states(c, registry)
    const broken = all.filter((state) => state.broken !== undefined).length
    const active = all.length - broken
    const percent = all.length === 0 ? 100 : (100 * active) / all.length
    return catTable(c, withTimestamps(c, HEALTH_COLUMNS), [{
      ...timeCells(), cluster: 'lsr', status: broken > 0 ? 'red' : 'green', 'node.total': 1, 'node.data': 1,
      shards: active, pri: active, relo: 0, init: 0, unassign: broken, pending_tasks: 0, max_task_wait_time: '-',
      active_shards_percent: `${percent.toFixed(1)}%`,
    }])
  })
}
