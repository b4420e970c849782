/**
 * Runs the HTTP API on Node (`@hono/node-server`) over a data directory, with graceful shutdown:
 * stop accepting, let in-flight requests finish, then close every index.
 * @module
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp, type AppOptions } from './app.js'
import { IndexRegistry } from './registry.js'

export interface ServerOptions extends AppOptions {
  /** Folder holding one sub-folder per index. */
  dataDir: string
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 9200 */
  port?: number
}

export interface RunningServer {
  url: string
  registry: IndexRegistry
  /** Stops accepting, waits for in-flight requests, closes the indexes. */
  close(): Promise<void>
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const registry = new IndexRegistry(options.dataDir)
  await registry.names()
  const app = createApp(registry, options)
  const host = options.host ?? '127.0.0.1'
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 9200 }, () => resolve(started))
  })
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    registry,
    close() {
      closing ??= new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
        .finally(() => registry.closeAll())
      return closing
    },
  }
}
