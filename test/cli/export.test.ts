/**
 * `lsr export` end to end (issue 14). No OpenSearch or Elasticsearch cluster is reachable here, so
 * a second lsr server on a free port plays the cluster: it speaks the same API, and the official
 * OpenSearch client that `--to` uses talks to it as to a cluster. Exported into it:
 * - the sample corpus in a bm25 encoder index: the count, the mapping, identical sources;
 * - a mixed index of BM25 text fields and a learned-sparse field written by a `sparse_encoding`
 *   ingest pipeline of the tiny fixture model, with a hybrid search pipeline: identical sources
 *   (vectors included), the pipelines and the settings naming them, and `neural_sparse`
 *   `query_tokens` and `hybrid` queries answering the same hits and scores on both; a document
 *   written afterwards is encoded by the exported pipeline as the original encodes it;
 * - a neural encoder index: its vectors (only in the index) as `text_embedding`, equal to the
 *   stored codes' weights, and `neural_sparse` there scoring as the original's encoder field;
 * - 5,000 small documents in small bulk requests, the export killed mid-way and run again: it
 *   resumes from its checkpoint and ends with equal counts;
 * - SciFact's bm25 index, when ../shared holds the dataset: the count.
 * And the refusals: bad flags exit 2, a cluster that cannot be reached or refuses exits 1 naming
 * the URL and the index; against a hand-written stand-in, a bulk answered 429 is sent again and a
 * document the cluster refuses stops the export naming it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opensearch-project/opensearch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingestCorpus } from '../../src/engine/ingest.js'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { decodeWeight, encodeWeight, WEIGHT_RELATIVE_ERROR } from '../../src/storage/weight-codec.js'
import { portServer, sampleBulk, testApp } from '../server/helpers.js'
import { ROOT, tempDir } from '../helpers.js'
import { LSR, lsr, SAMPLE } from './lsr.js'

const MODELS = join(ROOT, 'test/fixtures/models')
const SCIFACT = join(ROOT, '..', 'shared', 'datasets', 'scifact')

type Source = Record<string, unknown>
type Hit = { _id: string; _score: number; _source: Source }

/** Every live document's source of an lsr index (through its own search), by id, without `_id`. */
async function sourcesOf(dir: string): Promise<Map<string, Source>> {
  const index = await SparseIndex.open(dir)
  try {
    const { hits } = await index.search({ query: { match_all: {} }, size: 10_000 })
    return new Map(hits.map(({ id, source }) => {
      const { _id, ...rest } = source
      return [id, rest]
    }))
  } finally {
    await index.close()
  }
}

/** `lsr serve` as a process of its own on a free port. */
async function serveProcess(data: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [LSR, 'serve', '--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const found = /at (http:\/\/[\d.]+:\d+)/.exec(out)
      if (found) resolve(found[1])
    })
    child.on('exit', (code) => reject(new Error(`lsr serve exited with ${code}: ${out}`)))
  })
  return { url, stop: async () => {
    child.kill('SIGTERM')
    await exited
  } }
}

