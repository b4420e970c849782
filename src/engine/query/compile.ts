/**
 * Compiles the Elasticsearch/OpenSearch query DSL into a {@link SearchRequest} against one
 * consistent view of an index: scored terms (summed, as a bool query adds its clauses), dis_max
 * blocks (multi_match `best_fields`/`most_fields`, `dis_max`), a constant score, and exact filters
 * as roaring bitmaps. Anything outside the supported subset is an error naming it: never ignored.
 *
 * Scoring as Elasticsearch: text fields with BM25 per field; `term`/`terms`/`range`/`exists`/
 * `prefix`/`ids`/`match_all` and `constant_score` give a constant (their boost) where they are
 * scored. (Elasticsearch scores a `term` query on a keyword field with BM25 idf; lsr gives it its
 * boost, as Elasticsearch does for numeric, date and `terms` queries.)
 * @module
 */
import type { QueryTerm } from '../../encode/encoder.js'
import { LsrError } from '../../errors.js'
import type { TwoPhase, SearchRequest, SearchTerm } from '../../search/searcher.js'
import { Phrase, type PhrasePosition } from '../../search/phrase.js'
import { RoaringBitmap32 } from '../../storage/roaring.js'
import { isObject, type Json } from '../json-shapes.js'
import type { QueryContext } from './context.js'
import { exactValue, rangeBitmap } from './values.js'
import { isSparse } from '../../mapping/index.js'

/**
 * Deepest nesting of queries (a bool inside a bool, ...): Elasticsearch's
 * `indices.query.bool.max_nested_depth`, 30 since 8.7 (20 before), against stack overflows.
 */
export const MAX_QUERY_DEPTH = 30
/** Scored terms of one query: OpenSearch's `indices.query.bool.max_clause_count` default. */
export const MAX_CLAUSE_COUNT = 1024
/** Values of one `terms` query: Elasticsearch's `index.max_terms_count` default. */
const MAX_TERMS_COUNT = 65_536
/** Keyword terms a `prefix` query may expand to (Lucene rewrites to a bitmap of any size; this bounds the work). */
const MAX_PREFIX_TERMS = 65_536

/** Elasticsearch queries lsr does not run: an error that says so, not "unknown query". */
const UNSUPPORTED_QUERIES = new Set([
  'fuzzy', 'regexp', 'wildcard', 'terms_set', 'more_like_this', 'script', 'script_score', 'function_score', 'boosting',
  'nested', 'has_child', 'has_parent', 'parent_id', 'geo_distance', 'geo_bounding_box', 'geo_polygon', 'geo_shape',
  'shape', 'rank_feature', 'distance_feature', 'percolate', 'combined_fields', 'pinned', 'wrapper', 'knn',
  'span_term', 'span_or', 'span_not', 'span_first', 'span_containing', 'span_within', 'span_multi', 'field_masking_span',
  'neural', 'text_expansion', 'semantic', 'match_bool_prefix', 'span_near', 'intervals',
])

/** One dis_max block: the best group's score plus the tie breaker times the others'. */
interface DisMaxBlock {
  groups: Array<{ terms: SearchTerm[]; docs?: RoaringBitmap32 }>
  tieBreaker: number
}

/** One compiled clause. */
interface Clause {
  /** Scored terms and phrases, summed. */
  terms: SearchTerm[]
  disMax: DisMaxBlock[]
  /** Documents matching the clause (what it means as a filter). */
  docs: () => RoaringBitmap32
  /** Score every match gets (constant-score clauses), added to the terms' scores. */
  constant: number
  /** Every match contains one of the scored terms (so the matches are found from their postings). */
  covered: boolean
  /** The matches are exactly the documents containing a scored term (no filter needed). */
  exact: boolean
  twoPhase?: TwoPhase
  /**
   * Why the clause's score cannot be computed (a bool whose should clauses score a constant); it
   * still works as a filter (`filter`, `must_not`, `constant_score`), and is thrown where its score is needed.
   */
  unscorable?: LsrError
}

/** The phrase queries: Elasticsearch's query types and multi_match types. */
type PhraseType = 'match_phrase' | 'match_phrase_prefix' | 'phrase' | 'phrase_prefix'

export const parsing = (message: string) => new LsrError('query_parsing', message)
const tooManyClauses = (count: number) => new LsrError('too_many_clauses', `Query contains too many scored terms: ${count}; maxClauseCount is set to ${MAX_CLAUSE_COUNT}`)
export const unsupported = (message: string) => new LsrError('invalid_argument', message)

/**
 * Scored terms an entry counts for the clause limit: exact-value terms none (filters that score a
 * constant, as a terms query is one clause), a phrase each of its terms (as Lucene 9 counts the
 * terms a query visits).
 */
function scoredTerms({ term, phrase }: SearchTerm): number {
  return phrase ? phrase.allTerms().length : term.charCodeAt(0) === 0 ? 0 : 1
}

