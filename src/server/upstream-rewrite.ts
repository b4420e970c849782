/**
 * The rewrite `lsr serve --upstream` (and `lsr eval --upstream`) applies to a search body before
 * a cluster sees it: every `neural_sparse` with `query_text`, anywhere in the body (top level,
 * inside `bool`, `hybrid`, `dis_max`, `constant_score`, a filter aggregation...), becomes the
 * tokens lsr computes from the field's model (tokenizer + IDF table, no inference):
 *
 * - `opensearch` (OpenSearch >= 2.11): `{"neural_sparse": {"field": {"query_tokens": {token: weight}}}}`,
 *   the clause's other options (`boost`, `max_token_score`, ...) kept;
 * - `elasticsearch`, which has no `neural_sparse`: `{"bool": {"should": [{"rank_feature":
 *   {"field": "field.token", "linear": {}, "boost": weight}}, ...]}}`. The linear function scores
 *   a document the stored feature value, so the `should` sum is the same dot product
 *   Σ weight x value; a clause's `boost` goes on the `bool`. `query_tokens` are rewritten too.
 *
 * A query whose text gives no weighted token becomes `match_none` (what it matches in lsr). The
 * field's model: the clause's `model_id`, else the body's inline `search_pipeline`
 * `neural_query_enricher`, else the proxy's per-field defaults (`--upstream-model`), else the
 * enricher of the cluster's search pipeline for the request (see `clusterDefaults`).
 * @module
 */
import { LsrError } from '../errors.js'
import { isObject, type Json } from '../engine/json-shapes.js'
import type { ModelSource } from '../engine/query/models.js'
import { isInferenceFreeAnalyzer, queryTokensOf, type QueryTokens } from '../engine/query/query-tokens.js'

/** What the cluster is. */
export type UpstreamFlavor = 'opensearch' | 'elasticsearch'

export const UPSTREAM_FLAVORS: readonly UpstreamFlavor[] = ['opensearch', 'elasticsearch']

/** Which model a field's `neural_sparse` query_text uses when the clause names none. */
export interface DefaultModels {
  /** Every field's. */
  all?: string
  /** By field (wins over `all`). */
  byField: Record<string, string>
}

/** Options of {@link rewriteSearchBody}. */
export interface RewriteOptions {
  flavor: UpstreamFlavor
  /** The models `model_id` names (the proxy's models folder). */
  models: ModelSource
  /** Defaults when neither the clause nor the body's inline pipeline names a model. */
  defaults?: DefaultModels
  /**
   * Characters of query_text left to encode (shared by the calls of one request, decremented):
   * tokenizing takes about 1 s per million characters, on the proxy's one thread.
   */
  budget?: { chars: number }
  /**
   * The cluster's own defaults for the searched index (the `neural_query_enricher` of its named or
   * default search pipeline), asked for only when neither the clause, the inline pipeline nor
   * `defaults` names a field's model.
   */
  clusterDefaults?: () => Promise<DefaultModels | undefined>
}

/** The query_text characters one request to the proxy may have encoded: about a second of tokenizing. */
export const MAX_QUERY_TEXT_CHARS = 1_000_000

/** The options a `neural_sparse` clause may hold on a learned-sparse field (lsr's compiler refuses others). */
const NEURAL_KEYS = ['query_text', 'query_tokens', 'model_id', 'analyzer', 'boost', 'max_token_score', 'two_phase']

/** Most query clauses walked in one body: a wider body is refused before any model work. */
export const MAX_REWRITE_NODES = 1_000_000

/** A search pipeline definition's `neural_query_enricher` defaults (OpenSearch's request processor), if any. */
export function enricherDefaults(pipeline: unknown): DefaultModels | undefined {
  if (!isObject(pipeline) || !Array.isArray(pipeline.request_processors)) return undefined
  for (const processor of pipeline.request_processors) {
    const enricher = isObject(processor) ? processor.neural_query_enricher : undefined
    if (!isObject(enricher)) continue
    const byField: Record<string, string> = {}
    if (isObject(enricher.neural_field_default_id)) {
      for (const [field, id] of Object.entries(enricher.neural_field_default_id)) if (typeof id === 'string') byField[field] = id
    }
    return { ...(typeof enricher.default_model_id === 'string' ? { all: enricher.default_model_id } : {}), byField }
  }
  return undefined
}

function modelFor(field: string, ...sources: Array<DefaultModels | undefined>): string | undefined {
  for (const source of sources) {
    if (!source) continue
    const id = Object.hasOwn(source.byField, field) ? source.byField[field] : source.all
    if (id !== undefined) return id
  }
  return undefined
}

const invalid = (message: string) => new LsrError('invalid_argument', message)
const parsing = (message: string) => new LsrError('query_parsing', message)

/**
 * Every object holding a `neural_sparse` key, anywhere in the body; iterative, so a deep or wide
 * body cannot overflow the stack (the caller has bounded its nesting when parsing it).
 */
function clausesOf(body: Json): Json[] {
  const found: Json[] = []
  const stack: unknown[] = [body]
  let visited = 0
  while (stack.length > 0) {
    const node = stack.pop()
    if (++visited > MAX_REWRITE_NODES) throw invalid(`the search body has more than ${MAX_REWRITE_NODES} values to look through for neural_sparse`)
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item)
      continue
    }
    if (!isObject(node)) continue
    for (const [key, value] of Object.entries(node)) {
      if (key === 'neural_sparse' && isObject(value)) found.push(node)
      else if (key !== 'search_pipeline' && typeof value === 'object' && value !== null) stack.push(value)
    }
  }
  return found
}

