/**
 * Parses Elasticsearch's `mappings` body into a `Mapping`, validating every key. Anything lsr does
 * not implement is refused by name, never accepted and ignored: `_source` disabled or filtered,
 * `dynamic_templates`, `runtime`, `copy_to`, `fielddata`, `norms: false`, `store: true`,
 * `term_vector`, `index_options`, normalizers, `ignore_malformed: true`, scripts and the like.
 * A parameter given with its Elasticsearch default (`store: false`, `norms: true` on text…) is
 * accepted, since it asks for nothing lsr does not do.
 * @module
 */
import { compileDateFormat, splitFormats } from './date-format.js'
import { parseDate } from './date-math.js'
import { isPlainObject, mapperParsing, preview } from './fail.js'
import {
  isNumberType,
  MAPPING_DEFAULTS,
  ownValue,
  type BooleanField,
  type DateField,
  type Dynamic,
  type FieldMapping,
  type KeywordField,
  type LeafField,
  type Mapping,
  type MappingLimits,
  type NumberField,
  type NumberType,
  type ObjectField,
  type TextField,
} from './mapping.js'
import { checkLimits, depthExceeded, nameSegments, objectDepth } from './names.js'
import { parseNumber } from './numbers.js'
import { readBoolean } from './values.js'

/** A set of configured names (analyzers, similarities). */
export interface NameSet {
  has(name: string): boolean
}

interface Context {
  analyzers: NameSet
  similarities: NameSet
  limits: MappingLimits
}

/** Root parameters of ES mappings that lsr refuses, with the default it accepts (if any). */
const ROOT_UNSUPPORTED = ['dynamic_templates', 'runtime', 'dynamic_date_formats', '_field_names', 'enabled', 'subobjects', '_data_stream_timestamp', '_size', 'synthetic_source_keep']

/** A marker for "no value is accepted": the parameter is refused whatever it says. */
const NEVER = Symbol('never')

/** ES field parameters lsr does not implement, per type family, with the default value it accepts. */
const COMMON_UNSUPPORTED: Record<string, unknown> = {
  store: false,
  copy_to: NEVER,
  meta: NEVER,
  script: NEVER,
  on_script_error: NEVER,
  synthetic_source_keep: NEVER,
}
const UNSUPPORTED: Record<'text' | 'keyword' | 'number' | 'date' | 'boolean', Record<string, unknown>> = {
  text: {
    ...COMMON_UNSUPPORTED,
    norms: true,
    index_options: 'positions',
    term_vector: 'no',
    fielddata: false,
    fielddata_frequency_filter: NEVER,
    eager_global_ordinals: false,
    index_phrases: false,
    index_prefixes: NEVER,
    position_increment_gap: 100,
    search_quote_analyzer: NEVER,
  },
  keyword: {
    ...COMMON_UNSUPPORTED,
    norms: false,
    index_options: 'docs',
    eager_global_ordinals: false,
    split_queries_on_whitespace: false,
    normalizer: NEVER,
    similarity: NEVER,
    time_series_dimension: false,
  },
  number: { ...COMMON_UNSUPPORTED, ignore_malformed: false, time_series_dimension: false, time_series_metric: NEVER },
  date: { ...COMMON_UNSUPPORTED, ignore_malformed: false, locale: NEVER },
  boolean: { ...COMMON_UNSUPPORTED, ignore_malformed: false, time_series_dimension: false },
}

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
  else throw mapperParsing(`No handler for type [${type}] declared on field [${path}]`)
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

/** The parameters of one leaf definition: each is taken once; what remains is refused in `finish`. */
class Params {
  private readonly rest: Map<string, unknown>

  constructor(
    readonly path: string,
    readonly type: string,
    def: Record<string, unknown>,
  ) {
    this.rest = new Map(Object.entries(def))
    this.rest.delete('type')
  }

  take(key: string): unknown {
    if (!this.rest.has(key)) return undefined
    const value = this.rest.get(key)
    this.rest.delete(key)
    if (value === null && key !== 'null_value') throw mapperParsing(`[${key}] on mapper [${this.path}] of type [${this.type}] must not have a [null] value`)
    return value
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.take(key)
    if (value === undefined) return fallback
    if (value === true || value === 'true') return true
    if (value === false || value === 'false') return false
    throw this.bad(key, value, 'only [true] or [false] are allowed')
  }

  string(key: string): string | undefined {
    const value = this.take(key)
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value === '') throw this.bad(key, value, 'a non-empty string is required')
    return value
  }

  bad(key: string, value: unknown, why: string): Error {
    return mapperParsing(`Failed to parse mapping: [${key}] on mapper [${this.path}] of type [${this.type}]: ${why}, got [${preview(value)}]`)
  }

  /** Refuses what is left: ES parameters lsr does not implement (unless at their default), then unknown ones. */
  finish(unsupported: Record<string, unknown>): void {
    for (const [key, value] of this.rest) {
      if (Object.prototype.hasOwnProperty.call(unsupported, key)) {
        if (unsupported[key] !== NEVER && unsupported[key] === value) continue
        throw mapperParsing(`Failed to parse mapping: lsr does not support parameter [${key}: ${preview(value)}] on mapper [${this.path}] of type [${this.type}]`)
      }
      throw mapperParsing(`unknown parameter [${key}] on mapper [${this.path}] of type [${this.type}]`)
    }
  }
}

