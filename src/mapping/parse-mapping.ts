/**
 * Parses Elasticsearch's `mappings` body into a `Mapping`, validating every key. Anything lsr does
 * not implement is refused by name, never accepted and ignored: `_source` disabled or filtered,
 * `dynamic_templates`, `runtime`, `copy_to`, `fielddata`, `norms: false`, `store: true`,
 * `term_vector`, `index_options` on keyword fields, `index_phrases`, `index_prefixes`, normalizers,
 * `ignore_malformed: true`, scripts and the like.
 * A parameter given with its Elasticsearch default (`store: false`, `norms: true` on text…) is
 * accepted, since it asks for nothing lsr does not do.
 * @module
 */
import { isPlainObject, mapperParsing, preview } from './fail.js'
import {
  parseBooleanField,
  parseDateField,
  parseKeyword,
  parseNumberField,
  parseSparseField,
  Params,
  parseText,
  UNSUPPORTED,
  type NameSet,
} from './leaf-params.js'
import {
  isNumberType,
  MAPPING_DEFAULTS,
  ownValue,
  type Dynamic,
  type FieldMapping,
  type LeafField,
  type Mapping,
  type MappingLimits,
  type ObjectField,
} from './mapping.js'
import { checkLimits, depthExceeded, nameSegments, objectDepth } from './names.js'

export type { NameSet } from './leaf-params.js'

interface Context {
  analyzers: NameSet
  similarities: NameSet
  limits: MappingLimits
}

/** Root parameters of ES mappings that lsr refuses. */
const ROOT_UNSUPPORTED = ['dynamic_templates', 'runtime', 'dynamic_date_formats', '_field_names', 'enabled', 'subobjects', '_data_stream_timestamp', '_size', 'synthetic_source_keep']

/** ES object parameters lsr does not implement. */
const OBJECT_UNSUPPORTED = ['subobjects', 'store_array_source', 'synthetic_source_keep', 'include_in_parent', 'include_in_root']

/**
 * Parses an Elasticsearch `mappings` object.
 * @param json the `mappings` body: `{dynamic?, date_detection?, numeric_detection?, properties?, _source?, _meta?, _routing?}`
 *   (a single `_doc` wrapper, which ES 8 still accepts, is unwrapped)
 * @param analyzers the index's analyzers: `analyzer`/`search_analyzer` names must be among them
 * @param similarities the index's similarities: `similarity` names must be among them
 * @param limits total-fields and depth limits (`index.mapping.total_fields.limit`, `index.mapping.depth.limit`)
 * @returns the mapping
 * @throws LsrError `mapper_parsing` naming the field and parameter; `invalid_argument` for an exceeded limit
 * @example parseMapping({ properties: { price: { type: 'scaled_float', scaling_factor: 100 } } }, analyzers, similarities)
 */
export function parseMapping(json: unknown, analyzers: NameSet, similarities: NameSet, limits: MappingLimits = MAPPING_DEFAULTS.limits): Mapping {
  if (json === undefined || json === null) json = {}
  if (!isPlainObject(json)) throw mapperParsing(`Failed to parse mapping: the mappings must be an object, got [${preview(json)}]`)
  const keys = Object.keys(json)
  if (keys.length === 1 && keys[0] === '_doc' && isPlainObject(json._doc)) json = json._doc as Record<string, unknown>
  const root = json as Record<string, unknown>
  const ctx: Context = { analyzers, similarities, limits }
  const mapping: Mapping = { dynamic: true, dateDetection: true, numericDetection: false, properties: {}, explicit: {} }
  const unknown: string[] = []
  for (const [key, value] of Object.entries(root)) {
    switch (key) {
      case 'dynamic':
        mapping.dynamic = parseDynamic(value, '_doc')
        mapping.explicit!.dynamic = true
        break
      case 'date_detection':
        mapping.dateDetection = parseBool(value, 'date_detection', 'root mapping')
        mapping.explicit!.dateDetection = true
        break
      case 'numeric_detection':
        if (parseBool(value, 'numeric_detection', 'root mapping')) throw unsupportedRoot('numeric_detection', 'true')
        break
      case 'properties':
        mapping.properties = parseProperties(value, '', ctx)
        break
      case '_source':
        parseSource(value)
        break
      case '_routing':
        if (!isPlainObject(value) || Object.keys(value).some((k) => k !== 'required') || (value.required !== undefined && value.required !== false)) {
          throw unsupportedRoot('_routing', preview(value))
        }
        break
      case '_meta':
        if (!isPlainObject(value)) throw mapperParsing(`[_meta] must be an object, got [${preview(value)}]`)
        mapping.meta = structuredClone(value)
        break
      default:
        if (ROOT_UNSUPPORTED.includes(key)) throw unsupportedRoot(key, preview(value))
        unknown.push(`[${key} : ${preview(value)}]`)
    }
  }
  if (unknown.length > 0) throw mapperParsing(`Root mapping definition has unsupported parameters: ${unknown.join(' ')}`)
  checkLimits(mapping.properties, limits)
  return mapping
}

