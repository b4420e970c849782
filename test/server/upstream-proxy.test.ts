/**
 * `lsr serve --upstream`: a proxy in front of a cluster. No cluster is reachable here, so a
 * second lsr server plays it (it speaks the same API and computes `neural_sparse` query_text
 * with its own models folder), holding a mixed index: BM25 text fields and two learned-sparse
 * fields filled by the tiny fixture models. A query sent through the proxy (query_text rewritten
 * to query_tokens by the proxy) must answer exactly what the same query sent to the cluster
 * answers. A fake upstream records what reaches it, for headers, the Elasticsearch rewrite,
 * errors and timeouts.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { encodeQueryTokens, queryTokensOf } from '../../src/engine/query/query-tokens.js'
import { startUpstreamProxy, type RunningProxy } from '../../src/server/upstream-proxy.js'
import { rankFeatureShould, rewriteSearchBody } from '../../src/server/upstream-rewrite.js'
import { WEIGHT_RELATIVE_ERROR } from '../../src/storage/weight-codec.js'
import { ROOT } from '../helpers.js'
import { portServer, sampleBulk, send } from './helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const INDEX = 'mixed'
const INGEST = {
  processors: [
    { sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'emb' } } },
    { sparse_encoding: { model_id: 'tiny-distilbert', field_map: { text: 'emb2' } } },
  ],
}
const MAPPINGS = { properties: { title: { type: 'text' }, text: { type: 'text' }, tag: { type: 'keyword' }, emb: { type: 'rank_features' }, emb2: { type: 'rank_features' } } }
const FUSION = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.4, 0.6] } } } }] }
const TEXT = 'sparse retrieval with inverted index posting lists'
const NEURAL = { neural_sparse: { emb: { query_text: TEXT, model_id: 'tiny-bert' } } }
const NEURAL2 = { neural_sparse: { emb2: { query_text: 'fast search engine', model_id: 'tiny-distilbert', boost: 2 } } }
const EXCLUDE = { excludes: ['emb', 'emb2'] }

type Answer = { status: number; body: any }

/** The answer without what differs between two runs of one search (`took`). */
function comparable(answer: Answer): Answer {
  const body = structuredClone(answer.body)
  const strip = (value: any) => {
    if (value && typeof value === 'object') delete value.took
  }
  strip(body)
  for (const response of body?.responses ?? []) strip(response)
  return { status: answer.status, body }
}

/** POSTs a gzip-compressed JSON body (what clients' `compression` option sends). */
function sendGzip(url: string, json: unknown): Promise<{ status: number; body: any }> {
  const data = gzipSync(Buffer.from(JSON.stringify(json)))
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': data.length } }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(data)
  })
}

/** A fake upstream: records each request and answers with `reply` (which may never answer). */
async function fakeUpstream() {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = []
  let reply = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      reply(res)
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (next: typeof reply) => (reply = next),
    close: () => new Promise<void>((done) => {
      server.closeAllConnections()
      server.close(() => done())
    }),
  }
}

