import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { tempDir } from '../helpers.js'
import { lsr } from './lsr.js'

/** Writes `records` as a JSONL file in a fresh folder; returns the folder and the file. */
async function corpus(records: readonly object[]): Promise<{ work: string; file: string }> {
  const work = await tempDir()
  const file = join(work, 'corpus.jsonl')
  await writeFile(file, records.map((record) => JSON.stringify(record)).join('\n'))
  return { work, file }
}

async function writeJson(dir: string, name: string, json: unknown): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, typeof json === 'string' ? json : JSON.stringify(json))
  return file
}

/** `lsr search ... --json`, checked to succeed: the hits. */
async function searchJson(...args: string[]): Promise<Array<{ _id: string; _score: number | null; sort?: unknown[]; _source: Record<string, unknown> }>> {
  const result = await lsr('search', ...args, '--json')
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

const ids = (hits: ReadonlyArray<{ _id: string }>) => hits.map((hit) => hit._id)

const ARTICLES = [
  { _id: 'a1', title: 'Red running shoes', text: 'Light shoes for road running', category: 'shoes', year: 2020 },
  { _id: 'a2', title: 'Blue cotton shirt', text: 'A shirt for running in warm weather', category: 'shirts', year: 2021 },
  { _id: 'a3', title: 'Green trail shoes', text: 'Shoes with a deep grip', category: 'shoes', year: 2022 },
  { _id: 'a4', title: 'Wool socks', text: 'Socks for shoes in winter', category: 'socks', year: 2019 },
]

const PRODUCTS = [
  { _id: 'p1', name: 'Oak desk lamp', description: 'A warm reading lamp with an oak base', category: 'lighting', price: 39.5, added: '2024-03-01' },
  { _id: 'p2', name: 'Steel floor lamp', description: 'Tall lamp for reading corners', category: 'lighting', price: 89, added: '2024-05-12' },
  { _id: 'p3', name: 'Reading chair', description: 'Soft chair that pairs well with a floor lamp', category: 'furniture', price: 249, added: '2023-11-20' },
  { _id: 'p4', name: 'Desk organizer', description: 'Oak trays for a tidy desk', category: 'office', price: 19.5, added: '2024-01-08' },
]

const PRODUCT_MAPPINGS = {
  properties: {
    name: { type: 'text' },
    description: { type: 'text' },
    category: { type: 'keyword' },
    price: { type: 'float' },
    added: { type: 'date' },
  },
}

describe('lsr index: records with fields of their own (dynamic mapping)', () => {
  it('keeps title + text as the bm25 field and maps the other fields; lsr search filters and sorts on them', async () => {
    const { work, file } = await corpus(ARTICLES)
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir)).code).toBe(0)

    const index = await SparseIndex.open(dir)
    expect(index.encoder?.config.name).toBe('bm25')
    expect(index.schema?.leaves()).toEqual([
      { path: 'category', type: 'text' },
      { path: 'category.keyword', type: 'keyword' },
      { path: 'year', type: 'long' },
    ])
    await index.close()

    // The encoder field alone, as before: every document mentioning shoes.
    expect(ids(await searchJson('shoes', '--index', dir)).sort()).toEqual(['a1', 'a3', 'a4'])
    // A filter on the keyword sub-field dynamic mapping made, and on the year.
    expect(ids(await searchJson('shoes', '--index', dir, '--filter', '{"term": {"category.keyword": "shoes"}}')).sort()).toEqual(['a1', 'a3'])
    expect(ids(await searchJson('shoes', '--index', dir, '--filter', '{"range": {"year": {"gte": 2020}}}')).sort()).toEqual(['a1', 'a3'])
    // Sorted by year, newest first: sort values in the JSON, no scores computed.
    const sorted = await searchJson('shoes', '--index', dir, '--sort', 'year:desc')
    expect(sorted.map((hit) => [hit._id, hit._score, hit.sort])).toEqual([
      ['a3', null, [2022]],
      ['a1', null, [2020]],
      ['a4', null, [2019]],
    ])
    // _score as a second key: scores computed and returned as sort values.
    const withScore = await searchJson('shoes', '--index', dir, '--sort', 'category.keyword,_score:desc')
    expect(withScore.map((hit) => hit.sort![0])).toEqual(['shoes', 'shoes', 'socks'])
    for (const hit of withScore) expect(hit.sort![1]).toBe(hit._score)
  })

  it('--fields searches the named fields with boosts (title and text are the encoder field)', async () => {
    const { work, file } = await corpus(ARTICLES)
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir)).code).toBe(0)
    const plain = await searchJson('shoes', '--index', dir)
    const boosted = await searchJson('shoes', '--index', dir, '--fields', 'title^2')
    expect(ids(boosted)).toEqual(ids(plain))
    boosted.forEach((hit, i) => expect(hit._score).toBeCloseTo(2 * plain[i]._score!, 10))
    // A mapped field: only the documents whose category holds the word.
    expect(ids(await searchJson('socks', '--index', dir, '--fields', 'category'))).toEqual(['a4'])
    // The text output shows the sort values after the id.
    const text = await lsr('search', 'shoes', '--index', dir, '--sort', 'year:asc', '-k', '2')
    expect(text.stdout).toBe('  1          -  a4  [2019]  Wool socks\n  2          -  a1  [2020]  Red running shoes\n')
  })
})