describe('lsr export --to: a second lsr server plays the cluster', () => {
  let cluster: Awaited<ReturnType<typeof portServer>>
  let client: Client
  const search = async (index: string, body: unknown, params: Record<string, unknown> = {}) =>
    ((await client.search({ index, body: body as never, ...params })).body as unknown as { hits: { total: { value: number }; hits: Hit[] } }).hits
  const clusterSources = async (index: string) => new Map((await search(index, { query: { match_all: {} }, size: 10_000 })).hits.map((h) => [h._id, h._source]))
  const count = async (index: string) => (await client.count({ index })).body.count as number

  beforeAll(async () => {
    cluster = await portServer({ modelsDir: MODELS })
    client = new Client({ node: cluster.url })
  })
  afterAll(async () => {
    await client?.close()
    await cluster?.close()
  })

  it('the sample corpus (bm25 encoder): count, mapping and identical sources; a second export to the same name is refused', async () => {
    const dir = join(await tempDir(), 'sample')
    const index = await SparseIndex.open(dir, { create: true })
    await ingestCorpus(index, SAMPLE)
    await index.close()
    const result = await lsr('export', '--index', dir, '--to', cluster.url)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^exported 30 documents to ${cluster.url}/sample \\(30 sent by this run; _count checked\\) in [\\d.]+ s, \\d+ docs/s\\n$`))
    expect(await count('sample')).toBe(30)
    expect((await client.indices.getMapping({ index: 'sample' })).body.sample.mappings.properties).toEqual({
      title: { type: 'text', analyzer: 'english', similarity: 'lsr_bm25' },
      text: { type: 'text', analyzer: 'english', similarity: 'lsr_bm25' },
    })
    expect(await clusterSources('sample')).toEqual(await sourcesOf(dir))
    // English stemming on the cluster's text field, as the encoder's: "compressing" finds "compress".
    expect((await search('sample', { query: { match: { text: 'compressing' } } })).hits.map((h) => h._id)).toContain('s01')
    const again = await lsr('export', '--index', dir, '--to', cluster.url)
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: `lsr: ${cluster.url}/sample already exists: delete it, or export under another --name\n` })
  })

  it('a mixed BM25 + learned-sparse index with its pipelines: identical sources, the same neural_sparse and hybrid hits and scores', async () => {
    const data = await tempDir()
    const original = await testApp({ modelsDir: MODELS }, data)
    const ingest = { description: 'encode text', processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'emb' } } }] }
    const hybrid = { phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [0.4, 0.6] } } } }] }
    expect((await original.call('PUT', '/_ingest/pipeline/enc', ingest)).status).toBe(200)
    expect((await original.call('PUT', '/_search/pipeline/hyb', hybrid)).status).toBe(200)
    const created = await original.call('PUT', '/mixed', {
      settings: { index: { default_pipeline: 'enc', 'search.default_pipeline': 'hyb' } },
      mappings: { properties: { title: { type: 'text' }, text: { type: 'text' }, tag: { type: 'keyword' }, meta: { properties: { n: { type: 'integer' } } }, emb: { type: 'rank_features' } } },
    })
    expect(created.status).toBe(200)
    expect((await original.call('POST', '/mixed/_bulk?refresh=true', sampleBulk(), { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false)
    await original.registry.closeAll()

    const result = await lsr('export', '--index', join(data, 'mixed'), '--to', cluster.url)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(await count('mixed')).toBe(30)
    const sources = await sourcesOf(join(data, 'mixed'))
    expect(Object.keys(sources.get('s01')!.emb as object).length).toBeGreaterThan(3)
    expect(await clusterSources('mixed')).toEqual(sources)
    expect((await client.ingest.getPipeline({ id: 'enc' })).body).toEqual({ enc: ingest })
    expect((await client.searchPipeline.get({ id: 'hyb' })).body).toEqual({ hyb: hybrid })
    expect((await client.indices.getSettings({ index: 'mixed' })).body.mixed?.settings?.index).toMatchObject({ default_pipeline: 'enc', search: { default_pipeline: 'hyb' } })

    // The same queries on the original, served again, and on the copy.
    const served = await testApp({ modelsDir: MODELS }, data)
    const tokens = { sparse: 1.5, search: 0.8, bitmaps: 1.1, index: 0.6, the: 0.05 }
    const queries = [
      { query: { neural_sparse: { emb: { query_tokens: tokens } } }, size: 30 },
      { query: { hybrid: { queries: [{ match: { text: 'sparse index search' } }, { neural_sparse: { emb: { query_tokens: tokens } } }] } }, size: 30 },
      { query: { bool: { must: [{ neural_sparse: { emb: { query_tokens: tokens } } }], filter: [{ term: { tag: 'even' } }] } }, size: 30 },
    ]
    for (const body of queries) {
      const there = await search('mixed', { ...body, _source: false })
      const here = (await served.call('POST', '/mixed/_search', { ...body, _source: false })).body.hits as { hits: Hit[] }
      expect(there.hits.length).toBeGreaterThan(3)
      expect(there.hits.map((h) => [h._id, h._score])).toEqual(here.hits.map((h) => [h._id, h._score]))
    }
    // A document written afterwards runs the exported default pipeline: the same vector as the original makes.
    const fresh = { title: 'Fresh', text: 'sparse retrieval with roaring bitmaps' }
    await client.index({ index: 'mixed', id: 'new', body: fresh, refresh: true })
    expect((await served.call('PUT', '/mixed/_doc/new?refresh=true', fresh)).status).toBe(201)
    const copied = (await client.get({ index: 'mixed', id: 'new' })).body._source as Source
    expect(copied.emb).toEqual((await served.call('GET', '/mixed/_doc/new')).body._source.emb)
    expect(Object.keys(copied.emb as object).length).toBeGreaterThan(0)
    await served.registry.closeAll()
  })

  it('a neural encoder index: its vectors as text_embedding, the stored codes\' weights, and neural_sparse scoring as the original', async () => {
    const dir = join(await tempDir(), 'neural')
    const index = await SparseIndex.open(dir, { create: true, encoder: { name: 'neural', model: join(MODELS, 'tiny-distilbert') }, runtime: { batchSize: 8, threads: 1 } })
    await ingestCorpus(index, SAMPLE)
    await index.close()
    const result = await lsr('export', '--index', dir, '--to', cluster.url, '--name', 'neural-copy')
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(await count('neural-copy')).toBe(30)
    const copied = await clusterSources('neural-copy')
    const originals = await sourcesOf(dir)
    const reopened = await SparseIndex.open(dir)
    try {
      const reader = reopened.reader()
      const tokens: Record<string, number> = {}
      for (const [id, source] of originals) {
        const { text_embedding: vector, ...rest } = copied.get(id) as { text_embedding: Record<string, number> }
        expect(rest).toEqual(source)
        // Each weight is a stored code's: the one lsr scores with (explain shows it), within 2^-9 of the model's.
        for (const [token, weight] of Object.entries(vector)) {
          expect(decodeWeight(encodeWeight(weight))).toBe(Math.fround(weight))
          tokens[token] = 1
        }
        const docId = reader.docId(id)!
        const [token, weight] = Object.entries(vector)[0]
        expect(reader.explain([{ term: token, weight: 1 }], docId).value).toBeCloseTo(Math.fround(weight), 12)
      }
      reader.release()
      const query = Object.fromEntries(Object.keys(tokens).slice(0, 12).map((token, i) => [token, 0.5 + i / 10]))
      const there = await search('neural-copy', { query: { neural_sparse: { text_embedding: { query_tokens: query } } }, size: 30, _source: false })
      const here = reopened.searchIds(Object.entries(query).map(([term, weight]) => ({ term, weight })), { k: 30 })
      expect(there.hits.length).toBe(here.length)
      there.hits.forEach((hit, i) => {
        expect(hit._id).toBe(here[i].id)
        expect(Math.abs(hit._score - here[i].score)).toBeLessThanOrEqual(1e-9 * here[i].score)
      })
      expect(WEIGHT_RELATIVE_ERROR).toBe(2 ** -9)
    } finally {
      await reopened.close()
    }
  })

  it('killed mid-way, resumes from its checkpoint and ends with equal counts', async () => {
    const dir = join(await tempDir(), 'many')
    const index = await SparseIndex.open(dir, { create: true, encoder: null, schema: { mappings: { properties: { title: { type: 'text' }, n: { type: 'integer' } } } } })
    await index.add(Array.from({ length: 5000 }, (_, n) => ({ id: `d${n}`, source: { title: `document number ${n}`, n } })))
    await index.close()
    const checkpoint = `${dir}.export-many.json`
    const args = [LSR, 'export', '--index', dir, '--to', cluster.url, '--batch-bytes', '1500', '--checkpoint-docs', '50', '--concurrency', '1']
    const child = spawn(process.execPath, args, { stdio: 'ignore' })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    let loaded = 0
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      const text = await readFile(checkpoint, 'utf8').catch(() => '')
      loaded = text ? JSON.parse(text).loaded : 0
      if (loaded >= 500) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    child.kill('SIGKILL')
    expect(await exited, 'the export finished before it could be interrupted').toBeNull()
    const saved = JSON.parse(await readFile(checkpoint, 'utf8'))
    expect(saved.loaded).toBeGreaterThanOrEqual(500)
    expect(saved.loaded).toBeLessThan(5000)
    expect(saved).toMatchObject({ url: cluster.url, name: 'many', lastDocId: saved.loaded - 1 })

    const resumed = await lsr(...args.slice(1))
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toBe(`lsr: resuming after ${saved.loaded} of 5000 documents (${checkpoint})\n`)
    expect(resumed.stdout).toContain(`exported 5000 documents to ${cluster.url}/many (${5000 - saved.loaded} sent by this run, ${saved.loaded} before; _count checked)`)
    expect(await count('many')).toBe(5000)
    expect(existsSync(checkpoint)).toBe(false)
    const n4999 = (await client.get({ index: 'many', id: 'd4999' })).body._source
    expect(n4999).toEqual({ title: 'document number 4999', n: 4999 })
  }, 60_000)

  it('a checkpoint of another destination, or of an index written since, is refused', async () => {
    const dir = join(await tempDir(), 'small')
    const index = await SparseIndex.open(dir, { create: true })
    await index.add([{ id: 'a', title: '', text: 'one', source: { text: 'one' } }])
    await index.close()
    const checkpoint = join(await tempDir(), 'cp.json')
    await writeFile(checkpoint, JSON.stringify({ url: 'http://elsewhere:9200', name: 'small', fingerprint: 'x', lastDocId: -1, loaded: 0 }))
    const other = await lsr('export', '--index', dir, '--to', cluster.url, '--checkpoint', checkpoint)
    expect(other).toMatchObject({ code: 1, stderr: `lsr: ${checkpoint} is the checkpoint of an export to http://elsewhere:9200/small, not ${cluster.url}/small: delete it, or export there\n` })
    await writeFile(checkpoint, JSON.stringify({ url: cluster.url, name: 'small', fingerprint: 'x', lastDocId: -1, loaded: 0 }))
    const changed = await lsr('export', '--index', dir, '--to', cluster.url, '--checkpoint', checkpoint)
    expect(changed.code).toBe(1)
    expect(changed.stderr).toContain(`the index was written since the interrupted export to ${cluster.url}/small`)
    await writeFile(checkpoint, '{')
    expect((await lsr('export', '--index', dir, '--to', cluster.url, '--checkpoint', checkpoint)).stderr).toContain(`${checkpoint}: not an export checkpoint`)
  })

  it.skipIf(!existsSync(SCIFACT))('SciFact\'s bm25 index into a second `lsr serve` process: _count equal', async () => {
    const dir = join(await tempDir(), 'scifact')
    const [server, indexed] = await Promise.all([serveProcess(await tempDir()), lsr('index', SCIFACT, '--index', dir)])
    expect(indexed.code).toBe(0)
    try {
      const result = await lsr('export', '--index', dir, '--to', server.url)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout).toContain(`exported 5183 documents to ${server.url}/scifact`)
      const counted = await fetch(`${server.url}/scifact/_count`).then((response) => response.json() as Promise<{ count: number }>)
      expect(counted.count).toBe(5183)
    } finally {
      await server.stop()
    }
  }, 60_000)
})

