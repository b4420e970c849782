/**
 * Compiles the supported subset of the Elasticsearch/OpenSearch query DSL into a
 * {@link SearchRequest}: scored terms (summed, so clause scores add as in a bool query) plus
 * exact filters as roaring bitmaps. Anything outside the subset is a 400 naming it.
 *
 * Supported: `match`, `multi_match` (title/text, which lsr indexes as one field), `neural_sparse`
 * (`query_text` or pre-encoded `query_tokens`), `match_all`, `ids`, `term`, `terms` (exact match
 * on stored metadata fields), and `bool` with `must`, `should`, `filter`, `must_not`.
 * `term`, `terms`, `ids` and `match_all` score a constant 1 (times `boost`) where they are scored.
 * @module
 */
import type { QueryTerm } from '../encode/encoder.js'
import { keywordValue } from '../corpus/keywords.js'
import type { RoaringBitmap32 } from '../storage/roaring.js'
import type { SearchRequest, SparseIndex } from '../engine/sparse-index.js'
import type { TwoPhase } from '../search/searcher.js'
import { badRequest, HttpError, parsingError } from './http-error.js'
import { isObject, type Json } from './json.js'

/** The full-text fields: lsr indexes `title + " " + text` as one field. */
const TEXT_FIELDS = new Set(['title', 'text', 'contents', 'body', '_all', '*'])

/**
 * Deepest nesting of queries (a bool inside a bool, ...): Elasticsearch's
 * `indices.query.bool.max_nested_depth`, 30 since 8.7 (20 before), against stack overflows.
 */
export const MAX_QUERY_DEPTH = 30

/** Distinct scored terms of one query: OpenSearch's `indices.query.bool.max_clause_count` default. */
const MAX_CLAUSE_COUNT = 1024
/** Values of one `terms` query: Elasticsearch's `index.max_terms_count` default. */
const MAX_TERMS_COUNT = 65_536

/** One compiled clause. */
interface Clause {
  terms: QueryTerm[]
  /** Documents matching the clause (what it means as a filter). */
  docs: () => RoaringBitmap32
  /** Score of constant-score clauses (match_all, term, ids) for every match; 0 for text clauses. */
  constant: number
  /** Every match contains at least one of `terms` (so top-k can walk their postings). */
  covered: boolean
  /** The matches are exactly the documents containing one of `terms` (no filter needed). */
  exact: boolean
  /** Two-phase parameters of a neural_sparse clause. */
  twoPhase?: TwoPhase
}

/** Splits `{"<type>": body}` into type and body. */
function single(clause: unknown, where: string): [string, unknown] {
  if (!isObject(clause)) throw parsingError(`${where} must be an object with one query type`)
  const keys = Object.keys(clause)
  if (keys.length !== 1) throw parsingError(`${where} must have exactly one query type, got [${keys.join(', ')}]`)
  return [keys[0], clause[keys[0]]]
}

function boostOf(body: Json, type: string): number {
  const boost = body.boost ?? 1
  if (typeof boost !== 'number' || !(boost >= 0)) throw parsingError(`[${type}] boost must be a non-negative number`)
  return boost
}

function allowOnly(body: Json, type: string, keys: string[]): void {
  for (const key of Object.keys(body)) if (!keys.includes(key)) throw badRequest(`[${type}] option [${key}] is not supported`)
}

function scaled(terms: readonly QueryTerm[], boost: number): QueryTerm[] {
  return boost === 1 ? [...terms] : terms.map(({ term, weight }) => ({ term, weight: weight * boost }))
}

/** Adds weights of repeated terms: scores are linear in query weights, so summed clauses stay exact. */
function mergeTerms(lists: QueryTerm[][]): QueryTerm[] {
  const merged = new Map<string, number>()
  for (const list of lists) for (const { term, weight } of list) merged.set(term, (merged.get(term) ?? 0) + weight)
  return [...merged].map(([term, weight]) => ({ term, weight }))
}

class Compiler {
  constructor(private readonly index: SparseIndex) {}

  /** @param depth - 1 for the top-level query, one more inside each compound query */
  clause(clause: unknown, where: string, depth: number): Clause {
    if (depth > MAX_QUERY_DEPTH) {
      throw badRequest(`${where}: the nested depth of the query exceeds the maximum nested depth for queries set in [indices.query.bool.max_nested_depth] ([${MAX_QUERY_DEPTH}])`)
    }
    const [type, body] = single(clause, where)
    switch (type) {
      case 'match':
        return this.match(body)
      case 'multi_match':
        return this.multiMatch(body)
      case 'neural_sparse':
        return this.neuralSparse(body)
      case 'match_all':
        return this.constant(isObject(body) ? body : {}, 'match_all', () => this.index.allDocs())
      case 'ids':
        return this.ids(body)
      case 'term':
      case 'terms':
        return this.keyword(type, body)
      case 'bool':
        return this.bool(body, depth)
      default:
        throw badRequest(`query type [${type}] is not supported (supported: match, multi_match, neural_sparse, match_all, ids, term, terms, bool)`, 'parsing_exception')
    }
  }

