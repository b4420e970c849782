/**
 * Documents with fields over a real port: every URL parameter and body key of `_search` is
 * honoured or a 400 naming it (`q` with `df`/`default_operator` and Lucene syntax, `sort` in the
 * URL, `track_scores`, `search_after`), field-type errors read as Elasticsearch's, and index
 * creation with mappings and analysis is checked whole (a bad one creates nothing). Expected
 * values are computed here from the products (catalog.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bm25, CATALOG_MAPPING, PRODUCTS, tokens, type Product } from './catalog.js'
import { portServer, send } from './helpers.js'

type Hit = { _id: string; _score: number | null; sort?: unknown[] }

/** Skus of the products that pass, in indexing order. */
const skus = (keep: (p: Product) => boolean) => PRODUCTS.filter(keep).map((p) => p.sku)
const has = (p: Product, field: 'name' | 'description', word: string) => tokens(p[field]).includes(word)

describe('search parameters over a real port', () => {
  let url: string
  let close: () => Promise<void>
  const search = async (query: string, body?: unknown) => send(`${url}/catalog/_search?${query}`, body === undefined ? 'GET' : 'POST', body)
  /** The matching skus of a URI search, sorted (order is checked where it is defined). */
  const matches = async (query: string) => {
    const { status, body } = await search(`${query}&size=100`)
    expect(status, `${query}: ${JSON.stringify(body)}`).toBe(200)
    expect(body.hits.total.value, query).toBe(body.hits.hits.length)
    return body.hits.hits.map((h: Hit) => h._id).sort()
  }

  beforeAll(async () => {
    ({ url, close } = await portServer())
    expect((await send(`${url}/catalog`, 'PUT', { mappings: CATALOG_MAPPING })).status).toBe(200)
    const ndjson = PRODUCTS.flatMap((p) => [JSON.stringify({ index: { _id: p.sku } }), JSON.stringify(p)]).join('\n') + '\n'
    expect((await send(`${url}/catalog/_bulk`, 'POST', ndjson, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false)
  })
  afterAll(async () => close())

  it('q with df searches that field, OR by default and AND with default_operator, scored as a match on it', async () => {
    const { body } = await search('q=espresso%20grinder&df=name&size=100')
    const scores = bm25(PRODUCTS, 'name', 'espresso grinder')
    const expected = skus((p) => has(p, 'name', 'espresso') || has(p, 'name', 'grinder'))
      .map((sku): [string, number] => [sku, scores.get(sku)!]).sort((a, b) => b[1] - a[1])
    expect(body.hits.hits.map((h: Hit) => h._id)).toEqual(expected.map(([sku]) => sku))
    body.hits.hits.forEach((hit: Hit, i: number) => expect(hit._score).toBeCloseTo(expected[i][1], 10))
    const both = skus((p) => has(p, 'name', 'espresso') && has(p, 'name', 'grinder'))
    expect(both).toHaveLength(1)
    for (const operator of ['AND', 'and']) expect(await matches(`q=espresso%20grinder&df=name&default_operator=${operator}`)).toEqual(both)
    expect(await matches('q=espresso%20grinder&df=name&default_operator=OR')).toEqual(expected.map(([sku]) => sku).sort())
    // _count takes them too.
    expect((await send(`${url}/catalog/_count?q=espresso%20grinder&df=name&default_operator=AND`, 'GET')).body.count).toBe(1)
  })

  it('q without df searches every text and keyword field', async () => {
    expect(await matches('q=espresso')).toEqual(skus((p) => has(p, 'name', 'espresso') || has(p, 'description', 'espresso')))
    expect(await matches('q=SKU-007')).toEqual(['SKU-007']) // the keyword sku, as it is written
  })

  it('q takes field:value, +a -b, AND/OR/NOT, ranges and comparisons', async () => {
    expect(await matches('q=category:coffee')).toEqual(skus((p) => p.category === 'coffee'))
    expect(await matches('q=category:Coffee')).toEqual([]) // keyword: exact
    expect(await matches('q=name:ESPRESSO')).toEqual(skus((p) => has(p, 'name', 'espresso'))) // text: analyzed
    expect(await matches('q=%2Bespresso%20-machine&df=name')).toEqual(skus((p) => has(p, 'name', 'espresso') && !has(p, 'name', 'machine')))
    expect(await matches('q=name:espresso%20AND%20NOT%20category:kitchen')).toEqual(skus((p) => has(p, 'name', 'espresso') && p.category !== 'kitchen'))
    expect(await matches('q=(name:tea%20OR%20name:cups)%20AND%20rating:5')).toEqual(skus((p) => (has(p, 'name', 'tea') || has(p, 'name', 'cups')) && p.rating === 5))
    expect(await matches('q=in_stock:false%20AND%20category:tea')).toEqual(skus((p) => !p.in_stock && p.category === 'tea'))
    expect(await matches('q=price:[10%20TO%2020]')).toEqual(skus((p) => p.price >= 10 && p.price <= 20))
    expect(await matches('q=price:{10%20TO%2019.99}')).toEqual(skus((p) => p.price > 10 && p.price < 19.99))
    expect(await matches('q=price:[*%20TO%209.99]')).toEqual(skus((p) => p.price <= 9.99))
    expect(await matches('q=price:>=89.5')).toEqual(skus((p) => p.price >= 89.5))
    expect(await matches('q=rating:<3')).toEqual(skus((p) => p.rating < 3))
    expect(await matches('q=added:[2024-01-05%20TO%202024-01-07]')).toEqual(['SKU-005', 'SKU-006', 'SKU-007'])
    expect(await matches('q=_exists_:price%20AND%20NOT%20_exists_:nope')).toEqual(skus(() => true))
  })

  it('q syntax lsr cannot honour, df or default_operator without q, and a bad operator are 400s naming them', async () => {
    const cases: Array<[string, RegExp]> = [
      ['q=name:espres*', /wildcard and prefix queries are not supported/],
      ['q=name:espresso~', /fuzzy queries are not supported/],
      ['q=(name:espresso', /missing \) for the \( at column 1/],
      ['df=name', /\[df\] applies to \[q\]/],
      ['default_operator=AND', /\[default_operator\] applies to \[q\]/],
      ['q=espresso&default_operator=XOR', /default_operator must be OR or AND/],
      ['q=price:[10%20TO%20abc]', /"abc" \(field \[price\] of type \[scaled_float\]\)/],
    ]
    for (const [query, reason] of cases) {
      const { status, body } = await search(query)
      expect(status, query).toBe(400)
      expect(body.error.reason, query).toMatch(reason)
    }
    const both = await search('q=espresso', { query: { match_all: {} } })
    expect(both.status).toBe(400)
    expect(both.body.error.reason).toMatch(/\[q\] cannot be combined with a query in the body/)
  })

  it('sort=field:order in the URL sorts by fields, as the body sort does', async () => {
    const { body } = await search('sort=price:desc,rating:asc,sku:desc&size=100&_source=false')
    const expected = [...PRODUCTS].sort((a, b) => b.price - a.price || a.rating - b.rating || b.sku.localeCompare(a.sku))
    expect(body.hits.hits.map((h: Hit) => h._id)).toEqual(expected.map((p) => p.sku))
    expect(body.hits.hits.map((h: Hit) => h.sort)).toEqual(expected.map((p) => [p.price, p.rating, p.sku]))
    const viaBody = await search('size=100&_source=false', { sort: [{ price: 'desc' }, { rating: 'asc' }, { sku: 'desc' }] })
    expect(viaBody.body.hits.hits).toEqual(body.hits.hits)
    // A bare field sorts ascending.
    expect((await search('sort=sku&size=3')).body.hits.hits.map((h: Hit) => h._id)).toEqual(['SKU-001', 'SKU-002', 'SKU-003'])
  })

  it('track_scores (body or URL) keeps scores on hits sorted by fields, and max_score as the best match', async () => {
    const query = { match: { description: 'espresso coffee' } }
    const ranked = (await search('size=100', { query })).body.hits
    const scoreOf = new Map<string, number>(ranked.hits.map((h: Hit) => [h._id, h._score!]))
    for (const [params, body] of [['size=100', { query, sort: [{ price: 'asc' }], track_scores: true }], ['size=100&track_scores=true', { query, sort: [{ price: 'asc' }] }], ['size=100&track_scores', { query, sort: [{ price: 'asc' }] }]] as const) {
      const { hits } = (await search(params, body)).body
      expect(hits.hits.map((h: Hit) => h._score), params).toEqual(hits.hits.map((h: Hit) => scoreOf.get(h._id)))
      expect(hits.max_score, params).toBe(ranked.max_score)
    }
    const untracked = (await search('size=100&track_scores=false', { query, sort: [{ price: 'asc' }], track_scores: true })).body.hits
    expect(untracked.hits.every((h: Hit) => h._score === null)).toBe(true)
    expect(untracked.max_score).toBeNull()
    for (const [params, body] of [['track_scores=maybe', { query }], ['', { query, track_scores: 'yes' }]] as const) {
      const { status, body: answer } = await search(params, body)
      expect(status).toBe(400)
      expect(answer.error.reason).toMatch(/\[track_scores\] must be a boolean/)
    }
  })

  it('search_after needs a sort and as many values as it has keys', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ search_after: [10] }, /\[search_after\] needs a \[sort\]/],
      [{ search_after: [10], sort: [{ price: 'asc' }, { sku: 'asc' }] }, /search_after has 1 value\(s\) but sort has 2/],
      [{ search_after: [10, 'SKU-001'], sort: [{ price: 'asc' }, { sku: 'asc' }], from: 5 }, /\[from\] parameter must be set to 0 when \[search_after\] is used/],
      [{ search_after: [10, 5], sort: [{ price: 'asc' }, { sku: 'asc' }] }, /must be a string \(a keyword sort\)/],
    ]
    for (const [body, reason] of cases) {
      const { status, body: answer } = await search('', body)
      expect(status, JSON.stringify(body)).toBe(400)
      expect(answer.error.reason, JSON.stringify(body)).toMatch(reason)
    }
    const after = (await search('size=100', { sort: [{ price: 'asc' }, { sku: 'asc' }], search_after: [19.99, 'SKU-009'] })).body.hits.hits
    expect(after.map((h: Hit) => h._id)).toEqual([...PRODUCTS].filter((p) => p.price > 19.99 || (p.price === 19.99 && p.sku > 'SKU-009'))
      .sort((a, b) => a.price - b.price || a.sku.localeCompare(b.sku)).map((p) => p.sku))
  })

  it('sorting on a text field is Elasticsearch\'s fielddata 400; a field not mapped needs unmapped_type', async () => {
    const text = await search('', { sort: [{ name: 'asc' }] })
    expect(text.status).toBe(400)
    expect(text.body.error).toMatchObject({ type: 'illegal_argument_exception' })
    expect(text.body.error.reason).toMatch(/^Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default\. Please use a keyword field instead\. Alternatively, set fielddata=true on \[name\] in order to load field data by uninverting the inverted index\. Note that this can use significant memory\./)
    expect((await search('sort=description:desc')).status).toBe(400)
    const unmapped = await search('', { sort: [{ nope: 'asc' }] })
    expect(unmapped.body.error.reason).toBe('No mapping found for [nope] in order to sort on')
    const typed = await search('size=3', { sort: [{ nope: { order: 'asc', unmapped_type: 'long' } }, { sku: 'desc' }] })
    expect(typed.body.hits.hits.map((h: Hit) => h._id)).toEqual(['SKU-030', 'SKU-029', 'SKU-028'])
  })

  it('match_phrase, match_phrase_prefix, phrase multi_match and quoted q find the words in order', async () => {
    /** Products whose field has the words at consecutive positions (the last one as a prefix when asked). */
    const phrase = (field: 'name' | 'description', words: string[], prefix = false) => skus((p) => {
      const t = tokens(p[field])
      return t.some((_, at) => words.every((w, i) => (prefix && i === words.length - 1 ? t[at + i]?.startsWith(w) : t[at + i] === w)))
    })
    const found = async (body: unknown) => {
      const { status, body: answer } = await search('size=100', body)
      expect(status, JSON.stringify(answer)).toBe(200)
      return answer.hits.hits.map((h: Hit) => h._id).sort()
    }
    expect(await found({ query: { match_phrase: { description: 'espresso machine' } } })).toEqual(phrase('description', ['espresso', 'machine']))
    expect(await found({ query: { match_phrase: { description: 'machine espresso' } } })).toEqual([])
    expect(await found({ query: { match_phrase: { description: { query: 'machine espresso', slop: 2 } } } })).toEqual(phrase('description', ['espresso', 'machine']))
    expect(await found({ query: { match_phrase_prefix: { description: 'for espr' } } })).toEqual(phrase('description', ['for', 'espr'], true))
    expect(await found({ query: { multi_match: { query: 'espresso machine', type: 'phrase', fields: ['name', 'description'] } } }))
      .toEqual([...new Set([...phrase('name', ['espresso', 'machine']), ...phrase('description', ['espresso', 'machine'])])].sort())
    expect(await matches('q=description:%22for%20espresso%22')).toEqual(phrase('description', ['for', 'espresso']))
    expect(phrase('description', ['for', 'espresso']).length).toBeGreaterThan(1)
  })

  it('highlights the text fields a pattern names, each field once', async () => {
    const query = { multi_match: { query: 'espresso', fields: ['name', 'description'] } }
    const highlighted = async (fields: unknown) => (await search('size=1', { query, highlight: { fields } })).body.hits.hits[0].highlight
    expect(await highlighted({ 'desc*': {} })).toEqual({ description: ['A compact <em>espresso</em> machine with a steam wand for milk'] })
    expect(await highlighted({ '*': {} })).toEqual({ name: ['<em>Espresso</em> machine'], description: ['A compact <em>espresso</em> machine with a steam wand for milk'] })
    expect(await highlighted([{ 'n*e': { pre_tags: ['['], post_tags: [']'] } }, { '*': {} }])).toEqual({ name: ['[Espresso] machine'], description: ['A compact <em>espresso</em> machine with a steam wand for milk'] })
    expect(await highlighted({ 'nope*': {} })).toBeUndefined()
  })

  it('sorts across indexes by the merged sort values; a field that is a keyword in one and a number in another is a 400', async () => {
    await send(`${url}/more`, 'PUT', { mappings: { properties: { price: { type: 'float' }, sku: { type: 'keyword' } } } })
    await send(`${url}/more/_doc/m1`, 'PUT', { price: 15, sku: 'M-1' })
    await send(`${url}/words`, 'PUT', { mappings: { properties: { price: { type: 'keyword' } } } })
    await send(`${url}/words/_doc/w1`, 'PUT', { price: 'cheap' })
    const merged = (await send(`${url}/catalog,more/_search?size=100&_source=false`, 'POST', { sort: [{ price: 'desc' }, { sku: 'asc' }] })).body.hits.hits
    const expected = [...PRODUCTS.map((p) => ({ id: p.sku, price: p.price, sku: p.sku })), { id: 'm1', price: 15, sku: 'M-1' }]
      .sort((a, b) => b.price - a.price || a.sku.localeCompare(b.sku))
    expect(merged.map((h: Hit) => h._id)).toEqual(expected.map((e) => e.id))
    const mixed = await send(`${url}/catalog,words/_search`, 'POST', { sort: [{ price: 'asc' }] })
    expect(mixed.status).toBe(400)
    expect(mixed.body.error.reason).toBe("Can't sort on field [price]; the field has incompatible sort types: [scaled_float] and [keyword] across indices")
    for (const name of ['more', 'words']) await send(`${url}/${name}`, 'DELETE')
  })

  it('search body keys, sort options and URL parameters lsr does not honour are 400s naming them', async () => {
    for (const key of ['collapse', 'fields', 'docvalue_fields', 'stored_fields', 'script_fields', 'runtime_mappings',
      'min_score', 'rescore', 'suggest', 'indices_boost', 'terminate_after', 'stats', 'profile', 'ext', 'slice']) {
      const { status, body } = await search('', { [key]: {} })
      expect(status, key).toBe(400)
      expect(body.error.reason, key).toBe(`search option [${key}] is not supported`)
    }
    for (const [option, reason] of [
      [{ numeric_type: 'long' }, /option \[numeric_type\] of \[price\]/],
      [{ format: 'strict_date' }, /option \[format\] of \[price\]/],
      [{ nested: { path: 'x' } }, /option \[nested\] of \[price\]/],
      [{ missing: 0 }, /missing of \[price\]/],
      [{ mode: 'avg' }, /mode \[avg\] of \[price\]/],
    ] as const) {
      const { status, body } = await search('', { sort: [{ price: { order: 'asc', ...option } }] })
      expect(status, JSON.stringify(option)).toBe(400)
      expect(body.error.reason, JSON.stringify(option)).toMatch(reason)
    }
    for (const name of ['analyzer', 'lenient', 'analyze_wildcard', 'stored_fields', 'docvalue_fields', 'terminate_after', 'search_after']) {
      const { status, body } = await search(`q=espresso&${name}=x`)
      expect(status, name).toBe(400)
      expect(body.error.reason, name).toBe(`request [/catalog/_search] contains unrecognized parameter: [${name}]`)
    }
    // Parameters lsr honours, with a value they cannot take.
    for (const [name, reason] of [['version', /\[version\] must be a boolean/], ['scroll', /scroll/]] as const) {
      const { status, body } = await search(`q=espresso&${name}=x`)
      expect(status, name).toBe(400)
      expect(body.error.reason, name).toMatch(reason)
    }
  })
})

