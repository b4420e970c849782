/**
 * The Mustache subset lsr runs in ingest values: `{{name}}` and `{{{name}}}` (or `{{& name}}`)
 * replaced by a field of the document (a dotted path), `_index`, `_id` or `_ingest.timestamp`.
 * As in Elasticsearch's ingest templates, `{{name}}` escapes the value for a JSON string and the
 * triple form inserts it as it is; a missing field renders as nothing. Sections, comments,
 * partials and delimiter changes are refused when the pipeline is defined.
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'
import { getField, typeName } from './document-paths.js'

/** A parsed template: literal text and the variables between it. */
type Part = string | { name: string; escape: boolean }

/** What a template can name: the source's fields and the document's metadata. */
export interface TemplateScope {
  source: Json
  index?: string
  id?: string
  /** ISO 8601 time the pipeline started on the document. */
  timestamp: string
}

// {{{name}}}, {{& name}}, {{name}}; a tag starting with # ^ / ! > = is Mustache lsr does not run.
const TAG = /\{\{\{\s*([^{}]*?)\s*\}\}\}|\{\{\s*(&?)\s*([^{}]*?)\s*\}\}/g

/**
 * Parses a template string; undefined when it holds no `{{`.
 * @param where - the option's path, for messages
 * @throws LsrError `invalid_argument` for Mustache that lsr does not run
 */
function parseTemplate(text: string, where: string): Part[] | undefined {
  if (!text.includes('{{')) return undefined
  const parts: Part[] = []
  let at = 0
  for (const match of text.matchAll(TAG)) {
    const name = match[1] ?? match[3]
    if (name === '' || /^[#^/!>=]/.test(name) || name.includes('{{')) {
      throw new LsrError('invalid_argument', `${where}: the template tag [${match[0]}] is not supported (lsr runs {{field}} and {{{field}}} only)`)
    }
    parts.push(text.slice(at, match.index), { name, escape: match[1] === undefined && match[2] !== '&' })
    at = match.index + match[0].length
  }
  const rest = text.slice(at)
  if (rest.includes('{{') || parts.some((part) => typeof part === 'string' && part.includes('{{'))) {
    throw new LsrError('invalid_argument', `${where}: [${text}] holds a malformed template tag`)
  }
  parts.push(rest)
  return parts
}

/** A value with templates resolved per document. */
export type ValueSource = (scope: TemplateScope) => unknown

/**
 * A configured value (any JSON) whose strings, at any depth, may hold templates: the function
 * returns a fresh copy with them rendered. Values without templates are copied as they are.
 * @throws LsrError `invalid_argument` naming `where` for template syntax lsr does not run
 */
export function valueSource(value: unknown, where: string): ValueSource {
  if (typeof value === 'string') {
    const parts = parseTemplate(value, where)
    return parts ? (scope) => render(parts, scope) : () => value
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => valueSource(item, `${where}[${i}]`))
    return (scope) => items.map((item) => item(scope))
  }
  if (isObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => [key, valueSource(item, `${where}[${key}]`)] as const)
    return (scope) => Object.fromEntries(entries.map(([key, item]) => [key, item(scope)]))
  }
  return () => value
}

function render(parts: Part[], scope: TemplateScope): string {
  return parts.map((part) => (typeof part === 'string' ? part : text(lookup(part.name, scope), part))).join('')
}

function lookup(name: string, scope: TemplateScope): unknown {
  if (name === '_index') return scope.index
  if (name === '_id') return scope.id
  if (name === '_ingest.timestamp') return scope.timestamp
  try {
    return getField(scope.source, name)
  } catch {
    return undefined // Mustache renders a missing name as nothing
  }
}

function text(value: unknown, { name, escape }: { name: string; escape: boolean }): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') {
    throw new LsrError('invalid_argument', `template field [${name}] is an ${typeName(value)}: lsr renders strings, numbers and booleans only`)
  }
  const raw = String(value)
  // Elasticsearch's default for ingest templates: escaped for a JSON string.
  return escape ? JSON.stringify(raw).slice(1, -1) : raw
}