function parseText(p: Params, ctx: Context): TextField {
  const field: TextField = { type: 'text', index: p.bool('index', true) }
  const analyzer = p.string('analyzer')
  const searchAnalyzer = p.string('search_analyzer')
  const similarity = p.string('similarity')
  for (const name of [analyzer, searchAnalyzer]) {
    if (name !== undefined && !ctx.analyzers.has(name)) throw mapperParsing(`analyzer [${name}] has not been configured in mappings`)
  }
  if (searchAnalyzer !== undefined && analyzer === undefined) throw mapperParsing(`analyzer on field [${p.path}] must be set when search_analyzer is set`)
  if (similarity !== undefined && !ctx.similarities.has(similarity)) throw mapperParsing(`Unknown Similarity type [${similarity}] for field [${p.path}]`)
  if (analyzer !== undefined) field.analyzer = analyzer
  if (searchAnalyzer !== undefined) field.searchAnalyzer = searchAnalyzer
  if (similarity !== undefined) field.similarity = similarity
  return field
}

function parseKeyword(p: Params): KeywordField {
  const field: KeywordField = { type: 'keyword', index: p.bool('index', true), docValues: p.bool('doc_values', true) }
  const ignoreAbove = p.take('ignore_above')
  if (ignoreAbove !== undefined) {
    const n = typeof ignoreAbove === 'string' && /^\d+$/.test(ignoreAbove) ? Number(ignoreAbove) : ignoreAbove
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw p.bad('ignore_above', ignoreAbove, 'a non-negative integer is required')
    field.ignoreAbove = n
  }
  const nullValue = p.take('null_value')
  if (nullValue !== undefined && nullValue !== null) {
    if (typeof nullValue === 'string') field.nullValue = nullValue
    else if (typeof nullValue === 'number' || typeof nullValue === 'boolean') field.nullValue = String(nullValue)
    else throw p.bad('null_value', nullValue, 'a string is required')
  }
  return field
}

function parseNumberField(p: Params, type: NumberType): NumberField {
  const field: NumberField = { type, index: p.bool('index', true), docValues: p.bool('doc_values', true), coerce: p.bool('coerce', true) }
  const factor = p.take('scaling_factor')
  if (type === 'scaled_float') {
    if (factor === undefined) throw mapperParsing(`Field [${p.path}] misses required parameter [scaling_factor]`)
    const f = typeof factor === 'string' && factor.trim() !== '' ? Number(factor) : factor
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw mapperParsing(`[scaling_factor] must be a positive number, got [${preview(factor)}]`)
    field.scalingFactor = f
  } else if (factor !== undefined) {
    throw mapperParsing(`unknown parameter [scaling_factor] on mapper [${p.path}] of type [${type}]`)
  }
  const nullValue = p.take('null_value')
  if (nullValue !== undefined && nullValue !== null) {
    // ES parses null_value with the field's own parser (coercing), so "5" is fine for a long.
    const n = parseNumber({ ...field, coerce: true }, nullValue)
    if (!n.ok) throw mapperParsing(`Failed to parse mapping: Error parsing [null_value] on field [${p.path}]: ${n.reason}`)
    field.nullValue = n.value
  }
  return field
}

function parseDateField(p: Params): DateField {
  const field: DateField = {
    type: 'date',
    formats: [...MAPPING_DEFAULTS.dateFormats],
    index: p.bool('index', true),
    docValues: p.bool('doc_values', true),
  }
  const format = p.take('format')
  if (format !== undefined) {
    if (typeof format !== 'string') throw p.bad('format', format, 'a string is required (formats separated by ||)')
    field.formats = splitFormats(format)
    for (const name of field.formats) {
      const compiled = compileDateFormat(name)
      if (!compiled.ok) throw mapperParsing(`Failed to parse mapping: Error parsing [format] on field [${p.path}]: ${compiled.reason}`)
    }
  }
  const nullValue = p.take('null_value')
  if (nullValue !== undefined && nullValue !== null) {
    if (typeof nullValue !== 'string' && typeof nullValue !== 'number') throw p.bad('null_value', nullValue, 'a date is required')
    const parsed = parseDate(String(nullValue), field.formats)
    if (!parsed.ok) throw mapperParsing(`Failed to parse mapping: Error parsing [null_value] on field [${p.path}]: ${parsed.reason}`)
    field.nullValue = String(nullValue)
  }
  return field
}

function parseBooleanField(p: Params): BooleanField {
  const field: BooleanField = { type: 'boolean', index: p.bool('index', true), docValues: p.bool('doc_values', true) }
  const nullValue = p.take('null_value')
  if (nullValue !== undefined && nullValue !== null) {
    const b = readBoolean(nullValue)
    if (!b.ok) throw mapperParsing(`Failed to parse mapping: Error parsing [null_value] on field [${p.path}]: ${b.reason}`)
    field.nullValue = b.value
  }
  return field
}
