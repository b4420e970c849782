/**
 * What the query compiler reads of an index, as of one consistent moment: the schema and encoder,
 * the term spaces of fields, and document sets as roaring bitmaps.
 * @module
 */
import type { Encoder, QueryTerm } from '../../encode/encoder.js'
import { LsrError } from '../../errors.js'
import type { Searcher } from '../../search/searcher.js'
import type { Phrase } from '../../search/phrase.js'
import type { IndexState } from '../../storage/index-state.js'
import { sparseTerm, textTerm } from '../../storage/index-state.js'
import { own } from '../../storage/format.js'
import { bm25Idf } from '../../search/scorers/scored-query.js'
import { searchSorted } from '../../storage/binary-search.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import type { Json } from '../json-shapes.js'
import { globMatcher, MAX_PATTERN_LENGTH } from '../glob.js'
import { exactTerm, presenceTerm, type Schema } from '../schema.js'

/** Fields that name the encoder field (title + text as one field) in an index with an encoder. */
export const ENCODER_FIELD_NAMES: readonly string[] = ['title', 'text']

/** Parses `query_string`/`simple_query_string` bodies into query DSL (supplied by the caller's layer). */
export type QueryStringParser = (type: string, body: Json, defaultFields: string[]) => unknown

/** The query side of a model: inference-free, a tokenizer and an IDF table (or the corpus's). */
export interface QueryModel {
  /** `corpus`: the model has no IDF table; each token weighs its IDF in the field. */
  readonly idf: string
  /** The OpenSearch inference-free analyzer its tokenizer is (`bert-uncased`, `mbert-uncased`), if any. */
  readonly analyzer?: string
  /** Each distinct token of the text with its weight (1 where the IDF comes from the corpus). */
  encodeQuery(text: string): QueryTerm[]
}

/** The models `neural_sparse` query_text may name (a server's models folder), already loaded. */
export interface QueryModels {
  /** The model by id, or undefined when there is none of that id (or it was not loaded). */
  loaded(id: string): QueryModel | undefined
  /** Why a model could not be loaded, when that was tried. */
  problem?(id: string): string | undefined
  /** The model of a field when a query names none (OpenSearch's `neural_query_enricher`). */
  defaultFor?(field: string): string | undefined
}

/** OpenSearch's built-in analyzers of inference-free neural_sparse queries. */
const INFERENCE_FREE_ANALYZERS = ['bert-uncased', 'mbert-uncased']

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
    private readonly models?: QueryModels,
  ) {}

  isEncoderField(field: string): boolean {
    return this.encoder !== undefined && ENCODER_FIELD_NAMES.includes(field)
  }

  textTerm = textTerm
  exactTerm = exactTerm
  sparseTerm = sparseTerm

  /**
   * `neural_sparse` query_text on a learned-sparse field, inference-free: the model's tokens
   * weighted by its IDF table, or, for a model without one, by each token's IDF over the
   * documents that have the field, ln(1 + (N - df + 0.5) / (df + 0.5)) (tokens no document has
   * are left out).
   * @param modelId - the query's `model_id`; absent: the field's default model
   */
  encodeSparseQuery(field: string, text: string, modelId: unknown, analyzer: unknown): QueryTerm[] {
    const id = modelId ?? this.models?.defaultFor?.(field)
    if (analyzer !== undefined && !INFERENCE_FREE_ANALYZERS.includes(analyzer as string)) {
      throw new LsrError('invalid_argument', `[neural_sparse] analyzer [${String(analyzer)}] is not supported (OpenSearch's inference-free analyzers: ${INFERENCE_FREE_ANALYZERS.join(', ')})`)
    }
    // lsr has no tokenizer of its own: an analyzer names the tokenizer of the model that weighs the tokens.
    const needs = analyzer === undefined ? 'a model_id' : `a model whose tokenizer is [${String(analyzer)}] (model_id)`
    if (id === undefined) throw new LsrError('invalid_argument', `[neural_sparse] query_text on field [${field}] needs ${needs} (a model of the server's models folder), or a search pipeline whose neural_query_enricher names a default model`)
    if (typeof id !== 'string') throw new LsrError('query_parsing', '[neural_sparse] model_id must be a string')
    const model = this.models?.loaded(id)
    if (!model) throw new LsrError('invalid_argument', this.models?.problem?.(id) ?? `[neural_sparse] model [${id}] is not a model of this server${this.models ? '' : ' (no models are available here)'}`)
    if (analyzer !== undefined && model.analyzer !== analyzer) {
      throw new LsrError('invalid_argument', `[neural_sparse] analyzer [${String(analyzer)}] is not the tokenizer of model [${id}] (${model.analyzer ?? 'another tokenizer'}): omit analyzer, or name a model with that tokenizer`)
    }
    const terms = model.encodeQuery(text).map(({ term, weight }) => ({ term: sparseTerm(field, term), weight }))
    if (model.idf !== 'corpus') return terms
    const docCount = own(this.state.stats.fields, field)?.docCount ?? 0
    return terms.flatMap(({ term, weight }) => {
      const id = this.state.termIds.get(term)
      const df = id === undefined ? 0 : this.state.df[id]
      return df === 0 ? [] : [{ term, weight: weight * bm25Idf(docCount, df) }]
    })
  }
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
    const terms = this.firstTermsStartingWith(stem, prefix, limit + 1)
    if (terms.length > limit) throw new LsrError('too_many_clauses', `${what} expands to more than ${limit} terms`)
    return terms
  }

  /** The first `limit` index terms in term order starting with `prefix` that have live documents (Lucene's max_expansions). */
  firstTermsStartingWith(stem: string, prefix: string, limit: number): string[] {
    const sorted = sortedTermsOf(this.state, stem)
    const start = stem + prefix
    const terms: string[] = []
    for (let i = searchSorted(sorted, start); i < sorted.length && sorted[i].startsWith(start) && terms.length < limit; i++) {
      if (this.state.df[this.state.termIds.get(sorted[i])!] !== 0) terms.push(sorted[i])
    }
    return terms
  }

  /** Live documents holding the phrase (a new bitmap: the caller may change it). */
  phraseDocs(phrase: Phrase): RoaringBitmap32 {
    return phrase.matches(this.state).bitmap.clone()
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
