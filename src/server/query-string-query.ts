/**
 * The `query_string` query (and URI search's `?q=`) as query DSL: the options Elasticsearch gives
 * it, checked, and the Lucene syntax parsed by query-string.ts. `simple_query_string` has a
 * syntax of its own, which lsr does not parse yet: it is an error, not a misread query.
 * @module
 */
import { badRequest, parsingError } from './http-error.js'
import type { Json } from './json.js'
import { parseQueryString } from './query-string.js'

const OPTIONS = ['query', 'default_field', 'fields', 'default_operator', 'boost']

/** Compiles a `query_string` body into query DSL; `defaultFields` are the index's searchable fields for `*`. */
export function queryStringToDsl(type: string, body: Json, defaultFields: string[]): unknown {
  if (type !== 'query_string') throw badRequest(`[${type}] is not supported (use query_string, whose Lucene syntax lsr parses)`)
  for (const key of Object.keys(body)) if (!OPTIONS.includes(key)) throw parsingError(`[query_string] query does not support [${key}]`)
  if (body.default_field !== undefined && body.fields !== undefined) throw badRequest('[query_string] takes default_field or fields, not both')
  // No fields named, or default_field *: every field, which the caller has expanded to the index's.
  const allFields = body.fields === undefined && (body.default_field === undefined || body.default_field === '*')
  const fields = body.fields ?? (allFields ? defaultFields : [body.default_field])
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw parsingError('[query_string] fields must be an array of strings')
  const operator = body.default_operator ?? 'OR'
  if (typeof operator !== 'string' || !['OR', 'AND'].includes(operator.toUpperCase())) throw parsingError('[query_string] default_operator must be OR or AND')
  const dsl = parseQueryString(body.query as string, { defaultFields: fields as string[], defaultOperator: operator.toUpperCase() as 'OR' | 'AND', allFields })
  return body.boost === undefined ? dsl : { bool: { must: [dsl], boost: body.boost } }
}
