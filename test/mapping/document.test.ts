import { describe, expect, it } from 'vitest'
import { emptyMapping, fieldAt, mapDocument, mappingToJson, type Mapping } from '../../src/mapping/index.js'
import { failure, parse } from './helpers.js'

const TEXT_WITH_KEYWORD = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }

function map(mapping: Mapping, source: Record<string, unknown>, id = '1') {
  return mapDocument(mapping, source, id)
}

function terms(mapping: Mapping, source: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const { path, value } of map(mapping, source).values.terms) (out[path] ??= []).push(value)
  return out
}

function columns(mapping: Mapping, source: Record<string, unknown>): Record<string, Array<number | string>> {
  return Object.fromEntries(map(mapping, source).values.columns.map((c) => [c.path, c.values]))
}

describe('dynamic mapping (dynamic: true)', () => {
  it('maps each JSON type as ES does', () => {
    const { mapping } = map(emptyMapping(), {
      title: 'Hello world',
      count: 3,
      ratio: 1.5,
      ok: true,
      when: '2024-01-01T10:00:00Z',
      day: '2024-01-01',
      slash: '2015/09/02',
      slashTime: '2015/09/02 10:11:12',
      numeric: '42',
      year: '2024',
      user: { name: 'ann', age: 30 },
      nothing: null,
      empty: [],
      nulls: [null, null],
    })
    expect(mappingToJson(mapping)).toEqual({
      properties: {
        count: { type: 'long' },
        day: { type: 'date' },
        numeric: TEXT_WITH_KEYWORD, // numeric_detection is off: numeric strings stay strings
        ok: { type: 'boolean' },
        ratio: { type: 'float' },
        slash: { type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' },
        slashTime: { type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' },
        title: TEXT_WITH_KEYWORD,
        user: { properties: { age: { type: 'long' }, name: TEXT_WITH_KEYWORD } },
        when: { type: 'date' },
        year: TEXT_WITH_KEYWORD, // a pure number is never detected as a date
      },
    })
  })

  it('indexes the values under the new fields', () => {
    const { values } = map(emptyMapping(), { title: 'Hello', count: 3, ratio: 0.1, ok: false, when: '2024-01-01', user: { name: 'ann' } })
    expect(values.text).toEqual([
      { path: 'title', analyzer: undefined, values: ['Hello'] },
      { path: 'user.name', analyzer: undefined, values: ['ann'] },
    ])
    expect(values.terms).toEqual([
      { path: 'title.keyword', value: 'Hello' },
      { path: 'count', value: '3' },
      { path: 'ratio', value: String(Math.fround(0.1)) },
      { path: 'ok', value: 'false' },
      { path: 'when', value: String(Date.UTC(2024, 0, 1)) },
      { path: 'user.name.keyword', value: 'ann' },
    ])
    expect(values.columns).toEqual([
      { path: 'title.keyword', values: ['Hello'] },
      { path: 'count', values: [3] },
      { path: 'ratio', values: [Math.fround(0.1)] },
      { path: 'ok', values: [0] },
      { path: 'when', values: [Date.UTC(2024, 0, 1)] },
      { path: 'user.name.keyword', values: ['ann'] },
    ])
    expect(values.present).toEqual(['title', 'title.keyword', 'count', 'ratio', 'ok', 'when', 'user.name', 'user.name.keyword'])
  })

  it('leaves date detection off when date_detection is false', () => {
    const { mapping } = map(parse({ date_detection: false }), { when: '2024-01-01' })
    expect(mappingToJson(mapping).properties).toEqual({ when: TEXT_WITH_KEYWORD })
  })

  it('decides an array by its first non-null element and keeps every value', () => {
    const { mapping, values } = map(emptyMapping(), { tags: [null, 'b', 'a', 'b'], n: [[1, 2], [3, 1]], mixed: ['x', 1, true] })
    expect(fieldAt(mapping, 'n')?.type).toBe('long')
    expect(fieldAt(mapping, 'mixed')?.type).toBe('text')
    expect(values.terms.filter((t) => t.path === 'tags.keyword').map((t) => t.value)).toEqual(['b', 'a'])
    expect(values.columns.find((c) => c.path === 'tags.keyword')?.values).toEqual(['b', 'a', 'b'])
    expect(values.columns.find((c) => c.path === 'n')?.values).toEqual([1, 2, 3, 1])
    expect(values.text.find((t) => t.path === 'mixed')?.values).toEqual(['x', '1', 'true'])
  })

  it('refuses an array whose later elements do not fit the first one', () => {
    expect(failure(() => map(emptyMapping(), { a: [1, 'x'] }), 'mapper_parsing').message).toBe(
      "failed to parse field [a] of type [long] in document with id '1'. Preview of field's value: 'x'",
    )
    expect(failure(() => map(emptyMapping(), { a: [{ b: 1 }, 'x'] }), 'mapper_parsing').message).toBe(
      'object mapping for [a] tried to parse field [a] as object, but found a concrete value',
    )
    expect(failure(() => map(emptyMapping(), { a: ['x', { b: 1 }] }), 'mapper_parsing').message).toMatch(/failed to parse field \[a\] of type \[text\]/)
    // ES maps [1, 1.5] as long and truncates the second value.
    expect(columns(emptyMapping(), { a: [1, 1.5] })).toEqual({ a: [1, 1] })
  })

  it('expands dotted keys into objects and merges them with nested ones', () => {
    const { mapping, values } = map(emptyMapping(), { 'user.name': 'ann', user: { age: 3 }, 'a.b.c': true })
    expect(mappingToJson(mapping)).toEqual({
      properties: {
        a: { properties: { b: { properties: { c: { type: 'boolean' } } } } },
        user: { properties: { age: { type: 'long' }, name: TEXT_WITH_KEYWORD } },
      },
    })
    expect(values.present).toEqual(['user.name', 'user.name.keyword', 'user.age', 'a.b.c'])
  })

  it('refuses a dotted key under a leaf and a concrete value for an object', () => {
    const m = parse({ properties: { a: { type: 'keyword' }, o: { properties: { x: { type: 'long' } } } } })
    expect(failure(() => map(m, { 'a.b': 1 }), 'mapper_parsing').message).toBe(
      'Could not dynamically add mapping for field [a]. Existing mapping for [a] must be of type object but found [keyword].',
    )
    expect(failure(() => map(m, { o: 'flat' }), 'mapper_parsing').message).toBe(
      'object mapping for [o] tried to parse field [o] as object, but found a concrete value',
    )
    expect(failure(() => map(m, { a: { b: 1 } }), 'mapper_parsing').message).toMatch(/failed to parse field \[a\] of type \[keyword\]/)
  })

  it('returns the same mapping object when nothing was added, a new one otherwise', () => {
    const m = parse({ properties: { a: { type: 'keyword' } } })
    expect(map(m, { a: 'x' }).mapping).toBe(m)
    const grown = map(m, { a: 'x', b: 1 }).mapping
    expect(grown).not.toBe(m)
    expect(Object.keys(m.properties)).toEqual(['a'])
    expect(Object.keys(grown.properties).sort()).toEqual(['a', 'b'])
  })
})

describe('dynamic: false and strict', () => {
  it('keeps unmapped fields out of the index and the mapping with dynamic: false', () => {
    const m = parse({ dynamic: false, properties: { a: { type: 'keyword' } } })
    const { mapping, values } = map(m, { a: 'x', b: 'y', c: { d: 1 } })
    expect(mapping).toBe(m)
    expect(values.present).toEqual(['a'])
    expect(values.terms).toEqual([{ path: 'a', value: 'x' }])
  })

  it('refuses an unmapped field with strict, naming it and its object', () => {
    const m = parse({ dynamic: 'strict', properties: { a: { type: 'keyword' }, o: { properties: { x: { type: 'long' } } } } })
    expect(failure(() => map(m, { b: 1 }), 'strict_dynamic_mapping').message).toBe(
      'mapping set to strict, dynamic introduction of [b] within [_doc] is not allowed',
    )
    expect(failure(() => map(m, { o: { y: 1 } }), 'strict_dynamic_mapping').message).toBe(
      'mapping set to strict, dynamic introduction of [y] within [o] is not allowed',
    )
    expect(failure(() => map(m, { b: null }), 'strict_dynamic_mapping')).toBeDefined()
    expect(failure(() => map(m, { b: [] }), 'strict_dynamic_mapping')).toBeDefined()
    expect(failure(() => map(m, { 'o.y': 1 }), 'strict_dynamic_mapping')).toBeDefined()
    expect(map(m, { a: 'x', o: { x: 2 } }).values.present).toEqual(['a', 'o.x'])
  })

  it('lets an object override the inherited setting', () => {
    const m = parse({
      dynamic: 'strict',
      properties: { open: { dynamic: true, properties: {} }, quiet: { dynamic: false, properties: { deep: { properties: {} } } } },
    })
    const { mapping, values } = map(m, { open: { x: 'y', inner: { z: 1 } }, quiet: { skip: 1, deep: { skip: 2 } } })
    expect(fieldAt(mapping, 'open.inner.z')?.type).toBe('long')
    expect(fieldAt(mapping, 'quiet.skip')).toBeUndefined()
    expect(fieldAt(mapping, 'quiet.deep.skip')).toBeUndefined() // deep inherits false from quiet
    expect(values.present).toEqual(['open.x', 'open.x.keyword', 'open.inner.z'])
  })

  it('does not parse disabled objects at all', () => {
    const m = parse({ properties: { blob: { type: 'object', enabled: false } } })
    const { mapping, values } = map(m, { blob: { anything: [1, { x: 'y' }], '': 3 }, 'blob.more': 1 })
    expect(mapping).toBe(m)
    expect(values.present).toEqual([])
    expect(map(m, { blob: 'a string' }).values.present).toEqual([])
  })
})

describe('field parameters', () => {
  it('skips keywords past ignore_above: no term, no doc value, not present', () => {
    const m = parse({ properties: { k: { type: 'keyword', ignore_above: 5 } } })
    expect(map(m, { k: 'abcdef' }).values).toEqual({ text: [], terms: [], columns: [], features: [], present: [] })
    const { values } = map(m, { k: ['abc', 'abcdefgh'] })
    expect(values.terms).toEqual([{ path: 'k', value: 'abc' }])
    expect(values.columns).toEqual([{ path: 'k', values: ['abc'] }])
    expect(values.present).toEqual(['k'])
  })

  it('keeps a long dynamic string as text but not as its keyword', () => {
    const long = 'x'.repeat(257)
    const { values } = map(emptyMapping(), { body: long })
    expect(values.present).toEqual(['body'])
    expect(values.terms).toEqual([])
    expect(values.text).toEqual([{ path: 'body', analyzer: undefined, values: [long] }])
  })

  it('indexes null_value for an explicit null, not for an empty array or a missing field', () => {
    const m = parse({
      properties: {
        status: { type: 'keyword', null_value: 'NULL' },
        n: { type: 'integer', null_value: -1 },
        t: { type: 'text', fields: { raw: { type: 'keyword', null_value: 'none' } } },
      },
    })
    expect(terms(m, { status: null, n: null, t: null })).toEqual({ status: ['NULL'], n: ['-1'], 't.raw': ['none'] })
    expect(map(m, { status: null }).values.present).toEqual(['status'])
    expect(map(m, { status: [] }).values.present).toEqual([])
    expect(terms(m, { status: [null, 'ok'] })).toEqual({ status: ['NULL', 'ok'] })
    expect(map(m, {}).values.present).toEqual([])
  })

  it('keeps doc values of index: false fields, and terms of doc_values: false ones', () => {
    const m = parse({
      properties: {
        hidden: { type: 'keyword', index: false },
        nocol: { type: 'long', doc_values: false },
        quiet: { type: 'text', index: false },
        inert: { type: 'long', index: false, doc_values: false },
      },
    })
    const { values } = map(m, { hidden: 'x', nocol: 5, quiet: 'words', inert: 7 })
    expect(values.terms).toEqual([{ path: 'nocol', value: '5' }])
    expect(values.columns).toEqual([{ path: 'hidden', values: ['x'] }])
    expect(values.text).toEqual([])
    // ES "exists" finds a field through its index or its doc values; these two have neither.
    expect(values.present).toEqual(['hidden', 'nocol'])
    // Values are still validated: a field that indexes nothing still refuses a bad value.
    expect(failure(() => map(m, { inert: 'x' }), 'mapper_parsing').message).toMatch(/\[inert\] of type \[long\]/)
  })

  it('passes the mapped analyzer along and indexes multi-fields from the same value', () => {
    const m = parse({ properties: { title: { type: 'text', analyzer: 'english', fields: { raw: { type: 'keyword' }, n: { type: 'long' } } } } })
    const { values } = map(m, { title: '12' })
    expect(values.text).toEqual([{ path: 'title', analyzer: 'english', values: ['12'] }])
    expect(values.terms).toEqual([
      { path: 'title.n', value: '12' },
      { path: 'title.raw', value: '12' },
    ])
    expect(failure(() => map(m, { title: 'twelve' }), 'mapper_parsing').message).toMatch(/failed to parse field \[title\.n\] of type \[long\]/)
  })

  it('coerces numeric strings and dates into typed terms', () => {
    const m = parse({ properties: { price: { type: 'scaled_float', scaling_factor: 100 }, d: { type: 'date', format: 'dd/MM/yyyy' } } })
    expect(terms(m, { price: '19.999', d: '10/03/2024' })).toEqual({ price: ['20'], d: [String(Date.UTC(2024, 2, 10))] })
  })
})

describe('refusals', () => {
  it('refuses metadata fields and other _ names at the top of a document, whatever dynamic says', () => {
    for (const m of [emptyMapping(), parse({ dynamic: false })]) {
      expect(failure(() => map(m, { _id: '1' }), 'mapper_parsing').message).toBe(
        'Field [_id] is a metadata field and cannot be added inside a document. Use the index API request parameters.',
      )
      expect(failure(() => map(m, { '_source.x': 1 }), 'mapper_parsing').message).toMatch(/Field \[_source\] is a metadata field/)
      expect(failure(() => map(m, { _mine: 1 }), 'mapper_parsing').message).toMatch(/\[_mine\] cannot start with \[_\]/)
    }
    expect(failure(() => map(emptyMapping(), { a: { _b: 1 } }), 'mapper_parsing').message).toMatch(/\[a\._b\] cannot start with \[_\]/)
    expect(map(parse({ dynamic: false }), { a: { _b: 1 } }).values.present).toEqual([]) // never mapped, never checked
  })

  it('treats names of Object.prototype members as ordinary names', () => {
    const source = JSON.parse('{"constructor": "c", "toString": {"valueOf": 1}, "hasOwnProperty": true}') as Record<string, unknown>
    const { mapping, values } = map(emptyMapping(), source)
    expect(mappingToJson(mapping)).toEqual({
      properties: {
        constructor: TEXT_WITH_KEYWORD,
        hasOwnProperty: { type: 'boolean' },
        toString: { properties: { valueOf: { type: 'long' } } },
      },
    })
    expect(values.present).toEqual(['constructor', 'constructor.keyword', 'toString.valueOf', 'hasOwnProperty'])
    expect(map(mapping, source).mapping).toBe(mapping)
    // An own "__proto__" key (as JSON.parse makes it) is refused like every name starting with _.
    const proto = JSON.parse('{"a": {"__proto__": {"polluted": 1}}}') as Record<string, unknown>
    expect(failure(() => map(emptyMapping(), proto), 'mapper_parsing').message).toMatch(/\[a\.__proto__\] cannot start with \[_\]/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses bad keys', () => {
    expect(failure(() => map(emptyMapping(), { '': 1 }), 'mapper_parsing').message).toBe('field name cannot be an empty string')
    expect(failure(() => map(emptyMapping(), { 'a.': 1 }), 'mapper_parsing').message).toMatch(/makes object resolution ambiguous: \[a\.\]/)
    expect(failure(() => map(emptyMapping(), { ' ': 1 }), 'mapper_parsing').message).toMatch(/only whitespace/)
    expect(failure(() => map(emptyMapping(), { 'a\nb': 1 }), 'mapper_parsing').message).toMatch(/control characters/)
  })

  it('is all or nothing: a bad value late in the document leaves the mapping untouched', () => {
    const m = parse({ properties: { n: { type: 'integer' } } })
    const before = structuredClone(m)
    const error = failure(() => map(m, { a: 'new field', b: { c: 1 }, n: 'not a number' }, 'doc-9'), 'mapper_parsing')
    expect(error.message).toBe("failed to parse field [n] of type [integer] in document with id 'doc-9'. Preview of field's value: 'not a number'")
    expect(m).toEqual(before)
    expect(map(m, { n: 1 }).mapping).toBe(m)
  })

  it('enforces the total fields and depth limits on dynamic additions', () => {
    const m = parse({ properties: { a: { type: 'keyword' } } })
    // 1 mapped + title (text) + title.keyword = 3 fields: fine; one more goes past 3.
    expect(() => mapDocument(m, { title: 'x' }, '1', { totalFields: 3, depth: 20 })).not.toThrow()
    expect(failure(() => mapDocument(m, { title: 'x', n: 1 }, '1', { totalFields: 3, depth: 20 }), 'invalid_argument').message).toBe(
      'Limit of total fields [3] has been exceeded',
    )
    const deep = { a: { b: { c: { d: 1 } } } }
    expect(() => mapDocument(emptyMapping(), deep, '1', { totalFields: 1000, depth: 4 })).not.toThrow()
    expect(failure(() => mapDocument(emptyMapping(), deep, '1', { totalFields: 1000, depth: 3 }), 'invalid_argument').message).toBe(
      'Limit of mapping depth [3] has been exceeded due to object field [a.b.c]',
    )
    let nested: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 25; i++) nested = { [`o${i}`]: nested }
    expect(failure(() => map(emptyMapping(), nested), 'invalid_argument').message).toMatch(/Limit of mapping depth \[20\]/)
  })
})
