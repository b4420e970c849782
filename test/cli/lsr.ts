import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from '../helpers.js'
import { ensureBuilt } from './build.js'

// bin/lsr.js runs dist/: build it from the current source first (once per run, when stale).
await ensureBuilt()

export const LSR = join(ROOT, 'bin/lsr.js')
export const SAMPLE = join(ROOT, 'sample')

/** Runs the built CLI; resolves with its exit code and output. */
export async function lsr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [LSR, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string }),
  )
}

/** Runs the built CLI with a fail point armed (src/storage/fail-points.ts); resolves with the signal or exit code. */
export function lsrWithFailPoint(point: string, ...args: string[]): Promise<string | number | null> {
  const child = spawn(process.execPath, [LSR, ...args], { env: { ...process.env, LSR_FAIL_POINT: point }, stdio: 'ignore' })
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
}
