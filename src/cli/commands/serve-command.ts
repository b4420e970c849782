/**
 * `lsr serve`: the HTTP API over a data directory, until SIGINT/SIGTERM.
 * @module
 */
import type { Command } from 'commander'
import { startServer } from '../../server/serve.js'
import { parsePositiveInt } from '../format.js'

interface ServeFlags {
  data: string
  host: string
  port: number
  apiKey?: string
  readOnlyAnonymous?: boolean
  cors?: string
  maxBody: number
  requestTimeout: number
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Elasticsearch/OpenSearch-compatible HTTP API and the search page')
    .option('--data <dir>', 'data directory: one sub-folder per index', 'index-data')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port', parsePositiveInt('--port'), 9200)
    .option('--api-key <key>', 'require Authorization: ApiKey <key> or Bearer <key> (or set LSR_API_KEY)')
    .option('--read-only-anonymous', 'with an API key: let clients without one search and read')
    .option('--cors <origin>', 'allow this CORS origin (off by default)')
    .option('--max-body <mib>', 'largest request body in MiB', parsePositiveInt('--max-body'), 50)
    .option('--request-timeout <ms>', 'requests taking longer get a 504', parsePositiveInt('--request-timeout'), 60_000)
    .action(async (flags: ServeFlags) => {
      const server = await startServer({
        dataDir: flags.data,
        host: flags.host,
        port: flags.port,
        apiKey: flags.apiKey ?? process.env.LSR_API_KEY,
        readOnlyAnonymous: flags.readOnlyAnonymous,
        corsOrigin: flags.cors,
        maxBodyBytes: flags.maxBody * 2 ** 20,
        requestTimeoutMs: flags.requestTimeout,
      })
      console.log(`lsr serving ${flags.data} at ${server.url} (search page: ${server.url}/_ui)`)
      await new Promise<void>((resolve) => {
        const stop = () => {
          console.log('lsr: shutting down')
          server.close().then(resolve, (error) => {
            console.error(`lsr: ${(error as Error).message}`)
            resolve()
          })
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}
