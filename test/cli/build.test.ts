import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers.js'
import { staleOutputs } from './build.js'

async function touch(file: string, seconds: number): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, '')
  await utimes(file, seconds, seconds)
}

describe('CLI tests build dist/ from the current source', () => {
  it('finds sources whose compiled file is missing or older', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    const dist = join(root, 'dist')
    await touch(join(src, 'a.ts'), 1000)
    await touch(join(dist, 'a.js'), 2000)
    await touch(join(src, 'sub', 'b.ts'), 3000)
    await touch(join(dist, 'sub', 'b.js'), 2000)
    await touch(join(src, 'sub', 'c.ts'), 1000)
    expect((await staleOutputs(src, dist)).sort()).toEqual([join('sub', 'b.ts'), join('sub', 'c.ts')])
    await touch(join(dist, 'sub', 'b.js'), 4000)
    await touch(join(dist, 'sub', 'c.js'), 4000)
    expect(await staleOutputs(src, dist)).toEqual([])
  })

  it('leaves no source newer than its compiled file once the CLI helper is loaded', async () => {
    await import('./lsr.js')
    const src = join(ROOT, 'src')
    expect(await staleOutputs(src, join(ROOT, 'dist'))).toEqual([])
    // The check looked at every source file.
    const count = async (dir: string): Promise<number> =>
      (await Promise.all((await readdir(dir, { withFileTypes: true })).map((e) => (e.isDirectory() ? count(join(dir, e.name)) : e.name.endsWith('.ts') ? 1 : 0)))).reduce((a, b) => a + b, 0)
    expect(await count(src)).toBeGreaterThan(50)
    expect((await stat(join(ROOT, 'dist', 'cli', 'main.js'))).mtimeMs).toBeGreaterThanOrEqual((await stat(join(src, 'cli', 'main.ts'))).mtimeMs)
  })
})