describe('lsr export: flags and failures', () => {
  let parent: string
  let dir: string
  beforeAll(async () => {
    // Not tempDir(): its folders are removed after each test.
    parent = await mkdtemp(join(tmpdir(), 'lsr-export-'))
    dir = join(parent, 'Sample')
    const index = await SparseIndex.open(dir, { create: true })
    await ingestCorpus(index, SAMPLE)
    await index.close()
  })
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true })
  })

  it('bad flags exit 2 with one line saying what is wrong', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'give one of --out <folder> and --to <url>'],
      [['--out', 'x', '--to', 'http://localhost:9'], 'give one of --out <folder> and --to <url>'],
      [['--out', 'x', '--api-key', 'k'], '--api-key goes with --to, not --out'],
      [['--out', 'x', '--batch-bytes', '10'], '--batch-bytes goes with --to, not --out'],
      [['--to', 'http://localhost:9', '--chunk-docs', '10'], '--chunk-docs goes with --out, not --to'],
      [['--to', 'localhost:9200'], '--to must be an http(s) URL, got "localhost:9200"'],
      [['--to', 'not a url'], '--to must be an http(s) URL, got "not a url"'],
      [['--to', 'http://localhost:9', '--api-key', 'k', '--user', 'a:b'], 'give one of --api-key and --user'],
      [['--to', 'http://localhost:9', '--user', 'nopassword'], '--user must be USER:PASSWORD'],
      [['--to', 'http://localhost:9', '--name', 'Upper'], '--name "Upper" must be lowercase'],
      [['--to', 'http://localhost:9', '--name', '_x'], '--name "_x" must not start with "-", "_" or "+"'],
      [['--out', 'x', '--chunk-docs', '0'], "option '--chunk-docs <n>' argument '0' is invalid. --chunk-docs must be a positive integer, got \"0\""],
    ]
    // Run together: each is a process of its own.
    const results = await Promise.all(cases.map(([flags]) => lsr('export', '--index', dir, ...flags)))
    results.forEach((result, i) => {
      expect(result, JSON.stringify(cases[i][0])).toMatchObject({ code: 2, stdout: '', stderr: `lsr: ${cases[i][1]}\n` })
    })
  })

  it('an index folder whose name is not an index name needs --name', async () => {
    const result = await lsr('export', '--index', join(parent, 'no such index'), '--out', join(parent, 'out'))
    expect(result).toMatchObject({ code: 2, stderr: 'lsr: the index name taken from --index, "no such index", must not contain \\, /, *, ?, ", <, >, |, space, ",", "#" or ":"; give one with --name\n' })
  })

  it('a cluster that cannot be reached, or wants credentials, is one line naming the URL and index (never its credentials)', async () => {
    const unreachable = await lsr('export', '--index', dir, '--to', 'http://user:secret@127.0.0.1:9', '--name', 'sample')
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/^lsr: http:\/\/127\.0\.0\.1:9\/sample: checking whether the index exists: cannot reach the cluster \(.*\); rerun to resume\n$/)
    expect(unreachable.stderr).not.toContain('secret')
    const locked = await portServer({ apiKey: 'sesame' })
    try {
      const refused = await lsr('export', '--index', dir, '--to', locked.url, '--name', 'sample')
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`^lsr: ${locked.url}/sample: checking whether the index exists: 401 `))
      const allowed = await lsr('export', '--index', dir, '--to', locked.url, '--name', 'sample', '--api-key', 'sesame')
      expect(allowed).toMatchObject({ code: 0, stderr: '' })
    } finally {
      await locked.close()
    }
  })

  it('--out writes the three files and says where; a folder with files is refused', async () => {
    const out = join(await tempDir(), 'export')
    const result = await lsr('export', '--index', dir, '--out', out, '--name', 'sample')
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toMatch(new RegExp(`^exported 30 documents to ${out} \\(index.json, pipelines.json, documents.ndjson; 8.\\d KiB of NDJSON\\) in [\\d.]+ s, \\d+ docs/s\\n$`))
    expect((await readFile(join(out, 'documents.ndjson'), 'utf8')).split('\n')[0]).toBe('{"index":{"_index":"sample","_id":"s01"}}')
    expect(await lsr('export', '--index', dir, '--out', out, '--name', 'sample')).toMatchObject({ code: 1, stderr: `lsr: ${out} is not empty: export into a new folder\n` })
  })
})

