/**
 * The search page served at `GET /` (for browsers) and `/_ui`: pick an index, type a query, see
 * ranked hits with highlighted snippets, and open each hit's score explanation. It uses only the
 * public API (`_cat/indices`, `_settings`, `_search` with `highlight` and `explain`), and escapes
 * all text. An index with an encoder is searched through its encoder field (`match` on `text`);
 * an index of mapped fields only through all its text and keyword fields (`multi_match` over `*`,
 * best field wins, as Elasticsearch's default fields), where quoted parts are phrases (see
 * {@link pageQuery}). Every mapped text field is highlighted, a phrase occurrence as one unit.
 * @module
 */

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
 *
 * The page runs this very function: its source is embedded in the page's script, so it must use
 * nothing outside itself.
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

export const SEARCH_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lsr search</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  form { display: flex; gap: .5rem; margin-bottom: 1rem; }
  input[type=search] { flex: 1; padding: .45rem .6rem; font-size: 1rem; }
  select, button { padding: .4rem .6rem; font-size: 1rem; }
  .hit { border-bottom: 1px solid #eee; padding: .7rem 0; }
  .hit h3 { margin: 0 0 .2rem; font-size: 1.05rem; }
  .meta { color: #666; font-size: .85rem; }
  em { background: #fff3a8; font-style: normal; }
  .explain table { border-collapse: collapse; margin-top: .4rem; font-size: .85rem; }
  .explain td, .explain th { border: 1px solid #ddd; padding: .15rem .5rem; text-align: right; }
  .explain td:first-child, .explain th:first-child { text-align: left; }
  #status { color: #666; }
</style>
</head>
<body>
<h1>lsr</h1>
<form id="search">
  <select id="index" aria-label="index"></select>
  <input id="q" type="search" placeholder="Search…" aria-label="query" autofocus>
  <button type="submit">Search</button>
</form>
<p id="status"></p>
<div id="results"></div>
<script>
const $ = (id) => document.getElementById(id)
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';')

async function loadIndexes() {
  const response = await fetch('/_cat/indices?format=json')
  const rows = response.ok ? await response.json() : []
  $('index').innerHTML = rows.map((r) => '<option>' + escapeHtml(r.index) + '</option>').join('')
  if (rows.length === 0) $('status').textContent = 'No index yet: create one with PUT /{index} and _bulk.'
}

// The explanation's term weights that make up the score: a dis_max (multi_match) counts its best
// field only (the page's tie_breaker is 0); a constant-score part is a row of its own.
function termRows(e) {
  if (/^weight\\(/.test(e.description) || e.details.length === 0) return [e]
  if (/^max plus/.test(e.description)) return termRows(e.details.reduce((best, d) => (d.value > best.value ? d : best)))
  return e.details.flatMap(termRows)
}

// One row per matched term or phrase (a phrase's display may hold parentheses, as (cafe|café)): its
// factors (hover for what each is) and its contribution.
function explanationTable(explanation) {
  const rows = termRows(explanation).map((d) => {
    const term = d.description.match(/^weight\\((.*?)\\) = /)
    const factors = d.details.map((x) => '<span title="' + escapeHtml(x.description) + '">' + Number(x.value.toFixed(4)) + '</span>').join(' × ')
    return '<tr><td>' + escapeHtml(term ? term[1] : d.description) + '</td><td>' + factors + '</td><td>' + d.value.toFixed(4) + '</td></tr>'
  }).join('')
  return '<table><tr><th>term</th><th>factors</th><th>score</th></tr>' + rows +
    '<tr><td colspan="2">sum</td><td>' + explanation.value.toFixed(4) + '</td></tr></table>'
}

// Whether each index has an encoder (then its title + text are searched as one field).
const encoders = new Map()
async function hasEncoder(index) {
  if (!encoders.has(index)) {
    const response = await fetch('/' + encodeURIComponent(index) + '/_settings')
    const body = response.ok ? await response.json() : {}
    const settings = body[index] ? body[index].settings.index : {}
    encoders.set(index, settings.encoder !== undefined)
  }
  return encoders.get(index)
}

// What the page sends for the search box's text (src/server/search-page.ts).
${pageQuery.toString()}

// The field shown as a hit's heading: the first of these the document has.
const HEADINGS = ['title', 'name']

$('search').addEventListener('submit', async (event) => {
  event.preventDefault()
  const index = $('index').value
  const query = $('q').value
  if (!index) return
  $('status').textContent = 'Searching…'
  const dsl = pageQuery(query, await hasEncoder(index))
  const response = await fetch('/' + encodeURIComponent(index) + '/_search', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: dsl, size: 10, explain: true,
      highlight: { fields: { '*': {} }, encoder: 'html', fragment_size: 200, number_of_fragments: 2 },
    }),
  })
  const body = await response.json()
  if (!response.ok) {
    $('status').textContent = 'Error: ' + (body.error ? body.error.reason : response.status)
    $('results').innerHTML = ''
    return
  }
  $('status').textContent = body.hits.total.value + (body.hits.total.relation === 'gte' ? '+' : '') + ' matches in ' + body.took + ' ms'
  $('results').innerHTML = body.hits.hits.map((hit, i) => {
    const source = hit._source || {}
    const highlight = hit.highlight || {}
    const heading = HEADINGS.find((field) => typeof source[field] === 'string')
    const title = heading && highlight[heading] ? highlight[heading][0] : escapeHtml(heading ? source[heading] : hit._id)
    const fragments = Object.keys(highlight).filter((field) => field !== heading).map((field) => highlight[field].join(' '))
    const snippet = fragments.length > 0 ? fragments.join(' · ') : escapeHtml(String(source.text || source.description || '').slice(0, 200))
    return '<div class="hit"><h3>' + title + '</h3><div class="snippet">' + snippet + '</div>' +
      '<div class="meta">' + escapeHtml(hit._id) + ' · score ' + hit._score.toFixed(4) +
      ' · <a href="#" class="toggle" data-i="' + i + '">explain</a></div>' +
      '<div class="explain" id="explain-' + i + '" hidden>' + explanationTable(hit._explanation) + '</div></div>'
  }).join('')
})

$('results').addEventListener('click', (event) => {
  const link = event.target.closest('.toggle')
  if (!link) return
  event.preventDefault()
  const panel = $('explain-' + link.dataset.i)
  panel.hidden = !panel.hidden
})

loadIndexes()
</script>
</body>
</html>
`
