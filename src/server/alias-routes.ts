/**
 * The alias APIs over HTTP, as Elasticsearch and OpenSearch serve them: `POST /_aliases`, the
 * single-alias forms, `GET /_alias`, `GET /_cat/aliases`, and the `aliases` of `PUT /{index}`.
 * The store (aliases.ts) applies and keeps the changes.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-aliases.html
 * @module
 */
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'
import { type AliasAction, aliasMatcher, type AliasOptions, type AliasStore, type AliasTable, parseError, UNSUPPORTED, validateAliasName } from './aliases.js'
import { CAT_PARAMS, type CatColumn, catTable } from './cat.js'
import { badRequest } from './http-error.js'
import { isPattern } from './index-names.js'
import { isObject, type Json } from './json.js'
import type { JsonBodyReader } from './pipelines.js'
import { acceptsParams, NO_EFFECT_ON_ONE_NODE, validationFailed } from './url-params.js'

/** The options of one alias: `is_write_index`; the options lsr cannot honour are a 400 naming them. */
function aliasOptions(spec: Json, where: string, others: readonly string[]): AliasOptions {
  for (const key of Object.keys(spec)) {
    if (UNSUPPORTED.includes(key)) throw badRequest(`[${where}] option [${key}] is not supported: lsr has no filtered, routed or hidden aliases (is_write_index is the option it takes)`)
    if (key !== 'is_write_index' && !others.includes(key)) throw parseError(`[${where}] unknown field [${key}]`)
  }
  const write = spec.is_write_index
  if (write === undefined || write === null) return {}
  if (typeof write !== 'boolean') throw parseError(`[${where}] [is_write_index] must be true or false, got ${JSON.stringify(write)}`)
  return { is_write_index: write }
}

/** `index`/`indices` or `alias`/`aliases` of an action: a string or an array of non-empty strings. */
function namesOf(spec: Json, one: string, many: string, where: string): string[] {
  if (spec[one] !== undefined && spec[many] !== undefined) throw parseError(`[${where}] takes [${one}] or [${many}], not both`)
  const value = spec[one] ?? spec[many]
  if (value === undefined) throw validationFailed([`One of [${one}] or [${many}] is required`])
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.some((name) => typeof name !== 'string' || name === '')) {
    throw parseError(`[${where}] [${many}] must be a name or a non-empty array of names`)
  }
  return list as string[]
}

const ACTION_KEYS: Record<AliasAction['type'], readonly string[]> = {
  add: ['index', 'indices', 'alias', 'aliases'],
  remove: ['index', 'indices', 'alias', 'aliases', 'must_exist'],
  remove_index: ['index', 'indices'],
}

/**
 * The actions of a `POST /_aliases` body (`{"actions": [{"add": {...}}, {"remove": {...}}, {"remove_index": {...}}]}`).
 * @throws HttpError 400 naming what is malformed or not supported; nothing is changed then
 */
export function parseActions(body: Json): AliasAction[] {
  for (const key of Object.keys(body)) if (key !== 'actions') throw parseError(`[aliases] unknown field [${key}]`)
  if (body.actions === undefined || (Array.isArray(body.actions) && body.actions.length === 0)) throw validationFailed(['Must specify at least one alias action'])
  if (!Array.isArray(body.actions)) throw parseError('[actions] must be an array')
  return body.actions.map((entry: unknown): AliasAction => {
    const type = isObject(entry) && Object.keys(entry).length === 1 ? Object.keys(entry)[0] : undefined
    if (type === undefined || !Object.hasOwn(ACTION_KEYS, type)) throw parseError(`an alias action must be an object with one key: add, remove or remove_index${type ? `, got [${type}]` : ''}`)
    const spec = (entry as Json)[type]
    if (!isObject(spec)) throw parseError(`[${type}] must be an object`)
    const indices = namesOf(spec, 'index', 'indices', type).flatMap((name) => name.split(','))
    if (type === 'add') return { type, indices, aliases: namesOf(spec, 'alias', 'aliases', type), options: aliasOptions(spec, type, ACTION_KEYS.add) }
    const unknown = Object.keys(spec).find((key) => !ACTION_KEYS[type as AliasAction['type']].includes(key))
    if (unknown !== undefined) throw parseError(`[${type}] unknown field [${unknown}]`)
    if (type === 'remove_index') return { type, indices }
    if (spec.must_exist !== undefined && typeof spec.must_exist !== 'boolean') throw parseError('[remove] [must_exist] must be true or false')
    return { type: 'remove', indices, aliases: namesOf(spec, 'alias', 'aliases', type), mustExist: spec.must_exist === true }
  })
}

/**
 * The `aliases` of a `PUT /{index}` body (`{"<alias>": {"is_write_index": true}, ...}`).
 * @throws HttpError 400 naming a bad name or option
 */
export function parseCreateAliases(value: unknown): Map<string, AliasOptions> {
  if (value === undefined) return new Map()
  if (!isObject(value)) throw parseError('[aliases] must be an object of alias names')
  return new Map(Object.entries(value).map(([alias, spec]) => {
    if (!isObject(spec)) throw parseError(`[aliases] [${alias}] must be an object`)
    return [validateAliasName(alias), aliasOptions(spec, `aliases.${alias}`, [])]
  }))
}

/** What the alias routes use of the app. */
export interface AliasRouteDeps {
  store: AliasStore
  jsonBody: JsonBodyReader
  /** Let `remove_index` take wildcards (`--allow-destructive`). */
  allowDestructive: boolean
  /** How `remove_index` deletes an index; default: the registry's drop. */
  drop?: (name: string) => Promise<void>
}