/**
 * A stand-in cluster that answers the bulk helper's requests by hand: the first `_bulk` request
 * with 429 for every document (the helper sends them again), and a document whose id is `bad`
 * with a 400, as a cluster refuses a document it cannot parse.
 */
async function fakeCluster(): Promise<{ url: string; bulkRequests: () => number; stored: Map<string, unknown>; close: () => Promise<void> }> {
  const { createServer } = await import('node:http')
  const stored = new Map<string, unknown>()
  let bulks = 0
  let created = false
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const answer = (status: number, json?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(json === undefined ? undefined : JSON.stringify(json))
      }
      const path = (req.url ?? '').split('?')[0]
      if (req.method === 'HEAD' && path === '/x') return answer(created ? 200 : 404)
      if (req.method === 'PUT' && path === '/x') {
        created = true
        return answer(200, { acknowledged: true, shards_acknowledged: true, index: 'x' })
      }
      if (path === '/_bulk') {
        const lines = body.split('\n').filter(Boolean).map((line) => JSON.parse(line))
        const first = bulks++ === 0
        const items = []
        for (let i = 0; i < lines.length; i += 2) {
          const id = lines[i].index._id as string
          if (first) items.push({ index: { _index: 'x', _id: id, status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected' } } })
          else if (id === 'bad') items.push({ index: { _index: 'x', _id: id, status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } } })
          else {
            stored.set(id, lines[i + 1])
            items.push({ index: { _index: 'x', _id: id, status: 201, result: 'created' } })
          }
        }
        return answer(200, { took: 1, errors: items.some((item) => item.index.status >= 400), items })
      }
      if (path === '/x/_refresh') return answer(200, { _shards: { total: 1, successful: 1, failed: 0 } })
      if (path === '/x/_count') return answer(200, { count: stored.size })
      answer(404, { error: { type: 'not_found', reason: `${req.method} ${path}` }, status: 404 })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, bulkRequests: () => bulks, stored, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('lsr export --to a cluster that answers 429 and refuses a document', () => {
  it('sends 429\'d documents again; stops on a refused one naming it and the cluster\'s reason, its checkpoint kept', async () => {
    const cluster = await fakeCluster()
    try {
      const dir = join(await tempDir(), 'x')
      const index = await SparseIndex.open(dir, { create: true, encoder: null })
      await index.add(Array.from({ length: 20 }, (_, n) => ({ id: `a${n}`, source: { n } })))
      await index.close()
      const ok = await lsr('export', '--index', dir, '--to', cluster.url)
      expect(ok).toMatchObject({ code: 0, stderr: '' })
      expect(ok.stdout).toContain(`exported 20 documents to ${cluster.url}/x (20 sent by this run; _count checked)`)
      expect(cluster.bulkRequests()).toBe(2)
      expect(cluster.stored.get('a7')).toEqual({ n: 7 })
    } finally {
      await cluster.close()
    }
    const refusing = await fakeCluster()
    try {
      const dir = join(await tempDir(), 'x')
      const index = await SparseIndex.open(dir, { create: true, encoder: null })
      await index.add([{ id: 'a', source: { n: 1 } }, { id: 'bad', source: { n: 2 } }, { id: 'c', source: { n: 3 } }])
      await index.close()
      const failed = await lsr('export', '--index', dir, '--to', refusing.url)
      expect(failed).toMatchObject({ code: 1, stdout: '' })
      expect(failed.stderr).toBe(`lsr: ${refusing.url}/x refused 1 documents; the first, "bad": 400 mapper_parsing_exception: failed to parse. Rerun to resume after the last window acknowledged in full\n`)
      expect(JSON.parse(await readFile(`${dir}.export-x.json`, 'utf8'))).toMatchObject({ url: refusing.url, name: 'x', lastDocId: -1, loaded: 0 })
    } finally {
      await refusing.close()
    }
  })
})
