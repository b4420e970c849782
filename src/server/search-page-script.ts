/**
 * The search page's browser script: the DOM side of search-page-logic.ts, whose functions it
 * runs (embedded before it). Every element is built with {@link h}, every text as a text node:
 * nothing the server returns (documents, field values, names, errors) is parsed as HTML, and the
 * highlights come back between private-use marks that {@link marked} turns into `<em>` elements.
 * Written as plain JavaScript for the browser (String.raw: backslashes stay as written; no
 * template literals or `${` inside).
 * @module
 */
export const PAGE_SCRIPT = String.raw`
const $ = (id) => document.getElementById(id)

// An element with attributes (on* keys: listeners) and children (strings become text nodes).
function h(tag, attrs, ...children) {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value)
    else element.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) element.append(child instanceof Node ? child : String(child))
  }
  return element
}

// A highlighted fragment (marks U+E000 … U+E001 around each match) as text and <em> nodes.
function marked(fragment) {
  return fragment.split('\uE000').flatMap((part, i) => {
    if (i === 0) return [part]
    const [match, ...rest] = part.split('\uE001')
    return [h('em', {}, match), rest.join('')]
  })
}

async function getJson(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  const response = await fetch(path, init)
  const json = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(json.error ? (json.error.reason || json.error.type) : 'HTTP ' + response.status)
  return json
}

const indexPath = (name) => '/' + encodeURIComponent(name)

// Per index: its fields (mapping), counts and encoder (_stats), and its numeric fields' ranges
// (the histograms' buckets); read once per page load.
const infos = new Map()
function indexInfo(name) {
  if (!infos.has(name)) {
    infos.set(name, Promise.all([getJson(indexPath(name) + '/_mapping'), getJson(indexPath(name) + '/_stats')]).then(async ([mapping, stats]) => {
      const properties = mapping[name] && mapping[name].mappings ? mapping[name].mappings.properties : {}
      const fields = pageFields(properties || {})
      const s = stats.indices[name]
      const numeric = fields.some((f) => f.facet === 'range')
      const bounds = numeric ? boundsOf(fields, (await getJson(indexPath(name) + '/_search', boundsBody(fields))).aggregations || {}) : {}
      return { name, fields, bounds, docs: s.primaries.docs.count, deleted: s.primaries.docs.deleted, bytes: s.primaries.store.size_in_bytes, terms: s.lsr.terms, encoder: s.lsr.encoder }
    }))
    infos.get(name).catch(() => infos.delete(name))
  }
  return infos.get(name)
}

let state = stateFromQuery(location.hash)
let serial = 0

// A new state: a new history entry (a URL to share), then its search.
function navigate(changes) {
  state = Object.assign({}, state, changes)
  history.pushState(null, '', location.pathname + queryOfState(state))
  run()
}
const linkTo = (changes, ...children) => h('a', {
  href: location.pathname + queryOfState(Object.assign({}, state, changes)),
  onclick: (event) => { event.preventDefault(); navigate(changes) },
}, ...children)

window.addEventListener('popstate', () => {
  state = stateFromQuery(location.hash)
  run()
})

// Searches the state's index; the last search started is the one shown. body[data-searches]
// counts the searches shown (the browser test waits on it).
async function run() {
  const mine = ++serial
  $('index').value = state.index
  $('q').value = state.q
  if (state.index === '') return
  $('status').textContent = 'Searching…'
  try {
    const info = await indexInfo(state.index)
    if (mine !== serial) return
    renderInfo(info)
    renderSort(info)
    // The selections show before the answer: one that fails can be taken back.
    renderChips()
    const result = await getJson(indexPath(state.index) + '/_search', searchBody(state, Boolean(info.encoder), info.fields, info.bounds, folded(info)))
    if (mine !== serial) return
    const total = result.hits.total
    $('status').textContent = total.value + (total.relation === 'gte' ? '+' : '') + (total.value === 1 ? ' match' : ' matches') + ' in ' + result.took + ' ms'
    renderFilters(info, result)
    $('results').replaceChildren(...result.hits.hits.map((hit) => renderHit(hit, info)))
    renderPages(total.value)
  } catch (error) {
    if (mine !== serial) return
    $('status').textContent = 'Error: ' + error.message
    $('facets').replaceChildren()
    $('results').replaceChildren()
    $('pages').replaceChildren()
  }
  document.body.dataset.searches = String(mine)
}

function renderInfo(info) {
  const encoder = info.encoder
    ? info.encoder.name + Object.entries(info.encoder).filter(([key]) => key !== 'name').map(([key, value]) => ', ' + key + ' ' + (typeof value === 'object' ? JSON.stringify(value) : value)).join('')
    : 'none (BM25 per mapped field)'
  const rows = [['documents', info.docs], ['deleted', info.deleted], ['terms', info.terms], ['size', (info.bytes / 1024).toFixed(1) + ' KiB'], ['encoder', encoder]]
  $('info-summary').textContent = info.name + ' · ' + info.docs + ' documents'
  const fields = info.fields.map((f) => h('tr', {}, h('td', {}, f.name), h('td', {}, f.type), h('td', {}, [f.sortable ? 'sort' : '', f.facet ? 'filter' : ''].filter(Boolean).join(', '))))
  if (info.encoder) fields.unshift(h('tr', {}, h('td', {}, 'title + text'), h('td', {}, 'encoder field'), h('td', {}, '')))
  $('info-body').replaceChildren(
    h('dl', {}, rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])),
    h('div', { class: 'scroll' }, h('table', { class: 'fields' }, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'type'), h('th', {}, 'use')), fields)))
}

function renderSort(info) {
  const options = [h('option', { value: '' }, 'relevance')]
  for (const f of info.fields.filter((f) => f.sortable)) {
    options.push(h('option', { value: f.name + ':asc' }, f.name + ' ascending'), h('option', { value: f.name + ':desc' }, f.name + ' descending'))
  }
  $('sort').replaceChildren(...options)
  $('sort').value = state.sort
}
$('sort').addEventListener('change', () => navigate({ sort: $('sort').value, page: 1 }))

// The selections, each removable.
function renderChips() {
  const chips = []
  for (const [field, values] of Object.entries(state.terms)) {
    for (const value of values) {
      const rest = values.filter((v) => v !== value)
      chips.push(linkTo({ terms: Object.assign({}, state.terms, { [field]: rest }), page: 1 }, field + ': ' + value + ' ×'))
    }
  }
  for (const [field, range] of Object.entries(state.ranges)) {
    const text = (range.min !== undefined ? range.min + ' ≤ ' : '') + field + (range.max !== undefined ? ' ≤ ' + range.max : '')
    chips.push(linkTo({ ranges: Object.assign({}, state.ranges, { [field]: {} }), page: 1 }, text + ' ×'))
  }
  $('filters-summary').textContent = 'Filters' + (chips.length > 0 ? ' (' + chips.length + ' chosen)' : '')
  if (chips.length > 1) chips.push(linkTo({ terms: {}, ranges: {}, page: 1 }, 'clear all'))
  $('chips').replaceChildren(...chips)
}

// A multi-field's facet (title.keyword) is folded, and not counted, until it is opened or one of
// its values is chosen: such a field may hold a value per document.
const unfolded = new Set()
const folded = (info) => info.fields.filter((f) => f.facet && f.sub && !unfolded.has(f.name) && !(state.terms[f.name] || []).length && !state.ranges[f.name]).map((f) => f.name)

// The facets, in the order of the aggregations (f<i>, search-page-logic.ts): a keyword or boolean
// field's top values with their counts (a checkbox each), a numeric field's histogram and bounds.
function renderFilters(info, result) {
  const aggregations = result.aggregations || {}
  const closed = folded(info)
  const facets = info.fields.filter((f) => f.facet).map((f, i) => {
    // Opening a folded facet counts its values (the same state searched again); folding it stops.
    if (closed.includes(f.name)) return h('details', { class: 'facet', 'data-field': f.name, ontoggle: (event) => { if (event.target.open) { unfolded.add(f.name); run() } } }, h('summary', {}, f.name))
    const agg = aggregations['f' + i]
    return f.facet === 'terms' ? termsFacet(f, agg) : rangeFacet(f, agg, info.bounds[f.name])
  }).filter(Boolean)
  $('facets').replaceChildren(...facets)
}

function termsFacet(f, agg) {
  const chosen = state.terms[f.name] || []
  const label = (bucket) => (bucket.key_as_string !== undefined ? bucket.key_as_string : String(bucket.key))
  const counts = new Map((agg ? agg.values.buckets : []).map((bucket) => [label(bucket), bucket.doc_count]))
  // Chosen values stay listed: outside the top values (their own counts), or with none left.
  for (const bucket of agg && agg.selected ? agg.selected.buckets : []) if (!counts.has(label(bucket))) counts.set(label(bucket), bucket.doc_count)
  for (const value of chosen) if (!counts.has(value)) counts.set(value, 0)
  if (counts.size === 0) return null
  const items = [...counts].map(([value, count]) => h('label', { class: 'value', 'data-value': value },
    h('input', {
      type: 'checkbox', checked: chosen.includes(value),
      onchange: () => navigate({ terms: Object.assign({}, state.terms, { [f.name]: chosen.includes(value) ? chosen.filter((v) => v !== value) : chosen.concat([value]) }), page: 1 }),
    }),
    h('span', { class: 'name' }, value), h('span', { class: 'count' }, count)))
  const others = agg && agg.values.sum_other_doc_count > 0 ? h('div', { class: 'more' }, '+ ' + agg.values.sum_other_doc_count + ' in other values') : null
  const toggle = (event) => { if (!event.target.open) unfolded.delete(f.name) }
  return h('details', { class: 'facet', 'data-field': f.name, open: true, ontoggle: toggle }, h('summary', {}, f.name), items, others)
}

function rangeFacet(f, agg, bounds) {
  const range = state.ranges[f.name] || {}
  const number = (n) => String(Number(n.toPrecision(6)))
  const bound = (which) => h('input', {
    type: 'number', step: 'any', value: range[which], placeholder: which === 'min' && bounds ? number(bounds.min) : which === 'max' && bounds ? number(bounds.max) : which,
    'aria-label': f.name + ' ' + which, 'data-field': f.name, 'data-bound': which,
    onchange: (event) => {
      const value = event.target.value.trim() === '' ? undefined : Number(event.target.value)
      const next = Object.assign({}, range, { [which]: Number.isFinite(value) ? value : undefined })
      navigate({ ranges: Object.assign({}, state.ranges, { [f.name]: next }), page: 1 })
    },
  })
  // One bar per bucket, as tall as its count; the buckets inside the chosen bounds darker.
  const buckets = agg && agg.histogram ? agg.histogram.buckets : []
  const most = Math.max(1, ...buckets.map((b) => b.doc_count))
  const inside = (b) => (range.min === undefined || b.key + bounds.interval > range.min) && (range.max === undefined || b.key <= range.max)
  const bars = buckets.length === 0 ? null : h('div', { class: 'histogram', 'aria-hidden': 'true' }, buckets.map((b) => h('span', {
    class: inside(b) ? 'bucket in' : 'bucket', 'data-key': b.key, 'data-count': b.doc_count,
    title: number(b.key) + ' – ' + number(b.key + bounds.interval) + ': ' + b.doc_count, style: 'height:' + (b.doc_count === 0 ? 0 : Math.max(4, Math.round((100 * b.doc_count) / most))) + '%',
  })))
  return h('fieldset', { class: 'range', 'data-field': f.name }, h('legend', {}, f.name), bars, h('div', { class: 'bounds' }, bound('min'), ' – ', bound('max')))
}

// The field shown as a hit's heading: the first of these the document has.
const HEADINGS = ['title', 'name']

const valueAt = (source, path) => path.split('.').reduce((value, key) => (value !== null && typeof value === 'object' ? value[key] : undefined), source)
const shown = (value) => (Array.isArray(value) ? value.map(shown).join(', ') : value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value))

function renderHit(hit, info) {
  const source = hit._source || {}
  const highlight = hit.highlight || {}
  const heading = HEADINGS.find((field) => typeof source[field] === 'string')
  const title = heading && highlight[heading] ? marked(highlight[heading][0]) : [heading ? source[heading] : hit._id]
  const fragments = Object.keys(highlight).filter((field) => field !== heading).flatMap((field, i) => [i > 0 ? ' · ' : '', marked(highlight[field].join(' … '))])
  const snippet = fragments.length > 0 ? fragments : [String(source.text || source.description || '').slice(0, 200)]
  // The values of the fields one sorts or filters by (the sort field first).
  const sortField = state.sort === '' ? '' : state.sort.slice(0, state.sort.lastIndexOf(':'))
  const names = info.fields.filter((f) => !f.sub && (f.sortable || f.facet)).map((f) => f.name).sort((a, b) => (b === sortField) - (a === sortField)).slice(0, 6)
  const values = names.filter((name) => valueAt(source, name) !== undefined).map((name) => h('span', {}, name + ': ', h('b', {}, shown(valueAt(source, name)))))
  const explain = h('div', { class: 'panel explain', hidden: true }, explanationTable(hit._explanation))
  const documentPanel = h('div', { class: 'panel document', hidden: true })
  const toggle = (panel, fill) => (event) => {
    event.preventDefault()
    panel.hidden = !panel.hidden
    if (!panel.hidden && fill) fill(panel)
  }
  const loadDocument = async (panel) => {
    if (panel.dataset.loaded) return
    panel.dataset.loaded = 'yes'
    try {
      const doc = await getJson(indexPath(hit._index) + '/_doc/' + encodeURIComponent(hit._id))
      panel.replaceChildren(h('div', { class: 'meta' }, 'stored document · version ' + doc._version), h('pre', {}, JSON.stringify(doc._source, null, 2)))
    } catch (error) {
      panel.replaceChildren('Error: ' + error.message)
    }
  }
  return h('article', { class: 'hit', 'data-id': hit._id },
    h('h3', {}, title),
    h('div', { class: 'snippet' }, snippet),
    values.length > 0 ? h('div', { class: 'values' }, values) : null,
    h('div', { class: 'meta' }, hit._id, hit._score === null ? '' : ' · score ' + hit._score.toFixed(4), ' · ',
      h('a', { href: '#', class: 'toggle-explain', onclick: toggle(explain) }, 'explain'), ' · ',
      h('a', { href: '#', class: 'toggle-document', onclick: toggle(documentPanel, loadDocument) }, 'document')),
    explain, documentPanel)
}

// What each factor of a term's score is (explanationRows names them).
const FACTORS = {
  'query weight': 'how often the term occurs in the query, times its boosts',
  'idf': 'inverse document frequency: the fewer documents (df of N) hold the term, the more it weighs',
  'tf norm': 'BM25\'s term frequency in this field (tf, or a phrase\'s freq), saturated by k1 and normalized by the field\'s length dl against the average avgdl, by b',
  'document weight': 'the term\'s learned weight in this document (from the encoder model)',
}

// One row per matched term or phrase, a column per factor (hover a number for its formula).
function explanationTable(explanation) {
  if (!explanation) return null
  const rows = explanationRows(explanation)
  const labels = [...new Set(rows.flatMap((row) => row.factors.map((factor) => factor.label)))]
  const number = (value) => String(Number(value.toFixed(4)))
  const head = h('tr', {}, h('th', {}, 'term'), labels.map((label) => h('th', {}, label)), h('th', {}, 'score'))
  const body = rows.map((row) => h('tr', {}, h('td', {}, row.term), labels.map((label) => {
    const factor = row.factors.find((f) => f.label === label)
    return h('td', { title: factor ? factor.description : null }, factor ? [h('span', {}, number(factor.value)), factor.detail ? h('small', {}, factor.detail) : null] : '')
  }), h('td', {}, row.score.toFixed(4))))
  const total = h('tr', { class: 'total' }, h('td', { colspan: labels.length + 1 }, 'total'), h('td', {}, explanation.value.toFixed(4)))
  const formula = labels.length > 0 ? h('p', { class: 'formula' }, 'score of a term = ' + labels.join(' × ')) : null
  const legend = labels.filter((label) => FACTORS[label]).map((label) => [h('dt', {}, label), h('dd', {}, FACTORS[label])])
  return [h('div', { class: 'scroll' }, h('table', {}, head, body, total)), formula, legend.length > 0 ? h('dl', { class: 'legend' }, legend) : null]
}

// Previous, a window of page numbers around the current one, next (from + size stays within 10,000).
function renderPages(total) {
  const last = Math.max(1, Math.ceil(Math.min(total, 10000) / PAGE_SIZE))
  if (last === 1 && state.page === 1) return $('pages').replaceChildren()
  const page = state.page
  const numbers = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, last])].filter((n) => n >= 1 && n <= last).sort((a, b) => a - b)
  const items = []
  if (page > 1) items.push(linkTo({ page: page - 1 }, '‹ previous'))
  numbers.forEach((n, i) => {
    if (i > 0 && n > numbers[i - 1] + 1) items.push(h('span', {}, '…'))
    items.push(n === page ? h('span', { 'aria-current': 'page' }, n) : linkTo({ page: n }, n))
  })
  if (page < last) items.push(linkTo({ page: page + 1 }, 'next ›'))
  $('pages').replaceChildren(...items)
}

$('search').addEventListener('submit', (event) => {
  event.preventDefault()
  // An explicit search reads the index's counts and fields again.
  infos.delete(state.index)
  navigate({ q: $('q').value, page: 1 })
})
// Another index: its own fields, so no selections or sort carry over.
$('index').addEventListener('change', () => navigate({ index: $('index').value, page: 1, sort: '', terms: {}, ranges: {} }))

async function start() {
  // The filters start folded on a narrow screen, below the search box.
  if (window.matchMedia('(max-width: 720px)').matches) $('filters').open = false
  const rows = await getJson('/_cat/indices?format=json').catch(() => [])
  $('index').replaceChildren(...rows.map((row) => h('option', {}, row.index)))
  if (rows.length === 0) {
    $('status').textContent = 'No index yet: create one with PUT /{index} and _bulk.'
    return
  }
  if (!rows.some((row) => row.index === state.index)) {
    state = Object.assign(stateFromQuery(''), { index: rows[0].index })
    history.replaceState(null, '', location.pathname + queryOfState(state))
  }
  run()
}
start()
`
