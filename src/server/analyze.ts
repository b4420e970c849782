/**
 * `GET|POST /_analyze` and `/{index}/_analyze`, as Elasticsearch's analyze API answers them: the
 * tokens an analyzer makes of `text` (a string or an array of them), each with its
 * `start_offset`, `end_offset`, `type` and `position`.
 *
 * The analyzer, as Elasticsearch's TransportAnalyzeAction chooses it: a mapped `field`'s index
 * analyzer (a keyword field: the whole value as one token); else `analyzer` by name (the index's,
 * or a built-in one); else the request's `tokenizer`, `filter` (and `char_filter`: lsr has none,
 * a 400 naming them); else the index's default analyzer, or `standard` without an index.
 * Several texts are analyzed as the values of one field: positions go on after the analyzer's
 * position increment gap (0 for a global or a request's analyzer, as Lucene's default; an
 * index's: 100 or its custom analyzer's; a text field's `position_increment_gap`), offsets after
 * each value's length plus Lucene's offset gap of 1.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-analyze.html
 * @module
 */
import type { Context, Hono } from 'hono'
import { analyzeEnglishStream } from '../encode/english-analyzer.js'
import {
  type Analyzer, type AnalyzerRegistry, buildAnalyzers, DEFAULT_POSITION_INCREMENT_GAP, transientAnalyzer, WORD_TYPE,
} from '../analysis/index.js'
import type { SparseIndex } from '../engine/sparse-index.js'
import type { AppEnv } from './app.js'
import { badRequest, HttpError } from './http-error.js'
import { validateIndexName } from './index-names.js'
import type { Json } from './json.js'
import type { JsonBodyReader } from './pipelines.js'
import { acceptsParams, validationFailed } from './url-params.js'

/** Elasticsearch's `index.analyze.max_token_count` default: more tokens are a 400. */
export const MAX_TOKEN_COUNT = 10_000

/** Keys of an analyze request body. */
const KEYS = ['text', 'analyzer', 'field', 'tokenizer', 'filter', 'char_filter', 'explain', 'attributes', 'normalizer']

/** The built-in analyzers, as an analyze request without an index names them. */
const GLOBAL = buildAnalyzers(undefined)

/** One token of the answer. */
export interface AnalyzedToken {
  token: string
  start_offset: number
  end_offset: number
  type: string
  position: number
}

/** The analyzer a request chose, and its gaps between values. */
interface Chosen {
  analyze: Analyzer
  positionGap: number
}

/** The body's `text`: a string or a non-empty array of them (numbers and booleans as their text). */
function textsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  if (list.length === 0) throw validationFailed(['text is missing'])
  return list.map((item) => {
    if (typeof item === 'string') return item
    if (typeof item === 'number' || typeof item === 'boolean') return String(item)
    throw badRequest(`[text] must be a string or an array of strings, got ${JSON.stringify(item)}`)
  })
}

/**
 * Checks an analyze request body, as Elasticsearch's parser and AnalyzeAction.Request.validate do.
 * @throws HttpError 400 naming the key that is unknown, malformed, or not supported (explain, normalizer)
 */
export function parseAnalyze(body: Json): { texts: string[]; analyzer?: string; field?: string; components: boolean } {
  for (const key of Object.keys(body)) {
    if (!KEYS.includes(key)) throw new HttpError(400, 'x_content_parse_exception', `[analyze_request] unknown field [${key}]`)
  }
  if (body.explain !== undefined && typeof body.explain !== 'boolean') throw badRequest(`[explain] must be true or false, got ${JSON.stringify(body.explain)}`)
  if (body.explain === true) throw badRequest('[explain] is not supported: lsr answers the tokens of the whole analyzer (explain: false), not each stage')
  if (body.attributes !== undefined) throw badRequest('[attributes] is not supported: it selects the token attributes of explain, which lsr does not give')
  if (body.normalizer !== undefined) throw badRequest(`[normalizer] is not supported: lsr has no normalizers (a keyword field gives its whole value as one token)`)
  for (const key of ['analyzer', 'field'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') throw badRequest(`[${key}] must be a string, got ${JSON.stringify(body[key])}`)
  }
  const texts = textsOf(body.text)
  const components = body.tokenizer !== undefined || hasItems(body.filter) || hasItems(body.char_filter)
  const problems: string[] = []
  if (body.analyzer !== undefined && components) problems.push('cannot define extra components on a named analyzer')
  if (body.field !== undefined && components) problems.push('cannot define extra components on a field-specific analyzer')
  if (problems.length > 0) throw validationFailed(problems)
  return { texts, analyzer: body.analyzer as string | undefined, field: body.field as string | undefined, components }
}

const hasItems = (value: unknown) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)

/**
 * The analyzer of a mapped field (its index analyzer), or undefined when the field is not mapped
 * (Elasticsearch then falls back to the request's analyzer or the index default).
 * @throws HttpError 400 for a field that is not text or keyword
 */
