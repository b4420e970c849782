/**
 * `lsr serve`: the HTTP API over a data directory, until SIGINT/SIGTERM.
 * @module
 */
import { Option, type Command } from 'commander'
import { compatHandshake } from '../../server/compat.js'
import { startServer, type ServerOptions } from '../../server/serve.js'
import { parsePort, parsePositiveInt } from '../format.js'

interface ServeFlags {
  data: string
  host: string
  port: number
  apiKey?: string
  readOnlyAnonymous?: boolean
  cors?: string
  maxBody: number
  requestTimeout: number
  allowDestructive?: boolean
  autoCreate: boolean
  models: string
  compat?: 'elasticsearch'
  compatVersion?: string
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Elasticsearch/OpenSearch-compatible HTTP API and the search page')
    .option('--data <dir>', 'data directory: one sub-folder per index', 'index-data')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', parsePort('--port'), 9200)
    .option('--api-key <key>', 'require Authorization: ApiKey <key> or Bearer <key> (or set LSR_API_KEY)')
    .option('--read-only-anonymous', 'with an API key: let clients without one search and read')
    .option('--cors <origin>', 'allow this CORS origin (off by default)')
    .option('--max-body <mib>', 'largest request body in MiB', parsePositiveInt('--max-body'), 50)
    .option('--request-timeout <ms>', 'requests taking longer get a 504', parsePositiveInt('--request-timeout'), 60_000)
    .option('--allow-destructive', 'allow DELETE of wildcard and _all index expressions (refused otherwise)')
    .option('--no-auto-create', 'a document write to a missing index is a 404 (by default it creates the index, with dynamic mapping)')
    .option('--models <dir>', 'folder of neural model folders that PUT /{index} settings may name (clients never send paths)', 'index-data/models')
    .addOption(new Option('--compat <product>', 'give the official Elasticsearch clients\' handshake (GET / answers an Elasticsearch version, X-Elastic-Product on every answer); without it their requests are a 400').choices(['elasticsearch']))
    .option('--compat-version <x.y.z>', 'with --compat: the version GET / reports (default: 8.11.0; 7.10.2 for tools older than the 7.14 product check)')
    .action(async (flags: ServeFlags) => {
      const options: ServerOptions = {
        dataDir: flags.data,
        host: flags.host,
        port: flags.port,
        apiKey: flags.apiKey ?? process.env.LSR_API_KEY,
        readOnlyAnonymous: flags.readOnlyAnonymous,
        corsOrigin: flags.cors,
        maxBodyBytes: flags.maxBody * 2 ** 20,
        requestTimeoutMs: flags.requestTimeout,
        allowDestructive: flags.allowDestructive === true,
        autoCreateIndex: flags.autoCreate,
        modelsDir: flags.models,
        compat: flags.compat,
        compatVersion: flags.compatVersion,
      }
      // A usage error before the data folder is made.
      compatHandshake(options)
      const server = await startServer(options)
      console.log(`lsr serving ${flags.data} at ${server.url} (search page: ${server.url}/_ui)`)
      await new Promise<void>((resolve) => {
        const stop = () => {
          console.log('lsr: shutting down')
          server.close().then(resolve, (error) => {
            console.error(`lsr: ${(error as Error).message}`)
            process.exitCode = 1
            resolve()
          })
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}
