/**
 * What the search page (search-page.ts) computes without the DOM: its state in the URL, the
 * fields an index offers for sorting and filtering, the `_search` body for a state, and the
 * labelled factors of a score explanation. The page runs these very functions: their sources are
 * embedded in its script ({@link PAGE_LOGIC}), so each uses nothing outside this module's
 * functions and the globals a browser and Node share (URLSearchParams, JSON, Math).
 * @module
 */

/** What the page shows, all of it kept in the URL (so it can be shared, and back and forward restore it). */
export interface PageState {
  index: string
  /** The search box's text; empty: every document. */
  q: string
  /** 1-based. */
  page: number
  /** `field:asc` or `field:desc`; empty: by score. */
  sort: string
  /** Selected values per keyword or boolean field (any of a field's values; every field). */
  terms: Record<string, string[]>
  /** Inclusive bounds per numeric field. */
  ranges: Record<string, { min?: number; max?: number }>
}

/** A field of the index's mapping, as the page uses it. */
export interface PageField {
  /** The dotted path, as queries name it (`title.keyword`). */
  name: string
  type: string
  /** A multi-field (`title.keyword` under `title`). */
  sub: boolean
  /** Sortable: keyword, numeric, date or boolean with doc values. */
  sortable: boolean
  /** `terms`: keyword and boolean fields (top values); `range`: numeric fields (min, max, histogram). */
  facet?: 'terms' | 'range'
}

/** A numeric field's values over the whole index, which fix its histogram's buckets. */
export interface FieldBounds {
  min: number
  max: number
  interval: number
}

/** Hits per page. */
export const PAGE_SIZE = 10

/**
 * The query the page sends for what the user typed. On an index of mapped fields, each quoted part
 * (`"red shoes"`) is a required phrase: `multi_match` type `phrase` over the same fields as the
 * words (a phrase per field, best field wins); the words outside quotes are the `multi_match` they
 * always were, optional beside phrases (they rank the phrase matches), and alone without quotes.
 * An unclosed quote runs to the end of the input; empty quotes are dropped. A text field mapped
 * without positions (`index_options: freqs`) is left out of a quoted search (the fields are `*`,
 * where Elasticsearch is lenient).
 *
 * On an index with an encoder, the encoder field (title + text as one) holds no positions, so a
 * phrase query on it is refused: the whole input stays one `match` on `text`, whose analysis drops
 * the quotes (the words of a quoted part are plain words there).
 * @param input - the text of the search box
 * @param encoder - whether the index has an encoder
 * @example pageQuery('"red shoes" lamp', false)
 * // { bool: { must: [{ multi_match: { query: 'red shoes', type: 'phrase', fields: ['*'] } }], should: [{ multi_match: { query: 'lamp', fields: ['*'] } }] } }
 */
export function pageQuery(input: string, encoder: boolean): Record<string, unknown> {
  if (encoder || !input.includes('"')) return encoder ? { match: { text: input } } : { multi_match: { query: input, fields: ['*'] } }
  const phrases: string[] = []
  const words = input.replace(/"([^"]*)(?:"|$)/g, (_quoted: string, phrase: string) => {
    if (phrase.trim() !== '') phrases.push(phrase.trim())
    return ' '
  }).replace(/\s+/g, ' ').trim()
  const should = words === '' ? [] : [{ multi_match: { query: words, fields: ['*'] } }]
  if (phrases.length === 0) return should[0] ?? { multi_match: { query: '', fields: ['*'] } }
  const must = phrases.map((phrase) => ({ multi_match: { query: phrase, type: 'phrase', fields: ['*'] } }))
  return { bool: should.length > 0 ? { must, should } : { must } }
}

/**
 * The state a URL's fragment holds (`#index=shop&q=lamp`, in query-string syntax: the server
 * refuses query parameters it does not know, and the fragment stays in the browser): `index`,
 * `q`, `page`, `sort`, `f.<field>` (one per
 * selected value) and `r.<field>=<min>..<max>` (either bound may be empty). Anything malformed
 * is dropped, never an error: a shared URL always opens.
 * @example stateFromQuery('index=shop&q=lamp&f.color=red&f.color=blue&r.price=10..')
 * // { index: 'shop', q: 'lamp', page: 1, sort: '', terms: { color: ['red', 'blue'] }, ranges: { price: { min: 10 } } }
 */
