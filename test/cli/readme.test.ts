import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers.js'
import { ensureBuilt } from './build.js'
// @ts-expect-error plain JS script without types
import { withCliReference } from '../../scripts/update-readme-cli.js'

// The reference is the --help of bin/lsr.js, which runs dist/: build it from the current source first.
await ensureBuilt()

describe('README', () => {
  it('has the CLI reference as the commands print it (run scripts/update-readme-cli.js)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(withCliReference(readme)).toBe(readme)
  })
})
