/**
 * Field values: what one JSON value of a document becomes under its leaf field (the indexed term,
 * the doc value), and what a query value becomes (the exact term of `term`/`terms`, a range bound).
 *
 * Per type, following Elasticsearch:
 * - `keyword`: strings as they are; numbers and booleans are stringified (ES indexes `12` as "12").
 *   lsr stringifies the parsed JSON number, so `1.0` becomes "1" (ES keeps the JSON text "1.0").
 * - `text`: strings; numbers and booleans are stringified.
 * - numbers: see `numbers.ts`; the empty string counts as `null` when `coerce` is on (ES's
 *   NumberFieldMapper does the same).
 * - `date`: parsed with the field's formats into epoch milliseconds; a JSON number is read as its
 *   decimal text through the same format list, as ES does (so `2024` with the default formats is
 *   the year 2024, and `1700000000000` is epoch millis).
 * - `boolean`: `true`, `false`, `"true"`, `"false"`, and `""` (false, ES 8); nothing else.
 *
 * Indexing failures throw `mapper_parsing` with ES's message ("failed to parse field [price] of type
 * [integer] in document with id '1'. Preview of field's value: 'abc'"); the error's `cause` is an
 * LsrError holding ES's `caused_by` reason ("For input string: \"abc\""). Query failures throw
 * `invalid_argument`.
 * @module
 */
import { formatDate, parseDate } from './date-math.js'
import { invalidArgument, isPlainObject, mapperParsing, preview } from './fail.js'
import { isNumberType, type DateField, type LeafField, type NumberField } from './mapping.js'
import { narrow, numberTerm, parseNumber, readNumber, type Parsed } from './numbers.js'

/** What one value of a document becomes under a leaf field. */
export type LeafValue =
  /** A text field's string, to analyze. */
  | { kind: 'text'; text: string }
  /** An exact value: its term (`termValue`'s canonical form) and its doc value. */
  | { kind: 'exact'; term: string; column: number | string }
  /** A keyword longer than `ignore_above`: neither indexed nor kept in doc values. */
  | { kind: 'ignored' }

/**
 * Parses one non-null, non-array document value for a leaf field.
 * @param field the leaf field
 * @param path the field's full path (for messages)
 * @param value a JSON scalar or object (objects are refused)
 * @param id the document id (for messages)
 * @returns the value, or `undefined` when it counts as no value (the empty string of a coercing
 *   numeric field)
 * @throws LsrError `mapper_parsing` naming the field, its type, the document and the value
 */
export function parseLeafValue(field: LeafField, path: string, value: unknown, id: string): LeafValue | undefined {
  const fail = (reason: string): never => {
    throw mapperParsing(
      `failed to parse field [${path}] of type [${field.type}] in document with id '${id}'. Preview of field's value: '${preview(value)}'`,
      invalidArgument(reason),
    )
  }
  if (isPlainObject(value) || Array.isArray(value)) fail(`Can't get text on a ${Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT'}`)
  switch (field.type) {
    case 'rank_features':
    case 'sparse_vector':
      return fail(`[${field.type}] fields take an object of feature: weight`)
    case 'text':
      return { kind: 'text', text: scalarText(value) ?? fail(`cannot index [${typeof value}] as text`) }
    case 'keyword': {
      const text = scalarText(value) ?? fail(`cannot index [${typeof value}] as keyword`)
      if (field.ignoreAbove !== undefined && text.length > field.ignoreAbove) return { kind: 'ignored' }
      return { kind: 'exact', term: text, column: text }
    }
    case 'date': {
      const millis = readDate(field, value)
      if (!millis.ok) return fail(millis.reason)
      return { kind: 'exact', term: numberTerm(millis.value), column: millis.value }
    }
    case 'boolean': {
      const b = readBoolean(value)
      if (!b.ok) return fail(b.reason)
      return { kind: 'exact', term: b.value ? 'true' : 'false', column: b.value ? 1 : 0 }
    }
    default: {
      if (value === '' && field.coerce) return undefined
      const n = parseNumber(field, value)
      if (!n.ok) return fail(n.reason)
      return { kind: 'exact', term: numberTerm(n.value), column: n.value }
    }
  }
}

