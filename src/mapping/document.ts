/**
 * Maps one document under a mapping: the values each field indexes, and the mapping grown by the
 * document's new fields (dynamic mapping). All or nothing: the first bad value throws, and neither
 * values nor mapping changes come back.
 *
 * Dynamic mapping follows Elasticsearch ("Dynamic field mapping"), for `dynamic: true`:
 *
 * | JSON value | new field |
 * |------------|-----------|
 * | `null`, `[]` | none |
 * | `true`/`false` | `boolean` |
 * | integer | `long` |
 * | other number | `float` |
 * | string that is a date (`date_detection`, default on) | `date` |
 * | other string | `text` with a `keyword` multi-field (`ignore_above: 256`) |
 * | object | `object` |
 * | array | decided by its first non-null element; later elements must fit that field |
 *
 * Date detection (ES DynamicFieldsBuilder): strings that Java would read as a number are never
 * dates; others become `date` when `strict_date_optional_time` parses them (mapped with the default
 * format), else when `yyyy/MM/dd HH:mm:ss||yyyy/MM/dd` does (mapped with
 * `yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis`). lsr sees parsed JSON, so `1.0` is an integer
 * here and maps as `long` (ES: `float`).
 *
 * `dynamic: false` keeps unmapped fields in the source only; `'strict'` refuses the document. The
 * setting is inherited by objects that do not set their own. `enabled: false` objects are skipped
 * entirely. Keys starting with `_` at the top of a document are refused (ES metadata fields).
 * @module
 */
import { compileDateFormat } from './date-format.js'
import { invalidArgument, isPlainObject, mapperParsing, preview, strictDynamic } from './fail.js'
import {
  countFields,
  isSparse,
  MAPPING_DEFAULTS,
  ownValue,
  sortedKeys,
  type DateField,
  type Dynamic,
  type FieldMapping,
  type LeafField,
  type Mapping,
  type MappingLimits,
  type ObjectField,
  type SparseField,
} from './mapping.js'
import { checkNewName, depthExceeded, objectDepth, splitName } from './names.js'
import { parseLeafValue } from './values.js'

/** What a document indexes, per field path. */
export interface MappedValues {
  /** Text fields with `index: true`: path, analyzer name as mapped (undefined = index default), the strings in document order. */
  text: Array<{ path: string; analyzer: string | undefined; values: string[] }>
  /** Exact terms (keyword, numeric, date, boolean; `termValue`'s form) of fields with `index: true`, distinct per path. */
  terms: Array<{ path: string; value: string }>
  /**
   * Doc values of fields with `doc_values: true` (numbers, date millis, boolean 1/0, keyword
   * strings), every value of the document in order (arrays keep all, repeats included).
   */
  columns: Array<{ path: string; values: Array<number | string> }>
  /**
   * Learned-sparse fields (rank_features, sparse_vector): each document's features and their
   * weights (positive, finite), distinct per path.
   */
  features: Array<{ path: string; tokens: string[]; weights: number[] }>
  /**
   * Every leaf and multi-field path with at least one indexed or doc value, for `exists` (ES: not
   * for `null`/`[]`, keywords past `ignore_above`, or fields with `index: false` and no doc values).
   */
  present: string[]
}

/**
 * @param mapping the index mapping
 * @param source the document source
 * @param id the document id (for messages)
 * @param limits total-fields and depth limits for dynamic additions
 * @returns the values, and the mapping: the same object when the document added no field, else a new one
 * @throws LsrError `mapper_parsing`, `strict_dynamic_mapping` or `invalid_argument` (a limit): nothing of the document is indexed
 * @example mapDocument(emptyMapping(), { title: 'Hello' }, '1').values.text // [{ path: 'title', analyzer: undefined, values: ['Hello'] }]
 */
export function mapDocument(
  mapping: Mapping,
  source: Record<string, unknown>,
  id: string,
  limits: MappingLimits = MAPPING_DEFAULTS.limits,
): { values: MappedValues; mapping: Mapping } {
  for (const key of Object.keys(source)) {
    const first = key.split('.')[0]!
    if (first.startsWith('_')) checkNewName(first, key, 'document')
  }
  const run = new DocumentRun(mapping, id, limits)
  run.object([], source, mapping.dynamic)
  return { values: run.values(), mapping: run.root }
}

/** Dynamic date formats of ES (RootObjectMapper): the first that parses a new string decides. */
const DYNAMIC_DATE_FORMATS: Array<{ detect: string[]; formats: string[] }> = [
  { detect: ['strict_date_optional_time'], formats: [...MAPPING_DEFAULTS.dateFormats] },
  { detect: ['yyyy/MM/dd HH:mm:ss', 'yyyy/MM/dd'], formats: ['yyyy/MM/dd HH:mm:ss', 'yyyy/MM/dd', 'epoch_millis'] },
]

