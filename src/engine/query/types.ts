/**
 * Types of the query DSL and `sort` that `SparseIndex.search` and `IndexReader.search` take: the
 * subset of Elasticsearch's that compile.ts and sort.ts run, option for option, so that a
 * misspelled option or an unsupported query type is a type error rather than an error at search time.
 *
 * They describe what a TypeScript caller writes. JSON read at run time (the HTTP server's bodies)
 * stays `unknown`, is cast (`json as Query`) where it enters a typed body, and is checked by the
 * compiler, which names what it refuses. A few rules the types cannot state are checked there
 * only: a field-keyed query (`match`, `term`, `range`...) names exactly one field, `neural_sparse`
 * `two_phase` applies at the top level only, and values must suit the field's mapped type (a
 * `range` on a keyword field is refused). Annotate variables (`const sort: Sort = [{price: 'asc'}]`):
 * without a type, TypeScript widens `'asc'` to `string`.
 *
 * @example
 * const query: Query = {
 *   bool: {
 *     must: { multi_match: { query: 'red shoes', fields: ['name^3', 'description'] } },
 *     filter: [{ term: { brand: 'acme' } }, { range: { price: { lte: 50 } } }],
 *   },
 * }
 * const sort: Sort = [{ price: { order: 'asc', missing: '_last' } }, '_score']
 * await index.search({ query, sort, size: 20 })
 * @module
 */

/** A value as a field query reads it: a string, a number or a boolean (read as the field's mapped type reads it). */
export type FieldValue = string | number | boolean

/** How many of a query's terms (or a bool's `should` clauses) must match: `2`, `-1` (all but one), `"75%"`, `"-25%"`. */
export type MinimumShouldMatch = number | `${number}` | `${number}%`

/** Whether any (`or`) or every (`and`) term of a match query's text must match. */
export type MatchOperator = 'or' | 'and' | 'OR' | 'AND'

/** What a match query whose text analyzes to no terms matches: nothing (`none`) or every document (`all`). */
export type ZeroTermsQuery = 'none' | 'all'

/**
 * Field-keyed query bodies that also take a `boost` beside the field (`{tags: ['a', 'b'], boost: 2}`):
 * without `boost`, every key is a field holding `V`.
 */
export type FieldsWithBoost<V> = { [field: string]: V } | ({ boost: number } & { [field: string]: V | number })

/** Options of a `match` query on one field. */
export interface MatchOptions {
  /** The text (analyzed for a text field; an exact value for keyword, numeric, date and boolean fields). */
  query: FieldValue
  /** @default 'or' */
  operator?: MatchOperator
  /** With `operator: 'or'`: how many of the terms must match. @default 1 */
  minimum_should_match?: MinimumShouldMatch
  /** A search analyzer by name, instead of the field's (text fields only). */
  analyzer?: string
  /** Multiplies the score. @default 1 */
  boost?: number
  /** @default 'none' */
  zero_terms_query?: ZeroTermsQuery
}

/** `match`: one field's text, `{title: 'red shoes'}` or `{title: {query: 'red shoes', operator: 'and'}}`. */
export type MatchQuery = Record<string, FieldValue | MatchOptions>

interface MultiMatchCommon {
  /** The text searched in every field. */
  query: FieldValue
  /** Field names with optional boosts and wildcards: `['name^3', 'desc*']`. @default ['*'] (every text and keyword field) */
  fields?: string | readonly string[]
  /** A search analyzer by name, for every text field. */
  analyzer?: string
  /** @default 1 */
  boost?: number
  /** @default 'none' */
  zero_terms_query?: ZeroTermsQuery
}

/** How the terms of a best_fields or most_fields multi_match must match in each field. */
interface MultiMatchTerms {
  /** @default 'or' */
  operator?: MatchOperator
  minimum_should_match?: MinimumShouldMatch
}

/**
 * `multi_match`: the text against several fields, scored by the best field (`best_fields`, plus
 * `tie_breaker` times the others), the sum of them all (`most_fields`, which takes no tie
 * breaker), or as a phrase in each field, scored by the best field (`phrase`, `phrase_prefix`).
 */
export type MultiMatchQuery = MultiMatchCommon & (
  | (MultiMatchTerms & {
    /** @default 'best_fields' */
    type?: 'best_fields'
    /** The weight, in [0, 1], of the other fields' scores. @default 0 */
    tie_breaker?: number
  })
  | (MultiMatchTerms & { type: 'most_fields'; tie_breaker?: never })
  | (MultiMatchPhrase & { type: 'phrase' })
  | (MultiMatchPhrase & { type: 'phrase_prefix'; max_expansions?: number })
)

/** Options of a phrase multi_match. */
interface MultiMatchPhrase {
  /** The weight, in [0, 1], of the other fields' scores. @default 0 */
  tie_breaker?: number
  /** @default 0 */
  slop?: number
  /** Leave out fields indexed without positions instead of refusing the query. @default true when `fields` is `*`, else false */
  lenient?: boolean
}