export function stateFromQuery(fragment: string): PageState {
  const params = new URLSearchParams(fragment.replace(/^#/, ''))
  const page = Number(params.get('page'))
  const state: PageState = {
    index: params.get('index') ?? '', q: params.get('q') ?? '', page: Number.isInteger(page) && page > 1 ? page : 1,
    sort: /^.+:(asc|desc)$/.test(params.get('sort') ?? '') ? params.get('sort')! : '', terms: {}, ranges: {},
  }
  for (const [key, value] of params) {
    if (key.startsWith('f.') && key.length > 2) {
      const values = (state.terms[key.slice(2)] ??= [])
      if (!values.includes(value)) values.push(value)
    } else if (key.startsWith('r.') && key.length > 2) {
      const [min, max] = value.split('..').map((bound) => (bound.trim() === '' ? undefined : Number(bound)))
      const range: { min?: number; max?: number } = {}
      if (min !== undefined && Number.isFinite(min)) range.min = min
      if (max !== undefined && Number.isFinite(max)) range.max = max
      if (range.min !== undefined || range.max !== undefined) state.ranges[key.slice(2)] = range
    }
  }
  return state
}

/** The URL fragment of a state (`#index=…`), the inverse of {@link stateFromQuery}; defaults are left out. */
export function queryOfState(state: PageState): string {
  const params = new URLSearchParams()
  if (state.index !== '') params.set('index', state.index)
  if (state.q !== '') params.set('q', state.q)
  if (state.sort !== '') params.set('sort', state.sort)
  for (const [field, values] of Object.entries(state.terms)) for (const value of values) params.append('f.' + field, value)
  for (const [field, { min, max }] of Object.entries(state.ranges)) {
    if (min !== undefined || max !== undefined) params.append('r.' + field, (min ?? '') + '..' + (max ?? ''))
  }
  if (state.page > 1) params.set('page', String(state.page))
  const query = params.toString()
  return '#' + query
}

/**
 * The fields of an index's mapping (`GET /{index}/_mapping`'s `properties`), objects flattened
 * into dotted paths and each field followed by its multi-fields.
 * @example pageFields({ title: { type: 'text', fields: { keyword: { type: 'keyword' } } }, price: { type: 'float' } })
 * // [{ name: 'title', type: 'text', sub: false, sortable: false }, { name: 'title.keyword', type: 'keyword', sub: true, sortable: true, facet: 'terms' }, { name: 'price', ... facet: 'range' }]
 */
export function pageFields(properties: Record<string, any>, prefix = ''): PageField[] {
  const NUMERIC = ['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float', 'unsigned_long']
  const leaf = (name: string, mapping: Record<string, any>, sub: boolean): PageField => {
    const type = String(mapping.type ?? 'object')
    const columns = mapping.doc_values !== false
    const field: PageField = { name, type, sub, sortable: columns && (type === 'keyword' || type === 'date' || type === 'boolean' || NUMERIC.includes(type)) }
    if (columns && (type === 'keyword' || type === 'boolean')) field.facet = 'terms'
    if (columns && NUMERIC.includes(type)) field.facet = 'range'
    return field
  }
  return Object.entries(properties ?? {}).flatMap(([key, mapping]) => {
    const name = prefix + key
    if (mapping.properties !== undefined && (mapping.type === undefined || mapping.type === 'object')) return pageFields(mapping.properties, name + '.')
    const subs = Object.entries(mapping.fields ?? {}).map(([subKey, subMapping]) => leaf(name + '.' + subKey, subMapping as Record<string, any>, true))
    return [leaf(name, mapping, false), ...subs]
  })
}

/**
 * The filters of the selections, one per field: `terms` for a field's selected values (any of
 * them), `range` for its bounds. `except` leaves one field's out: a facet's counts are counted
 * under every other facet's selection, so its own values stay choices (Elasticsearch's
 * `post_filter` pattern).
 */
export function selectionFilters(state: PageState, fields: PageField[], except?: string): Array<Record<string, unknown>> {
  const filters: Array<Record<string, unknown>> = []
  for (const [field, values] of Object.entries(state.terms)) {
    if (field === except || values.length === 0) continue
    const boolean = fields.some((f) => f.name === field && f.type === 'boolean')
    filters.push({ terms: { [field]: boolean ? values.map((v) => v === 'true') : values } })
  }
  for (const [field, { min, max }] of Object.entries(state.ranges)) {
    if (field === except || (min === undefined && max === undefined)) continue
    const bounds: Record<string, number> = {}
    if (min !== undefined) bounds.gte = min
    if (max !== undefined) bounds.lte = max
    filters.push({ range: { [field]: bounds } })
  }
  return filters
}

/**
 * The `_search` body of a state: the page of hits (highlighted, explained, sorted) under every
 * selection, and each facet's counts (Elasticsearch's `post_filter` pattern). The selections are
 * the `post_filter`, so they narrow the hits but not the aggregations; each facet's aggregation
 * (`f<i>`, the i-th field with a facet) is a `filter` of the other facets' selections around its
 * `terms` (top values; with `selected` for chosen keyword values outside them) or its `histogram`
 * (over the whole index's range of the field, from `bounds`). So a facet counts what choosing
 * each of its values would add, under every other choice. The `folded` facets are not counted
 * (a multi-field's, until it is opened: `title.keyword` can hold a value per document, and
 * counting those costs more than the search).
 */
export function searchBody(state: PageState, encoder: boolean, fields: PageField[], bounds: Record<string, FieldBounds> = {}, folded: string[] = []): Record<string, unknown> {
  const FACET_SIZE = 10
  const filters = selectionFilters(state, fields)
  const body: Record<string, unknown> = {
    query: state.q.trim() === '' ? { match_all: {} } : pageQuery(state.q, encoder),
    from: (state.page - 1) * PAGE_SIZE, size: PAGE_SIZE, explain: true,
    // Private-use marks instead of HTML tags: the page builds the emphasis itself, from text only.
    highlight: { fields: { '*': {} }, pre_tags: ['\uE000'], post_tags: ['\uE001'], fragment_size: 200, number_of_fragments: 2 },
  }
  if (filters.length > 0) body.post_filter = { bool: { filter: filters } }
  const aggs: Record<string, unknown> = {}
  fields.filter((f) => f.facet !== undefined).forEach((f, i) => {
    if (folded.includes(f.name)) return
    const others = selectionFilters(state, fields, f.name)
    const inner: Record<string, unknown> = {}
    const selected = state.terms[f.name] ?? []
    if (f.facet === 'terms') {
      inner.values = { terms: { field: f.name, size: FACET_SIZE } }
      if (f.type === 'keyword' && selected.length > 0) inner.selected = { terms: { field: f.name, include: selected, size: selected.length } }
    } else if (bounds[f.name] !== undefined) {
      const { min, max, interval } = bounds[f.name]
      inner.histogram = { histogram: { field: f.name, interval, extended_bounds: { min, max } } }
    } else return
    aggs['f' + i] = { filter: others.length === 0 ? { match_all: {} } : { bool: { filter: others } }, aggs: inner }
  })
  if (Object.keys(aggs).length > 0) body.aggs = aggs
  if (state.sort !== '') {
    const at = state.sort.lastIndexOf(':')
    body.sort = [{ [state.sort.slice(0, at)]: { order: state.sort.slice(at + 1) } }]
    body.track_scores = true
  }
  return body
}

/** The `_search` body that finds each numeric facet's range over the index (`f<i>`: a `stats` per field, as in {@link searchBody}). */
export function boundsBody(fields: PageField[]): Record<string, unknown> {
  const aggs: Record<string, unknown> = {}
  fields.filter((f) => f.facet !== undefined).forEach((f, i) => {
    if (f.facet === 'range') aggs['f' + i] = { stats: { field: f.name } }
  })
  return { size: 0, track_total_hits: false, aggs }
}

/** Each numeric facet's bounds and histogram interval, from the answer to {@link boundsBody} (a field without values has none). */
export function boundsOf(fields: PageField[], aggregations: Record<string, any>): Record<string, FieldBounds> {
  const bounds: Record<string, FieldBounds> = {}
  fields.filter((f) => f.facet !== undefined).forEach((f, i) => {
    const stats = aggregations['f' + i]
    if (f.facet !== 'range' || !stats || !(stats.count > 0)) return
    const integer = ['long', 'integer', 'short', 'byte', 'unsigned_long'].includes(f.type)
    const interval = niceInterval(stats.min, stats.max, integer)
    bounds[f.name] = { min: Math.floor(stats.min / interval) * interval, max: stats.max, interval }
  })
  return bounds
}

/** One matched term or phrase of an explanation: its labelled factors and its part of the score. */
export interface ExplanationRow {
  term: string
  factors: Array<{ label: string; value: number; detail: string; description: string }>
  score: number
}

/**
 * The explanation's matched terms and phrases, each with its factors named: `query weight` (the
 * term's occurrences in the query times its boosts), `idf`, `tf norm` (BM25's saturated, length
 * normalized term frequency, `freq` for a phrase), `document weight` (a learned sparse weight).
 * A dis_max (the page's multi_match, tie_breaker 0) counts its best field only; a constant-score
 * part is a row without factors.
 */
export function explanationRows(explanation: { value: number; description: string; details: any[] }): ExplanationRow[] {
  const leaves = (e: { value: number; description: string; details: any[] }): Array<typeof e> => {
    if (/^weight\(/.test(e.description) || e.details.length === 0) return [e]
    if (/^max plus/.test(e.description)) return leaves(e.details.reduce((best, d) => (d.value > best.value ? d : best)))
    return e.details.flatMap(leaves)
  }
  // The numbers a factor was computed from, shortened ("N = 30, df = 1").
  const detailOf = (description: string) => {
    const at = description.indexOf(', ')
    return at < 0 ? '' : description.slice(at + 2).replace(/\d+\.\d{5,}/g, (n) => String(Number(Number(n).toFixed(4))))
  }
  const labelOf = (description: string) => {
    if (/^query weight/.test(description)) return 'query weight'
    if (/^idf/.test(description)) return 'idf'
    if (/^(tf|freq) \//.test(description)) return 'tf norm'
    if (/^document weight/.test(description)) return 'document weight'
    return description.replace(/\s*[(=,].*$/, '')
  }
  return leaves(explanation).map((e) => {
    const term = /^weight\((.*?)\) = /.exec(e.description)
    return {
      term: term ? term[1] : e.description,
      factors: term ? e.details.map((d) => ({
        label: labelOf(d.description),
        value: d.value,
        detail: /^query weight = corpus idf/.test(d.description) ? 'the corpus idf' : /^(idf|tf|freq)/.test(d.description) ? detailOf(d.description) : '',
        description: d.description,
      })) : [],
      score: e.value,
    }
  })
}

/** A histogram interval of about 20 buckets between `min` and `max`: 1, 2 or 5 times a power of ten (at least 1 for integers). */
export function niceInterval(min: number, max: number, integer: boolean): number {
  const raw = (max - min) / 20
  if (!(raw > 0)) return 1
  const power = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power
  return integer ? Math.max(1, Math.ceil(step)) : step
}

/** The sources of this module's functions, for the page's script. */
export const PAGE_LOGIC = [pageQuery, stateFromQuery, queryOfState, pageFields, selectionFilters, searchBody, boundsBody, boundsOf, explanationRows, niceInterval]
  .map((f) => f.toString()).join('\n\n') + `\n\nconst PAGE_SIZE = ${PAGE_SIZE}\n`
