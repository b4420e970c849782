/**
 * The body of `PUT /{index}`: Elasticsearch's `mappings`, `settings.analysis` and
 * `settings.index.similarity` (the index's fields, checked when the schema is parsed), and lsr's
 * `settings.encoder` (an encoder of title + text, checked key by key for each encoder), and the
 * ingest pipelines its writes run (`index.default_pipeline`, `index.final_pipeline`).
 * Without an encoder an index has mapped fields only, with Elasticsearch's defaults (dynamic
 * mapping, the standard analyzer, BM25 k1 = 1.2, b = 0.75). Clients never name server paths: a
 * neural model is a name inside the server's models folder (`lsr serve --models <dir>`), and is
 * shown by that name.
 * @module
 */
import { stat } from 'node:fs/promises'
import { basename, isAbsolute, relative, resolve, sep } from 'node:path'
import type { EncoderConfig } from '../encode/encoder.js'
import { modelIdProblem } from '../encode/neural/model-registry.js'
import type { IndexPipelines, StoredSchema } from '../storage/format.js'
import { badRequest } from './http-error.js'
import { isObject, type Json } from './json.js'
import { pipelineIdProblem } from './pipeline-store.js'
import { NO_PIPELINE } from './pipelines.js'

/** The keys each encoder takes over HTTP; snake_case ones are Elasticsearch-style spellings. */
const ENCODER_KEYS = new Map<string, readonly string[]>([
  ['bm25', ['name', 'k1', 'b']],
  ['vectors', ['name', 'field']],
  ['neural', ['name', 'model', 'dtype', 'max_length', 'maxLength', 'activation', 'pruning', 'window_stride', 'windowStride']],
])
const CAMEL_CASE = new Map([['max_length', 'maxLength'], ['window_stride', 'windowStride']])
/** `settings` keys, also accepted inside `settings.index` or as `index.<key>`, as Elasticsearch does. */
const SETTINGS_KEYS = ['encoder', 'similarity', 'analysis', 'number_of_shards', 'number_of_replicas', 'default_pipeline', 'final_pipeline', 'search.default_pipeline']

/** What an index is created with. */
export interface IndexSettings {
  /** The encoder of title + text; null: mapped fields only. */
  encoder: EncoderConfig | null
  schema: StoredSchema
  /** The ingest pipelines the index's writes run; absent: none. */
  pipelines?: IndexPipelines
}

/**
 * The encoder and field schema an index is created with (the schema is checked when the index
 * opens it: an unknown type, analyzer or similarity is a 400 from there).
 * @param modelsDir - the server's models folder, where neural model names are looked up
 * @throws HttpError 400 naming the setting that is unknown, malformed or not supported
 */
export async function indexSettingsFrom(body: Json, modelsDir?: string): Promise<IndexSettings> {
  // aliases would be a promise lsr cannot keep, anything else is unknown.
  for (const key of Object.keys(body)) {
    if (!['settings', 'mappings', 'aliases'].includes(key)) throw badRequest(`[${key}] is not a supported key of an index creation (settings, mappings)`)
  }
  if (body.aliases !== undefined && !(isObject(body.aliases) && Object.keys(body.aliases).length === 0)) throw badRequest('[aliases] are not supported')
  if (body.mappings !== undefined && !isObject(body.mappings)) throw badRequest('[mappings] must be an object')
  const settings = flatSettings(body.settings)
  shardCount(settings.get('number_of_shards'), '1')
  shardCount(settings.get('number_of_replicas'), '0')
  const explicit = settings.get('encoder')
  const similarity = settings.get('similarity')?.value
  const analysis = settings.get('analysis')?.value
  if (similarity !== undefined && !isObject(similarity)) throw badRequest(`[${settings.get('similarity')!.path}] must be an object`)
  if (analysis !== undefined && !isObject(analysis)) throw badRequest(`[${settings.get('analysis')!.path}] must be an object`)
  const schema: StoredSchema = { mappings: (body.mappings as Json | undefined) ?? {} }
  if (similarity) schema.similarity = similarity
  if (analysis) schema.analysis = analysis
  const pipelines = pipelineSettings(settings)
  return { encoder: explicit ? await encoderSettings(explicit.value, explicit.path, modelsDir) : null, schema, ...(pipelines ? { pipelines } : {}) }
}

/** The pipeline settings and the kind of pipeline each names (Elasticsearch's dynamic settings lsr has). */
const PIPELINE_SETTINGS: ReadonlyMap<string, keyof IndexPipelines> = new Map([['default_pipeline', 'default'], ['final_pipeline', 'final'], ['search.default_pipeline', 'search']])

/**
 * `default_pipeline` and `final_pipeline` (ingest) and `search.default_pipeline`: pipeline ids (or
 * `_none`). As in Elasticsearch, the pipelines need not exist yet: a write (a search) fails while
 * one is missing.
 */
function pipelineSettings(settings: Map<string, Setting>): IndexPipelines | undefined {
  const pipelines: IndexPipelines = {}
  for (const [key, kind] of PIPELINE_SETTINGS) {
    const setting = settings.get(key)
    if (setting !== undefined) pipelines[kind] = pipelineId(setting)
  }
  return Object.keys(pipelines).length > 0 ? pipelines : undefined
}