/**
 * The exact term of a query value (`term`, `terms`), in the form indexing gives the same value, so
 * that `"19.50"` and `19.5` find the same documents on a numeric field. Not analyzed: on a `text`
 * field the term is the string as given, as in ES.
 *
 * Values a field can never hold still give a term, one no document has: `1.5` on a `long` field
 * gives "1.5", `300` on a `byte` gives "300" (ES answers such term queries with no hits).
 * Dates are read with the field's formats; date math (`now`) belongs to range queries.
 * @param field the leaf field
 * @param value the query value
 * @returns the term
 * @throws LsrError `invalid_argument` when the value cannot be read as the field's type
 * @example termValue({ type: 'float', ... }, '19.50') // "19.5"
 */
export function termValue(field: LeafField, value: unknown, path = 'field'): string {
  const fail = (reason: string): never => {
    throw invalidArgument(`failed to create query: ${reason} (field [${path}] of type [${field.type}])`)
  }
  if (isPlainObject(value) || Array.isArray(value) || value === null || value === undefined) {
    return fail(`a ${field.type} term must be a string, number or boolean, got [${preview(value)}]`)
  }
  switch (field.type) {
    case 'text':
    case 'keyword':
      return scalarText(value) ?? fail(`cannot read [${preview(value)}] as a term`)
    case 'rank_features':
    case 'sparse_vector':
      return fail('search it with a neural_sparse query')
    case 'date': {
      const millis = readDate(field, value)
      return millis.ok ? numberTerm(millis.value) : fail(millis.reason)
    }
    case 'boolean': {
      const b = readBoolean(value)
      return b.ok ? (b.value ? 'true' : 'false') : fail(`Can't parse boolean value [${preview(value)}], expected [true] or [false]`)
    }
    default: {
      const n = queryNumber(field, value, path)
      const stored = narrow({ ...field, coerce: false }, n)
      // A value the type cannot hold (a fraction on an integer type, out of range) keeps its own
      // spelling: a term no indexed value has.
      return stored.ok ? numberTerm(stored.value) : numberTerm(n)
    }
  }
}

/**
 * A numeric query value (a range bound): numbers and numeric strings, whatever the field's `coerce`
 * (ES parses query values leniently). `float` and `half_float` bounds take the type's precision, as
 * ES converts them; other types keep the value, which compares correctly with stored values
 * (`gte: 1.5` on a `long` field matches 2 and up).
 * @throws LsrError `invalid_argument` naming the value, or when the field is not numeric
 */
export function queryNumber(field: LeafField, value: unknown, path = 'field'): number {
  if (!isNumberField(field)) throw invalidArgument(`failed to create query: field [${path}] of type [${field.type}] is not numeric`)
  const read = readNumber(value, true)
  if (!read.ok) throw invalidArgument(`failed to create query: ${read.reason} (field [${path}] of type [${field.type}])`)
  if (field.type === 'float' || field.type === 'half_float') {
    const n = narrow(field, read.value)
    if (!n.ok) throw invalidArgument(`failed to create query: ${n.reason} (field [${path}] of type [${field.type}])`)
    return n.value
  }
  return read.value
}

/**
 * A doc value rendered for output (`docvalue_fields`, sort values, aggregation keys): dates with the
 * given format (default: the field's first), booleans as `true`/`false`, numbers and strings as they
 * are.
 */
export function displayValue(field: LeafField, column: number | string, format?: string): unknown {
  if (field.type === 'date' && typeof column === 'number') return formatDate(column, format ?? field.formats)
  if (field.type === 'boolean') return column === 1
  return column
}

/** The string of a scalar (string as is; number and boolean stringified), or `undefined`. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return numberTerm(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return undefined
}

function readDate(field: DateField, value: unknown): Parsed<number> {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? numberText(value) : undefined
  if (text === undefined) return { ok: false, reason: `cannot parse [${preview(value)}] as a date` }
  return parseDate(text, field.formats)
}

/** A JSON number's decimal text without exponent when it is an integer (1e21 → "1000000000000000000000"). */
function numberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : String(n)
}

/** ES 8 boolean values: true, false, "true", "false", and "" (false). */
export function readBoolean(value: unknown): Parsed<boolean> {
  if (value === true || value === 'true') return { ok: true, value: true }
  if (value === false || value === 'false' || value === '') return { ok: true, value: false }
  return { ok: false, reason: `Failed to parse value [${preview(value)}] as only [true] or [false] are allowed.` }
}

/** True when `field` is a numeric field (a type guard for callers of `queryNumber`). */
export function isNumberField(field: LeafField): field is NumberField {
  return isNumberType(field.type)
}