/** What Java's Long.parseLong or Double.parseDouble accept (ES refuses to detect such strings as dates). */
const JAVA_NUMBER = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/

class DocumentRun {
  root: Mapping
  private cloned = false
  private fieldCount: number | undefined
  private readonly text = new Map<string, { analyzer: string | undefined; values: string[] }>()
  private readonly terms = new Map<string, Set<string>>()
  private readonly columns = new Map<string, Array<number | string>>()
  private readonly present = new Set<string>()
  private readonly features = new Map<string, Map<string, number>>()

  constructor(
    mapping: Mapping,
    private readonly id: string,
    private readonly limits: MappingLimits,
  ) {
    this.root = mapping
  }

  values(): MappedValues {
    return {
      text: [...this.text].map(([path, t]) => ({ path, analyzer: t.analyzer, values: t.values })),
      terms: [...this.terms].flatMap(([path, set]) => [...set].map((value) => ({ path, value }))),
      columns: [...this.columns].map(([path, values]) => ({ path, values })),
      features: [...this.features].map(([path, weights]) => ({ path, tokens: [...weights.keys()], weights: [...weights.values()] })),
      present: [...this.present],
    }
  }

  /** Walks the members of a JSON object that sits at `at` (segments from the root). */
  object(at: string[], obj: Record<string, unknown>, dynamic: Dynamic): void {
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue
      const segments = splitName(key)
      let parent = at
      let parentDynamic = dynamic
      let skip = false
      // A dotted key walks (or creates) the objects it names, as `{"a": {"b": …}}` would.
      for (const segment of segments.slice(0, -1)) {
        const next = this.enterObject(parent, segment, parentDynamic)
        if (next === undefined) {
          skip = true
          break
        }
        parent = [...parent, segment]
        parentDynamic = next
      }
      if (!skip) this.member(parent, segments[segments.length - 1]!, value, parentDynamic)
    }
  }

  /**
   * Resolves (or dynamically creates) the object `name` under `at`, for a dotted key.
   * @returns the object's effective `dynamic`, or undefined when its content is not indexed
   */
  private enterObject(at: string[], name: string, dynamic: Dynamic): Dynamic | undefined {
    const existing = ownValue(this.propsAt(at), name)
    const path = [...at, name].join('.')
    if (existing === undefined) {
      if (dynamic === 'strict') throw strictDynamic(name, within(at))
      if (dynamic === false) return undefined
      this.add(at, name, { type: 'object', enabled: true, properties: {} })
      return dynamic
    }
    if (existing.type !== 'object') {
      throw mapperParsing(`Could not dynamically add mapping for field [${path}]. Existing mapping for [${path}] must be of type object but found [${existing.type}].`)
    }
    return existing.enabled ? (existing.dynamic ?? dynamic) : undefined
  }

  private member(at: string[], name: string, value: unknown, dynamic: Dynamic): void {
    if (Array.isArray(value)) {
      if (value.length === 0 && ownValue(this.propsAt(at), name) === undefined && dynamic === 'strict') throw strictDynamic(name, within(at))
      for (const element of value) if (element !== undefined) this.member(at, name, element, dynamic)
      return
    }
    const path = [...at, name].join('.')
    let existing = ownValue(this.propsAt(at), name)
    if (existing === undefined) {
      if (dynamic === 'strict') throw strictDynamic(name, within(at))
      if (dynamic === false || value === null) return
      existing = this.add(at, name, this.dynamicField(value))
    }
    if (existing.type === 'object') {
      // A disabled object is not parsed at all, whatever it holds (ES "enabled").
      if (value === null || !existing.enabled) return
      if (!isPlainObject(value)) throw mapperParsing(`object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`)
      this.object([...at, name], value, existing.dynamic ?? dynamic)
      return
    }
    if (isSparse(existing)) return this.sparse(existing, path, value)
    this.leaf(existing, path, value)
    for (const name of sortedKeys(existing.fields ?? {})) {
      const sub = existing.fields![name]!
      if (!isSparse(sub)) this.leaf(sub, `${path}.${name}`, value) // (parseMapping refuses sparse multi-fields)
    }
  }

  /**
   * Indexes one `{feature: weight}` object of a learned-sparse field. Weights must be positive
   * normal float32 numbers, as Lucene's FeatureField requires (a smaller one would be stored as
   * 0, a larger one is not finite as a float); a feature given twice in one document is refused,
   * as Elasticsearch's rank_features does.
   */
  private sparse(field: SparseField, path: string, value: unknown): void {
    if (value === null) return
    const fail = (reason: string): never => {
      throw mapperParsing(`failed to parse field [${path}] of type [${field.type}] in document with id '${this.id}'. Preview of field's value: '${preview(value)}'`, invalidArgument(reason))
    }
    if (!isPlainObject(value)) return fail(`[${field.type}] fields must be json objects, expected a START_OBJECT but got: ${typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'number' ? 'VALUE_NUMBER' : 'VALUE_BOOLEAN'}`)
    let weights = this.features.get(path)
    if (weights === undefined) this.features.set(path, (weights = new Map()))
    for (const [feature, weight] of Object.entries(value)) {
      if (typeof weight !== 'number' || !Number.isFinite(Math.fround(weight)) || !(weight >= FLOAT_MIN_NORMAL)) {
        fail(`[${field.type}] field [${path}]: the weight of feature [${feature}] must be a positive normal float (from 1.1754944E-38 to 3.4028235E38), got [${preview(weight)}]`)
      }
      if (weights.has(feature)) fail(`[${field.type}] fields do not support indexing multiple values for the same feature [${path}.${feature}] in the same document`)
      weights.set(feature, weight as number)
    }
    this.present.add(path)
  }

  /** Indexes one value (or an explicit `null`, through `null_value`) into one leaf field. */
  private leaf(field: Exclude<LeafField, SparseField>, path: string, raw: unknown): void {
    const value = raw === null ? (field.type === 'text' ? undefined : field.nullValue) : raw
    if (value === undefined) return
    const parsed = parseLeafValue(field, path, value, this.id)
    if (parsed === undefined || parsed.kind === 'ignored') return
    // ES "exists": a field with neither an index nor doc values holds no value to find.
    if (field.index || (field.type !== 'text' && field.docValues)) this.present.add(path)
    if (parsed.kind === 'text') {
      if (!field.index || field.type !== 'text') return
      let entry = this.text.get(path)
      if (entry === undefined) this.text.set(path, (entry = { analyzer: field.analyzer, values: [] }))
      entry.values.push(parsed.text)
      return
    }
    if (field.index) {
      let set = this.terms.get(path)
      if (set === undefined) this.terms.set(path, (set = new Set()))
      set.add(parsed.term)
    }
    if (field.type !== 'text' && field.docValues) {
      let list = this.columns.get(path)
      if (list === undefined) this.columns.set(path, (list = []))
      list.push(parsed.column)
    }
  }

  /** The field dynamic mapping gives a new value (not null, not an array). */
  private dynamicField(value: unknown): FieldMapping {
    if (isPlainObject(value)) return { type: 'object', enabled: true, properties: {} }
    if (typeof value === 'boolean') return { type: 'boolean', index: true, docValues: true }
    if (typeof value === 'number') {
      return { type: Number.isInteger(value) ? 'long' : 'float', index: true, docValues: true, coerce: true }
    }
    if (typeof value === 'string') {
      if (this.root.dateDetection && !JAVA_NUMBER.test(value.trim())) {
        for (const { detect, formats } of DYNAMIC_DATE_FORMATS) {
          if (detect.some((format) => parsesAs(value, format))) {
            const field: DateField = { type: 'date', formats: [...formats], index: true, docValues: true }
            return field
          }
        }
      }
      return {
        type: 'text',
        index: true,
        fields: { keyword: { type: 'keyword', ignoreAbove: MAPPING_DEFAULTS.dynamicKeywordIgnoreAbove, index: true, docValues: true } },
      }
    }
    throw mapperParsing(`cannot map a value of type [${typeof value}]`)
  }

  /** Adds a dynamic field to (a private copy of) the mapping, within the limits. */
  private add(at: string[], name: string, field: FieldMapping): FieldMapping {
    const path = [...at, name].join('.')
    checkNewName(name, path, 'document')
    if (field.type === 'object' && objectDepth(path) > this.limits.depth) throw depthExceeded(this.limits.depth, path)
    if (!this.cloned) {
      this.root = structuredClone(this.root)
      this.cloned = true
    }
    this.fieldCount ??= countFields(this.root.properties)
    this.fieldCount += 1 + (field.type === 'object' ? 0 : Object.keys(field.fields ?? {}).length)
    if (this.fieldCount > this.limits.totalFields) throw invalidArgument(`Limit of total fields [${this.limits.totalFields}] has been exceeded`)
    this.propsAt(at)[name] = field
    return field
  }

  /** The properties of the object at `at`; every step exists (the walk came through it). */
  private propsAt(at: string[]): Record<string, FieldMapping> {
    let props = this.root.properties
    for (const segment of at) props = (props[segment] as ObjectField).properties
    return props
  }
}

function parsesAs(text: string, format: string): boolean {
  const compiled = compileDateFormat(format)
  return compiled.ok && compiled.value.parse(text) !== undefined
}

/** Java's Float.MIN_NORMAL: Lucene's FeatureField refuses smaller feature values. */
const FLOAT_MIN_NORMAL = 1.1754943508222875e-38

/** ES names the root `_doc` in strict-mapping messages, and an object by its path. */
function within(at: string[]): string {
  return at.length === 0 ? '_doc' : at.join('.')
}
