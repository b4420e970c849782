import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Vitest's default is one file at a time on a 2-core machine (cores - 1): most test files wait
    // on disk, child processes and timers, so two at a time took the suite from 653 s to 438 s here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
