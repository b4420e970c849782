import { describe, expect, it } from 'vitest'
import { exactTerm, presenceTerm, Schema, type SchemaDocument } from '../../src/engine/schema.js'
import { sparseTerm, textTerm } from '../../src/storage/index-state.js'
import { failure } from '../mapping/helpers.js'

// Expected positions are worked out by hand from Lucene's IndexingChain: a field starts at -1, each
// token adds its increment, and after each value the position moves by the value's end increment
// (trailing removed tokens) and then by the gap.

const schema = Schema.parse({
  mappings: {
    properties: {
      body: { type: 'text' },
      stop: { type: 'text', analyzer: 'stop' },
      gap5: { type: 'text', position_increment_gap: 5 },
      custom: { type: 'text', analyzer: 'gap3' },
      custom0: { type: 'text', analyzer: 'gap3', position_increment_gap: 0 },
      folded: { type: 'text', analyzer: 'folded' },
      ids: { type: 'text', index_options: 'docs' },
      counts: { type: 'text', index_options: 'freqs' },
      offsets: { type: 'text', index_options: 'offsets' },
      hidden: { type: 'text', index: false },
      huge: { type: 'text', position_increment_gap: 2_147_483_518 },
      tag: { type: 'keyword' },
      vec: { type: 'rank_features' },
    },
  },
  analysis: {
    analyzer: {
      gap3: { type: 'custom', tokenizer: 'whitespace', position_increment_gap: 3 },
      folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'keep'] },
    },
    filter: { keep: { type: 'asciifolding', preserve_original: true } },
  },
})

const mapped = (source: Record<string, unknown>): SchemaDocument => schema.document(source, '1').doc

/** The text terms of field `path`: token -> [term frequency value, positions or undefined]. */
function textTerms(doc: SchemaDocument, path: string): Record<string, [number, number[] | undefined]> {
  const out: Record<string, [number, number[] | undefined]> = {}
  const prefix = textTerm(path, '')
  doc.terms.forEach((term, i) => {
    if (term.startsWith(prefix)) out[term.slice(prefix.length)] = [doc.values[i], doc.positions[i] && [...doc.positions[i]!]]
  })
  return out
}

describe('Schema.document positions', () => {
  it('gives each token of one value its positions, as many as its frequency', () => {
    const doc = mapped({ body: 'The cat saw the dog' })
    expect(textTerms(doc, 'body')).toEqual({ the: [2, [0, 3]], cat: [1, [1]], saw: [1, [2]], dog: [1, [4]] })
    expect(doc.fieldLengths.body).toBe(5)
    expect(doc.positions).toHaveLength(doc.terms.length)
    for (const [i, positions] of doc.positions.entries()) if (positions) expect(positions).toHaveLength(doc.values[i])
  })

  it('puts the next value of a multi-valued field the gap after the previous one: n - 1 + gap + 1', () => {
    expect(textTerms(mapped({ body: ['a b', 'c', 'b'] }), 'body')).toEqual({ a: [1, [0]], b: [2, [1, 203]], c: [1, [102]] })
    expect(textTerms(mapped({ gap5: ['a b', 'c'] }), 'gap5')).toEqual({ a: [1, [0]], b: [1, [1]], c: [1, [7]] })
    // A custom analyzer's gap, unless the field sets its own.
    expect(textTerms(mapped({ custom: ['a b', 'c'] }), 'custom')).toEqual({ a: [1, [0]], b: [1, [1]], c: [1, [5]] })
    expect(textTerms(mapped({ custom0: ['a b', 'c'] }), 'custom0')).toEqual({ a: [1, [0]], b: [1, [1]], c: [1, [2]] })
    // A value without tokens still moves the next one by the gap.
    expect(textTerms(mapped({ body: ['a', '', 'b'] }), 'body')).toEqual({ a: [1, [0]], b: [1, [201]] })
  })

  it('leaves the gaps of removed stop words, trailing ones included, across values', () => {
    // fox@1; end 1 (+100) -> 101; fox@102, the removed: end 103 (+100) -> 203; dog@204.
    const doc = mapped({ stop: ['the fox', 'fox the', 'dog'] })
    expect(textTerms(doc, 'stop')).toEqual({ fox: [2, [1, 102]], dog: [1, [204]] })
    expect(doc.fieldLengths.stop).toBe(3)
  })

  it('counts stacked tokens once in the field length', () => {
    const doc = mapped({ folded: 'Café café' })
    expect(textTerms(doc, 'folded')).toEqual({ cafe: [2, [0, 1]], café: [2, [0, 1]] })
    expect(doc.fieldLengths.folded).toBe(2)
  })

  it('index_options: docs scores frequency 1 without positions, freqs keeps frequencies, offsets keeps positions', () => {
    const doc = mapped({ ids: 'a a b', counts: 'a a b', offsets: 'a a b' })
    expect(textTerms(doc, 'ids')).toEqual({ a: [1, undefined], b: [1, undefined] })
    expect(textTerms(doc, 'counts')).toEqual({ a: [2, undefined], b: [1, undefined] })
    expect(textTerms(doc, 'offsets')).toEqual({ a: [2, [0, 1]], b: [1, [2]] })
    expect([doc.fieldLengths.ids, doc.fieldLengths.counts, doc.fieldLengths.offsets]).toEqual([3, 3, 3])
  })

  it('gives no positions to exact, presence and learned-sparse terms; a dynamic text field has positions', () => {
    const doc = mapped({ tag: 'x', body: 'word', vec: { w: 1.5 }, extra: 'new words' })
    expect(doc.positions).toHaveLength(doc.terms.length)
    const positionsOf = (term: string) => {
      expect(doc.terms).toContain(term)
      return doc.positions[doc.terms.indexOf(term)]
    }
    for (const term of [exactTerm('tag', 'x'), presenceTerm('tag'), presenceTerm('body'), sparseTerm('vec', 'w'), exactTerm('extra.keyword', 'new words')]) {
      expect(positionsOf(term)).toBeUndefined()
    }
    expect(textTerms(doc, 'extra')).toEqual({ new: [1, [0]], words: [1, [1]] })
  })

  it('refuses a position past Lucene\'s MAX_POSITION (2147483519), as Lucene does', () => {
    expect(textTerms(mapped({ huge: ['a', 'b'] }), 'huge')).toEqual({ a: [1, [0]], b: [1, [2_147_483_519]] })
    expect(failure(() => mapped({ huge: ['a b', 'c'] }), 'invalid_argument').message).toBe(
      "position 2147483520 is too large for field 'huge': max allowed position is 2147483519",
    )
  })
})

describe('Schema.hasPositions', () => {
  it('is true for indexed text fields with positions or offsets, false otherwise', () => {
    const paths = ['body', 'offsets', 'ids', 'counts', 'hidden', 'tag', 'missing']
    expect(paths.map((path) => schema.hasPositions(path))).toEqual([true, true, false, false, false, false, false])
  })
})
