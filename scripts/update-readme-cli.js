#!/usr/bin/env node
// Regenerates the README's CLI reference (between the cli:start / cli:end markers) from the
// commands' own --help, so the two cannot drift; a test fails when they differ.
// Run: npm run build && node scripts/update-readme-cli.js
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const COMMANDS = ['index', 'search', 'eval', 'serve', 'export', 'delete', 'stats', 'compact', 'check']

export function cliReference() {
  const help = (args) => execFileSync(process.execPath, [`${root}bin/lsr.js`, ...args], { encoding: 'utf8' }).trimEnd()
  return [['--help'], ...COMMANDS.map((c) => [c, '--help'])]
    .map((args) => `\`\`\`text\n$ lsr ${args.join(' ')}\n${help(args)}\n\`\`\``)
    .join('\n\n')
}

export function withCliReference(readme) {
  return readme.replace(/(<!-- cli:start -->\n)[\s\S]*?(<!-- cli:end -->)/, `$1${cliReference()}\n$2`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = `${root}README.md`
  writeFileSync(file, withCliReference(readFileSync(file, 'utf8')))
}
