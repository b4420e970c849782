/**
 * The CLI tests run bin/lsr.js, which imports dist/. So that a stale dist/ can neither pass nor
 * fail them, dist/ is rebuilt (`tsc -p tsconfig.json`) before they run whenever a source file is
 * newer than its compiled file: at most one build per test run, whichever test file gets there
 * first (the others wait on a lock folder, then find dist/ fresh).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmdirSync, statSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { ROOT } from '../helpers.js'

/** Source files (`.ts`, relative to `src`) whose `.js` in `dist` is missing or older. */
export async function staleOutputs(src: string, dist: string): Promise<string[]> {
  const stale: string[] = []
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        await walk(path)
        continue
      }
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue
      const rel = relative(src, path)
      const source = await stat(path)
      const output = await stat(join(dist, rel.replace(/\.ts$/, '.js'))).catch(() => undefined)
      if (!output || output.mtimeMs < source.mtimeMs) stale.push(rel)
    }
  }
  await walk(src)
  return stale
}

const LOCK = join(ROOT, 'dist', '.test-build-lock')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

function removeLock(): void {
  try {
    rmdirSync(LOCK)
  } catch {
    // already removed
  }
}

/** Rebuilds dist/ when a source file is newer than its output. */
export async function ensureBuilt(): Promise<void> {
  const src = join(ROOT, 'src')
  const dist = join(ROOT, 'dist')
  for (;;) {
    if ((await staleOutputs(src, dist)).length === 0) return
    mkdirSync(dist, { recursive: true })
    try {
      mkdirSync(LOCK)
    } catch {
      // Another test file is building; a lock older than two minutes is left over from a killed run.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 120_000) removeLock()
      await new Promise((resolve) => setTimeout(resolve, 200))
      continue
    }
    try {
      const built = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' })
      // 2: type errors, JavaScript emitted anyway. The tests then run the current source, as the
      // other tests (vitest, which strips types) do; `npm test` fails on the type errors itself.
      if (built.status === 2) process.stderr.write(`test/cli: dist/ rebuilt despite type errors:\n${built.stdout}`)
      else if (built.status !== 0) throw new Error(`tsc -p tsconfig.json failed (${built.status ?? built.signal}):\n${built.stdout}${built.stderr}`)
      const stale = await staleOutputs(src, dist)
      if (stale.length > 0) throw new Error(`tsc -p tsconfig.json left dist/ older than ${stale.join(', ')}`)
      return
    } finally {
      removeLock()
    }
  }
}
