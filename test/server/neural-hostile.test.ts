/**
 * What an attacker or a careless client sends to the neural features, over a real port: ingest
 * and search pipelines with unknown processors and options, model ids that are paths, field maps
 * naming metadata fields, out-of-range pruning, bad weights in queries and documents (raw JSON:
 * `1e309` is a number literal there), malformed hybrid queries and pagination, deep nesting, bad
 * pipeline names and ids. Each is a 4xx naming what is wrong, never a 500, never a server path in
 * the body, and a refused request changes nothing (pipelines, indexes, document counts). Last,
 * concurrent `?pipeline=` bulk writers and hybrid searches.
 */
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { ROOT } from '../helpers.js'
import { portServer, send } from './helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const NDJSON = { 'content-type': 'application/x-ndjson' }
const ndjson = (lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n'

const ENCODE = { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: 'passage_embedding' } } }] }
const MAPPINGS = { properties: { passage_text: { type: 'text' }, passage_embedding: { type: 'rank_features' } } }
const MIN_MAX = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } } } }] }
const MATCH = { match: { passage_text: 'sparse' } }
const NEURAL = { neural_sparse: { passage_embedding: { query_tokens: { sparse: 1.5, search: 0.5 } } } }
const hybrid = (queries: unknown, extra: Record<string, unknown> = {}) => ({ query: { hybrid: { queries, ...extra } } })
/** `depth` bools around a match, as JSON text (JSON.stringify itself overflows the stack on 10,000 levels). */
const nestedBool = (depth: number, asArray = false) => {
  let query = '{"match":{"passage_text":"sparse"}}'
  for (let i = 0; i < depth; i++) query = asArray ? `{"bool":{"must":[${query}]}}` : `{"bool":{"must":${query}}}`
  return query
}

