/**
 * HTTP errors in Elasticsearch's shape: `{"error": {"root_cause", "type", "reason"}, "status"}`,
 * and the mapping of engine errors (by code) onto them. The engine never imports Hono.
 * @module
 */
import { LsrError, type LsrErrorCode } from '../errors.js'

/** An error with an HTTP status and an Elasticsearch error type. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options)
    this.name = 'HttpError'
  }
}

export const badRequest = (reason: string, type = 'illegal_argument_exception') => new HttpError(400, type, reason)
export const parsingError = (reason: string) => new HttpError(400, 'parsing_exception', reason)
export const indexNotFound = (name: string) => new HttpError(404, 'index_not_found_exception', `no such index [${name}]`)
export const indexExists = (name: string) => new HttpError(400, 'resource_already_exists_exception', `index [${name}] already exists`)
/**
 * An index folder that cannot be opened (incomplete, not lsr's, corrupt): Elasticsearch answers
 * 503 `unavailable_shards_exception` for an index whose primary shard is not active.
 */
export const indexUnavailable = (name: string, why: string) =>
  new HttpError(503, 'unavailable_shards_exception', `index [${name}] is unavailable: ${why} (DELETE /${name} removes it)`)

const BY_CODE: Record<LsrErrorCode, [number, string]> = {
  invalid_argument: [400, 'illegal_argument_exception'],
  invalid_input: [400, 'illegal_argument_exception'],
  mapper_parsing: [400, 'mapper_parsing_exception'],
  query_parsing: [400, 'parsing_exception'],
  too_many_clauses: [400, 'too_many_clauses'],
  too_many_buckets: [400, 'too_many_buckets_exception'],
  circuit_breaking: [429, 'circuit_breaking_exception'],
  strict_dynamic_mapping: [400, 'strict_dynamic_mapping_exception'],
  encoder_mismatch: [400, 'illegal_argument_exception'],
  not_found: [404, 'resource_not_found_exception'],
  not_an_index: [500, 'lsr_not_an_index_exception'],
  incompatible_format: [500, 'lsr_incompatible_format_exception'],
  index_locked: [503, 'lsr_index_locked_exception'],
  unavailable: [503, 'lsr_unavailable_exception'],
  data_corruption: [500, 'lsr_data_corruption_exception'],
  closed: [503, 'lsr_index_closed_exception'],
}

/** A server folder that messages must not show, and the neutral name shown instead. */
export interface HiddenPath {
  path: string
  as: string
}

/**
 * Any thrown value as an HttpError (unknown errors are 500s). As a safety net, each `hidden`
 * folder (the data directory, the models folder) is replaced in the message by its neutral name.
 */
export function toHttpError(error: unknown, hidden: readonly HiddenPath[] = []): HttpError {
  const http = asHttpError(error)
  const message = hide(http.message, hidden)
  return message === http.message ? http : new HttpError(http.status, http.type, message, { cause: error })
}

function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error
  if (error instanceof LsrError) {
    const [status, type] = BY_CODE[error.code]
    return new HttpError(status, type, error.message, { cause: error })
  }
  return new HttpError(500, 'exception', (error as Error)?.message ?? String(error), { cause: error })
}

const PATH_CHAR = String.raw`[\w.\-/\\]`

/** Replaces each hidden path where it stands as a whole path or a path prefix (longest first). */
function hide(message: string, hidden: readonly HiddenPath[]): string {
  let out = message
  for (const { path, as } of [...hidden].sort((a, b) => b.path.length - a.path.length)) {
    if (!out.includes(path)) continue
    const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    // Not inside a longer name: "/data" must not touch "/database" or "/x/data".
    out = out.replace(new RegExp(`(?<!${PATH_CHAR})${escaped}(?![\\w.\\-])`, 'g'), as)
  }
  return out
}

/** The Elasticsearch error body. */
export function errorBody(error: HttpError): { error: { root_cause: Array<{ type: string; reason: string }>; type: string; reason: string }; status: number } {
  const cause = { type: error.type, reason: error.message }
  return { error: { root_cause: [cause], ...cause }, status: error.status }
}