function unsupportedRoot(key: string, value: string): Error {
  return mapperParsing(`Failed to parse mapping: lsr does not support [${key}] in mappings (got [${value}])`)
}

function parseSource(value: unknown): void {
  if (!isPlainObject(value)) throw mapperParsing(`Failed to parse mapping: [_source] must be an object, got [${preview(value)}]`)
  for (const [key, v] of Object.entries(value)) {
    if (key === 'enabled' && (v === true || v === 'true')) continue
    if ((key === 'includes' || key === 'excludes') && Array.isArray(v) && v.length === 0) continue
    if (['enabled', 'includes', 'excludes', 'mode'].includes(key)) {
      throw mapperParsing(`Failed to parse mapping: lsr does not support [_source.${key}: ${preview(v)}]: lsr keeps every document's whole source`)
    }
    throw mapperParsing(`Failed to parse mapping: unknown parameter [${key}] on metadata field [_source]`)
  }
}

/** Parses a `dynamic` value: `true`, `false`, `"true"`, `"false"`, `"strict"`. */
export function parseDynamic(value: unknown, on: string): Dynamic {
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  if (value === 'strict') return 'strict'
  if (value === 'runtime') throw mapperParsing(`Failed to parse mapping: lsr does not support [dynamic: runtime] (on [${on}])`)
  throw mapperParsing(`Failed to parse mapping: [dynamic] on [${on}] must be one of [true, false, strict], got [${preview(value)}]`)
}

function parseBool(value: unknown, param: string, on: string): boolean {
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  throw mapperParsing(`Failed to parse value [${preview(value)}] for parameter [${param}] on [${on}]: only [true] or [false] are allowed`)
}

function parseProperties(value: unknown, prefix: string, ctx: Context): Record<string, FieldMapping> {
  const owner = prefix === '' ? '_doc' : prefix.slice(0, -1)
  if (!isPlainObject(value)) throw mapperParsing(`Expected map for property [properties] on field [${owner}] but got [${preview(value)}]`)
  const out: Record<string, FieldMapping> = {}
  for (const [name, def] of Object.entries(value)) {
    const segments = nameSegments(name, 'mapping')
    const path = prefix + name
    // Fail before recursing into a definition nested deeper than the limit allows.
    if (objectDepth(path) > ctx.limits.depth + 1) throw depthExceeded(ctx.limits.depth, path.split('.').slice(0, ctx.limits.depth).join('.'))
    insertAt(out, segments, parseField(path, def, ctx), prefix)
  }
  return out
}

/** Puts `field` at `segments` under `props`, creating the objects a dotted name implies. */
function insertAt(props: Record<string, FieldMapping>, segments: string[], field: FieldMapping, prefix: string): void {
  let target = props
  let path = prefix
  for (const segment of segments.slice(0, -1)) {
    path += segment
    const existing = ownValue(target, segment)
    if (existing === undefined) {
      const created: ObjectField = { type: 'object', enabled: true, properties: {} }
      target[segment] = created
      target = created.properties
    } else if (existing.type === 'object') {
      target = existing.properties
    } else {
      throw mapperParsing(`Can't merge a non object mapping [${path}] with an object mapping`)
    }
    path += '.'
  }
  const last = segments[segments.length - 1]!
  const existing = ownValue(target, last)
  if (existing === undefined) {
    target[last] = field
    return
  }
  if (existing.type === 'object' && field.type === 'object') {
    existing.enabled = existing.enabled && field.enabled
    existing.dynamic = field.dynamic ?? existing.dynamic
    for (const [name, sub] of Object.entries(field.properties)) insertAt(existing.properties, [name], sub, `${path}${last}.`)
    return
  }
  throw mapperParsing(`Field [${path}${last}] is defined more than once`)
}

