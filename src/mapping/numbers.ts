/**
 * Numeric values per field type, with Elasticsearch's semantics (ES "Numeric field types" and the
 * `coerce` mapping parameter):
 *
 * - `coerce: true` (the default): numeric strings are parsed (`"19.50"` → 19.5), and integer types
 *   truncate a fraction toward zero (`1.9` → 1 for `long`), as ES documents ("Floating points will
 *   be truncated for integer values"). `coerce: false` refuses strings and fractions for integer
 *   types (ES: "Value [1.5] has a decimal part").
 * - Ranges: `byte` −128..127, `short` −32768..32767, `integer` 32-bit. `long`: lsr keeps every
 *   number as a JS double, so a `long` is exact only within ±(2^53 − 1); lsr refuses values beyond
 *   that instead of silently rounding them (ES's own range is ±2^63).
 * - `float` → `Math.fround`, `half_float` → IEEE binary16 (through float first, as ES parses a float
 *   before narrowing it), `scaled_float` → `Math.round(v × f) / f`, `double` as is. Non-finite results
 *   are refused (ES: "[float] supports only finite values").
 *
 * The functions here return a failure reason instead of throwing, so that indexing (mapper_parsing)
 * and queries (invalid_argument) can wrap the same reason in their own messages.
 * @module
 */
import type { NumberField, NumberType } from './mapping.js'

/** The result of parsing: a value, or ES's reason (the `caused_by` text) for refusing it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string }

const INTEGER_RANGES: Partial<Record<NumberType, { min: number; max: number; article: string }>> = {
  byte: { min: -128, max: 127, article: 'a byte' },
  short: { min: -32768, max: 32767, article: 'a short' },
  integer: { min: -2147483648, max: 2147483647, article: 'an integer' },
  long: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, article: 'a long' },
}

/** True for the integer types (`long`, `integer`, `short`, `byte`). */
export function isIntegerType(type: NumberType): boolean {
  return INTEGER_RANGES[type] !== undefined
}

/** Decimal number syntax Java's parsers accept here: sign, digits, fraction, exponent. */
const NUMERIC_STRING = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * Reads a JSON value as a number, before any per-type rounding: numbers as they are, numeric strings
 * when `coerce` allows them. Booleans, objects and non-numeric strings are refused.
 */
export function readNumber(value: unknown, coerce: boolean): Parsed<number> {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: `[${value}] is not a finite number` }
  }
  if (typeof value === 'string') {
    if (!coerce) return { ok: false, reason: `[coerce] is false: the string [${value}] cannot be read as a number` }
    const text = value.trim()
    if (!NUMERIC_STRING.test(text)) return { ok: false, reason: `For input string: "${value}"` }
    const n = Number(text)
    return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, reason: `For input string: "${value}"` }
  }
  if (typeof value === 'boolean') return { ok: false, reason: `Current token (VALUE_${value ? 'TRUE' : 'FALSE'}) not numeric, can not use numeric value accessors` }
  return { ok: false, reason: `Current token (${Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT'}) not numeric, can not use numeric value accessors` }
}

/**
 * Parses a document value for a numeric field: reads it, then applies the type's rounding and range.
 * @param field the numeric field (its `type`, `coerce`, `scalingFactor`)
 * @param value the JSON value
 * @returns the stored value, or the reason it cannot be indexed
 * @example parseNumber({ type: 'half_float', ... }, 0.1) // { ok: true, value: 0.0999755859375 }
 */
export function parseNumber(field: Pick<NumberField, 'type' | 'coerce' | 'scalingFactor'>, value: unknown): Parsed<number> {
  const read = readNumber(value, field.coerce)
  if (!read.ok) return read
  return narrow(field, read.value)
}

/** Applies the type's rounding and range to a finite number. */
export function narrow(field: Pick<NumberField, 'type' | 'coerce' | 'scalingFactor'>, n: number): Parsed<number> {
  const range = INTEGER_RANGES[field.type]
  if (range !== undefined) {
    if (!Number.isInteger(n) && !field.coerce) return { ok: false, reason: `Value [${n}] has a decimal part` }
    const t = Math.trunc(n) + 0 // + 0 turns -0 into 0
    if (t < range.min || t > range.max) {
      const lsr = field.type === 'long' ? ' (lsr keeps longs as doubles: at most ±9007199254740991, 2^53 − 1)' : ''
      return { ok: false, reason: `Value [${n}] is out of range for ${range.article}${lsr}` }
    }
    return { ok: true, value: t }
  }
  let v: number
  switch (field.type) {
    case 'float':
      v = Math.fround(n)
      break
    case 'half_float':
      v = toHalfFloat(Math.fround(n))
      break
    case 'scaled_float': {
      const f = field.scalingFactor ?? 1
      const scaled = Math.round(n * f)
      if (!Number.isSafeInteger(scaled)) return { ok: false, reason: `Value [${n}] is out of range for a scaled_float with scaling_factor [${f}]` }
      v = scaled / f
      break
    }
    default:
      v = n
  }
  if (!Number.isFinite(v)) return { ok: false, reason: `[${field.type}] supports only finite values, but got [${n}]` }
  return { ok: true, value: v + 0 }
}

/**
 * Rounds a number to the nearest IEEE 754 binary16 value (round half to even), as Lucene's
 * `HalfFloatPoint` does. Magnitudes past the largest half (65504) round to ±Infinity.
 * @example toHalfFloat(0.1) // 0.0999755859375
 */
export function toHalfFloat(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x
  const sign = x < 0 ? -1 : 1
  const a = Math.abs(x)
  // Spacing of halfs around `a`: 2^(e − 10) for normal numbers (e ≥ −14), 2^−24 for subnormals.
  let e = Math.floor(Math.log2(a))
  if (2 ** e > a) e -= 1
  else if (2 ** (e + 1) <= a) e += 1
  const ulp = 2 ** (Math.max(e, -14) - 10)
  const q = a / ulp // exact: dividing by a power of two
  const r = roundHalfEven(q) * ulp
  if (r > 65504) return sign * Infinity
  return sign * r
}

function roundHalfEven(q: number): number {
  const f = Math.floor(q)
  const d = q - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/** The canonical term of a stored number: the shortest JS string that reads back to it. */
export function numberTerm(n: number): string {
  return String(n + 0)
}