describe('lsr serve --upstream, in front of a cluster played by a second lsr server', () => {
  const models = new ModelRegistry(MODELS, { threads: 1 })
  let cluster: Awaited<ReturnType<typeof portServer>>
  let proxy: RunningProxy
  let proxyWithDefaults: RunningProxy
  const direct = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => send(cluster.url + path, method, body, headers)
  const proxied = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => send(proxy.url + path, method, body, headers)

  beforeAll(async () => {
    cluster = await portServer({ modelsDir: MODELS, models })
    proxy = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, modelsDir: MODELS, models })
    proxyWithDefaults = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, modelsDir: MODELS, models, defaultModels: { all: 'tiny-distilbert', byField: { emb: 'tiny-bert' } }, apiKey: 'proxy-key' })
    // Everything goes through the proxy, as an application would send it.
    expect((await proxied('PUT', '/_ingest/pipeline/two-models', INGEST)).status).toBe(200)
    expect((await proxied('PUT', '/_search/pipeline/fusion', FUSION)).status).toBe(200)
    expect((await proxied('PUT', `/${INDEX}`, { settings: { default_pipeline: 'two-models' }, mappings: MAPPINGS })).status).toBe(200)
    const bulk = await proxied('POST', `/${INDEX}/_bulk?refresh=true`, sampleBulk(), { 'content-type': 'application/x-ndjson' })
    expect(bulk.status).toBe(200)
    expect(bulk.body.errors).toBe(false)
  }, 60_000)
  afterAll(async () => {
    await proxy?.close()
    await proxyWithDefaults?.close()
    await cluster?.close()
  })

  const searches: Array<[string, string, string, unknown]> = [
    ['neural_sparse query_text at the top', 'POST', `/${INDEX}/_search`, { query: NEURAL, _source: EXCLUDE, size: 30 }],
    ['inside bool, beside BM25, with a boost and a filter', 'POST', `/${INDEX}/_search`, { query: { bool: { must: [{ match: { text: 'search' } }], should: [NEURAL2, NEURAL], filter: [{ term: { tag: 'even' } }] } }, _source: false, size: 30 }],
    ['inside hybrid, fused by a search pipeline named in the URL', 'POST', `/${INDEX}/_search?search_pipeline=fusion`, { query: { hybrid: { queries: [{ bool: { should: [{ match: { text: TEXT } }, NEURAL2] } }, NEURAL] } }, _source: false, size: 20 }],
    ['inside hybrid, with an inline pipeline whose neural_query_enricher names the model', 'POST', `/${INDEX}/_search`, {
      query: { hybrid: { queries: [{ match: { text: TEXT } }, { neural_sparse: { emb: { query_text: TEXT } } }] } },
      search_pipeline: { request_processors: [{ neural_query_enricher: { neural_field_default_id: { emb: 'tiny-bert' } } }], ...FUSION },
      _source: false, size: 20,
    }],
    ['GET with a body, as Elasticsearch clients send it', 'GET', `/${INDEX}/_search`, { query: NEURAL2, _source: false }],
    ['under dis_max, with explain', 'POST', `/${INDEX}/_search`, { query: { dis_max: { queries: [NEURAL, NEURAL2], tie_breaker: 0.3 } }, explain: true, _source: false }],
    ['as a constant_score filter, with a post_filter', 'POST', `/${INDEX}/_search`, { query: { constant_score: { filter: NEURAL2, boost: 3 } }, post_filter: { term: { tag: 'odd' } }, _source: false }],
    ['_count', 'POST', `/${INDEX}/_count`, { query: NEURAL }],
    ['_explain of one document', 'POST', `/${INDEX}/_explain/s03`, { query: NEURAL }],
    ['tokens the model does not weigh: no match, as in lsr', 'POST', `/${INDEX}/_search`, { query: { neural_sparse: { emb: { query_text: '', model_id: 'tiny-bert' } } } }],
  ]
  for (const [name, method, path, body] of searches) {
    it(`answers as the cluster does: ${name}`, async () => {
      const [want, got] = [await direct(method, path, body), await proxied(method, path, body)]
      expect(want.status, JSON.stringify(want.body)).toBe(200)
      expect(comparable(got)).toEqual(comparable(want))
      if (want.body.hits && !name.startsWith('tokens')) expect(want.body.hits.hits.length).toBeGreaterThan(0)
    })
  }

  it('answers _msearch as the cluster does (each search rewritten)', async () => {
    const lines = [{ index: INDEX }, { query: NEURAL, _source: false }, {}, { query: { match: { text: 'bitmaps' } } }, { index: INDEX }, { query: { bool: { should: [NEURAL2] } }, size: 3 }]
    const ndjson = lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
    const [want, got] = [await direct('POST', `/${INDEX}/_msearch`, ndjson, { 'content-type': 'application/x-ndjson' }), await proxied('POST', `/${INDEX}/_msearch`, ndjson, { 'content-type': 'application/x-ndjson' })]
    expect(want.body.responses.map((r: any) => r.status)).toEqual([200, 200, 200])
    expect(comparable(got)).toEqual(comparable(want))
  })

  it('serves the official OpenSearch client unchanged: search, msearch and count with query_text', async () => {
    const [viaProxy, viaCluster] = [new Client({ node: proxy.url }), new Client({ node: cluster.url })]
    try {
      const body = { query: { hybrid: { queries: [{ match: { text: TEXT } }, NEURAL] } }, _source: false }
      const [got, want] = await Promise.all([viaProxy, viaCluster].map((client) => client.search({ index: INDEX, body: body as never, search_pipeline: 'fusion' } as never)))
      expect(got.body.hits).toEqual(want.body.hits)
      expect(got.body.hits.hits.length).toBeGreaterThan(0)
      const searches = [{ index: INDEX }, { query: NEURAL2 }]
      const [mGot, mWant] = await Promise.all([viaProxy, viaCluster].map((client) => client.msearch({ body: searches as never })))
      expect(mGot.body.responses.map((r: any) => r.hits)).toEqual(mWant.body.responses.map((r: any) => r.hits))
      expect((await viaProxy.count({ index: INDEX, body: { query: NEURAL } as never })).body.count).toBe((await viaCluster.count({ index: INDEX, body: { query: NEURAL } as never })).body.count)
    } finally {
      await Promise.all([viaProxy.close(), viaCluster.close()])
    }
  })

  it('reads a gzip-compressed search body, and forwards it rewritten as plain JSON', async () => {
    const body = { query: { bool: { should: [NEURAL, NEURAL2] } }, _source: false }
    const [want, got] = [await direct('POST', `/${INDEX}/_search`, body), await sendGzip(`${proxy.url}/${INDEX}/_search`, body)]
    expect(want.body.hits.hits.length).toBeGreaterThan(0)
    expect(comparable(got)).toEqual(comparable(want))
    // A body that inflates past --max-body is a 413, whatever its compressed size.
    const small = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, models, maxBodyBytes: 10_000 })
    try {
      const bomb = await sendGzip(`${small.url}/${INDEX}/_search`, { query: { match: { text: 'a '.repeat(100_000) } } })
      expect(bomb.status).toBe(413)
    } finally {
      await small.close()
    }
  })

  it('takes a field\'s model from --upstream-model when a query names none, behind its own API key', async () => {
    const auth = { authorization: 'ApiKey proxy-key' }
    const body = { query: { bool: { should: [{ neural_sparse: { emb: { query_text: TEXT } } }, { neural_sparse: { emb2: { query_text: TEXT } } }] } }, _source: false }
    const want = await direct('POST', `/${INDEX}/_search`, { ...body, query: { bool: { should: [NEURAL, { neural_sparse: { emb2: { query_text: TEXT, model_id: 'tiny-distilbert' } } }] } } })
    const got = await send(`${proxyWithDefaults.url}/${INDEX}/_search`, 'POST', body, auth)
    expect(comparable(got)).toEqual(comparable(want))
    const refused = await send(`${proxyWithDefaults.url}/${INDEX}/_search`, 'POST', body)
    expect(refused.status).toBe(401)
    expect(refused.body.error.type).toBe('security_exception')
  })

  it('refuses query_text it cannot encode with a 400 that names the field, never a path', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ neural_sparse: { emb: { query_text: TEXT } } }, /field \[emb\].*model_id.*--upstream-model emb=MODEL/],
      [{ neural_sparse: { emb: { query_text: TEXT, model_id: 'no-such-model' } } }, /model \[no-such-model\] is unknown/],
      [{ neural_sparse: { emb: { query_text: TEXT, model_id: '../secret' } } }, /is not a model id/],
      [{ neural_sparse: { emb: { query_text: 42, model_id: 'tiny-bert' } } }, /query_text must be a string/],
      [{ neural_sparse: { emb: { query_text: TEXT, model_id: 'tiny-bert' }, emb2: { query_text: TEXT } } }, /multiple fields/],
      [{ bool: { should: [{ neural_sparse: { emb: { query_text: TEXT, analyzer: 'standard', model_id: 'tiny-bert' } } }] } }, /analyzer \[standard\] is not supported/],
    ]
    for (const [query, reason] of cases) {
      const got = await proxied('POST', `/${INDEX}/_search`, { query })
      expect(got.status, JSON.stringify(query)).toBe(400)
      expect(got.body.error.reason).toMatch(reason)
      expect(got.body.status).toBe(400)
      expect(JSON.stringify(got.body)).not.toContain(MODELS)
      expect(JSON.stringify(got.body)).not.toContain(ROOT)
    }
    // In _msearch, the line is named.
    const ndjson = `{}\n{"query": {"neural_sparse": {"emb": {"query_text": "x"}}}}\n`
    const got = await proxied('POST', `/${INDEX}/_msearch`, ndjson, { 'content-type': 'application/x-ndjson' })
    expect(got.status).toBe(400)
    expect(got.body.error.reason).toMatch(/^\[_msearch\] line \[2\]: /)
  })

  it('takes a field\'s model from the cluster\'s own search pipeline: named in the URL, or the index\'s default', async () => {
    expect((await proxied('PUT', '/_search/pipeline/enrich', { request_processors: [{ neural_query_enricher: { neural_field_default_id: { emb: 'tiny-bert', emb2: 'tiny-distilbert' } } }] })).status).toBe(200)
    const body = { query: { bool: { should: [{ neural_sparse: { emb: { query_text: TEXT } } }, { neural_sparse: { emb2: { query_text: 'fast search' } } }] } }, _source: false }
    const named = `/${INDEX}/_search?search_pipeline=enrich`
    const [want, got] = [await direct('POST', named, body), await proxied('POST', named, body)]
    expect(want.status).toBe(200)
    expect(want.body.hits.hits.length).toBeGreaterThan(0)
    expect(comparable(got)).toEqual(comparable(want))
    expect((await proxied('POST', `/${INDEX}/_search?search_pipeline=_none`, body)).status).toBe(400)
    expect((await proxied('PUT', `/${INDEX}/_settings`, { index: { search: { default_pipeline: 'enrich' } } })).status).toBe(200)
    // The proxy reads the cluster's settings and pipelines again after 10 s: a proxy of its own sees the new default now.
    const fresh = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, models })
    try {
      const [w, g] = [await direct('POST', `/${INDEX}/_search`, body), await send(`${fresh.url}/${INDEX}/_search`, 'POST', body)]
      expect(w.status).toBe(200)
      expect(comparable(g)).toEqual(comparable(w))
    } finally {
      await fresh.close()
      expect((await proxied('PUT', `/${INDEX}/_settings`, { index: { search: { default_pipeline: null } } })).status).toBe(200)
    }
  })

  it('refuses a model without an IDF table (its weights are the cluster\'s corpus IDFs), where the library function takes the index', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lsr-models-'))
    try {
      await cp(join(MODELS, 'tiny-bert'), join(dir, 'tiny-bert'), { recursive: true })
      await rm(join(dir, 'tiny-bert/idf.json'))
      const corpusModels = new ModelRegistry(dir, { threads: 1 })
      const corpusProxy = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, modelsDir: dir, models: corpusModels })
      try {
        const got = await send(`${corpusProxy.url}/${INDEX}/_search`, 'POST', { query: NEURAL })
        expect(got.status).toBe(400)
        expect(got.body.error.reason).toMatch(/model \[tiny-bert\] has no IDF table.*field \[emb\]/)
        expect(JSON.stringify(got.body)).not.toContain(dir)
      } finally {
        await corpusProxy.close()
      }
      // The library function: refused without an index; with the cluster's index, the weights a
      // search of that index uses (query_text on such a model there equals these query_tokens).
      await expect(encodeQueryTokens(corpusModels, 'tiny-bert', TEXT)).rejects.toThrow(/has no IDF table/)
      const index = await cluster.server.registry.get(INDEX)
      const tokens = await encodeQueryTokens(corpusModels, 'tiny-bert', TEXT, { index, field: 'emb' })
      expect(Object.keys(tokens).length).toBeGreaterThan(0)
      const byTokens = await index.search({ query: { neural_sparse: { emb: { query_tokens: tokens } } }, size: 30 })
      const byText = await index.search({ query: { neural_sparse: { emb: { query_text: TEXT, model_id: 'tiny-bert' } } }, size: 30 }, { models: corpusModels })
      expect(byTokens.hits.map((h) => [h.id, h.score])).toEqual(byText.hits.map((h) => [h.id, h.score]))
      await expect(encodeQueryTokens(corpusModels, 'tiny-bert', TEXT, { index, field: 'text' })).rejects.toThrow(/type \[text\]/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the library function gives the IDF table\'s weights, the query_tokens neural_sparse query_text searches with', async () => {
    const tokens = await encodeQueryTokens(models, 'tiny-bert', TEXT)
    expect(tokens).toEqual(queryTokensOf(await models.model('tiny-bert'), TEXT))
    const [byText, byTokens] = [
      await direct('POST', `/${INDEX}/_search`, { query: NEURAL, _source: false }),
      await direct('POST', `/${INDEX}/_search`, { query: { neural_sparse: { emb: { query_tokens: tokens } } }, _source: false }),
    ]
    expect(comparable(byTokens)).toEqual(comparable(byText))
  })

  it('passes everything else through unchanged: writes, reads, HEAD, errors with the cluster\'s status and body', async () => {
    expect((await proxied('PUT', `/${INDEX}/_doc/new?refresh=true`, { title: 'A new one', text: 'sparse' })).status).toBe(201)
    const [want, got] = [await direct('GET', `/${INDEX}/_doc/new`), await proxied('GET', `/${INDEX}/_doc/new`)]
    expect(got).toEqual(want)
    expect((await proxied('HEAD', `/${INDEX}`)).status).toBe(200)
    expect((await proxied('HEAD', '/missing')).status).toBe(404)
    for (const [method, path, body] of [['GET', '/missing/_search', undefined], ['POST', `/${INDEX}/_search`, { query: { nope: {} } }], ['POST', `/${INDEX}/_search`, '{not json'], ['DELETE', '/_all', undefined], ['GET', `/${INDEX}/_cat/nothing`, undefined]] as const) {
      const [w, g] = [await direct(method, path, body), await proxied(method, path, body)]
      expect(w.status).toBeGreaterThanOrEqual(400)
      expect(g).toEqual(w)
    }
    expect((await proxied('DELETE', `/${INDEX}/_doc/new?refresh=true`)).status).toBe(200)
    const cat = await fetch(`${proxy.url}/_cat/indices?v`)
    expect(cat.headers.get('content-type')).toMatch(/text\/plain/)
    expect(await cat.text()).toBe(await (await fetch(`${cluster.url}/_cat/indices?v`)).text())
  })

  it('refuses hostile search bodies with a 400 or 413, never a 500 or a hang', async () => {
    const deep = `{"query": ${'{"bool": {"must": ['.repeat(1200)}${JSON.stringify(NEURAL)}${']}}'.repeat(1200)}}`
    const got = await proxied('POST', `/${INDEX}/_search`, deep)
    expect(got.status).toBe(400)
    expect(got.body.error.reason).toMatch(/nested more than 1000 levels/)
    const bad = await proxied('POST', `/${INDEX}/_search`, '{"query": {"neural_sparse": ')
    expect(bad.status).toBe(400)
    expect(bad.body.error.type).toBe('parsing_exception')
    const small = await startUpstreamProxy({ upstream: { url: cluster.url }, port: 0, models, maxBodyBytes: 1000 })
    try {
      const huge = await send(`${small.url}/${INDEX}/_search`, 'POST', { query: { match: { text: 'x'.repeat(5000) } } })
      expect(huge.status).toBe(413)
      expect(huge.body.error.type).toBe('content_too_long_exception')
    } finally {
      await small.close()
    }
    // Text to encode is bounded per request (about a second of tokenizing), in _msearch too.
    const long = { query: { neural_sparse: { emb: { query_text: 'sparse '.repeat(150_000), model_id: 'tiny-bert' } } } }
    const refused = await proxied('POST', `/${INDEX}/_search`, long)
    expect(refused.status).toBe(400)
    expect(refused.body.error.reason).toMatch(/query_text totals more than 1000000 characters/)
    const half = { query: { neural_sparse: { emb: { query_text: 'sparse '.repeat(100_000), model_id: 'tiny-bert' } } } }
    expect((await proxied('POST', `/${INDEX}/_search`, half)).status).toBe(200)
    const twice = [{}, half, {}, half].map((l) => JSON.stringify(l)).join('\n') + '\n'
    expect((await proxied('POST', `/${INDEX}/_msearch`, twice, { 'content-type': 'application/x-ndjson' })).status).toBe(400)
    // A wide body: 20,000 neural_sparse clauses, each rewritten (the cluster then refuses the clause count).
    const wide = { query: { bool: { should: Array.from({ length: 20_000 }, () => NEURAL) } } }
    const [w, g] = [await direct('POST', `/${INDEX}/_search`, wide), await proxied('POST', `/${INDEX}/_search`, wide)]
    expect(g.status).toBe(w.status)
    expect(g.status).toBeLessThan(500)
  }, 30_000)
})