/** A pipeline setting's value: a pipeline id or `_none`. */
function pipelineId(setting: Setting): string {
  const problem = typeof setting.value !== 'string' ? 'must be a pipeline id' : setting.value === NO_PIPELINE ? undefined : pipelineIdProblem(setting.value)
  if (problem !== undefined) throw badRequest(`[${setting.path}] ${problem}, got ${JSON.stringify(setting.value)}`)
  return setting.value as string
}

/**
 * The body of `PUT /{index}/_settings` (`{"index": {...}}`, `{"index.x": ...}`, or `{"settings": ...}`):
 * pipeline names to set, or `null` to remove one. `number_of_replicas` may be set to 0 (what it is).
 * @throws HttpError 400 naming a setting that cannot change (the encoder, analysis, similarity, shards) or is unknown
 */
export function pipelineUpdate(body: Json): { [K in keyof IndexPipelines]?: string | null } {
  const keys = Object.keys(body)
  const settings = flatSettings(keys.length === 1 && keys[0] === 'settings' ? body.settings : body)
  shardCount(settings.get('number_of_replicas'), '0')
  const changes: { [K in keyof IndexPipelines]?: string | null } = {}
  for (const [key, setting] of settings) {
    if (key === 'number_of_replicas') continue
    const kind = PIPELINE_SETTINGS.get(key)
    if (!kind) throw badRequest(`Can't update non dynamic settings [[index.${key}]] for open indices [${setting.path}]`)
    changes[kind] = setting.value === null ? null : pipelineId(setting)
  }
  if (settings.size === 0) throw badRequest('no settings to update')
  return changes
}

interface Setting {
  value: unknown
  /** Where the client put it, for messages: `settings.index.encoder`. */
  path: string
}

/** `settings`, `settings.index` and `settings["index.x"]` as one map of known keys. */
function flatSettings(settings: unknown): Map<string, Setting> {
  const out = new Map<string, Setting>()
  if (settings === undefined) return out
  if (!isObject(settings)) throw badRequest('[settings] must be an object')
  const add = (key: string, value: unknown, path: string) => {
    if (!SETTINGS_KEYS.includes(key)) throw badRequest(`[${path}] is not a supported setting (supported: ${SETTINGS_KEYS.join(', ')})`)
    if (out.has(key)) throw badRequest(`[${path}] is given twice`)
    out.set(key, { value, path })
  }
  // OpenSearch's `index.search.default_pipeline` may also come as `search: {default_pipeline}`.
  const addAll = (key: string, value: unknown, path: string) => {
    if (key === 'search' && isObject(value)) for (const [inner, v] of Object.entries(value)) add(`search.${inner}`, v, `${path}.${inner}`)
    else add(key, value, path)
  }
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'index' && isObject(value)) for (const [inner, v] of Object.entries(value)) addAll(inner, v, `settings.index.${inner}`)
    else addAll(key.startsWith('index.') ? key.slice('index.'.length) : key, value, `settings.${key}`)
  }
  return out
}

/** lsr indexes are one shard without replicas: other counts cannot be honoured. */
function shardCount(setting: Setting | undefined, only: string): void {
  if (setting !== undefined && String(setting.value) !== only) throw badRequest(`[${setting.path}] must be ${only}: lsr indexes are one shard without replicas`)
}

async function encoderSettings(value: unknown, path: string, modelsDir: string | undefined): Promise<EncoderConfig> {
  if (!isObject(value) || typeof value.name !== 'string') throw badRequest(`[${path}] needs a "name"`)
  const keys = ENCODER_KEYS.get(value.name)
  if (!keys) throw badRequest(`[${path}.name]: unknown encoder ${JSON.stringify(value.name)} (known: ${[...ENCODER_KEYS.keys()].join(', ')})`)
  const config: EncoderConfig = { name: value.name }
  for (const [key, setting] of Object.entries(value)) {
    if (!keys.includes(key)) throw badRequest(`[${path}.${key}] is not a setting of the ${value.name} encoder (settings: ${keys.join(', ')})`)
    const name = CAMEL_CASE.get(key) ?? key
    if (name !== 'name' && Object.hasOwn(config, name)) throw badRequest(`[${path}.${key}] is given twice (in snake_case and camelCase)`)
    config[name] = setting
  }
  if (value.name === 'neural') config.model = await modelFolder(config.model, `${path}.model`, modelsDir)
  return config
}

/** A model name as the folder of that name inside the server's models folder. */
async function modelFolder(model: unknown, path: string, modelsDir: string | undefined): Promise<string> {
  if (typeof model !== 'string' || modelIdProblem(model) !== undefined) {
    throw badRequest(`[${path}] must name a model in the server's models folder ("name" or "org/name": letters, digits, ".", "_", "-"), got ${JSON.stringify(model)}`)
  }
  if (modelsDir === undefined) throw badRequest(`[${path}]: this server has no models folder (start it with --models <dir>)`)
  const dir = resolve(modelsDir, model)
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw badRequest(`[${path}]: model [${model}] is not in the server's models folder`)
  return dir
}

/** An encoder config as clients see it: a model by its name in the models folder, never its path. */
export function publicEncoder(config: EncoderConfig, modelsDir?: string): EncoderConfig {
  if (typeof config.model !== 'string') return config
  const inside = modelsDir === undefined ? undefined : relative(resolve(modelsDir), config.model)
  const name = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : basename(config.model)
  return { ...config, model: name }
}
