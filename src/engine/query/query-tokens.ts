/**
 * `neural_sparse` query_text as `query_tokens`, outside a search: the inference-free encoding a
 * query's text gets (the model's tokenizer, each distinct token weighted by the model's IDF
 * table), for applications that send `{"neural_sparse": {"field": {"query_tokens": {...}}}}` to
 * an OpenSearch or Elasticsearch cluster themselves, and for `lsr serve --upstream`.
 *
 * A model without an IDF table weighs each token by its IDF over the documents that have the
 * field, ln(1 + (N - df + 0.5) / (df + 0.5)): that needs the index's document frequencies, so
 * such a model takes `index` (and `field`), and is refused without one rather than given weights
 * a search of that index would not use.
 * @module
 */
import { LsrError } from '../../errors.js'
import { isSparse } from '../../mapping/mapping.js'
import { sparseTerm } from '../../storage/index-state.js'
import type { SparseIndex } from '../sparse-index.js'
import type { QueryModel } from './context.js'
import type { ModelSource } from './models.js'

/** Tokens and their weights, as `neural_sparse` `query_tokens` takes them. */
export type QueryTokens = Record<string, number>

/** Options of {@link encodeQueryTokens}. */
export interface QueryTokensOptions {
  /**
   * For a model without an IDF table: the index whose `field` weighs the tokens (its document
   * frequencies, as a `neural_sparse` search of that index weighs them). Ignored otherwise.
   */
  index?: SparseIndex
  /** The learned-sparse field of `index` (a `rank_features` or `sparse_vector` field). */
  field?: string
}

/** OpenSearch's built-in inference-free analyzers (the tokenizers a model's `analyzer` may be). */
const INFERENCE_FREE_ANALYZERS = ['bert-uncased', 'mbert-uncased']

/**
 * The tokens of `text` weighted by a loaded model's IDF table: each distinct token with its
 * weight, tokens the table lacks or weighs 0 left out (they add nothing to a dot product).
 * @throws LsrError `invalid_argument` when the model has no IDF table (see {@link encodeQueryTokens})
 * @example queryTokensOf(await new ModelRegistry('models').model('doc-v3'), 'fast bitmaps') // { fast: 3.1, bit: 2.2, '##maps': 4.0 }
 */
export function queryTokensOf(model: QueryModel, text: string, modelId = 'the model'): QueryTokens {
  if (model.idf === 'corpus') throw corpusIdf(modelId)
  // fromEntries defines each token as its own property, a token named __proto__ included.
  return Object.fromEntries(model.encodeQuery(text).filter(({ weight }) => weight > 0).map(({ term, weight }) => [term, weight]))
}

/**
 * The `query_tokens` of `text` for the model `modelId` of `models` (a {@link ModelRegistry}):
 * exactly the weights `neural_sparse` `query_text` searches with. A model without an IDF table
 * needs `options.index` and `options.field`: its weights are corpus IDFs of that field.
 * @throws LsrError `invalid_argument`: an unknown model; a model without an IDF table and no
 *   index; a field of the index that is not a learned-sparse field
 * @example
 * const tokens = await encodeQueryTokens(new ModelRegistry('models'), 'doc-v3', 'fast bitmaps')
 * await client.search({ index: 'docs', body: { query: { neural_sparse: { emb: { query_tokens: tokens } } } } })
 */
export async function encodeQueryTokens(models: ModelSource, modelId: string, text: string, options: QueryTokensOptions = {}): Promise<QueryTokens> {
  if (typeof text !== 'string') throw new LsrError('invalid_argument', 'the query text must be a string')
  const model = await models.model(modelId)
  if (model.idf !== 'corpus') return queryTokensOf(model, text, `model [${modelId}]`)
  const { index, field } = options
  if (!index) throw corpusIdf(`model [${modelId}]`)
  if (typeof field !== 'string') throw new LsrError('invalid_argument', `model [${modelId}] has no IDF table: weighing its tokens by an index's document frequencies needs the field (options.field)`)
  const leaf = index.schema?.field(field)
  if (!isSparse(leaf)) throw new LsrError('invalid_argument', `field [${field}] of the index is ${leaf ? `of type [${leaf.type}]` : 'not mapped'}: a model without an IDF table weighs tokens by a rank_features or sparse_vector field's document frequencies`)
  // The search's own compilation of query_text, so the weights are the ones a search uses.
  const reader = index.reader()
  try {
    const request = reader.compile({ neural_sparse: { [field]: { query_text: text, model_id: modelId } } }, { models: { loaded: (id) => (id === modelId ? model : undefined) } })
    const prefix = sparseTerm(field, '')
    const tokens = new Map<string, number>()
    for (const { term, weight } of request.terms) {
      if (term.startsWith(prefix) && weight > 0) tokens.set(term.slice(prefix.length), (tokens.get(term.slice(prefix.length)) ?? 0) + weight)
    }
    return Object.fromEntries(tokens)
  } finally {
    reader.release()
  }
}

/** Whether `analyzer` (a `neural_sparse` option) is one of OpenSearch's inference-free analyzers. */
export function isInferenceFreeAnalyzer(analyzer: unknown): boolean {
  return INFERENCE_FREE_ANALYZERS.includes(analyzer as string)
}

function corpusIdf(model: string): LsrError {
  return new LsrError('invalid_argument', `${model} has no IDF table (idf.json or query_token_weights.txt): its query weights are each token's IDF in the searched field, which only the index knows. Pass the index and field, or give the model folder an IDF table`)
}