describe('hostile and careless neural requests over a real port', () => {
  const models = new ModelRegistry(MODELS, { threads: 1 })
  let url: string
  let close: () => Promise<void>
  /** Server folders no answer may show. */
  let hidden: string[]

  type Answer = { status: number; body: any }
  /** A request whose answer is never a 5xx and never shows a server folder. */
  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> => {
    const answer = await send(url + path, method, body, headers)
    const label = `${method} ${path.slice(0, 100)} ${(typeof body === 'string' ? body : JSON.stringify(body) ?? '').slice(0, 200)}`
    expect(answer.status, label).toBeLessThan(500)
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body) ?? ''
    for (const folder of hidden) expect(text, `${label} shows ${folder}`).not.toContain(folder)
    return answer
  }
  /** What a refused request must not change: the pipelines, the indexes and their document counts. */
  const state = async () => ({
    ingest: await call('GET', '/_ingest/pipeline'),
    search: await call('GET', '/_search/pipeline'),
    indexes: (await call('GET', '/_cat/indices?format=json')).body.map((row: Record<string, string>) => [row.index, row['docs.count']]).sort(),
  })
  /** A 4xx whose reason matches `reason` (it names the parameter), and nothing changed. */
  const refused = async (method: string, path: string, body: unknown, reason: RegExp, headers?: Record<string, string>): Promise<Answer> => {
    const before = await state()
    const answer = await call(method, path, body, headers)
    const label = `${method} ${path.slice(0, 100)} ${(typeof body === 'string' ? body : JSON.stringify(body) ?? '').slice(0, 200)}`
    expect(answer.status, label).toBeGreaterThanOrEqual(400)
    expect(answer.body?.error?.reason, label).toMatch(reason)
    expect(await state(), `${label} changed the server`).toEqual(before)
    return answer
  }
  /** A bulk whose items are all refused (200, errors true, each item a 4xx naming the problem), and nothing changed. */
  const refusedItems = async (path: string, lines: unknown[], reason: RegExp) => {
    const before = await state()
    const answer = await call('POST', path, ndjson(lines), NDJSON)
    expect(answer.status).toBe(200)
    expect(answer.body.errors).toBe(true)
    for (const item of answer.body.items) {
      const outcome = Object.values(item as Record<string, { status: number; error: { reason: string } }>)[0]
      expect(outcome.status).toBeGreaterThanOrEqual(400)
      expect(outcome.status).toBeLessThan(500)
      expect(outcome.error.reason).toMatch(reason)
    }
    expect(await state()).toEqual(before)
  }

  beforeAll(async () => {
    const server = await portServer({ modelsDir: MODELS, models })
    url = server.url
    close = server.close
    hidden = [ROOT.replace(/\/$/, ''), MODELS, 'test/fixtures/models', server.server.registry.dataDir]
    expect((await call('PUT', '/_ingest/pipeline/enc', ENCODE)).status).toBe(200)
    expect((await call('PUT', '/_search/pipeline/mm', MIN_MAX)).status).toBe(200)
    expect((await call('PUT', '/docs', { settings: { index: { default_pipeline: 'enc' } }, mappings: MAPPINGS })).status).toBe(200)
    const texts = ['sparse retrieval with learned weights', 'fast search engine for sparse text search', 'the weather in new york']
    const bulk = await call('POST', '/docs/_bulk?refresh=true', ndjson(texts.flatMap((passage_text, i) => [{ index: { _id: String(i + 1) } }, { passage_text }])), NDJSON)
    expect(bulk.body.errors).toBe(false)
    expect((await call('PUT', '/raw', { mappings: { properties: { text: { type: 'text' }, emb: { type: 'rank_features' } } } })).status).toBe(200)
    expect((await call('PUT', '/raw/_doc/1?refresh=true', { text: 'sparse', emb: { sparse: 1.5, search: 0.5 } })).status).toBe(201)
  })
  afterAll(async () => {
    await close?.()
  })

  it('ingest pipelines: unknown processors and options, bad pruning and batch sizes are 400s naming the key; nothing is stored', async () => {
    const sparse = (options: Record<string, unknown>) => ({ processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: 'e' }, ...options } }] })
    const cases: Array<[unknown, RegExp]> = [
      [{ processors: [{ script: { source: 'ctx.x = 1' } }] }, /\[processors\]\[0\]\[script\] No processor type exists/],
      [{ processors: [{ inference: { model_id: 'tiny-bert' } }] }, /\[processors\]\[0\]\[inference\]/],
      [{ processors: [{ text_embedding: { model_id: 'tiny-bert', field_map: { a: 'b' } } }] }, /\[processors\]\[0\]\[text_embedding\]/],
      [{ processors: [{ set: { field: 'a', value: 1 } }, { sparse_encodings: {} }] }, /\[processors\]\[1\]\[sparse_encodings\]/],
      [sparse({ prune: 1 }), /\[sparse_encoding\]\[prune\] is not an option/],
      [sparse({ model: 'tiny-bert' }), /\[sparse_encoding\]\[model\] is not an option/],
      [sparse({ if: 'ctx.a != null' }), /\[sparse_encoding\]\[if\]/],
      [sparse({ on_failure: [] }), /\[sparse_encoding\]\[on_failure\]/],
      [sparse({ skip_existing: true }), /\[sparse_encoding\]\[skip_existing\]/],
      [sparse({ skip_existing: 'yes' }), /\[sparse_encoding\]\[skip_existing\]/],
      [sparse({ tag: 5 }), /\[sparse_encoding\]\[tag\]/],
      [sparse({ prune_type: 'max_ratio', prune_ratio: 1e308 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'max_ratio', prune_ratio: 1 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'max_ratio', prune_ratio: -0.5 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'alpha_mass', prune_ratio: 1 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'top_k', prune_ratio: 0 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'top_k', prune_ratio: 1.5 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'abs_value', prune_ratio: -1 }), /\[prune_ratio\] Illegal prune_ratio/],
      [sparse({ prune_type: 'max_ratio', prune_ratio: '0.1' }), /\[prune_ratio\] must be a number/],
      [sparse({ prune_type: 'max_ratio' }), /\[prune_ratio\] required/],
      [sparse({ prune_ratio: 0.1 }), /\[prune_ratio\] prune_ratio field is not supported when prune_type is not provided/],
      [sparse({ prune_type: 'median', prune_ratio: 0.1 }), /\[prune_type\] Unknown prune type/],
      [sparse({ prune_type: 7, prune_ratio: 0.1 }), /\[prune_type\] must be a string/],
      [sparse({ batch_size: 0 }), /\[batch_size\]/],
      [sparse({ batch_size: -1 }), /\[batch_size\]/],
      [sparse({ batch_size: 1.5 }), /\[batch_size\]/],
      [sparse({ batch_size: '4' }), /\[batch_size\]/],
      [{ processors: 'sparse_encoding' }, /\[processors\] must be a list/],
      [{ processors: [{}] }, /\[processors\]\[0\] must be an object naming one processor/],
      [{ processors: [{ set: { field: 'a', value: 1 }, remove: { field: 'b' } }] }, /\[processors\]\[0\] must be an object naming one processor/],
      [{ processors: [], extra: 1 }, /\[extra\] is not a pipeline option/],
      [{ processors: [], on_failure: [{ set: { field: 'x', value: 1 } }] }, /\[on_failure\]/],
      [[ENCODE], /request body must be a JSON object/],
      [null, /request body must be a JSON object/],
      ['{"processors": [', /request body is not valid JSON/],
    ]
    for (const [definition, reason] of cases) {
      await refused('PUT', '/_ingest/pipeline/bad', typeof definition === 'string' ? definition : JSON.stringify(definition), reason)
    }
    // A number literal too large for a double is Infinity once parsed: not a ratio.
    await refused('PUT', '/_ingest/pipeline/bad', '{"processors":[{"sparse_encoding":{"model_id":"tiny-bert","field_map":{"passage_text":"e"},"prune_type":"abs_value","prune_ratio":1e309}}]}', /\[prune_ratio\] must be a number/)
    expect((await call('GET', '/_ingest/pipeline/bad')).status).toBe(404)
  })

  it('a model_id that is a path, an encoded path, too long, unicode or not a string is refused everywhere it is read', async () => {
    const ids: unknown[] = [
      '../x', '/etc/passwd', 'tiny-bert/../../x', '..', '.', './tiny-bert', 'tiny-bert/', '~/x', '..\\x', 'C:\\Windows', '\\\\server\\share',
      '..%2Fx', '%2E%2E%2Fx', '%2e%2e/x', 'tiny-bert%00', 'tiny-bert\u0000', ' tiny-bert', 'tïny-bert', '💥', 'ｔｉｎｙ-bert', '',
      'a'.repeat(5000), `org/${'a'.repeat(300)}`, 'tiny-bert/onnx', 'TINY-BERT', 'no-such-model', 7, ['tiny-bert'], { id: 'tiny-bert' }, true,
    ]
    for (const id of ids) {
      const definition = { processors: [{ sparse_encoding: { model_id: id, field_map: { passage_text: 'e' } } }] }
      await refused('PUT', '/_ingest/pipeline/bad', definition, /\[model_id\]|^model \[/)
      await refused('POST', '/_ingest/pipeline/_simulate', { pipeline: definition, docs: [{ _source: { passage_text: 'sparse' } }] }, /\[model_id\]|^model \[/)
      const query = { query: { neural_sparse: { passage_embedding: { query_text: 'sparse', model_id: id } } } }
      await refused('POST', '/docs/_search', query, /model \[|model_id/)
      // Through a search pipeline's neural_query_enricher: accepted as a name when stored, refused when a query needs it.
      const enricher = { request_processors: [{ neural_query_enricher: { default_model_id: id } }] }
      if (typeof id === 'string') {
        await refused('POST', '/docs/_search', { query: { neural_sparse: { passage_embedding: { query_text: 'sparse' } } }, search_pipeline: enricher }, /model \[|model_id/)
      } else {
        await refused('POST', '/docs/_search', { query: NEURAL, search_pipeline: enricher }, /\[default_model_id\] must be a string/)
      }
    }
    for (const id of ['..%2F..%2Fetc', '%2Fetc%2Fpasswd', 'tiny-bert%2F..%2F..%2Fx', '%2E%2E', 'a'.repeat(4000), '%F0%9F%92%A5', 'tiny-bert%2Fonnx', 'tiny-bert%00']) {
      // (%2E%2E is a dot segment to the URL parser: no route at all.)
      await refused('GET', `/_plugins/_ml/models/${id}`, undefined, /model|no handler/i)
    }
  })

  it('field_map naming metadata fields is refused; __proto__ and constructor.prototype are plain names that pollute nothing', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()
    const maps: unknown[] = [
      { _id: 'e' }, { _source: 'e' }, { _index: 'e' }, { _ingest: 'e' }, { passage_text: '_id' }, { passage_text: '_source' }, { passage_text: '_routing' },
      { passage_text: '_ingest.timestamp' }, {}, { passage_text: '' }, { passage_text: '   ' }, { passage_text: 5 }, { passage_text: null }, { passage_text: ['e'] },
      { 'a..b': 'e' }, { '.a': 'e' }, { passage_text: '{{field}}' }, { passage_text: 'a..b' }, 'passage_text', ['passage_text'],
    ]
    for (const map of maps) {
      await refused('PUT', '/_ingest/pipeline/bad', { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: map } }] }, /\[field_map\]/)
    }
    // __proto__ as a text field and as a target: own keys of the document, never its prototype.
    const simulated = await call('POST', '/_ingest/pipeline/_simulate', '{"pipeline":{"processors":[{"sparse_encoding":{"model_id":"tiny-bert","field_map":{"__proto__":"__proto__.constructor"}}}]},"docs":[{"_source":{"__proto__":"sparse search"}}]}')
    expect(simulated.status).toBe(200)
    expect(JSON.stringify(simulated.body.docs[0])).toMatch(/"error"|"__proto__"/)
    for (const target of ['__proto__', 'constructor.prototype', '__proto__.polluted']) {
      expect((await call('PUT', '/_ingest/pipeline/proto', { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: target } } }] })).status).toBe(200)
      const simulatedTarget = await call('POST', '/_ingest/pipeline/proto/_simulate', { docs: [{ _source: { passage_text: 'sparse search' } }] })
      expect(simulatedTarget.status).toBe(200)
      // Written to /docs, the field is refused (lsr keeps names starting with _ for metadata; a field named "constructor" with
      // "prototype" is mapped dynamically) or indexed: either way one answer, no 500, and the prototype untouched.
      const written = await call('PUT', '/docs/_doc/proto?pipeline=proto&refresh=true', { passage_text: 'sparse search' })
      expect([201, 400]).toContain(written.status)
      if (written.status === 201) expect((await call('DELETE', '/docs/_doc/proto?refresh=true')).status).toBe(200)
      expect((await call('DELETE', '/_ingest/pipeline/proto')).status).toBe(200)
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((await call('GET', '/docs/_count')).body.count).toBe(3)
  })

  it('extreme pruning that OpenSearch accepts runs: top_k 1e308 keeps every token, abs_value 1e308 keeps none', async () => {
    const simulate = async (options: Record<string, unknown>) => {
      const pipeline = { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { passage_text: 'e' }, ...options } }] }
      const answer = await call('POST', '/_ingest/pipeline/_simulate', { pipeline, docs: [{ _source: { passage_text: 'sparse search' } }] })
      expect(answer.status).toBe(200)
      return answer.body.docs[0].doc._source.e as Record<string, number>
    }
    const unpruned = await simulate({})
    expect(await simulate({ prune_type: 'top_k', prune_ratio: 1e308 })).toEqual(unpruned)
    expect(await simulate({ batch_size: 1e9 })).toEqual(unpruned)
    expect(await simulate({ prune_type: 'abs_value', prune_ratio: 1e308 })).toEqual({})
    expect(Object.keys(await simulate({ prune_type: 'top_k', prune_ratio: 2 }))).toHaveLength(2)
  })

  it('documents\' rank_features values that are not positive finite numbers are per-document 400s naming the field; nothing is written', async () => {
    const values = ['1e309', '-1e309', '-0', '0', '-1', '-1e-45', 'null', 'true', '"1"', '"NaN"', '"Infinity"', '{"b":1}', '[1,2]', '[]']
    for (const value of values) {
      await refused('PUT', '/raw/_doc/bad', `{"text":"x","emb":{"a":${value}}}`, /\[emb\]/)
      await refusedItems('/raw/_bulk', ['{"index":{"_id":"bad"}}', `{"text":"x","emb":{"a":${value}}}`], /\[emb\]/)
    }
    // (An array of objects is several objects of one field, as OpenSearch parses arrays: fine once, not with a feature twice.)
    for (const emb of ['[1]', '"sparse"', '5', 'true', '[{"a":1},{"a":2}]', '[{"a":1},7]']) {
      await refused('PUT', '/raw/_doc/bad', `{"text":"x","emb":${emb}}`, /\[emb\]/)
    }
    // A feature given twice in one document (JSON allows duplicate keys).
    await refused('PUT', '/raw/_doc/bad', '{"text":"x","emb":{"a":1},"emb.a":2}', /emb/)
    // Encoded by a pipeline, a text that is not one is the document's failure too.
    for (const text of ['7', '{"a":"b"}', '["ok",null]', '[["nested"]]', 'true']) {
      await refused('PUT', '/docs/_doc/bad', `{"passage_text":${text}}`, /\[passage_text\]|field \[passage_text\]/)
      await refusedItems('/docs/_bulk', ['{"index":{"_id":"bad"}}', `{"passage_text":${text}}`], /passage_text/)
    }
    expect((await call('GET', '/raw/_doc/bad')).status).toBe(404)
  })

  // Lucene's FeatureField (OpenSearch's rank_features) takes a float feature value only if it is
  // finite and at least Float.MIN_NORMAL (1.17549435e-38): "featureValue must be a positive normal
  // float" / "featureValue must be finite". lsr accepts these, storing 1e-45 and 1e-300 as weight 0
  // (the document never matches the feature) and 3.5e38 as the largest float (3.4e38).
  for (const value of ['1e-45', '1e-300', '3.5e38']) {
    it(`a rank_features value of ${value} (not a positive normal float32) is refused, as OpenSearch refuses it`, async () => {
      const index = `subnormal-${value.replace(/\W/g, '')}`
      expect((await call('PUT', `/${index}`, { mappings: { properties: { emb: { type: 'rank_features' } } } })).status).toBe(200)
      const answer = await call('PUT', `/${index}/_doc/1`, `{"emb":{"a":${value}}}`)
      expect(answer.status).toBe(400)
      expect(answer.body.error.reason).toMatch(/\[emb\]/)
    })
  }

  it('query_tokens weights that are not positive finite numbers are 400s naming the token; the query side has no path to a model', async () => {
    for (const weight of ['-1', '0', '-0', '1e309', '-1e309', 'null', 'true', '"1"', '"NaN"', '[1]', '{"a":1}']) {
      await refused('POST', '/raw/_search', `{"query":{"neural_sparse":{"emb":{"query_tokens":{"sparse":1,"search":${weight}}}}}}`, /\[neural_sparse\] weight of token \[search\]/)
    }
    for (const tokens of ['[]', '"sparse"', '5', 'null']) {
      await refused('POST', '/raw/_search', `{"query":{"neural_sparse":{"emb":{"query_tokens":${tokens}}}}}`, /\[neural_sparse\]/)
    }
    const cases: Array<[unknown, RegExp]> = [
      [{ emb: { query_tokens: { sparse: 1 }, query_text: 'sparse', model_id: 'tiny-bert' } }, /\[neural_sparse\] needs exactly one of query_text/],
      [{ emb: {} }, /\[neural_sparse\] needs exactly one of query_text/],
      [{ emb: { query_tokens: { sparse: 1 }, model_id: 'tiny-bert' } }, /\[neural_sparse\] model_id applies to query_text/],
      [{ emb: { query_text: 'sparse', model_id: 'tiny-bert', boost: -1 } }, /boost/],
      [{ emb: { query_text: 5, model_id: 'tiny-bert' } }, /\[neural_sparse\] query_text must be a string/],
      [{ emb: { query_tokens: { sparse: 1 }, unknown: 1 } }, /\[neural_sparse\].*unknown/],
      [{ text: { query_tokens: { sparse: 1 } } }, /\[neural_sparse\] field \[text\] is of type \[text\]/],
      [{ emb: { query_tokens: { sparse: 1 } }, other: { query_tokens: { sparse: 1 } } }, /\[neural_sparse\]/],
    ]
    for (const [body, reason] of cases) await refused('POST', '/raw/_search', { query: { neural_sparse: body } }, reason)
  })

  it('hybrid queries: 0 or 6 sub-queries, nesting, bad pagination_depth, huge from, weights for another count are 400s', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [hybrid([]), /\[hybrid\] requires \[queries\]/],
      [hybrid([MATCH, MATCH, MATCH, MATCH, MATCH, MATCH]), /\[hybrid\] number of sub-queries exceeds maximum.*6 > 5/],
      [hybrid('match'), /\[hybrid\] requires \[queries\]/],
      [hybrid({ 0: MATCH }), /\[hybrid\] requires \[queries\]/],
      [hybrid([null]), /\[hybrid\] queries\[0\] must be a query object/],
      [hybrid([MATCH, []]), /\[hybrid\] queries\[1\] must be a query object/],
      [{ query: { hybrid: {} } }, /\[hybrid\] requires \[queries\]/],
      [{ query: { hybrid: null } }, /\[hybrid\] must be an object/],
      [hybrid([MATCH], { boost: 2 }), /\[hybrid\] query does not support \[boost\]/],
      [{ query: { hybrid: { queries: [MATCH] }, match_all: {} } }, /\[query\] must have exactly one query type/],
      [hybrid([hybrid([MATCH]).query, NEURAL]), /\[hybrid\] queries\[0\].*must be the top-level query/],
      [hybrid([MATCH, { bool: { should: [hybrid([MATCH]).query] } }]), /\[hybrid\] queries\[1\].*must be the top-level query/],
      [{ query: { bool: { must: hybrid([MATCH, NEURAL]).query } } }, /must be the top-level query/],
      [{ query: { constant_score: { filter: hybrid([MATCH]).query } } }, /must be the top-level query/],
      [hybrid([MATCH, { neural_sparse: { passage_embedding: { query_tokens: { sparse: -1 } } } }]), /\[hybrid\] queries\[1\]: \[neural_sparse\] weight of token \[sparse\]/],
      [hybrid([MATCH, { regexp: { passage_text: 's.*' } }]), /\[hybrid\] queries\[1\]/],
      [hybrid([MATCH, NEURAL], { filter: { nope: {} } }), /nope/],
      [{ ...hybrid([MATCH, NEURAL]), sort: ['_doc'] }, /\[sort\] is not supported with a \[hybrid\] query/],
      [{ ...hybrid([MATCH, NEURAL]), search_after: [1], sort: ['_score'] }, /\[(sort|search_after)\]/],
      [{ ...hybrid([MATCH, NEURAL]), from: 1 }, /pagination_depth is required when from is greater than 0/],
      [{ ...hybrid([MATCH, NEURAL], { pagination_depth: 10 }), from: 1e15 }, /Result window is too large/],
      [{ ...hybrid([MATCH, NEURAL], { pagination_depth: 10 }), from: 9995, size: 10 }, /Result window is too large/],
      [{ ...hybrid([MATCH, NEURAL], { pagination_depth: 10 }), from: -1 }, /\[from\]/],
      [{ ...hybrid([MATCH, NEURAL], { pagination_depth: 10 }), size: -1 }, /\[size\]/],
      [{ ...hybrid([MATCH, NEURAL], { pagination_depth: 10 }), from: 1.5 }, /\[from\]/],
      [hybrid([MATCH, MATCH, NEURAL]), /number of weights \[2\] must match number of sub-queries \[3\]/],
      [hybrid([NEURAL]), /number of weights \[2\] must match number of sub-queries \[1\]/],
    ]
    for (const depth of [0, 10001, -1, 1.5, '10', null, true, 1e309]) {
      cases.push([depth === 1e309 ? '{"query":{"hybrid":{"queries":[{"match":{"passage_text":"sparse"}}],"pagination_depth":1e309}}}' : hybrid([MATCH, NEURAL], { pagination_depth: depth }), /\[hybrid\] pagination_depth must be an integer from 1 to 10000/])
    }
    for (const [body, reason] of cases) {
      await refused('POST', '/docs/_search?search_pipeline=mm', typeof body === 'string' ? body : JSON.stringify(body), reason)
    }
    // An inline pipeline whose weights are for six sub-queries (they sum to 1: stored as OpenSearch stores them, refused per query).
    const six = { phase_results_processors: [{ 'normalization-processor': { combination: { parameters: { weights: [0.2, 0.2, 0.2, 0.2, 0.1, 0.1] } } } }] }
    await refused('POST', '/docs/_search', { ...hybrid([MATCH, NEURAL]), search_pipeline: six }, /number of weights \[6\] must match number of sub-queries \[2\]/)
    // The limits themselves are fine: pagination_depth 10000, a page at the end of the window.
    const edge = await call('POST', '/docs/_search?search_pipeline=mm', { ...hybrid([MATCH, NEURAL], { pagination_depth: 10000 }), from: 9990, size: 10 })
    expect(edge.status).toBe(200)
    expect(edge.body.hits.hits).toEqual([])
  })

  it('deep nesting inside hybrid sub-queries and filters is a 400, not a stack overflow', async () => {
    for (const depth of [10_000, 1_001]) {
      for (const asArray of [false, true]) {
        const deep = nestedBool(depth, asArray)
        await refused('POST', '/docs/_search?search_pipeline=mm', `{"query":{"hybrid":{"queries":[${JSON.stringify(MATCH)},${deep}]}}}`, /nested/)
        await refused('POST', '/docs/_search?search_pipeline=mm', `{"query":{"hybrid":{"queries":[${JSON.stringify(MATCH)}],"filter":${deep}}}}`, /nested/)
      }
    }
    for (const depth of [100, 31]) {
      await refused('POST', '/docs/_search?search_pipeline=mm', `{"query":{"hybrid":{"queries":[${nestedBool(depth)}]}}}`, /\[hybrid\] queries\[0\].*max_nested_depth/)
    }
    // Wide rather than deep: 5 sub-queries of 1,000 should clauses each run.
    const wide = { bool: { should: Array.from({ length: 1000 }, (_, i) => ({ match: { passage_text: `word${i}` } })) } }
    const fiveWeights = { phase_results_processors: [{ 'normalization-processor': { combination: { parameters: { weights: [0.2, 0.2, 0.2, 0.2, 0.2] } } } }] }
    const answer = await call('POST', '/docs/_search', { ...hybrid([wide, wide, wide, wide, MATCH]), search_pipeline: fiveWeights })
    expect([200, 400]).toContain(answer.status)
  })

  it('search pipelines: weights not summing to 1 or out of range, z_score with geometric_mean, rank_constant 0, unknown processors are 400s; nothing is stored', async () => {
    const normalization = (config: Record<string, unknown>) => ({ phase_results_processors: [{ 'normalization-processor': config }] })
    const weights = (w: unknown) => normalization({ combination: { technique: 'arithmetic_mean', parameters: { weights: w } } })
    const ranker = (combination: Record<string, unknown>) => ({ phase_results_processors: [{ 'score-ranker-processor': { combination } }] })
    const cases: Array<[unknown, RegExp]> = [
      [weights([0.3, 0.3]), /\[weights\] must sum to 1.0/],
      [weights([0.5, 0.6]), /\[weights\] must sum to 1.0/],
      [weights([]), /\[weights\] must sum to 1.0/],
      [weights([-0.5, 1.5]), /\[weights\] all weights must be in range/],
      [weights([2, -1]), /\[weights\] all weights must be in range/],
      [weights(['0.5', 0.5]), /\[weights\]\[0\] must be a number/],
      [weights([null, 1]), /\[weights\]\[0\] must be a number/],
      [weights(1), /\[weights\] must be an array/],
      [weights({ 0: 1 }), /\[weights\] must be an array/],
      [ranker({ technique: 'rrf', parameters: { weights: [0.9, 0.9] } }), /\[weights\] must sum to 1.0/],
      [normalization({ normalization: { technique: 'z_score' }, combination: { technique: 'geometric_mean' } }), /\[combination\]\[technique\] geometric_mean is not supported for normalization technique z_score/],
      [normalization({ normalization: { technique: 'z_score' }, combination: { technique: 'harmonic_mean' } }), /\[combination\]\[technique\] harmonic_mean is not supported/],
      [normalization({ normalization: { technique: 'softmax' } }), /\[normalization\]\[technique\] \[softmax\] is not a normalization technique/],
      [normalization({ combination: { technique: 'median' } }), /\[combination\]\[technique\] \[median\] is not a combination technique/],
      [normalization({ combination: { technique: 'rrf' } }), /\[combination\]\[technique\] rrf/],
      [normalization({ normalization: { technique: 'min_max', parameters: { lower_bounds: [{ mode: 'clip', min_score: 1e9 }] } } }), /\[lower_bounds\]\[0\]\[min_score\] must be between/],
      [normalization({ normalization: { technique: 'min_max', parameters: { lower_bounds: [{ mode: 'sideways' }] } } }), /\[lower_bounds\]\[0\]\[mode\]/],
      [normalization({ normalization: { technique: 'l2', parameters: { x: 1 } } }), /\[normalization\]\[parameters\]\[x\]/],
      [normalization({ extra: 1 }), /\[normalization-processor\]\[extra\] is not a known parameter/],
      [normalization({ ignore_failure: true }), /\[ignore_failure\]/],
      [ranker({ technique: 'rrf', rank_constant: 0 }), /\[rank_constant\] must be in the interval between 1 and 10000/],
      [ranker({ technique: 'rrf', rank_constant: -1 }), /\[rank_constant\] must be in the interval/],
      [ranker({ technique: 'rrf', rank_constant: 10001 }), /\[rank_constant\] must be in the interval/],
      [ranker({ technique: 'rrf', rank_constant: 1.5 }), /\[rank_constant\] must be an integer/],
      [ranker({ technique: 'rrf', rank_constant: '1e3' }), /\[rank_constant\] must be an integer/],
      [ranker({ technique: 'min_max' }), /\[combination\]\[technique\] \[min_max\] is not supported by score-ranker-processor/],
      [{ phase_results_processors: [{ 'normalization-processor': {} }, { 'score-ranker-processor': {} }] }, /\[phase_results_processors\]\[1\]\[score-ranker-processor\] is a second phase results processor/],
      [{ phase_results_processors: [{ 'rerank-processor': {} }] }, /\[phase_results_processors\]\[0\]\[rerank-processor\] is not a processor/],
      [{ request_processors: [{ filter_query: { query: { match_all: {} } } }] }, /\[request_processors\]\[0\]\[filter_query\] is not a processor/],
      [{ request_processors: [{ neural_query_enricher: {} }] }, /\[neural_query_enricher\] needs default_model_id or neural_field_default_id/],
      [{ request_processors: [{ neural_query_enricher: { neural_field_default_id: { passage_embedding: 7 } } }] }, /\[neural_field_default_id\]\[passage_embedding\] must be a string/],
      [{ response_processors: [{ rename_field: { field: 'a', target_field: 'b' } }] }, /\[response_processors\]\[0\]\[rename_field\]/],
      [{ phase_results_processors: {} }, /\[phase_results_processors\] must be an array/],
      [{ phase_results_processors: [{}] }, /\[phase_results_processors\]\[0\] must be an object with one key/],
      [{ phase_results_processors: [null] }, /\[phase_results_processors\]\[0\] must be an object/],
      [{ phase_results_processors: [{ 'normalization-processor': null }] }, /\[phase_results_processors\]\[0\]\[normalization-processor\] must be an object/],
      [{ version: 'one', phase_results_processors: [] }, /\[version\] must be an integer/],
      [{ processors: [] }, /\[processors\] is not a known parameter/],
    ]
    for (const [definition, reason] of cases) {
      await refused('PUT', '/_search/pipeline/bad', definition, reason)
      // The same definition inline in a search is the same 400, prefixed by where it is.
      await refused('POST', '/docs/_search', { ...hybrid([MATCH, NEURAL]), search_pipeline: definition }, reason)
    }
    await refused('PUT', '/_search/pipeline/bad', '{"phase_results_processors":[{"normalization-processor":{"combination":{"parameters":{"weights":[1e309,0]}}}}]}', /\[weights\]\[0\] must be a number/)
    expect((await call('GET', '/_search/pipeline/bad')).status).toBe(404)
  })

  it('search_pipeline as a string, array or null in the body, and ?search_pipeline= patterns, paths or unknown names are 400s', async () => {
    const body = hybrid([MATCH, NEURAL])
    for (const inline of ['nope', ['mm'], null, 5, true, [MIN_MAX]]) {
      await refused('POST', '/docs/_search', { ...body, search_pipeline: inline }, /search_pipeline|search pipeline/)
    }
    for (const name of ['*', 'mm*', 'm?', 'mm,mm', '_all', '', '..', '..%2Fmm', '%2Fetc%2Fpasswd', 'a%20b', 'a%2Fb', 'nope', 'a'.repeat(600), '%F0%9F%92%A5', 'mm%00']) {
      await refused('POST', `/docs/_search?search_pipeline=${name}`, body, /search pipeline \[/)
    }
    // _none: no pipeline, and a hybrid query needs one.
    await refused('POST', '/docs/_search?search_pipeline=_none', body, /a \[hybrid\] query needs a search pipeline/)
    await refused('POST', '/docs/_search', { ...body, search_pipeline: {} }, /a \[hybrid\] query needs a search pipeline/)
    // A name is not a path: a pipeline that exists is found only by its own name.
    expect((await call('POST', '/docs/_search?search_pipeline=mm', body)).status).toBe(200)
    await refused('POST', '/docs/_search?search_pipeline=.%2Fmm', body, /search pipeline \[\.\/mm\] does not exist/)
    // A write naming a pipeline that is not one fails before anything is written.
    for (const name of ['..%2Fenc', '%2Fetc%2Fpasswd', '*', 'enc*', 'a%20b', '']) {
      await refused('POST', `/docs/_bulk?pipeline=${name}`, ndjson([{ index: {} }, { passage_text: 'never written' }]), /pipeline with id \[/, NDJSON)
      await refused('PUT', `/docs/_doc/never?pipeline=${name}`, { passage_text: 'never written' }, /pipeline with id \[/)
    }
    await refusedItems('/docs/_bulk', [{ index: { _id: 'never', pipeline: '../enc' } }, { passage_text: 'never written' }], /pipeline with id \[\.\.\/enc\] does not exist/)
    for (const setting of [{ default_pipeline: '../enc' }, { final_pipeline: '/etc/passwd' }, { search: { default_pipeline: 'a b' } }, { search: { default_pipeline: 'a'.repeat(600) } }, { search: { default_pipeline: 5 } }]) {
      await refused('PUT', '/settings-check', { settings: { index: setting } }, /settings\.index\.|pipeline/)
    }
  })

  it('pipeline ids with /, .., spaces, patterns or 600 bytes are refused by both kinds of pipeline; GET and DELETE find nothing', async () => {
    const ids = ['a%2Fb', '%2Fetc%2Fpasswd', '..%2F..%2Fdocs', 'a%20b', '%20', 'a%09b', 'a%00b', '*', 'a*', 'a%2Cb', 'a%3Fb', 'a%23b', '_bad', 'a'.repeat(600), 'é'.repeat(300), '..', '.', '%2E%2E', '%2e']
    for (const kind of ['_ingest', '_search']) {
      const definition = kind === '_ingest' ? { processors: [] } : MIN_MAX
      for (const id of ids) {
        await refused('PUT', `/${kind}/pipeline/${id}`, definition, /id \[|no handler/)
        // (GET takes patterns: * lists every pipeline.)
        if (id !== '*') expect((await call('GET', `/${kind}/pipeline/${id}`)).status, `GET ${kind} ${id}`).toBeGreaterThanOrEqual(400)
      }
      // 512 bytes is the longest id.
      expect((await call('PUT', `/${kind}/pipeline/${'b'.repeat(512)}`, definition)).status).toBe(200)
      await refused('PUT', `/${kind}/pipeline/${'b'.repeat(513)}`, definition, /longer than 512 bytes/)
      expect((await call('DELETE', `/${kind}/pipeline/${'b'.repeat(512)}`)).status).toBe(200)
      for (const id of ['nope', 'a%2Fb', '..%2Fdocs', '%2Fetc%2Fpasswd']) {
        await refused('DELETE', `/${kind}/pipeline/${id}`, undefined, /is missing/)
      }
    }
  })

  // OpenSearch routes the raw path: /_ingest/pipeline/../../docs has five segments and no handler.
  // lsr's Node adapter resolves dot segments first (WHATWG URL), so a request addressed to a
  // pipeline reaches another endpoint: here it deletes the index `docs`.
  it('dot segments in a pipeline path never reach another endpoint (DELETE /_ingest/pipeline/../../victim)', async () => {
    // Sent as is: a URL string would be normalized by the client (node:http parses it with WHATWG URL).
    const raw = (method: string, path: string) => new Promise<{ status: number }>((resolve, reject) => {
      const { hostname, port } = new URL(url)
      const req = request({ hostname, port, path, method }, (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode! }))
      })
      req.on('error', reject)
      req.end()
    })
    for (const path of ['/_ingest/pipeline/../../victim', '/_search/pipeline/%2E%2E/%2E%2E/victim', '/_search/pipeline/.%2e/./../victim']) {
      expect((await call('PUT', '/victim', {})).status).toBe(200)
      const answer = await raw('DELETE', path)
      const exists = (await call('GET', '/_cat/indices?format=json')).body.some((row: { index: string }) => row.index === 'victim')
      await call('DELETE', '/victim')
      expect(answer.status, path).toBeGreaterThanOrEqual(400)
      expect(exists, `${path} deleted the index`).toBe(true)
    }
  })

  it('races: 4 writers bulk-index through ?pipeline= while hybrid searches run; every search is a 200 whose total lies between the acknowledged and the sent documents', async () => {
    expect((await call('PUT', '/race', { mappings: MAPPINGS })).status).toBe(200)
    const words = ['sparse', 'search', 'retrieval', 'weather', 'roaring', 'bitmaps', 'query', 'terms', 'index', 'fast']
    let sent = 0
    let acked = 0
    const deadline = Date.now() + 3000
    const failures: string[] = []
    const writer = async (w: number) => {
      let batches = 0
      for (let i = 0; Date.now() < deadline; i++) {
        const docs = Array.from({ length: 3 }, (_, j) => ({ _id: `w${w}-${i}-${j}`, passage_text: `${words[(w + i + j) % words.length]} ${words[(i * 3 + j) % words.length]} text` }))
        sent += docs.length
        const answer = await send(`${url}/race/_bulk?pipeline=enc`, 'POST', ndjson(docs.flatMap(({ _id, passage_text }) => [{ index: { _id } }, { passage_text }])), NDJSON)
        if (answer.status !== 200 || answer.body.errors) failures.push(`bulk ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
        else acked += docs.length
        batches++
      }
      return batches
    }
    const query = { query: { hybrid: { queries: [{ neural_sparse: { passage_embedding: { query_text: 'sparse search', model_id: 'tiny-bert' } } }, { match_all: {} }] } }, _source: false, size: 5 }
    const searcher = async () => {
      let searches = 0
      while (Date.now() < deadline) {
        const floor = acked
        const answer = await send(`${url}/race/_search?search_pipeline=mm`, 'POST', query)
        const ceiling = sent
        searches++
        if (answer.status !== 200) {
          failures.push(`search ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
          continue
        }
        const { total, hits } = answer.body.hits
        if (total.relation !== 'eq' || total.value < floor || total.value > ceiling) failures.push(`total ${JSON.stringify(total)} outside [${floor}, ${ceiling}]`)
        if (hits.length !== Math.min(5, total.value)) failures.push(`${hits.length} hits of ${total.value}`)
        if (new Set(hits.map((h: { _id: string }) => h._id)).size !== hits.length) failures.push('a document twice in one page')
        for (let i = 1; i < hits.length; i++) if (hits[i]._score > hits[i - 1]._score) failures.push('hits out of order')
        if (hits.some((h: { _score: number }) => !(h._score > 0 && h._score <= 1))) failures.push(`a fused score outside (0, 1]: ${JSON.stringify(hits)}`)
      }
      return searches
    }
    const [batches, searches] = await Promise.all([Promise.all([0, 1, 2, 3].map(writer)), Promise.all([searcher(), searcher()])])
    expect(failures).toEqual([])
    expect(batches.every((n) => n > 0)).toBe(true)
    expect(searches.reduce((a, b) => a + b, 0)).toBeGreaterThan(2)
    expect(acked).toBe(sent)
    expect((await call('GET', '/race/_count')).body.count).toBe(sent)
    const one = await call('GET', '/race/_doc/w0-0-0')
    expect(Object.values(one.body._source.passage_embedding).every((w) => typeof w === 'number' && w > 0)).toBe(true)
    const final = await call('POST', '/race/_search?search_pipeline=mm', query)
    expect(final.body.hits.total).toEqual({ value: sent, relation: 'eq' })
  })
})