  private text(terms: QueryTerm[], operator: unknown): Clause {
    if (operator !== undefined && operator !== 'or' && operator !== 'OR' && operator !== 'and' && operator !== 'AND') {
      throw parsingError(`operator must be "or" or "and", got ${JSON.stringify(operator)}`)
    }
    const all = String(operator).toLowerCase() === 'and'
    const docs = () => {
      if (!all) return this.index.docsWithAnyTerm(terms.map((t) => t.term))
      const [first, ...rest] = terms.map((t) => this.index.docsWithAnyTerm([t.term]))
      return rest.reduce((acc, bitmap) => acc.andInPlace(bitmap), first ?? this.index.docsWithAnyTerm([]))
    }
    return { terms, docs, constant: 0, covered: true, exact: !all }
  }

  private match(body: unknown): Clause {
    const [field, spec] = single(body, '[match]')
    this.textField(field, 'match')
    const options = isObject(spec) ? spec : { query: spec }
    allowOnly(options, 'match', ['query', 'operator', 'boost'])
    if (typeof options.query !== 'string') throw parsingError('[match] query must be a string')
    return this.text(scaled(this.index.encoder.encodeQuery(options.query), boostOf(options, 'match')), options.operator)
  }

  private multiMatch(body: unknown): Clause {
    if (!isObject(body)) throw parsingError('[multi_match] must be an object')
    allowOnly(body, 'multi_match', ['query', 'fields', 'type', 'operator', 'boost'])
    if (typeof body.query !== 'string') throw parsingError('[multi_match] query must be a string')
    const fields = body.fields ?? ['title', 'text']
    if (!Array.isArray(fields)) throw parsingError('[multi_match] fields must be an array')
    for (const field of fields) {
      if (typeof field !== 'string') throw parsingError('[multi_match] fields must be strings')
      if (field.includes('^')) throw badRequest(`[multi_match] per-field boost [${field}] is not supported: title and text are indexed as one field`)
      this.textField(field, 'multi_match')
    }
    if (body.type !== undefined && body.type !== 'best_fields' && body.type !== 'most_fields') {
      throw badRequest(`[multi_match] type [${String(body.type)}] is not supported`)
    }
    return this.text(scaled(this.index.encoder.encodeQuery(body.query), boostOf(body, 'multi_match')), body.operator)
  }

  private neuralSparse(body: unknown): Clause {
    const [field, spec] = single(body, '[neural_sparse]')
    this.textField(field, 'neural_sparse')
    if (!isObject(spec)) throw parsingError('[neural_sparse] field must hold an object with query_text or query_tokens')
    // model_id and analyzer pick how OpenSearch encodes query_text; lsr always encodes it with the
    // index's own encoder, so either would be accepted and not honoured: a 400 names them.
    for (const key of ['model_id', 'analyzer']) {
      if (Object.hasOwn(spec, key)) throw badRequest(`[neural_sparse] option [${key}] is not supported: lsr encodes query_text with the index's own encoder (omit ${key})`)
    }
    allowOnly(spec, 'neural_sparse', ['query_text', 'query_tokens', 'boost', 'two_phase'])
    const boost = boostOf(spec, 'neural_sparse')
    const twoPhase = spec.two_phase === undefined ? undefined : twoPhaseOf(spec.two_phase)
    if (typeof spec.query_text === 'string') return { ...this.text(scaled(this.index.encoder.encodeQuery(spec.query_text), boost), undefined), twoPhase }
    if (!isObject(spec.query_tokens)) throw parsingError('[neural_sparse] needs query_text (string) or query_tokens (object of token: weight)')
    const terms = Object.entries(spec.query_tokens).map(([term, weight]) => {
      if (typeof weight !== 'number' || !Number.isFinite(weight)) throw parsingError(`[neural_sparse] weight of token [${term}] must be a number`)
      return { term, weight: weight * boost }
    })
    return { ...this.text(terms, undefined), twoPhase }
  }

  private ids(body: unknown): Clause {
    if (!isObject(body) || !Array.isArray(body.values)) throw parsingError('[ids] needs "values": an array of ids')
    allowOnly(body, 'ids', ['values', 'boost'])
    const ids = body.values.map(String)
    return this.constant(body, 'ids', () => this.index.docsWithIds(ids))
  }