describe('lsr index --mapping', () => {
  it('indexes a product catalog under an Elasticsearch mapping, without an encoder; lsr search takes --fields, --filter and --sort', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const mapping = await writeJson(work, 'mapping.json', { mappings: PRODUCT_MAPPINGS })
    const dir = join(work, 'catalog')
    const indexed = await lsr('index', file, '--index', dir, '--mapping', mapping)
    expect(indexed.stderr).toBe('')
    expect(indexed.stdout).toMatch(/^indexed 4 docs \(4 added/)

    const index = await SparseIndex.open(dir)
    expect(index.encoder).toBeUndefined()
    expect(index.schema?.toStored()).toEqual({ mappings: PRODUCT_MAPPINGS })
    await index.close()

    // Without --fields, every text field (name and description) is searched.
    expect(ids(await searchJson('lamp', '--index', dir)).sort()).toEqual(['p1', 'p2', 'p3'])
    // name^3: the lamps named so come before the chair that mentions one.
    const boosted = await searchJson('lamp', '--index', dir, '--fields', 'name^3,description')
    expect(ids(boosted).at(-1)).toBe('p3')
    expect(ids(await searchJson('lamp', '--index', dir, '--fields', 'name'))).not.toContain('p3')
    // A range filter on the float, sorted by price descending.
    const cheap = await searchJson('lamp', '--index', dir, '--filter', '{"range": {"price": {"lt": 100}}}', '--sort', 'price:desc')
    expect(cheap.map((hit) => [hit._id, hit.sort])).toEqual([
      ['p2', [89]],
      ['p1', [39.5]],
    ])
    // Dates sort by epoch milliseconds, as Elasticsearch returns them.
    const newest = await searchJson('oak', '--index', dir, '--sort', 'added:desc')
    expect(newest.map((hit) => [hit._id, hit.sort])).toEqual([
      ['p1', [Date.UTC(2024, 2, 1)]],
      ['p4', [Date.UTC(2024, 0, 8)]],
    ])
    // The text output names a product by its name.
    const text = await lsr('search', 'desk', '--index', dir, '--sort', 'price', '-k', '1')
    expect(text.stdout).toBe('  1          -  p4  [19.5]  Desk organizer\n')
    // A keyword field is not analyzed: its exact value matches, a word of it does not.
    expect(ids(await searchJson('lighting', '--index', dir, '--fields', 'category')).sort()).toEqual(['p1', 'p2'])

    // --aggs: over every match of 'lamp' (p1, p2, p3), not only the one hit shown.
    const aggs = await writeJson(work, 'aggs.json', { cats: { terms: { field: 'category' } }, price: { avg: { field: 'price' } } })
    const faceted = await lsr('search', 'lamp', '--index', dir, '-k', '1', '--aggs', aggs, '--json')
    expect(faceted.code).toBe(0)
    const { hits, aggregations } = JSON.parse(faceted.stdout)
    expect(hits).toHaveLength(1)
    expect(aggregations).toEqual({
      cats: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: [{ key: 'lighting', doc_count: 2 }, { key: 'furniture', doc_count: 1 }] },
      price: { value: (39.5 + 89 + 249) / 3 },
    })
    const printed = await lsr('search', 'lamp', '--index', dir, '-k', '1', '--aggs', aggs)
    expect(printed.stdout).toMatch(/^aggregations:\n\{\n  "cats"/m)
    const bad = await lsr('search', 'lamp', '--index', dir, '--aggs', await writeJson(work, 'bad.json', { x: { terms: { field: 'category', colour: 1 } } }))
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/unknown or unsupported option \[colour\]/)
  })

  it('takes a bare mappings object, and settings with an analyzer and a similarity', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const dir = join(work, 'bare')
    expect((await lsr('index', file, '--index', dir, '--mapping', await writeJson(work, 'bare.json', PRODUCT_MAPPINGS))).code).toBe(0)
    expect(ids(await searchJson('reading', '--index', dir, '--fields', 'description')).sort()).toEqual(['p1', 'p2'])

    const settings = {
      settings: {
        analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'porter_stem'] } } },
        index: { similarity: { default: { type: 'BM25', k1: 0.9, b: 0.4 } } },
      },
      mappings: { properties: { name: { type: 'text', analyzer: 'folded' }, description: { type: 'text', analyzer: 'folded' } } },
    }
    const stemmed = join(work, 'stemmed')
    expect((await lsr('index', file, '--index', stemmed, '--mapping', await writeJson(work, 'settings.json', settings))).code).toBe(0)
    const index = await SparseIndex.open(stemmed)
    expect(index.schema?.bm25('description')).toEqual({ k1: 0.9, b: 0.4 })
    await index.close()
    // "reads" stems to "read", as "reading" does: the Porter stemmer applies at both ends.
    expect(ids(await searchJson('reads', '--index', stemmed, '--fields', 'description')).sort()).toEqual(['p1', 'p2'])
    // Fields the mapping leaves out are mapped dynamically: the price is a number here too.
    expect(ids(await searchJson('lamp', '--index', stemmed, '--filter', '{"range": {"price": {"gt": 50}}}')).sort()).toEqual(['p2', 'p3'])
  })

  it('on an existing index adds the new fields; a changed field or changed settings are refused naming the file', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const dir = join(work, 'catalog')
    const first = await writeJson(work, 'first.json', { properties: { name: { type: 'text' }, price: { type: 'float' } } })
    expect((await lsr('index', file, '--index', dir, '--mapping', first)).code).toBe(0)
    // The same file again (a re-run): nothing to change.
    expect((await lsr('index', file, '--index', dir, '--mapping', first)).stdout).toMatch(/\(0 added, 0 replaced, 4 unchanged/)
    const more = await writeJson(work, 'more.json', { properties: { rating: { type: 'integer' } } })
    expect((await lsr('index', file, '--index', dir, '--mapping', more)).code).toBe(0)
    const index = await SparseIndex.open(dir)
    expect(index.schema?.field('rating')?.type).toBe('integer')
    await index.close()

    const changed = await writeJson(work, 'changed.json', { properties: { price: { type: 'keyword' } } })
    const refused = await lsr('index', file, '--index', dir, '--mapping', changed)
    expect(refused).toMatchObject({ code: 1, stderr: `lsr: ${changed}: mapper [price] cannot be changed from type [float] to [keyword]\n` })
    const analysis = await writeJson(work, 'analysis.json', { settings: { analysis: { analyzer: { a: { type: 'simple' } } } } })
    const settingsRefused = await lsr('index', file, '--index', dir, '--mapping', analysis)
    expect(settingsRefused.code).toBe(1)
    expect(settingsRefused.stderr).toMatch(new RegExp(`^lsr: ${analysis}: settings.analysis differs from the index's own`))
  })

  it('--encoder bm25 with a mapping: title and text stay the encoder field, and a mapping of them is refused', async () => {
    const { work, file } = await corpus(ARTICLES)
    const mapping = await writeJson(work, 'm.json', { properties: { category: { type: 'keyword' } } })
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir, '--mapping', mapping, '--encoder', 'bm25')).code).toBe(0)
    expect(ids(await searchJson('shoes', '--index', dir, '--filter', '{"term": {"category": "shoes"}}')).sort()).toEqual(['a1', 'a3'])

    const title = await writeJson(work, 'title.json', { properties: { title: { type: 'text' } } })
    const refused = await lsr('index', file, '--index', join(work, 'other'), '--mapping', title, '--encoder', 'bm25')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(`lsr: ${title}: maps [title], which the bm25 encoder indexes (title + text as one field); to index title and text as mapped fields, use --encoder none\n`)
    expect(await readdir(work)).not.toContain('other')
  })

  it('--encoder none: title and text are mapped fields (standard analyzer, BM25 1.2/0.75), searched by default', async () => {
    const { work, file } = await corpus(ARTICLES)
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir, '--encoder', 'none')).code).toBe(0)
    const index = await SparseIndex.open(dir)
    expect(index.encoder).toBeUndefined()
    expect(index.schema?.field('title')?.type).toBe('text')
    expect(index.schema?.bm25('text')).toEqual({ k1: 1.2, b: 0.75 })
    await index.close()
    // No stemming under the standard analyzer: "shoe" does not match "shoes".
    expect(await searchJson('shoe', '--index', dir)).toEqual([])
    expect(ids(await searchJson('shoes', '--index', dir, '--fields', 'title')).sort()).toEqual(['a1', 'a3'])
    const conflicting = await lsr('index', file, '--index', join(work, 'x'), '--encoder', 'none', '--k1', '1')
    expect(conflicting).toMatchObject({ code: 2, stderr: 'lsr: --encoder none takes no encoder settings (--k1, --b, --model, ...)\n' })
  })

  it('a bad mapping file: one line naming the file, exit 1, and no index is created', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const dir = join(work, 'idx')
    const cases: Array<[string, unknown, string]> = [
      ['json.json', '{"properties": ', 'not valid JSON'],
      ['array.json', [], 'must hold a JSON object: a mappings object, or {"mappings": ..., "settings": ...}'],
      ['type.json', { properties: { price: { type: 'money' } } }, 'No handler for type [money] declared on field [price]'],
      ['analyzer.json', { properties: { name: { type: 'text', analyzer: 'nope' } } }, 'analyzer [nope]'],
      ['key.json', { mappings: {}, aliases: {} }, '[aliases] is not a key of an index definition (mappings, settings)'],
      ['shards.json', { settings: { index: { number_of_shards: 2 } } }, '[settings.index.number_of_shards] is not a supported setting'],
      ['encoder.json', { settings: { encoder: { name: 'bm25' } } }, '[settings.encoder]: give the encoder with --encoder'],
    ]
    for (const [name, content, reason] of cases) {
      const mapping = await writeJson(work, name, content)
      const result = await lsr('index', file, '--index', dir, '--mapping', mapping)
      expect(result.code, name).toBe(1)
      expect(result.stderr.startsWith(`lsr: ${mapping}: `), result.stderr).toBe(true)
      expect(result.stderr).toContain(reason)
      expect(result.stderr.split('\n')).toHaveLength(2)
    }
    const missing = await lsr('index', file, '--index', dir, '--mapping', join(work, 'missing.json'))
    expect(missing).toMatchObject({ code: 1, stderr: `lsr: ${join(work, 'missing.json')}: no such file or folder\n` })
    expect(await readdir(work)).not.toContain('idx')
  })
})

