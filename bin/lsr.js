#!/usr/bin/env node
// The package's bin: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
if (!existsSync(main)) {
  console.error('lsr: not built yet: run `npm run build` in the lsr folder')
  process.exit(1)
}
await import(main)