function parseField(path: string, def: unknown, ctx: Context, multiOf?: string): FieldMapping {
  if (!isPlainObject(def)) throw mapperParsing(`Expected map for property [${path}] but got [${preview(def)}]`)
  const type = ownValue(def, 'type')
  if (type === undefined) {
    if (multiOf !== undefined) throw mapperParsing(`No type specified for field [${path}]`)
    return parseObject(path, def, ctx)
  }
  if (typeof type !== 'string') throw mapperParsing(`No handler for type [${preview(type)}] declared on field [${path}]`)
  if (type === 'object') {
    if (multiOf !== undefined) throw mapperParsing(`Type [object] cannot be used in multi field [${path}]`)
    return parseObject(path, def, ctx)
  }
  const params = new Params(path, type, def)
  let field: LeafField
  if (type === 'text') field = parseText(params, ctx)
  else if (type === 'keyword') field = parseKeyword(params)
  else if (isNumberType(type)) field = parseNumberField(params, type)
  else if (type === 'date') field = parseDateField(params)
  else if (type === 'boolean') field = parseBooleanField(params)
  else if (type === 'rank_features' || type === 'sparse_vector') {
    if (multiOf !== undefined) throw mapperParsing(`Type [${type}] cannot be used in multi field [${path}]`)
    if (params.take('fields') !== undefined) throw mapperParsing(`Failed to parse mapping: lsr does not support multi-fields on [${path}] of type [${type}]`)
    field = parseSparseField(params, type)
    params.finish(UNSUPPORTED.sparse)
    return field
  } else throw mapperParsing(`No handler for type [${type}] declared on field [${path}]`)
  const fields = params.take('fields')
  if (fields !== undefined) {
    if (multiOf !== undefined) {
      throw mapperParsing(`Encountered a multi-field [${path}] which itself contains a multi-field. Defining chained multi-fields is not supported.`)
    }
    const parsed = parseMultiFields(path, fields, ctx)
    if (parsed !== undefined) field.fields = parsed
  }
  params.finish(UNSUPPORTED[isNumberType(type) ? 'number' : (type as 'text' | 'keyword' | 'date' | 'boolean')])
  return field
}

function parseMultiFields(path: string, value: unknown, ctx: Context): Record<string, LeafField> | undefined {
  if (!isPlainObject(value)) throw mapperParsing(`Expected map for property [fields] on field [${path}] but got [${preview(value)}]`)
  const out: Record<string, LeafField> = {}
  for (const [name, def] of Object.entries(value)) {
    if (name.includes('.')) throw mapperParsing(`Field name [${name}] which is a multi field of [${path}] cannot contain '.'`)
    nameSegments(name, 'mapping')
    out[name] = parseField(`${path}.${name}`, def, ctx, path) as LeafField
  }
  return Object.keys(out).length > 0 ? out : undefined
}

function parseObject(path: string, def: Record<string, unknown>, ctx: Context): ObjectField {
  const field: ObjectField = { type: 'object', enabled: true, properties: {} }
  const unknown: string[] = []
  for (const [key, value] of Object.entries(def)) {
    switch (key) {
      case 'type':
        break
      case 'enabled':
        field.enabled = parseBool(value, 'enabled', path)
        break
      case 'dynamic':
        field.dynamic = parseDynamic(value, path)
        break
      case 'properties':
        field.properties = parseProperties(value, `${path}.`, ctx)
        break
      default:
        if (OBJECT_UNSUPPORTED.includes(key)) throw mapperParsing(`Failed to parse mapping: lsr does not support parameter [${key}] on object [${path}]`)
        unknown.push(`[${key} : ${preview(value)}]`)
    }
  }
  if (unknown.length > 0) throw mapperParsing(`Mapping definition for [${path}] has unsupported parameters: ${unknown.join(' ')}`)
  return field
}

