// Types of cases.js for the TypeScript tests.

/** One hostile request. */
export interface FuzzCase {
  kind: string
  method: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** undefined: the right API key; false: no Authorization header; a string: that header. */
  auth?: false | string
  /** The request could change a protected index, so it must be refused. */
  mustFail?: true
  /** Bytes sent as they are on a new socket. */
  raw?: Buffer
  /** Requests sent concurrently. */
  burst?: FuzzCase[]
}

export const PROTECTED: readonly string[]
export const SCRATCH: string
export const SCRATCH_VECTORS: string
export const ALPHA_IDS: readonly string[]
export const BETA_IDS: readonly string[]
export const BETA_TOKENS: readonly string[]

export interface Random {
  next(): number
  int(lo: number, hi: number): number
  pick<T>(list: readonly T[]): T
  chance(p: number): boolean
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T
}
export function createRandom(seed: number): Random
export function toJson(value: unknown): string
export function fuzzCases(options?: { seed?: number; count?: number; apiKey?: string }): Generator<FuzzCase>
export function decodeURIComponentSafe(text: string): string
