/**
 * Typed errors of the engine. Each carries a stable `code`; the CLI maps it to an exit status and one
 * stderr line, the server (later) to an HTTP status. Core code never formats for a transport.
 * @module
 */

/** Stable error codes. */
export type LsrErrorCode =
  | 'invalid_argument'
  | 'invalid_input'
  /** A malformed query (Elasticsearch's parsing_exception). */
  | 'query_parsing'
  /** A query with more scored clauses than allowed. */
  | 'too_many_clauses'
  /** Aggregations that would make more buckets than allowed (Elasticsearch's search.max_buckets). */
  | 'too_many_buckets'
  /** A request that would take more memory than its limit (Elasticsearch's circuit breakers): retry later, or ask for less. */
  | 'circuit_breaking'
  /** A mapping definition, or a document value that cannot be indexed as its field's type. */
  | 'mapper_parsing'
  /** A document has a field that a `dynamic: strict` mapping does not declare. */
  | 'strict_dynamic_mapping'
  | 'not_found'
  | 'not_an_index'
  | 'incompatible_format'
  | 'encoder_mismatch'
  | 'index_locked'
  /** A failure of the moment (too many open files, a full disk): retrying later may work. */
  | 'unavailable'
  | 'data_corruption'
  | 'closed'

/** Base class of every error the engine throws on purpose. */
export class LsrError extends Error {
  readonly code: LsrErrorCode

  constructor(code: LsrErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'LsrError'
  }
}

/** Bad input record or file: the message names `file:line` and the field. */
export class InvalidInputError extends LsrError {
  /** 1-based line number in the input, when the input is line-oriented. */
  readonly line?: number

  constructor(message: string, line?: number, options?: { cause?: unknown }) {
    super('invalid_input', message, options)
    this.line = line
    this.name = 'InvalidInputError'
  }
}
