/**
 * `_source` filtering lives in the engine (top_hits filters the sources it shows); the server's
 * modules import it from here until they name the engine's module.
 * @module
 */
export { sourceFilter, type SourceFilter } from '../engine/source-filter.js'