describe('lsr serve --upstream, against a fake upstream', () => {
  const models = new ModelRegistry(MODELS, { threads: 1 })
  let fake: Awaited<ReturnType<typeof fakeUpstream>>
  beforeAll(async () => {
    fake = await fakeUpstream()
  })
  afterAll(async () => fake?.close())

  it('sends the cluster\'s credentials (an API key, or a user), not the client\'s, and no hop-by-hop headers', async () => {
    const withKey = await startUpstreamProxy({ upstream: { url: fake.url, apiKey: 'cluster-key' }, port: 0, models })
    const withUser = await startUpstreamProxy({ upstream: { url: fake.url.replace('http://', 'http://elastic:s%3Acret@') }, port: 0, models, apiKey: 'proxy-key' })
    const plain = await startUpstreamProxy({ upstream: { url: `${fake.url}/prefix/` }, port: 0, models })
    try {
      fake.seen.length = 0
      expect((await send(`${withKey.url}/idx/_doc/1?refresh=true`, 'PUT', { a: 1 }, { authorization: 'Basic client', 'x-opaque-id': 'trace-1', 'proxy-authorization': 'x' })).body).toEqual({ ok: true })
      expect((await send(`${withUser.url}/_cluster/health`, 'GET', undefined, { authorization: 'Bearer proxy-key' })).status).toBe(200)
      expect((await send(`${plain.url}/_search?q=x`, 'POST', { query: { match_all: {} } }, { authorization: 'ApiKey the-clients' })).status).toBe(200)
      const [first, second, third] = fake.seen
      expect(first).toMatchObject({ method: 'PUT', url: '/idx/_doc/1?refresh=true', body: '{"a":1}' })
      expect(first.headers.authorization).toBe('ApiKey cluster-key')
      expect(first.headers['x-opaque-id']).toBe('trace-1')
      expect(first.headers['proxy-authorization']).toBeUndefined()
      expect(second.headers.authorization).toBe(`Basic ${Buffer.from('elastic:s:cret').toString('base64')}`)
      expect(third).toMatchObject({ url: '/prefix/_search?q=x', body: '{"query":{"match_all":{}}}' })
      expect(third.headers.authorization).toBe('ApiKey the-clients')
    } finally {
      await Promise.all([withKey.close(), withUser.close(), plain.close()])
    }
  })

  it('passes an upstream error back with its status, headers and body as they are', async () => {
    const proxy = await startUpstreamProxy({ upstream: { url: fake.url }, port: 0, models })
    try {
      fake.answer((res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
        res.end('{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":429}')
      })
      const got = await fetch(`${proxy.url}/i/_search`, { method: 'POST', body: JSON.stringify({ query: NEURAL }), headers: { 'content-type': 'application/json' } })
      expect(got.status).toBe(429)
      expect(got.headers.get('retry-after')).toBe('7')
      expect(await got.text()).toBe('{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":429}')
    } finally {
      await proxy.close()
    }
  })

  it('answers 504 when the upstream does not answer in time, and 502 when it cannot be reached', async () => {
    const proxy = await startUpstreamProxy({ upstream: { url: fake.url, timeoutMs: 300 }, port: 0, models })
    try {
      fake.answer(() => {}) // never answers
      const started = Date.now()
      const slow = await send(`${proxy.url}/i/_search`, 'POST', { query: NEURAL })
      expect(slow.status).toBe(504)
      expect(slow.body.error.type).toBe('timeout_exception')
      expect(slow.body.error.reason).toMatch(/did not answer within 300 ms/)
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await proxy.close()
    }
    const gone = await fakeUpstream()
    await gone.close()
    const unreachable = await startUpstreamProxy({ upstream: { url: gone.url }, port: 0, models })
    try {
      const got = await send(`${unreachable.url}/`, 'GET')
      expect(got.status).toBe(502)
      expect(got.body.error.reason).toMatch(/cannot reach the upstream cluster \(ECONNREFUSED\)/)
      expect(got.body.error.reason).not.toContain(gone.url)
    } finally {
      await unreachable.close()
    }
  })

  it('--upstream-flavor elasticsearch: neural_sparse becomes the documented bool.should of linear rank_feature queries', async () => {
    fake.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
    const proxy = await startUpstreamProxy({ upstream: { url: fake.url, flavor: 'elasticsearch' }, port: 0, models })
    try {
      fake.seen.length = 0
      const body = { query: { bool: { must: [{ match: { text: 'fast' } }], should: [{ neural_sparse: { emb: { query_text: 'sparse search', model_id: 'tiny-bert', boost: 2 } } }] } }, size: 5 }
      await send(`${proxy.url}/i/_search`, 'POST', body)
      const idf = (await models.model('tiny-bert')).encodeQuery('sparse search')
      expect(idf.map((t) => t.term)).toEqual(['sparse', 'search'])
      // Elasticsearch's rank_features field type: a feature is queried as "field.feature"
      // (`{"rank_feature": {"field": "topics.politics"}}`); the rank_feature query's linear function
      // is `"linear": {}` and scores the indexed value S, times the query's boost
      // (elastic.co/guide/en/elasticsearch/reference/current/query-dsl-rank-feature-query.html).
      expect(JSON.parse(fake.seen[0].body)).toEqual({
        query: { bool: { must: [{ match: { text: 'fast' } }], should: [{ bool: { should: [
          { rank_feature: { field: 'emb.sparse', linear: {}, boost: idf[0].weight } },
          { rank_feature: { field: 'emb.search', linear: {}, boost: idf[1].weight } },
        ], boost: 2 } }] } },
        size: 5,
      })
      // query_tokens too (Elasticsearch has no neural_sparse); text without weighted tokens matches nothing.
      fake.seen.length = 0
      await send(`${proxy.url}/i/_search`, 'POST', { query: { dis_max: { queries: [{ neural_sparse: { emb: { query_tokens: { a: 1.5 } } } }, { neural_sparse: { emb: { query_text: '', model_id: 'tiny-bert' } } }] } } })
      expect(JSON.parse(fake.seen[0].body)).toEqual({ query: { dis_max: { queries: [{ bool: { should: [{ rank_feature: { field: 'emb.a', linear: {}, boost: 1.5 } }] } }, { match_none: {} }] } } })
      // An option with no rank_feature equivalent is refused rather than dropped.
      const refused = await send(`${proxy.url}/i/_search`, 'POST', { query: { neural_sparse: { emb: { query_tokens: { a: 1 }, method_parameters: {} } } } })
      expect(refused.status).toBe(400)
    } finally {
      await proxy.close()
    }
  })

  it('the opensearch rewrite is the documented neural_sparse query_tokens shape, other options kept', async () => {
    const body = { query: { hybrid: { queries: [{ match: { text: 'x' } }, { neural_sparse: { emb: { query_text: 'sparse search', model_id: 'tiny-bert', boost: 1.5, max_token_score: 3 } } }] } } }
    expect(await rewriteSearchBody(body, { flavor: 'opensearch', models })).toBe(1)
    const idf = Object.fromEntries((await models.model('tiny-bert')).encodeQuery('sparse search').map((t) => [t.term, t.weight]))
    // docs.opensearch.org, query-dsl/specialized/neural-sparse: {"neural_sparse": {"<vector_field>": {"query_tokens": {"<token>": <weight>, ...}}}}
    expect(body).toEqual({ query: { hybrid: { queries: [{ match: { text: 'x' } }, { neural_sparse: { emb: { boost: 1.5, max_token_score: 3, query_tokens: idf } } }] } } })
    // query_tokens already: untouched.
    const tokens = { query: { neural_sparse: { emb: { query_tokens: { a: 1 } } } } }
    expect(await rewriteSearchBody(tokens, { flavor: 'opensearch', models })).toBe(0)
  })
})

