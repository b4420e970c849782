import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LsrError } from '../../src/errors.js'
import {
  displayValue,
  parseLeafValue,
  queryNumber,
  termValue,
  toHalfFloat,
  type LeafField,
  type NumberField,
  type NumberType,
} from '../../src/mapping/index.js'
import { failure } from './helpers.js'

const num = (type: NumberType, extra: Partial<NumberField> = {}): NumberField => ({ type, index: true, docValues: true, coerce: true, ...extra })
const keyword: LeafField = { type: 'keyword', index: true, docValues: true }
const text: LeafField = { type: 'text', index: true }
const bool: LeafField = { type: 'boolean', index: true, docValues: true }
const date = (formats = ['strict_date_optional_time', 'epoch_millis']): LeafField => ({ type: 'date', formats, index: true, docValues: true })

/** The stored (doc) value of a document value. */
function stored(field: LeafField, value: unknown): number | string | undefined {
  const v = parseLeafValue(field, 'f', value, '1')
  if (v === undefined) return undefined
  if (v.kind === 'exact') return v.column
  if (v.kind === 'text') return v.text
  return 'ignored'
}

describe('numeric values', () => {
  it('keeps byte, short and integer within their ranges', () => {
    expect(stored(num('byte'), 127)).toBe(127)
    expect(stored(num('byte'), -128)).toBe(-128)
    expect(stored(num('short'), -32768)).toBe(-32768)
    expect(stored(num('integer'), 2147483647)).toBe(2147483647)
    expect(failure(() => stored(num('byte'), 128), 'mapper_parsing').message).toBe(
      "failed to parse field [f] of type [byte] in document with id '1'. Preview of field's value: '128'",
    )
    expect(failure(() => stored(num('short'), 32768), 'mapper_parsing').message).toMatch(/\[short\].*'32768'/)
    expect(failure(() => stored(num('integer'), -2147483649), 'mapper_parsing').message).toMatch(/\[integer\].*'-2147483649'/)
  })

  it('says why in the cause, as ES caused_by does', () => {
    const error = failure(() => parseLeafValue(num('integer'), 'price', 'abc', 'doc-7'), 'mapper_parsing')
    expect(error.message).toBe("failed to parse field [price] of type [integer] in document with id 'doc-7'. Preview of field's value: 'abc'")
    expect((error.cause as LsrError).message).toBe('For input string: "abc"')
    const range = failure(() => parseLeafValue(num('byte'), 'b', 300, '1'), 'mapper_parsing')
    expect((range.cause as LsrError).message).toBe('Value [300] is out of range for a byte')
  })

  it('keeps longs within ±(2^53 − 1), the doubles lsr stores', () => {
    expect(stored(num('long'), 9007199254740991)).toBe(9007199254740991)
    expect(stored(num('long'), -9007199254740991)).toBe(-9007199254740991)
    const error = failure(() => parseLeafValue(num('long'), 'big', 2 ** 53, '1'), 'mapper_parsing')
    expect(error.message).toMatch(/\[big\] of type \[long\].*'9007199254740992'/)
    expect((error.cause as LsrError).message).toMatch(/out of range for a long.*2\^53/)
    expect(() => stored(num('long'), '9007199254740993')).toThrow(LsrError)
  })

  it('coerces numeric strings and truncates fractions for integer types (coerce: true)', () => {
    expect(stored(num('double'), '19.50')).toBe(19.5)
    expect(stored(num('long'), 1.9)).toBe(1)
    expect(stored(num('long'), -1.9)).toBe(-1)
    expect(Object.is(stored(num('long'), -0.5), 0)).toBe(true)
    expect(stored(num('integer'), '42')).toBe(42)
    expect(stored(num('integer'), ' 7 ')).toBe(7)
    expect(stored(num('short'), '1e3')).toBe(1000)
    expect(stored(num('byte'), 127.9)).toBe(127)
    // The empty string counts as no value when coercing (ES NumberFieldMapper).
    expect(stored(num('long'), '')).toBeUndefined()
  })

  it('refuses strings and fractions when coerce is false', () => {
    expect(failure(() => stored(num('integer', { coerce: false }), '10'), 'mapper_parsing').message).toMatch(/'10'/)
    const fraction = failure(() => parseLeafValue(num('long', { coerce: false }), 'n', 1.5, '1'), 'mapper_parsing')
    expect((fraction.cause as LsrError).message).toBe('Value [1.5] has a decimal part')
    expect(stored(num('double', { coerce: false }), 1.5)).toBe(1.5)
    expect(failure(() => stored(num('long', { coerce: false }), ''), 'mapper_parsing')).toBeDefined()
  })

  it('rounds float, half_float and scaled_float as the types store them', () => {
    expect(stored(num('float'), 0.1)).toBe(Math.fround(0.1))
    expect(stored(num('float'), 0.1)).toBe(0.10000000149011612)
    expect(stored(num('half_float'), 0.1)).toBe(0.0999755859375)
    expect(stored(num('half_float'), 1 / 3)).toBe(0.333251953125)
    expect(stored(num('half_float'), 65504)).toBe(65504)
    expect(stored(num('half_float'), 65519)).toBe(65504)
    expect(stored(num('half_float'), 1e-8)).toBe(0) // below half the smallest subnormal (2^-25)
    expect(stored(num('half_float'), 2 ** -24)).toBe(2 ** -24)
    expect(stored(num('scaled_float', { scalingFactor: 100 }), 19.994)).toBe(19.99)
    expect(stored(num('scaled_float', { scalingFactor: 100 }), '19.999')).toBe(20)
    expect(stored(num('scaled_float', { scalingFactor: 10 }), -0.04)).toBe(0)
    expect(stored(num('double'), 0.1)).toBe(0.1)
    expect(failure(() => parseLeafValue(num('half_float'), 'h', 65520, '1'), 'mapper_parsing').cause).toBeInstanceOf(LsrError)
    expect((failure(() => parseLeafValue(num('float'), 'f', 1e39, '1'), 'mapper_parsing').cause as Error).message).toBe(
      '[float] supports only finite values, but got [1e+39]',
    )
  })

  it('rounds half_float ties to even', () => {
    // 2049 lies halfway between the halfs 2048 and 2050 (spacing 2 at 2^11): even mantissa wins.
    expect(toHalfFloat(2049)).toBe(2048)
    expect(toHalfFloat(2051)).toBe(2052)
    expect(toHalfFloat(-2049)).toBe(-2048)
  })

  it('rounds every float to the nearest half (a multiple of its spacing, within half a spacing)', () => {
    fc.assert(
      fc.property(fc.double({ min: -65504, max: 65504, noNaN: true }), (x) => {
        const f = Math.fround(x)
        const h = toHalfFloat(f)
        const a = Math.abs(f)
        const exponent = a === 0 ? -14 : Math.max(Math.floor(Math.log2(a)), -14)
        const ulp = 2 ** (exponent - 10)
        expect(Number.isInteger(h / ulp) || Number.isInteger(h / (2 * ulp))).toBe(true)
        expect(Math.abs(h - f)).toBeLessThanOrEqual(ulp / 2)
      }),
      { numRuns: 5000 },
    )
  })

  it('refuses booleans, objects, non-numeric and non-finite values', () => {
    for (const value of [true, { a: 1 }, 'abc', '0x10', 'NaN', 'Infinity', NaN, Infinity]) {
      expect(() => stored(num('double'), value), String(value)).toThrow(LsrError)
    }
  })
})

