/**
 * `lsr serve`: the HTTP API over a data directory, until SIGINT/SIGTERM.
 * @module
 */
import { Option, type Command } from 'commander'
import { compatHandshake } from '../../server/compat.js'
import { startServer, type ServerOptions } from '../../server/serve.js'
import { startUpstreamProxy } from '../../server/upstream-proxy.js'
import { LsrError } from '../../errors.js'
import { parsePort, parsePositiveInt } from '../format.js'
import { addUpstreamOptions, defaultModelsFrom, upstreamFrom, type UpstreamFlags } from '../upstream-options.js'

interface ServeFlags extends UpstreamFlags {
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
  const command = program
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
  addUpstreamOptions(command, 'serve the same API from this OpenSearch/Elasticsearch cluster instead of --data: requests are forwarded unchanged, but neural_sparse query_text becomes tokens computed here from --models')
    .action(async (flags: ServeFlags) => {
      const upstream = upstreamFrom(flags)
      if (upstream) return serveUpstream(flags, upstream)
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
      await untilSignal(server)
    })
}

/** Flags of the local server that mean nothing in front of a cluster. */
const LOCAL_ONLY: ReadonlyArray<[keyof ServeFlags, string]> = [['readOnlyAnonymous', '--read-only-anonymous'], ['cors', '--cors'], ['allowDestructive', '--allow-destructive'], ['compat', '--compat'], ['compatVersion', '--compat-version']]

/** `lsr serve --upstream URL`: the proxy, until SIGINT/SIGTERM. */
async function serveUpstream(flags: ServeFlags, upstream: NonNullable<ReturnType<typeof upstreamFrom>>): Promise<void> {
  const local = LOCAL_ONLY.find(([key]) => flags[key] !== undefined)
  if (local) throw new LsrError('invalid_argument', `${local[1]} does not apply with --upstream (the cluster answers)`)
  if (!flags.autoCreate) throw new LsrError('invalid_argument', '--no-auto-create does not apply with --upstream (the cluster\'s action.auto_create_index decides)')
  const proxy = await startUpstreamProxy({
    upstream,
    host: flags.host,
    port: flags.port,
    modelsDir: flags.models,
    defaultModels: defaultModelsFrom(flags.upstreamModel),
    apiKey: flags.apiKey ?? process.env.LSR_API_KEY,
    maxBodyBytes: flags.maxBody * 2 ** 20,
  })
  console.log(`lsr in front of ${proxy.upstream.display} (${proxy.upstream.flavor}) at ${proxy.url} (neural_sparse query_text encoded here)`)
  await untilSignal(proxy)
}

/** Waits for SIGINT/SIGTERM, then closes the server. */
async function untilSignal(server: { close(): Promise<void> }): Promise<void> {
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
}
