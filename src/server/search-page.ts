/**
 * The search page served at `GET /` (for browsers) and `/_ui`: pick an index, type a query, see
 * ranked hits with highlighted snippets, page through them, sort by a field, narrow them by
 * facets (keyword and boolean fields' top values with counts; numeric fields' min and max over a
 * histogram, combined as Elasticsearch's `post_filter` pattern: see searchBody in
 * search-page-logic.ts), open each hit's labelled score explanation and its stored document, and
 * see the index's counts, encoder and fields. Everything it shows lives in the URL (shareable;
 * back and forward restore it). It uses only the public API (`_cat/indices`, `_mapping`,
 * `_stats`, `_search` with aggregations, `_doc`) and shows all text as text. An index with an encoder is searched through its
 * encoder field (`match` on `text`); an index of mapped fields through all its text and keyword
 * fields (`multi_match` over `*`, best field wins, as Elasticsearch's default fields), where
 * quoted parts are phrases (see {@link pageQuery}); an empty search box lists every document.
 *
 * The page is this HTML and CSS, the functions of search-page-logic.ts (embedded as their
 * sources) and the browser script of search-page-script.ts. No external resources.
 * @module
 */
import { PAGE_LOGIC } from './search-page-logic.js'
import { PAGE_SCRIPT } from './search-page-script.js'

export { pageQuery } from './search-page-logic.js'

const STYLE = `
  *, *::before, *::after { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #222; overflow-wrap: anywhere; }
  header { border-bottom: 1px solid #e4e4e4; padding: .7rem 1rem; }
  header > div, .layout { max-width: 72rem; margin: 0 auto; }
  h1 { font-size: 1.15rem; margin: 0 0 .4rem; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; }
  #index, #sort { max-width: 100%; min-width: 0; }
  .bar label { display: flex; gap: .4rem; align-items: baseline; max-width: 100%; }
  #q { flex: 1 1 12rem; min-width: 0; padding: .4rem .6rem; font-size: 1rem; }
  select, button, input { font: inherit; }
  select, button { padding: .35rem .5rem; }
  .layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); gap: 1.5rem; padding: 1rem; }
  @media (max-width: 720px) { .layout { grid-template-columns: minmax(0, 1fr); gap: .5rem; } }
  aside details { margin-bottom: .8rem; }
  summary { cursor: pointer; font-weight: 600; }
  .bar { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem; align-items: baseline; }
  #status { color: #666; margin: 0; }
  #chips a { display: inline-block; margin: .4rem .4rem 0 0; padding: .1rem .5rem; border-radius: 1rem; background: #eef3ff; text-decoration: none; }
  .hit { border-bottom: 1px solid #eee; padding: .7rem 0; }
  .hit h3 { margin: 0 0 .2rem; font-size: 1.05rem; }
  .meta, .values, .formula { color: #666; font-size: .85rem; }
  .values span { margin-right: .8rem; }
  .values b { color: #333; font-weight: 500; }
  em { background: #fff3a8; font-style: normal; }
  .panel { margin-top: .4rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; font-size: .85rem; }
  td, th { border: 1px solid #ddd; padding: .15rem .45rem; text-align: right; vertical-align: top; overflow-wrap: normal; }
  td:first-child { overflow-wrap: anywhere; min-width: 6rem; }
  td:first-child, th:first-child, .fields td { text-align: left; }
  td small { display: block; color: #777; font-size: .75rem; }
  .total td { font-weight: 600; }
  .formula { margin: .2rem 0 0; }
  .legend { font-size: .8rem; color: #666; }
  pre { white-space: pre-wrap; background: #f7f7f7; padding: .5rem; margin: 0; font-size: .8rem; }
  dl { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: .1rem .6rem; font-size: .85rem; margin: .4rem 0; }
  dt { color: #666; } dd { margin: 0; }
  fieldset { border: 1px solid #e4e4e4; margin: 0 0 .6rem; padding: .3rem .6rem .5rem; min-width: 0; }
  legend { font-weight: 600; font-size: .9rem; }
  .facet { margin-bottom: .6rem; }
  .facet summary { font-size: .9rem; }
  .value { display: flex; gap: .35rem; align-items: baseline; font-size: .9rem; cursor: pointer; }
  .value .name { flex: 1; min-width: 0; }
  .count, .more { color: #777; font-size: .8rem; }
  .histogram { display: flex; align-items: flex-end; gap: 1px; height: 2.5rem; margin: .2rem 0 .4rem; border-bottom: 1px solid #ccc; }
  .bucket { flex: 1; background: #d5dbe8; min-width: 0; }
  .bucket.in { background: #6a86c4; }
  .bounds { display: flex; gap: .3rem; align-items: center; }
  .bounds input { width: 0; flex: 1 1 0; padding: .2rem; }
  #pages { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
  #pages [aria-current] { font-weight: 700; }
`

export const SEARCH_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lsr search</title>
<style>${STYLE}</style>
</head>
<body>
<header><div>
<h1>lsr</h1>
<form id="search">
  <select id="index" aria-label="index"></select>
  <input id="q" type="search" placeholder="Search… (empty: every document)" aria-label="query" autofocus>
  <button type="submit">Search</button>
</form>
</div></header>
<div class="layout">
<aside>
  <details id="info"><summary id="info-summary">Index</summary><div id="info-body"></div></details>
  <details id="filters" open><summary id="filters-summary">Filters</summary><div id="facets"></div></details>
</aside>
<main>
  <div class="bar"><p id="status"></p><label>Sort <select id="sort" aria-label="sort"></select></label></div>
  <div id="chips"></div>
  <div id="results"></div>
  <nav id="pages" aria-label="pages"></nav>
</main>
</div>
<script>
${PAGE_LOGIC}
${PAGE_SCRIPT}
</script>
</body>
</html>
`

