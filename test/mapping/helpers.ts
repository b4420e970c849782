import { expect } from 'vitest'
import { LsrError, type LsrErrorCode } from '../../src/errors.js'
import { parseMapping, type Mapping } from '../../src/mapping/index.js'

/** The analyzers and similarities a test index has. */
export const ANALYZERS = new Set(['default', 'standard', 'english', 'whitespace'])
export const SIMILARITIES = new Set(['BM25', 'my_bm25'])

/** Parses a `mappings` body with the test analyzers and similarities. */
export function parse(json: unknown): Mapping {
  return parseMapping(json, ANALYZERS, SIMILARITIES)
}

/** Runs `fn`, expects an LsrError with `code`, and returns it. */
export function failure(fn: () => unknown, code: LsrErrorCode): LsrError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(LsrError)
    expect((error as LsrError).code, (error as Error).message).toBe(code)
    return error as LsrError
  }
  throw new Error('expected an error, got none')
}