  private keyword(type: 'term' | 'terms', body: unknown): Clause {
    if (!isObject(body)) throw parsingError(`[${type}] must be an object`)
    let boost = boostOf(body, type)
    const fields = Object.keys(body).filter((key) => key !== 'boost')
    if (fields.length !== 1) throw parsingError(`[${type}] must name exactly one field`)
    const field = fields[0]
    if (TEXT_FIELDS.has(field)) throw badRequest(`[${type}] on full-text field [${field}] is not supported: use match (term filters apply to stored metadata fields)`)
    let raw = body[field]
    if (type === 'term') {
      if (isObject(raw)) {
        allowOnly(raw, 'term', ['value', 'boost'])
        // The long form's own boost: {"term": {"field": {"value": v, "boost": b}}}
        if (raw.boost !== undefined) boost = boostOf(raw, type)
        raw = raw.value
      }
      raw = [raw]
    }
    if (!Array.isArray(raw)) throw parsingError(`[terms] field [${field}] must hold an array of values`)
    if (raw.length > MAX_TERMS_COUNT) throw badRequest(`The number of terms [${raw.length}] used in the Terms Query request has exceeded the allowed maximum of [${MAX_TERMS_COUNT}] (index.max_terms_count)`)
    const values = raw.map((value) => {
      const normalized = keywordValue(value)
      if (normalized === undefined) throw parsingError(`[${type}] values must be strings, numbers or booleans`)
      return normalized
    })
    return this.constant({ boost }, type, () => this.index.docsWithKeyword(field, values))
  }

  private constant(body: Json, type: string, docs: () => RoaringBitmap32): Clause {
    return { terms: [], docs, constant: boostOf(body, type), covered: false, exact: false }
  }

  private bool(body: unknown, depth: number): Clause {
    if (!isObject(body)) throw parsingError('[bool] must be an object')
    allowOnly(body, 'bool', ['must', 'should', 'filter', 'must_not', 'boost'])
    const list = (key: string) => {
      const value = body[key]
      const clauses = value === undefined ? [] : Array.isArray(value) ? value : [value]
      return clauses.map((clause, i) => this.clause(clause, `[bool.${key}][${i}]`, depth + 1))
    }
    const [must, should, filter, mustNot] = [list('must'), list('should'), list('filter'), list('must_not')]
    if ([...must, ...should, ...filter, ...mustNot].some((c) => c.twoPhase)) {
      throw badRequest('[neural_sparse] two_phase applies to a top-level neural_sparse query, not inside bool')
    }
    if (should.some((c) => c.constant > 0 && c.terms.length === 0)) {
      throw badRequest('[bool] constant-score clauses (match_all, term, terms, ids) in should are not supported: use them in must or filter')
    }
    // Without must or filter, at least one should clause has to match (Elasticsearch's default).
    const shouldRequired = must.length === 0 && filter.length === 0 && should.length > 0
    const required = shouldRequired ? [{ docs: () => orAll(should.map((c) => c.docs())) }] : [...must, ...filter]
    const docs = () => {
      const bitmaps = required.map((c) => c.docs())
      let result = bitmaps.length > 0 ? bitmaps.reduce((acc, b) => acc.andInPlace(b)) : this.index.allDocs()
      for (const c of mustNot) result = result.andNotInPlace(c.docs())
      return result
    }
    const boost = boostOf(body, 'bool')
    return {
      terms: scaled(mergeTerms([...must, ...should].map((c) => c.terms)), boost),
      docs,
      constant: must.reduce((sum, c) => sum + c.constant, 0) * boost,
      covered: must.some((c) => c.covered) || (shouldRequired && should.every((c) => c.covered)),
      exact: false,
    }
  }

  private textField(field: string, type: string): void {
    if (!TEXT_FIELDS.has(field)) {
      throw badRequest(`[${type}] on field [${field}] is not supported: lsr indexes title and text as one full-text field (use term/terms for metadata)`)
    }
  }
}

/** OpenSearch's `two_phase_parameter`: prune_ratio, expansion_rate, max_window_size. */
function twoPhaseOf(spec: unknown): TwoPhase {
  if (!isObject(spec)) throw parsingError('[neural_sparse] two_phase must be an object')
  allowOnly(spec, 'neural_sparse.two_phase', ['prune_ratio', 'expansion_rate', 'max_window_size'])
  const number = (key: string) => {
    const value = spec[key]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw parsingError(`[neural_sparse] two_phase.${key} must be a number`)
    return value as number | undefined
  }
  return { pruneRatio: number('prune_ratio'), expansionRate: number('expansion_rate'), maxWindowSize: number('max_window_size') }
}

function orAll(bitmaps: RoaringBitmap32[]): RoaringBitmap32 {
  return bitmaps.reduce((acc, b) => acc.orInPlace(b))
}

/**
 * Compiles a query (the `query` of a search body) for one index. No query means match_all.
 * @throws HttpError 400 naming what is unsupported or malformed
 */
export function compileQuery(query: unknown, index: SparseIndex): SearchRequest {
  const clause = new Compiler(index).clause(query ?? { match_all: {} }, '[query]', 1)
  if (clause.terms.length > MAX_CLAUSE_COUNT) {
    throw new HttpError(400, 'too_many_clauses', `Query contains too many scored terms: ${clause.terms.length}; maxClauseCount is set to ${MAX_CLAUSE_COUNT}`)
  }
  return {
    terms: clause.terms,
    matchAnyTerm: clause.covered,
    constantScore: clause.constant,
    allowed: clause.exact ? undefined : clause.docs(),
    twoPhase: clause.twoPhase,
  }
}