/** Options of a `match_phrase` query on one field. */
export interface MatchPhraseOptions {
  /** The text, analyzed with positions (a removed stop word leaves a gap the document must have too). */
  query: FieldValue
  /** How many position moves the words may be apart or out of order (out of order costs 2 per swap). @default 0 */
  slop?: number
  /** A search analyzer by name, instead of the field's. */
  analyzer?: string
  /** @default 1 */
  boost?: number
  /** @default 'none' */
  zero_terms_query?: ZeroTermsQuery
}

/** `match_phrase`: the words of the text in order on one text field, `{title: 'red shoes'}` or `{title: {query, slop}}`. */
export type MatchPhraseQuery = Record<string, FieldValue | MatchPhraseOptions>

/** Options of a `match_phrase_prefix` query: a phrase whose last word is a prefix. */
export interface MatchPhrasePrefixOptions extends MatchPhraseOptions {
  /** How many index terms (in term order) the last word expands to. @default 50 */
  max_expansions?: number
}

/** `match_phrase_prefix`: as you type, `{title: 'red sh'}`. */
export type MatchPhrasePrefixQuery = Record<string, FieldValue | MatchPhrasePrefixOptions>

/** Options of a `term` query on one field. */
export interface TermOptions {
  value: FieldValue
  /** @default 1 */
  boost?: number
  /** Only `false` (case-insensitive matching is not supported). */
  case_insensitive?: false
}

/** `term`: documents holding an exact value, `{status: 'published'}` or `{status: {value: 'published', boost: 2}}`. */
export type TermQuery = Record<string, FieldValue | TermOptions>

/** `terms`: documents holding any of the values of one field, `{tags: ['a', 'b']}`, with an optional `boost`. */
export type TermsQuery = FieldsWithBoost<readonly FieldValue[]>

/** A bound of a range: a number, a date string (date math such as `now-1d/d` included) or a boolean; null: unbounded. */
export type RangeBound = string | number | boolean | null

/** The bounds and options of a `range` query on one field: at most one lower (`gt`/`gte`) and one upper (`lt`/`lte`) bound. */
export type RangeOptions = {
  /** The date format of the bounds (date fields), instead of the field's. */
  format?: string
  /** The time zone of date bounds without one, as `+01:00` or `Europe/Paris` (date fields). */
  time_zone?: string
  /** @default 1 */
  boost?: number
  /** Only `intersects`, the default (lsr has no range fields). */
  relation?: 'intersects' | 'INTERSECTS'
}
  & ({ gt?: RangeBound; gte?: never } | { gte?: RangeBound; gt?: never })
  & ({ lt?: RangeBound; lte?: never } | { lte?: RangeBound; lt?: never })

/** `range`: numeric, date and boolean values in a range, `{price: {gte: 10, lt: 20}}`. */
export type RangeQuery = Record<string, RangeOptions>

/** `exists`: documents with a value of the field (or, for an object's name, of one of its sub-fields; wildcards allowed). */
export interface ExistsQuery {
  field: string
  /** @default 1 */
  boost?: number
}

/** Options of a `prefix` query on one field. */
export interface PrefixOptions {
  value: string
  /** @default 1 */
  boost?: number
  /** Only `false` (case-insensitive matching is not supported). */
  case_insensitive?: false
}

/** `prefix`: keyword values (or text tokens) starting with the prefix, `{sku: 'AB-'}`. */
export type PrefixQuery = FieldsWithBoost<string | PrefixOptions>

/** `ids`: the documents with these ids. */
export interface IdsQuery {
  values: ReadonlyArray<string | number>
  /** @default 1 */
  boost?: number
}

/** `match_all` / `match_none`: every document (scoring its boost) / none. */
export interface MatchAllQuery {
  /** @default 1 */
  boost?: number
}

/** One query or several (a bool clause takes either). */
export type Queries = Query | readonly Query[]

/** `bool`: matches every `must` and `filter` clause and no `must_not` one; scores `must` and `should` clauses. */
export interface BoolQuery {
  must?: Queries
  /** Scored; without `must` or `filter`, at least one must match. */
  should?: Queries
  /** Must match, not scored. */
  filter?: Queries
  must_not?: Queries
  /** @default 1 */
  boost?: number
  /** How many `should` clauses must match. @default 1 without `must` or `filter`, else 0 */
  minimum_should_match?: MinimumShouldMatch
}

/** `constant_score`: the filter's matches, each scoring the boost. */
export interface ConstantScoreQuery {
  filter: Query
  /** @default 1 */
  boost?: number
}

/** `dis_max`: the best of term-scored queries (`match`, `term`, `neural_sparse`...) plus `tie_breaker` times the others. */
export interface DisMaxQuery {
  queries: readonly Query[]
  /** In [0, 1]. @default 0 */
  tie_breaker?: number
  /** @default 1 */
  boost?: number
}