describe('other leaf values', () => {
  it('stringifies numbers and booleans for keyword and text fields', () => {
    expect(parseLeafValue(keyword, 'k', 12, '1')).toEqual({ kind: 'exact', term: '12', column: '12' })
    expect(parseLeafValue(keyword, 'k', true, '1')).toEqual({ kind: 'exact', term: 'true', column: 'true' })
    expect(parseLeafValue(text, 't', 1.5, '1')).toEqual({ kind: 'text', text: '1.5' })
    expect(failure(() => parseLeafValue(keyword, 'k', { a: 1 }, '1'), 'mapper_parsing').message).toBe(
      `failed to parse field [k] of type [keyword] in document with id '1'. Preview of field's value: '{"a":1}'`,
    )
  })

  it('skips keywords longer than ignore_above (UTF-16 code units, as Java counts)', () => {
    const k: LeafField = { type: 'keyword', index: true, docValues: true, ignoreAbove: 3 }
    expect(parseLeafValue(k, 'k', 'abc', '1')).toEqual({ kind: 'exact', term: 'abc', column: 'abc' })
    expect(parseLeafValue(k, 'k', 'abcd', '1')).toEqual({ kind: 'ignored' })
    expect(parseLeafValue(k, 'k', '😀😀', '1')).toEqual({ kind: 'ignored' })
  })

  it('reads booleans as ES 8 does', () => {
    expect(stored(bool, true)).toBe(1)
    expect(stored(bool, 'true')).toBe(1)
    expect(stored(bool, false)).toBe(0)
    expect(stored(bool, 'false')).toBe(0)
    expect(stored(bool, '')).toBe(0)
    for (const bad of ['yes', 'True', 1, 0, 'on']) expect(() => stored(bool, bad), String(bad)).toThrow(LsrError)
  })

  it('reads dates with the field formats, numbers through the same list', () => {
    expect(stored(date(), '2024-03-10T12:00:00+02:00')).toBe(Date.UTC(2024, 2, 10, 10))
    expect(stored(date(), 1700000000000)).toBe(1700000000000)
    // As in ES, a JSON number is read as its text through the format list: 2024 is a year first.
    expect(stored(date(), 2024)).toBe(Date.UTC(2024, 0, 1))
    expect(stored(date(['epoch_second']), 1700000000)).toBe(1700000000000)
    const error = failure(() => parseLeafValue(date(), 'when', 'next tuesday', '9'), 'mapper_parsing')
    expect(error.message).toBe("failed to parse field [when] of type [date] in document with id '9'. Preview of field's value: 'next tuesday'")
    expect((error.cause as Error).message).toBe('failed to parse date field [next tuesday] with format [strict_date_optional_time||epoch_millis]')
  })
})

