/**
 * The `lsr` command line: a thin layer over the library. Exit status 0 on success; otherwise one
 * line on stderr and 2 for a usage error (unknown command or option, missing or invalid
 * argument), 1 for any other failure (missing file or index, bad input, locked index, busy port).
 * @module
 */
import { Command, CommanderError } from 'commander'
import { LsrError } from '../errors.js'
import { ListenError } from '../server/serve.js'
import { VERSION } from '../version.js'
import { registerEvalCommand } from './commands/eval-command.js'
import { registerExportCommand } from './commands/export-command.js'
import { registerIndexCommand } from './commands/index-command.js'
import { registerMaintenanceCommands } from './commands/maintenance-commands.js'
import { registerSearchCommand } from './commands/search-command.js'
import { registerServeCommand } from './commands/serve-command.js'

/** Exit statuses, as the README's CLI reference documents them. */
const EXIT_OK = 0
const EXIT_FAILURE = 1
const EXIT_USAGE = 2

const program = new Command()
  .name('lsr')
  .description('learned-sparse retrieval: index documents as sparse vectors, answer queries without a model')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'lsr: ')) })

registerIndexCommand(program)
registerSearchCommand(program)
registerMaintenanceCommands(program)
registerEvalCommand(program)
registerServeCommand(program)
registerExportCommand(program)

/** The stderr line (without `lsr: `) of an error the engine threw on purpose. */
function message(error: LsrError): string {
  if (error instanceof ListenError) return `${error.message}; choose another with --${error.flag}`
  if (error.code === 'index_locked') return `${error.message}; is \`lsr serve\` running on it? use its HTTP API, or stop the server first`
  return error.message
}

const SYSTEM_ERRORS = new Map([
  ['ENOENT', 'no such file or folder'],
  ['ENOTDIR', 'a parent is not a folder'],
  ['EISDIR', 'is a folder'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['EEXIST', 'already exists'],
  ['ENOSPC', 'no space left on the device'],
  ['EROFS', 'read-only file system'],
])

/** `path: reason` for a file system error on a path the user gave (a file to read or write). */
function fileError(error: unknown): string | undefined {
  const { code, path, message } = (error ?? {}) as NodeJS.ErrnoException
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code) || typeof path !== 'string') return undefined
  return `${path}: ${SYSTEM_ERRORS.get(code) ?? message}`
}

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander printed the message (or the help/version asked for).
    process.exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  } else if (error instanceof LsrError) {
    console.error(`lsr: ${message(error)}`)
    process.exitCode = error.code === 'invalid_argument' && !(error instanceof ListenError) ? EXIT_USAGE : EXIT_FAILURE
  } else {
    // A file the command could not read or write is one line; anything else is a bug: its stack.
    const file = fileError(error)
    console.error(file ? `lsr: ${file}` : `lsr: internal error: ${(error as Error).stack ?? error}`)
    process.exitCode = EXIT_FAILURE
  }
}
