// Types of harness.js for the TypeScript tests.
import type { FuzzCase } from './cases.js'

export interface FuzzFailure {
  at: number
  request: Record<string, unknown>
  answer?: Record<string, unknown>
  problems: string[]
  serverLog?: string
}

export interface FuzzSummary {
  seed: number
  requested: number
  requests: number
  seconds: number
  statuses: Record<string, number>
  kinds: Record<string, number>
  slowest: Array<{ ms: number; kind: string; method: string; path: string; body?: string }>
  failures: FuzzFailure[]
  failureCount: number
  restarts: number
  retried: number
  stateChanged: Array<{ when: string; path: string; before?: string; after?: string }>
  notes: string[]
  ok: boolean
}

export interface FuzzOptions {
  /** dist: the build; src: the sources, through scripts/fuzz/ts-loader.js. @default 'dist' */
  from?: 'dist' | 'src'
  /** @default 5000 */
  requests?: number
  /** @default 1 */
  seed?: number
  /** A request slower than this fails. @default 2000 */
  slowMs?: number
  /** No answer within this is a failure (and the server is restarted if it stopped answering). @default 10000 */
  timeoutMs?: number
  /** The run stops (and fails) past this. @default 900 */
  maxSeconds?: number
  /** Failures kept in full. @default 200 */
  maxFailures?: number
  log?: (line: string) => void
}

export function runFuzz(options?: FuzzOptions): Promise<FuzzSummary>
export function formatSummary(summary: FuzzSummary, options?: { failures?: number }): string
export function isElasticsearchError(body: unknown, status: number): boolean
export function checkAnswer(c: FuzzCase, answer: { status?: number; headers?: Record<string, unknown>; body?: Buffer; ms: number; error?: string; closed?: boolean; refused?: string }, options: { dataDir: string; slowMs: number }): string[]