describe('index mappings over a real port', () => {
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => ({ url, close } = await portServer()))
  afterAll(async () => close())

  it('GET /{index} and GET /{index}/_mapping show an explicit mapping as it was given', async () => {
    expect((await send(`${url}/shop`, 'PUT', { mappings: CATALOG_MAPPING })).status).toBe(200)
    const index = (await send(`${url}/shop`, 'GET')).body
    expect(index).toEqual({
      shop: {
        aliases: {},
        mappings: CATALOG_MAPPING,
        settings: { index: { number_of_shards: '1', number_of_replicas: '0', creation_date: expect.stringMatching(/^\d+$/), provided_name: 'shop' } },
      },
    })
    expect((await send(`${url}/shop/_mapping`, 'GET')).body).toEqual({ shop: { mappings: CATALOG_MAPPING } })
  })

  it('dynamic mapping maps new fields as Elasticsearch does, and GET shows them', async () => {
    expect((await send(`${url}/dyn`, 'PUT')).status).toBe(200)
    expect((await send(`${url}/dyn/_mapping`, 'GET')).body).toEqual({ dyn: { mappings: {} } })
    const doc = { title: 'Moka pot', count: 3, ratio: 1.5, ok: true, when: '2024-01-31', nested: { label: 'x', n: -2 }, list: [1, 2] }
    expect((await send(`${url}/dyn/_doc/1`, 'PUT', doc)).status).toBe(201)
    const text = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } }
    const mappings = {
      properties: {
        title: text, count: { type: 'long' }, ratio: { type: 'float' }, ok: { type: 'boolean' }, when: { type: 'date' },
        nested: { properties: { label: text, n: { type: 'long' } } }, list: { type: 'long' },
      },
    }
    expect((await send(`${url}/dyn/_mapping`, 'GET')).body).toEqual({ dyn: { mappings } })
    expect((await send(`${url}/dyn`, 'GET')).body.dyn.mappings).toEqual(mappings)
    // The mapped types are the fields' types: the keyword sub-field is exact, the date a range.
    expect((await send(`${url}/dyn/_count`, 'POST', { query: { term: { 'title.keyword': 'Moka pot' } } })).body.count).toBe(1)
    expect((await send(`${url}/dyn/_count`, 'POST', { query: { range: { when: { gte: '2024-01-31||-1d', lte: 'now' } } } })).body.count).toBe(1)
    const conflict = await send(`${url}/dyn/_doc/2`, 'PUT', { count: 'many' })
    expect(conflict.status).toBe(400)
    expect(conflict.body.error.reason).toMatch(/failed to parse field \[count\] of type \[long\]/)
  })

  it('settings.analysis, per-field analyzers and similarities are honoured, and GET shows them', async () => {
    const settings = {
      analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
      index: { similarity: { flat: { type: 'BM25', k1: 1.2, b: 0 } } },
    }
    const mappings = { properties: { en: { type: 'text', analyzer: 'english' }, folded: { type: 'text', analyzer: 'folded' }, plain: { type: 'text' }, flat: { type: 'text', similarity: 'flat' } } }
    expect((await send(`${url}/an`, 'PUT', { settings, mappings })).status).toBe(200)
    const shown = (await send(`${url}/an`, 'GET')).body.an
    expect(shown.mappings).toEqual(mappings)
    expect(shown.settings.index).toMatchObject({ analysis: settings.analysis, similarity: settings.index.similarity })
    const text = 'The runners were running to the Café'
    await send(`${url}/an/_doc/long`, 'PUT', { en: text, folded: text, plain: text, flat: 'a b c d e f g h' })
    await send(`${url}/an/_doc/short`, 'PUT', { flat: 'a' })
    const count = async (field: string, query: string) => (await send(`${url}/an/_count`, 'POST', { query: { match: { [field]: query } } })).body.count
    expect([await count('en', 'run'), await count('plain', 'run'), await count('folded', 'run')]).toEqual([1, 0, 0])
    expect([await count('folded', 'cafe'), await count('plain', 'cafe'), await count('plain', 'café')]).toEqual([1, 0, 1])
    // b = 0: the field's length does not matter, so the long and the short document tie.
    const flat = (await send(`${url}/an/_search`, 'POST', { query: { match: { flat: 'a' } } })).body.hits.hits
    expect(flat.map((h: Hit) => h._id)).toEqual(['long', 'short'])
    expect(flat[0]._score).toBe(flat[1]._score)
  })

  it('PUT /{index} with an unknown analyzer, field type, mapping parameter or similarity is a 400 naming it, and creates nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ mappings: { properties: { t: { type: 'text', analyzer: 'klingon' } } } }, /analyzer \[klingon\]/],
      [{ mappings: { properties: { t: { type: 'strang' } } } }, /No handler for type \[strang\] declared on field \[t\]/],
      [{ mappings: { properties: { t: { type: 'text', colour: 'red' } } } }, /unknown parameter \[colour\] on mapper \[t\] of type \[text\]/],
      [{ mappings: { properties: { t: { type: 'text', similarity: 'mine' } } } }, /Unknown Similarity type \[mine\] for field \[t\]/],
      [{ mappings: { dynamic: 'sometimes' } }, /dynamic/],
      [{ settings: { analysis: { analyzer: { a: { type: 'custom', tokenizer: 'nope' } } } } }, /failed to find tokenizer under name \[nope\]/],
      [{ settings: { analysis: { analyzer: { a: { type: 'custom', tokenizer: 'standard', filter: ['klingon_filter'] } } } } }, /failed to find filter under name \[klingon_filter\]/],
      [{ settings: { index: { similarity: { my: { type: 'DFR' } } } } }, /similarity \[my\]: type \[DFR\] is not supported/],
      [{ settings: { index: { similarity: { my: { type: 'BM25', foo: 1 } } } } }, /unknown setting \[index\.similarity\.my\.foo\]/],
    ]
    for (const [body, reason] of cases) {
      const response = await send(`${url}/bad`, 'PUT', body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body.error.reason, JSON.stringify(body)).toMatch(reason)
      expect((await send(`${url}/bad`, 'GET')).status, JSON.stringify(body)).toBe(404)
      expect((await send(`${url}/bad`, 'HEAD')).status).toBe(404)
    }
    expect((await send(`${url}/_cat/indices?format=json`, 'GET')).body.map((r: { index: string }) => r.index)).not.toContain('bad')
    // After all that, the name is free.
    expect((await send(`${url}/bad`, 'PUT', { mappings: { properties: { t: { type: 'keyword' } } } })).status).toBe(200)
  })

  it('PUT /{index}/_mapping with an unknown type or a type change is a 400, and the mapping stays as it was', async () => {
    expect((await send(`${url}/pm`, 'PUT', { mappings: { properties: { price: { type: 'float' } } } })).status).toBe(200)
    for (const [properties, reason] of [
      [{ z: { type: 'strang' } }, /No handler for type \[strang\]/],
      [{ price: { type: 'keyword' } }, /mapper \[price\] cannot be changed from type \[float\] to \[keyword\]/],
      [{ ok: { type: 'keyword' }, z: { type: 'text', colour: 1 } }, /unknown parameter \[colour\]/],
    ] as const) {
      const response = await send(`${url}/pm/_mapping`, 'PUT', { properties })
      expect(response.status, JSON.stringify(properties)).toBe(400)
      expect(response.body.error.reason).toMatch(reason)
      expect((await send(`${url}/pm/_mapping`, 'GET')).body).toEqual({ pm: { mappings: { properties: { price: { type: 'float' } } } } })
    }
    expect((await send(`${url}/pm/_mapping`, 'PUT', { properties: { sku: { type: 'keyword' } } })).body).toEqual({ acknowledged: true })
    expect((await send(`${url}/pm/_mapping`, 'GET')).body.pm.mappings.properties).toEqual({ price: { type: 'float' }, sku: { type: 'keyword' } })
  })
})
