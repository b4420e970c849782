/**
 * `lsr index --mapping FILE`: the fields of an index from a JSON file, in Elasticsearch's shapes:
 * a `mappings` object (`{"properties": {...}}`), or the body of a `PUT /{index}` holding
 * `mappings` and `settings` (`analysis`, `index.similarity`). Every error names the file.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { Schema } from '../engine/schema.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import { LsrError } from '../errors.js'
import type { StoredSchema } from '../storage/format.js'

/** The settings a mapping file may give, by their names inside `settings` (`index.` prefix optional, as in Elasticsearch). */
const SETTINGS = ['analysis', 'similarity'] as const

/** The fields a new index with an encoder gives to the encoder: a mapping cannot declare them too. */
const ENCODER_FIELDS = ['title', 'text']

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Reads a mapping file into the schema an index is created with (not yet checked against analyzers and types: see {@link checkNewSchema}). */
export async function readMappingFile(file: string): Promise<StoredSchema> {
  const text = await readFile(file, 'utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new LsrError('invalid_input', `${file}: not valid JSON (${(error as Error).message})`)
  }
  return inFile(file, () => schemaOf(json))
}

/**
 * Checks the schema of a new index (types, analyzers, similarities) before the index is created,
 * and that it leaves title and text to the encoder when the index has one.
 */
export function checkNewSchema(file: string, schema: StoredSchema, encoderName: string | undefined): void {
  inFile(file, () => Schema.parse(schema))
  if (encoderName !== undefined) checkEncoderFields(file, schema, encoderName)
}

/**
 * Applies a mapping file to an existing index, as Elasticsearch's `PUT /{index}/_mapping`: new
 * fields are added, and changing a field is refused. Settings, fixed when an index is created,
 * must equal the index's own.
 */
export async function applyToExisting(file: string, schema: StoredSchema, index: SparseIndex): Promise<void> {
  if (index.encoder) checkEncoderFields(file, schema, index.encoder.config.name)
  const stored = index.schema?.toStored()
  for (const setting of SETTINGS) {
    if (schema[setting] !== undefined && JSON.stringify(schema[setting]) !== JSON.stringify(stored?.[setting])) {
      throw new LsrError('invalid_input', `${file}: settings.${setting} differs from the index's own (analyzers and similarities are fixed when an index is created; index into a new one)`)
    }
  }
  await inFileAsync(file, () => index.putMapping(schema.mappings))
}

/** `{mappings, settings}` or a bare `mappings` object as the stored schema. */
function schemaOf(json: unknown): StoredSchema {
  if (!isObject(json)) throw new LsrError('invalid_input', 'must hold a JSON object: a mappings object, or {"mappings": ..., "settings": ...}')
  if (!('mappings' in json) && !('settings' in json)) return { mappings: json }
  for (const key of Object.keys(json)) {
    if (key !== 'mappings' && key !== 'settings') throw new LsrError('invalid_input', `[${key}] is not a key of an index definition (mappings, settings)`)
  }
  const mappings = json.mappings ?? {}
  if (!isObject(mappings)) throw new LsrError('invalid_input', '[mappings] must be an object')
  const schema: StoredSchema = { mappings }
  for (const [name, { value, path }] of settingsOf(json.settings)) {
    if (!isObject(value)) throw new LsrError('invalid_input', `[${path}] must be an object`)
    schema[name] = value
  }
  return schema
}

/** `settings`, `settings.index` and `settings["index.x"]` as one map of the supported settings. */
function settingsOf(settings: unknown): Map<(typeof SETTINGS)[number], { value: unknown; path: string }> {
  const out = new Map<(typeof SETTINGS)[number], { value: unknown; path: string }>()
  if (settings === undefined) return out
  if (!isObject(settings)) throw new LsrError('invalid_input', '[settings] must be an object')
  const add = (key: string, value: unknown, path: string) => {
    const name = SETTINGS.find((setting) => setting === key)
    if (key === 'encoder') throw new LsrError('invalid_input', `[${path}]: give the encoder with --encoder`)
    if (name === undefined) throw new LsrError('invalid_input', `[${path}] is not a supported setting (supported: settings.analysis, settings.index.similarity)`)
    if (out.has(name)) throw new LsrError('invalid_input', `[${path}] is given twice`)
    out.set(name, { value, path })
  }
  for (const [key, value] of Object.entries(settings)) {
    if (key === 'index' && isObject(value)) for (const [inner, v] of Object.entries(value)) add(inner, v, `settings.index.${inner}`)
    else add(key.startsWith('index.') ? key.slice('index.'.length) : key, value, `settings.${key}`)
  }
  return out
}

/** An index with an encoder indexes title + text as one field of its own: a mapping of them would never be used. */
function checkEncoderFields(file: string, schema: StoredSchema, encoderName: string): void {
  const properties = isObject(schema.mappings.properties) ? Object.keys(schema.mappings.properties) : []
  const field = properties.find((name) => ENCODER_FIELDS.some((f) => name === f || name.startsWith(`${f}.`)))
  if (field === undefined) return
  throw new LsrError(
    'invalid_input',
    `${file}: maps [${field}], which the ${encoderName} encoder indexes (title + text as one field); to index title and text as mapped fields, use --encoder none`,
  )
}

/** Runs `check`, naming the file in any engine error it throws (a bad definition is bad input: exit status 1). */
function inFile<T>(file: string, check: () => T): T {
  try {
    return check()
  } catch (error) {
    throw named(file, error)
  }
}

async function inFileAsync<T>(file: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check()
  } catch (error) {
    throw named(file, error)
  }
}

function named(file: string, error: unknown): unknown {
  if (!(error instanceof LsrError)) return error
  return new LsrError(error.code === 'invalid_argument' ? 'invalid_input' : error.code, `${file}: ${error.message}`, { cause: error })
}
