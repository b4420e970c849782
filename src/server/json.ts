/**
 * The JSON shapes request handlers pass around, and Elasticsearch's `*` wildcard patterns.
 * @module
 */

/** A JSON object. */
export type Json = Record<string, unknown>

/** True for a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A `*` wildcard pattern (index expressions, `_source` paths) as an anchored regular expression. */
export function wildcardPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
}