type Ctx = Context<AppEnv>

/**
 * The alias routes: `POST /_aliases`, `PUT|POST /{index}/_alias/{name}` (and `_aliases`, and the
 * body-only forms), `DELETE /{index}/_alias/{name}`, `GET|HEAD /_alias[/{name}]`,
 * `/{index}/_alias[/{name}]`, `GET /_cat/aliases[/{name}]`. Register them before `/{index}`,
 * which would take `_alias` for an index name.
 */
export function aliasRoutes(app: Hono<AppEnv>, { store, jsonBody, allowDestructive, drop }: AliasRouteDeps): void {
  const update = (actions: AliasAction[]) => store.update(actions, allowDestructive, drop)
  const params = acceptsParams(...NO_EFFECT_ON_ONE_NODE)
  app.post('/_aliases', params, async (c) => {
    await update(parseActions(await jsonBody(c, true)))
    return c.json({ acknowledged: true })
  })

  const put = async (c: Ctx) => {
    const body = await jsonBody(c)
    const options = aliasOptions(body, 'alias', ['index', 'alias'])
    const given = (key: 'index' | 'alias') => {
      const value = c.req.param(key === 'alias' ? 'name' : 'index') ?? body[key]
      if (value === undefined) throw validationFailed([`[${key}] is missing`])
      if (typeof value !== 'string' || value === '') throw parseError(`[${key}] must be a name`)
      return value.split(',')
    }
    await update([{ type: 'add', indices: given('index'), aliases: given('alias'), options }])
    return c.json({ acknowledged: true })
  }
  for (const path of ['/:index/_alias/:name', '/:index/_aliases/:name', '/:index/_alias', '/:index/_aliases', '/_alias/:name', '/_aliases/:name']) {
    app.on(['PUT', 'POST'], path, params, put)
  }
  const remove = async (c: Ctx) => {
    await update([{ type: 'remove', indices: c.req.param('index')!.split(','), aliases: c.req.param('name')!.split(','), mustExist: false }])
    return c.json({ acknowledged: true })
  }
  app.delete('/:index/_alias/:name', params, remove)
  app.delete('/:index/_aliases/:name', params, remove)

  // GET answers HEAD too (Hono runs GET routes for HEAD, without the body): 404 when a name is missing.
  const get = async (c: Ctx) => {
    const { status, body } = await describe(store, c.req.param('index'), c.req.param('name'))
    return c.json(body, status)
  }
  for (const path of ['/_alias', '/_aliases', '/_alias/:name', '/:index/_alias', '/:index/_aliases', '/:index/_alias/:name']) {
    app.get(path, acceptsParams('local', ...NO_EFFECT_ON_ONE_NODE), get)
  }
  app.get('/_cat/aliases/:name?', acceptsParams(...CAT_PARAMS, 'local'), async (c) => catAliases(c, await store.table()))
}

/**
 * `GET /_alias` and its forms: `{index: {aliases: {alias: options}}}` for the selected indexes
 * (all of them without names, those with a matching alias with names). Names that match no alias
 * make it a 404 with `error` ("alias [x] missing") and `status` beside what was found, as Elasticsearch answers.
 */
async function describe(store: AliasStore, indexExpression: string | undefined, names: string | undefined): Promise<{ status: 200 | 404; body: Json }> {
  const indexes = indexExpression === undefined ? await store.registry.names() : [...(await store.expand(indexExpression)).keys()].sort()
  const requested = names?.split(',')
  const matches = aliasMatcher(requested ?? ['_all'])
  const byIndex = await store.byIndex()
  const found = new Set<string>()
  const body: Json = {}
  for (const index of indexes) {
    const aliases = Object.fromEntries(Object.entries(byIndex.get(index) ?? {}).filter(([alias]) => matches(alias)))
    for (const alias of Object.keys(aliases)) found.add(alias)
    if (requested === undefined || Object.keys(aliases).length > 0) body[index] = { aliases }
  }
  const missing = (requested ?? []).filter((name) => !isPattern(name) && !found.has(name))
  if (missing.length === 0) return { status: 200, body }
  return { status: 404, body: { error: `${missing.length === 1 ? 'alias' : 'aliases'} [${missing.join(',')}] missing`, status: 404, ...body } }
}

/** `_cat/aliases` columns, with Elasticsearch's aliases. */
const ALIAS_COLUMNS: readonly CatColumn[] = [
  { name: 'alias', aliases: ['a'] },
  { name: 'index', aliases: ['i', 'idx'] },
  { name: 'filter', aliases: ['f', 'fi'] },
  { name: 'routing.index', aliases: ['ri', 'routingIndex'] },
  { name: 'routing.search', aliases: ['rs', 'routingSearch'] },
  { name: 'is_write_index', aliases: ['w', 'isWriteIndex'] },
]

/** `GET /_cat/aliases[/{name}]`: one row per alias and index, by alias then index, Elasticsearch's columns (cat.ts: `v`, `format`, `h`, `s`). */
function catAliases(c: Ctx, table: AliasTable): Response {
  const matches = aliasMatcher(c.req.param('name')?.split(',') ?? ['_all'])
  const rows = [...table].filter(([alias]) => matches(alias)).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([alias, members]) =>
    [...members].sort(([a], [b]) => (a < b ? -1 : 1)).map(([index, { is_write_index: write }]) => ({
      alias, index, filter: '-', 'routing.index': '-', 'routing.search': '-', is_write_index: write === undefined ? '-' : String(write),
    })))
  return catTable(c, ALIAS_COLUMNS, rows)
}