function fieldAnalyzer(index: SparseIndex, path: string): Chosen | undefined {
  const schema = index.schema
  const field = schema?.field(path)
  const encoder = index.encoder
  if (!field && encoder && (encoder.sourceFields ?? ['title', 'text']).includes(path)) {
    // title + text feed the index's encoder: the bm25 one analyzes as the english analyzer does.
    if (encoder.config.name === 'bm25') return { analyze: analyzeEnglishStream, positionGap: DEFAULT_POSITION_INCREMENT_GAP }
    if (encoder.config.name === 'vectors') throw badRequest(`Can't process field [${path}]: it holds the index's pre-encoded vectors ({token: weight}), not text`)
    throw badRequest(`Can't process field [${path}]: it feeds the index's [${encoder.config.name}] encoder, whose model tokenizer gives no character offsets in lsr: _analyze takes text and keyword fields, or an analyzer`)
  }
  if (!schema || !field) return undefined
  if (field.type === 'text') {
    // The analyzer Schema.indexAnalyzer gives, and the gap Schema.document puts between values.
    const gap = field.positionIncrementGap ?? schema.analyzers.positionIncrementGap(field.analyzer ?? 'default')
    return { analyze: schema.indexAnalyzer(path), positionGap: gap }
  }
  // Elasticsearch's keyword fields index with Lucene's KeywordAnalyzer (its gap is Lucene's 0); lsr has no normalizers.
  if (field.type === 'keyword') return { analyze: KEYWORD, positionGap: 0 }
  if (field.type === 'rank_features' || field.type === 'sparse_vector') {
    throw badRequest(`Can't process field [${path}]: a [${field.type}] field holds features a model made (through an ingest pipeline), not text: lsr cannot analyze with the model's tokenizer (it gives no character offsets)`)
  }
  throw badRequest(`Can't process field [${path}], Analysis requests are only supported on tokenized fields`)
}

const KEYWORD: Analyzer = GLOBAL.get('keyword')!

/**
 * Chooses the analyzer (see the module comment).
 * @param index - the index of `/{index}/_analyze`, if any
 */
function chooseAnalyzer(request: ReturnType<typeof parseAnalyze>, body: Json, index: SparseIndex | undefined): Chosen {
  if (request.field !== undefined) {
    if (!index) throw validationFailed(['analysis based on a specific field requires an index'])
    const chosen = fieldAnalyzer(index, request.field)
    if (chosen) return chosen
  }
  const registry: AnalyzerRegistry = index?.schema?.analyzers ?? GLOBAL
  // Elasticsearch's global analyzers and request-built ones have Lucene's gap, 0; an index's its own.
  const gapOf = (name: string) => (index ? registry.positionIncrementGap(name) : 0)
  if (request.analyzer !== undefined) {
    const analyze = registry.get(request.analyzer)
    if (!analyze) throw badRequest(index ? `failed to find analyzer [${request.analyzer}]` : `failed to find global analyzer [${request.analyzer}]`)
    return { analyze, positionGap: gapOf(request.analyzer) }
  }
  if (request.components) {
    return { analyze: transientAnalyzer({ tokenizer: body.tokenizer, filter: body.filter, char_filter: body.char_filter }, registry, !index), positionGap: 0 }
  }
  return index ? { analyze: registry.get('default')!, positionGap: gapOf('default') } : { analyze: registry.get('standard')!, positionGap: 0 }
}

/**
 * Analyzes the texts as the values of one field, as Elasticsearch's simpleAnalyze lays them out.
 * @throws HttpError 400 past {@link MAX_TOKEN_COUNT} tokens
 */
export function analyzeTexts(texts: readonly string[], { analyze, positionGap }: Chosen): AnalyzedToken[] {
  const tokens: AnalyzedToken[] = []
  // The position and offset of the current value's position and offset 0.
  let base = 0
  let offset = 0
  for (const text of texts) {
    const stream = analyze(text, true)
    const attributes = stream.attributes
    for (let i = 0; i < stream.tokens.length; i++) {
      if (tokens.length >= MAX_TOKEN_COUNT) {
        throw badRequest(`The number of tokens produced by calling _analyze has exceeded the allowed maximum of [${MAX_TOKEN_COUNT}]. This limit can be set by changing the [index.analyze.max_token_count] index level setting.`)
      }
      tokens.push({
        token: stream.tokens[i],
        start_offset: offset + (attributes?.startOffsets[i] ?? 0),
        end_offset: offset + (attributes?.endOffsets[i] ?? text.length),
        type: attributes?.types[i] ?? WORD_TYPE,
        position: base + stream.positions[i],
      })
    }
    // Lucene's end(): the final offset is the text's length (no char filter moves it); the offset gap is 1.
    offset += text.length + 1
    base += stream.end + positionGap
  }
  return tokens
}

/** What the analyze routes use of the app. */
export interface AnalyzeRouteDeps {
  jsonBody: JsonBodyReader
}

/** `GET|POST /_analyze` and `/{index}/_analyze` (register before `/{index}`'s routes). */
export function analyzeRoutes(app: Hono<AppEnv>, { jsonBody }: AnalyzeRouteDeps): void {
  const handler = async (c: Context<AppEnv>) => {
    const body = await jsonBody(c)
    const request = parseAnalyze(body)
    const path = c.req.param('index')
    // An alias of one index reads that index, as Elasticsearch's single-index analyze does.
    const index = path === undefined ? undefined : (await c.var.indexes.named(validateIndexName(path)))[1]
    return c.json({ tokens: analyzeTexts(request.texts, chooseAnalyzer(request, body, index)) })
  }
  app.on(['GET', 'POST'], '/_analyze', acceptsParams(), handler)
  app.on(['GET', 'POST'], '/:index/_analyze', acceptsParams(), handler)
}