/**
 * Rewrites the body's `neural_sparse` clauses in place for the upstream (see the module).
 * @returns how many clauses were rewritten
 * @throws LsrError `invalid_argument` / `query_parsing` (400s) naming the field: no model for a
 *   field, an unknown model, a model without an IDF table, a malformed clause
 */
export async function rewriteSearchBody(body: Json, options: RewriteOptions): Promise<number> {
  const inline = enricherDefaults(body.search_pipeline)
  let rewritten = 0
  for (const clause of clausesOf(body)) {
    const spec = clause.neural_sparse as Json
    const fields = Object.keys(spec)
    if (fields.length !== 1) throw parsing(`[neural_sparse] query doesn't support multiple fields, found [${fields.join('], [')}]`)
    const field = fields[0]
    const options_ = spec[field]
    if (!isObject(options_)) throw parsing('[neural_sparse] field must hold an object with query_text or query_tokens')
    const replacement = await rewriteClause(field, options_, options, inline)
    if (replacement === undefined) continue
    delete clause.neural_sparse
    Object.assign(clause, replacement)
    rewritten++
  }
  return rewritten
}

/** The clause's replacement (`{neural_sparse}`, `{bool}` or `{match_none}`), or undefined to leave it. */
async function rewriteClause(field: string, spec: Json, options: RewriteOptions, inline: DefaultModels | undefined): Promise<Json | undefined> {
  const unknown = Object.keys(spec).find((key) => !NEURAL_KEYS.includes(key))
  if (unknown !== undefined && options.flavor === 'elasticsearch') throw parsing(`[neural_sparse] option [${unknown}] has no rank_feature equivalent (supported: ${NEURAL_KEYS.join(', ')})`)
  if ((spec.query_text === undefined) === (spec.query_tokens === undefined)) throw parsing('[neural_sparse] needs exactly one of query_text (string) and query_tokens (object of token: weight)')
  let tokens: QueryTokens
  if (spec.query_tokens !== undefined) {
    // Already tokens: OpenSearch takes them as they are; Elasticsearch needs the rank_feature form.
    if (options.flavor === 'opensearch') return undefined
    tokens = checkedTokens(spec.query_tokens)
  } else {
    if (typeof spec.query_text !== 'string') throw parsing('[neural_sparse] query_text must be a string')
    if (options.budget && (options.budget.chars -= spec.query_text.length) < 0) {
      throw invalid(`[neural_sparse] the request's query_text totals more than ${MAX_QUERY_TEXT_CHARS} characters: lsr encodes at most that much per request in front of the cluster`)
    }
    const id = spec.model_id ?? modelFor(field, inline, options.defaults) ?? modelFor(field, await options.clusterDefaults?.())
    if (id === undefined) {
      // OpenSearch >= 3.0 tokenizes with its built-in analyzers itself.
      if (spec.analyzer !== undefined && options.flavor === 'opensearch' && isInferenceFreeAnalyzer(spec.analyzer)) return undefined
      throw invalid(`[neural_sparse] query_text on field [${field}]: lsr computes the query's tokens in front of the cluster and needs the field's model: give model_id (a model of the proxy's models folder), a search pipeline whose neural_query_enricher names one (inline, named, or the index's default), or start the proxy with --upstream-model ${field}=MODEL`)
    }
    if (typeof id !== 'string') throw parsing('[neural_sparse] model_id must be a string')
    if (spec.analyzer !== undefined && !isInferenceFreeAnalyzer(spec.analyzer)) throw invalid(`[neural_sparse] analyzer [${String(spec.analyzer)}] is not supported (OpenSearch's inference-free analyzers: bert-uncased, mbert-uncased)`)
    const model = await options.models.model(id)
    if (spec.analyzer !== undefined && model.analyzer !== spec.analyzer) throw invalid(`[neural_sparse] analyzer [${String(spec.analyzer)}] is not the tokenizer of model [${id}] (${model.analyzer ?? 'another tokenizer'}): omit analyzer, or name a model with that tokenizer`)
    if (model.idf === 'corpus') {
      throw invalid(`[neural_sparse] model [${id}] has no IDF table: its query weights are each token's IDF in field [${field}] of the index, which the cluster holds and lsr in front of it does not. Give the model folder an idf.json`)
    }
    tokens = queryTokensOf(model, spec.query_text, `model [${id}]`)
  }
  if (Object.keys(tokens).length === 0) return { match_none: {} }
  if (options.flavor === 'opensearch') {
    const { query_text: _text, model_id: _model, analyzer: _analyzer, ...rest } = spec
    return { neural_sparse: { [field]: { ...rest, query_tokens: tokens } } }
  }
  return { bool: rankFeatureShould(field, tokens, spec.boost) }
}

/**
 * Elasticsearch's form of a dot product with `tokens`: one `rank_feature` query per token on the
 * `rank_features` field's feature `field.token`, scored linearly (the stored value) and boosted
 * by the token's weight, summed by `bool.should`.
 */
export function rankFeatureShould(field: string, tokens: QueryTokens, boost?: unknown): Json {
  if (boost !== undefined && (typeof boost !== 'number' || !Number.isFinite(boost) || boost < 0)) throw parsing('[neural_sparse] boost must be a non-negative number')
  const should = Object.entries(tokens).map(([token, weight]) => ({ rank_feature: { field: `${field}.${token}`, linear: {}, boost: weight } }))
  return boost === undefined ? { should } : { should, boost }
}

function checkedTokens(value: unknown): QueryTokens {
  if (!isObject(value)) throw parsing('[neural_sparse] query_tokens must be an object of token: weight')
  for (const [token, weight] of Object.entries(value)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || !(weight > 0)) throw parsing(`[neural_sparse] weight of token [${token}] must be a positive number`)
  }
  return value as QueryTokens
}