/** An integer option that Elasticsearch reads as an int: a number or a numeric string, at least 0. */
function integerOption(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw parsing(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}

/** Splits `{"<type>": body}` into type and body. */
function single(clause: unknown, where: string): [string, unknown] {
  if (!isObject(clause)) throw parsing(`${where} must be an object with one query type`)
  const keys = Object.keys(clause)
  if (keys.length !== 1) throw parsing(`${where} must have exactly one query type, got [${keys.join(', ')}]`)
  return [keys[0], clause[keys[0]]]
}

export function boostOf(body: Json, type: string): number {
  const boost = body.boost ?? 1
  if (typeof boost !== 'number' || !(boost >= 0) || !Number.isFinite(boost)) throw parsing(`[${type}] boost must be a non-negative number`)
  return boost
}

export function allowOnly(body: Json, type: string, keys: readonly string[]): void {
  for (const key of Object.keys(body)) if (!keys.includes(key)) throw parsing(`[${type}] query does not support [${key}]`)
}

function scaled(terms: readonly SearchTerm[], boost: number): SearchTerm[] {
  return boost === 1 ? [...terms] : terms.map((t) => ({ ...t, weight: t.weight * boost }))
}

function scaledBlocks(blocks: readonly DisMaxBlock[], boost: number): DisMaxBlock[] {
  return boost === 1 ? [...blocks] : blocks.map((b) => ({ ...b, groups: b.groups.map((g) => ({ ...g, terms: scaled(g.terms, boost) })) }))
}

/** Adds weights of repeated terms (and phrases): scores are linear in query weights, so summed clauses stay exact. */
function mergeTerms(lists: SearchTerm[][]): SearchTerm[] {
  const merged = new Map<string, SearchTerm>()
  for (const list of lists) {
    for (const entry of list) {
      const seen = merged.get(entry.term)
      merged.set(entry.term, seen ? { ...seen, weight: seen.weight + entry.weight } : { ...entry })
    }
  }
  return [...merged.values()]
}

/** Terms with their frequencies: a term n times in the query weighs n, as in Lucene's BooleanQuery of term clauses. */
function counted(terms: readonly string[]): SearchTerm[] {
  return mergeTerms([terms.map((term) => ({ term, weight: 1 }))])
}

function orAll(bitmaps: RoaringBitmap32[]): RoaringBitmap32 {
  return bitmaps.length === 0 ? new RoaringBitmap32() : RoaringBitmap32.orMany(bitmaps)
}

/**
 * Elasticsearch's `minimum_should_match` for `optional` clauses: an integer (negative: all but),
 * a percentage (rounded down, negative: all but), capped to [0, optional].
 */
export function minimumShouldMatch(spec: unknown, optional: number, where: string): number {
  if (spec === undefined || spec === null) return 0
  let required: number
  const text = String(spec).trim()
  // Integers and integer percentages, as Elasticsearch parses them (1.5 and "12.5%" are errors).
  if (/^-?\d{1,9}$/.test(text) && (typeof spec === 'number' || typeof spec === 'string')) {
    const n = Number(text)
    required = n < 0 ? optional + n : n
  } else if (/^-?\d{1,9}%$/.test(text) && typeof spec === 'string') {
    const percent = Number(text.slice(0, -1))
    const n = Math.floor((optional * Math.abs(percent)) / 100)
    required = percent < 0 ? optional - n : n
  } else {
    throw unsupported(`${where}: minimum_should_match [${text}] is not supported (use an integer or a percentage)`)
  }
  return Math.max(0, Math.min(optional, required))
}

/** Documents in at least `m` of the bitmaps. */
function atLeast(bitmaps: RoaringBitmap32[], m: number): RoaringBitmap32 {
  if (m <= 1) return orAll(bitmaps)
  if (m >= bitmaps.length) return bitmaps.length === 0 ? new RoaringBitmap32() : bitmaps.slice(1).reduce((acc, b) => acc.andInPlace(b), bitmaps[0].clone())
  const counts = new Map<number, number>()
  const result: number[] = []
  for (const bitmap of bitmaps) {
    for (const doc of bitmap) {
      const n = (counts.get(doc) ?? 0) + 1
      counts.set(doc, n)
      if (n === m) result.push(doc)
    }
  }
  return new RoaringBitmap32(result)
}

class Compiler {
  /** Scored terms made so far: a query past the limit stops here, before expanding the rest. */
  #scored = 0

  constructor(private readonly ctx: QueryContext) {}

  /** Counts scored terms (see scoredTerms). */
  #count<T extends { terms: SearchTerm[] }>(made: T): T {
    for (const entry of made.terms) this.#scored += scoredTerms(entry)
    if (this.#scored > MAX_CLAUSE_COUNT) throw tooManyClauses(this.#scored)
    return made
  }

  /** @param depth - 1 for the top-level query, one more inside each compound query */
  clause(clause: unknown, where: string, depth: number): Clause {
    if (depth > MAX_QUERY_DEPTH) {
      throw unsupported(`${where}: the nested depth of the query exceeds the maximum nested depth for queries set in [indices.query.bool.max_nested_depth] ([${MAX_QUERY_DEPTH}])`)
    }
    const [type, body] = single(clause, where)
    switch (type) {
      case 'match':
        return this.match(body)
      case 'multi_match':
        return this.multiMatch(body)
      case 'neural_sparse':
        return this.neuralSparse(body)
      case 'sparse_vector':
        return this.sparseVector(body)
      case 'match_all':
        return this.constant(this.object(body, type), type, [], () => this.ctx.allDocs())
      case 'match_none':
        return this.constant(this.object(body, type), type, [], () => new RoaringBitmap32())
      case 'ids':
        return this.ids(body)
      case 'term':
        return this.term(body)
      case 'terms':
        return this.terms(body)
      case 'range':
        return this.range(body)
      case 'exists':
        return this.exists(body)
      case 'prefix':
        return this.prefix(body)
      case 'bool':
        return this.bool(body, depth)
      case 'constant_score':
        return this.constantScore(body, depth)
      case 'dis_max':
        return this.disMax(body, depth)
      case 'query_string':
      case 'simple_query_string':
        return this.queryString(type, body, depth)
      case 'hybrid':
        throw new LsrError('query_parsing', `${where}: [hybrid] must be the top-level query of a search (not nested in another query, nor in _count or _explain)`)
      case 'match_phrase':
        return this.matchPhrase(body, 'match_phrase')
      case 'match_phrase_prefix':
        return this.matchPhrase(body, 'match_phrase_prefix')
      default:
        if (UNSUPPORTED_QUERIES.has(type)) throw unsupported(`query type [${type}] is not supported by lsr`)
        throw new LsrError('query_parsing', `unknown query [${type}] (supported: match, match_phrase, match_phrase_prefix, multi_match, term, terms, range, exists, prefix, ids, match_all, match_none, bool, constant_score, dis_max, query_string, neural_sparse, sparse_vector, hybrid)`)
    }
  }

  private object(body: unknown, type: string): Json {
    if (body === undefined || body === null) return {}
    if (!isObject(body)) throw parsing(`[${type}] must be an object`)
    return body
  }

  private constant(body: Json, type: string, keys: readonly string[], docs: () => RoaringBitmap32): Clause {
    allowOnly(body, type, ['boost', '_name', ...keys])
    if (body._name !== undefined) throw unsupported(`[${type}] option [_name] (named queries) is not supported`)
    return { terms: [], disMax: [], docs, constant: boostOf(body, type), covered: false, exact: false }
  }

  /** A clause scoring `boost` for every document holding one of the exact terms. */
  private exactTerms(terms: readonly string[], boost: number): Clause {
    const docs = () => this.ctx.docsWithAnyTerm(terms)
    // One term: scored as a constant-weight term; several: the best of them (a document with two
    // values of a `terms` query scores its boost once).
    const entries = terms.map((term) => ({ term, weight: boost }))
    if (entries.length <= 1) return { terms: entries, disMax: [], docs, constant: 0, covered: true, exact: true }
    return { terms: [], disMax: [{ groups: entries.map((e) => ({ terms: [e] })), tieBreaker: 0 }], docs, constant: 0, covered: true, exact: true }
  }

  private none(): Clause {
    return { terms: [], disMax: [], docs: () => new RoaringBitmap32(), constant: 0, covered: false, exact: false }
  }

  /** The scored terms of query text against one field, per Elasticsearch's match query on that field type. */
  private fieldTerms(field: string, text: unknown, analyzer: unknown, type: string): { terms: QueryTerm[]; exact: boolean } {
    return this.#count(this.analyzedTerms(field, text, analyzer, type))
  }

  private analyzedTerms(field: string, text: unknown, analyzer: unknown, type: string): { terms: QueryTerm[]; exact: boolean } {
    if (analyzer !== undefined && typeof analyzer !== 'string') throw parsing(`[${type}] analyzer must be a string`)
    if (this.ctx.isEncoderField(field)) {
      if (analyzer !== undefined) throw unsupported(`[${type}] analyzer on [${field}] is not supported: it is searched through the index's encoder`)
      if (typeof text !== 'string') throw parsing(`[${type}] query must be a string`)
      return { terms: this.ctx.encoder!.encodeQuery(text), exact: false }
    }
    const leaf = this.ctx.schema?.field(field)
    if (!leaf) {
      if (!this.ctx.schema && this.ctx.encoder) {
        // An index made before fields: metadata are exact strings.
        if (text === null || typeof text === 'object') throw parsing(`[${type}] query must be a string, number or boolean`)
        return { terms: [{ term: this.ctx.exactTerm(field, String(text)), weight: 1 }], exact: true }
      }
      return { terms: [], exact: false } // unmapped: matches nothing, as Elasticsearch
    }
    if (!leaf.index) throw unsupported(`Cannot search on field [${field}] since it is not indexed.`)
    if (leaf.type === 'text') {
      if (typeof text !== 'string' && typeof text !== 'number' && typeof text !== 'boolean') throw parsing(`[${type}] query must be a string`)
      const tokens = this.ctx.schema!.searchAnalyzer(field, analyzer as string | undefined)(String(text)).tokens
      return { terms: counted(tokens.map((token) => this.ctx.textTerm(field, token))), exact: false }
    }
    if (analyzer !== undefined) throw unsupported(`[${type}] analyzer applies to text fields; [${field}] is a [${leaf.type}] field`)
    return { terms: [{ term: this.ctx.exactTerm(field, exactValue(leaf, text, field)), weight: 1 }], exact: true }
  }

  /** A match of terms on one field: any term (or `operator: and`, or minimum_should_match of them). */
  private matchTerms(terms: QueryTerm[], exact: boolean, operator: unknown, msm: unknown, zeroTerms: unknown, type: string): Clause {
    if (operator !== undefined && (typeof operator !== 'string' || !['or', 'and'].includes(operator.toLowerCase()))) {
      throw parsing(`[${type}] operator must be "or" or "and", got ${JSON.stringify(operator)}`)
    }
    if (zeroTerms !== undefined && zeroTerms !== 'none' && zeroTerms !== 'all') throw parsing(`[${type}] zero_terms_query must be "none" or "all"`)
    if (terms.length === 0) return zeroTerms === 'all' ? this.constant({}, type, [], () => this.ctx.allDocs()) : this.none()
    if (exact) return this.exactTerms(terms.map((t) => t.term), 1)
    const and = typeof operator === 'string' && operator.toLowerCase() === 'and'
    const required = and ? terms.length : minimumShouldMatch(msm, terms.length, `[${type}]`)
    const docs = () => atLeast(terms.map((t) => this.ctx.docsWithAnyTerm([t.term])), Math.max(required, 1))
    return { terms, disMax: [], docs, constant: 0, covered: true, exact: required <= 1 }
  }

  private match(body: unknown): Clause {
    const [field, spec] = single(body, '[match]')
    const options = isObject(spec) ? spec : { query: spec }
    allowOnly(options, 'match', ['query', 'operator', 'minimum_should_match', 'analyzer', 'boost', 'zero_terms_query'])
    if (options.query === undefined) throw parsing('[match] requires query')
    const { terms, exact } = this.fieldTerms(field, options.query, options.analyzer, 'match')
    const clause = this.matchTerms(terms, exact, options.operator, options.minimum_should_match, options.zero_terms_query, 'match')
    return this.boosted(clause, boostOf(options, 'match'))
  }

  /** `match_phrase` and `match_phrase_prefix` on one field. */
  private matchPhrase(body: unknown, type: PhraseType): Clause {
    const [field, spec] = single(body, `[${type}]`)
    const options = isObject(spec) ? spec : { query: spec }
    allowOnly(options, type, ['query', 'slop', 'analyzer', 'boost', 'zero_terms_query', ...(type === 'match_phrase_prefix' ? ['max_expansions'] : [])])
    if (options.query === undefined) throw parsing(`[${type}] requires query`)
    return this.boosted(this.phraseOn(field, options.query, options, type), boostOf(options, type))
  }

  /**
   * A phrase of query text on one field, as Elasticsearch's match_phrase(_prefix) builds it: the
   * text analyzed with positions (a removed stop word leaves a gap); several positions make a
   * phrase (phrase.ts), the last word of a prefix phrase standing for its expansions (the first
   * max_expansions index terms in term order, Lucene's MultiPhrasePrefixQuery). One position is
   * scored as its terms, as Lucene rewrites a phrase of one position. A field that is not text
   * matches its exact value, as a match query does.
   * @param within - set by a multi_match: `lenient` leaves out a field that cannot run a phrase
   *   (no positions), and text that analyzes to nothing is reported to `noTerms` (the multi_match
   *   applies zero_terms_query over all its fields)
   */
  private phraseOn(field: string, text: unknown, options: Json, type: PhraseType, within?: { lenient: boolean; noTerms: () => void }): Clause {
    const slop = integerOption(options.slop, 0, `[${type}] slop`)
    const maxExpansions = integerOption(options.max_expansions, 50, `[${type}] max_expansions`)
    const zeroTerms = options.zero_terms_query
    if (zeroTerms !== undefined && zeroTerms !== 'none' && zeroTerms !== 'all') throw parsing(`[${type}] zero_terms_query must be "none" or "all"`)
    if (options.analyzer !== undefined && typeof options.analyzer !== 'string') throw parsing(`[${type}] analyzer must be a string`)
    if (typeof text !== 'string' && typeof text !== 'number' && typeof text !== 'boolean') throw parsing(`[${type}] query must be a string`)
    const prefix = type === 'match_phrase_prefix' || type === 'phrase_prefix'
    const lenient = within?.lenient === true
    const noTerms = () => {
      within?.noTerms()
      return within ? this.none() : this.matchTerms([], false, undefined, undefined, zeroTerms, type)
    }
    const withoutPositions = (why: string) => {
      if (lenient) return this.none() // as Elasticsearch's lenient multi_match: the field is left out
      throw unsupported(why)
    }
    if (this.ctx.isEncoderField(field)) {
      if (options.analyzer !== undefined) throw unsupported(`[${type}] analyzer on [${field}] is not supported: it is searched through the index's encoder`)
      const terms = this.ctx.encoder!.encodeQuery(String(text))
      if (terms.length === 0) return noTerms()
      // One word needs no positions: a term query, as Lucene rewrites a phrase of one term.
      if (terms.length === 1 && !prefix) return this.matchTerms(this.#count({ terms }).terms, false, undefined, undefined, undefined, type)
      return withoutPositions(`[${type}] on [${field}]: the encoder field (title + text) holds no positions; map title and text as text fields to run phrase queries`)
    }
    const leaf = this.ctx.schema?.field(field)
    if (leaf?.type !== 'text') {
      const { terms, exact } = this.fieldTerms(field, text, options.analyzer, type)
      return this.matchTerms(terms, exact, undefined, undefined, within ? undefined : zeroTerms, type)
    }
    if (!leaf.index) throw unsupported(`Cannot search on field [${field}] since it is not indexed.`)
    const { tokens, positions } = this.ctx.schema!.searchAnalyzer(field, options.analyzer as string | undefined)(String(text))
    const words: PhrasePosition[] = []
    tokens.forEach((token, i) => {
      const term = this.ctx.textTerm(field, token)
      const last = words[words.length - 1]
      const offset = positions[i] - positions[0]
      if (last?.offset === offset) {
        if (!last.terms.includes(term)) last.terms = [...last.terms, term]
      } else {
        words.push({ offset, terms: [term] })
      }
    })
    if (words.length === 0) return noTerms()
    const shown = () => `${field}:"${tokens.join(' ')}"`
    if (words.length > 1 && !this.ctx.schema!.hasPositions(field)) {
      return withoutPositions(`field:[${field}] was indexed without position data; cannot run PhraseQuery (phrase=${shown()})`)
    }
    if (prefix) {
      const last = words[words.length - 1]
      const stem = this.ctx.textTerm(field, '')
      const expansions = new Set(last.terms.flatMap((term) => this.ctx.firstTermsStartingWith(stem, term.slice(stem.length), maxExpansions)))
      if (expansions.size === 0 || maxExpansions === 0) return this.none()
      last.terms = [...expansions].slice(0, maxExpansions)
    }
    if (words.length === 1) return this.matchTerms(this.#count({ terms: counted(words[0].terms) }).terms, false, undefined, undefined, undefined, type)
    const phrase = new Phrase(field, words, slop)
    const entry: SearchTerm = { term: `\u0003${phrase.key()}`, weight: 1, phrase }
    return this.#count({ terms: [entry], disMax: [], docs: () => this.ctx.phraseDocs(phrase), constant: 0, covered: true, exact: true })
  }

  private boosted(clause: Clause, boost: number): Clause {
    return boost === 1 ? clause : { ...clause, terms: scaled(clause.terms, boost), disMax: scaledBlocks(clause.disMax, boost), constant: clause.constant * boost }
  }

  private multiMatch(body: unknown): Clause {
    if (!isObject(body)) throw parsing('[multi_match] must be an object')
    allowOnly(body, 'multi_match', ['query', 'fields', 'type', 'operator', 'minimum_should_match', 'analyzer', 'boost', 'tie_breaker', 'zero_terms_query', 'slop', 'max_expansions', 'lenient'])
    if (body.query === undefined) throw parsing('[multi_match] requires query')
    if (body.lenient !== undefined && typeof body.lenient !== 'boolean') throw parsing('[multi_match] lenient must be a boolean')
    const type = body.type ?? 'best_fields'
    if (type === 'phrase' || type === 'phrase_prefix') return this.multiMatchPhrase(body, type)
    if (body.lenient === true) throw unsupported(`[multi_match] lenient is supported for types phrase and phrase_prefix (fields without positions are left out), not for [${String(type)}]`)
    for (const key of ['slop', 'max_expansions']) if (body[key] !== undefined) throw parsing(`[multi_match] ${key} applies to types phrase and phrase_prefix, not to [${String(type)}]`)
    if (type === 'bool_prefix') throw unsupported('[multi_match] type [bool_prefix] is not supported')
    if (type === 'cross_fields') throw unsupported('[multi_match] type [cross_fields] is not supported (use best_fields or most_fields)')
    if (type !== 'best_fields' && type !== 'most_fields') throw parsing(`[multi_match] unknown type [${String(type)}]`)
    const tie = body.tie_breaker ?? (type === 'most_fields' ? 1 : 0)
    if (type === 'most_fields' && body.tie_breaker !== undefined) throw unsupported('[multi_match] tie_breaker applies to type best_fields')
    if (typeof tie !== 'number' || !(tie >= 0 && tie <= 1)) throw parsing('[multi_match] tie_breaker must be a number in [0, 1]')
    const fields = this.ctx.expandFields(body.fields === undefined ? ['*'] : body.fields, 'multi_match')
    const groups: DisMaxBlock['groups'] = []
    const docs: RoaringBitmap32[] = []
    const filters = body.operator !== undefined || body.minimum_should_match !== undefined
    let exactAll = true
    for (const { field, boost } of fields) {
      const { terms, exact } = this.fieldTerms(field, body.query, body.analyzer, 'multi_match')
      const clause = this.matchTerms(terms, exact, body.operator, body.minimum_should_match, undefined, 'multi_match')
      if (clause.terms.length === 0 && clause.disMax.length === 0) continue
      const matched = clause.docs()
      docs.push(matched)
      exactAll &&= clause.exact
      groups.push({ terms: scaled(fieldTermsOf(clause), boost), docs: filters ? matched : undefined })
    }
    const boost = boostOf(body, 'multi_match')
    if (groups.length === 0) return body.zero_terms_query === 'all' ? this.constant({}, 'multi_match', [], () => this.ctx.allDocs()) : this.none()
    // One field, or most_fields without per-field matching rules: a plain sum (the top-k algorithms' path).
    const sum = (groups.length === 1 || tie === 1) && !filters
    const clause: Clause = sum
      ? { terms: mergeTerms(groups.map((g) => g.terms)), disMax: [], docs: () => orAll(docs), constant: 0, covered: true, exact: exactAll }
      : { terms: [], disMax: [{ groups, tieBreaker: tie }], docs: () => orAll(docs), constant: 0, covered: true, exact: exactAll && !filters }
    return this.boosted(clause, boost)
  }

  /** multi_match `phrase` / `phrase_prefix`: a phrase per field, the best field's score plus tie_breaker times the others'. */
  private multiMatchPhrase(body: Json, type: 'phrase' | 'phrase_prefix'): Clause {
    for (const key of ['operator', 'minimum_should_match']) if (body[key] !== undefined) throw parsing(`[multi_match] ${key} does not apply to type [${type}]`)
    if (type === 'phrase' && body.max_expansions !== undefined) throw parsing('[multi_match] max_expansions applies to type phrase_prefix')
    const tie = body.tie_breaker ?? 0
    if (typeof tie !== 'number' || !(tie >= 0 && tie <= 1)) throw parsing('[multi_match] tie_breaker must be a number in [0, 1]')
    const fields = body.fields === undefined ? ['*'] : body.fields
    // Elasticsearch is lenient by default when the fields are every field (`*`).
    const lenient = (body.lenient as boolean | undefined) ?? (Array.isArray(fields) ? fields : [fields]).some((f) => typeof f === 'string' && /^\*(\^.*)?$/.test(f))
    const groups: DisMaxBlock['groups'] = []
    const docs: RoaringBitmap32[] = []
    const expanded = this.ctx.expandFields(fields, 'multi_match')
    let withoutTerms = 0
    for (const { field, boost } of expanded) {
      const clause = this.phraseOn(field, body.query, body, type, { lenient, noTerms: () => withoutTerms++ })
      if (clause.terms.length === 0 && clause.disMax.length === 0) continue
      docs.push(clause.docs())
      groups.push({ terms: scaled(fieldTermsOf(clause), boost), docs: clause.exact ? undefined : docs[docs.length - 1] })
    }
    // zero_terms_query applies to text that analyzes to nothing, field by field in Elasticsearch:
    // in every field, it is the whole answer; in some fields only, it would need a constant inside
    // the dis_max, which lsr does not have.
    if (body.zero_terms_query === 'all' && withoutTerms > 0) {
      if (withoutTerms === expanded.length) return this.constant({}, 'multi_match', [], () => this.ctx.allDocs())
      throw unsupported('[multi_match] zero_terms_query [all] where the text analyzes to nothing in some fields and to terms in others is not supported')
    }
    if (groups.length === 0) return this.none()
    const exact = groups.every((g) => g.docs === undefined)
    const clause: Clause = groups.length === 1
      ? { terms: groups[0].terms, disMax: [], docs: () => orAll(docs), constant: 0, covered: true, exact }
      : { terms: [], disMax: [{ groups, tieBreaker: tie }], docs: () => orAll(docs), constant: 0, covered: true, exact }
    return this.boosted(clause, boostOf(body, 'multi_match'))
  }

  private neuralSparse(body: unknown): Clause {
    const [field, spec] = single(body, '[neural_sparse]')
    if (!isObject(spec)) throw parsing('[neural_sparse] field must hold an object with query_text or query_tokens')
    if (this.ctx.isEncoderField(field)) return this.encoderNeuralSparse(spec)
    allowOnly(spec, 'neural_sparse', ['query_text', 'query_tokens', 'model_id', 'analyzer', 'boost', 'max_token_score', 'two_phase'])
    // OpenSearch documents max_token_score as having no effect since 2.12: accepted, and it has none here either.
    if (spec.max_token_score !== undefined && (typeof spec.max_token_score !== 'number' || !Number.isFinite(spec.max_token_score))) throw parsing('[neural_sparse] max_token_score must be a number')
    const boost = boostOf(spec, 'neural_sparse')
    const twoPhase = spec.two_phase === undefined ? undefined : twoPhaseOf(spec.two_phase)
    const leaf = this.ctx.schema?.field(field)
    if (leaf && !isSparse(leaf)) throw unsupported(`[neural_sparse] field [${field}] is of type [${leaf.type}]: neural_sparse searches a rank_features or sparse_vector field`)
    if ((spec.query_text === undefined) === (spec.query_tokens === undefined)) throw parsing('[neural_sparse] needs exactly one of query_text (string) and query_tokens (object of token: weight)')
    let terms: QueryTerm[]
    if (spec.query_tokens !== undefined) {
      for (const key of ['model_id', 'analyzer']) if (spec[key] !== undefined) throw parsing(`[neural_sparse] ${key} applies to query_text, not to query_tokens`)
      terms = this.queryTokens(spec.query_tokens, (token) => this.ctx.sparseTerm(field, token))
    } else {
      if (typeof spec.query_text !== 'string') throw parsing('[neural_sparse] query_text must be a string')
      terms = this.ctx.encodeSparseQuery(field, spec.query_text, spec.model_id, spec.analyzer)
    }
    if (!leaf) return this.none() // unmapped: matches nothing, as Elasticsearch
    const clause = this.matchTerms(scaled(this.#count({ terms }).terms, boost), false, undefined, undefined, undefined, 'neural_sparse')
    return { ...clause, twoPhase }
  }

  /**
   * Elasticsearch 8's `sparse_vector` query: `query_vector` (token: weight) or `inference_id` +
   * `query` (here a model of the models folder and its inference-free query side), on a
   * learned-sparse field: the same dot product as neural_sparse.
   */
  private sparseVector(body: unknown): Clause {
    if (!isObject(body)) throw parsing('[sparse_vector] must be an object')
    allowOnly(body, 'sparse_vector', ['field', 'query_vector', 'inference_id', 'query', 'boost', 'prune', 'pruning_config'])
    if (typeof body.field !== 'string') throw parsing('[sparse_vector] requires [field]: the name of a sparse_vector or rank_features field')
    // Query-time pruning drops tokens by a corpus-frequency rule lsr does not implement.
    for (const key of ['prune', 'pruning_config']) if (body[key] !== undefined && body[key] !== false) throw unsupported(`[sparse_vector] option [${key}] is not supported`)
    if (this.ctx.isEncoderField(body.field)) throw unsupported(`[sparse_vector] on the encoder field [${body.field}]: use neural_sparse`)
    const spec: Json = body.query_vector !== undefined
      ? { query_tokens: body.query_vector }
      : { query_text: body.query, model_id: body.inference_id }
    if (body.query_vector !== undefined && (body.inference_id !== undefined || body.query !== undefined)) throw parsing('[sparse_vector] takes either [query_vector] or [inference_id] with [query]')
    if (body.query_vector === undefined && (body.inference_id === undefined || body.query === undefined)) throw parsing('[sparse_vector] needs [query_vector], or [inference_id] (a model of the server) with [query]')
    if (body.boost !== undefined) spec.boost = body.boost
    return this.neuralSparse({ [body.field]: spec })
  }

  /** `query_tokens`: positive finite weights (a feature query needs a positive weight), as index terms. */
  private queryTokens(tokens: unknown, term: (token: string) => string): QueryTerm[] {
    if (!isObject(tokens)) throw parsing('[neural_sparse] query_tokens must be an object of token: weight')
    return Object.entries(tokens).map(([token, weight]) => {
      if (typeof weight !== 'number' || !Number.isFinite(weight) || !(weight > 0)) throw parsing(`[neural_sparse] weight of token [${token}] must be a positive number`)
      return { term: term(token), weight }
    })
  }

  /** `neural_sparse` on the encoder field (title + text): query_text through the index's own encoder. */
  private encoderNeuralSparse(spec: Json): Clause {
    // model_id and analyzer pick how OpenSearch encodes query_text; the encoder field always uses
    // the index's own encoder, so either would be accepted and not honoured: an error names them.
    for (const key of ['model_id', 'analyzer']) {
      if (Object.hasOwn(spec, key)) throw unsupported(`[neural_sparse] option [${key}] is not supported on the encoder field: lsr encodes query_text with the index's own encoder (omit ${key})`)
    }
    allowOnly(spec, 'neural_sparse', ['query_text', 'query_tokens', 'boost', 'two_phase'])
    const boost = boostOf(spec, 'neural_sparse')
    const twoPhase = spec.two_phase === undefined ? undefined : twoPhaseOf(spec.two_phase)
    let terms: QueryTerm[]
    if (typeof spec.query_text === 'string') {
      terms = this.ctx.encoder!.encodeQuery(spec.query_text)
    } else {
      terms = this.queryTokens(spec.query_tokens, (token) => {
        // Tokens name encoder-field terms only: the reserved prefixes hold other fields' terms.
        if (token.charCodeAt(0) <= 2) throw unsupported(`[neural_sparse] token ${JSON.stringify(token)} starts with a character lsr reserves (U+0000, U+0001, U+0002)`)
        return token
      })
    }
    const clause = this.matchTerms(scaled(this.#count({ terms }).terms, boost), false, undefined, undefined, undefined, 'neural_sparse')
    return { ...clause, twoPhase }
  }

  private ids(body: unknown): Clause {
    if (!isObject(body) || !Array.isArray(body.values)) throw parsing('[ids] needs "values": an array of ids')
    const ids = body.values.map(String)
    return this.constant(body, 'ids', ['values'], () => this.ctx.docsWithIds(ids))
  }

  /** `{field: value}` or `{field: {value, boost}}`: the field, the value and the options object. */
  private fieldAndOptions(body: unknown, type: string, valueKey: string, keys: readonly string[]): { field: string; value: unknown; options: Json } {
    if (!isObject(body)) throw parsing(`[${type}] must be an object`)
    const fields = Object.keys(body).filter((key) => key !== 'boost')
    if (fields.length !== 1) throw parsing(`[${type}] query doesn't support multiple fields, found [${fields.join('] and [')}]`)
    const field = fields[0]
    const raw = body[field]
    if (!isObject(raw)) return { field, value: raw, options: { boost: body.boost } }
    allowOnly(raw, type, [valueKey, 'boost', ...keys])
    return { field, value: raw[valueKey], options: { ...raw, boost: raw.boost ?? body.boost } }
  }

  private term(body: unknown): Clause {
    const { field, value, options } = this.fieldAndOptions(body, 'term', 'value', ['case_insensitive'])
    if (options.case_insensitive !== undefined && options.case_insensitive !== false) throw unsupported('[term] case_insensitive is not supported')
    if (value === undefined || value === null || typeof value === 'object') throw parsing(`[term] value of [${field}] must be a string, number or boolean`)
    return this.exactTerms(this.valueTerms(field, [value], 'term'), boostOf(options, 'term'))
  }

  private terms(body: unknown): Clause {
    if (!isObject(body)) throw parsing('[terms] must be an object')
    const fields = Object.keys(body).filter((key) => key !== 'boost')
    if (fields.length !== 1) throw parsing(`[terms] query does not support multiple fields, found [${fields.join('] and [')}]`)
    const raw = body[fields[0]]
    if (!Array.isArray(raw)) throw parsing(`[terms] field [${fields[0]}] must hold an array of values (terms lookup is not supported)`)
    if (raw.length > MAX_TERMS_COUNT) throw unsupported(`The number of terms [${raw.length}] used in the Terms Query request has exceeded the allowed maximum of [${MAX_TERMS_COUNT}] (index.max_terms_count)`)
    const terms = [...new Set(this.valueTerms(fields[0], raw, 'terms'))]
    const boost = boostOf(body, 'terms')
    // A constant score (Elasticsearch's TermInSetQuery): on a text field its tokens' postings hold
    // frequencies, which would score BM25, so it is a filter that adds its boost.
    if (this.ctx.schema?.field(fields[0])?.type === 'text') return this.constant({ boost }, 'terms', [], () => this.ctx.docsWithAnyTerm(terms))
    return { ...this.exactTerms(terms, boost), ...(terms.length === 0 ? { docs: () => new RoaringBitmap32() } : {}) }
  }

  /** The index terms that exact values of a field are stored as (text fields: the token unanalyzed). */
  private valueTerms(field: string, values: readonly unknown[], type: string): string[] {
    for (const value of values) if (value === null || typeof value === 'object') throw parsing(`[${type}] values of [${field}] must be strings, numbers or booleans`)
    if (this.ctx.isEncoderField(field)) throw unsupported(`[${type}] on [${field}] is not supported: it is searched through the index's encoder (use match)`)
    const leaf = this.ctx.schema?.field(field)
    if (!leaf) return this.ctx.schema ? [] : values.map((v) => this.ctx.exactTerm(field, String(v)))
    if (!leaf.index) throw unsupported(`Cannot search on field [${field}] since it is not indexed.`)
    if (leaf.type === 'text') return values.map((v) => this.ctx.textTerm(field, String(v)))
    return values.map((v) => this.ctx.exactTerm(field, exactValue(leaf, v, field)))
  }

  private range(body: unknown): Clause {
    if (!isObject(body)) throw parsing('[range] must be an object')
    const fields = Object.keys(body)
    if (fields.length !== 1) throw parsing(`[range] query doesn't support multiple fields, found [${fields.join('] and [')}]`)
    const field = fields[0]
    const spec = body[field]
    if (!isObject(spec)) throw parsing(`[range] field [${field}] must hold an object`)
    allowOnly(spec, 'range', ['gt', 'gte', 'lt', 'lte', 'format', 'time_zone', 'boost', 'relation'])
    if (spec.relation !== undefined && spec.relation !== 'intersects' && spec.relation !== 'INTERSECTS') throw unsupported('[range] relation applies to range fields, which lsr does not have')
    const leaf = this.ctx.schema?.field(field)
    if (this.ctx.isEncoderField(field) || (!leaf && !this.ctx.schema)) throw unsupported(`[range] on [${field}] is not supported (map it as a numeric or date field)`)
    if (!leaf) return this.none()
    const bitmap = () => rangeBitmap(this.ctx, field, leaf, spec, this.ctx.now)
    const docs = bitmap()
    return this.constant({ boost: spec.boost }, 'range', [], () => docs)
  }

  private exists(body: unknown): Clause {
    if (!isObject(body) || typeof body.field !== 'string') throw parsing('[exists] needs "field": a field name')
    const field = body.field
    if (this.ctx.isEncoderField(field)) throw unsupported(`[exists] on [${field}] is not supported: it feeds the index's encoder`)
    if (!this.ctx.schema) throw unsupported('[exists] needs an index with a mapping (this index was made before lsr had fields)')
    let paths = this.ctx.expandFields([field], 'exists', true).map((f) => f.field)
    // Not a leaf: an object's name matches its sub-fields, as Elasticsearch tries `field.*` next.
    if (!field.includes('*') && !this.ctx.schema.field(field)) paths = this.ctx.expandFields([`${field}.*`], 'exists', true).map((f) => f.field)
    return this.constant(body, 'exists', ['field'], () => this.ctx.docsWithAnyTerm(paths.map((p) => this.ctx.presenceTerm(p))))
  }

  private prefix(body: unknown): Clause {
    const { field, value, options } = this.fieldAndOptions(body, 'prefix', 'value', ['case_insensitive', 'rewrite'])
    if (options.case_insensitive !== undefined && options.case_insensitive !== false) throw unsupported('[prefix] case_insensitive is not supported')
    if (options.rewrite !== undefined) throw unsupported('[prefix] rewrite is not supported')
    if (typeof value !== 'string') throw parsing(`[prefix] value of [${field}] must be a string`)
    const leaf = this.ctx.schema?.field(field)
    if (!leaf) return this.none()
    if (leaf.type !== 'keyword' && leaf.type !== 'text') throw unsupported(`[prefix] on [${field}] of type [${leaf.type}] is not supported (keyword and text fields)`)
    const stem = leaf.type === 'text' ? this.ctx.textTerm(field, '') : this.ctx.exactTerm(field, '')
    const terms = this.ctx.termsStartingWith(stem, value, MAX_PREFIX_TERMS, `prefix query [${value}] on [${field}]`)
    return this.constant({ boost: options.boost }, 'prefix', [], () => this.ctx.docsWithAnyTerm(terms))
  }

  private constantScore(body: unknown, depth: number): Clause {
    if (!isObject(body) || body.filter === undefined) throw parsing('[constant_score] requires a filter')
    const inner = this.clause(body.filter, '[constant_score.filter]', depth + 1)
    return this.constant(body, 'constant_score', ['filter'], () => inner.docs())
  }

  private disMax(body: unknown, depth: number): Clause {
    if (!isObject(body) || !Array.isArray(body.queries)) throw parsing('[dis_max] requires queries: an array')
    allowOnly(body, 'dis_max', ['queries', 'tie_breaker', 'boost'])
    const tie = body.tie_breaker ?? 0
    if (typeof tie !== 'number' || !(tie >= 0 && tie <= 1)) throw parsing('[dis_max] tie_breaker must be a number in [0, 1]')
    const clauses = body.queries.map((q, i) => this.clause(q, `[dis_max.queries][${i}]`, depth + 1))
    if (clauses.some((c) => c.disMax.length > 0 || c.constant !== 0)) {
      throw unsupported('[dis_max] queries must be term-scored queries (match, term, neural_sparse); constant-score or nested dis_max queries are not supported inside it')
    }
    const groups = clauses.map((c) => ({ terms: c.terms, docs: c.exact ? undefined : c.docs() }))
    const clause: Clause = {
      terms: [],
      disMax: [{ groups, tieBreaker: tie }],
      docs: () => orAll(clauses.map((c) => c.docs())),
      constant: 0,
      covered: clauses.every((c) => c.covered),
      exact: false,
      unscorable: clauses.find((c) => c.unscorable)?.unscorable,
    }
    return this.boosted(clause, boostOf(body, 'dis_max'))
  }

  private queryString(type: string, body: unknown, depth: number): Clause {
    if (!isObject(body) || typeof body.query !== 'string') throw parsing(`[${type}] requires query: a string`)
    return this.clause(this.ctx.parseQueryString(type, body), `[${type}]`, depth + 1)
  }

  private bool(body: unknown, depth: number): Clause {
    if (!isObject(body)) throw parsing('[bool] must be an object')
    allowOnly(body, 'bool', ['must', 'should', 'filter', 'must_not', 'boost', 'minimum_should_match'])
    const list = (key: string) => {
      const value = body[key]
      const clauses = value === undefined ? [] : Array.isArray(value) ? value : [value]
      return clauses.map((clause, i) => this.clause(clause, `[bool.${key}][${i}]`, depth + 1))
    }
    const [must, should, filter, mustNot] = [list('must'), list('should'), list('filter'), list('must_not')]
    if ([...must, ...should, ...filter, ...mustNot].some((c) => c.twoPhase)) {
      throw unsupported('[neural_sparse] two_phase applies to a top-level neural_sparse query, not inside bool')
    }
    // Without must or filter, at least one should clause has to match (Elasticsearch's default).
    // Without must or filter, at least one should clause has to match, whatever minimum_should_match says (Lucene's disjunction).
    const atLeastOne = must.length === 0 && filter.length === 0 && should.length > 0 ? 1 : 0
    const msm = Math.max(atLeastOne, minimumShouldMatch(body.minimum_should_match, should.length, '[bool]'))
    const docs = () => {
      const bitmaps = [...must, ...filter].map((c) => c.docs())
      if (msm > 0) bitmaps.push(atLeast(should.map((c) => c.docs()), msm))
      let result = bitmaps.length > 0 ? bitmaps.reduce((acc, b) => acc.andInPlace(b)) : this.ctx.allDocs()
      for (const c of mustNot) result = result.andNotInPlace(c.docs())
      return result
    }
    // A should clause that is not simply "any of its terms" (a nested bool, a match with operator
    // and or minimum_should_match) adds its terms' scores only to the documents it matches: a
    // document the bool matches through another clause must not collect a partial score from it.
    const scored = [...must, ...should.map((c) => (c.exact ? c : scoredWithin(c)))]
    const unscorable = should.some((c) => c.constant > 0)
      ? unsupported('[bool] should clauses that score a constant (match_all, ids, range, exists, prefix, constant_score) are not supported where the bool query is scored: use them in must or filter, use term/terms, or put the bool query in a filter')
      : scored.find((c) => c.unscorable)?.unscorable
    const clause: Clause = {
      unscorable,
      terms: mergeTerms(scored.map((c) => c.terms)),
      disMax: scored.flatMap((c) => c.disMax),
      docs,
      constant: must.reduce((sum, c) => sum + c.constant, 0),
      covered: must.some((c) => c.covered) || (msm > 0 && should.every((c) => c.covered)),
      exact: false,
    }
    return this.boosted(clause, boostOf(body, 'bool'))
  }
}

/** The scored terms of one field's clause in a multi_match: its own, or those of its one dis_max block (exact-value terms). */
function fieldTermsOf(clause: Clause): SearchTerm[] {
  return clause.terms.length > 0 ? clause.terms : clause.disMax[0].groups.flatMap((g) => g.terms)
}

/** The clause with its scores counted only for the documents it matches (as dis_max groups restricted to them). */
function scoredWithin(clause: Clause): Clause {
  if (clause.terms.length === 0 && clause.disMax.length === 0) return clause
  const docs = clause.docs()
  const own: DisMaxBlock[] = clause.terms.length > 0 ? [{ groups: [{ terms: clause.terms, docs }], tieBreaker: 0 }] : []
  const nested = clause.disMax.map((block) => ({ ...block, groups: block.groups.map((g) => ({ ...g, docs: g.docs ? RoaringBitmap32.and(g.docs, docs) : docs })) }))
  return { ...clause, terms: [], disMax: [...own, ...nested] }
}

/** OpenSearch's `two_phase_parameter`: prune_ratio, expansion_rate, max_window_size. */
function twoPhaseOf(spec: unknown): TwoPhase {
  if (!isObject(spec)) throw parsing('[neural_sparse] two_phase must be an object')
  allowOnly(spec, 'neural_sparse.two_phase', ['prune_ratio', 'expansion_rate', 'max_window_size'])
  const number = (key: string) => {
    const value = spec[key]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw parsing(`[neural_sparse] two_phase.${key} must be a number`)
    return value as number | undefined
  }
  return { pruneRatio: number('prune_ratio'), expansionRate: number('expansion_rate'), maxWindowSize: number('max_window_size') }
}

/**
 * Compiles a query (the `query` of a search body) against one view of an index. No query means
 * match_all.
 * @throws LsrError `query_parsing`, `invalid_argument` or `too_many_clauses` naming what is wrong
 */
export function compileQuery(query: unknown, ctx: QueryContext): SearchRequest {
  const clause = new Compiler(ctx).clause(query ?? { match_all: {} }, '[query]', 1)
  if (clause.unscorable) throw clause.unscorable
  const terms = [...clause.terms, ...clause.disMax.flatMap((b) => b.groups.flatMap((g) => g.terms))]
  const scored = terms.reduce((n, entry) => n + scoredTerms(entry), 0)
  if (scored > MAX_CLAUSE_COUNT) throw tooManyClauses(scored)
  return {
    terms: clause.terms,
    disMax: clause.disMax.length > 0 ? clause.disMax : undefined,
    matchAnyTerm: clause.covered,
    constantScore: clause.constant,
    allowed: clause.exact ? undefined : clause.docs(),
    twoPhase: clause.twoPhase,
  }
}

/** The documents a query matches, as a filter (no scoring): what `filter` clauses use. */
export function matchingDocs(query: unknown, ctx: QueryContext): RoaringBitmap32 {
  return new Compiler(ctx).clause(query, '[query]', 1).docs()
}