describe('lsr search --fields / --filter / --sort', () => {
  it('flag values are checked before the index is read: usage errors, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--sort', 'price:up'], /--sort order of \[price\] must be asc or desc, got "up"/],
      [['--sort', 'price,,_score'], /--sort takes field\[:asc\|:desc\] separated by commas/],
      [['--fields', 'name,'], /--fields takes field names separated by commas/],
      [['--filter', '{"range": '], /--filter takes a query DSL object as JSON/],
    ]
    for (const [flags, message] of cases) {
      const result = await lsr('search', 'x', '--index', 'nowhere', ...flags)
      expect(result.code, flags.join(' ')).toBe(2)
      expect(result.stderr).toMatch(message)
    }
  })

  it('a sort on an unmapped or text field and an unknown query in --filter are errors from the engine', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir, '--mapping', await writeJson(work, 'm.json', PRODUCT_MAPPINGS))).code).toBe(0)
    expect(await lsr('search', 'lamp', '--index', dir, '--sort', 'weight')).toMatchObject({ code: 2, stderr: 'lsr: No mapping found for [weight] in order to sort on\n' })
    expect((await lsr('search', 'lamp', '--index', dir, '--sort', 'name')).stderr).toMatch(/^lsr: Text fields are not optimised for operations/)
    const filter = await lsr('search', 'lamp', '--index', dir, '--filter', '{"fuzzy": {"name": "lamp"}}')
    expect(filter.code).not.toBe(0)
    expect(filter.stderr).toMatch(/^lsr: .*fuzzy/)
  })

  it('--queries runs over the mapped fields of an index without an encoder; --sort does not apply to a run', async () => {
    const { work, file } = await corpus(PRODUCTS)
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir, '--mapping', await writeJson(work, 'm.json', PRODUCT_MAPPINGS))).code).toBe(0)
    const queries = join(work, 'queries.jsonl')
    await writeFile(queries, [{ _id: 'q1', text: 'floor lamp' }, { _id: 'q2', text: 'oak' }].map((q) => JSON.stringify(q)).join('\n'))
    const run = join(work, 'run.trec')
    const result = await lsr('search', '--index', dir, '--queries', queries, '--fields', 'name^3,description', '--filter', '{"term": {"category": "lighting"}}', '--run', run)
    expect(result.code).toBe(0)
    const lines = (await readFile(run, 'utf8')).trim().split('\n').map((line) => line.split(' '))
    expect(lines.map(([qid, , doc, rank]) => [qid, doc, rank])).toEqual([
      ['q1', 'p2', '1'],
      ['q1', 'p1', '2'],
      ['q2', 'p1', '1'],
    ])
    const sorted = await lsr('search', '--index', dir, '--queries', queries, '--sort', 'price')
    expect(sorted).toMatchObject({ code: 2, stderr: 'lsr: --sort does not apply to --queries: a TREC run ranks by score\n' })
  })

  it('an index whose mapping has no text field needs --fields', async () => {
    const { work, file } = await corpus([{ _id: 'k1', sku: 'A-1', price: 3 }])
    const dir = join(work, 'idx')
    expect((await lsr('index', file, '--index', dir, '--mapping', await writeJson(work, 'm.json', { dynamic: false, properties: { sku: { type: 'keyword' } } }))).code).toBe(0)
    expect(await lsr('search', 'A-1', '--index', dir)).toMatchObject({ code: 2, stderr: `lsr: index ${dir} has neither an encoder nor a text field to search: name fields with --fields\n` })
    expect(ids(await searchJson('A-1', '--index', dir, '--fields', 'sku'))).toEqual(['k1'])
  })
})
