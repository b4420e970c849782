import { describe, expect, it } from 'vitest'
import { mappingToJson, mergeMapping, parseMapping } from '../../src/mapping/index.js'
import { ANALYZERS, failure, parse, SIMILARITIES } from './helpers.js'

const current = () =>
  parse({
    dynamic: 'strict',
    properties: {
      price: { type: 'long' },
      title: { type: 'text', analyzer: 'english', search_analyzer: 'standard' },
      tag: { type: 'keyword', ignore_above: 10 },
      user: { properties: { name: { type: 'keyword' } } },
      when: { type: 'date', format: 'yyyy-MM-dd' },
    },
  })

describe('mergeMapping', () => {
  it('adds fields and keeps the ones the update leaves out, without changing its arguments', () => {
    const cur = current()
    const upd = parse({ properties: { stock: { type: 'integer' }, user: { properties: { age: { type: 'short' } } } } })
    const snapshot = [structuredClone(cur), structuredClone(upd)]
    const merged = mergeMapping(cur, upd)
    expect(mappingToJson(merged)).toEqual({
      dynamic: 'strict', // the update did not say: kept
      properties: {
        price: { type: 'long' },
        stock: { type: 'integer' },
        tag: { type: 'keyword', ignore_above: 10 },
        title: { type: 'text', analyzer: 'english', search_analyzer: 'standard' },
        user: { properties: { age: { type: 'short' }, name: { type: 'keyword' } } },
        when: { type: 'date', format: 'yyyy-MM-dd' },
      },
    })
    expect([cur, upd]).toEqual(snapshot)
    expect(merged).not.toBe(cur)
  })

  it('accepts an identical redefinition', () => {
    const cur = current()
    expect(mergeMapping(cur, current())).toEqual(cur)
  })

  it('refuses a type change, naming field and types', () => {
    expect(failure(() => mergeMapping(current(), parse({ properties: { price: { type: 'text' } } })), 'invalid_argument').message).toBe(
      'mapper [price] cannot be changed from type [long] to [text]',
    )
    expect(failure(() => mergeMapping(current(), parse({ properties: { user: { type: 'keyword' } } })), 'invalid_argument').message).toMatch(
      /non object mapping \[user\]/,
    )
    expect(failure(() => mergeMapping(current(), parse({ properties: { 'user.name': { type: 'long' } } })), 'invalid_argument').message).toBe(
      'mapper [user.name] cannot be changed from type [keyword] to [long]',
    )
  })

  it('refuses changes to parameters ES cannot update; leaving one out means its default', () => {
    const conflict = (properties: Record<string, unknown>) => failure(() => mergeMapping(current(), parse({ properties })), 'invalid_argument').message
    expect(conflict({ title: { type: 'text', analyzer: 'whitespace', search_analyzer: 'standard' } })).toBe(
      'Mapper for [title] conflicts with existing mapper:\n\tCannot update parameter [analyzer] from [english] to [whitespace]',
    )
    expect(conflict({ title: { type: 'text' } })).toMatch(/Cannot update parameter \[analyzer\] from \[english\] to \[default\]/)
    expect(conflict({ title: { type: 'text', analyzer: 'english', similarity: 'my_bm25' } })).toMatch(
      /Cannot update parameter \[similarity\] from \[null\] to \[my_bm25\]/,
    )
    expect(conflict({ price: { type: 'long', index: false } })).toMatch(/Cannot update parameter \[index\] from \[true\] to \[false\]/)
    expect(conflict({ price: { type: 'long', doc_values: false } })).toMatch(/\[doc_values\] from \[true\] to \[false\]/)
    expect(conflict({ price: { type: 'long', null_value: 0 } })).toMatch(/\[null_value\] from \[null\] to \[0\]/)
    expect(conflict({ when: { type: 'date' } })).toMatch(/\[format\] from \[yyyy-MM-dd\] to \[strict_date_optional_time\|\|epoch_millis\]/)
    expect(conflict({ user: { type: 'object', enabled: false } })).toBe("the [enabled] parameter can't be updated for the object mapping [user]")
    const cur = parse({ properties: { p: { type: 'scaled_float', scaling_factor: 10 } } })
    expect(failure(() => mergeMapping(cur, parse({ properties: { p: { type: 'scaled_float', scaling_factor: 100 } } })), 'invalid_argument').message).toMatch(
      /\[scaling_factor\] from \[10\] to \[100\]/,
    )
  })

  it('refuses changing index_options or position_increment_gap, comparing ES defaults by value', () => {
    const cur = parse({ properties: { t: { type: 'text' }, d: { type: 'text', index_options: 'docs', position_increment_gap: 100 }, g: { type: 'text', position_increment_gap: 5 } } })
    const conflict = (properties: Record<string, unknown>) => failure(() => mergeMapping(cur, parse({ properties })), 'invalid_argument').message
    expect(conflict({ t: { type: 'text', index_options: 'docs' } })).toBe(
      'Mapper for [t] conflicts with existing mapper:\n\tCannot update parameter [index_options] from [positions] to [docs]',
    )
    expect(conflict({ t: { type: 'text', index_options: 'offsets' } })).toMatch(/\[index_options\] from \[positions\] to \[offsets\]/)
    expect(conflict({ d: { type: 'text' } })).toMatch(/\[index_options\] from \[docs\] to \[positions\]/)
    expect(conflict({ t: { type: 'text', position_increment_gap: 10 } })).toMatch(/\[position_increment_gap\] from \[100\] to \[10\]/)
    expect(conflict({ g: { type: 'text' } })).toMatch(/\[position_increment_gap\] from \[5\] to \[100\]/)
    const same = { t: { type: 'text', index_options: 'positions', position_increment_gap: 100 }, d: { type: 'text', index_options: 'docs' }, g: { type: 'text', position_increment_gap: '5' } }
    expect(mergeMapping(cur, parse({ properties: same }))).toEqual(cur)
  })

  it('updates updatable parameters: search_analyzer, ignore_above, coerce, dynamic', () => {
    const merged = mergeMapping(
      current(),
      parse({
        dynamic: true,
        properties: {
          title: { type: 'text', analyzer: 'english', search_analyzer: 'whitespace' },
          tag: { type: 'keyword', ignore_above: 50 },
          price: { type: 'long', coerce: false },
          user: { dynamic: 'strict', properties: {} },
        },
      }),
    )
    expect(merged.dynamic).toBe(true)
    expect(mappingToJson(merged)).toMatchObject({
      dynamic: 'true',
      properties: {
        title: { type: 'text', analyzer: 'english', search_analyzer: 'whitespace' },
        tag: { type: 'keyword', ignore_above: 50 },
        price: { type: 'long', coerce: false },
        user: { dynamic: 'strict', properties: { name: { type: 'keyword' } } },
      },
    })
  })

  it('adds multi-fields and keeps existing ones', () => {
    const cur = parse({ properties: { title: { type: 'text', fields: { raw: { type: 'keyword' } } } } })
    const merged = mergeMapping(cur, parse({ properties: { title: { type: 'text', fields: { en: { type: 'text', analyzer: 'english' } } } } }))
    expect(mappingToJson(merged).properties).toEqual({
      title: { type: 'text', fields: { en: { type: 'text', analyzer: 'english' }, raw: { type: 'keyword' } } },
    })
    expect(failure(() => mergeMapping(cur, parse({ properties: { title: { type: 'text', fields: { raw: { type: 'long' } } } } })), 'invalid_argument').message).toBe(
      'mapper [title.raw] cannot be changed from type [keyword] to [long]',
    )
  })

  it('changes date_detection and _meta only when given', () => {
    const cur = parse({ date_detection: false, _meta: { v: 1 } })
    expect(mergeMapping(cur, parse({})).dateDetection).toBe(false)
    expect(mergeMapping(cur, parse({ date_detection: true })).dateDetection).toBe(true)
    expect(mergeMapping(cur, parse({ _meta: { v: 2 } })).meta).toEqual({ v: 2 })
    expect(mergeMapping(cur, parse({})).meta).toEqual({ v: 1 })
  })

  it('enforces the total fields limit on the result', () => {
    const limits = { totalFields: 3, depth: 20 }
    const cur = parseMapping({ properties: { a: { type: 'keyword' }, b: { type: 'keyword' } } }, ANALYZERS, SIMILARITIES, limits)
    const upd = parseMapping({ properties: { c: { type: 'keyword' }, d: { type: 'keyword' } } }, ANALYZERS, SIMILARITIES, limits)
    expect(failure(() => mergeMapping(cur, upd, limits), 'invalid_argument').message).toBe('Limit of total fields [3] has been exceeded')
  })
})
