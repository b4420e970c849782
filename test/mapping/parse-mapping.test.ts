import { describe, expect, it } from 'vitest'
import { fieldAt, leafFields, mappingToJson, parseMapping, type Mapping } from '../../src/mapping/index.js'
import { failure, parse } from './helpers.js'

describe('parseMapping', () => {
  it('parses every type with its defaults', () => {
    const m = parse({
      properties: {
        title: { type: 'text', analyzer: 'english', search_analyzer: 'standard', similarity: 'my_bm25' },
        tag: { type: 'keyword', ignore_above: 20, null_value: 'NONE' },
        price: { type: 'scaled_float', scaling_factor: 100 },
        count: { type: 'integer', coerce: false, null_value: '0' },
        when: { type: 'date', format: 'yyyy-MM-dd||epoch_second' },
        ok: { type: 'boolean', null_value: false, doc_values: false },
        user: { properties: { name: { type: 'keyword', index: 'false' } } },
      },
    })
    expect(m.dynamic).toBe(true)
    expect(m.dateDetection).toBe(true)
    expect(m.numericDetection).toBe(false)
    expect(m.properties.title).toEqual({ type: 'text', index: true, analyzer: 'english', searchAnalyzer: 'standard', similarity: 'my_bm25' })
    expect(m.properties.tag).toEqual({ type: 'keyword', index: true, docValues: true, ignoreAbove: 20, nullValue: 'NONE' })
    expect(m.properties.price).toEqual({ type: 'scaled_float', index: true, docValues: true, coerce: true, scalingFactor: 100 })
    expect(m.properties.count).toEqual({ type: 'integer', index: true, docValues: true, coerce: false, nullValue: 0 })
    expect(m.properties.when).toEqual({ type: 'date', index: true, docValues: true, formats: ['yyyy-MM-dd', 'epoch_second'] })
    expect(m.properties.ok).toEqual({ type: 'boolean', index: true, docValues: false, nullValue: false })
    expect(fieldAt(m, 'user.name')).toEqual({ type: 'keyword', index: false, docValues: true })
  })

  it('defaults a date field to strict_date_optional_time||epoch_millis', () => {
    expect(parse({ properties: { d: { type: 'date' } } }).properties.d).toEqual({
      type: 'date',
      index: true,
      docValues: true,
      formats: ['strict_date_optional_time', 'epoch_millis'],
    })
  })

  it('expands dotted property names into objects, merging with the same object defined whole', () => {
    const m = parse({ properties: { 'a.b': { type: 'keyword' }, a: { properties: { c: { type: 'long' } } }, 'x.y.z': { type: 'boolean' } } })
    expect(mappingToJson(m)).toEqual({
      properties: {
        a: { properties: { b: { type: 'keyword' }, c: { type: 'long' } } },
        x: { properties: { y: { properties: { z: { type: 'boolean' } } } } },
      },
    })
  })

  it('finds fields and multi-fields by path, and lists leaves in a stable order', () => {
    const m = parse({
      properties: {
        z: { type: 'long' },
        title: { type: 'text', fields: { raw: { type: 'keyword' }, en: { type: 'text', analyzer: 'english' } } },
        a: { properties: { b: { type: 'keyword' } } },
        off: { type: 'object', enabled: false },
      },
    })
    expect(fieldAt(m, 'title.raw')).toEqual({ type: 'keyword', index: true, docValues: true })
    expect(fieldAt(m, 'a')?.type).toBe('object')
    expect(fieldAt(m, 'title.raw.x')).toBeUndefined()
    expect(fieldAt(m, 'constructor')).toBeUndefined()
    expect(fieldAt(m, 'nope')).toBeUndefined()
    expect(leafFields(m).map((f) => f.path)).toEqual(['a.b', 'title', 'title.en', 'title.raw', 'z'])
  })

  it('names an unknown parameter, type, analyzer and similarity', () => {
    expect(failure(() => parse({ properties: { price: { type: 'long', foo: 1 } } }), 'mapper_parsing').message).toBe(
      'unknown parameter [foo] on mapper [price] of type [long]',
    )
    expect(failure(() => parse({ properties: { loc: { type: 'geo_point' } } }), 'mapper_parsing').message).toBe(
      'No handler for type [geo_point] declared on field [loc]',
    )
    expect(failure(() => parse({ properties: { t: { type: 'text', analyzer: 'klingon' } } }), 'mapper_parsing').message).toBe(
      'analyzer [klingon] has not been configured in mappings',
    )
    expect(failure(() => parse({ properties: { t: { type: 'text', similarity: 'DFR' } } }), 'mapper_parsing').message).toBe(
      'Unknown Similarity type [DFR] for field [t]',
    )
    expect(failure(() => parse({ properties: { t: { type: 'text', search_analyzer: 'english' } } }), 'mapper_parsing').message).toBe(
      'analyzer on field [t] must be set when search_analyzer is set',
    )
    expect(failure(() => parse({ properties: { o: { properties: {}, foo: 1 } } }), 'mapper_parsing').message).toBe(
      'Mapping definition for [o] has unsupported parameters: [foo : 1]',
    )
    expect(failure(() => parse({ foo: 1 }), 'mapper_parsing').message).toBe('Root mapping definition has unsupported parameters: [foo : 1]')
    expect(failure(() => parse({ properties: { a: { properties: { b: { type: 'nested' } } } } }), 'mapper_parsing').message).toBe(
      'No handler for type [nested] declared on field [a.b]',
    )
  })

  it('requires scaling_factor on scaled_float and validates parameter values', () => {
    expect(failure(() => parse({ properties: { p: { type: 'scaled_float' } } }), 'mapper_parsing').message).toBe(
      'Field [p] misses required parameter [scaling_factor]',
    )
    expect(failure(() => parse({ properties: { p: { type: 'scaled_float', scaling_factor: 0 } } }), 'mapper_parsing').message).toMatch(/scaling_factor.*0/)
    expect(failure(() => parse({ properties: { k: { type: 'keyword', ignore_above: -1 } } }), 'mapper_parsing').message).toMatch(/\[ignore_above\].*\[k\].*-1/)
    expect(failure(() => parse({ properties: { k: { type: 'keyword', index: 'yes' } } }), 'mapper_parsing').message).toMatch(/\[index\].*\[k\].*yes/)
    expect(failure(() => parse({ properties: { n: { type: 'byte', null_value: 300 } } }), 'mapper_parsing').message).toBe(
      'Failed to parse mapping: Error parsing [null_value] on field [n]: Value [300] is out of range for a byte',
    )
    expect(failure(() => parse({ properties: { d: { type: 'date', null_value: 'yesterday' } } }), 'mapper_parsing').message).toMatch(
      /\[null_value\] on field \[d\].*yesterday/,
    )
    expect(failure(() => parse({ properties: { k: { type: 'keyword', index: null } } }), 'mapper_parsing').message).toBe(
      '[index] on mapper [k] of type [keyword] must not have a [null] value',
    )
  })

  it('takes index_options and position_increment_gap on text fields, leaving out ES defaults', () => {
    const text = (params: Record<string, unknown>) => parse({ properties: { t: { type: 'text', ...params } } }).properties.t
    expect(text({ index_options: 'docs' })).toEqual({ type: 'text', index: true, indexOptions: 'docs' })
    expect(text({ index_options: 'freqs' })).toEqual({ type: 'text', index: true, indexOptions: 'freqs' })
    expect(text({ index_options: 'offsets', position_increment_gap: 0 })).toEqual({ type: 'text', index: true, indexOptions: 'offsets', positionIncrementGap: 0 })
    expect(text({ index_options: 'positions', position_increment_gap: '50' })).toEqual({ type: 'text', index: true, positionIncrementGap: 50 })
    // 100 is ES's default, which leaves the gap to the analyzer, so it is allowed without positions.
    expect(text({ index_options: 'docs', position_increment_gap: 100 })).toEqual({ type: 'text', index: true, indexOptions: 'docs' })
    const multi = parse({ properties: { k: { type: 'keyword', fields: { words: { type: 'text', index_options: 'offsets', position_increment_gap: 7 } } } } })
    expect(fieldAt(multi, 'k.words')).toEqual({ type: 'text', index: true, indexOptions: 'offsets', positionIncrementGap: 7 })
  })

  it('refuses bad index_options and position_increment_gap values as ES does', () => {
    const refused = (params: Record<string, unknown>) => failure(() => parse({ properties: { t: { type: 'text', ...params } } }), 'mapper_parsing').message
    expect(refused({ index_options: 'all' })).toBe(
      'Failed to parse mapping: Unknown value [all] for field [index_options] - accepted values are [positions, docs, freqs, offsets]',
    )
    expect(refused({ index_options: 5 })).toMatch(/Unknown value \[5\] for field \[index_options\]/)
    expect(refused({ index_options: null })).toBe('[index_options] on mapper [t] of type [text] must not have a [null] value')
    expect(refused({ position_increment_gap: -1 })).toBe('Failed to parse mapping: [position_increment_gap] must be positive, got [-1]')
    expect(refused({ position_increment_gap: 'wide' })).toBe(
      'Failed to parse mapping: [position_increment_gap] on mapper [t] of type [text]: an integer is required, got [wide]',
    )
    expect(refused({ position_increment_gap: 1.5 })).toMatch(/an integer is required, got \[1\.5\]/)
    expect(refused({ position_increment_gap: 2_147_483_648 })).toMatch(/an integer is required/)
    for (const params of [{ index_options: 'docs' }, { index_options: 'freqs' }, { index: false }]) {
      expect(refused({ ...params, position_increment_gap: 10 })).toBe(
        'Failed to parse mapping: Cannot set position_increment_gap on field [t] without positions enabled',
      )
    }
  })

  it('validates date formats by name', () => {
    expect(failure(() => parse({ properties: { d: { type: 'date', format: 'foo' } } }), 'mapper_parsing').message).toBe(
      'Failed to parse mapping: Error parsing [format] on field [d]: Invalid format: [foo]: Unknown pattern letter: f',
    )
    expect(failure(() => parse({ properties: { d: { type: 'date', format: 'week_date' } } }), 'mapper_parsing').message).toMatch(
      /lsr does not support the date format \[week_date\]/,
    )
    expect(failure(() => parse({ properties: { d: { type: 'date', format: 'dd MMM yyyy' } } }), 'mapper_parsing').message).toMatch(/\[MMM\]/)
  })

  it('refuses what lsr does not implement, by name, and accepts ES defaults given explicitly', () => {
    const refused: Array<[unknown, RegExp]> = [
      [{ _source: { enabled: false } }, /_source\.enabled/],
      [{ _source: { excludes: ['a'] } }, /_source\.excludes/],
      [{ dynamic_templates: [] }, /\[dynamic_templates\]/],
      [{ runtime: {} }, /\[runtime\]/],
      [{ numeric_detection: true }, /\[numeric_detection\]/],
      [{ _routing: { required: true } }, /\[_routing\]/],
      [{ dynamic: 'runtime' }, /dynamic: runtime/],
      [{ properties: { t: { type: 'text', copy_to: 'all' } } }, /\[copy_to: all\] on mapper \[t\]/],
      [{ properties: { t: { type: 'text', fielddata: true } } }, /\[fielddata: true\] on mapper \[t\]/],
      [{ properties: { t: { type: 'text', norms: false } } }, /\[norms: false\] on mapper \[t\]/],
      [{ properties: { k: { type: 'keyword', index_options: 'freqs' } } }, /\[index_options: freqs\] on mapper \[k\]/],
      [{ properties: { t: { type: 'text', index_phrases: true } } }, /\[index_phrases: true\] on mapper \[t\]/],
      [{ properties: { t: { type: 'text', term_vector: 'yes' } } }, /\[term_vector: yes\]/],
      [{ properties: { k: { type: 'keyword', store: true } } }, /\[store: true\] on mapper \[k\]/],
      [{ properties: { k: { type: 'keyword', normalizer: 'lower' } } }, /\[normalizer: lower\]/],
      [{ properties: { n: { type: 'long', ignore_malformed: true } } }, /\[ignore_malformed: true\]/],
      [{ properties: { o: { type: 'object', subobjects: false } } }, /\[subobjects\] on object \[o\]/],
    ]
    for (const [json, message] of refused) {
      const error = failure(() => parse(json), 'mapper_parsing')
      expect(error.message).toMatch(message)
      expect(error.message).toMatch(/lsr does not support/)
    }
    const m = parse({
      _source: { enabled: true, includes: [], excludes: [] },
      _routing: { required: false },
      numeric_detection: false,
      properties: { t: { type: 'text', norms: true, store: false, index_options: 'positions' }, k: { type: 'keyword', norms: false } },
    })
    expect(Object.keys(m.properties)).toEqual(['t', 'k'])
  })

  it('treats names of Object.prototype members as ordinary names', () => {
    const m = parse(JSON.parse('{"properties": {"constructor": {"type": "keyword"}, "toString": {"properties": {"valueOf": {"type": "long"}}}}}'))
    expect(fieldAt(m, 'constructor')?.type).toBe('keyword')
    expect(fieldAt(m, 'toString.valueOf')?.type).toBe('long')
    expect(fieldAt(m, 'hasOwnProperty')).toBeUndefined()
    expect(failure(() => parse(JSON.parse('{"properties": {"__proto__": {"type": "keyword"}}}')), 'mapper_parsing').message).toMatch(/__proto__/)
  })

  it('refuses bad field names and multi-field shapes', () => {
    expect(failure(() => parse({ properties: { '': { type: 'long' } } }), 'mapper_parsing').message).toBe('field name cannot be an empty string')
    expect(failure(() => parse({ properties: { _id: { type: 'keyword' } } }), 'mapper_parsing').message).toMatch(/Field \[_id\] is a metadata field/)
    expect(failure(() => parse({ properties: { a: { properties: { _x: { type: 'keyword' } } } } }), 'mapper_parsing').message).toMatch(
      /Field name \[_x\] cannot start with \[_\]/,
    )
    expect(failure(() => parse({ properties: { 'a\u0001b': { type: 'long' } } }), 'mapper_parsing').message).toMatch(/control characters/)
    expect(failure(() => parse({ properties: { 'a..b': { type: 'long' } } }), 'mapper_parsing').message).toMatch(/\[a\.\.b\]/)
    expect(failure(() => parse({ properties: { '  ': { type: 'long' } } }), 'mapper_parsing').message).toMatch(/only whitespace/)
    expect(failure(() => parse({ properties: { t: { type: 'text', fields: { 'a.b': { type: 'keyword' } } } } }), 'mapper_parsing').message).toBe(
      "Field name [a.b] which is a multi field of [t] cannot contain '.'",
    )
    expect(failure(() => parse({ properties: { t: { type: 'text', fields: { o: { type: 'object' } } } } }), 'mapper_parsing').message).toMatch(
      /Type \[object\] cannot be used in multi field/,
    )
    expect(
      failure(() => parse({ properties: { t: { type: 'text', fields: { k: { type: 'keyword', fields: { x: { type: 'keyword' } } } } } } }), 'mapper_parsing')
        .message,
    ).toMatch(/chained multi-fields/)
    expect(failure(() => parse({ properties: { a: { type: 'keyword' }, 'a.b': { type: 'keyword' } } }), 'mapper_parsing').message).toBe(
      "Can't merge a non object mapping [a] with an object mapping",
    )
  })

  it('enforces the total fields and depth limits', () => {
    const properties: Record<string, unknown> = {}
    for (let i = 0; i < 1001; i++) properties[`f${i}`] = { type: 'keyword' }
    expect(failure(() => parse({ properties }), 'invalid_argument').message).toBe('Limit of total fields [1000] has been exceeded')
    // Multi-fields and objects count too: 500 text fields with a keyword sub-field are 1000 fields.
    const half: Record<string, unknown> = {}
    for (let i = 0; i < 500; i++) half[`f${i}`] = { type: 'text', fields: { raw: { type: 'keyword' } } }
    expect(Object.keys(parse({ properties: half }).properties)).toHaveLength(500)
    expect(failure(() => parse({ properties: { ...half, extra: { properties: {} } } }), 'invalid_argument').message).toMatch(/Limit of total fields/)

    // ES counts the root as depth 1: an object at a path with 18 dots has depth 20, the limit.
    const path19 = Array.from({ length: 19 }, (_, i) => `o${i}`).join('.')
    expect(() => parse({ properties: { [`${path19}.leaf`]: { type: 'keyword' } } })).not.toThrow()
    const path20 = Array.from({ length: 20 }, (_, i) => `o${i}`).join('.')
    expect(failure(() => parse({ properties: { [`${path20}.leaf`]: { type: 'keyword' } } }), 'invalid_argument').message).toBe(
      `Limit of mapping depth [20] has been exceeded due to object field [${path20}]`,
    )
    expect(failure(() => parseMapping({ properties: { a: { properties: { b: { type: 'long' } } } } }, new Set(), new Set(), { totalFields: 1, depth: 20 }), 'invalid_argument'))
      .toBeDefined()
  })

  it('accepts a single _doc wrapper and an empty body', () => {
    expect(parse({ _doc: { properties: { a: { type: 'long' } } } }).properties.a?.type).toBe('long')
    expect(parse({}).properties).toEqual({})
    expect(failure(() => parse([]), 'mapper_parsing').message).toMatch(/must be an object/)
  })
})

