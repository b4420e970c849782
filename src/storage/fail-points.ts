/**
 * Named fail points for crash tests (as Tantivy's `failpoints`): with `LSR_FAIL_POINT=<name>` or
 * `<name>:<n>` in the environment, the process kills itself with SIGKILL (no cleanup, no flush:
 * what a power cut or an OOM kill leaves) the n-th time (default: the first) it reaches that
 * point. Unset, a fail point is one comparison. The points sit between the steps whose order the
 * write protocol in format.ts relies on; test/engine/fail-points.test.ts and reorder-crash.test.ts
 * crash at each of them.
 * @module
 */

/** Every fail point, in the order a write reaches them. */
export const FAIL_POINTS = [
  'create:before-rename',
  'write:before-batch',
  'write:after-batch',
  'merge:before-batch',
  'merge:after-batch',
  'compact:before-batch',
  'compact:after-batch',
  'reorder:stage-batch',
  'reorder:before-commit',
  'reorder:after-commit',
  'reorder:replace-batch',
  'ingest:after-commit',
] as const

export type FailPoint = (typeof FAIL_POINTS)[number]

const [, armed, nth] = /^(.*?)(?::(\d+))?$/.exec(process.env.LSR_FAIL_POINT ?? '')!
let remaining = Number(nth ?? 1) || 1

/** Dies here if this point is armed (and reached for the n-th time). */
export function failPoint(name: FailPoint): void {
  if (name !== armed) return
  if (--remaining === 0) process.kill(process.pid, 'SIGKILL')
}
