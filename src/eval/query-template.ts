/**
 * Query templates of `lsr eval --query-template NAME=FILE`: a file holding a query in the query
 * DSL (or a search body `{"query": …}`) with `{{query}}` placeholders inside its JSON strings.
 * Each BEIR query's text replaces every placeholder, JSON-escaped, so a quote or a backslash in
 * the text cannot change the query's structure.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { LsrError } from '../errors.js'
import { hybridOf } from '../engine/hybrid/hybrid-query.js'
import { isObject } from '../engine/json-shapes.js'
import type { Query } from '../engine/query/types.js'

/** What a template holds where the query text goes (`{{ query }}` is read the same). */
export const QUERY_PLACEHOLDER = '{{query}}'
const PLACEHOLDERS = /\{\{\s*query\s*\}\}/g

/** A run's name: it names the run's row and its `--out` sub-folder. */
const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** One parsed template. */
export interface QueryTemplate {
  /** The run's name. */
  name: string
  /** The file it was read from (for messages and reports). */
  file: string
  /** The file's text, placeholders included. */
  text: string
  /** The template as JSON (placeholders left in place), for reports. */
  json: unknown
  /** Whether the query is a `hybrid` query (it then needs a search pipeline to fuse its sub-queries). */
  hybrid: boolean
}

const invalid = (file: string, message: string) => new LsrError('invalid_input', `${file}: ${message}`)

/**
 * Reads and checks a template file.
 * @throws LsrError `invalid_input` naming the file: not JSON, no placeholder, not a query object,
 *   a placeholder outside a JSON string, or a malformed `hybrid` query
 * @example const bm25 = await readQueryTemplate('bm25', 'templates/bm25.json')
 */
export async function readQueryTemplate(name: string, file: string): Promise<QueryTemplate> {
  return parseQueryTemplate(name, file, await readFile(file, 'utf8'))
}

/**
 * Checks a template's text (see {@link readQueryTemplate}); `file` only names it in errors.
 * @example parseQueryTemplate('bm25', 'bm25.json', '{"match": {"text": "{{query}}"}}')
 */
export function parseQueryTemplate(name: string, file: string, text: string): QueryTemplate {
  if (!TEMPLATE_NAME.test(name)) throw new LsrError('invalid_argument', `query template name "${name}" (for ${file}): use letters, digits, ".", "_" and "-", starting with a letter or digit`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message}); the placeholder goes inside a JSON string: "${QUERY_PLACEHOLDER}"`)
  }
  // Parsed, the placeholders stand inside strings: any escaped text in their place keeps the same structure.
  if (text.match(PLACEHOLDERS) === null) throw invalid(file, `a query template needs the placeholder ${QUERY_PLACEHOLDER} where the query text goes (inside a JSON string)`)
  const query = queryOf(json, file)
  try {
    return { name, file, text, json, hybrid: hybridOf(query) !== undefined }
  } catch (error) {
    throw invalid(file, (error as Error).message)
  }
}

/**
 * The query of one query text: the template with every placeholder replaced by the text,
 * JSON-escaped. A search body `{"query": Q}` gives Q.
 * @example instantiate(template, 'statins "reduce" risk') // {match: {text: 'statins "reduce" risk'}}
 */
export function instantiate(template: QueryTemplate, queryText: string): Query {
  const escaped = JSON.stringify(queryText).slice(1, -1)
  const json: unknown = JSON.parse(template.text.replace(PLACEHOLDERS, () => escaped))
  return queryOf(json, template.file)
}

/** A query object, or the `query` of a body that holds only one. */
function queryOf(json: unknown, file: string): Query {
  if (!isObject(json)) throw invalid(file, 'a query template must be a JSON object: a query, or {"query": …}')
  if (!Object.hasOwn(json, 'query')) return json as Query
  const extra = Object.keys(json).find((key) => key !== 'query')
  if (extra !== undefined) throw invalid(file, `[${extra}]: a query template holds a query or {"query": …} only (lsr eval sets size, and --search-pipeline the pipeline)`)
  if (!isObject(json.query)) throw invalid(file, '[query] must be a query object')
  return json.query as Query
}

/**
 * Parses a `NAME=FILE` flag value.
 * @throws LsrError `invalid_argument` when there is no `=` or either side is empty
 */
export function parseTemplateFlag(value: string): { name: string; file: string } {
  const at = value.indexOf('=')
  if (at <= 0 || at === value.length - 1) throw new LsrError('invalid_argument', `--query-template takes NAME=FILE, got "${value}"`)
  return { name: value.slice(0, at), file: value.slice(at + 1) }
}