describe('queryTokensOf', () => {
  it('keeps every weighted token as a property of its own, __proto__ included, and leaves out tokens weighing 0', () => {
    const model = { idf: 'idf.json', encodeQuery: () => [{ term: '__proto__', weight: 2 }, { term: 'zero', weight: 0 }, { term: 'a', weight: 1.5 }] }
    const tokens = queryTokensOf(model, 'text')
    expect(Object.keys(tokens)).toEqual(['__proto__', 'a'])
    expect(JSON.stringify(tokens)).toBe('{"__proto__":2,"a":1.5}')
    expect(JSON.stringify(rankFeatureShould('emb', tokens))).toBe('{"should":[{"rank_feature":{"field":"emb.__proto__","linear":{},"boost":2}},{"rank_feature":{"field":"emb.a","linear":{},"boost":1.5}}]}')
    expect(() => queryTokensOf({ ...model, idf: 'corpus' }, 'text', 'model [m]')).toThrow(/model \[m\] has no IDF table/)
  })
})

describe('the rank_feature rewrite\'s arithmetic', () => {
  it('sums boost x linear feature value to the dot product neural_sparse scores, within the stored precision', async () => {
    const models = new ModelRegistry(MODELS, { threads: 1 })
    const cluster = await portServer({ modelsDir: MODELS, models })
    try {
      await send(`${cluster.url}/_ingest/pipeline/p`, 'PUT', { processors: [INGEST.processors[0]] })
      await send(`${cluster.url}/a`, 'PUT', { settings: { default_pipeline: 'p' }, mappings: MAPPINGS })
      expect((await send(`${cluster.url}/a/_bulk?refresh=true`, 'POST', sampleBulk(), { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false)
      const text = 'learned sparse retrieval without a model'
      const answer = await send(`${cluster.url}/a/_search`, 'POST', { query: { neural_sparse: { emb: { query_text: text, model_id: 'tiny-bert', boost: 1.25 } } }, size: 30 })
      expect(answer.body.hits.hits.length).toBeGreaterThan(3)
      const rewritten = { bool: rankFeatureShould('emb', queryTokensOf(await models.model('tiny-bert'), text), 1.25) } as { bool: { should: Array<{ rank_feature: { field: string; boost: number } }>; boost: number } }
      for (const hit of answer.body.hits.hits as Array<{ _score: number; _source: { emb: Record<string, number> } }>) {
        // What Elasticsearch computes: Σ over the should clauses that match of boost x S (linear), times the bool's boost.
        let sum = 0
        for (const { rank_feature: { field, boost } } of rewritten.bool.should) {
          const feature = field.slice('emb.'.length)
          if (hit._source.emb[feature] !== undefined) sum += boost * hit._source.emb[feature]
        }
        sum *= rewritten.bool.boost
        expect(Math.abs(hit._score - sum)).toBeLessThanOrEqual(WEIGHT_RELATIVE_ERROR * sum + 1e-9)
      }
    } finally {
      await cluster.close()
    }
  }, 30_000)
})