describe('mappingToJson', () => {
  it('shows what GET _mapping shows: defaults omitted, names sorted, dynamic as a string', () => {
    const body = {
      dynamic: 'strict',
      date_detection: false,
      _meta: { owner: 'me' },
      properties: {
        title: { type: 'text', analyzer: 'english', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
        body: { type: 'text', index_options: 'positions', position_increment_gap: 100 },
        ids: { type: 'text', index_options: 'docs' },
        lines: { type: 'text', index_options: 'offsets', position_increment_gap: 0 },
        price: { type: 'scaled_float', scaling_factor: 100, coerce: false },
        d: { type: 'date', format: 'yyyy/MM/dd||epoch_millis', null_value: '2024/01/01' },
        d2: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
        k: { type: 'keyword', index: false, doc_values: false, null_value: 'NULL' },
        obj: { dynamic: false, properties: { b: { type: 'boolean', null_value: true } } },
        off: { type: 'object', enabled: false },
      },
    }
    const json = mappingToJson(parse(body))
    expect(json).toEqual({
      dynamic: 'strict',
      date_detection: false,
      _meta: { owner: 'me' },
      properties: {
        body: { type: 'text' },
        d: { type: 'date', format: 'yyyy/MM/dd||epoch_millis', null_value: '2024/01/01' },
        d2: { type: 'date' },
        ids: { type: 'text', index_options: 'docs' },
        k: { type: 'keyword', index: false, doc_values: false, null_value: 'NULL' },
        lines: { type: 'text', index_options: 'offsets', position_increment_gap: 0 },
        obj: { dynamic: 'false', properties: { b: { type: 'boolean', null_value: true } } },
        off: { type: 'object', enabled: false },
        price: { type: 'scaled_float', scaling_factor: 100, coerce: false },
        title: { type: 'text', analyzer: 'english', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      },
    })
    expect(Object.keys(json.properties as object)).toEqual(['body', 'd', 'd2', 'ids', 'k', 'lines', 'obj', 'off', 'price', 'title'])
  })

  it('round-trips through parseMapping', () => {
    const bodies = [
      {},
      { dynamic: true },
      { dynamic: false, date_detection: true },
      { properties: { a: { properties: { b: { type: 'half_float', index: false } } }, t: { type: 'text', index: false, similarity: 'BM25' } } },
      { properties: { t: { type: 'text', index_options: 'freqs' }, u: { type: 'text', position_increment_gap: 1 } } },
    ]
    for (const body of bodies) {
      const m: Mapping = parse(body)
      expect(parse(mappingToJson(m))).toEqual(m)
      expect(mappingToJson(parse(mappingToJson(m)))).toEqual(mappingToJson(m))
    }
    expect(mappingToJson(parse({ dynamic: true }))).toEqual({ dynamic: 'true' })
    expect(mappingToJson(parse({}))).toEqual({})
  })
})
