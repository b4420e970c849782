/**
 * The shape checks of JSON request objects shared by the engine's query compiler and the server.
 * @module
 */

/** A JSON object. */
export type Json = Record<string, unknown>

/** True for a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
