/**
 * The mapping model: what an index knows about each field of its documents, as Elasticsearch's
 * `mappings` describe it. Plain JSON-shaped objects, treated as immutable: every function of this
 * module returns a new mapping instead of changing one.
 *
 * A mapping is a tree. Objects (`type: 'object'`) hold `properties`; leaves (text, keyword,
 * numbers, date, boolean) may hold multi-fields (`fields`), which are leaves themselves and index
 * the same source value another way (`title` as text, `title.keyword` as keyword). Property names
 * never contain a dot: a dotted name in a definition or a document expands to objects, as in ES.
 * @module
 */

/** The `dynamic` setting of an object: add new fields (`true`), ignore them (`false`), or refuse the document (`'strict'`). */
export type Dynamic = true | false | 'strict'

/** Numeric field types (ES "Numeric field types"). */
export type NumberType = 'long' | 'integer' | 'short' | 'byte' | 'double' | 'float' | 'half_float' | 'scaled_float'

/** Every field type lsr maps. */
export type FieldType = 'text' | 'keyword' | NumberType | 'date' | 'boolean' | SparseType | 'object'

/** Learned-sparse field types: OpenSearch's `rank_features`, Elasticsearch 8's (and OpenSearch 3's) `sparse_vector`. */
export type SparseType = 'rank_features' | 'sparse_vector'

/**
 * What a text field's postings hold (ES `index_options`): documents only (`docs`, every match
 * scores as one occurrence), term frequencies (`freqs`), or frequencies and positions
 * (`positions`, which phrase queries need). `offsets` is accepted and stores positions: lsr
 * highlights by analyzing the stored text again, so it never needs offsets.
 */
export type TextIndexOptions = 'docs' | 'freqs' | 'positions' | 'offsets'

/** Full-text field: analyzed into tokens; no doc values. */
export interface TextField {
  type: 'text'
  /** Index-time analyzer name. @default undefined: the index default (the engine resolves `default` → `standard`) */
  analyzer?: string
  /** Query-time analyzer name; only together with `analyzer`, as in ES. @default the `analyzer` */
  searchAnalyzer?: string
  /** Similarity (scoring model) name. @default undefined: the index default */
  similarity?: string
  /** Whether the field is searchable. @default true */
  index: boolean
  /** What the postings hold; never `positions` (the default is left out, as ES leaves it out of the mapping). @default undefined: positions */
  indexOptions?: Exclude<TextIndexOptions, 'positions'>
  /**
   * Positions between two values of a multi-valued field; never 100 (ES's default, which leaves
   * the gap to the analyzer). @default undefined: the index analyzer's gap (100 unless a custom analyzer sets one)
   */
  positionIncrementGap?: number
  /** Multi-fields: the same value indexed as other leaf types, addressed as `path.name`. */
  fields?: Record<string, LeafField>
}

/** Exact-value string field: one term per value; sortable and aggregatable through doc values. */
export interface KeywordField {
  type: 'keyword'
  /** Strings longer than this (in UTF-16 code units, as Java counts) are neither indexed nor kept in doc values. @default undefined: no limit */
  ignoreAbove?: number
  /** @default true */
  index: boolean
  /** @default true */
  docValues: boolean
  /** Indexed in place of an explicit `null`. */
  nullValue?: string
  fields?: Record<string, LeafField>
}

/** Numeric field. lsr keeps every numeric value as a JS double (see `values.ts` for the `long` range). */
export interface NumberField {
  type: NumberType
  /** `scaled_float` only, and required there: values are stored as `round(value × factor) / factor`. */
  scalingFactor?: number
  /** @default true */
  index: boolean
  /** @default true */
  docValues: boolean
  /** Accept numeric strings and truncate fractions for integer types. @default true */
  coerce: boolean
  nullValue?: number
  fields?: Record<string, LeafField>
}

/** Date field: values are parsed with `formats` (first match wins) into epoch milliseconds (UTC). */
export interface DateField {
  type: 'date'
  /** Format names or Java-time patterns. @default ['strict_date_optional_time', 'epoch_millis'] */
  formats: string[]
  /** @default true */
  index: boolean
  /** @default true */
  docValues: boolean
  /** A date string (parsed with `formats`) indexed in place of an explicit `null`. */
  nullValue?: string
  fields?: Record<string, LeafField>
}

/** Boolean field: terms `"true"`/`"false"`, doc values 1/0. */
export interface BooleanField {
  type: 'boolean'
  /** @default true */
  index: boolean
  /** @default true */
  docValues: boolean
  nullValue?: boolean
  fields?: Record<string, LeafField>
}

/**
 * Learned-sparse field: each document holds `{token: weight}` with positive finite weights (a
 * document's sparse vector, from a model or an ingest pipeline), searched by `neural_sparse` as a
 * dot product. Its tokens are a term space of their own; no doc values, no multi-fields.
 */
export interface SparseField {
  type: SparseType
  /** Always searchable. */
  index: true
  fields?: undefined
}

/** Object field: a namespace of sub-fields (ES `object`, flattened; no `nested`). */
export interface ObjectField {
  type: 'object'
  /** `false`: the object's content is kept in the source but not parsed or indexed at all. @default true */
  enabled: boolean
  /** @default undefined: inherited from the enclosing object (the root's `dynamic` at the top) */
  dynamic?: Dynamic
  properties: Record<string, FieldMapping>
}

/** A field that holds values (everything but objects). */
export type LeafField = TextField | KeywordField | NumberField | DateField | BooleanField | SparseField

