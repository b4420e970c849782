/**
 * What the query compiler reads of an index, as of one consistent moment: the schema and encoder,
 * the term spaces of fields, and document sets as roaring bitmaps.
 * @module
 */
import type { Encoder } from '../../encode/encoder.js'
import { LsrError } from '../../errors.js'
import type { Searcher } from '../../search/searcher.js'
import type { IndexState } from '../../storage/index-state.js'
import { textTerm } from '../../storage/index-state.js'
import { searchSorted } from '../../storage/binary-search.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { Json } from '../json-shapes.js'
import { globMatcher, MAX_PATTERN_LENGTH } from '../glob.js'
import { exactTerm, presenceTerm, type Schema } from '../schema.js'

/** Fields that name the encoder field (title + text as one field) in an index with an encoder. */
export const ENCODER_FIELD_NAMES: readonly string[] = ['title', 'text']

/** Parses `query_string`/`simple_query_string` bodies into query DSL (supplied by the caller's layer). */
export type QueryStringParser = (type: string, body: Json, defaultFields: string[]) => unknown

/** A field of a multi-field query with its boost. */
export interface BoostedField {
  field: string
  boost: number
}

export class QueryContext {
  constructor(
    private readonly state: IndexState,
    private readonly searcher: Searcher,
    readonly schema: Schema | undefined,
    readonly encoder: Encoder | undefined,
    private readonly queryString: QueryStringParser | undefined,
    /** The time `now` means in date math, epoch milliseconds. */
    readonly now: number,
  ) {}

  isEncoderField(field: string): boolean {
    return this.encoder !== undefined && ENCODER_FIELD_NAMES.includes(field)
  }

  textTerm = textTerm
  exactTerm = exactTerm
  presenceTerm = presenceTerm

  docsWithAnyTerm(terms: readonly string[]): RoaringBitmap32 {
    return this.searcher.docsWithAnyTerm(terms)
  }

  docsWithIds(ids: readonly string[]): RoaringBitmap32 {
    return this.searcher.docsWithIds(ids)
  }

  allDocs(): RoaringBitmap32 {
    return this.searcher.allDocs()
  }

  /** Live documents with a numeric value of `path` in the range. */
  numericRange(path: string, from: number, fromInclusive: boolean, to: number, toInclusive: boolean): RoaringBitmap32 {
    const column = this.state.columns.get(path)
    if (!column || column.kind !== 'number') return new RoaringBitmap32()
    return column.range(from, fromInclusive, to, toInclusive).andNotInPlace(this.state.deleted)
  }

  /**
   * Index terms starting with `prefix` that have live documents, at most `limit` (a larger
   * expansion is an error, as Lucene's `indices.query.bool.max_clause_count` for rewrites).
   * `stem` is the field's term prefix (format.ts); the field's terms are sorted once per
   * dictionary size and found by binary search.
   * @param what - the field and prefix as the query names them, for the error
   */
  termsStartingWith(stem: string, prefix: string, limit: number, what: string): string[] {
    const sorted = sortedTermsOf(this.state, stem)
    const start = stem + prefix
    const terms: string[] = []
    for (let i = searchSorted(sorted, start); i < sorted.length && sorted[i].startsWith(start); i++) {
      if (this.state.df[this.state.termIds.get(sorted[i])!] === 0) continue
      if (terms.length === limit) throw new LsrError('too_many_clauses', `${what} expands to more than ${limit} terms`)
      terms.push(sorted[i])
    }
    return terms
  }

  /**
   * The fields a multi-field query names, with boosts: `name^3`, wildcards (`desc*`, `*`) over
   * the mapped text and keyword fields (and the encoder field). The encoder's field names count
   * once. `allTypes`: wildcards match every mapped leaf (for `exists`).
   */
  expandFields(spec: unknown, type: string, allTypes = false): BoostedField[] {
    const list = typeof spec === 'string' ? [spec] : spec
    if (!Array.isArray(list) || list.some((f) => typeof f !== 'string')) throw new LsrError('query_parsing', `[${type}] fields must be an array of strings`)
    const fields = new Map<string, number>()
    const add = (field: string, boost: number) => {
      const key = this.isEncoderField(field) ? 'text' : field
      if (!fields.has(key)) fields.set(key, boost)
      else if (fields.get(key) !== boost && key === 'text') throw new LsrError('invalid_argument', `[${type}] title and text are indexed as one field here: they cannot take different boosts`)
    }
    for (const entry of list as string[]) {
      if (entry.length > MAX_PATTERN_LENGTH) throw new LsrError('invalid_argument', `[${type}] field pattern of ${entry.length} characters: at most ${MAX_PATTERN_LENGTH}`)
      const caret = entry.lastIndexOf('^')
      const name = caret < 0 ? entry : entry.slice(0, caret)
      const boost = caret < 0 ? 1 : Number(entry.slice(caret + 1))
      if (!(boost >= 0) || !Number.isFinite(boost) || name === '') throw new LsrError('query_parsing', `[${type}] field [${entry}]: a boost must follow ^ as a non-negative number`)
      if (!name.includes('*')) {
        add(name, boost)
        continue
      }
      const matches = globMatcher(name)
      if (this.encoder && ENCODER_FIELD_NAMES.some((f) => matches(f))) add('text', boost)
      for (const { path, type: fieldType } of this.schema?.leaves() ?? []) {
        if (matches(path) && (allTypes || fieldType === 'text' || fieldType === 'keyword')) add(path, boost)
      }
    }
    return [...fields].map(([field, boost]) => ({ field, boost }))
  }

  parseQueryString(type: string, body: Json): unknown {
    if (!this.queryString) throw new LsrError('invalid_argument', `[${type}] is not available here`)
    return this.queryString(type, body, this.expandFields(['*'], type).map((f) => (f.boost === 1 ? f.field : `${f.field}^${f.boost}`)))
  }
}

/** Per index state: each field's terms (by term prefix), sorted, for the dictionary size they were read at. */
const sortedTerms = new WeakMap<IndexState, Map<string, { size: number; terms: string[] }>>()

/** The terms of one field (those starting with `stem`), sorted; read again when the dictionary has grown. */
function sortedTermsOf(state: IndexState, stem: string): string[] {
  let byStem = sortedTerms.get(state)
  if (!byStem) sortedTerms.set(state, (byStem = new Map()))
  const cached = byStem.get(stem)
  if (cached?.size === state.terms.length) return cached.terms
  const terms = state.terms.filter((term) => term.startsWith(stem)).sort()
  byStem.set(stem, { size: state.terms.length, terms })
  return terms
}