/**
 * `query_string`: Lucene query syntax (`title:(red shoes) -brand:acme^2`). It needs a parser: the
 * HTTP server supplies one; a library caller passes one as `CompileOptions.queryString`. (lsr's
 * parser refuses `simple_query_string`, whose syntax differs: it has no type here.)
 */
export type QueryStringQuery = {
  query: string
  /** @default 'OR' */
  default_operator?: MatchOperator
  /** @default 1 */
  boost?: number
} & ({ default_field?: string; fields?: never } | { fields?: readonly string[]; default_field?: never })

/** OpenSearch's two-phase search of a top-level `neural_sparse` query: low-weight terms only rescore the best candidates. */
export interface NeuralSparseTwoPhase {
  prune_ratio?: number
  expansion_rate?: number
  max_window_size?: number
}

/**
 * A `neural_sparse` query: text encoded inference-free (a model's tokenizer and IDF table: the
 * index's encoder on the encoder field, `model_id` on a rank_features/sparse_vector field), or
 * tokens already weighted (positive weights).
 */
export type NeuralSparseOptions = {
  /** @default 1 */
  boost?: number
  /** Top-level queries only. Deprecated: use a search pipeline's neural_sparse_two_phase_processor. */
  two_phase?: NeuralSparseTwoPhase
  /** Accepted and without effect, as OpenSearch documents it. */
  max_token_score?: number
} & (
  | { query_text: string; query_tokens?: never; /** A model of the models given to the search (learned-sparse fields). */ model_id?: string }
  | { query_tokens: Record<string, number>; query_text?: never; model_id?: never }
)

/**
 * `neural_sparse`: one field, the encoder field (named `text` or `title`: they are one field) of
 * an index with an encoder, or a learned-sparse field.
 */
export type NeuralSparseQuery = Record<string, NeuralSparseOptions>

/** Elasticsearch 8's `sparse_vector` query on a learned-sparse field: the same dot product as neural_sparse. */
export type SparseVectorQuery = {
  field: string
  /** @default 1 */
  boost?: number
} & ({ query_vector: Record<string, number>; inference_id?: never; query?: never } | { inference_id: string; query: string; query_vector?: never })

/** `hybrid` (top level only): sub-queries fused by the search's pipeline (`searchPipeline`). */
export interface HybridQueryBody {
  /** 1 to 5 sub-queries. */
  queries: Query[]
  /** A filter every sub-query gets. */
  filter?: Query
  /** Results kept per sub-query. @default size (needed when from > 0) */
  pagination_depth?: number
}

/** Every query type lsr runs, with the body it takes. */
export interface QueryTypes {
  match: MatchQuery
  match_phrase: MatchPhraseQuery
  match_phrase_prefix: MatchPhrasePrefixQuery
  multi_match: MultiMatchQuery
  term: TermQuery
  terms: TermsQuery
  range: RangeQuery
  exists: ExistsQuery
  prefix: PrefixQuery
  ids: IdsQuery
  match_all: MatchAllQuery
  match_none: MatchAllQuery
  bool: BoolQuery
  constant_score: ConstantScoreQuery
  dis_max: DisMaxQuery
  query_string: QueryStringQuery
  neural_sparse: NeuralSparseQuery
  sparse_vector: SparseVectorQuery
  hybrid: HybridQueryBody
}

/** The name of a query type: `'match'`, `'bool'`... */
export type QueryType = keyof QueryTypes

/**
 * A query: an object with exactly one query type (`{match: {...}}`, `{bool: {...}}`...). The other
 * types are typed `never` so that an object naming two of them is a type error, as it is refused.
 */
export type Query = { [T in QueryType]: { [K in T]: QueryTypes[K] } & { [K in Exclude<QueryType, T>]?: never } }[QueryType]

/** A sort order. */
export type SortOrder = 'asc' | 'desc'

/** Options of a field sort. */
export interface SortOptions {
  /** @default 'asc' ('desc' for `_score`) */
  order?: SortOrder
  /** Where documents without a value go. @default '_last' */
  missing?: '_first' | '_last'
  /** Which value of a multi-valued field sorts. @default 'min' ascending, 'max' descending */
  mode?: 'min' | 'max'
  /** Allows sorting on an unmapped field (no document has a value); the type is not read. */
  unmapped_type?: string
}

/** One sort key: a field name, `_score` or `_doc`, alone (default order) or with an order or options. */
export type SortEntry =
  | string
  | {
    _score?: SortOrder | { order?: SortOrder }
    _doc?: SortOrder | { order?: SortOrder }
    [field: string]: SortOrder | SortOptions | undefined
  }

/**
 * `sort`: one key or several, the first deciding: `[{price: 'asc'}, '_score']`. (Mutable arrays are
 * listed beside readonly ones so that a type error names the entry at fault.)
 */
export type Sort = SortEntry | SortEntry[] | readonly SortEntry[]

/** A `search_after` value: a sort value of the last hit of the previous page (a hit's `sort`). */
export type SearchAfterValue = number | string | boolean | null
