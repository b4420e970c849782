/**
 * Error constructors of the mapping module, one per Elasticsearch exception type it answers with.
 * The server maps the codes to HTTP 400 with ES's `type`: `mapper_parsing` → mapper_parsing_exception,
 * `strict_dynamic_mapping` → strict_dynamic_mapping_exception, `invalid_argument` →
 * illegal_argument_exception.
 * @module
 */
import { LsrError } from '../errors.js'

/** A bad mapping definition, or a document value that cannot be indexed as its field's type. */
export function mapperParsing(message: string, cause?: unknown): LsrError {
  return new LsrError('mapper_parsing', message, cause === undefined ? undefined : { cause })
}

/** An illegal argument: a mapping conflict, a limit exceeded, a query value that cannot be parsed. */
export function invalidArgument(message: string, cause?: unknown): LsrError {
  return new LsrError('invalid_argument', message, cause === undefined ? undefined : { cause })
}

/** A `dynamic: strict` object met a field it does not declare. */
export function strictDynamic(field: string, within: string): LsrError {
  return new LsrError(
    'strict_dynamic_mapping',
    `mapping set to strict, dynamic introduction of [${field}] within [${within}] is not allowed`,
  )
}

/** A short, single-line rendering of a JSON value for messages (ES's "preview of field's value"). */
export function preview(value: unknown): string {
  let text: string
  if (typeof value === 'string') text = value
  else {
    try {
      text = JSON.stringify(value) ?? String(value)
    } catch {
      text = String(value)
    }
  }
  return text.length > 100 ? `${text.slice(0, 100)}...` : text
}

/** True for a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
