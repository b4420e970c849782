/**
 * The parameters of leaf field definitions (text, keyword, numbers, date, boolean): each is read,
 * validated and taken once, and whatever remains is refused: an Elasticsearch parameter lsr does not
 * implement by name (unless it is given with its ES default), anything else as unknown, with ES's
 * message ("unknown parameter [foo] on mapper [price] of type [long]").
 * @module
 */
import { compileDateFormat, splitFormats } from './date-format.js'
import { parseDate } from './date-math.js'
import { mapperParsing, preview } from './fail.js'
import {
  MAPPING_DEFAULTS,
  type BooleanField,
  type DateField,
  type KeywordField,
  type NumberField,
  type NumberType,
  type SparseField,
  type SparseType,
  type TextField,
  type TextIndexOptions,
} from './mapping.js'
import { parseNumber } from './numbers.js'
import { readBoolean } from './values.js'

/** A set of configured names (analyzers, similarities). */
export interface NameSet {
  has(name: string): boolean
}

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
export const UNSUPPORTED: Record<'text' | 'keyword' | 'number' | 'date' | 'boolean' | 'sparse', Record<string, unknown>> = {
  text: {
    ...COMMON_UNSUPPORTED,
    norms: true,
    term_vector: 'no',
    fielddata: false,
    fielddata_frequency_filter: NEVER,
    eager_global_ordinals: false,
    index_phrases: false,
    index_prefixes: NEVER,
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
  // rank_features' positive_score_impact: false would score 1/weight (Lucene's FeatureField): not implemented.
  sparse: { ...COMMON_UNSUPPORTED, positive_score_impact: true, index_options: NEVER },
}

/** The parameters of one leaf definition: each is taken once; what remains is refused in `finish`. */
export class Params {
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

export function parseText(p: Params, ctx: { analyzers: NameSet; similarities: NameSet }): TextField {
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
  const indexOptions = textIndexOptions(p)
  if (indexOptions !== 'positions') field.indexOptions = indexOptions
  const gap = positionIncrementGap(p)
  // ES counts a gap equal to its default as not configured: the analyzer's gap applies then.
  if (gap !== undefined && gap !== MAPPING_DEFAULTS.positionIncrementGap) {
    if (!field.index || indexOptions === 'docs' || indexOptions === 'freqs') {
      throw mapperParsing(`Failed to parse mapping: Cannot set position_increment_gap on field [${p.path}] without positions enabled`)
    }
    field.positionIncrementGap = gap
  }
  return field
}

const TEXT_INDEX_OPTIONS: readonly TextIndexOptions[] = ['positions', 'docs', 'freqs', 'offsets']

/** A text field's `index_options` (ES reads any value as its string). */
function textIndexOptions(p: Params): TextIndexOptions {
  const value = p.take('index_options')
  if (value === undefined) return 'positions'
  const name = preview(value)
  if ((TEXT_INDEX_OPTIONS as readonly string[]).includes(name)) return name as TextIndexOptions
  throw mapperParsing(`Failed to parse mapping: Unknown value [${name}] for field [index_options] - accepted values are [${TEXT_INDEX_OPTIONS.join(', ')}]`)
}

/** Java's Integer.MAX_VALUE, the bound of ES's integer parameters. */
const MAX_INT = 2_147_483_647

/** A text field's `position_increment_gap`: an integer (or integer string) from 0 to Java's Integer.MAX_VALUE. */
function positionIncrementGap(p: Params): number | undefined {
  const value = p.take('position_increment_gap')
  if (value === undefined) return undefined
  const n = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n > MAX_INT) throw p.bad('position_increment_gap', value, 'an integer is required')
  if (n < 0) throw mapperParsing(`Failed to parse mapping: [position_increment_gap] must be positive, got [${n}]`)
  return n
}

export function parseKeyword(p: Params): KeywordField {
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

export function parseNumberField(p: Params, type: NumberType): NumberField {
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

export function parseDateField(p: Params): DateField {
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

export function parseBooleanField(p: Params): BooleanField {
  const field: BooleanField = { type: 'boolean', index: p.bool('index', true), docValues: p.bool('doc_values', true) }
  const nullValue = p.take('null_value')
  if (nullValue !== undefined && nullValue !== null) {
    const b = readBoolean(nullValue)
    if (!b.ok) throw mapperParsing(`Failed to parse mapping: Error parsing [null_value] on field [${p.path}]: ${b.reason}`)
    field.nullValue = b.value
  }
  return field
}


export function parseSparseField(p: Params, type: SparseType): SparseField {
  // Elasticsearch's sparse_vector `index: false` keeps vectors unsearchable; lsr has no use for that.
  if (p.bool('index', true) === false) throw p.bad('index', false, 'a learned-sparse field is always indexed')
  return { type, index: true }
}
