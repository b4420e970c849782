/**
 * The `lsr` command line: a thin layer over the library. Errors become one stderr line and a
 * non-zero exit status (2 for invalid arguments, 1 otherwise).
 * @module
 */
import { Command, CommanderError } from 'commander'
import { LsrError } from '../errors.js'
import { VERSION } from '../version.js'
import { registerEvalCommand } from './commands/eval-command.js'
import { registerIndexCommand } from './commands/index-command.js'
import { registerMaintenanceCommands } from './commands/maintenance-commands.js'
import { registerSearchCommand } from './commands/search-command.js'
import { registerServeCommand } from './commands/serve-command.js'

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

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode
  } else if (error instanceof LsrError) {
    console.error(`lsr: ${error.message}`)
    process.exitCode = error.code === 'invalid_argument' ? 2 : 1
  } else {
    console.error(`lsr: internal error: ${(error as Error).stack ?? error}`)
    process.exitCode = 1
  }
}