describe('termValue', () => {
  it('gives the term indexing gives the same value', () => {
    expect(termValue(num('float'), '19.50')).toBe('19.5')
    expect(termValue(num('float'), 19.5)).toBe('19.5')
    expect(termValue(num('float'), 0.1)).toBe(String(Math.fround(0.1)))
    expect(termValue(num('long'), '12')).toBe('12')
    expect(termValue(num('long', { coerce: false }), '12')).toBe('12')
    expect(termValue(num('scaled_float', { scalingFactor: 100 }), 19.999)).toBe('20')
    expect(termValue(keyword, 12)).toBe('12')
    expect(termValue(keyword, 'Hello World')).toBe('Hello World')
    expect(termValue(text, 'Hello World')).toBe('Hello World')
    expect(termValue(bool, 'true')).toBe('true')
    expect(termValue(bool, false)).toBe('false')
    expect(termValue(date(), '2024-01-01')).toBe(String(Date.UTC(2024, 0, 1)))
  })

  it('gives values a field cannot hold a term no document has', () => {
    expect(termValue(num('long'), 1.5)).toBe('1.5')
    expect(termValue(num('byte'), 300)).toBe('300')
  })

  it('refuses query values that cannot be read, naming value and field', () => {
    expect(failure(() => termValue(num('long'), 'abc', 'price'), 'invalid_argument').message).toBe(
      'failed to create query: For input string: "abc" (field [price] of type [long])',
    )
    expect(failure(() => termValue(bool, 'yes', 'ok'), 'invalid_argument').message).toMatch(/\[yes\].*\[ok\]/)
    expect(failure(() => termValue(date(), 'soon', 'when'), 'invalid_argument').message).toMatch(/\[soon\].*\[when\]/)
    expect(failure(() => termValue(keyword, { a: 1 }, 'k'), 'invalid_argument').message).toMatch(/\[k\]/)
  })
})

describe('queryNumber and displayValue', () => {
  it('reads range bounds leniently and at the type precision for floats', () => {
    expect(queryNumber(num('long', { coerce: false }), '1.5')).toBe(1.5)
    expect(queryNumber(num('float'), 0.1)).toBe(Math.fround(0.1))
    expect(queryNumber(num('half_float'), 0.1)).toBe(0.0999755859375)
    expect(failure(() => queryNumber(keyword, 1, 'k'), 'invalid_argument').message).toMatch(/\[k\] of type \[keyword\] is not numeric/)
  })

  it('renders doc values for output', () => {
    expect(displayValue(date(), Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('2024-01-02T03:04:05.000Z')
    expect(displayValue(date(), Date.UTC(2024, 0, 2), 'yyyy/MM/dd')).toBe('2024/01/02')
    expect(displayValue(bool, 1)).toBe(true)
    expect(displayValue(num('long'), 3)).toBe(3)
  })
})