/** Any mapped field. */
export type FieldMapping = LeafField | ObjectField

/** An index's mapping: ES's `mappings` body, parsed. */
export interface Mapping {
  /** @default true */
  dynamic: Dynamic
  /** Map new strings that parse as dates to `date` fields. @default true */
  dateDetection: boolean
  /** ES's `numeric_detection`; lsr supports only its default, `false`. */
  numericDetection: false
  properties: Record<string, FieldMapping>
  /** ES's `_meta`: free-form user metadata, returned as given. */
  meta?: Record<string, unknown>
  /**
   * Which root settings the definition gave explicitly (`parseMapping` fills it). ES shows explicit
   * ones in GET _mapping even at their default, and PUT _mapping changes only those an update gives.
   * A value other than the default counts as explicit whatever this says.
   */
  explicit?: { dynamic?: boolean; dateDetection?: boolean }
}

/** Limits on a mapping's size (ES index settings `index.mapping.*`). */
export interface MappingLimits {
  /** `index.mapping.total_fields.limit`: objects, leaves and multi-fields together. @default 1000 */
  totalFields: number
  /** `index.mapping.depth.limit`: an object at `a.b` has depth 3 (the root is 1). @default 20 */
  depth: number
}

/** Default values of the module, in one place. */
export const MAPPING_DEFAULTS = {
  limits: { totalFields: 1000, depth: 20 } as Readonly<MappingLimits>,
  /** ES's default date format, `strict_date_optional_time||epoch_millis`. */
  dateFormats: ['strict_date_optional_time', 'epoch_millis'] as readonly string[],
  /** `ignore_above` of the `keyword` multi-field that dynamic mapping adds to every new string. */
  dynamicKeywordIgnoreAbove: 256,
  /** ES's default `position_increment_gap` of a text field, the same as every analyzer's default gap. */
  positionIncrementGap: 100,
} as const

/** The numeric types, in ES's order. */
export const NUMBER_TYPES: readonly NumberType[] = ['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float']

/** Every field type lsr maps. */
export const FIELD_TYPES: readonly FieldType[] = ['text', 'keyword', ...NUMBER_TYPES, 'date', 'boolean', 'rank_features', 'sparse_vector', 'object']

/** True when `field` is a learned-sparse field. */
export function isSparse(field: FieldMapping | undefined): field is SparseField {
  return field?.type === 'rank_features' || field?.type === 'sparse_vector'
}

/** True when `type` is a numeric type. */
export function isNumberType(type: string): type is NumberType {
  return (NUMBER_TYPES as readonly string[]).includes(type)
}

/** True when the field is a leaf (holds values). */
export function isLeaf(field: FieldMapping): field is LeafField {
  return field.type !== 'object'
}

/** An empty mapping with every default: what an index created without `mappings` has. */
export function emptyMapping(): Mapping {
  return { dynamic: true, dateDetection: true, numericDetection: false, properties: {} }
}

/**
 * The field at a dotted path: an object or leaf (`a.b.c`), or a multi-field (`title.keyword`).
 * @param mapping the index mapping
 * @param path a dotted field path
 * @returns the field, or `undefined` when nothing is mapped there
 * @example fieldAt(mapping, 'title.keyword') // { type: 'keyword', ignoreAbove: 256, ... }
 */
export function fieldAt(mapping: Mapping, path: string): FieldMapping | undefined {
  const parts = path.split('.')
  let properties: Record<string, FieldMapping> | undefined = mapping.properties
  let multi: Record<string, LeafField> | undefined
  let field: FieldMapping | undefined
  for (const part of parts) {
    const next: FieldMapping | undefined =
      properties !== undefined ? ownValue(properties, part) : multi !== undefined ? ownValue(multi, part) : undefined
    if (next === undefined) return undefined
    field = next
    if (next.type === 'object') {
      properties = next.properties
      multi = undefined
    } else {
      // A multi-field has no multi-fields of its own, so at most one level follows a leaf.
      multi = multi === undefined ? next.fields : undefined
      properties = undefined
    }
  }
  return field
}

/**
 * Every leaf field with its path, multi-fields included (right after their parent), in a stable
 * order: property names sorted by code unit, depth first. Fields under `enabled: false` objects are
 * left out: they never hold values.
 * @param mapping the index mapping
 * @returns `[{path, field}]`
 */
export function leafFields(mapping: Mapping): Array<{ path: string; field: LeafField }> {
  const out: Array<{ path: string; field: LeafField }> = []
  const walk = (properties: Record<string, FieldMapping>, prefix: string): void => {
    for (const name of sortedKeys(properties)) {
      const field = properties[name]!
      const path = prefix + name
      if (field.type === 'object') {
        if (field.enabled) walk(field.properties, `${path}.`)
        continue
      }
      out.push({ path, field })
      for (const sub of sortedKeys(field.fields ?? {})) out.push({ path: `${path}.${sub}`, field: field.fields![sub]! })
    }
  }
  walk(mapping.properties, '')
  return out
}

/** How many fields count against `index.mapping.total_fields.limit`: objects, leaves and multi-fields. */
export function countFields(properties: Record<string, FieldMapping>): number {
  let n = 0
  for (const field of Object.values(properties)) {
    n += 1
    if (field.type === 'object') n += countFields(field.properties)
    else n += Object.keys(field.fields ?? {}).length
  }
  return n
}

/** Property names in the order lsr serializes and walks them (ES sorts mappers by name too). */
export function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort()
}

/** An own property of a record (never one inherited from `Object.prototype`, such as `constructor`). */
export function ownValue<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined
}
